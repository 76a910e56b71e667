//! `/api/v1/programmes` and `/api/v1/admin/programmes`: closed betas (内测).

use crate::programmes::applications::{self, AppStatus, Apply};
use crate::programmes::{self as prog, NewProgramme, Programme};
use crate::web::errors::AppError;
use crate::web::extract::{self, AdminUser, CurrentUser, Viewer};
use crate::web::AppState;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use diesel_async::AsyncConnection;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/programmes", web::get().to(list))
        .route("/admin/programmes", web::post().to(create))
        .route("/programmes/{slug}/applications", web::post().to(apply))
        .route(
            "/programmes/{slug}/applications",
            web::get().to(applications_list),
        )
        .route(
            "/programmes/{slug}/applications/{id}",
            web::post().to(decide),
        )
        .route("/programmes/{slug}/membership", web::delete().to(leave))
        .route("/programmes/{slug}/testers", web::get().to(testers));
}

async fn list(
    state: web::Data<AppState>,
    req: HttpRequest,
    viewer: Viewer,
) -> Result<HttpResponse, AppError> {
    let locale = extract::locale_for(&req, &viewer);
    let mut conn = crate::db::get(&state.pool).await?;
    let user = viewer.0.as_ref().map(|a| &a.user);
    let items = prog::list(&mut conn, user, state.clock.now(), locale).await?;
    Ok(HttpResponse::Ok().json(super::Items::all(items)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProgrammeBody {
    #[schema(
        min_length = 2,
        max_length = 40,
        pattern = "^[a-z0-9][a-z0-9-]*$",
        example = "chorus-15-beta"
    )]
    slug: String,
    #[schema(min_length = 1, max_length = 60, example = "Chorus 15 内测")]
    name_zh: String,
    #[schema(min_length = 1, max_length = 60, example = "Chorus 15 beta")]
    name_en: String,
    /// The board the testers will read (it becomes private to them, the product's team and staff).
    #[schema(max_length = 64, example = "beta-lab")]
    board: String,
    #[schema(max_length = 64, example = "chorus-14")]
    product: String,
    #[schema(min_length = 1, max_length = 20000)]
    terms_md: String,
    #[schema(minimum = 1, maximum = 10)]
    min_level: Option<i16>,
    #[schema(minimum = 0)]
    min_honor: Option<i32>,
    #[schema(minimum = 0, maximum = 3650)]
    min_account_days: Option<i32>,
    #[schema(minimum = 1)]
    quota: Option<i32>,
    opens_at: Option<DateTime<Utc>>,
    closes_at: Option<DateTime<Utc>>,
}

#[derive(Serialize, ToSchema)]
pub struct ProgrammeCreated {
    pub slug: String,
    pub board: String,
    pub terms_version: i32,
}

async fn create(
    state: web::Data<AppState>,
    admin: AdminUser,
    body: web::Json<ProgrammeBody>,
) -> Result<HttpResponse, AppError> {
    let b = body.into_inner();
    let new = NewProgramme {
        slug: b.slug.trim().to_ascii_lowercase(),
        name_zh: b.name_zh.trim().to_string(),
        name_en: b.name_en.trim().to_string(),
        board: b.board.trim().to_string(),
        product: b.product.trim().to_string(),
        terms_md: b.terms_md,
        min_level: b.min_level.unwrap_or(1),
        min_honor: b.min_honor.unwrap_or(0),
        min_account_days: b.min_account_days.unwrap_or(0),
        quota: b.quota,
        opens_at: b.opens_at,
        closes_at: b.closes_at,
    };
    let mut conn = crate::db::get(&state.pool).await?;
    let now = state.clock.now();
    let p: Programme = conn
        .transaction(async |c| prog::create(c, admin.0.user.id, &new, now).await)
        .await?;
    Ok(HttpResponse::Created().json(ProgrammeCreated {
        slug: p.slug,
        board: new.board,
        terms_version: p.terms_version,
    }))
}

async fn programme(conn: &mut crate::db::Conn, slug: &str) -> Result<Programme, AppError> {
    prog::by_slug(conn, slug).await?.ok_or(AppError::NotFound)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplyBody {
    #[schema(min_length = 1, max_length = 80, example = "Chorus 14 Pro")]
    device: String,
    #[schema(min_length = 1, max_length = 80, example = "ChorusOS 2.0.1")]
    os_version: String,
    #[schema(min_length = 1, max_length = 1000)]
    reason: String,
    /// Must be true.
    accept_terms: bool,
    /// The terms version read (GET /programmes); an old one is refused.
    terms_version: Option<i32>,
}

#[derive(Serialize, ToSchema)]
#[schema(as = ProgrammeApplied)]
pub struct Applied {
    pub id: i64,
    pub status: AppStatus,
}

async fn apply(
    state: web::Data<AppState>,
    req: HttpRequest,
    viewer: Viewer,
    me: CurrentUser,
    slug: web::Path<String>,
    body: web::Json<ApplyBody>,
) -> Result<HttpResponse, AppError> {
    let locale = extract::locale_for(&req, &viewer);
    let b = body.into_inner();
    let mut conn = crate::db::get(&state.pool).await?;
    let p = programme(&mut conn, &slug).await?;
    let now = state.clock.now();
    let a = Apply {
        device: &b.device,
        os_version: &b.os_version,
        reason: &b.reason,
        accept_terms: b.accept_terms,
        terms_version: b.terms_version,
    };
    let id = conn
        .transaction(async |c| applications::apply(c, &p, &me.0.user, &a, now, locale).await)
        .await?;
    Ok(HttpResponse::Created().json(Applied {
        id,
        status: AppStatus::Pending,
    }))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct StatusQuery {
    #[param(value_type = Option<AppStatus>, inline)]
    status: Option<String>,
}

/// Staff and the product's team; everyone else gets 404.
async fn reviewer(
    conn: &mut crate::db::Conn,
    me: &CurrentUser,
    slug: &str,
) -> Result<Programme, AppError> {
    let p = programme(conn, slug).await?;
    if !applications::may_review(conn, &p, &me.0.user).await? {
        return Err(AppError::NotFound);
    }
    Ok(p)
}

async fn applications_list(
    state: web::Data<AppState>,
    me: CurrentUser,
    slug: web::Path<String>,
    q: web::Query<StatusQuery>,
) -> Result<HttpResponse, AppError> {
    let status = match q.status.as_deref().filter(|s| !s.is_empty()) {
        Some(s) => Some(AppStatus::from_text(s).ok_or_else(|| {
            AppError::field("status", "pending, approved, rejected, left or removed")
        })?),
        None => None,
    };
    let mut conn = crate::db::get(&state.pool).await?;
    let p = reviewer(&mut conn, &me, &slug).await?;
    let items = applications::list(&mut conn, &p, status).await?;
    Ok(HttpResponse::Ok().json(super::Items::all(items)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ApplicationDecisionBody)]
pub struct DecisionBody {
    #[schema(value_type = DecisionText, example = "approve")]
    decision: String,
    #[serde(default)]
    #[schema(max_length = 1000)]
    note: String,
}

/// `approve` or `reject`.
pub struct DecisionText;

impl utoipa::PartialSchema for DecisionText {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        crate::db::text_enum::choice_schema(&["approve", "reject"])
    }
}
impl ToSchema for DecisionText {}

#[derive(Serialize, ToSchema)]
#[schema(as = ApplicationDecided)]
pub struct Decided {
    pub id: i64,
    pub status: AppStatus,
}

async fn decide(
    state: web::Data<AppState>,
    me: CurrentUser,
    path: web::Path<(String, i64)>,
    body: web::Json<DecisionBody>,
) -> Result<HttpResponse, AppError> {
    let (slug, id) = path.into_inner();
    let approve = match body.decision.as_str() {
        "approve" => true,
        "reject" => false,
        _ => return Err(AppError::field("decision", "approve or reject")),
    };
    let mut conn = crate::db::get(&state.pool).await?;
    let p = reviewer(&mut conn, &me, &slug).await?;
    let now = state.clock.now();
    let status = conn
        .transaction(async |c| {
            applications::decide(
                c,
                &state.mailer,
                &p,
                &me.0.user,
                id,
                (approve, &body.note),
                now,
            )
            .await
        })
        .await?;
    Ok(HttpResponse::Ok().json(Decided { id, status }))
}

async fn leave(
    state: web::Data<AppState>,
    me: CurrentUser,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let mut conn = crate::db::get(&state.pool).await?;
    let p = programme(&mut conn, &slug).await?;
    conn.transaction(async |c| {
        applications::end_membership(c, &p, me.0.user.id, AppStatus::Left).await
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The approved testers as CSV, for staff and the product's team.
async fn testers(
    state: web::Data<AppState>,
    me: CurrentUser,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let mut conn = crate::db::get(&state.pool).await?;
    let p = reviewer(&mut conn, &me, &slug).await?;
    let csv = applications::testers_csv(&mut conn, &p).await?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"{}-testers.csv\"", p.slug),
        ))
        .body(csv))
}
