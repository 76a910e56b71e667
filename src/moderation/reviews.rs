//! The review queue: one open review per post, fed by flags (weighted by the flaggers' trust)
//! and by held posts. Moderators agree (it stays hidden), disagree (it comes back) or defer.

use super::ModError;
use crate::audit::{self, Entry};
use crate::config::Settings;
use crate::db::schema::{flags, notifications, posts, reviews, topics, users};
use crate::db::Conn;
use crate::jobs::{Job, JobContext, JobError, JobKind};
use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use serde::Serialize;

crate::text_enum! {
    /// Where a review stands; a flag's outcome uses the same words.
    pub enum ReviewStatus {
        Pending = "pending",
        Deferred = "deferred",
        Agreed = "agreed",
        Disagreed = "disagreed",
    }
}

impl ReviewStatus {
    /// Still in the queue.
    pub const UNDECIDED: &'static [ReviewStatus] = &[ReviewStatus::Pending, ReviewStatus::Deferred];
}

/// Hides (`Some(reason)`) or restores (`None`) a post; an opening post takes its topic with it.
/// Returns the topic id. The search index hears of it in the same transaction.
pub async fn set_post_hidden(
    conn: &mut Conn,
    post_id: i64,
    reason: Option<&str>,
    now: DateTime<Utc>,
) -> QueryResult<i64> {
    let (topic_id, depth): (i64, i32) = diesel::update(posts::table.find(post_id))
        .set((
            posts::hidden_at.eq(reason.map(|_| now)),
            posts::hidden_reason.eq(reason),
        ))
        .returning((posts::topic_id, posts::depth))
        .get_result(conn)
        .await?;
    if depth == 0 {
        diesel::update(topics::table.find(topic_id))
            .set((
                topics::hidden_at.eq(reason.map(|_| now)),
                topics::updated_at.eq(now),
            ))
            .execute(conn)
            .await?;
        crate::search::outbox::push(conn, topic_id, None).await?;
    } else {
        crate::search::outbox::push(conn, topic_id, Some(post_id)).await?;
    }
    Ok(topic_id)
}

