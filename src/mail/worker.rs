//! Delivers the mail outbox: claim due rows, send, record the outcome.
//!
//! Delivery is at most once per (event, recipient). A row is marked `sending` and committed before
//! the SMTP conversation; if the process dies mid-send the row stays `sending`, and `reap` later
//! marks it failed rather than risk a second copy. 4xx replies retry with exponential backoff;
//! 5xx replies fail at once with the server's reason.

use super::transport::{Outgoing, SendError, Transport};
use crate::config::MailSettings;
use crate::db::schema::mail_outbox;
use crate::db::{self, Pool};
use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Text, Timestamptz};
use diesel_async::RunQueryDsl;

/// Rows left `sending` this long belong to a delivery that died.
const STALE_AFTER: Duration = Duration::minutes(10);
const BATCH: i64 = 20;

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
}

#[derive(Debug, Default, PartialEq, Eq)]
pub struct Delivered {
    pub sent: usize,
    pub retrying: usize,
    pub failed: usize,
    pub cancelled: usize,
}

/// Mail waiting in the outbox (for `/metrics`).
pub async fn queued_count(conn: &mut db::Conn) -> QueryResult<i64> {
    mail_outbox::table
        .filter(mail_outbox::status.eq("queued"))
        .count()
        .get_result(conn)
        .await
}

/// Of the posts the claimed mail is about, those still visible (one query for the batch).
async fn visible_posts(conn: &mut db::Conn, claimed: &[Claimed]) -> QueryResult<Vec<i64>> {
    use crate::db::schema::{posts, topics};
    let ids: Vec<i64> = claimed.iter().filter_map(|c| c.post_id).collect();
    if ids.is_empty() {
        return Ok(ids);
    }
    posts::table
        .inner_join(topics::table)
        .filter(posts::id.eq_any(ids))
        .filter(crate::access::post_shown())
        .filter(crate::access::topic_shown())
        .select(posts::id)
        .load(conn)
        .await
}

/// Claims and delivers one batch of due mail.
pub async fn deliver_due(
    pool: &Pool,
    transport: &Transport,
    settings: &MailSettings,
    now: DateTime<Utc>,
) -> Result<Delivered, db::DbError> {
    let mut conn = db::get(pool).await?;
    reap(&mut conn, now).await?;
    let claimed: Vec<Claimed> = diesel::sql_query(
        "UPDATE mail_outbox SET status = 'sending', claimed_at = $1, attempts = attempts + 1 \
         WHERE id IN (SELECT id FROM mail_outbox WHERE status = 'queued' AND next_attempt_at <= $1 \
                      ORDER BY next_attempt_at LIMIT $2 FOR UPDATE SKIP LOCKED) \
         RETURNING id, recipient, subject, body_text, body_html, attempts, post_id",
    )
    .bind::<Timestamptz, _>(now)
    .bind::<BigInt, _>(BATCH)
    .load(&mut conn)
    .await?;
    let mut out = Delivered::default();
    let visible = visible_posts(&mut conn, &claimed).await?;
    for m in claimed {
        if m.post_id.is_some_and(|p| !visible.contains(&p)) {
            // The post was hidden or deleted after the mail was queued: nobody hears about it.
            out.cancelled += 1;
            diesel::update(mail_outbox::table.find(m.id))
                .set(mail_outbox::status.eq("cancelled"))
                .execute(&mut conn)
                .await?;
            continue;
        }
        let outgoing = Outgoing {
            id: m.id,
            to: &m.recipient,
            subject: &m.subject,
            text: &m.body_text,
            html: &m.body_html,
        };
        let row = mail_outbox::table.find(m.id);
        match transport.send(&settings.from, &outgoing).await {
            Ok(()) => {
                out.sent += 1;
                diesel::update(row)
                    .set((
                        mail_outbox::status.eq("sent"),
                        mail_outbox::sent_at.eq(now),
                        mail_outbox::last_error.eq(None::<String>),
                    ))
                    .execute(&mut conn)
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
                    .execute(&mut conn)
                    .await?;
            }
            Err(SendError::Transient(why)) | Err(SendError::Permanent(why)) => {
                out.failed += 1;
                tracing::error!(mail_id = m.id, %why, "mail delivery failed");
                diesel::update(row)
                    .set((
                        mail_outbox::status.eq("failed"),
                        mail_outbox::last_error.eq(why),
                    ))
                    .execute(&mut conn)
                    .await?;
            }
        }
    }
    Ok(out)
}

/// Marks deliveries that died mid-send as failed (see the module comment for why not retried).
async fn reap(conn: &mut db::Conn, now: DateTime<Utc>) -> QueryResult<usize> {
    diesel::update(
        mail_outbox::table
            .filter(mail_outbox::status.eq("sending"))
            .filter(mail_outbox::claimed_at.lt(now - STALE_AFTER)),
    )
    .set((
        mail_outbox::status.eq("failed"),
        mail_outbox::last_error
            .eq("interrupted during delivery; not retried to avoid sending twice"),
    ))
    .execute(conn)
    .await
}
