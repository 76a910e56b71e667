//! `/api/v1` boards, topics, posts, likes, subscriptions.

use crate::access::Reader;
use crate::accounts::Locale;
use crate::feedback::bugs::BugInput;
use crate::forum::fields::{self, Body, Cursor, Kind, Sort, Tags};
use crate::forum::{boards, likes, listing, posts, subscriptions, thread, topics};
use crate::posting::{NewTopic, TopicInput};
use crate::web::errors::AppError;
use crate::web::extract::{self, AdminUser, CurrentUser, VerifiedUser, Viewer};
use crate::web::AppState;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, PartialSchema, ToSchema};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/boards", web::get().to(list_boards))
        .route("/boards/{slug}/topics", web::get().to(board_topics))
        .route("/boards/{slug}/follow", web::put().to(follow))
        .route("/boards/{slug}/follow", web::delete().to(unfollow))
        .route("/topics", web::get().to(all_topics))
        .route("/topics", web::post().to(create_topic))
        .route("/topics/{id}", web::get().to(get_topic))
        .route("/topics/{id}/posts", web::post().to(reply))
        .route("/topics/{id}/subscription", web::put().to(subscribe))
        .route("/topics/{id}/subscription", web::delete().to(unsubscribe))
        .route("/posts/{id}", web::patch().to(edit_post))
        .route("/posts/{id}", web::delete().to(withdraw_post))
        .route("/posts/{id}/revisions", web::get().to(revisions))
        .route("/posts/{id}/like", web::put().to(like))
        .route("/posts/{id}/like", web::delete().to(unlike))
        .route("/admin/boards", web::post().to(upsert_board));
}

/// A board, named in the viewer's language (both names too).
#[derive(Serialize, ToSchema)]
pub struct BoardView {
    pub slug: String,
    pub name: String,
    pub description: String,
    pub name_zh: String,
    pub name_en: String,
    pub kinds: Vec<Kind>,
    pub position: i32,
    pub product_line: Option<String>,
    /// Who may read it (anything but `public` is a closed board: a lock in lists).
    pub read: crate::access::ReadRule,
    pub post: crate::access::PostRule,
}

impl BoardView {
    pub fn of(b: &boards::Board, locale: Locale) -> Self {
        BoardView {
            slug: b.slug.clone(),
            name: b.name(locale).to_string(),
            description: b.description(locale).to_string(),
            name_zh: b.name_zh.clone(),
            name_en: b.name_en.clone(),
            kinds: b.kinds.clone(),
            position: b.position,
            product_line: b.product_line.clone(),
            read: b.read_rule,
            post: b.post_rule,
        }
    }
}

async fn list_boards(
    state: web::Data<AppState>,
    req: HttpRequest,
    viewer: Viewer,
) -> Result<HttpResponse, AppError> {
    let locale = extract::locale_for(&req, &viewer);
    let mut conn = crate::db::get(&state.pool).await?;
    let reader = Reader::of(&mut conn, viewer.0.as_ref().map(|a| &a.user)).await?;
    let all = boards::readable(&mut conn, &reader).await?;
    Ok(HttpResponse::Ok().json(
        all.iter()
            .map(|b| BoardView::of(b, locale))
            .collect::<Vec<_>>(),
    ))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    #[param(value_type = Option<Sort>, inline)]
    sort: Option<String>,
    /// `next_cursor` of the page before.
    #[param(max_length = 200)]
    cursor: Option<String>,
    #[param(value_type = Option<Kind>, inline)]
    kind: Option<String>,
    #[param(value_type = Option<crate::feedback::status::Status>, inline)]
    status: Option<String>,
    #[param(minimum = 1, maximum = 100)]
    limit: Option<i64>,
}

async fn list(
    state: &AppState,
    viewer: &Viewer,
    board_id: Option<i64>,
    q: &ListQuery,
) -> Result<HttpResponse, AppError> {
    let sort = Sort::parse(q.sort.as_deref()).map_err(|e| AppError::invalid(vec![e]))?;
    let cursor = match q.cursor.as_deref().filter(|c| !c.is_empty()) {
        Some(c) => Some(Cursor::parse(c, sort).map_err(|e| AppError::invalid(vec![e]))?),
        None => None,
    };
    let kind = match q.kind.as_deref().filter(|k| !k.is_empty()) {
        Some(k) => Some(Kind::parse(k).map_err(|e| AppError::invalid(vec![e]))?),
        None => None,
    };
    let status = match q.status.as_deref().filter(|s| !s.is_empty()) {
        Some(s) => Some(
            crate::feedback::status::Status::parse(s).map_err(|e| AppError::invalid(vec![e]))?,
        ),
        None => None,
    };
    let limit = q.limit.unwrap_or(30).clamp(1, 100);
    let mut conn = crate::db::get(state.read_pool(viewer)).await?;
    let reader = Reader::of(&mut conn, viewer.0.as_ref().map(|a| &a.user)).await?;
    let filter = listing::Filter {
        board_id,
        kind,
        pinned_only: false,
        status,
    };
    let page = listing::page(&mut conn, &reader, &filter, sort, cursor, limit).await?;
    Ok(HttpResponse::Ok().json(super::Items {
        items: page.items,
        next_cursor: page.next,
    }))
}

