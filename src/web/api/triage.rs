//! Triage: `/api/v1/admin/teams`, `/api/v1/triage/rules`, manual reroutes, the unrouted inbox,
//! the queue and its saved views, assignment, analytics.

use crate::accounts::Role;
use crate::triage::rules::{self, RuleInput};
use crate::triage::teams::{self, TeamInput};
use crate::triage::{assignment, queue as tq, views};
use crate::web::errors::AppError;
use crate::web::extract::{AdminUser, CurrentUser};
use crate::web::AppState;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

pub type TeamBody = TeamInput;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin/teams", web::get().to(list_teams))
        .route("/admin/webhooks", web::get().to(webhook_log))
        .route("/admin/teams", web::post().to(save_team))
        .route("/admin/teams/{slug}/members", web::post().to(member))
        .route("/admin/products/{slug}/team", web::post().to(product_team))
        .route("/triage/rules", web::get().to(list_rules))
        .route("/triage/rules", web::post().to(save_rules))
        .route("/triage/items/{id}/route", web::post().to(reroute))
        .route("/triage/unrouted", web::get().to(unrouted))
        .route("/triage/queue", web::get().to(queue))
        .route("/triage/stats", web::get().to(stats))
        .route("/triage/items/{id}/similar", web::get().to(similar))
        .route("/triage/items/{id}/assign", web::post().to(assign))
        .route("/triage/views", web::get().to(list_views))
        .route("/triage/views", web::post().to(save_view))
        .route("/triage/views/{id}", web::delete().to(delete_view));
}

