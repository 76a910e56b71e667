//! `/triage`: the queue (search, filters, sorts, saved views, keyboard use) with each item's
//! breakdown, and bulk actions (claim, assign, status with a note, route) that keep the filters; `/triage/stats`: the analytics as tables and a server-rendered SVG chart.
//! Product teams and staff only (others get 404).

use super::{redirect, PageCtx};
use crate::accounts::Role;
use crate::feedback::changes::{self, ChangeRequest};
use crate::triage::{assignment, queue as tq, stats, teams, views, TriageError};
use crate::web::errors::AppError;
use actix_web::{web, HttpResponse};
use minijinja::Value;
use serde::Deserialize;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/triage", web::get().to(queue))
        .route("/triage/bulk", web::post().to(bulk))
        .route("/t/{id}/assign", web::post().to(assign_item))
        .route("/triage/views", web::post().to(save_view))
        .route("/triage/views/{id}/delete", web::post().to(delete_view))
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
    #[serde(flatten)]
    filters: views::Filters,
    #[serde(default)]
    view: String,
    cursor: Option<String>,
    notice: Option<String>,
}

/// A view's filters with whatever the URL adds on top (none: the page's own filters).
async fn effective(
    conn: &mut crate::db::Conn,
    user_id: i64,
    view: &str,
    filters: &views::Filters,
) -> Result<views::Filters, AppError> {
    if view.is_empty() {
        return Ok(filters.clone());
    }
    Ok(views::filters_of(conn, user_id, view)
        .await?
        .overlay(filters))
}

/// The queue's own address for these filters (and view), with `extra` appended.
fn queue_url(view: &str, f: &views::Filters, extra: &str) -> String {
    let mut parts = Vec::new();
    if !view.is_empty() {
        parts.push(format!("view={}", urlencode(view)));
    }
    let fq = f.to_query();
    if !fq.is_empty() {
        parts.push(fq);
    }
    if !extra.is_empty() {
        parts.push(extra.to_string());
    }
    if parts.is_empty() {
        "/triage".into()
    } else {
        format!("/triage?{}", parts.join("&"))
    }
}

fn urlencode(s: &str) -> String {
    serde_urlencoded::to_string([("", s)])
        .unwrap_or_default()
        .trim_start_matches('=')
        .to_string()
}

async fn queue(page: PageCtx, q: web::Query<QueueQuery>) -> Result<HttpResponse, AppError> {
    let me = triager(&page)?;
    let mut conn = crate::db::get(&page.state.pool).await?;
    let filters = effective(&mut conn, me.id, &q.view, &q.filters).await?;
    let now = page.state.clock.now();
    let mut filter = views::resolve(
        &mut conn,
        &page.state.search,
        me,
        &page.reader,
        &filters,
        now,
    )
    .await?;
    filter.after = q
        .cursor
        .as_deref()
        .and_then(|c| tq::parse_cursor(filter.sort, c));
    let (items, next) = tq::list(&mut conn, &filter, now).await?;
    let en = page.lang == crate::accounts::Locale::En;
    let all_teams = teams::all(&mut conn).await?;
    let products = crate::feedback::products::all(&mut conn).await?;
    let lang = page.lang;
    let theme = page.state.theme.clone();
    let saved = views::list(&mut conn, me.id, |id| {
        theme.t(lang, &format!("triage.view.{id}"), &[])
    })
    .await?;
    // People an item can be handed to: members of the teams this person may work (the team
    // list names its members, so it answers which are this person's too).
    let assignable: Vec<&teams::TeamView> = all_teams
        .iter()
        .filter(|t| page.reader.staff || t.members.contains(&me.username))
        .collect();
    let mut people: Vec<String> = assignable
        .iter()
        .flat_map(|t| t.members.iter().cloned())
        .collect();
    people.sort_unstable();
    people.dedup();
    let team_name = |t: &teams::TeamView| {
        if en {
            t.team.name_en.clone()
        } else {
            t.team.name_zh.clone()
        }
    };
    // Only a reason this code names: the notice is in the URL, anyone can write one.
    let refusal = q
        .notice
        .as_deref()
        .and_then(|n| n.split(':').nth(3))
        .and_then(Refusal::from_text)
        .map(Refusal::as_str);
    page.render(
        "triage.html",
        minijinja::context! {
            items => Value::from(minijinja::value::Serde(&items)),
            next => next.map(|c| queue_url(&q.view, &filters, &format!("cursor={}", urlencode(&c)))),
            f => Value::from(minijinja::value::Serde(&filters)),
            view => &q.view,
            back => filters.to_query(),
            notice => &q.notice,
            refusal => refusal,
            views => Value::from(minijinja::value::Serde(&saved)),
            teams => all_teams.iter().map(|t| minijinja::context! { slug => &t.team.slug, name => team_name(t) }).collect::<Vec<_>>(),
            team_names => all_teams.iter().map(|t| (t.team.slug.clone(), team_name(t))).collect::<std::collections::BTreeMap<_, _>>(),
            members => assignable.iter().map(|t| minijinja::context! { slug => &t.team.slug, people => &t.members }).collect::<Vec<_>>(),
            people => people,
            products => products.iter().map(|p| minijinja::context! { slug => &p.slug, name => p.name(lang) }).collect::<Vec<_>>(),
            product_names => products.iter().map(|p| (p.slug.clone(), p.name(lang).to_string())).collect::<std::collections::BTreeMap<_, _>>(),
            statuses => crate::feedback::status::Status::ALL.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
            open_statuses => crate::fields::Status::OPEN.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
            sorts => tq::Sort::ALL.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
            severities => crate::fields::Severity::ALL.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
        },
    )
}