async fn board_topics(
    state: web::Data<AppState>,
    viewer: Viewer,
    slug: web::Path<String>,
    q: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let mut conn = crate::db::get(state.read_pool(&viewer)).await?;
    let reader = Reader::of(&mut conn, viewer.0.as_ref().map(|a| &a.user)).await?;
    let board = boards::by_slug(&mut conn, &slug, &reader)
        .await?
        .ok_or(AppError::NotFound)?;
    drop(conn);
    list(&state, &viewer, Some(board.id), &q).await
}

async fn all_topics(
    state: web::Data<AppState>,
    viewer: Viewer,
    q: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    list(&state, &viewer, None, &q).await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTopicBody {
    /// A board slug (`GET /boards`).
    #[schema(min_length = 1, max_length = 64, example = "tips")]
    board: String,
    #[schema(value_type = Kind, inline, example = "discussion")]
    kind: String,
    #[schema(min_length = 1, max_length = 150, example = "夜景拍摄技巧 Night shots")]
    title: String,
    /// Markdown.
    #[schema(
        min_length = 1,
        max_length = 50000,
        example = "Use **pro mode** and a 2 s timer."
    )]
    body: String,
    #[serde(default)]
    #[schema(max_items = 5)]
    tags: Vec<String>,
    /// Required for a bug report.
    bug: Option<BugInput>,
    /// An idea's product slug.
    #[schema(max_length = 64)]
    product: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct TopicCreated {
    pub id: i64,
    pub post_id: i64,
}

async fn create_topic(
    state: web::Data<AppState>,
    me: VerifiedUser,
    body: web::Json<NewTopicBody>,
) -> Result<HttpResponse, AppError> {
    let b = body.into_inner();
    let new = NewTopic::parse(TopicInput {
        board: &b.board,
        kind: &b.kind,
        title: &b.title,
        body: &b.body,
        tags: Tags::parse(&b.tags),
        bug: b.bug.as_ref(),
        product: b.product.as_deref(),
    })
    .map_err(AppError::invalid)?;
    let mut conn = crate::db::get(&state.pool).await?;
    let created = crate::posting::create_topic(
        &mut conn,
        &state.settings,
        &me.0.user,
        new,
        state.clock.now(),
    )
    .await?;
    Ok(HttpResponse::Created().json(TopicCreated {
        id: created.topic_id,
        post_id: created.post_id,
    }))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CursorQuery {
    /// `next_cursor` of the page before.
    #[param(max_length = 200)]
    cursor: Option<String>,
}

/// A topic with a page of its posts, and, for bug reports and ideas, its feedback side (votes,
/// bug fields, statuses...) at the same level.
#[derive(Serialize)]
pub struct TopicView {
    #[serde(flatten)]
    pub topic: TopicCore,
    #[serde(flatten)]
    pub feedback: Option<crate::feedback::view::FeedbackView>,
}

#[derive(Serialize, ToSchema)]
pub struct TopicCore {
    pub id: i64,
    pub board: BoardView,
    pub kind: Kind,
    pub title: String,
    pub tags: Vec<String>,
    pub status: crate::feedback::status::Status,
    pub featured: bool,
    pub pinned: bool,
    pub locked: bool,
    pub author: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub reply_count: i32,
    pub like_count: i32,
    pub subscribed: bool,
    pub posts: Vec<thread::PostView>,
    pub next_cursor: Option<String>,
}

// By hand: a flattened `Option` would derive as "null or the feedback object", which an object
// with the topic's own fields never is. The feedback fields are there or not, all together.
impl utoipa::PartialSchema for TopicView {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{AllOfBuilder, Ref};
        let mut feedback = crate::feedback::view::FeedbackView::schema();
        if let utoipa::openapi::RefOr::T(utoipa::openapi::Schema::Object(o)) = &mut feedback {
            o.required.clear();
        }
        AllOfBuilder::new()
            .item(Ref::from_schema_name(TopicCore::name()))
            .item(feedback)
            .into()
    }
}

