//! Discussion pages: home, board, topic (the reply tree), new topic, edit, history, profile.

use super::{redirect, PageCtx, SignedIn};
use crate::accounts::{FieldError, Locale};
use crate::fields::Kind;
use crate::forum::fields::{self, Body, Cursor, Sort, Tags};
use crate::forum::thread::PostView;
use crate::forum::{boards, likes, listing, posts, subscriptions, thread, topics, ForumError};
use crate::posting::{NewTopic, TopicInput};
use crate::web::errors::AppError;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use minijinja::Value;
use serde::Deserialize;
use std::collections::BTreeMap;

/// Deeper replies than this (below the shown root) fold behind "continue this thread".
const SHOWN_DEPTH: i32 = 6;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(home))
        .route("/b/{slug}", web::get().to(board))
        .route("/b/{slug}/follow", web::post().to(follow_board))
        .route("/t/{id}", web::get().to(topic))
        .route("/t/{id}/reply", web::post().to(reply))
        .route("/t/{id}/subscription", web::post().to(subscription))
        .route("/posts/{id}/like", web::post().to(like))
        .route("/posts/{id}/edit", web::get().to(edit_form))
        .route("/posts/{id}/edit", web::post().to(edit))
        .route("/posts/{id}/history", web::get().to(history))
        .route("/posts/{id}/delete", web::post().to(withdraw))
        .route("/new", web::get().to(new_form))
        .route(
            "/new",
            web::post()
                .guard(actix_web::guard::fn_guard(is_multipart))
                .to(create_multipart),
        )
        .route("/new", web::post().to(create));
}

fn board_view(b: &boards::Board, lang: Locale) -> Value {
    minijinja::context! {
        slug => &b.slug, name => b.name(lang), description => b.description(lang), kinds => b.kinds.iter().map(|k| k.as_str()).collect::<Vec<_>>(),
    }
}

fn summaries(items: &[listing::TopicSummary], lang: Locale) -> Vec<Value> {
    items
        .iter()
        .map(|t| {
            minijinja::context! {
                id => t.id, title => &t.title, excerpt => &t.excerpt, tags => &t.tags, kind => t.kind.as_str(),
                board => &t.board, board_name => match lang { Locale::ZhCn => &t.board_name_zh, Locale::En => &t.board_name_en },
                featured => t.featured, pinned => t.pinned, locked => t.locked, status => t.status.as_str(),
                reply_count => t.reply_count, like_count => t.like_count, author => &t.author,
                author_level => t.author_level, vote_count => t.vote_count, me_too_count => t.me_too_count,
                created_at => t.created_at.to_rfc3339(),
                last_posted_at => t.last_posted_at.to_rfc3339(),
            }
        })
        .collect()
}

#[derive(Deserialize)]
pub struct ListQuery {
    sort: Option<String>,
    cursor: Option<String>,
    status: Option<String>,
    /// Set by the redirect after someone erased their account.
    erased: Option<String>,
}

fn parse_listing(q: &ListQuery) -> Result<(Sort, Option<Cursor>), AppError> {
    let sort = Sort::parse(q.sort.as_deref()).map_err(|e| AppError::invalid(vec![e]))?;
    let cursor = match q.cursor.as_deref().filter(|c| !c.is_empty()) {
        Some(c) => Some(Cursor::parse(c, sort).map_err(|e| AppError::invalid(vec![e]))?),
        None => None,
    };
    Ok((sort, cursor))
}

async fn home(page: PageCtx, q: web::Query<ListQuery>) -> Result<HttpResponse, AppError> {
    let (sort, cursor) = parse_listing(&q)?;
    let mut conn = crate::db::get(page.read_pool()).await?;
    let r = &page.reader;
    let all = boards::readable(&mut conn, r).await?;
    let filter = listing::Filter {
        board_id: None,
        kind: None,
        pinned_only: false,
        status: None,
    };
    let list = listing::page(&mut conn, r, &filter, sort, cursor, 30).await?;
    page.render(
        "home.html",
        minijinja::context! {
            boards => all.iter().map(|b| board_view(b, page.lang)).collect::<Vec<_>>(),
            topics => summaries(&list.items, page.lang), sort => sort.as_str(), next => list.next,
            first_page => cursor.is_none(),
            erased => q.erased.is_some() && page.viewer.0.is_none(),
        },
    )
}

