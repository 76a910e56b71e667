//! `/api/v1/admin/groups` and `/api/v1/admin/boards/{slug}` (PATCH): who may read and post where.

use crate::access::BoardRule;
use crate::accounts::groups::{self, Group, Membership, NewGroup};
use crate::forum::boards::{self, AccessInput};
use crate::web::errors::AppError;
use crate::web::extract::AdminUser;
use crate::web::AppState;
use actix_web::{web, HttpResponse};
use diesel_async::AsyncConnection;
use serde::Deserialize;
use utoipa::ToSchema;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin/groups", web::get().to(list))
        .route("/admin/groups", web::post().to(create))
        .route("/admin/groups/{slug}", web::delete().to(delete))
        .route("/admin/groups/{slug}/members", web::get().to(members))
        .route("/admin/groups/{slug}/members", web::post().to(set_member))
        .route("/admin/boards/{slug}", web::patch().to(set_access));
}

async fn list(state: web::Data<AppState>, _admin: AdminUser) -> Result<HttpResponse, AppError> {
    let mut conn = crate::db::get(&state.pool).await?;
    let all: Vec<Group> = groups::all(&mut conn).await?;
    Ok(HttpResponse::Ok().json(super::Items::all(all)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GroupBody {
    #[schema(
        min_length = 2,
        max_length = 40,
        pattern = "^[a-z0-9][a-z0-9-]*$",
        example = "beta-testers"
    )]
    slug: String,
    #[schema(min_length = 1, max_length = 60, example = "内测组")]
    name_zh: String,
    #[schema(min_length = 1, max_length = 60, example = "Beta testers")]
    name_en: String,
}

async fn create(
    state: web::Data<AppState>,
    admin: AdminUser,
    body: web::Json<GroupBody>,
) -> Result<HttpResponse, AppError> {
    let b = body.into_inner();
    let new = NewGroup::parse(&b.slug, &b.name_zh, &b.name_en).map_err(AppError::invalid)?;
    let mut conn = crate::db::get(&state.pool).await?;
    let now = state.clock.now();
    let g = conn
        .transaction(async |c| groups::create(c, admin.0.user.id, &new, now).await)
        .await?;
    Ok(HttpResponse::Created().json(g))
}

async fn delete(
    state: web::Data<AppState>,
    admin: AdminUser,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let mut conn = crate::db::get(&state.pool).await?;
    let now = state.clock.now();
    conn.transaction(async |c| groups::delete(c, admin.0.user.id, &slug, now).await)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

async fn members(
    state: web::Data<AppState>,
    _admin: AdminUser,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let mut conn = crate::db::get(&state.pool).await?;
    if !groups::exists(&mut conn, &slug).await? {
        return Err(AppError::NotFound);
    }
    let names = groups::members(&mut conn, Some(&slug)).await?;
    Ok(HttpResponse::Ok().json(super::Items::all(names)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = GroupMemberBody)]
pub struct MemberBody {
    #[schema(min_length = 1, max_length = 64, example = "mifan")]
    username: String,
    /// True: take them out.
    #[serde(default)]
    remove: bool,
}

async fn set_member(
    state: web::Data<AppState>,
    admin: AdminUser,
    slug: web::Path<String>,
    body: web::Json<MemberBody>,
) -> Result<HttpResponse, AppError> {
    let b = body.into_inner();
    let mut conn = crate::db::get(&state.pool).await?;
    let now = state.clock.now();
    let m: Membership = conn
        .transaction(async |c| {
            groups::set_member(c, admin.0.user.id, &slug, &b.username, b.remove, now).await
        })
        .await?;
    Ok(HttpResponse::Ok().json(m))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BoardAccessBody {
    #[schema(value_type = crate::access::ReadRule, example = "groups")]
    read: String,
    #[schema(value_type = crate::access::PostRule, example = "groups")]
    post: String,
    /// Group slugs: named groups, `staff`, `team:<slug>` or `level:N`.
    #[serde(default)]
    #[schema(max_items = 20, example = json!(["beta-testers", "team:phones"]))]
    groups: Vec<String>,
    #[schema(minimum = 0, maximum = 10)]
    min_level_read: Option<i16>,
    #[schema(minimum = 0, maximum = 10)]
    min_level_post: Option<i16>,
}

async fn set_access(
    state: web::Data<AppState>,
    admin: AdminUser,
    slug: web::Path<String>,
    body: web::Json<BoardAccessBody>,
) -> Result<HttpResponse, AppError> {
    let b = body.into_inner();
    let input = AccessInput::parse(
        &b.read,
        &b.post,
        &b.groups,
        b.min_level_read,
        b.min_level_post,
    )
    .map_err(AppError::invalid)?;
    let mut conn = crate::db::get(&state.pool).await?;
    let now = state.clock.now();
    let rule: BoardRule = conn
        .transaction(async |c| boards::set_access(c, admin.0.user.id, &slug, &input, now).await)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(HttpResponse::Ok().json(rule))
}
