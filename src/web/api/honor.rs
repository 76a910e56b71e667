//! `/api/v1/users/{username}`, `/api/v1/honor/...`, the daily check-in, admin-granted titles.

use crate::honor::leaderboard::{self, Period};
use crate::honor::{medals, profile};
use crate::web::errors::AppError;
use crate::web::extract::{AdminUser, ClientIp, VerifiedUser, Viewer};
use crate::web::AppState;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/users/{username}", web::get().to(user))
        .route("/honor/leaderboard", web::get().to(board))
        .route("/honor/medals", web::get().to(medal_list))
        .route("/me/checkin", web::post().to(checkin))
        .route("/admin/users/{username}/title", web::post().to(grant_title));
}

async fn user(
    state: web::Data<AppState>,
    viewer: Viewer,
    username: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let mut conn = crate::db::get(state.read_pool(&viewer)).await?;
    let reader = crate::access::Reader::of(&mut conn, viewer.0.as_ref().map(|a| &a.user)).await?;
    let p = profile::by_username(&mut conn, &reader, &username)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(HttpResponse::Ok().json(p))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct BoardQuery {
    /// `week` (the default), `month` or `all`.
    #[serde(default)]
    #[param(value_type = Option<PeriodText>, inline)]
    period: String,
    /// A board slug: points earned there.
    #[param(max_length = 64)]
    board: Option<String>,
}

/// `week`, `month` or `all`.
pub struct PeriodText;

impl utoipa::PartialSchema for PeriodText {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        crate::db::text_enum::choice_schema(&["week", "month", "all"])
    }
}
impl ToSchema for PeriodText {}

#[derive(Serialize, ToSchema)]
pub struct Leaderboard {
    pub period: &'static str,
    pub board: Option<String>,
    pub items: Vec<leaderboard::Row>,
}

#[derive(Serialize, ToSchema)]
pub struct Titled {
    pub username: String,
    pub title: Option<String>,
}

async fn board(
    state: web::Data<AppState>,
    viewer: Viewer,
    q: web::Query<BoardQuery>,
) -> Result<HttpResponse, AppError> {
    let period = Period::parse(&q.period)
        .ok_or_else(|| AppError::field("period", "must be week, month or all"))?;
    let board = q.board.as_deref().filter(|b| !b.is_empty());
    let mut conn = crate::db::get(state.read_pool(&viewer)).await?;
    let reader = crate::access::Reader::of(&mut conn, viewer.0.as_ref().map(|a| &a.user)).await?;
    let rows = leaderboard::top(&mut conn, &reader, period, board, state.clock.now())
        .await?
        .ok_or_else(|| AppError::field("board", "no such board"))?;
    Ok(HttpResponse::Ok().json(Leaderboard {
        period: period.as_str(),
        board: board.map(str::to_string),
        items: rows,
    }))
}

async fn medal_list() -> HttpResponse {
    HttpResponse::Ok().json(super::Items::all(medals::MEDALS.iter().collect()))
}

async fn checkin(state: web::Data<AppState>, me: VerifiedUser) -> Result<HttpResponse, AppError> {
    let mut conn = crate::db::get(&state.pool).await?;
    let done = crate::honor::check_in(
        &mut conn,
        &state.settings.honor,
        &me.0.user,
        state.clock.now(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(done))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TitleBody {
    /// Empty removes the title.
    #[serde(default)]
    #[schema(max_length = 30)]
    title: String,
}

async fn grant_title(
    state: web::Data<AppState>,
    admin: AdminUser,
    ip: ClientIp,
    username: web::Path<String>,
    body: web::Json<TitleBody>,
) -> Result<HttpResponse, AppError> {
    let title = crate::honor::titles::parse(&body.title).map_err(|e| AppError::invalid(vec![e]))?;
    let mut conn = crate::db::get(&state.pool).await?;
    let target = crate::accounts::users::by_username(&mut conn, &username)
        .await?
        .ok_or(AppError::NotFound)?;
    crate::honor::titles::grant(
        &mut conn,
        admin.0.user.id,
        &ip.0,
        &target,
        title.clone(),
        state.clock.now(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(Titled {
        username: target.username,
        title,
    }))
}
