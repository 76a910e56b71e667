//! Admin pages: boards (with their read and post rules) and named groups.

use super::{redirect, PageCtx};
use crate::forum::boards;
use crate::web::errors::AppError;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use minijinja::Value;
use serde::Deserialize;
use std::collections::BTreeMap;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin/boards", web::get().to(list))
        .route("/admin/boards", web::post().to(save))
        .route("/admin/boards/{slug}/access", web::post().to(save_access))
        .route("/admin/groups", web::get().to(groups_page))
        .route("/admin/groups", web::post().to(create_group))
        .route("/admin/groups/{slug}/members", web::post().to(group_member));
}

fn field_errors(errs: Vec<crate::accounts::FieldError>) -> BTreeMap<String, String> {
    errs.into_iter()
        .map(|e| (e.field.to_string(), e.message))
        .collect()
}

/// The errors a failed admin write shows on its form; anything else stays an error.
fn form_errors(e: AppError) -> Result<BTreeMap<String, String>, AppError> {
    match e {
        AppError::Invalid { fields, .. } => Ok(fields),
        AppError::Conflict { message, fields } if fields.is_empty() => {
            Ok(BTreeMap::from([("form_text".to_string(), message)]))
        }
        AppError::Conflict { fields, .. } => Ok(fields),
        other => Err(other),
    }
}

async fn render(
    page: &PageCtx,
    status: StatusCode,
    values: Value,
    errors: BTreeMap<String, String>,
) -> Result<HttpResponse, AppError> {
    let mut conn = crate::db::get(&page.state.pool).await?;
    let all = boards::all(&mut conn).await?;
    let rules = crate::access::board_rules(&mut conn).await?;
    let rows: Vec<Value> = all
        .iter()
        .map(|b| {
            let r = rules.iter().find(|r| r.id == b.id);
            let groups = r
                .map(|r| {
                    let mut g = r.read_groups.clone();
                    g.extend(r.post_groups.iter().filter(|x| !r.read_groups.contains(x)).cloned());
                    g.join(", ")
                })
                .unwrap_or_default();
            minijinja::context! {
                slug => &b.slug, name_zh => &b.name_zh, name_en => &b.name_en, kinds => b.kinds.iter().map(|k| k.as_str()).collect::<Vec<_>>(), position => b.position,
                read => b.read_rule.as_str(), post => b.post_rule.as_str(), groups => groups,
                min_level_read => r.map(|r| r.min_level_read).unwrap_or(0), min_level_post => r.map(|r| r.min_level_post).unwrap_or(0),
            }
        })
        .collect();
    page.render_status(
        status,
        "admin_boards.html",
        minijinja::context! { boards => rows, values => values, errors => errors },
    )
}

async fn list(page: PageCtx) -> Result<HttpResponse, AppError> {
    page.require_admin()?;
    render(&page, StatusCode::OK, Value::from(()), BTreeMap::new()).await
}

#[derive(Deserialize)]
pub struct BoardForm {
    #[serde(default)]
    slug: String,
    #[serde(default)]
    name_zh: String,
    #[serde(default)]
    name_en: String,
    #[serde(default)]
    description_zh: String,
    #[serde(default)]
    description_en: String,
    #[serde(default)]
    kinds: String,
    #[serde(default)]
    position: String,
    #[serde(default)]
    product_line: String,
}

async fn save(page: PageCtx, form: web::Form<BoardForm>) -> Result<HttpResponse, AppError> {
    page.require_admin()?;
    let f = form.into_inner();
    let kinds: Vec<String> = f
        .kinds
        .split([',', ' '])
        .filter(|k| !k.is_empty())
        .map(str::to_string)
        .collect();
    let position = f.position.trim().parse::<i32>().unwrap_or(0);
    match boards::NewBoard::parse(
        &f.slug,
        &f.name_zh,
        &f.name_en,
        &f.description_zh,
        &f.description_en,
        &kinds,
        position,
        Some(&f.product_line),
    ) {
        Ok(new) => {
            let mut conn = crate::db::get(&page.state.pool).await?;
            boards::upsert(&mut conn, &new, page.state.clock.now()).await?;
            Ok(redirect("/admin/boards"))
        }
        Err(errs) => {
            let values = minijinja::context! {
                slug => &f.slug, name_zh => &f.name_zh, name_en => &f.name_en, description_zh => &f.description_zh,
                description_en => &f.description_en, kinds => &f.kinds, position => &f.position, product_line => &f.product_line,
            };
            let errors = errs
                .into_iter()
                .map(|e| (e.field.to_string(), e.message))
                .collect();
            render(&page, StatusCode::UNPROCESSABLE_ENTITY, values, errors).await
        }
    }
}

#[derive(Deserialize)]
pub struct AccessForm {
    #[serde(default)]
    read: String,
    #[serde(default)]
    post: String,
    #[serde(default)]
    groups: String,
    #[serde(default)]
    min_level_read: String,
    #[serde(default)]
    min_level_post: String,
}