async fn board(
    page: PageCtx,
    slug: web::Path<String>,
    q: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let (sort, cursor) = parse_listing(&q)?;
    let mut conn = crate::db::get(page.read_pool()).await?;
    let r = &page.reader;
    let b = boards::by_slug(&mut conn, &slug, r)
        .await?
        .ok_or(AppError::NotFound)?;
    let status = match q.status.as_deref().filter(|s| !s.is_empty()) {
        Some(s) => Some(
            crate::feedback::status::Status::parse(s).map_err(|e| AppError::invalid(vec![e]))?,
        ),
        None => None,
    };
    let filter = listing::Filter {
        board_id: Some(b.id),
        kind: None,
        pinned_only: false,
        status,
    };
    let list = listing::page(&mut conn, r, &filter, sort, cursor, 30).await?;
    let pinned = if cursor.is_none() && status.is_none() {
        let f = listing::Filter {
            board_id: Some(b.id),
            kind: None,
            pinned_only: true,
            status: None,
        };
        listing::page(&mut conn, r, &f, Sort::New, None, 10)
            .await?
            .items
    } else {
        Vec::new()
    };
    page.render(
        "board.html",
        minijinja::context! {
            board => board_view(&b, page.lang), topics => summaries(&list.items, page.lang),
            pinned => summaries(&pinned, page.lang), sort => sort.as_str(), next => list.next,
            status => status.map(|s| s.as_str()),
            statuses => crate::feedback::status::Status::ALL.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
        },
    )
}

#[derive(Deserialize)]
pub struct FollowForm {
    on: Option<String>,
}

async fn follow_board(
    SignedIn { page, me }: SignedIn,
    slug: web::Path<String>,
    form: web::Form<FollowForm>,
) -> Result<HttpResponse, AppError> {
    let mut conn = crate::db::get(&page.state.pool).await?;
    let r = &page.reader;
    let b = boards::by_slug(&mut conn, &slug, r)
        .await?
        .ok_or(AppError::NotFound)?;
    subscriptions::follow_board(
        &mut conn,
        b.id,
        me.user.id,
        form.on.is_some(),
        page.state.clock.now(),
    )
    .await?;
    Ok(redirect(&format!("/b/{}", b.slug)))
}

#[derive(Deserialize)]
pub struct TopicQuery {
    cursor: Option<String>,
    thread: Option<i64>,
    reply_to: Option<i64>,
    /// A message from a feedback form that could not be applied.
    notice: Option<String>,
    /// The post a notice is about (a flag's thanks shows there).
    at: Option<i64>,
}

/// Post views ready for the template: indentation relative to the shown root, deep branches
/// folded behind a "continue this thread" link on their ancestor.
fn tree(posts: Vec<PostView>, base_depth: i32, lang: Locale) -> Vec<Value> {
    let mut out: Vec<(PostView, bool)> = Vec::new();
    for p in posts {
        let rel = p.depth - base_depth;
        if rel > SHOWN_DEPTH {
            if let Some(anchor) = out
                .iter_mut()
                .rev()
                .find(|(q, _)| q.depth - base_depth == SHOWN_DEPTH)
            {
                anchor.1 = true;
            }
            continue;
        }
        out.push((p, false));
    }
    out.into_iter()
        .map(|(p, more)| {
            minijinja::context! {
                id => p.id, parent_id => p.parent_id, depth => p.depth - base_depth, author => &p.author,
                body_html => p.body_html.map(Value::from_safe_string), liked => p.liked, like_count => p.like_count,
                hidden => p.hidden, deleted => p.deleted, more => more, author_id => p.author_id,
                author_level => p.author_level, author_title => &p.author_title,
                created_at => p.created_at.to_rfc3339(),
                edited => p.edited_at.is_some(), official => p.official,
                author_team => p.author_team.as_ref().map(|t| t.name(lang).to_string()),
            }
        })
        .collect()
}

async fn topic(
    page: PageCtx,
    id: web::Path<i64>,
    q: web::Query<TopicQuery>,
) -> Result<HttpResponse, AppError> {
    topic_page(&page, *id, &q, StatusCode::OK, BTreeMap::new(), "").await
}

