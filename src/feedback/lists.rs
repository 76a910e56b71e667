//! Read-only feedback lists: a person's own reports, ideas and votes, and the public roadmap.

use crate::access::Reader;
use crate::db::schema::{products, topic_votes, topics};
use crate::db::Conn;
use crate::fields::{Kind, Status};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::Serialize;

#[derive(Debug, Clone, Queryable, Serialize, utoipa::ToSchema)]
#[schema(as = MyFeedbackItem)]
pub struct Item {
    pub topic_id: i64,
    pub title: String,
    pub kind: Kind,
    pub status: Status,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Mine {
    pub reports: Vec<Item>,
    pub ideas: Vec<Item>,
    pub votes: Vec<Item>,
}

/// What the person filed (even if a moderator hid it: it is theirs) and what they back.
pub async fn mine(conn: &mut Conn, reader: &Reader, limit: i64) -> QueryResult<Mine> {
    let user_id = reader.user_id.unwrap_or(0);
    let own: Vec<Item> = topics::table
        .filter(topics::author_id.eq(user_id))
        .filter(topics::kind.ne(Kind::Discussion))
        .filter(crate::access::topic_not_deleted())
        .filter(reader.readable_boards())
        .order(topics::created_at.desc())
        .limit(limit)
        .select((topics::id, topics::title, topics::kind, topics::status))
        .load(conn)
        .await?;
    let votes: Vec<Item> = topic_votes::table
        .inner_join(topics::table.on(topics::id.eq(topic_votes::topic_id)))
        .filter(topic_votes::user_id.eq(user_id))
        .filter(crate::access::topic_shown())
        .filter(reader.readable_boards())
        .order(topic_votes::created_at.desc())
        .limit(limit)
        .select((topics::id, topics::title, topics::kind, topics::status))
        .load(conn)
        .await?;
    let (reports, ideas) = own.into_iter().partition(|i| i.kind == Kind::Bug);
    Ok(Mine {
        reports,
        ideas,
        votes,
    })
}

#[derive(Debug, Clone, Queryable)]
pub struct RoadItem {
    pub id: i64,
    pub title: String,
    pub kind: Kind,
    pub status: Status,
    pub vote_count: i32,
    pub me_too_count: i32,
    pub product_zh: Option<String>,
    pub product_en: Option<String>,
}

/// Planned and in-progress items, and those resolved since `since`, ordered by product.
pub async fn roadmap(
    conn: &mut Conn,
    reader: &Reader,
    since: DateTime<Utc>,
) -> QueryResult<Vec<RoadItem>> {
    topics::table
        .left_join(products::table.on(products::id.nullable().eq(topics::product_id)))
        .filter(crate::access::topic_shown())
        .filter(reader.readable_boards())
        .filter(
            topics::status
                .eq_any([Status::Planned, Status::InProgress])
                .or(topics::status
                    .eq(Status::Resolved)
                    .and(topics::status_changed_at.ge(since))),
        )
        .order((
            products::slug.asc(),
            topics::vote_count.desc(),
            topics::id.desc(),
        ))
        .limit(500)
        .select((
            topics::id,
            topics::title,
            topics::kind,
            topics::status,
            topics::vote_count,
            topics::me_too_count,
            products::name_zh.nullable(),
            products::name_en.nullable(),
        ))
        .load(conn)
        .await
}
