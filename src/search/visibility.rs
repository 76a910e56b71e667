//! The index lags PostgreSQL by up to a second: hits are checked against the database before
//! anyone sees them, so content hidden, deleted or moved to a closed board a moment ago never
//! shows.

use super::query::Hit;
use crate::access::Reader;
use crate::db::schema::{posts, topics};
use crate::db::Conn;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use std::collections::HashSet;

/// Keeps the hits whose post and topic are visible now (one query for the page).
pub async fn keep_visible(
    conn: &mut Conn,
    reader: &Reader,
    hits: Vec<Hit>,
) -> QueryResult<Vec<Hit>> {
    if hits.is_empty() {
        return Ok(hits);
    }
    let ids: Vec<i64> = hits.iter().map(|h| h.post_id).collect();
    let visible: HashSet<i64> = posts::table
        .inner_join(topics::table)
        .filter(posts::id.eq_any(ids))
        .filter(crate::access::post_shown())
        .filter(crate::access::topic_shown())
        .filter(reader.readable_boards())
        .select(posts::id)
        .load::<i64>(conn)
        .await?
        .into_iter()
        .collect();
    Ok(hits
        .into_iter()
        .filter(|h| visible.contains(&h.post_id))
        .collect())
}

/// The same for similar-topic suggestions, by topic.
pub async fn keep_visible_topics(
    conn: &mut Conn,
    reader: &Reader,
    ids: &[i64],
) -> QueryResult<HashSet<i64>> {
    Ok(topics::table
        .filter(topics::id.eq_any(ids.to_vec()))
        .filter(crate::access::topic_shown())
        .filter(reader.readable_boards())
        .select(topics::id)
        .load::<i64>(conn)
        .await?
        .into_iter()
        .collect())
}
