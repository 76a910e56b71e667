//! Erasure: the person goes, the conversation stays. Everything that identifies them (email,
//! password hash, sessions, tokens, IP addresses, private attachments, preferences, consents,
//! private notifications) is removed in one transaction; their public posts, votes and me-too stay
//! so threads and counts do not break, under the name "deleted user #N". The search index learns
//! the new name through the outbox. The name itself is held back for a while (only its digest
//! is kept), and the erasure is recorded without its content.

use crate::accounts::{Role, User};
use crate::audit::{self, Entry};
use crate::config::Settings;
use crate::db::schema::{attachments, erasures, held_usernames, users};
use crate::db::Conn;
use crate::moderation::ModError;
use crate::rate_limits;
use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text, Timestamptz};
use diesel_async::{AsyncConnection, RunQueryDsl};
use std::path::PathBuf;

/// Who asked for the erasure.
pub enum Requester<'a> {
    /// The person themself (their password was checked by the caller).
    Own,
    /// An admin, with a stated reason that goes to the audit log.
    Admin {
        admin: &'a User,
        reason: &'a str,
        ip: Option<&'a str>,
    },
}

/// Files to remove once the transaction has committed.
pub struct Erased {
    pub anonymous_name: String,
    pub files: Vec<PathBuf>,
}

/// Statements run for the erased user `$1`, in order, inside the erasure's transaction.
const SCRUB: &[&str] = &[
    "DELETE FROM sessions WHERE user_id = $1",
    "DELETE FROM account_tokens WHERE user_id = $1",
    "DELETE FROM consents WHERE user_id = $1",
    "DELETE FROM subscriptions WHERE user_id = $1",
    "DELETE FROM board_follows WHERE user_id = $1",
    "DELETE FROM notifications WHERE user_id = $1",
    "DELETE FROM team_members WHERE user_id = $1",
    "DELETE FROM triage_views WHERE user_id = $1",
    "DELETE FROM group_members WHERE user_id = $1",
    // Device, OS and reasons given when applying to a beta programme.
    "DELETE FROM programme_applications WHERE user_id = $1",
    "UPDATE topics SET assignee_id = NULL WHERE assignee_id = $1",
    // Mail to them, and mail to others quoting their name next to their posts.
    "DELETE FROM mail_outbox WHERE user_id = $1 \
        OR post_id IN (SELECT id FROM posts WHERE author_id = $1)",
    // The only change the audit log allows: forgetting where its actor connected from.
    "UPDATE mod_log SET actor_ip = NULL WHERE actor_id = $1 AND actor_ip IS NOT NULL",
    // File names chosen by a person can name them; public files keep a neutral one.
    "UPDATE attachments SET original_name = 'attachment-' || id WHERE uploader_id = $1",
    // What they (or moderators) deleted is no longer part of any conversation: its words go.
    "DELETE FROM post_revisions WHERE post_id IN \
        (SELECT id FROM posts WHERE author_id = $1 AND deleted_at IS NOT NULL)",
    "UPDATE posts SET body_md = '', body_html = '' WHERE author_id = $1 AND deleted_at IS NOT NULL",
    // Their posts are re-indexed under the anonymous name.
    "INSERT INTO search_outbox (topic_id, post_id, created_at) \
        SELECT topic_id, id, now() FROM posts WHERE author_id = $1",
];

