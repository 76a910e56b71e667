//! Likely duplicates of a bug or idea, from search: same kind, open, visible, not itself — the
//! candidates a product manager may merge.

use crate::db::schema::{boards, posts, products, topics};
use crate::db::Conn;
use crate::search::query::{self, Similar};
use crate::search::Search;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

pub async fn for_topic(
    conn: &mut Conn,
    search: &Search,
    reader: &crate::access::Reader,
    topic_id: i64,
) -> Result<Vec<Similar>, crate::search::SearchError> {
    let found: Option<(crate::fields::Kind, String, String, Option<String>)> = topics::table
        .inner_join(boards::table)
        .left_join(products::table)
        .filter(topics::id.eq(topic_id))
        .select((
            topics::kind,
            topics::title,
            boards::slug,
            products::slug.nullable(),
        ))
        .first(conn)
        .await
        .optional()?;
    let Some((kind, title, board, product)) = found else {
        return Ok(Vec::new());
    };
    let body: String = posts::table
        .filter(posts::topic_id.eq(topic_id))
        .filter(posts::depth.eq(0))
        .select(posts::body_md)
        .first(conn)
        .await?;
    let closed = reader.closed_board_slugs();
    let hits = search
        .read(move |index| {
            query::similar(
                index,
                &title,
                &body,
                Some(&board),
                product.as_deref(),
                &closed,
            )
        })
        .await?;
    let ids: Vec<i64> = hits.iter().map(|h| h.topic_id).collect();
    let visible = crate::search::visibility::keep_visible_topics(conn, reader, &ids).await?;
    Ok(hits
        .into_iter()
        .filter(|h| h.topic_id != topic_id && h.kind == kind && visible.contains(&h.topic_id))
        .filter(|h| h.status.is_open())
        .collect())
}
