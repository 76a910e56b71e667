//! `/triage`: the queue by priority with its breakdown, filters, and bulk actions (claim, status
//! with a note, route); `/triage/stats`: the analytics as tables and a server-rendered SVG chart.
//! Product teams and staff only (others get 404).

use super::{redirect, PageCtx};
use crate::accounts::Role;
use crate::feedback::changes::{self, ChangeRequest};
use crate::triage::{queue as tq, routing, stats, teams};
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
    let pick = |v: &str, allowed: &[&str]| allowed.contains(&v).then(|| v.to_string());
    let filter = tq::Filter {
        teams: teams_filter,
        status: pick(&q.status, &crate::triage::priority::OPEN),
        kind: pick(&q.kind, &["bug", "idea"]),
        overdue: q.overdue == "1",
        after: q.cursor.as_deref().and_then(tq::parse_cursor),
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
            open_statuses => crate::triage::priority::OPEN,
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
    let mine = teams::of_user(&mut conn, me.id).await?;
    for id in ids {
        let ok = match get("action") {
            "claim" => {
                let team: Option<Option<i64>> = {
                    use crate::db::schema::topics;
                    use diesel::prelude::*;
                    use diesel_async::RunQueryDsl;
                    topics::table
                        .find(id)
                        .select(topics::team_id)
                        .first(&mut conn)
                        .await
                        .optional()?
                };
                let allowed =
                    me.role().is_staff() || team.flatten().is_none_or(|t| mine.contains(&t));
                allowed && tq::assign(&mut conn, id, Some(me.id)).await? > 0
            }
            "status" => match ChangeRequest::parse(get("status"), Some(get("note")), None, None) {
                Ok(req) => changes::change(&mut conn, &me, id, req, now).await.is_ok(),
                Err(_) => false,
            },
            "route" => match teams::by_slug(&mut conn, get("to")).await? {
                Some(t) if me.role().is_staff() => {
                    routing::reroute(&mut conn, me.id, id, t.id, now).await? > 0
                }
                _ => false,
            },
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
    page.render(
        "triage_stats.html",
        minijinja::context! {
            days => days, stats => Value::from(minijinja::value::Serde(&s)), bars => bars,
            chart_width => 60 + s.weeks.len() * 44,
        },
    )
}
