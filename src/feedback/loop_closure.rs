//! Closing the loop: everyone behind an item hears what happened to it, exactly once per change.
//!
//! `StatusChanged` writes one notification per person (reporter, voters, me-too users,
//! subscribers: a set, so a person in all four groups counts once) with one INSERT ... SELECT,
//! so an idea with 100,000 voters costs one statement. Mail is batched: each person gets a
//! `StatusMail` job a few minutes out, keyed `pending:status-mail:<user>` so further changes in
//! that window join the same mail instead of sending another.

use crate::accounts::Locale;
use crate::db::schema::{notifications, status_changes, topic_votes, topics, users};
use crate::db::{self, Pool};
use crate::fields::{Kind, Status};
use crate::jobs::{Job, JobContext, JobError, JobKind};
use crate::mail::{Letter, Mailer};
use crate::notify::NotifyError;
use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Timestamptz};
use diesel_async::{AsyncConnection, RunQueryDsl};

/// How long mail waits for further changes to the same person.
pub const BATCH_WINDOW: Duration = Duration::minutes(3);

/// The `StatusChanged` job: notifications for everyone concerned, mail jobs for those who want mail.
pub async fn status_changed(
    pool: &Pool,
    change_id: i64,
    now: DateTime<Utc>,
) -> Result<usize, NotifyError> {
    let mut conn = db::get(pool).await?;
    conn.transaction::<_, NotifyError, _>(async |conn| {
        // The recipients are built once as a set (UNION), then joined to users by key.
        let written = diesel::sql_query(format!(
            "WITH c AS ( \
                 SELECT c.id, c.topic_id, c.actor_id FROM status_changes c \
                 JOIN topics t ON t.id = c.topic_id AND {} \
                 WHERE c.id = $1), \
             r AS ( \
                 SELECT t.author_id AS user_id FROM topics t WHERE t.id = (SELECT topic_id FROM c) \
                 UNION SELECT v.user_id FROM topic_votes v WHERE v.topic_id = (SELECT topic_id FROM c) \
                 UNION SELECT s.user_id FROM subscriptions s WHERE s.topic_id = (SELECT topic_id FROM c)) \
             INSERT INTO notifications (user_id, kind, topic_id, status_change_id, actor_id, created_at, mail_pending) \
             SELECT u.id, 'status', c.topic_id, c.id, c.actor_id, $2, \
                    (u.notify_status = 'mail' AND u.email_verified_at IS NOT NULL) \
             FROM r JOIN users u ON u.id = r.user_id CROSS JOIN c \
             WHERE u.id <> c.actor_id AND u.notify_status <> 'off' \
             ON CONFLICT DO NOTHING",
            crate::access::shown_sql("t")
        ))
        .bind::<BigInt, _>(change_id)
        .bind::<Timestamptz, _>(now)
        .execute(conn)
        .await?;
        // One mail job per person who wants mail; a pending one absorbs this change.
        let wants_mail: Vec<i64> = notifications::table
            .filter(notifications::status_change_id.eq(change_id))
            .filter(notifications::mail_pending)
            .select(notifications::user_id)
            .load(conn)
            .await?;
        let mail_jobs: Vec<_> = wants_mail
            .into_iter()
            .map(|user_id| (StatusMail { user_id }, Some(status_mail_key(user_id))))
            .collect();
        crate::jobs::enqueue_many(conn, &mail_jobs, now + BATCH_WINDOW).await?;
        Ok(written)
    })
    .await
}

#[derive(Queryable)]
struct Pending {
    id: i64,
    topic_id: i64,
    title: String,
    to_status: Status,
    note: String,
    fixed_in: Option<String>,
    duplicate_of: Option<i64>,
    author_id: i64,
}

