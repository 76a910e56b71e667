//! Delivers the mail outbox: claim one due row, send it, record the outcome, next.
//!
//! The promise (docs/operations.md): every message is tried, and none is sent twice blindly.
//! - A row is claimed alone (`sending`, with a lease), so a crash holds at most that one row.
//! - `content_at` is written just before the message content goes to the server. A delivery
//!   that died before that delivered nothing: `reap` puts it back in the queue.
//! - After it, the server may have accepted the message: a lost reply, a timeout or a crash
//!   makes the row `unknown`, sent again only after `unknown_retry_after_secs`, with the same
//!   Message-ID so the receiving side can drop a repeat.
//! - 4xx replies retry with exponential backoff; 5xx replies fail at once with the reason.

use super::transport::{Outgoing, SendError, Transport};
use crate::config::MailSettings;
use crate::db::schema::mail_outbox;
use crate::db::{self, Pool};
use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Text, Timestamptz};
use diesel_async::RunQueryDsl;

/// A claim lasts this long past the SMTP deadline; a `sending` row older than that belongs to
/// a delivery that died.
const LEASE_SLACK: Duration = Duration::seconds(60);
/// Messages per step (each claimed alone).
const BATCH: usize = 20;

#[derive(Debug, QueryableByName)]
struct Claimed {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    recipient: String,
    #[diesel(sql_type = Text)]
    subject: String,
    #[diesel(sql_type = Text)]
    body_text: String,
    #[diesel(sql_type = Text)]
    body_html: String,
    #[diesel(sql_type = Integer)]
    attempts: i32,
    #[diesel(sql_type = diesel::sql_types::Nullable<BigInt>)]
    post_id: Option<i64>,
    #[diesel(sql_type = diesel::sql_types::Nullable<BigInt>)]
    user_id: Option<i64>,
}

#[derive(Debug, Default, PartialEq, Eq)]
pub struct Delivered {
    pub sent: usize,
    pub retrying: usize,
    pub failed: usize,
    pub cancelled: usize,
    /// Content sent, reply lost: parked until `unknown_retry_after_secs`.
    pub unknown: usize,
}

/// Mail waiting in the outbox (for `/metrics`).
pub async fn queued_count(conn: &mut db::Conn) -> QueryResult<i64> {
    mail_outbox::table
        .filter(mail_outbox::status.eq("queued"))
        .count()
        .get_result(conn)
        .await
}

/// Is the post this mail is about still shown, on a board its recipient may still read?
async fn still_readable(conn: &mut db::Conn, m: &Claimed, post_id: i64) -> QueryResult<bool> {
    use crate::db::schema::{posts, topics};
    let reader = match m.user_id {
        Some(u) => crate::access::Reader::of_user_id(conn, u).await?,
        None => crate::access::Reader::load(conn, None).await?,
    };
    let found: Option<i64> = posts::table
        .inner_join(topics::table)
        .filter(posts::id.eq(post_id))
        .filter(crate::access::post_shown())
        .filter(crate::access::topic_shown())
        .filter(reader.readable_boards())
        .select(posts::id)
        .first(conn)
        .await
        .optional()?;
    Ok(found.is_some())
}

/// Claims and delivers due mail, one row at a time, up to a batch.
pub async fn deliver_due(
    pool: &Pool,
    transport: &Transport,
    settings: &MailSettings,
    now: DateTime<Utc>,
) -> Result<Delivered, db::DbError> {
    let mut conn = db::get(pool).await?;
    let lease = Duration::seconds(settings.send_timeout_secs as i64) + LEASE_SLACK;
    reap(&mut conn, settings, now - lease, now).await?;
    let mut out = Delivered::default();
    for _ in 0..BATCH {
        let claimed: Option<Claimed> = diesel::sql_query(
            "UPDATE mail_outbox SET status = 'sending', claimed_at = $1, content_at = NULL, \
                    attempts = attempts + 1 \
             WHERE id = (SELECT id FROM mail_outbox \
                         WHERE status IN ('queued', 'unknown') AND next_attempt_at <= $1 \
                         ORDER BY next_attempt_at LIMIT 1 FOR UPDATE SKIP LOCKED) \
             RETURNING id, recipient, subject, body_text, body_html, attempts, post_id, user_id",
        )
        .bind::<Timestamptz, _>(now)
        .get_result(&mut conn)
        .await
        .optional()?;
        let Some(m) = claimed else { break };
        deliver_one(&mut conn, transport, settings, m, now, &mut out).await?;
    }
    Ok(out)
}

