//! Admin pages: boards.

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
        .route("/admin/boards", web::post().to(save));
}

async fn render(
    page: &PageCtx,
    status: StatusCode,
    values: Value,
    errors: BTreeMap<String, String>,
) -> Result<HttpResponse, AppError> {
    let mut conn = crate::db::get(&page.state.pool).await?;
    let all = boards::all(&mut conn).await?;
    page.render_status(status, "admin_boards.html", minijinja::context! { boards => Value::from(minijinja::value::Serde(&all)), values => values, errors => errors })
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