impl ToSchema for TopicView {
    fn schemas(
        schemas: &mut Vec<(
            String,
            utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>,
        )>,
    ) {
        TopicCore::schemas(schemas);
        schemas.push((TopicCore::name().into(), TopicCore::schema()));
        crate::feedback::view::FeedbackView::schemas(schemas);
    }
}

async fn get_topic(
    state: web::Data<AppState>,
    req: HttpRequest,
    viewer: Viewer,
    id: web::Path<i64>,
    q: web::Query<CursorQuery>,
) -> Result<HttpResponse, AppError> {
    let after = match q.cursor.as_deref().filter(|c| !c.is_empty()) {
        Some(c) => Some(fields::parse_path_cursor(c).map_err(|e| AppError::invalid(vec![e]))?),
        None => None,
    };
    let mut conn = crate::db::get(state.read_pool(&viewer)).await?;
    let reader = Reader::of(&mut conn, viewer.0.as_ref().map(|a| &a.user)).await?;
    let (topic, board, author) = topics::get(&mut conn, *id, &reader).await?;
    let page = thread::page(
        &mut conn,
        topic.id,
        None,
        after.as_deref(),
        thread::PAGE_SIZE,
        &reader,
    )
    .await?;
    let subscribed = match reader.user_id {
        Some(uid) => subscriptions::is_subscribed(&mut conn, topic.id, uid).await?,
        None => false,
    };
    let locale = extract::locale_for(&req, &viewer);
    let extra =
        crate::feedback::view::of(&mut conn, &topic, viewer.0.as_ref().map(|a| &a.user)).await?;
    Ok(HttpResponse::Ok().json(TopicView {
        topic: TopicCore {
            id: topic.id,
            board: BoardView::of(&board, locale),
            kind: topic.kind,
            title: topic.title,
            tags: topic.tags,
            status: topic.status,
            featured: topic.featured,
            pinned: topic.pinned,
            locked: topic.locked,
            author,
            created_at: topic.created_at,
            reply_count: topic.reply_count,
            like_count: topic.like_count,
            subscribed,
            posts: page.posts,
            next_cursor: page.next.map(|p| fields::encode_path_cursor(&p)),
        },
        feedback: extra,
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplyBody {
    /// Markdown.
    #[schema(min_length = 1, max_length = 50000, example = "同意，我也遇到过。")]
    body: String,
    /// The post this answers, in the same topic.
    parent_id: Option<i64>,
}

async fn reply(
    state: web::Data<AppState>,
    me: VerifiedUser,
    id: web::Path<i64>,
    body: web::Json<ReplyBody>,
) -> Result<HttpResponse, AppError> {
    let text = Body::parse(&body.body).map_err(|e| AppError::invalid(vec![e]))?;
    let mut conn = crate::db::get(&state.pool).await?;
    let placed = crate::posting::reply(
        &mut conn,
        &state.settings,
        &me.0.user,
        *id,
        body.parent_id,
        &text,
        state.clock.now(),
    )
    .await?;
    Ok(HttpResponse::Created().json(placed))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EditBody {
    #[schema(
        min_length = 1,
        max_length = 50000,
        example = "Edited: works on 2.0.3 too."
    )]
    body: String,
}

#[derive(Serialize, ToSchema)]
pub struct EditedPost {
    pub id: i64,
    pub parent_id: Option<i64>,
    pub depth: i32,
    pub body_html: String,
    pub edited_at: Option<chrono::DateTime<chrono::Utc>>,
}

#[derive(Serialize, ToSchema)]
pub struct LikeCount {
    pub like_count: i32,
}

async fn edit_post(
    state: web::Data<AppState>,
    me: VerifiedUser,
    id: web::Path<i64>,
    body: web::Json<EditBody>,
) -> Result<HttpResponse, AppError> {
    let text = Body::parse(&body.body).map_err(|e| AppError::invalid(vec![e]))?;
    let mut conn = crate::db::get(&state.pool).await?;
    let post = crate::posting::edit(&mut conn, &me.0.user, *id, &text, state.clock.now()).await?;
    Ok(HttpResponse::Ok().json(EditedPost {
        id: post.id,
        parent_id: post.parent_id,
        depth: post.depth,
        body_html: post.body_html,
        edited_at: post.edited_at,
    }))
}

/// The author deletes their own post (staff use the moderation action, with a reason).
async fn withdraw_post(
    state: web::Data<AppState>,
    me: VerifiedUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let mut conn = crate::db::get(&state.pool).await?;
    posts::withdraw(&mut conn, &me.0.user, *id, state.clock.now()).await?;
    Ok(HttpResponse::NoContent().finish())
}

async fn revisions(
    state: web::Data<AppState>,
    viewer: Viewer,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let mut conn = crate::db::get(&state.pool).await?;
    let reader = Reader::of(&mut conn, viewer.0.as_ref().map(|a| &a.user)).await?;
    let list = posts::revisions(&mut conn, &reader, *id).await?;
    Ok(HttpResponse::Ok().json(super::Items::all(list)))
}

async fn set_like(
    state: &AppState,
    me: &VerifiedUser,
    id: i64,
    on: bool,
) -> Result<HttpResponse, AppError> {
    let mut conn = crate::db::get(&state.pool).await?;
    let n = likes::set(
        &mut conn,
        &state.settings,
        &me.0.user,
        id,
        on,
        state.clock.now(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(LikeCount { like_count: n }))
}

async fn like(
    state: web::Data<AppState>,
    me: VerifiedUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    set_like(&state, &me, *id, true).await
}

async fn unlike(
    state: web::Data<AppState>,
    me: VerifiedUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    set_like(&state, &me, *id, false).await
}

async fn set_subscription(
    state: &AppState,
    me: &CurrentUser,
    id: i64,
    on: bool,
) -> Result<HttpResponse, AppError> {
    let mut conn = crate::db::get(&state.pool).await?;
    let reader = Reader::of(&mut conn, Some(&me.0.user)).await?;
    topics::get(&mut conn, id, &reader).await?;
    subscriptions::set(&mut conn, id, me.0.user.id, on, state.clock.now()).await?;
    Ok(HttpResponse::NoContent().finish())
}

async fn subscribe(
    state: web::Data<AppState>,
    me: CurrentUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    set_subscription(&state, &me, *id, true).await
}

async fn unsubscribe(
    state: web::Data<AppState>,
    me: CurrentUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    set_subscription(&state, &me, *id, false).await
}

async fn set_follow(
    state: &AppState,
    me: &CurrentUser,
    slug: &str,
    on: bool,
) -> Result<HttpResponse, AppError> {
    let mut conn = crate::db::get(&state.pool).await?;
    let reader = Reader::of(&mut conn, Some(&me.0.user)).await?;
    let board = boards::by_slug(&mut conn, slug, &reader)
        .await?
        .ok_or(AppError::NotFound)?;
    subscriptions::follow_board(&mut conn, board.id, me.0.user.id, on, state.clock.now()).await?;
    Ok(HttpResponse::NoContent().finish())
}

async fn follow(
    state: web::Data<AppState>,
    me: CurrentUser,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    set_follow(&state, &me, &slug, true).await
}

async fn unfollow(
    state: web::Data<AppState>,
    me: CurrentUser,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    set_follow(&state, &me, &slug, false).await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BoardBody {
    #[schema(
        min_length = 1,
        max_length = 64,
        pattern = "^[a-z0-9][a-z0-9-]*$",
        example = "beta-lab"
    )]
    slug: String,
    #[schema(min_length = 1, max_length = 100, example = "内测实验室")]
    name_zh: String,
    #[schema(min_length = 1, max_length = 100, example = "Beta lab")]
    name_en: String,
    #[serde(default)]
    #[schema(max_length = 1000)]
    description_zh: String,
    #[serde(default)]
    #[schema(max_length = 1000)]
    description_en: String,
    #[schema(value_type = Vec<Kind>, inline, min_items = 1, example = json!(["discussion", "bug"]))]
    kinds: Vec<String>,
    #[serde(default)]
    position: i32,
    #[schema(max_length = 64)]
    product_line: Option<String>,
}

async fn upsert_board(
    state: web::Data<AppState>,
    _admin: AdminUser,
    body: web::Json<BoardBody>,
) -> Result<HttpResponse, AppError> {
    let b = body.into_inner();
    let new = boards::NewBoard::parse(
        &b.slug,
        &b.name_zh,
        &b.name_en,
        &b.description_zh,
        &b.description_en,
        &b.kinds,
        b.position,
        b.product_line.as_deref(),
    )
    .map_err(AppError::invalid)?;
    let mut conn = crate::db::get(&state.pool).await?;
    let board = boards::upsert(&mut conn, &new, state.clock.now()).await?;
    Ok(HttpResponse::Created().json(BoardView::of(&board, Locale::En)))
}
