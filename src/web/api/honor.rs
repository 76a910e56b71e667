//! `/api/v1/users/{username}`, `/api/v1/honor/...`, the daily check-in, admin-granted titles.

use crate::honor::leaderboard::{self, Period};
use crate::honor::{medals, profile};
use crate::web::errors::AppError;
use crate::web::extract::{AdminUser, ClientIp, VerifiedUser, Viewer};
use crate::web::AppState;
use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::json;

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
    let p = profile::by_username(&mut conn, &username)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(HttpResponse::Ok().json(p))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BoardQuery {
    #[serde(default)]
    period: String,
    board: Option<String>,
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
    let rows = leaderboard::top(&mut conn, period, board, state.clock.now())
        .await?
        .ok_or_else(|| AppError::field("board", "no such board"))?;
    Ok(
        HttpResponse::Ok()
            .json(json!({ "period": period.as_str(), "board": board, "items": rows })),
    )
}

async fn medal_list() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "items": medals::MEDALS }))
}

async fn checkin(state: web::Data<AppState>, me: VerifiedUser) -> Result<HttpResponse, AppError> {
    let mut conn = crate::db::get(&state.pool).await?;
    let counted = crate::honor::check_in(
        &mut conn,
        &state.settings.honor,
        &me.0.user,
        state.clock.now(),
    )
    .await?;
    let honor: i32 = {
        use crate::db::schema::users;
        use diesel::prelude::*;
        use diesel_async::RunQueryDsl;
        users::table
            .find(me.0.user.id)
            .select(users::honor)
            .first(&mut conn)
            .await?
    };
    Ok(HttpResponse::Ok().json(json!({ "checked_in": counted, "honor": honor })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TitleBody {
    /// Empty removes the title.
    #[serde(default)]
    title: String,
}

async fn grant_title(
    state: web::Data<AppState>,
    admin: AdminUser,
    ip: ClientIp,
    username: web::Path<String>,
    body: web::Json<TitleBody>,
) -> Result<HttpResponse, AppError> {
    use crate::db::schema::users;
    use diesel::prelude::*;
    use diesel_async::RunQueryDsl;
    let title: String = body
        .title
        .trim()
        .chars()
        .filter(|c| !c.is_control())
        .collect();
    if title.chars().count() > 30 {
        return Err(AppError::field("title", "at most 30 characters"));
    }
    let mut conn = crate::db::get(&state.pool).await?;
    let target = crate::accounts::users::by_username(&mut conn, &username)
        .await?
        .ok_or(AppError::NotFound)?;
    let value = (!title.is_empty()).then_some(title.clone());
    diesel::update(users::table.find(target.id))
        .set(users::title.eq(&value))
        .execute(&mut conn)
        .await?;
    crate::audit::record(
        &mut conn,
        crate::audit::Entry {
            actor_id: Some(admin.0.user.id),
            action: "grant_title",
            target_user_id: Some(target.id),
            before: Some(json!({ "title": target.title })),
            after: Some(json!({ "title": value })),
            actor_ip: Some(&ip.0),
            ..Default::default()
        },
        state.clock.now(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(json!({ "username": target.username, "title": value })))
}