/// Tells a post's author it was hidden and how to appeal (the notice's `detail` is the cause).
pub async fn notify_hidden(
    conn: &mut Conn,
    post_id: i64,
    cause: &str,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    let (author, topic_id): (i64, i64) = posts::table
        .find(post_id)
        .select((posts::author_id, posts::topic_id))
        .first(conn)
        .await?;
    diesel::insert_into(notifications::table)
        .values((
            notifications::user_id.eq(author),
            notifications::kind.eq("post_hidden"),
            notifications::topic_id.eq(topic_id),
            notifications::post_id.eq(post_id),
            notifications::detail.eq(cause),
            notifications::created_at.eq(now),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// The open review of a post, created if there is none.
pub async fn open_for(
    conn: &mut Conn,
    post_id: i64,
    cause: &str,
    now: DateTime<Utc>,
) -> QueryResult<i64> {
    if let Some(id) = reviews::table
        .filter(reviews::post_id.eq(post_id))
        .filter(reviews::status.eq_any(ReviewStatus::UNDECIDED))
        .select(reviews::id)
        .for_update()
        .first::<i64>(conn)
        .await
        .optional()?
    {
        return Ok(id);
    }
    diesel::insert_into(reviews::table)
        .values((
            reviews::post_id.eq(post_id),
            reviews::cause.eq(cause),
            reviews::created_at.eq(now),
        ))
        .returning(reviews::id)
        .get_result(conn)
        .await
}

/// Holds a just-written post for review (a new account's link): hidden, queued, author told.
pub async fn hold(conn: &mut Conn, post_id: i64, now: DateTime<Utc>) -> QueryResult<()> {
    set_post_hidden(conn, post_id, Some("held"), now).await?;
    open_for(conn, post_id, "held", now).await?;
    notify_hidden(conn, post_id, "held", now).await?;
    Ok(())
}

/// The author edited a hidden post: it goes back to the top of the queue (the appeal).
pub async fn appeal(conn: &mut Conn, post_id: i64, now: DateTime<Utc>) -> QueryResult<()> {
    diesel::update(
        reviews::table
            .filter(reviews::post_id.eq(post_id))
            .filter(reviews::status.eq_any(ReviewStatus::UNDECIDED)),
    )
    .set((
        reviews::status.eq(ReviewStatus::Pending),
        reviews::note.eq("edited by the author"),
    ))
    .execute(conn)
    .await?;
    audit::record(
        conn,
        Entry {
            action: "appeal_edit",
            post_id: Some(post_id),
            ..Default::default()
        },
        now,
    )
    .await
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = ReviewFlag)]
pub struct FlagView {
    pub flagger: String,
    pub reason: String,
    pub note: String,
    pub weight: f64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = ReviewItem)]
pub struct QueueItem {
    pub id: i64,
    pub cause: String,
    pub status: ReviewStatus,
    pub weight: f64,
    pub top_reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub escalated: bool,
    pub post_id: i64,
    pub topic_id: i64,
    pub topic_title: String,
    pub author: String,
    pub body_html: String,
    pub hidden: bool,
    pub note: String,
    pub flags: Vec<FlagView>,
}

/// Open items, worst first: pending before deferred, then weight, then the graver reason
/// (spam and abuse before the rest), then the oldest.
/// Who wrote the post under review.
pub async fn author_of(conn: &mut Conn, review_id: i64) -> QueryResult<Option<i64>> {
    reviews::table
        .inner_join(posts::table)
        .filter(reviews::id.eq(review_id))
        .select(posts::author_id)
        .first(conn)
        .await
        .optional()
}

/// How many reviews wait for a moderator (pending or deferred), for the staff header.
pub async fn waiting_count(conn: &mut Conn) -> QueryResult<i64> {
    reviews::table
        .filter(reviews::status.eq_any(ReviewStatus::UNDECIDED))
        .count()
        .get_result(conn)
        .await
}

pub async fn queue(conn: &mut Conn, limit: i64) -> QueryResult<Vec<QueueItem>> {
    type Row = (
        (
            i64,
            String,
            ReviewStatus,
            f64,
            Option<String>,
            DateTime<Utc>,
        ),
        (Option<DateTime<Utc>>, String),
        (i64, i64, String, Option<DateTime<Utc>>),
        String,
        String,
    );
    let rows: Vec<Row> = reviews::table
        .inner_join(
            posts::table
                .inner_join(topics::table)
                .inner_join(users::table),
        )
        .filter(reviews::status.eq_any(ReviewStatus::UNDECIDED))
        .order((
            reviews::status.desc(),
            reviews::weight.desc(),
            crate::db::fixed_sql::fixed::<diesel::sql_types::Integer>(
                "CASE reviews.top_reason WHEN 'spam' THEN 0 WHEN 'abuse' THEN 1 ELSE 2 END",
            ),
            reviews::created_at.asc(),
        ))
        .limit(limit)
        .select((
            (
                reviews::id,
                reviews::cause,
                reviews::status,
                reviews::weight,
                reviews::top_reason,
                reviews::created_at,
            ),
            (reviews::escalated_at, reviews::note),
            (
                posts::id,
                posts::topic_id,
                posts::body_html,
                posts::hidden_at,
            ),
            topics::title,
            users::username,
        ))
        .load(conn)
        .await?;
    let ids: Vec<i64> = rows.iter().map(|r| r.0 .0).collect();
    let all_flags: Vec<(i64, String, String, String, f64)> = flags::table
        .inner_join(users::table)
        .filter(flags::review_id.eq_any(&ids))
        .order(flags::weight.desc())
        .select((
            flags::review_id,
            users::username,
            flags::reason,
            flags::note,
            flags::weight,
        ))
        .load(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(
            |(r, (escalated_at, note), p, topic_title, author)| QueueItem {
                id: r.0,
                cause: r.1,
                status: r.2,
                weight: r.3,
                top_reason: r.4,
                created_at: r.5,
                escalated: escalated_at.is_some(),
                post_id: p.0,
                topic_id: p.1,
                body_html: p.2,
                hidden: p.3.is_some(),
                topic_title,
                author,
                note,
                flags: all_flags
                    .iter()
                    .filter(|f| f.0 == r.0)
                    .map(|f| FlagView {
                        flagger: f.1.clone(),
                        reason: f.2.clone(),
                        note: f.3.clone(),
                        weight: f.4,
                    })
                    .collect(),
            },
        )
        .collect())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Agree,
    Disagree,
    Defer,
}

impl Decision {
    /// What `parse` takes (for the API document).
    pub const NAMES: &'static [&'static str] = &["agree", "disagree", "defer"];

    pub fn parse(raw: &str) -> Option<Decision> {
        match raw {
            "agree" => Some(Decision::Agree),
            "disagree" => Some(Decision::Disagree),
            "defer" => Some(Decision::Defer),
            _ => None,
        }
    }
}