async fn topic_page(
    page: &PageCtx,
    id: i64,
    q: &TopicQuery,
    status: StatusCode,
    errors: BTreeMap<String, String>,
    draft: &str,
) -> Result<HttpResponse, AppError> {
    let after = match q.cursor.as_deref().filter(|c| !c.is_empty()) {
        Some(c) => Some(fields::parse_path_cursor(c).map_err(|e| AppError::invalid(vec![e]))?),
        None => None,
    };
    let mut conn = crate::db::get(page.read_pool()).await?;
    let reader = &page.reader;
    let (t, b, author) = topics::get(&mut conn, id, reader).await?;
    let root = match q.thread {
        Some(pid) => {
            let p = posts::by_id(&mut conn, pid)
                .await?
                .filter(|p| p.topic_id == t.id)
                .ok_or(AppError::NotFound)?;
            Some(p)
        }
        None => None,
    };
    let shown = thread::page(
        &mut conn,
        t.id,
        root.as_ref().map(|r| r.path.as_slice()),
        after.as_deref(),
        thread::PAGE_SIZE,
        reader,
    )
    .await?;
    let subscribed = match reader.user_id {
        Some(uid) => subscriptions::is_subscribed(&mut conn, t.id, uid).await?,
        None => false,
    };
    // "回复 @name" with a short quote of what is answered, not a bare post number.
    let replying_to = match q.reply_to {
        Some(pid) => match posts::by_id(&mut conn, pid)
            .await?
            .filter(|p| p.topic_id == t.id && p.visible_to(reader))
        {
            Some(p) => {
                let author = crate::accounts::users::by_id(&mut conn, p.author_id)
                    .await?
                    .map(|u| u.username)
                    .unwrap_or_default();
                Some(minijinja::context! {
                    id => p.id, author => author, quote => crate::content::excerpt(&p.body_md, 80),
                })
            }
            None => None,
        },
        None => None,
    };
    let base = root.as_ref().map(|r| r.depth).unwrap_or(0);
    let next = shown.next.as_ref().map(|p| fields::encode_path_cursor(p));
    let feedback =
        crate::feedback::view::of(&mut conn, &t, page.viewer.0.as_ref().map(|a| &a.user)).await?;
    let can_change = page
        .viewer
        .0
        .as_ref()
        .is_some_and(|a| crate::feedback::status::may_change(a.user.role()));
    let answers = if can_change && t.kind.is_feedback() {
        crate::feedback::satisfaction::answers(&mut conn, t.id).await?
    } else {
        Vec::new()
    };
    // Why the item sits where it does in the triage queue, for those who triage.
    let priority: Option<(f64, Option<serde_json::Value>)> = if can_change && t.kind.is_feedback() {
        crate::triage::priority::of_topic(&mut conn, t.id).await?
    } else {
        None
    };
    // Team, assignee and deadline at the top of the item, for those who work it.
    let standing = if can_change && t.kind.is_feedback() {
        crate::triage::queue::standing(&mut conn, t.id, page.state.clock.now()).await?
    } else {
        None
    };
    // Merge candidates for whoever may merge; search trouble must not cost the page.
    let similar = if can_change && t.kind.is_feedback() {
        crate::triage::similar::for_topic(&mut conn, &page.state.search, reader, t.id)
            .await
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    // Internal notes for staff and the routed team; for anyone else the section does not exist.
    let notes = match page.viewer.0.as_ref() {
        Some(a) if can_change && t.kind.is_feedback() => {
            match crate::feedback::notes::list(&mut conn, t.id, &a.user).await {
                Ok(n) => Some(n),
                Err(crate::feedback::FeedbackError::NotFound) => None,
                Err(e) => return Err(e.into()),
            }
        }
        _ => None,
    };
    let move_boards: Vec<Value> = if reader.staff {
        boards::all(&mut conn)
            .await?
            .iter()
            .filter(|b| b.kinds.contains(&t.kind))
            .map(|b| minijinja::context! { slug => &b.slug, name => b.name(page.lang) })
            .collect()
    } else {
        Vec::new()
    };
    page.render_status(
        status,
        "topic.html",
        minijinja::context! {
            topic => minijinja::context! {
                id => t.id, title => &t.title, tags => &t.tags, kind => t.kind.as_str(), featured => t.featured,
                pinned => t.pinned, locked => t.locked, author => &author, reply_count => t.reply_count,
                created_at => t.created_at.to_rfc3339(), status => t.status.as_str(),
            },
            board => board_view(&b, page.lang),
            posts => tree(shown.posts, base, page.lang),
            thread_root => root.as_ref().map(|r| r.id),
            next => next, subscribed => subscribed, replying_to => replying_to,
            errors => errors, draft => draft, staff => reader.staff, my_id => reader.user_id,
            feedback => Value::from(minijinja::value::Serde(&feedback)),
            can_change => can_change, notice => &q.notice, notice_at => q.at, standing => standing.map(|x| minijinja::Value::from(minijinja::value::Serde(x))), author_id => t.author_id,
            answers => Value::from(minijinja::value::Serde(&answers)),
            statuses => crate::feedback::status::Status::ALL.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
            flag_reasons => crate::moderation::flags::REASONS, move_boards => move_boards,
            similar => Value::from(minijinja::value::Serde(&similar)),
            notes => Value::from(minijinja::value::Serde(&notes)),
            priority => priority.as_ref().map(|p| p.0),
            breakdown => Value::from(minijinja::value::Serde(&priority.and_then(|p| p.1))),
        },
    )
}

#[derive(Deserialize)]
pub struct ReplyForm {
    #[serde(default)]
    body: String,
    parent_id: Option<i64>,
}

async fn reply(
    SignedIn { page, me }: SignedIn,
    id: web::Path<i64>,
    form: web::Form<ReplyForm>,
) -> Result<HttpResponse, AppError> {
    let q = TopicQuery {
        cursor: None,
        thread: None,
        reply_to: form.parent_id,
        notice: None,
        at: None,
    };
    let failed = |e: AppError| async {
        let errors = match &e {
            AppError::Invalid { fields, .. } => fields.clone(),
            AppError::Forbidden { code, .. } => {
                BTreeMap::from([("form".to_string(), code.to_string())])
            }
            _ => return Err(e),
        };
        let status = actix_web::ResponseError::status_code(&e);
        topic_page(&page, *id, &q, status, errors, &form.body).await
    };
    if !me.user.is_verified() {
        return failed(AppError::Forbidden {
            code: "email_unverified",
            message: String::new(),
        })
        .await;
    }
    let body = match Body::parse(&form.body) {
        Ok(b) => b,
        Err(e) => return failed(AppError::invalid(vec![e])).await,
    };
    let mut conn = crate::db::get(&page.state.pool).await?;
    match crate::posting::reply(
        &mut conn,
        &page.state.settings,
        &me.user,
        *id,
        form.parent_id,
        &body,
        page.state.clock.now(),
    )
    .await
    {
        Ok(p) => Ok(redirect(&format!("/t/{id}#p{}", p.id))),
        Err(e) => failed(e.into()).await,
    }
}

#[derive(Deserialize)]
pub struct SubscriptionForm {
    on: Option<String>,
}

async fn subscription(
    SignedIn { page, me }: SignedIn,
    id: web::Path<i64>,
    form: web::Form<SubscriptionForm>,
) -> Result<HttpResponse, AppError> {
    let mut conn = crate::db::get(&page.state.pool).await?;
    let r = &page.reader;
    topics::get(&mut conn, *id, r).await?;
    subscriptions::set(
        &mut conn,
        *id,
        me.user.id,
        form.on.is_some(),
        page.state.clock.now(),
    )
    .await?;
    Ok(redirect(&format!("/t/{id}")))
}

#[derive(Deserialize)]
pub struct LikeForm {
    on: Option<String>,
}

/// The author deletes their own post from the topic page.
async fn withdraw(
    SignedIn { page, me }: SignedIn,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let mut conn = crate::db::get(&page.state.pool).await?;
    let topic_id = posts::withdraw(&mut conn, &me.user, *id, page.state.clock.now()).await?;
    Ok(redirect(&format!("/t/{topic_id}")))
}

async fn like(
    SignedIn { page, me }: SignedIn,
    id: web::Path<i64>,
    form: web::Form<LikeForm>,
) -> Result<HttpResponse, AppError> {
    if !me.user.is_verified() {
        return Err(AppError::Forbidden {
            code: "email_unverified",
            message: String::new(),
        });
    }
    let mut conn = crate::db::get(&page.state.pool).await?;
    likes::set(
        &mut conn,
        &page.state.settings,
        &me.user,
        *id,
        form.on.is_some(),
        page.state.clock.now(),
    )
    .await?;
    let topic_id = posts::by_id(&mut conn, *id)
        .await?
        .map(|p| p.topic_id)
        .ok_or(AppError::NotFound)?;
    Ok(redirect(&format!("/t/{topic_id}#p{id}")))
}

async fn edit_form(
    SignedIn { page, me }: SignedIn,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let mut conn = crate::db::get(&page.state.pool).await?;
    let r = &page.reader;
    let post = posts::visible(&mut conn, *id, r)
        .await?
        .ok_or(AppError::NotFound)?;
    if post.author_id != me.user.id && !r.staff {
        return Err(AppError::NotFound);
    }
    page.render("post_edit.html", minijinja::context! { post_id => post.id, topic_id => post.topic_id, body => &post.body_md, errors => Value::from(()) })
}

#[derive(Deserialize)]
pub struct EditForm {
    #[serde(default)]
    body: String,
}

async fn edit(
    SignedIn { page, me }: SignedIn,
    id: web::Path<i64>,
    form: web::Form<EditForm>,
) -> Result<HttpResponse, AppError> {
    let invalid = |e: FieldError| {
        page.render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            "post_edit.html",
            minijinja::context! { post_id => *id, body => &form.body, errors => BTreeMap::from([(e.field, e.message)]) },
        )
    };
    let body = match Body::parse(&form.body) {
        Ok(b) => b,
        Err(e) => return invalid(e),
    };
    let mut conn = crate::db::get(&page.state.pool).await?;
    match crate::posting::edit(&mut conn, &me.user, *id, &body, page.state.clock.now()).await {
        Ok(p) => Ok(redirect(&format!("/t/{}#p{}", p.topic_id, p.id))),
        Err(ForumError::Invalid(mut errs)) if !errs.is_empty() => invalid(errs.remove(0)),
        Err(ForumError::Forbidden) => Err(AppError::NotFound),
        Err(e) => Err(e.into()),
    }
}

