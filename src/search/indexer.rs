//! Applies the search outbox to the index: delete what changed, add what is visible now, commit
//! with the new position in the payload. A crash before the commit replays the batch (deletes come
//! first, so nothing doubles); after the commit the payload says where to continue.

use super::index::{SearchError, SearchIndex};
use crate::db::schema::{boards, posts, products, search_outbox, topics, users};
use crate::db::{self, Conn, Pool};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use std::collections::BTreeSet;
use tantivy::{doc, Term};

const BATCH: i64 = 5_000;

#[derive(Queryable)]
struct Row {
    post_id: i64,
    topic_id: i64,
    depth: i32,
    body: String,
    title: String,
    kind: String,
    board: String,
    product: Option<String>,
    status: String,
    author: String,
    created_at: DateTime<Utc>,
    votes: i32,
    me_too: i32,
}

/// Visible posts with everything a document needs, for the given posts and whole topics.
async fn load(conn: &mut Conn, post_ids: &[i64], topic_ids: &[i64]) -> QueryResult<Vec<Row>> {
    posts::table
        .inner_join(
            topics::table
                .inner_join(boards::table)
                .left_join(products::table),
        )
        .inner_join(users::table.on(users::id.eq(posts::author_id)))
        .filter(
            posts::id
                .eq_any(post_ids.to_vec())
                .or(posts::topic_id.eq_any(topic_ids.to_vec())),
        )
        .filter(crate::access::post_shown())
        .filter(crate::access::topic_shown())
        .select((
            posts::id,
            posts::topic_id,
            posts::depth,
            posts::body_md,
            topics::title,
            topics::kind,
            boards::slug,
            products::slug.nullable(),
            topics::status,
            users::username,
            posts::created_at,
            topics::vote_count,
            topics::me_too_count,
        ))
        .load(conn)
        .await
}

/// Applies one batch; returns how many outbox rows it covered.
pub async fn apply_pending(idx: &SearchIndex, pool: &Pool) -> Result<usize, SearchError> {
    let mut conn = db::get(pool).await?;
    let from = idx.position();
    // Rows this index never saw were pruned (a new node, or one stopped for a week): start over.
    let oldest: Option<i64> = search_outbox::table
        .select(diesel::dsl::min(search_outbox::id))
        .first(&mut conn)
        .await?;
    if oldest.is_some_and(|oldest| oldest > from + 1) {
        drop(conn);
        tracing::info!(
            position = from,
            "search index behind the pruned outbox: rebuilding"
        );
        return rebuild(idx, pool).await;
    }
    let batch: Vec<(i64, i64, Option<i64>)> = search_outbox::table
        .filter(search_outbox::id.gt(from))
        .order(search_outbox::id)
        .limit(BATCH)
        .select((
            search_outbox::id,
            search_outbox::topic_id,
            search_outbox::post_id,
        ))
        .load(&mut conn)
        .await?;
    let Some(last) = batch.last().map(|b| b.0) else {
        return Ok(0);
    };
    let topic_ids: BTreeSet<i64> = batch
        .iter()
        .filter(|b| b.2.is_none())
        .map(|b| b.1)
        .collect();
    let post_ids: BTreeSet<i64> = batch.iter().filter_map(|b| b.2).collect();
    let topic_ids: Vec<i64> = topic_ids.into_iter().collect();
    let post_ids: Vec<i64> = post_ids.into_iter().collect();
    let rows = load(&mut conn, &post_ids, &topic_ids).await?;
    drop(conn);
    let f = idx.fields;
    let mut writer = idx.writer.lock().await;
    for t in &topic_ids {
        writer.delete_term(Term::from_field_u64(f.topic_id, *t as u64));
    }
    for p in &post_ids {
        writer.delete_term(Term::from_field_u64(f.post_id, *p as u64));
    }
    for r in &rows {
        writer.add_document(document(idx, r))?;
    }
    let mut commit = writer.prepare_commit()?;
    commit.set_payload(&serde_json::json!({ "outbox": last }).to_string());
    commit.commit()?;
    drop(writer);
    idx.reader.reload()?;
    Ok(batch.len())
}

fn document(idx: &SearchIndex, r: &Row) -> tantivy::TantivyDocument {
    let f = idx.fields;
    let mut d = doc!(
        f.post_id => r.post_id as u64,
        f.topic_id => r.topic_id as u64,
        f.body_words => r.body.as_str(),
        f.body_bigrams => r.body.as_str(),
        f.topic_title => r.title.as_str(),
        f.kind => r.kind.as_str(),
        f.board => r.board.as_str(),
        f.status => r.status.as_str(),
        f.author => r.author.as_str(),
        f.created => r.created_at.timestamp(),
        f.votes => (r.votes + r.me_too).max(0) as u64,
    );
    for (name, value) in [
        ("kind", &r.kind),
        ("board", &r.board),
        ("status", &r.status),
    ] {
        d.add_facet(
            f.facets,
            tantivy::schema::Facet::from_path([name, value.as_str()]),
        );
    }
    if r.depth == 0 {
        d.add_text(f.title_words, &r.title);
        d.add_text(f.title_bigrams, &r.title);
    }
    if let Some(p) = &r.product {
        d.add_text(f.product, p);
    }
    d
}

/// Drops applied outbox rows older than `keep`, always keeping the newest, so a node's gap check
/// (above) cannot mistake a quiet week for missed changes.
pub async fn prune_outbox(conn: &mut Conn, before: DateTime<Utc>) -> QueryResult<usize> {
    let newest: Option<i64> = search_outbox::table
        .select(diesel::dsl::max(search_outbox::id))
        .first(conn)
        .await?;
    let Some(newest) = newest else { return Ok(0) };
    diesel::delete(
        search_outbox::table
            .filter(search_outbox::created_at.lt(before))
            .filter(search_outbox::id.lt(newest)),
    )
    .execute(conn)
    .await
}

/// Rebuilds the whole index from PostgreSQL (`chorus reindex`): everything visible, then the
/// current outbox position, in one commit.
pub async fn rebuild(idx: &SearchIndex, pool: &Pool) -> Result<usize, SearchError> {
    let mut conn = db::get(pool).await?;
    // Held throughout, so the runner cannot commit a half-built index in between.
    let mut writer = idx.writer.lock().await;
    let position: Option<i64> = search_outbox::table
        .select(diesel::dsl::max(search_outbox::id))
        .first(&mut conn)
        .await?;
    writer.delete_all_documents()?;
    let topic_ids: Vec<i64> = topics::table
        .select(topics::id)
        .order(topics::id)
        .load(&mut conn)
        .await?;
    let mut added = 0;
    for chunk in topic_ids.chunks(2_000) {
        let rows = load(&mut conn, &[], chunk).await?;
        for r in &rows {
            writer.add_document(document(idx, r))?;
        }
        added += rows.len();
    }
    let mut commit = writer.prepare_commit()?;
    commit.set_payload(&serde_json::json!({ "outbox": position.unwrap_or(0) }).to_string());
    commit.commit()?;
    drop(writer);
    idx.reader.reload()?;
    Ok(added)
}
