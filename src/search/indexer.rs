//! Applies the search outbox to the index: delete what changed, add what is visible now, commit
//! with the new position in the payload. A crash before the commit replays the rows (deletes come
//! first, so nothing doubles); after the commit the payload says where to continue. Positions
//! are (transaction id, row id) and stop below the oldest running transaction, so a row that
//! commits after a higher one is never skipped (see `apply_pending`).

use super::index::{Cursor, Position, SearchError, SearchIndex};
use crate::db::schema::{boards, posts, products, search_outbox_pruned, teams, topics, users};
use crate::db::{self, Conn, Pool};
use crate::fields::Kind;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Timestamptz};
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
    team: Option<String>,
}

/// Visible posts with everything a document needs, for the given posts and whole topics.
async fn load(conn: &mut Conn, post_ids: &[i64], topic_ids: &[i64]) -> QueryResult<Vec<Row>> {
    posts::table
        .inner_join(
            topics::table
                .inner_join(boards::table)
                .left_join(products::table)
                .left_join(teams::table),
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
            teams::slug.nullable(),
        ))
        .load(conn)
        .await
}

/// What one indexer step did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Step {
    /// Outbox rows read (a row whose transaction was still open last time is read again).
    pub rows: usize,
    /// The index could not be caught up from the outbox and was rebuilt from PostgreSQL.
    pub rebuilt: bool,
}

#[derive(QueryableByName)]
struct OutboxRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = BigInt)]
    xid: i64,
    #[diesel(sql_type = BigInt)]
    topic_id: i64,
    #[diesel(sql_type = Nullable<BigInt>)]
    post_id: Option<i64>,
}

#[derive(QueryableByName)]
struct Xmin {
    #[diesel(sql_type = BigInt)]
    xmin: i64,
}

/// The oldest transaction id still running: every transaction below it has finished, so what
/// it wrote is visible now and will never change.
async fn xmin(conn: &mut Conn) -> QueryResult<i64> {
    Ok(
        diesel::sql_query("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::int8 AS xmin")
            .get_result::<Xmin>(conn)
            .await?
            .xmin,
    )
}