/// Saves the filters the queue shows now under a name of the viewer's own.
async fn save_view(
    page: PageCtx,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let me = triager(&page)?.clone();
    let get = |k: &str| field(&form, k);
    let filters: views::Filters = serde_urlencoded::from_str(get("back"))
        .map_err(|_| AppError::field("back", "not a queue address"))?;
    let mut conn = crate::db::get(&page.state.pool).await?;
    let saved = views::save(
        &mut conn,
        &me,
        get("name"),
        &filters,
        page.state.clock.now(),
    )
    .await?;
    Ok(redirect(&queue_url(
        &saved.id,
        &views::Filters::default(),
        "notice=saved",
    )))
}

async fn delete_view(page: PageCtx, id: web::Path<i64>) -> Result<HttpResponse, AppError> {
    let me = triager(&page)?;
    let mut conn = crate::db::get(&page.state.pool).await?;
    views::delete(&mut conn, me.id, *id).await?;
    Ok(redirect("/triage?notice=view_deleted"))
}

#[derive(Deserialize)]
pub struct AssignForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    note: String,
}

/// The item page's assign form: the same rule as the API; a refusal comes back on the page.
async fn assign_item(
    page: PageCtx,
    id: web::Path<i64>,
    form: web::Form<AssignForm>,
) -> Result<HttpResponse, AppError> {
    let me = triager(&page)?.clone();
    let now = page.state.clock.now();
    let mut conn = crate::db::get(&page.state.pool).await?;
    let done = diesel_async::AsyncConnection::transaction(&mut conn, async |c| {
        assignment::assign(c, &me, *id, &form.username, &form.note, now).await
    })
    .await;
    match done {
        Ok(_) => Ok(redirect(&format!("/t/{id}?notice=assigned#feedback"))),
        Err(TriageError::Invalid(f)) => Ok(redirect(&format!(
            "/t/{id}?notice={}#feedback",
            crate::content::percent_encode(
                &f.first().map(|f| f.message.clone()).unwrap_or_default()
            )
        ))),
        Err(e) => Err(e.into()),
    }
}

fn field<'a>(form: &'a [(String, String)], k: &str) -> &'a str {
    form.iter()
        .find(|(key, _)| key == k)
        .map(|(_, v)| v.as_str())
        .unwrap_or("")
}

/// Bulk actions (and the keyboard's one-item assign and status): each item goes through the
/// same checks as a single action; the notice counts what was done and what was refused, and
/// the queue comes back with the filters it had.
async fn bulk(
    page: PageCtx,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let me = triager(&page)?.clone();
    let get = |k: &str| field(&form, k);
    // The filters come back as they were sent; anything unreadable falls back to none.
    let back: views::Filters = serde_urlencoded::from_str(get("back")).unwrap_or_default();
    let view = get("view");
    let ids: Vec<i64> = form
        .iter()
        .filter(|(k, _)| k == "id")
        .filter_map(|(_, v)| v.parse().ok())
        .take(200)
        .collect();
    let now = page.state.clock.now();
    let mut conn = crate::db::get(&page.state.pool).await?;
    let (mut done, mut refused, mut why) = (0, 0, None);
    for id in ids {
        let refusal = match get("action") {
            "claim" => ok_or_refused(assignment::claim(&mut conn, &me, id).await)?,
            "assign" => ok_or_refused(
                diesel_async::AsyncConnection::transaction(&mut conn, async |c| {
                    assignment::assign(c, &me, id, get("username"), get("note"), now).await
                })
                .await
                .map(|_| ()),
            )?,
            "status" => match ChangeRequest::parse(get("status"), Some(get("note")), None, None) {
                Ok(req) => changes::change(&mut conn, &me, id, req, now)
                    .await
                    .err()
                    .map(|_| Refusal::Status),
                Err(_) => Some(Refusal::Status),
            },
            "route" => ok_or_refused(
                assignment::reroute(&mut conn, &me, id, get("to"), now)
                    .await
                    .map(|_| ()),
            )?,
            _ => Some(Refusal::Other),
        };
        match refusal {
            None => done += 1,
            Some(r) => {
                refused += 1;
                why.get_or_insert(r);
            }
        }
    }
    let notice = match why {
        Some(r) => format!("notice=done:{done}:{refused}:{r}"),
        None => format!("notice=done:{done}:{refused}"),
    };
    Ok(redirect(&queue_url(view, &back, &notice)))
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

crate::text_enum! {
    /// Why a bulk action left an item as it was: the notice names the first refusal's reason.
    pub enum Refusal {
        /// No longer there (or no longer in the queue).
        Gone = "gone",
        OtherTeam = "other_team",
        /// The person is not a member of the item's team (or the item has no team yet).
        Assignee = "assignee",
        Team = "team",
        Note = "note",
        Status = "status",
        Other = "other",
    }
}

/// In a bulk action a refused item is counted and skipped; a database failure stops the batch.
fn ok_or_refused(r: Result<(), TriageError>) -> Result<Option<Refusal>, AppError> {
    Ok(match r {
        Ok(()) => None,
        Err(TriageError::Db(e)) => return Err(e.into()),
        Err(TriageError::NotFound) => Some(Refusal::Gone),
        Err(TriageError::NotYourTeam) => Some(Refusal::OtherTeam),
        Err(TriageError::Invalid(errs)) => Some(match errs.first().map(|e| e.field) {
            Some("username") => Refusal::Assignee,
            Some("team") => Refusal::Team,
            Some("note") => Refusal::Note,
            _ => Refusal::Other,
        }),
        Err(_) => Some(Refusal::Other),
    })
}
