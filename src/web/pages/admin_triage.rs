//! `/admin/triage`: teams (with members) and the ordered routing rules, for admins. Rules are
//! edited as JSON (the same shape as `POST /api/v1/triage/rules`), validated as a whole.

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

async fn render(
    page: &PageCtx,
    status: StatusCode,
    rules_text: Option<String>,
    errors: BTreeMap<String, String>,
) -> Result<HttpResponse, AppError> {
    let mut conn = crate::db::get(&page.state.pool).await?;
    let all = teams::all(&mut conn).await?;
    let current = rules::all(&mut conn).await?;
    let deliveries = crate::triage::webhooks::recent(&mut conn, 30).await?;
    let text = rules_text.unwrap_or_else(|| {
        let inputs: Vec<RuleInput> = current
            .iter()
            .map(|r| RuleInput {
                team: r.team.clone(),
                board: r.board.clone(),
                product: r.product.clone(),
                product_line: r.product_line.clone(),
                kind: r.kind.clone(),
                tags: r.tags.clone(),
                keywords: r.keywords.clone(),
            })
            .collect();
        serde_json::to_string_pretty(&inputs).unwrap_or_default()
    });
    page.render_status(
        status,
        "admin_triage.html",
        minijinja::context! {
            teams => Value::from(minijinja::value::Serde(&all)), rules_text => text, errors => errors,
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

async fn show(page: PageCtx) -> Result<HttpResponse, AppError> {
    page.require_admin()?;
    render(&page, StatusCode::OK, None, BTreeMap::new()).await
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
        Err(e) => render(&page, StatusCode::UNPROCESSABLE_ENTITY, None, errors_of(e)?).await,
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
        Err(e) => render(&page, StatusCode::UNPROCESSABLE_ENTITY, None, errors_of(e)?).await,
    }
}

#[derive(Deserialize)]
pub struct RulesForm {
    #[serde(default)]
    rules: String,
}

async fn save_rules(page: PageCtx, form: web::Form<RulesForm>) -> Result<HttpResponse, AppError> {
    page.require_admin()?;
    let parsed: Result<Vec<RuleInput>, _> = serde_json::from_str(&form.rules);
    let inputs = match parsed {
        Ok(v) => v,
        Err(e) => {
            let errors =
                BTreeMap::from([("rules".to_string(), format!("not valid rules JSON: {e}"))]);
            return render(
                &page,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(form.rules.clone()),
                errors,
            )
            .await;
        }
    };
    let mut conn = crate::db::get(&page.state.pool).await?;
    match rules::replace_all(&mut conn, &inputs, page.state.clock.now()).await {
        Ok(_) => Ok(redirect("/admin/triage")),
        Err(e) => {
            render(
                &page,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(form.rules.clone()),
                errors_of(e)?,
            )
            .await
        }
    }
}