pub async fn erase(
    conn: &mut Conn,
    settings: &Settings,
    user_id: i64,
    by: Requester<'_>,
    now: DateTime<Utc>,
) -> Result<Erased, ModError> {
    let uploads = settings.uploads_dir();
    let exports = settings.exports_dir();
    let hold = Duration::days(settings.rights.username_hold_days);
    let erased = conn
        .transaction::<_, ModError, _>(async |conn| {
            let user: User = users::table
                .find(user_id)
                .filter(users::erased_at.is_null())
                .select(User::as_select())
                .for_update()
                .first(conn)
                .await
                .optional()?
                .ok_or(ModError::NotFound)?;
            if user.role == Role::Admin {
                let admins: i64 = users::table
                    .filter(users::role.eq(Role::Admin))
                    .filter(users::erased_at.is_null())
                    .count()
                    .get_result(conn)
                    .await?;
                if admins <= 1 {
                    return Err(ModError::Conflict(
                        "The last admin cannot be erased; make someone else admin first.".into(),
                    ));
                }
            }
            let mut files: Vec<PathBuf> = attachments::table
                .filter(attachments::uploader_id.eq(user_id))
                .filter(attachments::private.eq(true))
                .select(attachments::stored_name)
                .load::<String>(conn)
                .await?
                .into_iter()
                .map(|n| uploads.join(n))
                .collect();
            diesel::delete(
                attachments::table
                    .filter(attachments::uploader_id.eq(user_id))
                    .filter(attachments::private.eq(true)),
            )
            .execute(conn)
            .await?;
            files.extend(
                crate::rights::mailed_export::forget(conn, user_id)
                    .await?
                    .into_iter()
                    .map(|n| exports.join(n)),
            );
            let old_key = crate::accounts::Username::key_of(&user.username);
            diesel::sql_query("DELETE FROM rate_limits WHERE key = $1 OR key = $2")
                .bind::<Text, _>(rate_limits::stored_key(&format!("login:account:{old_key}")))
                .bind::<Text, _>(rate_limits::stored_key(&format!(
                    "reset:email:{}",
                    user.email
                )))
                .execute(conn)
                .await?;
            for sql in SCRUB {
                diesel::sql_query(*sql)
                    .bind::<BigInt, _>(user_id)
                    .execute(conn)
                    .await?;
            }
            for digest in crate::accounts::users::hold_digests(&user.username) {
                diesel::insert_into(held_usernames::table)
                    .values((
                        held_usernames::key_hash.eq(digest),
                        held_usernames::held_until.eq(now + hold),
                    ))
                    .on_conflict(held_usernames::key_hash)
                    .do_update()
                    .set(held_usernames::held_until.eq(now + hold))
                    .execute(conn)
                    .await?;
            }
            // Spaces and `#` cannot occur in a chosen name, so it never collides with one.
            let anonymous = crate::fields::erased_name(user_id);
            diesel::sql_query(
                "UPDATE users SET username = $2, username_key = lower($2), username_skeleton = NULL, \
                 email = 'erased-' || id || '@erased.invalid', email_verified_at = NULL, \
                 password_hash = '!', role = 'member', locale = NULL, title = NULL, \
                 notify_reply = 'off', notify_mention = 'off', notify_subscribed = 'off', \
                 notify_status = 'off', digest_weekly = false, \
                 erased_at = $3, updated_at = $3 \
             WHERE id = $1",
            )
            .bind::<BigInt, _>(user_id)
            .bind::<Text, _>(&anonymous)
            .bind::<Timestamptz, _>(now)
            .execute(conn)
            .await?;
            let (requested_by, actor_id) = match &by {
                Requester::Own => ("self", None),
                Requester::Admin { admin, .. } => ("admin", Some(admin.id)),
            };
            diesel::insert_into(erasures::table)
                .values((
                    erasures::user_id.eq(user_id),
                    erasures::requested_by.eq(requested_by),
                    erasures::actor_id.eq(actor_id),
                    erasures::created_at.eq(now),
                ))
                .execute(conn)
                .await?;
            if let Requester::Admin { admin, reason, ip } = by {
                audit::record(
                    conn,
                    Entry {
                        actor_id: Some(admin.id),
                        action: "erase_user",
                        target_user_id: Some(user_id),
                        reason,
                        actor_ip: ip,
                        ..Default::default()
                    },
                    now,
                )
                .await?;
            }
            diesel::sql_query(format!("NOTIFY {}", crate::search::outbox::WAKE_CHANNEL))
                .execute(conn)
                .await?;
            Ok(Erased {
                anonymous_name: anonymous,
                files,
            })
        })
        .await?;
    // Only after the commit: a rolled-back erasure must leave the files in place.
    remove_files(&erased).await;
    Ok(erased)
}

/// An admin erases someone by username, with a reason for the audit log; returns the
/// anonymous name.
pub async fn erase_by_admin(
    conn: &mut Conn,
    settings: &Settings,
    admin: &User,
    ip: &str,
    username: &str,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<String, ModError> {
    let reason = crate::moderation::reason(reason).map_err(|e| ModError::Invalid(vec![e]))?;
    let target = crate::accounts::users::by_username(conn, username)
        .await?
        .ok_or(ModError::NotFound)?;
    let erased = erase(
        conn,
        settings,
        target.id,
        Requester::Admin {
            admin,
            reason: &reason,
            ip: Some(ip),
        },
        now,
    )
    .await?;
    Ok(erased.anonymous_name)
}

/// Removes the files an erasure left behind; a file already gone is fine.
async fn remove_files(erased: &Erased) {
    for f in &erased.files {
        if let Err(e) = tokio::fs::remove_file(f).await {
            if e.kind() != std::io::ErrorKind::NotFound {
                tracing::warn!(error = %e, "removing an erased user's file");
            }
        }
    }
}
