//! Silence (can read, cannot post) and suspend (cannot log in; every session and token dies at
//! once) for N days with a reason the user sees; restore lifts both early.

use super::ModError;
pub use crate::accounts::sanctions::{current, history, Kind, Sanction};
use crate::accounts::{FieldError, Locale, Role, User};
use crate::audit::{self, Entry};
use crate::db::schema::{notifications, sanctions, sessions, users};
use crate::db::Conn;
use crate::mail::{Letter, Mailer};
use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};

pub const MAX_DAYS: i64 = 3650;

/// What a moderator asks for, parsed once for the API and the form alike: anything else is
/// not an action (404), never a silence by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Impose(Kind),
    Restore,
}

impl Action {
    /// What `parse` takes (for the API document).
    pub const NAMES: &'static [&'static str] = &["silence", "suspend", "restore"];

    pub fn parse(raw: &str) -> Option<Action> {
        match raw {
            "silence" => Some(Action::Impose(Kind::Silence)),
            "suspend" => Some(Action::Impose(Kind::Suspend)),
            "restore" => Some(Action::Restore),
            _ => None,
        }
    }
}

/// Moderators act on members and team members, and on each other; only admins act on
/// moderators' betters, and nobody on themselves.
fn may_sanction(actor: &User, target: &User) -> Result<(), ModError> {
    if !actor.role().is_staff() {
        return Err(ModError::Forbidden {
            code: "forbidden",
            message: "Moderators only.".into(),
        });
    }
    if actor.id == target.id {
        return Err(ModError::Forbidden {
            code: "self_sanction",
            message: "You cannot sanction yourself.".into(),
        });
    }
    if target.role() == Role::Admin && actor.role() != Role::Admin {
        return Err(ModError::Forbidden {
            code: "admin_target",
            message: "Moderators cannot sanction admins.".into(),
        });
    }
    Ok(())
}

/// Imposes a sanction; the person is told in-app and, since a suspended person cannot sign in to
/// read it, by mail to their verified address (sent whatever their notification settings).
pub async fn impose(
    conn: &mut Conn,
    mailer: &Mailer,
    act: &super::Act<'_>,
    target: &User,
    kind: Kind,
    days: i64,
) -> Result<DateTime<Utc>, ModError> {
    let (actor, ip, now) = (act.moderator, act.ip, act.now);
    may_sanction(actor, target)?;
    let reason = super::reason(act.reason)?;
    if !(1..=MAX_DAYS).contains(&days) {
        return Err(FieldError::new("days", format!("from 1 to {MAX_DAYS}")).into());
    }
    let until = now + Duration::days(days);
    conn.transaction::<_, ModError, _>(async |conn| {
        let sanction_id: i64 = diesel::insert_into(sanctions::table)
            .values((
                sanctions::user_id.eq(target.id),
                sanctions::kind.eq(kind.as_str()),
                sanctions::reason.eq(&reason),
                sanctions::starts_at.eq(now),
                sanctions::ends_at.eq(until),
                sanctions::created_by.eq(actor.id),
            ))
            .returning(sanctions::id)
            .get_result(conn)
            .await?;
        if target.is_verified() {
            // In the person's own zone, with the offset named.
            let locale = target.locale().unwrap_or(Locale::ZhCn);
            let until_text = crate::local_time::absolute(
                until,
                crate::local_time::zone(target.time_zone.as_deref(), locale),
            );
            mailer
                .enqueue(
                    conn,
                    Letter {
                        event_key: format!("sanction:{sanction_id}"),
                        user_id: Some(target.id),
                        to: &target.email,
                        locale,
                        template: "sanction",
                        subject_args: &[],
                        ctx: minijinja::context! {
                            username => &target.username, kind => kind.as_str(),
                            until => until_text, reason => &reason,
                        },
                        post_id: None,
                    },
                    now,
                )
                .await?;
        }
        match kind {
            Kind::Silence => {
                diesel::update(users::table.find(target.id))
                    .set(users::silenced_until.eq(until))
                    .execute(conn)
                    .await?;
            }
            Kind::Suspend => {
                diesel::update(users::table.find(target.id))
                    .set(users::suspended_until.eq(until))
                    .execute(conn)
                    .await?;
                // Cookies and bearer tokens are both sessions: all die now.
                diesel::delete(sessions::table.filter(sessions::user_id.eq(target.id)))
                    .execute(conn)
                    .await?;
                crate::programmes::applications::remove_suspended(conn, target.id).await?;
            }
        }
        diesel::insert_into(notifications::table)
            .values((
                notifications::user_id.eq(target.id),
                notifications::kind.eq(kind.as_str()),
                notifications::detail.eq(&reason),
                notifications::created_at.eq(now),
            ))
            .execute(conn)
            .await?;
        audit::record(
            conn,
            Entry {
                actor_id: Some(actor.id),
                action: kind.as_str(),
                target_user_id: Some(target.id),
                reason: &reason,
                after: Some(serde_json::json!({ "until": until, "days": days })),
                actor_ip: ip,
                ..Default::default()
            },
            now,
        )
        .await?;
        Ok(until)
    })
    .await
}

/// Lifts every sanction in force now.
pub async fn restore(conn: &mut Conn, act: &super::Act<'_>, target: &User) -> Result<(), ModError> {
    let (actor, ip, now) = (act.moderator, act.ip, act.now);
    may_sanction(actor, target)?;
    let reason = super::reason(act.reason)?;
    conn.transaction::<_, ModError, _>(async |conn| {
        diesel::update(
            sanctions::table
                .filter(sanctions::user_id.eq(target.id))
                .filter(sanctions::lifted_at.is_null())
                .filter(sanctions::ends_at.gt(now)),
        )
        .set((
            sanctions::lifted_at.eq(now),
            sanctions::lifted_by.eq(actor.id),
        ))
        .execute(conn)
        .await?;
        diesel::update(users::table.find(target.id))
            .set((
                users::silenced_until.eq(None::<DateTime<Utc>>),
                users::suspended_until.eq(None::<DateTime<Utc>>),
            ))
            .execute(conn)
            .await?;
        audit::record(
            conn,
            Entry {
                actor_id: Some(actor.id),
                action: "restore",
                target_user_id: Some(target.id),
                reason: &reason,
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
