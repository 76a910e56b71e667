//! Triage set-up and routing: `/api/v1/admin/teams`, `/api/v1/triage/rules`, manual reroutes,
//! the unrouted inbox. (The priority queue, SLAs and analytics are to come.)

use crate::accounts::Role;
use crate::triage::rules::{self, RuleInput};
use crate::triage::teams::{self, TeamInput};
use crate::triage::{assignment, queue as tq};
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
        .route("/triage/items/{id}/assign", web::post().to(assign));
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
    /// A team slug.
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
    /// A username.
    #[param(max_length = 64)]
    assignee: Option<String>,
    /// `1`, `true` or `on`: only items past their first-response deadline.
    #[serde(default)]
    #[param(max_length = 5)]
    overdue: Option<String>,
    /// `next_cursor` of the page before.
    #[param(max_length = 200)]
    cursor: Option<String>,
}

/// Team members see their teams' items by default; staff see every team. `team=` narrows.
async fn queue(
    state: web::Data<AppState>,
    me: CurrentUser,
    q: web::Query<QueueQuery>,
) -> Result<HttpResponse, AppError> {
    triage_reader(&me)?;
    let mut conn = crate::db::get(&state.pool).await?;
    let nonempty = |v: &Option<String>| v.clone().filter(|s| !s.trim().is_empty());
    let teams = match nonempty(&q.team) {
        Some(slug) => Some(vec![
            teams::by_slug(&mut conn, &slug)
                .await?
                .ok_or_else(|| AppError::field("team", "no such team"))?
                .id,
        ]),
        None if me.0.user.role() == Role::TeamMember => {
            Some(teams::of_user(&mut conn, me.0.user.id).await?)
        }
        None => None,
    };
    let status = tq::parse_status(q.status.as_deref().unwrap_or(""))
        .map_err(|e| AppError::invalid(vec![e]))?;
    let kind =
        tq::parse_kind(q.kind.as_deref().unwrap_or("")).map_err(|e| AppError::invalid(vec![e]))?;
    let assignee_id = match nonempty(&q.assignee) {
        Some(name) => Some(
            crate::accounts::users::by_username(&mut conn, &name)
                .await?
                .ok_or_else(|| AppError::field("assignee", "no such user"))?
                .id,
        ),
        None => None,
    };
    let filter = tq::Filter {
        teams,
        status,
        kind,
        product: nonempty(&q.product),
        assignee_id,
        overdue: matches!(q.overdue.as_deref(), Some("1" | "true" | "on")),
        after: q.cursor.as_deref().and_then(tq::parse_cursor),
        closed_boards: crate::access::Reader::of(&mut conn, Some(&me.0.user))
            .await?
            .closed_board_ids(),
    };
    let (items, next) = tq::list(&mut conn, &filter, state.clock.now()).await?;
    Ok(HttpResponse::Ok().json(super::Items {
        items,
        next_cursor: next,
    }))
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
