//! Merging duplicates: the source becomes a locked `duplicate` of the target; its votes, me-too
//! and subscribers are added to the target without double counting; its audience is told where
//! it went (through the status change's fan-out).

use super::changes::{lock_feedback_topic, record, ChangeRequest};
use super::status::{may_change, Status};
use super::FeedbackError;
use crate::accounts::{FieldError, User};
use crate::db::schema::{topic_votes, topics};
use crate::db::Conn;
use crate::fields::Kind;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text, Timestamptz};
use diesel_async::{AsyncConnection, RunQueryDsl};

pub async fn merge(
    conn: &mut Conn,
    actor: &User,
    source_id: i64,
    into_id: i64,
    note: &str,
    now: DateTime<Utc>,
) -> Result<i64, FeedbackError> {
    if !may_change(actor.role()) {
        return Err(FeedbackError::Forbidden);
    }
    if source_id == into_id {
        return Err(FieldError::new("into", "cannot merge a topic into itself").into());
    }
    conn.transaction::<_, FeedbackError, _>(async |conn| {
        // Lock in id order so two opposite merges cannot deadlock.
        let (first, second) = if source_id < into_id { (source_id, into_id) } else { (into_id, source_id) };
        let a = lock_feedback_topic(conn, first, actor).await?;
        let b = lock_feedback_topic(conn, second, actor).await?;
        let (source, target) = if a.id == source_id { (a, b) } else { (b, a) };
        if source.kind != target.kind {
            return Err(FieldError::new("into", "bugs merge into bugs, ideas into ideas").into());
        }
        if target.status == Status::Duplicate {
            return Err(FieldError::new("into", "is itself a duplicate; merge into its original").into());
        }
        if source.status == Status::Duplicate {
            return Err(FieldError::new("into", "this topic was already merged").into());
        }
        let kind = if source.kind == Kind::Bug { "me_too" } else { "vote" };
        // Everyone behind the source counts once on the target: its voters and its reporter.
        diesel::sql_query(
            "INSERT INTO topic_votes (topic_id, user_id, kind, created_at) \
             SELECT $1, user_id, kind, created_at FROM topic_votes WHERE topic_id = $2 AND user_id <> $3 \
             UNION ALL SELECT $1, $4, $5, $6 WHERE $4 <> $3 \
             ON CONFLICT DO NOTHING",
        )
        .bind::<BigInt, _>(target.id)
        .bind::<BigInt, _>(source.id)
        .bind::<BigInt, _>(target.author_id)
        .bind::<BigInt, _>(source.author_id)
        .bind::<Text, _>(kind)
        .bind::<Timestamptz, _>(now)
        .execute(conn)
        .await?;
        diesel::sql_query(
            "INSERT INTO subscriptions (topic_id, user_id, created_at) \
             SELECT $1, user_id, created_at FROM subscriptions WHERE topic_id = $2 ON CONFLICT DO NOTHING",
        )
        .bind::<BigInt, _>(target.id)
        .bind::<BigInt, _>(source.id)
        .execute(conn)
        .await?;
        let count = |k: &'static str| {
            topic_votes::table.filter(topic_votes::topic_id.eq(target.id)).filter(topic_votes::kind.eq(k)).count()
        };
        let votes: i64 = count("vote").get_result(conn).await?;
        let me_too: i64 = count("me_too").get_result(conn).await?;
        diesel::update(topics::table.find(target.id))
            .set((topics::vote_count.eq(votes as i32), topics::me_too_count.eq(me_too as i32)))
            .execute(conn)
            .await?;
        diesel::update(topics::table.find(source.id))
            .set((topics::duplicate_of.eq(target.id), topics::locked.eq(true)))
            .execute(conn)
            .await?;
        super::votes::refresh_trending(conn, Some(target.id), now).await?;
        crate::search::outbox::push(conn, target.id, None).await?;
        crate::triage::routing::route(conn, target.id, now).await?;
        let req = ChangeRequest {
            status: Status::Duplicate,
            note: note.to_string(),
            fixed_in: None,
            duplicate_of: Some(target.id),
        };
        record(conn, &source, actor.id, &req, now).await
    })
    .await
}

/// Topics merged into this one: (id, title).
pub async fn merged_into(conn: &mut Conn, topic_id: i64) -> QueryResult<Vec<(i64, String)>> {
    topics::table
        .filter(topics::duplicate_of.eq(topic_id))
        .order(topics::id)
        .limit(100)
        .select((topics::id, topics::title))
        .load(conn)
        .await
}

/// What a merge would move, for the confirmation page: people who would newly count on the
/// target (the source's voters or me-too and its reporter, minus those already there) and
/// subscribers who would start following it. Nothing is written.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Preview {
    pub people: i64,
    pub subscribers: i64,
    pub target_count_after: i64,
}

pub async fn preview(
    conn: &mut Conn,
    source: &crate::forum::topics::Topic,
    target: &crate::forum::topics::Topic,
) -> Result<Preview, FeedbackError> {
    if source.id == target.id {
        return Err(FieldError::new("into", "cannot merge a topic into itself").into());
    }
    if source.kind != target.kind || !source.kind.is_feedback() {
        return Err(FieldError::new("into", "bugs merge into bugs, ideas into ideas").into());
    }
    if target.status == Status::Duplicate {
        return Err(
            FieldError::new("into", "is itself a duplicate; merge into its original").into(),
        );
    }
    if source.status == Status::Duplicate {
        return Err(FieldError::new("into", "this topic was already merged").into());
    }
    #[derive(diesel::QueryableByName)]
    struct N {
        #[diesel(sql_type = BigInt)]
        people: i64,
        #[diesel(sql_type = BigInt)]
        subscribers: i64,
        #[diesel(sql_type = BigInt)]
        now_on_target: i64,
    }
    let n: N = diesel::sql_query(
        "SELECT \
           (SELECT count(*) FROM (SELECT user_id FROM topic_votes WHERE topic_id = $2 \
                UNION SELECT $4) s \
             WHERE s.user_id <> $3 AND NOT EXISTS \
               (SELECT 1 FROM topic_votes v WHERE v.topic_id = $1 AND v.user_id = s.user_id)) AS people, \
           (SELECT count(*) FROM subscriptions s WHERE s.topic_id = $2 AND NOT EXISTS \
               (SELECT 1 FROM subscriptions t WHERE t.topic_id = $1 AND t.user_id = s.user_id)) AS subscribers, \
           (SELECT count(*) FROM topic_votes WHERE topic_id = $1) AS now_on_target",
    )
    .bind::<BigInt, _>(target.id)
    .bind::<BigInt, _>(source.id)
    .bind::<BigInt, _>(target.author_id)
    .bind::<BigInt, _>(source.author_id)
    .get_result(conn)
    .await?;
    Ok(Preview {
        people: n.people,
        subscribers: n.subscribers,
        target_count_after: n.now_on_target + n.people,
    })
}
