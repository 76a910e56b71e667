//! `/admin/triage`: teams (with members) and the ordered routing rules, for admins. Rules are a
//! form, one row per rule in order, moved up and down or removed by buttons and saved as a whole
//! list (as `POST /api/v1/triage/rules` takes it); a test box says where a title would go.

use super::{redirect, PageCtx};
use crate::triage::rules::{self, RuleInput};
use crate::triage::teams::{self, TeamInput};
use crate::triage::TriageError;
use crate::web::errors::AppError;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use minijinja::Value;
use serde::Deserialize;
use std::collections::BTreeMap;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin/triage", web::get().to(show))
        .route("/admin/triage/teams", web::post().to(save_team))
        .route("/admin/triage/members", web::post().to(member))
        .route("/admin/triage/rules", web::post().to(save_rules));
}

#[derive(Deserialize, Default)]
pub struct TestQuery {
    #[serde(default)]
    notice: String,
    #[serde(default)]
    test_title: String,
    #[serde(default)]
    test_kind: String,
    #[serde(default)]
    test_product: String,
    #[serde(default)]
    test_board: String,
}

async fn render(
    page: &PageCtx,
    status: StatusCode,
    rows: Option<Vec<RuleInput>>,
    errors: BTreeMap<String, String>,
    test: &TestQuery,
) -> Result<HttpResponse, AppError> {
    let mut conn = crate::db::get(&page.state.pool).await?;
    let all = teams::all(&mut conn).await?;
    let deliveries = crate::triage::webhooks::recent(&mut conn, 30).await?;
    let rows = match rows {
        Some(r) => r,
        None => rules::all(&mut conn)
            .await?
            .into_iter()
            .map(|r| RuleInput {
                team: r.team,
                board: r.board,
                product: r.product,
                product_line: r.product_line,
                kind: r.kind,
                tags: r.tags,
                keywords: r.keywords,
            })
            .collect(),
    };
    let l = page.lang;
    let boards = crate::forum::boards::all(&mut conn).await?;
    let products = crate::feedback::products::all(&mut conn).await?;
    let outcome = if test.test_title.trim().is_empty() {
        None
    } else {
        let title: String = test.test_title.chars().take(300).collect();
        let product = Some(test.test_product.trim()).filter(|p| !p.is_empty());
        let kind = if test.test_kind == "idea" {
            "idea"
        } else {
            "bug"
        };
        Some(
            crate::triage::routing::explain(&mut conn, &test.test_board, product, kind, &title)
                .await?,
        )
    };
    let team_name = |slug: &str| {
        all.iter()
            .find(|t| t.team.slug == slug)
            .map(|t| match l {
                crate::accounts::Locale::ZhCn => t.team.name_zh.clone(),
                crate::accounts::Locale::En => t.team.name_en.clone(),
            })
            .unwrap_or_else(|| slug.to_string())
    };
    let outcome = outcome.map(|o| match o {
        crate::triage::routing::Outcome::Rule(n, team) => {
            minijinja::context! { how => "rule", n => n, team => team_name(&team) }
        }
        crate::triage::routing::Outcome::Product(team) => {
            minijinja::context! { how => "product", team => team_name(&team) }
        }
        crate::triage::routing::Outcome::Unrouted => minijinja::context! { how => "unrouted" },
    });
    page.render_status(
        status,
        "admin_triage.html",
        minijinja::context! {
            teams => Value::from(minijinja::value::Serde(&all)),
            rules => rows.iter().map(|r| minijinja::context! {
                team => &r.team, board => r.board.as_deref().unwrap_or(""), product => r.product.as_deref().unwrap_or(""),
                product_line => r.product_line.as_deref().unwrap_or(""), kind => r.kind.as_deref().unwrap_or(""),
                tags => r.tags.join(", "), keywords => r.keywords.join(", "),
            }).collect::<Vec<_>>(),
            boards => boards.iter().map(|b| minijinja::context! { slug => &b.slug, name => b.name(l) }).collect::<Vec<_>>(),
            products => products.iter().map(|p| minijinja::context! { slug => &p.slug, name => p.name(l) }).collect::<Vec<_>>(),
            lines => { let mut v: Vec<String> = products.iter().map(|p| p.line.clone()).collect(); v.sort_unstable(); v.dedup(); v },
            test => minijinja::context! { title => &test.test_title, kind => &test.test_kind, product => &test.test_product, board => &test.test_board },
            outcome => outcome,
            notice => &test.notice,
            errors => errors,
            deliveries => deliveries.iter().map(|d| minijinja::context! {
                topic_id => d.topic_id, event => &d.event, team => &d.team, status => &d.status,
                attempts => d.attempts, last_error => &d.last_error,
                at => d.at.to_rfc3339(),
            }).collect::<Vec<_>>(),
        },
    )
}

fn errors_of(e: TriageError) -> Result<BTreeMap<String, String>, AppError> {
    match e {
        TriageError::Invalid(f) => Ok(f
            .into_iter()
            .map(|f| (f.field.to_string(), f.message))
            .collect()),
        TriageError::NotFound => Ok(BTreeMap::from([("team".into(), "no such team".into())])),
        other => Err(other.into()),
    }
}

