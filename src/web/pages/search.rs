//! `/search`: the search page (a plain GET form; results as links with safe snippets).

use super::PageCtx;
use crate::search::query::{self, SearchParams, SearchSort};
use crate::web::errors::AppError;
use actix_web::{web, HttpResponse};
use minijinja::Value;
use serde::Deserialize;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/search", web::get().to(search));
}

#[derive(Deserialize)]
pub struct SearchForm {
    #[serde(default)]
    q: String,
    kind: Option<String>,
    board: Option<String>,
    status: Option<String>,
    sort: Option<String>,
    page: Option<usize>,
}

async fn search(
    page: PageCtx,
    _quota: crate::web::extract::SearchQuota,
    form: web::Query<SearchForm>,
) -> Result<HttpResponse, AppError> {
    let f = form.into_inner();
    let sort = match f.sort.as_deref() {
        Some("new") => SearchSort::New,
        Some("votes") => SearchSort::Votes,
        _ => SearchSort::Relevance,
    };
    let nonempty = |v: Option<String>| v.filter(|s| !s.is_empty());
    let mut conn = crate::db::get(&page.state.pool).await?;
    let reader = &page.reader;
    let params = SearchParams {
        q: f.q.clone(),
        kind: nonempty(f.kind.clone()),
        board: nonempty(f.board.clone()),
        status: nonempty(f.status.clone()),
        product: None,
        author: None,
        sort,
        page: f.page.unwrap_or(1).clamp(1, 500),
        closed_boards: reader.closed_board_slugs(),
    };
    let current_page = params.page;
    let mut results = page
        .state
        .search
        .read(move |index| query::search(index, &params))
        .await?;
    results.hits = crate::search::visibility::keep_visible(&mut conn, reader, results.hits).await?;
    let boards = crate::forum::boards::readable(&mut conn, reader).await?;
    let hits: Vec<Value> = results
        .hits
        .iter()
        .map(|h| {
            minijinja::context! {
                topic_id => h.topic_id, post_id => h.post_id, title => &h.title, kind => &h.kind, status => &h.status,
                board => &h.board,
                // Built by tantivy from escaped text plus <b> around matches.
                snippet_html => Value::from_safe_string(h.snippet_html.clone()),
            }
        })
        .collect();
    let pages = results.total.div_ceil(query::PAGE_SIZE).min(500);
    page.render(
        "search.html",
        minijinja::context! {
            q => &f.q, kind => f.kind.as_deref().unwrap_or(""), board => f.board.as_deref().unwrap_or(""),
            status => f.status.as_deref().unwrap_or(""), sort => f.sort.as_deref().unwrap_or("relevance"),
            total => results.total, hits => hits, page => current_page, pages => pages,
            facets => Value::from(minijinja::value::Serde(&results.facets)),
            boards => boards.iter().map(|b| minijinja::context! { slug => &b.slug, name => b.name(page.lang) }).collect::<Vec<_>>(),
            board_names => boards.iter().map(|b| (b.slug.clone(), b.name(page.lang).to_string())).collect::<std::collections::BTreeMap<_, _>>(),
            statuses => crate::feedback::status::Status::ALL.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
            searched => !f.q.trim().is_empty() || f.kind.is_some() || f.board.is_some() || f.status.is_some(),
        },
    )
}
