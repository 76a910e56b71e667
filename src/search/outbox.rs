//! Telling the search index that content changed, inside the change's transaction.

use crate::db::schema::search_outbox;
use crate::db::Conn;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

pub const WAKE_CHANNEL: &str = "chorus_search";

/// One post changed (`Some(post)`), or the whole topic (`None`: status, votes, visibility).
pub async fn push(conn: &mut Conn, topic_id: i64, post_id: Option<i64>) -> QueryResult<()> {
    diesel::insert_into(search_outbox::table)
        .values((
            search_outbox::topic_id.eq(topic_id),
            search_outbox::post_id.eq(post_id),
        ))
        .execute(conn)
        .await?;
    diesel::sql_query(format!("NOTIFY {WAKE_CHANNEL}"))
        .execute(conn)
        .await?;
    Ok(())
}
