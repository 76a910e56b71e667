//! `/api/v1/search`.

use crate::access::Reader;
use crate::search::query::{self, SearchParams, SearchSort};
use crate::web::errors::AppError;
use crate::web::extract::{SearchQuota, Viewer};
use crate::web::AppState;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/search", web::get().to(search))
        .route("/search/similar", web::get().to(similar))
        .route("/admin/reindex", web::post().to(reindex));
}

/// Rebuilds this node's index from PostgreSQL into a new generation while it keeps serving, then
/// swaps it in (`chorus reindex` does the same from outside the server).
async fn reindex(
    state: web::Data<AppState>,
    _admin: crate::web::extract::AdminUser,
) -> Result<HttpResponse, AppError> {
    let started = std::time::Instant::now();
    let n = state.search.reindex(&state.pool).await?;
    Ok(HttpResponse::Ok().json(Reindexed {
        indexed: n,
        seconds: started.elapsed().as_secs_f64(),
    }))
}

#[derive(Serialize, ToSchema)]
pub struct Reindexed {
    /// Posts written into the new generation.
    pub indexed: usize,
    pub seconds: f64,
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SimilarQuery {
    #[serde(default)]
    #[param(max_length = 300)]
    title: String,
    #[serde(default)]
    #[param(max_length = 2000)]
    body: String,
    /// A board slug: its topics rank higher.
    #[param(max_length = 64)]
    board: Option<String>,
    #[param(max_length = 64)]
    product: Option<String>,
}

/// Likely duplicates while composing: at most 5.
async fn similar(
    state: web::Data<AppState>,
    viewer: Viewer,
    _quota: SearchQuota,
    q: web::Query<SimilarQuery>,
) -> Result<HttpResponse, AppError> {
    let q = q.into_inner();
    let mut conn = crate::db::get(&state.pool).await?;
    let reader = Reader::of(&mut conn, viewer.0.as_ref().map(|a| &a.user)).await?;
    let closed = reader.closed_board_slugs();
    let items = state
        .search
        .read(move |index| {
            query::similar(
                index,
                &q.title,
                &q.body,
                q.board.as_deref(),
                q.product.as_deref(),
                &closed,
            )
        })
        .await?;
    let ids: Vec<i64> = items.iter().map(|i| i.topic_id).collect();
    let visible = crate::search::visibility::keep_visible_topics(&mut conn, &reader, &ids).await?;
    let items: Vec<_> = items
        .into_iter()
        .filter(|i| visible.contains(&i.topic_id))
        .collect();
    Ok(HttpResponse::Ok().json(crate::web::api::Items::all(items)))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SearchQuery {
    /// Words, Chinese or English; `"quoted phrases"` match exactly.
    #[serde(default)]
    #[param(max_length = 200)]
    q: String,
    #[param(value_type = Option<crate::forum::fields::Kind>, inline)]
    kind: Option<String>,
    /// A board slug.
    #[param(max_length = 64)]
    board: Option<String>,
    #[param(max_length = 64)]
    product: Option<String>,
    #[param(value_type = Option<crate::feedback::status::Status>, inline)]
    status: Option<String>,
    /// A username.
    #[param(max_length = 64)]
    author: Option<String>,
    #[param(value_type = Option<SortText>, inline)]
    sort: Option<String>,
    #[param(minimum = 1, maximum = 100)]
    page: Option<usize>,
}

/// `relevance`, `new` or `votes`.
pub struct SortText;

impl utoipa::PartialSchema for SortText {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        crate::db::text_enum::choice_schema(&["relevance", "new", "votes"])
    }
}
impl ToSchema for SortText {}

async fn search(
    state: web::Data<AppState>,
    viewer: Viewer,
    _quota: SearchQuota,
    q: web::Query<SearchQuery>,
) -> Result<HttpResponse, AppError> {
    let q = q.into_inner();
    let sort = match q.sort.as_deref().unwrap_or("relevance") {
        "" | "relevance" => SearchSort::Relevance,
        "new" => SearchSort::New,
        "votes" => SearchSort::Votes,
        _ => return Err(AppError::field("sort", "must be relevance, new or votes")),
    };
    let mut conn = crate::db::get(&state.pool).await?;
    let reader = Reader::of(&mut conn, viewer.0.as_ref().map(|a| &a.user)).await?;
    let params = SearchParams {
        q: q.q,
        kind: q.kind,
        board: q.board,
        product: q.product,
        status: q.status,
        author: q.author,
        sort,
        page: q.page.unwrap_or(1),
        closed_boards: reader.closed_board_slugs(),
    };
    let mut results = state
        .search
        .read(move |index| query::search(index, &params))
        .await?;
    results.hits =
        crate::search::visibility::keep_visible(&mut conn, &reader, results.hits).await?;
    Ok(HttpResponse::Ok().json(results))
}