/// Applies every outbox row after the index's position, then moves the position up to (but
/// never past) the oldest transaction still running. A row whose transaction commits late has a
/// transaction id at or above that mark, so the next step still reads it: nothing committed is
/// ever skipped. Rows just above the mark are read again until it passes them; applying a row
/// twice is harmless (delete, then add what is visible now).
pub async fn apply_pending(idx: &SearchIndex, pool: &Pool) -> Result<Step, SearchError> {
    let mut conn = db::get(pool).await?;
    let pruned_below: Option<i64> = search_outbox_pruned::table
        .select(search_outbox_pruned::below_xid)
        .first(&mut conn)
        .await
        .optional()?;
    let from = match idx.position() {
        Position::At(c) if pruned_below.is_none_or(|b| c.xid >= b) => c,
        Position::Fresh if pruned_below.is_none() => Cursor::default(),
        // Rows this index never saw were pruned (a new node, or one stopped for a week), or
        // its position is from an older build: start over.
        position => {
            drop(conn);
            tracing::info!(
                ?position,
                ?pruned_below,
                "search index cannot catch up from the outbox: rebuilding"
            );
            rebuild(idx, pool).await?;
            // What was in flight during the rebuild is applied at the next step.
            return Ok(Step {
                rows: 0,
                rebuilt: true,
            });
        }
    };
    // Taken before reading: whatever finished before this moment is in what follows.
    let mark = xmin(&mut conn).await?;
    let f = idx.fields;
    let mut cursor = from;
    let mut rows_read = 0;
    let mut writer: Option<tokio::sync::MutexGuard<'_, _>> = None;
    loop {
        let batch: Vec<OutboxRow> = diesel::sql_query(
            "SELECT id, xid, topic_id, post_id FROM search_outbox \
             WHERE (xid, id) > ($1, $2) ORDER BY xid, id LIMIT $3",
        )
        .bind::<BigInt, _>(cursor.xid)
        .bind::<BigInt, _>(cursor.id)
        .bind::<BigInt, _>(BATCH)
        .load(&mut conn)
        .await?;
        let Some(last) = batch.last() else { break };
        cursor = Cursor {
            xid: last.xid,
            id: last.id,
        };
        rows_read += batch.len();
        let topic_ids: Vec<i64> = batch
            .iter()
            .filter(|b| b.post_id.is_none())
            .map(|b| b.topic_id)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let post_ids: Vec<i64> = batch
            .iter()
            .filter_map(|b| b.post_id)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let rows = load(&mut conn, &post_ids, &topic_ids).await?;
        if writer.is_none() {
            writer = Some(idx.writer.lock().await);
        }
        let w = writer.as_mut().expect("taken above");
        for t in &topic_ids {
            w.delete_term(Term::from_field_u64(f.topic_id, *t as u64));
        }
        for p in &post_ids {
            w.delete_term(Term::from_field_u64(f.post_id, *p as u64));
        }
        for r in &rows {
            w.add_document(document(idx, r))?;
        }
        if (batch.len() as i64) < BATCH {
            break;
        }
    }
    drop(conn);
    let Some(mut writer) = writer else {
        return Ok(Step::default());
    };
    // Everything below the mark was read; rows at or above it are read again next time.
    let safe = from.max(Cursor { xid: mark, id: 0 });
    let mut commit = writer.prepare_commit()?;
    commit.set_payload(&safe.payload());
    commit.commit()?;
    drop(writer);
    idx.reader.reload()?;
    Ok(Step {
        rows: rows_read,
        rebuilt: false,
    })
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
    if r.depth == 0 && r.kind != Kind::Discussion.as_str() {
        d.add_text(f.item_text, &r.title);
        d.add_text(f.item_text, &r.body);
    }
    if let Some(p) = &r.product {
        d.add_text(f.product, p);
    }
    if let Some(t) = &r.team {
        d.add_text(f.team, t);
    }
    d
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Drops outbox rows older than `before` whose transactions every node can see, and records how
/// far it went, so a node whose position is below that rebuilds instead of missing them.
pub async fn prune_outbox(conn: &mut Conn, before: DateTime<Utc>) -> QueryResult<usize> {
    let n = diesel::sql_query(
        "WITH gone AS ( \
             DELETE FROM search_outbox WHERE created_at < $1 \
               AND xid < pg_snapshot_xmin(pg_current_snapshot())::text::int8 RETURNING xid), \
         mark AS ( \
             INSERT INTO search_outbox_pruned (id, below_xid) \
             SELECT 1, max(xid) + 1 FROM gone HAVING count(*) > 0 \
             ON CONFLICT (id) DO UPDATE \
               SET below_xid = GREATEST(search_outbox_pruned.below_xid, EXCLUDED.below_xid) \
             RETURNING 1) \
         SELECT count(*) AS n FROM gone",
    )
    .bind::<Timestamptz, _>(before)
    .get_result::<Count>(conn)
    .await?
    .n;
    Ok(n as usize)
}

/// Rebuilds the whole index from PostgreSQL (`chorus reindex`): everything visible, in one
/// commit whose position is the oldest transaction running when it began, so whatever was still
/// in flight is applied from the outbox afterwards.
pub async fn rebuild(idx: &SearchIndex, pool: &Pool) -> Result<usize, SearchError> {
    let mut conn = db::get(pool).await?;
    // Held throughout, so the runner cannot commit a half-built index in between.
    let mut writer = idx.writer.lock().await;
    let position = Cursor {
        xid: xmin(&mut conn).await?,
        id: 0,
    };
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
    commit.set_payload(&position.payload());
    commit.commit()?;
    drop(writer);
    idx.reader.reload()?;
    Ok(added)
}
