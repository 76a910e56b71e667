//! Votes on ideas and "me too" on bugs: one per person, toggled, never on one's own topic.
//! Counts are stored on the topic and changed with `count = count ± 1` in the same transaction
//! as the row, so concurrent presses add up exactly.

use super::FeedbackError;
use crate::access::Reader;
use crate::accounts::User;
use crate::db::schema::{topic_votes, topics};
use crate::db::Conn;
use crate::fields::Kind;
use crate::forum::topics::Topic;
use crate::jobs::{Job, JobContext, JobError, JobKind};
use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VoteKind {
    /// On ideas.
    Vote,
    /// On bugs.
    MeToo,
}

impl VoteKind {
    pub fn as_str(self) -> &'static str {
        match self {
            VoteKind::Vote => "vote",
            VoteKind::MeToo => "me_too",
        }
    }
    /// What backing a topic of this kind means; discussions take neither.
    pub fn for_topic(kind: Kind) -> Option<VoteKind> {
        match kind {
            Kind::Idea => Some(VoteKind::Vote),
            Kind::Bug => Some(VoteKind::MeToo),
            Kind::Discussion => None,
        }
    }
}

/// Sets (on = true) or clears the person's vote; returns the topic's count for that kind.
/// `kind: None` takes the one the topic's kind calls for (the page's single button).
pub async fn set(
    conn: &mut Conn,
    s: &crate::config::Settings,
    user: &User,
    topic_id: i64,
    kind: Option<VoteKind>,
    on: bool,
    now: DateTime<Utc>,
) -> Result<i32, FeedbackError> {
    let reader = Reader::of(conn, Some(user)).await?;
    conn.transaction::<_, FeedbackError, _>(async |conn| {
        let topic: Topic = crate::forum::topics::visible(conn, topic_id, &reader)
            .await?
            .ok_or(FeedbackError::NotFound)?;
        let kind = match (VoteKind::for_topic(topic.kind), kind) {
            (Some(takes), asked) if asked.is_none_or(|a| a == takes) => takes,
            _ => return Err(FeedbackError::WrongKind),
        };
        if topic.author_id == user.id {
            return Err(FeedbackError::OwnTopic);
        }
        let changed = if on {
            diesel::insert_into(topic_votes::table)
                .values((
                    topic_votes::topic_id.eq(topic_id),
                    topic_votes::user_id.eq(user.id),
                    topic_votes::kind.eq(kind.as_str()),
                    topic_votes::created_at.eq(now),
                ))
                .on_conflict_do_nothing()
                .execute(conn)
                .await? as i32
        } else {
            -(diesel::delete(topic_votes::table.find((topic_id, user.id, kind.as_str())))
                .execute(conn)
                .await? as i32)
        };
        let t = topics::table.find(topic_id);
        let count = match kind {
            VoteKind::Vote => {
                diesel::update(t)
                    .set(topics::vote_count.eq(topics::vote_count + changed))
                    .returning(topics::vote_count)
                    .get_result(conn)
                    .await?
            }
            VoteKind::MeToo => {
                diesel::update(t)
                    .set(topics::me_too_count.eq(topics::me_too_count + changed))
                    .returning(topics::me_too_count)
                    .get_result(conn)
                    .await?
            }
        };
        if changed != 0 {
            crate::search::outbox::push(conn, topic_id, None).await?;
            crate::honor::on_vote(conn, &s.honor, user, topic_id, on, now).await?;
            crate::triage::priority::refresh(conn, Some(topic_id), now).await?;
        }
        if kind == VoteKind::Vote && changed != 0 {
            refresh_trending(conn, Some(topic_id), now).await?;
        }
        Ok(count)
    })
    .await
}

/// Votes in the last 7 days, stored for the "trending" sort: one topic, or every topic that
/// has or had recent votes.
pub async fn refresh_trending(
    conn: &mut Conn,
    topic_id: Option<i64>,
    now: DateTime<Utc>,
) -> QueryResult<usize> {
    use diesel::sql_types::{BigInt, Timestamptz};
    let since = now - Duration::days(7);
    match topic_id {
        Some(id) => {
            diesel::sql_query(
                "UPDATE topics t SET trending = (SELECT count(*) FROM topic_votes v \
                     WHERE v.topic_id = t.id AND v.kind = 'vote' AND v.created_at > $1) \
                 WHERE t.id = $2",
            )
            .bind::<Timestamptz, _>(since)
            .bind::<BigInt, _>(id)
            .execute(conn)
            .await
        }
        // Recent votes are counted once per topic and joined (an `IN (subquery)` under an OR
        // became a per-row scan of every recent vote once they outgrew work_mem: 20+ minutes
        // at 600k votes).
        None => {
            diesel::sql_query(
                "WITH recent AS ( \
                     SELECT topic_id, count(*) FILTER (WHERE kind = 'vote') AS n \
                     FROM topic_votes WHERE created_at > $1 GROUP BY topic_id) \
                 UPDATE topics t SET trending = coalesce(r.n, 0) \
                 FROM topics t2 LEFT JOIN recent r ON r.topic_id = t2.id \
                 WHERE t.id = t2.id AND (t2.trending > 0 OR r.topic_id IS NOT NULL)",
            )
            .bind::<Timestamptz, _>(since)
            .execute(conn)
            .await
        }
    }
}

/// Whether the person voted / pressed me-too on the topic.
pub async fn has(
    conn: &mut Conn,
    user_id: i64,
    topic_id: i64,
    kind: VoteKind,
) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(topic_votes::table.find((
        topic_id,
        user_id,
        kind.as_str(),
    ))))
    .get_result(conn)
    .await
}

/// Recomputes the "votes in the last 7 days" sort key for every topic.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RefreshTrending;

impl Job for RefreshTrending {
    const KIND: JobKind = JobKind::RefreshTrending;
    const SCHEDULED: bool = true;

    async fn run(self, ctx: &JobContext, now: DateTime<Utc>) -> Result<(), JobError> {
        let mut conn = crate::db::get(&ctx.pool).await?;
        refresh_trending(&mut conn, None, now).await?;
        Ok(())
    }
}