/// A moderator's decision on an open review.
/// `act.reason` is the decision's note (may be empty).
pub async fn decide(
    conn: &mut Conn,
    s: &Settings,
    act: &super::Act<'_>,
    review_id: i64,
    decision: Decision,
) -> Result<(), ModError> {
    let (moderator, ip, now) = (act.moderator, act.ip, act.now);
    if !moderator.role().is_staff() {
        return Err(ModError::Forbidden {
            code: "forbidden",
            message: "Moderators only.".into(),
        });
    }
    let note = super::clean_text(act.reason)
        .chars()
        .take(1000)
        .collect::<String>();
    conn.transaction::<_, ModError, _>(async |conn| {
        let (post_id, status): (i64, ReviewStatus) = reviews::table
            .find(review_id)
            .select((reviews::post_id, reviews::status))
            .for_update()
            .first(conn)
            .await
            .optional()?
            .ok_or(ModError::NotFound)?;
        if !ReviewStatus::UNDECIDED.contains(&status) {
            return Err(ModError::Conflict("This item was already decided.".into()));
        }
        let (hidden, hidden_reason, topic_id, author): (bool, Option<String>, i64, i64) =
            posts::table
                .find(post_id)
                .select((
                    posts::hidden_at.is_not_null(),
                    posts::hidden_reason,
                    posts::topic_id,
                    posts::author_id,
                ))
                .first(conn)
                .await?;
        let new_status = match decision {
            Decision::Agree => ReviewStatus::Agreed,
            Decision::Disagree => ReviewStatus::Disagreed,
            Decision::Defer => ReviewStatus::Deferred,
        };
        diesel::update(reviews::table.find(review_id))
            .set((
                reviews::status.eq(new_status),
                reviews::note.eq(&note),
                reviews::decided_by.eq(moderator.id),
                reviews::decided_at.eq((decision != Decision::Defer).then_some(now)),
            ))
            .execute(conn)
            .await?;
        if decision != Decision::Defer {
            let agreed = decision == Decision::Agree;
            if agreed && !hidden {
                set_post_hidden(conn, post_id, Some("flags"), now).await?;
                notify_hidden(conn, post_id, "flags", now).await?;
            }
            if !agreed && hidden && hidden_reason.as_deref() != Some("moderator") {
                set_post_hidden(conn, post_id, None, now).await?;
            }
            if agreed {
                crate::honor::on_post_hidden(conn, &s.honor, post_id, true, now).await?;
            }
            let decided: Vec<(i64, i64)> = diesel::update(
                flags::table
                    .filter(flags::review_id.eq(review_id))
                    .filter(flags::outcome.eq(ReviewStatus::Pending)),
            )
            .set(flags::outcome.eq(new_status))
            .returning((flags::id, flags::flagger_id))
            .get_results(conn)
            .await?;
            for &(flag_id, flagger) in &decided {
                let (a, d) = if agreed { (1, 0) } else { (0, 1) };
                diesel::update(users::table.find(flagger))
                    .set((
                        users::flags_agreed.eq(users::flags_agreed + a),
                        users::flags_disagreed.eq(users::flags_disagreed + d),
                    ))
                    .execute(conn)
                    .await?;
                crate::honor::on_flag_decided(conn, &s.honor, flagger, flag_id, agreed, now)
                    .await?;
            }
            // Each flagger hears the outcome, on the post they flagged (shown only while they
            // may still read it).
            let flaggers: Vec<i64> = decided.iter().map(|(_, f)| *f).collect();
            let kind = if agreed {
                "flag_upheld"
            } else {
                "flag_declined"
            };
            let rows: Vec<_> = flaggers
                .iter()
                .map(|f| {
                    (
                        notifications::user_id.eq(*f),
                        notifications::kind.eq(kind),
                        notifications::topic_id.eq(topic_id),
                        notifications::post_id.eq(post_id),
                        notifications::created_at.eq(now),
                    )
                })
                .collect();
            diesel::insert_into(notifications::table)
                .values(&rows)
                .execute(conn)
                .await?;
        }
        audit::record(
            conn,
            Entry {
                actor_id: Some(moderator.id),
                action: match decision {
                    Decision::Agree => "review_agree",
                    Decision::Disagree => "review_disagree",
                    Decision::Defer => "review_defer",
                },
                topic_id: Some(topic_id),
                post_id: Some(post_id),
                target_user_id: Some(author),
                reason: &note,
                actor_ip: ip,
                ..Default::default()
            },
            now,
        )
        .await?;
        Ok(())
    })
    .await
}

