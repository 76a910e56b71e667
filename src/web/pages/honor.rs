//! `/honor`: leaderboards (this week, this month, all time; overall or per board) and medals.

use super::PageCtx;
use crate::accounts::Locale;
use crate::honor::leaderboard::{self, Period};
use crate::honor::medals::MEDALS;
use crate::web::errors::AppError;
use actix_web::{web, HttpResponse};
use serde::Deserialize;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/honor", web::get().to(honor));
}

#[derive(Deserialize)]
pub struct HonorQuery {
    #[serde(default)]
    period: String,
    #[serde(default)]
    board: String,
}

async fn honor(page: PageCtx, q: web::Query<HonorQuery>) -> Result<HttpResponse, AppError> {
    let period = Period::parse(&q.period).unwrap_or(Period::Week);
    let mut conn = crate::db::get(page.read_pool()).await?;
    let boards = crate::forum::boards::readable(&mut conn, &page.reader).await?;
    let board = boards
        .iter()
        .find(|b| b.slug == q.board)
        .map(|b| b.slug.as_str());
    let rows = leaderboard::top(
        &mut conn,
        &page.reader,
        period,
        board,
        page.state.clock.now(),
    )
    .await?
    .unwrap_or_default();
    let en = page.lang == Locale::En;
    page.render(
        "honor.html",
        minijinja::context! {
            period => period.as_str(), board => board.unwrap_or(""), rows => minijinja::Value::from(minijinja::value::Serde(&rows)),
            boards => boards.iter().map(|b| minijinja::context! { slug => &b.slug, name => b.name(page.lang) }).collect::<Vec<_>>(),
            medals => MEDALS.iter().map(|m| minijinja::context! {
                slug => m.slug, name => if en { m.name_en } else { m.name_zh }, rule => if en { m.rule_en } else { m.rule_zh },
            }).collect::<Vec<_>>(),
        },
    )
}