/// The same change as `PATCH /api/v1/admin/boards/{slug}`, from the boards page.
async fn save_access(
    page: PageCtx,
    slug: web::Path<String>,
    form: web::Form<AccessForm>,
) -> Result<HttpResponse, AppError> {
    page.require_admin()?;
    let f = form.into_inner();
    let groups: Vec<String> = f
        .groups
        .split([',', ' ', '，'])
        .filter(|g| !g.is_empty())
        .map(str::to_string)
        .collect();
    let level = |v: &str| v.trim().parse::<i16>().ok();
    let input = match boards::AccessInput::parse(
        &f.read,
        &f.post,
        &groups,
        level(&f.min_level_read),
        level(&f.min_level_post),
    ) {
        Ok(i) => i,
        Err(errs) => {
            return render(
                &page,
                StatusCode::UNPROCESSABLE_ENTITY,
                Value::from(()),
                field_errors(errs),
            )
            .await
        }
    };
    let me = page.viewer.0.as_ref().map(|a| a.user.id).unwrap_or(0);
    let mut conn = crate::db::get(&page.state.pool).await?;
    let now = page.state.clock.now();
    let done = diesel_async::AsyncConnection::transaction(&mut conn, async |c| {
        boards::set_access(c, me, &slug, &input, now).await
    })
    .await;
    drop(conn);
    match done {
        Ok(Some(_)) => Ok(redirect("/admin/boards")),
        Ok(None) => Err(AppError::NotFound),
        Err(e) => {
            let errors = form_errors(e.into())?;
            render(
                &page,
                StatusCode::UNPROCESSABLE_ENTITY,
                Value::from(()),
                errors,
            )
            .await
        }
    }
}

async fn render_groups(
    page: &PageCtx,
    status: StatusCode,
    errors: BTreeMap<String, String>,
) -> Result<HttpResponse, AppError> {
    let mut conn = crate::db::get(&page.state.pool).await?;
    let all = crate::accounts::groups::all(&mut conn).await?;
    let members = crate::accounts::groups::members(&mut conn, None).await?;
    let rows: Vec<Value> = all
        .iter()
        .map(|g| minijinja::context! {
            slug => &g.slug, name => if page.lang == crate::accounts::Locale::En { &g.name_en } else { &g.name_zh },
            members => members.iter().filter(|m| m.group == g.slug).map(|m| m.username.clone()).collect::<Vec<_>>(),
        })
        .collect();
    page.render_status(
        status,
        "admin_groups.html",
        minijinja::context! { groups => rows, errors => errors },
    )
}

async fn groups_page(page: PageCtx) -> Result<HttpResponse, AppError> {
    page.require_admin()?;
    render_groups(&page, StatusCode::OK, BTreeMap::new()).await
}

#[derive(Deserialize)]
pub struct GroupForm {
    #[serde(default)]
    slug: String,
    #[serde(default)]
    name_zh: String,
    #[serde(default)]
    name_en: String,
}

async fn create_group(page: PageCtx, form: web::Form<GroupForm>) -> Result<HttpResponse, AppError> {
    page.require_admin()?;
    let f = form.into_inner();
    let new = match crate::accounts::groups::NewGroup::parse(&f.slug, &f.name_zh, &f.name_en) {
        Ok(n) => n,
        Err(errs) => {
            return render_groups(&page, StatusCode::UNPROCESSABLE_ENTITY, field_errors(errs)).await
        }
    };
    let me = page.viewer.0.as_ref().map(|a| a.user.id).unwrap_or(0);
    let mut conn = crate::db::get(&page.state.pool).await?;
    let now = page.state.clock.now();
    let done = diesel_async::AsyncConnection::transaction(&mut conn, async |c| {
        crate::accounts::groups::create(c, me, &new, now).await
    })
    .await;
    drop(conn);
    after_group_write(&page, done.map(|_| ())).await
}

/// Back to the groups page, or the page again with the write's errors on it.
async fn after_group_write(
    page: &PageCtx,
    done: Result<(), crate::accounts::AccountError>,
) -> Result<HttpResponse, AppError> {
    match done {
        Ok(()) => Ok(redirect("/admin/groups")),
        Err(e) => {
            let errors = form_errors(e.into())?;
            render_groups(page, StatusCode::UNPROCESSABLE_ENTITY, errors).await
        }
    }
}

#[derive(Deserialize)]
pub struct GroupMemberForm {
    #[serde(default)]
    username: String,
    remove: Option<String>,
}

async fn group_member(
    page: PageCtx,
    slug: web::Path<String>,
    form: web::Form<GroupMemberForm>,
) -> Result<HttpResponse, AppError> {
    page.require_admin()?;
    let f = form.into_inner();
    let me = page.viewer.0.as_ref().map(|a| a.user.id).unwrap_or(0);
    let mut conn = crate::db::get(&page.state.pool).await?;
    let now = page.state.clock.now();
    let remove = f.remove.is_some();
    let done = diesel_async::AsyncConnection::transaction(&mut conn, async |c| {
        crate::accounts::groups::set_member(c, me, &slug, f.username.trim(), remove, now).await
    })
    .await;
    drop(conn);
    after_group_write(&page, done.map(|_| ())).await
}