/// Items still open after the configured age go to every moderator, once. Returns how many.
/// Three statements whatever the number of items or moderators.
pub async fn escalate(conn: &mut Conn, s: &Settings, now: DateTime<Utc>) -> QueryResult<usize> {
    use diesel::sql_types::{Integer, Timestamptz};
    let cutoff = now - Duration::hours(s.moderation.escalate_after_hours);
    conn.transaction::<_, diesel::result::Error, _>(async |conn| {
        #[derive(diesel::QueryableByName)]
        struct N {
            #[diesel(sql_type = Integer)]
            n: i32,
        }
        // Mark, notify every moderator and admin, and log, in one statement.
        let done: N = diesel::sql_query(
            "WITH marked AS ( \
                 UPDATE reviews SET escalated_at = $1 \
                 WHERE status IN ('pending', 'deferred') AND escalated_at IS NULL AND created_at < $2 \
                 RETURNING post_id), \
             items AS (SELECT m.post_id, p.topic_id FROM marked m JOIN posts p ON p.id = m.post_id), \
             told AS ( \
                 INSERT INTO notifications (user_id, kind, topic_id, post_id, created_at) \
                 SELECT u.id, 'review_escalated', i.topic_id, i.post_id, $1 FROM items i \
                 CROSS JOIN users u WHERE u.role IN ('moderator', 'admin')), \
             logged AS ( \
                 INSERT INTO mod_log (action, topic_id, post_id, reason, created_at) \
                 SELECT 'review_escalated', topic_id, post_id, '', $1 FROM items) \
             SELECT count(*)::int4 AS n FROM items",
        )
        .bind::<Timestamptz, _>(now)
        .bind::<Timestamptz, _>(cutoff)
        .get_result(conn)
        .await?;
        Ok(done.n as usize)
    })
    .await
}

/// Sends review items left open too long to every moderator (hourly).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct EscalateReviews;

impl Job for EscalateReviews {
    const KIND: JobKind = JobKind::EscalateReviews;
    const SCHEDULED: bool = true;

    async fn run(self, ctx: &JobContext, now: DateTime<Utc>) -> Result<(), JobError> {
        let mut conn = crate::db::get(&ctx.pool).await?;
        escalate(&mut conn, &ctx.settings, now).await?;
        Ok(())
    }
}