/// The `StatusMail` job: one mail with every change this person has not been mailed about yet.
pub async fn send_status_mail(
    pool: &Pool,
    mailer: &Mailer,
    user_id: i64,
    now: DateTime<Utc>,
) -> Result<(), NotifyError> {
    let mut conn = db::get(pool).await?;
    conn.transaction::<_, NotifyError, _>(async |conn| {
        // Only items on boards this person may still read are mailed.
        let reader = crate::access::Reader::of_user_id(conn, user_id).await?;
        let pending: Vec<Pending> = notifications::table
            .inner_join(status_changes::table.on(status_changes::id.nullable().eq(notifications::status_change_id)))
            .inner_join(topics::table.on(notifications::topic_id.eq(topics::id.nullable())))
            .filter(notifications::user_id.eq(user_id))
            .filter(notifications::mail_pending.eq(true))
            .filter(crate::access::topic_shown())
            .filter(reader.readable_boards())
            .order(notifications::id)
            .select((
                notifications::id,
                topics::id,
                topics::title,
                status_changes::to_status,
                status_changes::note,
                status_changes::fixed_in,
                status_changes::duplicate_of,
                topics::author_id,
            ))
            .for_update()
            .load(conn)
            .await?;
        // Whatever is pending, hidden topics included, is settled by this run.
        diesel::update(notifications::table.filter(notifications::user_id.eq(user_id)).filter(notifications::mail_pending.eq(true)))
            .set(notifications::mail_pending.eq(false))
            .execute(conn)
            .await?;
        let Some(last) = pending.last() else { return Ok(()) };
        let (email, username, locale): (String, String, Option<String>) =
            users::table.find(user_id).select((users::email, users::username, users::locale)).first(conn).await?;
        let me_too: Vec<i64> = topic_votes::table
            .filter(topic_votes::user_id.eq(user_id))
            .filter(topic_votes::kind.eq("me_too"))
            .filter(topic_votes::topic_id.eq_any(pending.iter().map(|p| p.topic_id).collect::<Vec<_>>()))
            .select(topic_votes::topic_id)
            .load(conn)
            .await?;
        let base = mailer.base_url();
        let items: Vec<minijinja::Value> = pending
            .iter()
            .map(|p| {
                let outcome = p.to_status.is_outcome();
                let asked = outcome && (p.author_id == user_id || me_too.contains(&p.topic_id));
                minijinja::context! {
                    title => &p.title, status => p.to_status.as_str(), note => crate::content::excerpt(&p.note, 500),
                    fixed_in => &p.fixed_in, link => format!("{base}/t/{}", p.topic_id),
                    duplicate_link => p.duplicate_of.map(|d| format!("{base}/t/{d}")),
                    ask_satisfaction => asked, satisfaction_link => format!("{base}/t/{}#satisfaction", p.topic_id),
                }
            })
            .collect();
        let count = pending.len().to_string();
        mailer
            .enqueue(
                conn,
                Letter {
                    event_key: format!("status:{user_id}:{}", last.id),
                    user_id: Some(user_id),
                    to: &email,
                    locale: locale.as_deref().and_then(Locale::parse).unwrap_or(Locale::ZhCn),
                    template: "status",
                    subject_args: &[("title", &pending[0].title), ("count", &count)],
                    ctx: minijinja::context! { username => &username, items => items, count => pending.len() },
                    post_id: None,
                },
                now,
            )
            .await?;
        Ok(())
    })
    .await
}

fn status_mail_key(user_id: i64) -> String {
    crate::jobs::pending_key(&format!("status-mail:{user_id}"))
}

/// Tells everyone behind a bug or idea about a status change, and gives the reporter the honor
/// of a milestone status.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct StatusChanged {
    pub change_id: i64,
}

impl Job for StatusChanged {
    const KIND: JobKind = JobKind::StatusChanged;

    async fn run(self, ctx: &JobContext, now: DateTime<Utc>) -> Result<(), JobError> {
        let mut conn = db::get(&ctx.pool).await?;
        status_honor(&mut conn, &ctx.settings, self.change_id, now).await?;
        drop(conn);
        status_changed(&ctx.pool, self.change_id, now).await?;
        Ok(())
    }
}

/// One mail with a person's pending status changes (batched over `BATCH_WINDOW`).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct StatusMail {
    pub user_id: i64,
}

impl Job for StatusMail {
    const KIND: JobKind = JobKind::StatusMail;

    async fn run(self, ctx: &JobContext, now: DateTime<Utc>) -> Result<(), JobError> {
        Ok(send_status_mail(&ctx.pool, &ctx.mailer, self.user_id, now).await?)
    }
}

/// The reporter's honor for a milestone status (acknowledged, planned, resolved). Replays are
/// harmless: the ledger counts each (reason, topic) once.
async fn status_honor(
    conn: &mut db::Conn,
    settings: &crate::config::Settings,
    change_id: i64,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    use crate::db::schema::{status_changes, topics};
    let (topic_id, actor_id, to_status, kind): (i64, i64, Status, Kind) = status_changes::table
        .inner_join(topics::table.on(topics::id.eq(status_changes::topic_id)))
        .filter(status_changes::id.eq(change_id))
        .select((
            status_changes::topic_id,
            status_changes::actor_id,
            status_changes::to_status,
            topics::kind,
        ))
        .first(conn)
        .await?;
    conn.transaction::<_, diesel::result::Error, _>(async |conn| {
        crate::honor::on_status(
            conn,
            &settings.honor,
            actor_id,
            topic_id,
            kind,
            to_status,
            now,
        )
        .await
    })
    .await
}