async fn history(page: PageCtx, id: web::Path<i64>) -> Result<HttpResponse, AppError> {
    let mut conn = crate::db::get(&page.state.pool).await?;
    let r = &page.reader;
    let list = posts::revisions(&mut conn, r, *id).await?;
    let post = posts::by_id(&mut conn, *id)
        .await?
        .ok_or(AppError::NotFound)?;
    let items: Vec<Value> = list
        .iter()
        .map(|v| minijinja::context! { editor => &v.editor, body => &v.body_md, at => v.created_at.to_rfc3339() })
        .collect();
    page.render("post_history.html", minijinja::context! { post_id => post.id, topic_id => post.topic_id, current => &post.body_md, items => items })
}

#[derive(Deserialize)]
pub struct NewQuery {
    board: Option<String>,
    kind: Option<String>,
}

async fn new_form(
    SignedIn { page, .. }: SignedIn,
    q: web::Query<NewQuery>,
) -> Result<HttpResponse, AppError> {
    // The board decides the kind: from the ideas board, an idea; never a kind it refuses.
    let board = q.board.as_deref().unwrap_or("");
    let kinds: Vec<Kind> = {
        let mut conn = crate::db::get(page.read_pool()).await?;
        boards::by_slug(&mut conn, board, &page.reader)
            .await?
            .map(|b| b.kinds)
            .unwrap_or_default()
    };
    let asked = q.kind.as_deref().and_then(Kind::from_text);
    let kind = match asked {
        Some(k) if kinds.is_empty() || kinds.contains(&k) => k,
        _ if kinds.contains(&Kind::Discussion) || kinds.is_empty() => Kind::Discussion,
        _ => kinds[0],
    };
    let values = minijinja::context! { board => board, kind => kind.as_str() };
    new_page(&page, StatusCode::OK, values, BTreeMap::new()).await
}

