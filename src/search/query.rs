//! Queries: BM25 over both analyses (jieba words ranked above bigrams, titles above bodies),
//! quoted phrases, filters, sorts, safe highlighted snippets. Malformed input is parsed leniently:
//! any string gives results or an empty list, never an error.

use super::index::{SearchError, SearchIndex};
use serde::Serialize;
use tantivy::collector::{Count, TopDocs};
use tantivy::query::{AllQuery, BooleanQuery, Occur, Query, QueryParser, TermQuery};
use tantivy::schema::{IndexRecordOption, Value};
use tantivy::snippet::SnippetGenerator;
use tantivy::{DocAddress, Order, TantivyDocument, Term};

pub const PAGE_SIZE: usize = 20;
const MAX_QUERY_CHARS: usize = 200;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SearchSort {
    #[default]
    Relevance,
    New,
    Votes,
}

#[derive(Debug, Clone, Default)]
pub struct SearchParams {
    pub q: String,
    pub kind: Option<String>,
    pub board: Option<String>,
    pub product: Option<String>,
    pub status: Option<String>,
    pub author: Option<String>,
    pub sort: SearchSort,
    /// 1-based.
    pub page: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct Hit {
    pub topic_id: i64,
    pub post_id: i64,
    pub title: String,
    pub snippet_html: String,
    pub kind: String,
    pub board: String,
    pub status: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Results {
    pub total: usize,
    pub hits: Vec<Hit>,
}

/// Keeps what a person typed, minus what can only hurt: control characters and excess length.
fn clean(q: &str) -> String {
    q.chars()
        .filter(|c| !c.is_control())
        .take(MAX_QUERY_CHARS)
        .collect::<String>()
        .trim()
        .to_string()
}

pub fn search(idx: &SearchIndex, p: &SearchParams) -> Result<Results, SearchError> {
    let f = idx.fields;
    let q = clean(&p.q);
    let mut parser = QueryParser::for_index(
        &idx.index,
        vec![f.title_words, f.title_bigrams, f.body_words, f.body_bigrams],
    );
    parser.set_conjunction_by_default();
    parser.set_field_boost(f.title_words, 4.0);
    parser.set_field_boost(f.title_bigrams, 2.0);
    parser.set_field_boost(f.body_words, 2.0);
    parser.set_field_boost(f.body_bigrams, 1.0);
    let main: Box<dyn Query> = if q.is_empty() {
        Box::new(AllQuery)
    } else {
        parser.parse_query_lenient(&q).0
    };
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, main.box_clone())];
    for (field, value) in [
        (f.kind, &p.kind),
        (f.board, &p.board),
        (f.product, &p.product),
        (f.status, &p.status),
        (f.author, &p.author),
    ] {
        if let Some(v) = value.as_deref().filter(|v| !v.is_empty()) {
            clauses.push((
                Occur::Must,
                Box::new(TermQuery::new(
                    Term::from_field_text(field, v),
                    IndexRecordOption::Basic,
                )),
            ));
        }
    }
    let query = BooleanQuery::new(clauses);
    if q.is_empty()
        && p.kind.is_none()
        && p.board.is_none()
        && p.product.is_none()
        && p.status.is_none()
        && p.author.is_none()
    {
        return Ok(Results {
            total: 0,
            hits: Vec::new(),
        });
    }
    let searcher = idx.reader.searcher();
    let offset = p.page.max(1).saturating_sub(1).min(500) * PAGE_SIZE;
    let top = TopDocs::with_limit(PAGE_SIZE).and_offset(offset);
    let (addresses, total): (Vec<DocAddress>, usize) = match p.sort {
        SearchSort::Relevance => {
            let (docs, n) = searcher.search(&query, &(top.order_by_score(), Count))?;
            (docs.into_iter().map(|(_, a)| a).collect(), n)
        }
        SearchSort::New => {
            let (docs, n) = searcher.search(
                &query,
                &(
                    top.order_by_fast_field::<i64>("created", Order::Desc),
                    Count,
                ),
            )?;
            (docs.into_iter().map(|(_, a)| a).collect(), n)
        }
        SearchSort::Votes => {
            let (docs, n) = searcher.search(
                &query,
                &(top.order_by_fast_field::<u64>("votes", Order::Desc), Count),
            )?;
            (docs.into_iter().map(|(_, a)| a).collect(), n)
        }
    };
    let mut snippets = SnippetGenerator::create(&searcher, &*main, f.body_words)?;
    snippets.set_max_num_chars(160);
    let mut hits = Vec::with_capacity(addresses.len());
    for a in addresses {
        let d: TantivyDocument = searcher.doc(a)?;
        let text = |field| {
            d.get_first(field)
                .and_then(|v| v.as_str())
                .unwrap_or("")
                .to_string()
        };
        let num = |field| d.get_first(field).and_then(|v| v.as_u64()).unwrap_or(0) as i64;
        let mut snippet_html = snippets.snippet_from_doc(&d).to_html();
        if snippet_html.is_empty() {
            let body = text(f.body_words);
            snippet_html = escape(&body.chars().take(160).collect::<String>());
        }
        hits.push(Hit {
            topic_id: num(f.topic_id),
            post_id: num(f.post_id),
            title: text(f.topic_title),
            snippet_html,
            kind: text(f.kind),
            board: text(f.board),
            status: text(f.status),
        });
    }
    Ok(Results { total, hits })
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}