/// A refused form: the page again with what was wrong (and the rules as sent, if any).
async fn refused(
    page: &PageCtx,
    rows: Option<Vec<RuleInput>>,
    e: TriageError,
) -> Result<HttpResponse, AppError> {
    let errors = errors_of(e)?;
    render(
        page,
        StatusCode::UNPROCESSABLE_ENTITY,
        rows,
        errors,
        &TestQuery::default(),
    )
    .await
}

async fn show(page: PageCtx, test: web::Query<TestQuery>) -> Result<HttpResponse, AppError> {
    page.require_admin()?;
    render(&page, StatusCode::OK, None, BTreeMap::new(), &test).await
}

#[derive(Deserialize)]
pub struct TeamForm {
    #[serde(default)]
    slug: String,
    #[serde(default)]
    name_zh: String,
    #[serde(default)]
    name_en: String,
}

async fn save_team(page: PageCtx, form: web::Form<TeamForm>) -> Result<HttpResponse, AppError> {
    page.require_admin()?;
    let mut conn = crate::db::get(&page.state.pool).await?;
    // Keep what the form does not show (SLA hours, webhook) as it is.
    let existing = teams::by_slug(&mut conn, form.slug.trim()).await?;
    let input = TeamInput {
        slug: form.slug.trim().to_string(),
        name_zh: form.name_zh.clone(),
        name_en: form.name_en.clone(),
        sla_crash_hours: existing.as_ref().map(|t| t.sla_crash_hours),
        sla_major_hours: existing.as_ref().map(|t| t.sla_major_hours),
        sla_minor_hours: existing.as_ref().map(|t| t.sla_minor_hours),
        sla_idea_hours: existing.as_ref().map(|t| t.sla_idea_hours),
        webhook_url: existing.as_ref().and_then(|t| t.webhook_url.clone()),
        webhook_secret: existing.as_ref().and_then(|t| t.webhook_secret.clone()),
    };
    match teams::upsert(&mut conn, &input, page.state.clock.now()).await {
        Ok(_) => Ok(redirect("/admin/triage")),
        Err(e) => refused(&page, None, e).await,
    }
}

#[derive(Deserialize)]
pub struct MemberForm {
    #[serde(default)]
    team: String,
    #[serde(default)]
    username: String,
    remove: Option<String>,
}

async fn member(page: PageCtx, form: web::Form<MemberForm>) -> Result<HttpResponse, AppError> {
    page.require_admin()?;
    let mut conn = crate::db::get(&page.state.pool).await?;
    let on = form.remove.is_none();
    match teams::set_member(
        &mut conn,
        &form.team,
        &form.username,
        on,
        page.state.clock.now(),
    )
    .await
    {
        Ok(()) => Ok(redirect("/admin/triage")),
        Err(e) => refused(&page, None, e).await,
    }
}

/// The rule rows in order: each starts with a `row` field; the fields after it belong to it. A
/// row with no team and no condition (the blank "new rule" row) is left out.
fn rows_of(form: &[(String, String)]) -> Vec<RuleInput> {
    let mut rows: Vec<RuleInput> = Vec::new();
    let list = |v: &str| -> Vec<String> {
        v.split([',', '，', '、'])
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect()
    };
    let opt = |v: &str| Some(v.trim().to_string()).filter(|s| !s.is_empty());
    for (k, v) in form {
        if k == "row" {
            rows.push(RuleInput::default());
            continue;
        }
        let Some(r) = rows.last_mut() else { continue };
        match k.as_str() {
            "team" => r.team = v.trim().to_string(),
            "board" => r.board = opt(v),
            "product" => r.product = opt(v),
            "product_line" => r.product_line = opt(v),
            "kind" => r.kind = opt(v),
            "tags" => r.tags = list(v),
            "keywords" => r.keywords = list(v),
            _ => {}
        }
    }
    rows.retain(|r| {
        !(r.team.is_empty()
            && r.board.is_none()
            && r.product.is_none()
            && r.product_line.is_none()
            && r.kind.is_none()
            && r.tags.is_empty()
            && r.keywords.is_empty())
    });
    rows
}

/// Saves the list; `op` may first move a row up or down or remove it (`up:3`, `down:0`,
/// `remove:2`, 0-based among the rows sent).
async fn save_rules(
    page: PageCtx,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    page.require_admin()?;
    let mut inputs = rows_of(&form);
    let op = form
        .iter()
        .find(|(k, _)| k == "op")
        .map(|(_, v)| v.as_str())
        .unwrap_or("");
    if let Some((what, n)) = op.split_once(':') {
        let n: usize = n.parse().unwrap_or(usize::MAX);
        match what {
            "up" if n > 0 && n < inputs.len() => inputs.swap(n - 1, n),
            "down" if n + 1 < inputs.len() => inputs.swap(n, n + 1),
            "remove" if n < inputs.len() => {
                inputs.remove(n);
            }
            _ => {}
        }
    }
    let mut conn = crate::db::get(&page.state.pool).await?;
    match rules::replace_all(&mut conn, &inputs, page.state.clock.now()).await {
        Ok(_) => Ok(redirect("/admin/triage?notice=rules_saved#rules")),
        Err(e) => refused(&page, Some(inputs), e).await,
    }
}
