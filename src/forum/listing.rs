//! Topic listings for boards and the home page: one query per page, keyset cursors, no OFFSET.

use super::fields::{Cursor, Kind, Sort};
use crate::access::Reader;
use crate::db::fixed_sql::fixed;
use crate::db::schema::{boards, topics, users};
use crate::db::Conn;
use crate::fields::Status;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Float8, Integer, Timestamptz};
use diesel_async::RunQueryDsl;
use serde::Serialize;

#[derive(Debug, Clone, Queryable, Serialize, utoipa::ToSchema)]
pub struct TopicSummary {
    pub id: i64,
    pub board: String,
    #[serde(skip)]
    pub board_name_zh: String,
    #[serde(skip)]
    pub board_name_en: String,
    pub kind: Kind,
    pub title: String,
    pub tags: Vec<String>,
    pub excerpt: String,
    pub status: Status,
    pub featured: bool,
    pub pinned: bool,
    pub locked: bool,
    pub reply_count: i32,
    pub like_count: i32,
    #[serde(skip)]
    pub hot_rank: f64,
    pub author: String,
    pub author_level: i16,
    pub created_at: DateTime<Utc>,
    pub last_posted_at: DateTime<Utc>,
    pub vote_count: i32,
    pub me_too_count: i32,
    #[serde(skip)]
    pub trending: i32,
}

impl TopicSummary {
    fn cursor(&self, sort: Sort) -> Cursor {
        match sort {
            Sort::Hot => Cursor::Hot(self.hot_rank, self.id),
            Sort::New => Cursor::New(self.created_at.timestamp_micros(), self.id),
            Sort::Top => Cursor::Top(self.like_count, self.id),
            Sort::Votes => Cursor::Votes(self.vote_count, self.id),
            Sort::Trending => Cursor::Trending(self.trending, self.id),
        }
    }
}

pub struct Listing {
    pub items: Vec<TopicSummary>,
    pub next: Option<String>,
}

#[derive(Default)]
pub struct Filter {
    pub board_id: Option<i64>,
    pub kind: Option<Kind>,
    pub status: Option<Status>,
    pub pinned_only: bool,
}

/// A page of topics `reader` may see, `limit` long, after `cursor`.
pub async fn page(
    conn: &mut Conn,
    reader: &Reader,
    filter: &Filter,
    sort: Sort,
    cursor: Option<Cursor>,
    limit: i64,
) -> QueryResult<Listing> {
    let mut q = topics::table
        .inner_join(boards::table)
        .inner_join(users::table)
        .filter(crate::access::topic_shown())
        .filter(reader.readable_boards())
        .select((
            topics::id,
            boards::slug,
            boards::name_zh,
            boards::name_en,
            topics::kind,
            topics::title,
            topics::tags,
            topics::excerpt,
            topics::status,
            topics::featured,
            topics::pinned,
            topics::locked,
            topics::reply_count,
            topics::like_count,
            topics::hot_rank,
            users::username,
            users::level,
            topics::created_at,
            topics::last_posted_at,
            topics::vote_count,
            topics::me_too_count,
            topics::trending,
        ))
        .limit(limit + 1)
        .into_boxed();
    if let Some(b) = filter.board_id {
        q = q.filter(topics::board_id.eq(b));
    }
    if let Some(k) = filter.kind {
        q = q.filter(topics::kind.eq(k));
    }
    if let Some(st) = filter.status {
        q = q.filter(topics::status.eq(st));
    }
    if filter.pinned_only {
        q = q.filter(topics::pinned.eq(true));
    }
    // Row comparisons walk the (key DESC, id DESC) indexes directly.
    q = match (sort, cursor) {
        (Sort::Hot, Some(Cursor::Hot(r, id))) => q.filter(
            fixed::<Bool>("(topics.hot_rank, topics.id) < (")
                .bind::<Float8, _>(r)
                .sql(", ")
                .bind::<BigInt, _>(id)
                .sql(")"),
        ),
        (Sort::New, Some(Cursor::New(t, id))) => {
            let at = DateTime::<Utc>::from_timestamp_micros(t).unwrap_or_default();
            q.filter(
                fixed::<Bool>("(topics.created_at, topics.id) < (")
                    .bind::<Timestamptz, _>(at)
                    .sql(", ")
                    .bind::<BigInt, _>(id)
                    .sql(")"),
            )
        }
        (Sort::Top, Some(Cursor::Top(l, id))) => {
            q.filter(after_int("(topics.like_count, topics.id) < (", l, id))
        }
        (Sort::Votes, Some(Cursor::Votes(v, id))) => {
            q.filter(after_int("(topics.vote_count, topics.id) < (", v, id))
        }
        (Sort::Trending, Some(Cursor::Trending(v, id))) => {
            q.filter(after_int("(topics.trending, topics.id) < (", v, id))
        }
        _ => q,
    };
    q = match sort {
        Sort::Hot => q.order((topics::hot_rank.desc(), topics::id.desc())),
        Sort::New => q.order((topics::created_at.desc(), topics::id.desc())),
        Sort::Top => q.order((topics::like_count.desc(), topics::id.desc())),
        Sort::Votes => q.order((topics::vote_count.desc(), topics::id.desc())),
        Sort::Trending => q.order((topics::trending.desc(), topics::id.desc())),
    };
    let mut items: Vec<TopicSummary> = q.load(conn).await?;
    let next = if items.len() as i64 > limit {
        items.truncate(limit as usize);
        items.last().map(|t| t.cursor(sort).encode())
    } else {
        None
    };
    Ok(Listing { items, next })
}

/// `open` (`(topics.<column>, topics.id) < (`) then `key, id)`: the next page of an
/// integer-keyed sort.
fn after_int(
    open: &'static str,
    key: i32,
    id: i64,
) -> crate::db::fixed_sql::Fixed<Bool, impl diesel::query_builder::QueryFragment<diesel::pg::Pg>> {
    fixed::<Bool>(open)
        .bind::<Integer, _>(key)
        .sql(", ")
        .bind::<BigInt, _>(id)
        .sql(")")
}

/// Recent topics by one author that `reader` may see, for profiles.
pub async fn by_author(
    conn: &mut Conn,
    reader: &Reader,
    author_id: i64,
    limit: i64,
) -> QueryResult<Vec<(i64, String, DateTime<Utc>)>> {
    topics::table
        .filter(topics::author_id.eq(author_id))
        .filter(crate::access::topic_shown())
        .filter(reader.readable_boards())
        .order(topics::created_at.desc())
        .limit(limit)
        .select((topics::id, topics::title, topics::created_at))
        .load(conn)
        .await
}
