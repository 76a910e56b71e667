//! In-app notifications: listing, unread count, marking read, per-kind preferences.

use crate::access::Reader;
use crate::accounts::FieldError;
use crate::db::schema::{notifications, posts, status_changes, topics, users};
use crate::db::Conn;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::Serialize;

/// How a person wants to hear about one kind of event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(as = DeliveryChoice)]
#[serde(rename_all = "snake_case")]
pub enum Delivery {
    Off,
    InApp,
    /// In-app and mail.
    Mail,
}

impl Delivery {
    pub fn parse(raw: &str, field: &'static str) -> Result<Self, FieldError> {
        match raw {
            "off" => Ok(Delivery::Off),
            "in_app" => Ok(Delivery::InApp),
            "mail" => Ok(Delivery::Mail),
            _ => Err(FieldError::new(field, "must be off, in_app or mail")),
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Delivery::Off => "off",
            Delivery::InApp => "in_app",
            Delivery::Mail => "mail",
        }
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = Notification)]
pub struct Item {
    pub id: i64,
    pub kind: String,
    /// None for notices about the person (a medal, a sanction).
    pub topic_id: Option<i64>,
    pub topic_title: Option<String>,
    /// None for status changes.
    pub post_id: Option<i64>,
    pub actor: Option<String>,
    pub created_at: DateTime<Utc>,
    pub read_at: Option<DateTime<Utc>>,
    /// The medal, the hiding cause or the sanction's reason.
    pub detail: String,
    /// For a status change: the status it moved to.
    pub status: Option<crate::fields::Status>,
    /// The start of the post, or of the status change's note; None when there is none to show
    /// (a hidden or deleted post says nothing).
    pub excerpt: Option<String>,
}

type Row = (
    (
        i64,
        String,
        Option<i64>,
        Option<String>,
        Option<i64>,
        Option<String>,
        DateTime<Utc>,
        Option<DateTime<Utc>>,
        String,
        Option<crate::fields::Status>,
    ),
    (Option<String>, bool, Option<String>),
);

/// Notices about people, and notices about topics on boards the reader may read now (someone
/// taken out of a group stops seeing their notices about its board at once).
/// Bound rather than written into the text, so the badge's count (every page) stays prepared.
fn readable(
    reader: &Reader,
) -> diesel::dsl::Or<
    diesel::dsl::IsNull<notifications::topic_id>,
    diesel::dsl::NeAll<topics::board_id, Vec<i64>>,
> {
    notifications::topic_id
        .is_null()
        .or(reader.readable_boards())
}

/// Newest first, keyed by id: `reader`'s own notifications.
pub async fn list(
    conn: &mut Conn,
    reader: &Reader,
    before: Option<i64>,
    limit: i64,
) -> QueryResult<(Vec<Item>, Option<i64>)> {
    let user_id = reader.user_id.unwrap_or(0);
    let actors = diesel::alias!(users as actors);
    let mut q = notifications::table
        .left_join(topics::table)
        .left_join(actors.on(notifications::actor_id.eq(actors.field(users::id).nullable())))
        .left_join(
            status_changes::table
                .on(notifications::status_change_id.eq(status_changes::id.nullable())),
        )
        .left_join(posts::table.on(notifications::post_id.eq(posts::id.nullable())))
        .filter(notifications::user_id.eq(user_id))
        .filter(readable(reader))
        .select((
            (
                notifications::id,
                notifications::kind,
                notifications::topic_id,
                topics::title.nullable(),
                notifications::post_id,
                actors.field(users::username).nullable(),
                notifications::created_at,
                notifications::read_at,
                notifications::detail,
                status_changes::to_status.nullable(),
            ),
            (
                posts::body_md.nullable(),
                posts::hidden_at
                    .is_not_null()
                    .or(posts::deleted_at.is_not_null())
                    .nullable()
                    .assume_not_null(),
                status_changes::note.nullable(),
            ),
        ))
        .order(notifications::id.desc())
        .limit(limit + 1)
        .into_boxed();
    if let Some(b) = before {
        q = q.filter(notifications::id.lt(b));
    }
    let rows: Vec<Row> = q.load(conn).await?;
    let mut items: Vec<Item> = rows
        .into_iter()
        .map(|(n, (body, gone, note))| {
            let text = match (body, note) {
                (Some(b), _) if !gone => Some(b),
                (None, Some(n)) => Some(n),
                _ => None,
            };
            Item {
                id: n.0,
                kind: n.1,
                topic_id: n.2,
                topic_title: n.3,
                post_id: n.4,
                actor: n.5,
                created_at: n.6,
                read_at: n.7,
                detail: n.8,
                status: n.9,
                excerpt: text
                    .map(|t| crate::content::excerpt(&t, 120))
                    .filter(|e| !e.is_empty()),
            }
        })
        .collect();
    let next = if items.len() as i64 > limit {
        items.truncate(limit as usize);
        items.last().map(|i| i.id)
    } else {
        None
    };
    Ok((items, next))
}

pub async fn unread_count(conn: &mut Conn, reader: &Reader) -> QueryResult<i64> {
    notifications::table
        .left_join(topics::table)
        .filter(notifications::user_id.eq(reader.user_id.unwrap_or(0)))
        .filter(notifications::read_at.is_null())
        .filter(readable(reader))
        .count()
        .get_result(conn)
        .await
}

/// Marks the given notifications (or all, with `None`) read; returns the unread count left.
pub async fn mark_read(
    conn: &mut Conn,
    reader: &Reader,
    ids: Option<&[i64]>,
    now: DateTime<Utc>,
) -> QueryResult<i64> {
    let user_id = reader.user_id.unwrap_or(0);
    let mine = notifications::table
        .filter(notifications::user_id.eq(user_id))
        .filter(notifications::read_at.is_null());
    match ids {
        Some(ids) => {
            diesel::update(mine.filter(notifications::id.eq_any(ids)))
                .set(notifications::read_at.eq(now))
                .execute(conn)
                .await?
        }
        None => {
            diesel::update(mine)
                .set(notifications::read_at.eq(now))
                .execute(conn)
                .await?
        }
    };
    unread_count(conn, reader).await
}
