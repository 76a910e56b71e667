//! What a post must pass before it is written, scaled by trust: silenced authors, per-hour and
//! per-day limits, mentions, images and links for new accounts, the same text twice.

use crate::accounts::{FieldError, User};
use crate::config::{Limit, ModerationSettings};
use crate::db::schema::posts;
use crate::db::Conn;
use crate::rate_limits::{self, RateLimited};
use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Topic,
    Reply,
    Like,
    Flag,
}

/// Published at once, or held for review (a new account's link).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Publish,
    Hold,
}

#[derive(Debug)]
pub enum Refusal {
    Silenced { until: DateTime<Utc> },
    Field(FieldError),
    RateLimited(RateLimited),
}

fn has_image(body: &str) -> bool {
    body.contains("![") || body.to_ascii_lowercase().contains("<img")
}

fn has_link(body: &str) -> bool {
    let b = body.to_ascii_lowercase();
    b.contains("http://") || b.contains("https://") || b.contains("www.") || b.contains("](")
}

/// Counts one `action` against the author's hourly and daily windows.
pub async fn count(
    conn: &mut Conn,
    s: &ModerationSettings,
    user: &User,
    action: Action,
    now: DateTime<Utc>,
) -> QueryResult<Result<(), RateLimited>> {
    if user.role().is_staff() {
        return Ok(Ok(()));
    }
    let l = if user.level <= 1 {
        &s.new_user
    } else {
        &s.member
    };
    let windows: Vec<(&str, Limit)> = match action {
        Action::Topic => vec![
            (
                "topic:h",
                Limit {
                    max: l.topics_per_hour,
                    secs: 3600,
                },
            ),
            (
                "topic:d",
                Limit {
                    max: l.topics_per_day,
                    secs: 86_400,
                },
            ),
        ],
        Action::Reply => vec![
            (
                "reply:h",
                Limit {
                    max: l.replies_per_hour,
                    secs: 3600,
                },
            ),
            (
                "reply:d",
                Limit {
                    max: l.replies_per_day,
                    secs: 86_400,
                },
            ),
        ],
        Action::Like => vec![(
            "like:d",
            Limit {
                max: l.likes_per_day,
                secs: 86_400,
            },
        )],
        Action::Flag => vec![(
            "flag:d",
            Limit {
                max: l.flags_per_day,
                secs: 86_400,
            },
        )],
    };
    for (name, limit) in windows {
        let key = format!("{name}:{}", user.id);
        if let Err(r) = rate_limits::hit(conn, &key, limit, now).await? {
            return Ok(Err(r));
        }
    }
    Ok(Ok(()))
}

/// Checks a new topic or reply body. Staff pass; everyone else meets the rules of their level.
pub async fn check_post(
    conn: &mut Conn,
    s: &ModerationSettings,
    author: &User,
    body: &str,
    action: Action,
    now: DateTime<Utc>,
) -> QueryResult<Result<Verdict, Refusal>> {
    if let Some(until) = author.silenced_until.filter(|t| *t > now) {
        return Ok(Err(Refusal::Silenced { until }));
    }
    if author.role().is_staff() {
        return Ok(Ok(Verdict::Publish));
    }
    let new_user = author.level <= 1;
    let limits = if new_user { &s.new_user } else { &s.member };
    let mentions = crate::content::mentions::candidates(body).len();
    if mentions > limits.mentions_per_post {
        return Ok(Err(Refusal::Field(FieldError::new(
            "body",
            format!(
                "at most {} mentions per post at your level",
                limits.mentions_per_post
            ),
        ))));
    }
    if new_user && !s.new_user_images && has_image(body) {
        return Ok(Err(Refusal::Field(FieldError::new(
            "body",
            "images can be posted from level 2",
        ))));
    }
    let since = now - Duration::seconds(s.duplicate_window_secs);
    let same: i64 = if s.duplicate_window_secs > 0 {
        posts::table
            .filter(posts::author_id.eq(author.id))
            .filter(posts::created_at.ge(since))
            .filter(posts::body_md.eq(body))
            .count()
            .get_result(conn)
            .await?
    } else {
        0
    };
    if same > 0 {
        return Ok(Err(Refusal::Field(FieldError::new(
            "body",
            "you posted the same text a moment ago",
        ))));
    }
    if let Err(r) = count(conn, s, author, action, now).await? {
        return Ok(Err(Refusal::RateLimited(r)));
    }
    Ok(Ok(if new_user && s.hold_new_user_links && has_link(body) {
        Verdict::Hold
    } else {
        Verdict::Publish
    }))
}