async fn new_page(
    page: &PageCtx,
    status: StatusCode,
    values: Value,
    errors: BTreeMap<String, String>,
) -> Result<HttpResponse, AppError> {
    let mut conn = crate::db::get(&page.state.pool).await?;
    let r = &page.reader;
    // Only boards this person may start a topic on.
    let all: Vec<boards::Board> = boards::readable(&mut conn, r)
        .await?
        .into_iter()
        .filter(|b| r.may_post_in(b.id))
        .collect();
    let products = crate::feedback::products::all(&mut conn).await?;
    page.render_status(
        status,
        "new_topic.html",
        minijinja::context! {
            boards => all.iter().map(|b| board_view(b, page.lang)).collect::<Vec<_>>(),
            products => products.iter().map(|p| minijinja::context! { slug => &p.slug, name => p.name(page.lang) }).collect::<Vec<_>>(),
            values => values, errors => errors,
        },
    )
}

#[derive(Deserialize)]
pub struct NewForm {
    #[serde(default)]
    board: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    tags: String,
    #[serde(default)]
    product: String,
    #[serde(default)]
    os_version: String,
    #[serde(default)]
    app_version: String,
    #[serde(default)]
    reproducibility: String,
    #[serde(default)]
    severity: String,
    #[serde(default)]
    steps: String,
    #[serde(default)]
    expected: String,
    #[serde(default)]
    actual: String,
}