/// Product teams, moderators and admins read triage set-up; members do not.
fn triage_reader(me: &CurrentUser) -> Result<(), AppError> {
    match me.0.user.role() {
        Role::TeamMember | Role::Moderator | Role::Admin => Ok(()),
        Role::Member => Err(AppError::Forbidden {
            code: "forbidden",
            message: "Product teams and staff only.".into(),
        }),
    }
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LimitQuery {
    #[param(minimum = 1, maximum = 200)]
    limit: Option<i64>,
}

/// Recent webhook deliveries: what went where, how many attempts, the last error.
async fn webhook_log(
    state: web::Data<AppState>,
    _a: AdminUser,
    q: web::Query<LimitQuery>,
) -> Result<HttpResponse, AppError> {
    let mut conn = crate::db::get(&state.pool).await?;
    let items = crate::triage::webhooks::recent(&mut conn, q.limit.unwrap_or(50)).await?;
    Ok(HttpResponse::Ok().json(super::Items::all(items)))
}

async fn list_teams(state: web::Data<AppState>, _a: AdminUser) -> Result<HttpResponse, AppError> {
    let mut conn = crate::db::get(&state.pool).await?;
    Ok(HttpResponse::Ok().json(super::Items::all(teams::all(&mut conn).await?)))
}

async fn save_team(
    state: web::Data<AppState>,
    _a: AdminUser,
    body: web::Json<TeamInput>,
) -> Result<HttpResponse, AppError> {
    let mut conn = crate::db::get(&state.pool).await?;
    let team = teams::upsert(&mut conn, &body, state.clock.now()).await?;
    Ok(HttpResponse::Ok().json(team))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberBody {
    #[serde(default)]
    #[schema(min_length = 1, max_length = 64)]
    username: String,
    /// True takes the person off the team.
    #[serde(default)]
    remove: bool,
}

#[derive(Serialize, ToSchema)]
pub struct Membership {
    pub team: String,
    pub username: String,
    pub member: bool,
}

async fn member(
    state: web::Data<AppState>,
    _a: AdminUser,
    slug: web::Path<String>,
    body: web::Json<MemberBody>,
) -> Result<HttpResponse, AppError> {
    let mut conn = crate::db::get(&state.pool).await?;
    teams::set_member(
        &mut conn,
        &slug,
        &body.username,
        !body.remove,
        state.clock.now(),
    )
    .await?;
    let body = body.into_inner();
    Ok(HttpResponse::Ok().json(Membership {
        team: slug.into_inner(),
        username: body.username,
        member: !body.remove,
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProductTeamBody {
    /// A team slug; null or empty: no team.
    #[schema(max_length = 64)]
    team: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ProductTeam {
    pub product: String,
    pub team: Option<String>,
}

async fn product_team(
    state: web::Data<AppState>,
    _a: AdminUser,
    slug: web::Path<String>,
    body: web::Json<ProductTeamBody>,
) -> Result<HttpResponse, AppError> {
    let mut conn = crate::db::get(&state.pool).await?;
    let team_id = match body.team.as_deref().filter(|t| !t.is_empty()) {
        Some(t) => Some(
            teams::by_slug(&mut conn, t)
                .await?
                .ok_or_else(|| AppError::field("team", "no such team"))?
                .id,
        ),
        None => None,
    };
    if !crate::feedback::products::set_team(&mut conn, &slug, team_id).await? {
        return Err(AppError::NotFound);
    }
    Ok(HttpResponse::Ok().json(ProductTeam {
        product: slug.into_inner(),
        team: body.into_inner().team,
    }))
}

async fn list_rules(state: web::Data<AppState>, me: CurrentUser) -> Result<HttpResponse, AppError> {
    triage_reader(&me)?;
    let mut conn = crate::db::get(&state.pool).await?;
    Ok(HttpResponse::Ok().json(super::Items::all(rules::all(&mut conn).await?)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RulesBody {
    /// In order: the first rule that matches routes an item.
    #[schema(max_items = 200)]
    rules: Vec<RuleInput>,
}

async fn save_rules(
    state: web::Data<AppState>,
    _a: AdminUser,
    body: web::Json<RulesBody>,
) -> Result<HttpResponse, AppError> {
    let mut conn = crate::db::get(&state.pool).await?;
    let saved = rules::replace_all(&mut conn, &body.rules, state.clock.now()).await?;
    Ok(HttpResponse::Ok().json(super::Items::all(saved)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RouteBody {
    /// A team slug.
    #[serde(default)]
    #[schema(min_length = 1, max_length = 64)]
    team: String,
}

#[derive(Serialize, ToSchema)]
pub struct Routed {
    pub topic_id: i64,
    pub team: String,
    pub routed_by: &'static str,
}

async fn reroute(
    state: web::Data<AppState>,
    me: CurrentUser,
    id: web::Path<i64>,
    body: web::Json<RouteBody>,
) -> Result<HttpResponse, AppError> {
    triage_reader(&me)?;
    let mut conn = crate::db::get(&state.pool).await?;
    let team =
        assignment::reroute(&mut conn, &me.0.user, *id, &body.team, state.clock.now()).await?;
    Ok(HttpResponse::Ok().json(Routed {
        topic_id: *id,
        team: team.slug,
        routed_by: "manual",
    }))
}

async fn unrouted(state: web::Data<AppState>, _a: AdminUser) -> Result<HttpResponse, AppError> {
    let mut conn = crate::db::get(&state.pool).await?;
    let items = tq::unrouted(&mut conn, 200).await?;
    Ok(HttpResponse::Ok().json(super::Items::all(items)))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct QueueQuery {
    /// Words to search for, read as site search reads them (the 100 best-matching open items).
    #[param(max_length = 200)]
    q: Option<String>,
    #[param(value_type = Option<tq::Sort>, inline)]
    sort: Option<String>,
    /// A team slug, `mine` or `all`; by default a team member's own teams, every team for staff.
    #[param(max_length = 64)]
    team: Option<String>,
    #[param(value_type = Option<crate::feedback::status::Status>, inline)]
    status: Option<String>,
    /// `bug` or `idea`.
    #[param(value_type = Option<crate::forum::fields::Kind>, inline)]
    kind: Option<String>,
    /// A product slug.
    #[param(max_length = 64)]
    product: Option<String>,
    #[param(value_type = Option<crate::fields::Severity>, inline)]
    severity: Option<String>,
    /// `P0`–`P3`.
    #[param(pattern = "^P[0-3]$")]
    band: Option<String>,
    /// `me` or a username.
    #[param(max_length = 64)]
    assignee: Option<String>,
    /// `1`, `true` or `on`: only items past their first-response deadline.
    #[serde(default)]
    #[param(max_length = 5)]
    overdue: Option<String>,
    /// Created in the last so many days.
    #[param(minimum = 1, maximum = 365)]
    days: Option<i64>,
    /// A view's id (`GET /triage/views`); the other parameters narrow it further.
    #[param(max_length = 40)]
    view: Option<String>,
    /// `next_cursor` of the page before (with the same sort).
    #[param(max_length = 200)]
    cursor: Option<String>,
}

impl QueueQuery {
    fn filters(&self) -> Result<views::Filters, AppError> {
        let text = |v: &Option<String>| v.as_deref().unwrap_or("").trim().to_string();
        Ok(views::Filters {
            q: text(&self.q),
            sort: text(&self.sort),
            team: text(&self.team),
            status: text(&self.status),
            kind: text(&self.kind),
            product: text(&self.product),
            severity: text(&self.severity),
            band: text(&self.band),
            assignee: text(&self.assignee),
            overdue: match self.overdue.as_deref().unwrap_or("") {
                "1" | "true" | "on" => true,
                "" | "0" | "false" | "off" => false,
                _ => return Err(AppError::field("overdue", "true or false")),
            },
            days: self.days,
        })
    }
}

/// Team members see their teams' items by default; staff see every team. Every filter narrows.
async fn queue(
    state: web::Data<AppState>,
    me: CurrentUser,
    q: web::Query<QueueQuery>,
) -> Result<HttpResponse, AppError> {
    triage_reader(&me)?;
    let mut conn = crate::db::get(&state.pool).await?;
    let mut filters = q.filters()?;
    if let Some(view) = q.view.as_deref().filter(|v| !v.is_empty()) {
        filters = views::filters_of(&mut conn, me.0.user.id, view)
            .await?
            .overlay(&filters);
    }
    let reader = crate::access::Reader::of(&mut conn, Some(&me.0.user)).await?;
    let now = state.clock.now();
    let mut filter =
        views::resolve(&mut conn, &state.search, &me.0.user, &reader, &filters, now).await?;
    filter.after = q
        .cursor
        .as_deref()
        .and_then(|c| tq::parse_cursor(filter.sort, c));
    let (items, next) = tq::list(&mut conn, &filter, now).await?;
    Ok(HttpResponse::Ok().json(super::Items {
        items,
        next_cursor: next,
    }))
}

/// The built-in views and the caller's saved ones.
async fn list_views(state: web::Data<AppState>, me: CurrentUser) -> Result<HttpResponse, AppError> {
    triage_reader(&me)?;
    let mut conn = crate::db::get(&state.pool).await?;
    // Built-in views are named in the caller's language (Chinese unless they chose English).
    let lang = me.0.user.locale().unwrap_or(crate::accounts::Locale::ZhCn);
    let theme = state.theme.clone();
    let items = views::list(&mut conn, me.0.user.id, |id| {
        theme.t(lang, &format!("triage.view.{id}"), &[])
    })
    .await?;
    Ok(HttpResponse::Ok().json(super::Items::all(items)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ViewBody {
    #[serde(default)]
    #[schema(min_length = 1, max_length = 60)]
    name: String,
    #[serde(default)]
    #[schema(value_type = views::Filters)]
    filters: serde_json::Value,
}

async fn save_view(
    state: web::Data<AppState>,
    me: CurrentUser,
    body: web::Json<ViewBody>,
) -> Result<HttpResponse, AppError> {
    triage_reader(&me)?;
    let filters = if body.filters.is_null() {
        views::Filters::default()
    } else {
        views::Filters::from_json(body.filters.clone())?
    };
    let mut conn = crate::db::get(&state.pool).await?;
    let view = views::save(
        &mut conn,
        &me.0.user,
        &body.name,
        &filters,
        state.clock.now(),
    )
    .await?;
    Ok(HttpResponse::Created().json(view))
}

async fn delete_view(
    state: web::Data<AppState>,
    me: CurrentUser,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    triage_reader(&me)?;
    let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    let mut conn = crate::db::get(&state.pool).await?;
    views::delete(&mut conn, me.0.user.id, id).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignBody {
    /// A member of the team the item is routed to; empty clears the assignee.
    #[serde(default)]
    #[schema(max_length = 64)]
    username: String,
    /// Why, for the assignee (in their notification) and the audit log.
    #[serde(default)]
    #[schema(max_length = 500)]
    note: String,
}

#[derive(Serialize, ToSchema)]
pub struct Assigned {
    pub topic_id: i64,
    pub assignee: Option<String>,
}

/// Hands an item to a member of its routed team (staff, or a member of that team, may).
async fn assign(
    state: web::Data<AppState>,
    me: CurrentUser,
    id: web::Path<i64>,
    body: web::Json<AssignBody>,
) -> Result<HttpResponse, AppError> {
    triage_reader(&me)?;
    let mut conn = crate::db::get(&state.pool).await?;
    let now = state.clock.now();
    let assignee = diesel_async::AsyncConnection::transaction(&mut conn, async |c| {
        assignment::assign(c, &me.0.user, *id, &body.username, &body.note, now).await
    })
    .await?;
    Ok(HttpResponse::Ok().json(Assigned {
        topic_id: *id,
        assignee,
    }))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct StatsQuery {
    #[param(minimum = 1, maximum = 365)]
    days: Option<i64>,
    #[param(value_type = Option<FormatText>, inline)]
    format: Option<String>,
}

/// `json` or `csv`.
pub struct FormatText;

impl utoipa::PartialSchema for FormatText {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        crate::db::text_enum::choice_schema(&["json", "csv"])
    }
}
impl ToSchema for FormatText {}

/// `?days=30` (1–365); `&format=csv` for a spreadsheet.
async fn stats(
    state: web::Data<AppState>,
    me: CurrentUser,
    q: web::Query<StatsQuery>,
) -> Result<HttpResponse, AppError> {
    triage_reader(&me)?;
    let days = q.days.unwrap_or(30);
    if !(1..=crate::triage::stats::MAX_DAYS).contains(&days) {
        return Err(AppError::field("days", "from 1 to 365"));
    }
    let mut conn = crate::db::get(&state.pool).await?;
    let s = crate::triage::stats::compute(&mut conn, days, state.clock.now()).await?;
    match q.format.as_deref() {
        None | Some("" | "json") => Ok(HttpResponse::Ok().json(s)),
        Some("csv") => Ok(HttpResponse::Ok()
            .content_type("text/csv; charset=utf-8")
            .insert_header((
                "Content-Disposition",
                format!("attachment; filename=\"triage-stats-{days}d.csv\""),
            ))
            .body(crate::triage::stats::to_csv(&s))),
        Some(_) => Err(AppError::field("format", "json or csv")),
    }
}

/// Likely duplicates to merge, from search.
async fn similar(
    state: web::Data<AppState>,
    me: CurrentUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    triage_reader(&me)?;
    let mut conn = crate::db::get(&state.pool).await?;
    let reader = crate::access::Reader::of(&mut conn, Some(&me.0.user)).await?;
    crate::forum::topics::get(&mut conn, *id, &reader).await?;
    let items = crate::triage::similar::for_topic(&mut conn, &state.search, &reader, *id).await?;
    Ok(HttpResponse::Ok().json(super::Items::all(items)))
}