async fn deliver_one(
    conn: &mut db::Conn,
    transport: &Transport,
    settings: &MailSettings,
    m: Claimed,
    now: DateTime<Utc>,
    out: &mut Delivered,
) -> QueryResult<()> {
    let row = mail_outbox::table.find(m.id);
    let gone = match m.post_id {
        Some(p) => !still_readable(conn, &m, p).await?,
        None => false,
    };
    if gone {
        // The post was hidden or deleted after the mail was queued, or its reader lost the
        // board: nobody hears about it.
        out.cancelled += 1;
        diesel::update(row)
            .set(mail_outbox::status.eq("cancelled"))
            .execute(conn)
            .await?;
        return Ok(());
    }
    let outgoing = Outgoing {
        id: m.id,
        to: &m.recipient,
        subject: &m.subject,
        text: &m.body_text,
        html: &m.body_html,
    };
    let marked = std::sync::Mutex::new(Ok(()));
    let result = {
        let conn = &mut *conn;
        let marked = &marked;
        transport
            .send(&settings.from, &outgoing, async move || {
                // From here on a crash leaves the outcome unknown, not untried.
                let r = diesel::update(row)
                    .set(mail_outbox::content_at.eq(Utc::now()))
                    .execute(conn)
                    .await;
                *marked.lock().expect("mark lock") = r.map(|_| ());
            })
            .await
    };
    marked.into_inner().expect("mark lock")?;
    match result {
        Ok(()) => {
            out.sent += 1;
            diesel::update(row)
                .set((mail_outbox::status.eq("sent"), mail_outbox::sent_at.eq(now)))
                .execute(conn)
                .await?;
        }
        Err(SendError::Transient(why)) if m.attempts < settings.max_attempts => {
            out.retrying += 1;
            let delay = crate::clock::backoff(settings.retry_base_secs, m.attempts);
            tracing::warn!(mail_id = m.id, attempts = m.attempts, %why, "mail delivery deferred");
            diesel::update(row)
                .set((
                    mail_outbox::status.eq("queued"),
                    mail_outbox::next_attempt_at.eq(now + delay),
                    mail_outbox::last_error.eq(why),
                ))
                .execute(conn)
                .await?;
        }
        Err(SendError::Unknown(why)) if m.attempts < settings.max_attempts => {
            out.unknown += 1;
            tracing::warn!(mail_id = m.id, %why, "mail outcome unknown: the server may have taken it; not resending until the wait is over");
            diesel::update(row)
                .set((
                    mail_outbox::status.eq("unknown"),
                    mail_outbox::next_attempt_at
                        .eq(now + Duration::seconds(settings.unknown_retry_after_secs)),
                    mail_outbox::last_error.eq(format!("outcome unknown: {why}")),
                ))
                .execute(conn)
                .await?;
        }
        Err(SendError::Transient(why))
        | Err(SendError::Permanent(why))
        | Err(SendError::Unknown(why)) => {
            out.failed += 1;
            tracing::error!(mail_id = m.id, %why, "mail delivery failed");
            diesel::update(row)
                .set((
                    mail_outbox::status.eq("failed"),
                    mail_outbox::last_error.eq(why),
                ))
                .execute(conn)
                .await?;
        }
    }
    Ok(())
}

/// Deliveries whose claim ran out: the process died. Before the content, nothing was sent:
/// back to the queue. After it, the outcome is unknown: wait, then send again.
async fn reap(
    conn: &mut db::Conn,
    settings: &MailSettings,
    claimed_before: DateTime<Utc>,
    now: DateTime<Utc>,
) -> QueryResult<usize> {
    let stale = mail_outbox::table
        .filter(mail_outbox::status.eq("sending"))
        .filter(mail_outbox::claimed_at.lt(claimed_before));
    let untried = diesel::update(stale.filter(mail_outbox::content_at.is_null()))
        .set((
            mail_outbox::status.eq("queued"),
            mail_outbox::next_attempt_at.eq(now),
            mail_outbox::last_error.eq("interrupted before the message was sent; retried"),
        ))
        .execute(conn)
        .await?;
    let unknown = diesel::update(stale.filter(mail_outbox::content_at.is_not_null()))
        .set((
            mail_outbox::status.eq("unknown"),
            mail_outbox::next_attempt_at
                .eq(now + Duration::seconds(settings.unknown_retry_after_secs)),
            mail_outbox::last_error.eq("interrupted after the message was sent: outcome unknown"),
        ))
        .execute(conn)
        .await?;
    Ok(untried + unknown)
}