async fn create(s: SignedIn, form: web::Form<NewForm>) -> Result<HttpResponse, AppError> {
    create_with(s, form.into_inner(), Vec::new()).await
}

/// The composer as the browser sends it (multipart, so a report can carry its logs and
/// screenshots); the CSRF token is in the action's query.
async fn create_multipart(
    s: SignedIn,
    payload: actix_multipart::Multipart,
) -> Result<HttpResponse, AppError> {
    let max = crate::feedback::attachments::MAX_PER_TOPIC as usize;
    let (fields, files) = crate::web::upload::read_form(payload, max).await?;
    let f: NewForm = serde_json::from_value(serde_json::json!(fields))
        .map_err(|_| AppError::field("form", "could not be read"))?;
    if !files.is_empty() && f.kind != "bug" {
        return Err(AppError::field("file", "only bug reports take attachments"));
    }
    create_with(s, f, files).await
}

/// Requests whose body is multipart (the composer in a browser).
fn is_multipart(ctx: &actix_web::guard::GuardContext) -> bool {
    ctx.head()
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"))
}

async fn create_with(
    SignedIn { page, me }: SignedIn,
    f: NewForm,
    files: Vec<crate::feedback::attachments::Upload>,
) -> Result<HttpResponse, AppError> {
    let values = minijinja::context! {
        board => &f.board, kind => &f.kind, title => &f.title, body => &f.body, tags => &f.tags,
        product => &f.product, os_version => &f.os_version, app_version => &f.app_version,
        reproducibility => &f.reproducibility, severity => &f.severity, steps => &f.steps,
        expected => &f.expected, actual => &f.actual,
    };
    let is_bug = crate::fields::Kind::from_text(&f.kind) == Some(crate::fields::Kind::Bug);
    let bug = is_bug.then(|| crate::feedback::bugs::BugInput {
        product: f.product.clone(),
        os_version: f.os_version.clone(),
        app_version: Some(f.app_version.clone()),
        reproducibility: f.reproducibility.clone(),
        severity: f.severity.clone(),
        steps: Some(f.steps.clone()),
        expected: Some(f.expected.clone()),
        actual: Some(f.actual.clone()),
    });
    let result = if !me.user.is_verified() {
        Err(AppError::Forbidden {
            code: "email_unverified",
            message: String::new(),
        })
    } else {
        match NewTopic::parse(TopicInput {
            board: &f.board,
            kind: &f.kind,
            title: &f.title,
            body: &f.body,
            tags: Tags::parse_line(&f.tags),
            bug: bug.as_ref(),
            product: (!is_bug).then_some(f.product.as_str()),
        }) {
            Ok(new) => {
                let mut conn = crate::db::get(&page.state.pool).await?;
                crate::posting::create_topic(
                    &mut conn,
                    &page.state.settings,
                    &me.user,
                    new,
                    page.state.clock.now(),
                )
                .await
                .map_err(AppError::from)
            }
            Err(e) => Err(AppError::invalid(e)),
        }
    };
    match result {
        Ok(created) => {
            let id = created.topic_id;
            // The report's files, through the same checks as the upload form; a refused one
            // is named on the new report's page.
            let mut conn = crate::db::get(&page.state.pool).await?;
            for file in &files {
                if let Err(e) = crate::feedback::attachments::save(
                    &mut conn,
                    &page.state.settings.uploads_dir(),
                    &me.user,
                    id,
                    file,
                    page.state.clock.now(),
                )
                .await
                {
                    return match e {
                        crate::feedback::FeedbackError::Invalid(fields) => Ok(redirect(&format!(
                            "/t/{id}?notice={}#feedback",
                            crate::content::percent_encode(
                                &fields
                                    .first()
                                    .map(|f| f.message.clone())
                                    .unwrap_or_default()
                            )
                        ))),
                        other => Err(other.into()),
                    };
                }
            }
            Ok(redirect(&format!("/t/{id}?notice=created")))
        }
        Err(e) => {
            let errors = match &e {
                AppError::Invalid { fields, .. } => fields.clone(),
                AppError::Forbidden { code, .. } => {
                    BTreeMap::from([("form".to_string(), code.to_string())])
                }
                _ => return Err(e),
            };
            new_page(
                &page,
                actix_web::ResponseError::status_code(&e),
                values,
                errors,
            )
            .await
        }
    }
}
