//! `/triage`: the queue by priority with its breakdown, filters, and bulk actions (claim, status
//! with a note, route); `/triage/stats`: the analytics as tables and a server-rendered SVG chart.
//! Product teams and staff only (others get 404).

use super::{redirect, PageCtx};
use crate::accounts::Role;
use crate::feedback::changes::{self, ChangeRequest};
use crate::triage::{assignment, queue as tq, stats, teams, TriageError};
use crate::web::errors::AppError;
use actix_web::{web, HttpResponse};
use minijinja::Value;
use serde::Deserialize;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/triage", web::get().to(queue))
        .route("/triage/bulk", web::post().to(bulk))
        .route("/triage/stats", web::get().to(stats_page));
}

fn triager(page: &PageCtx) -> Result<&crate::accounts::User, AppError> {
    match &page.viewer.0 {
        Some(a) if a.user.role() != Role::Member => Ok(&a.user),
        _ => Err(AppError::NotFound),
    }
}

#[derive(Deserialize)]
pub struct QueueQuery {
    #[serde(default)]
    team: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    overdue: String,
    cursor: Option<String>,
    notice: Option<String>,
}

async fn queue(page: PageCtx, q: web::Query<QueueQuery>) -> Result<HttpResponse, AppError> {
    let me = triager(&page)?;
    let mut conn = crate::db::get(&page.state.pool).await?;
    let all_teams = teams::all(&mut conn).await?;
    let mine = teams::of_user(&mut conn, me.id).await?;
    let teams_filter = match all_teams.iter().find(|t| t.team.slug == q.team) {
        Some(t) => Some(vec![t.team.id]),
        None if me.role() == Role::TeamMember && q.team != "all" => Some(mine.clone()),
        None => None,
    };
    let filter = tq::Filter {
        teams: teams_filter,
        // A page keeps working with a stale link: an unknown value shows everything.
        status: tq::parse_status(&q.status).ok().flatten(),
        kind: tq::parse_kind(&q.kind).ok().flatten(),
        overdue: q.overdue == "1",
        after: q.cursor.as_deref().and_then(tq::parse_cursor),
        closed_boards: page.reader.closed_board_ids(),
        ..Default::default()
    };
    let (items, next) = tq::list(&mut conn, &filter, page.state.clock.now()).await?;
    let en = page.lang == crate::accounts::Locale::En;
    page.render(
        "triage.html",
        minijinja::context! {
            items => Value::from(minijinja::value::Serde(&items)),
            next => next, team => &q.team, status => &q.status, kind => &q.kind, overdue => q.overdue == "1",
            notice => &q.notice,
            teams => all_teams.iter().map(|t| minijinja::context! { slug => &t.team.slug, name => if en { &t.team.name_en } else { &t.team.name_zh } }).collect::<Vec<_>>(),
            statuses => crate::feedback::status::Status::ALL.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
            open_statuses => crate::fields::Status::OPEN.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
        },
    )
}

/// Bulk actions: each item goes through the same checks as a single action; the notice counts
/// what was done and what was refused.
async fn bulk(
    page: PageCtx,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let me = triager(&page)?.clone();
    let get = |k: &str| {
        form.iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    };
    let ids: Vec<i64> = form
        .iter()
        .filter(|(k, _)| k == "id")
        .filter_map(|(_, v)| v.parse().ok())
        .take(200)
        .collect();
    let now = page.state.clock.now();
    let mut conn = crate::db::get(&page.state.pool).await?;
    let (mut done, mut refused) = (0, 0);
    for id in ids {
        let ok = match get("action") {
            "claim" => ok_or_refused(assignment::claim(&mut conn, &me, id).await)?,
            "status" => match ChangeRequest::parse(get("status"), Some(get("note")), None, None) {
                Ok(req) => changes::change(&mut conn, &me, id, req, now).await.is_ok(),
                Err(_) => false,
            },
            "route" => ok_or_refused(
                assignment::reroute(&mut conn, &me, id, get("to"), now)
                    .await
                    .map(|_| ()),
            )?,
            _ => false,
        };
        if ok {
            done += 1;
        } else {
            refused += 1;
        }
    }
    Ok(redirect(&format!("/triage?notice=done:{done}:{refused}")))
}

#[derive(Deserialize)]
pub struct StatsQuery {
    days: Option<i64>,
}

async fn stats_page(page: PageCtx, q: web::Query<StatsQuery>) -> Result<HttpResponse, AppError> {
    triager(&page)?;
    let days = q.days.unwrap_or(30).clamp(1, stats::MAX_DAYS);
    let mut conn = crate::db::get(&page.state.pool).await?;
    let s = stats::compute(&mut conn, days, page.state.clock.now()).await?;
    // A plain bar chart: opened and resolved per week, scaled to the busiest week.
    let max = s
        .weeks
        .iter()
        .map(|w| w.opened.max(w.resolved))
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let bars: Vec<Value> = s
        .weeks
        .iter()
        .enumerate()
        .map(|(i, w)| {
            minijinja::context! {
                x => 40 + i * 44, week => &w.week, opened => w.opened, resolved => w.resolved,
                h_opened => (w.opened as f64 / max * 120.0).round() as i64,
                h_resolved => (w.resolved as f64 / max * 120.0).round() as i64,
            }
        })
        .collect();
    // Teams and products by name, in the reader's language, never by slug.
    let l = page.lang;
    let team_names: std::collections::BTreeMap<String, String> = teams::all(&mut conn)
        .await?
        .into_iter()
        .map(|t| {
            let name = match l {
                crate::accounts::Locale::ZhCn => t.team.name_zh,
                crate::accounts::Locale::En => t.team.name_en,
            };
            (t.team.slug, name)
        })
        .collect();
    let product_names: std::collections::BTreeMap<String, String> =
        crate::feedback::products::all(&mut conn)
            .await?
            .iter()
            .map(|p| (p.slug.clone(), p.name(l).to_string()))
            .collect();
    page.render(
        "triage_stats.html",
        minijinja::context! {
            team_names => team_names, product_names => product_names,
            days => days, stats => Value::from(minijinja::value::Serde(&s)), bars => bars,
            chart_width => 60 + s.weeks.len() * 44,
        },
    )
}

/// In a bulk action a refused item is counted and skipped; a database failure stops the batch.
fn ok_or_refused(r: Result<(), TriageError>) -> Result<bool, AppError> {
    match r {
        Ok(()) => Ok(true),
        Err(TriageError::Db(e)) => Err(e.into()),
        Err(_) => Ok(false),
    }
}
