//! Contributor honor: the ledger and its totals, levels, medals, leaderboards, profiles, and the
//! events that earn points, with the anti-gaming rules in one place (see `docs/honor.md`).

pub mod leaderboard;
pub mod ledger;
pub mod levels;
pub mod medals;
pub mod profile;
pub mod titles;

use crate::accounts::User;
use crate::config::HonorSettings;
use crate::db::schema::{topics, users};
use crate::db::Conn;
use crate::fields::{Kind, Status};
use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
pub use ledger::Reason;

/// Whether an action by `actor` may earn points for someone else: young, silenced or suspended
/// accounts give nothing (so sock puppets cannot farm honor).
fn counts(s: &HonorSettings, actor: &User, now: DateTime<Utc>) -> bool {
    actor.created_at + Duration::hours(s.min_account_age_hours) <= now
        && !actor.is_silenced(now)
        && !actor.is_suspended(now)
}

async fn board_of(conn: &mut Conn, topic_id: i64) -> QueryResult<(i64, i64)> {
    topics::table
        .find(topic_id)
        .select((topics::author_id, topics::board_id))
        .first(conn)
        .await
}

/// A like given (`on`) or taken back on `post_id` by `liker`.
pub async fn on_like(
    conn: &mut Conn,
    s: &HonorSettings,
    liker: &User,
    post_id: i64,
    on: bool,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    use crate::db::schema::posts;
    let (author, topic_id): (i64, i64) = posts::table
        .find(post_id)
        .select((posts::author_id, posts::topic_id))
        .first(conn)
        .await?;
    let source = format!("like:{post_id}:{}", liker.id);
    if !on {
        ledger::reverse(conn, s, Reason::LikeReceived, &source, now).await?;
        return Ok(());
    }
    if author == liker.id || !counts(s, liker, now) {
        return Ok(());
    }
    let (_, board) = board_of(conn, topic_id).await?;
    ledger::award(
        conn,
        s,
        author,
        Reason::LikeReceived,
        &source,
        Some(board),
        now,
    )
    .await?;
    Ok(())
}

/// A vote (ideas) or me-too (bugs) given or taken back.
pub async fn on_vote(
    conn: &mut Conn,
    s: &HonorSettings,
    voter: &User,
    topic_id: i64,
    on: bool,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    let source = format!("vote:{topic_id}:{}", voter.id);
    if !on {
        ledger::reverse(conn, s, Reason::VoteReceived, &source, now).await?;
        return Ok(());
    }
    let (author, board) = board_of(conn, topic_id).await?;
    if author == voter.id || !counts(s, voter, now) {
        return Ok(());
    }
    ledger::award(
        conn,
        s,
        author,
        Reason::VoteReceived,
        &source,
        Some(board),
        now,
    )
    .await?;
    Ok(())
}

/// A topic featured (精华) or unfeatured by `actor`.
pub async fn on_feature(
    conn: &mut Conn,
    s: &HonorSettings,
    actor_id: i64,
    topic_id: i64,
    on: bool,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    let source = format!("topic:{topic_id}");
    if !on {
        ledger::reverse(conn, s, Reason::TipFeatured, &source, now).await?;
        return Ok(());
    }
    let (author, board) = board_of(conn, topic_id).await?;
    if author == actor_id {
        return Ok(());
    }
    ledger::award(
        conn,
        s,
        author,
        Reason::TipFeatured,
        &source,
        Some(board),
        now,
    )
    .await?;
    Ok(())
}

/// A bug or idea reached `status` by `actor`: its author earns the milestone once.
pub async fn on_status(
    conn: &mut Conn,
    s: &HonorSettings,
    actor_id: i64,
    topic_id: i64,
    kind: Kind,
    status: Status,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    let reason = match (kind, status) {
        (Kind::Bug, Status::Acknowledged) => Reason::BugAcknowledged,
        (Kind::Bug, Status::Resolved) => Reason::BugResolved,
        (Kind::Idea, Status::Planned) => Reason::IdeaPlanned,
        (Kind::Idea, Status::Resolved) => Reason::IdeaCompleted,
        _ => return Ok(()),
    };
    let (author, board) = board_of(conn, topic_id).await?;
    if author == actor_id {
        return Ok(());
    }
    let source = format!("topic:{topic_id}");
    // A bug resolved without passing "acknowledged" was acknowledged all the same.
    if reason == Reason::BugResolved {
        ledger::award(
            conn,
            s,
            author,
            Reason::BugAcknowledged,
            &source,
            Some(board),
            now,
        )
        .await?;
    }
    if reason == Reason::IdeaCompleted {
        ledger::award(
            conn,
            s,
            author,
            Reason::IdeaPlanned,
            &source,
            Some(board),
            now,
        )
        .await?;
    }
    ledger::award(conn, s, author, reason, &source, Some(board), now).await?;
    Ok(())
}

/// A post hidden by moderation (`on`) or restored.
pub async fn on_post_hidden(
    conn: &mut Conn,
    s: &HonorSettings,
    post_id: i64,
    on: bool,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    use crate::db::schema::posts;
    let source = format!("post:{post_id}");
    if !on {
        ledger::reverse(conn, s, Reason::PostHidden, &source, now).await?;
        return Ok(());
    }
    let (author, topic_id): (i64, i64) = posts::table
        .find(post_id)
        .select((posts::author_id, posts::topic_id))
        .first(conn)
        .await?;
    let (_, board) = board_of(conn, topic_id).await?;
    ledger::award(
        conn,
        s,
        author,
        Reason::PostHidden,
        &source,
        Some(board),
        now,
    )
    .await?;
    Ok(())
}

/// A flag's outcome for its flagger.
pub async fn on_flag_decided(
    conn: &mut Conn,
    s: &HonorSettings,
    flagger_id: i64,
    flag_id: i64,
    agreed: bool,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    let reason = if agreed {
        Reason::FlagAgreed
    } else {
        Reason::FlagDisagreed
    };
    ledger::award(
        conn,
        s,
        flagger_id,
        reason,
        &format!("flag:{flag_id}"),
        None,
        now,
    )
    .await?;
    Ok(())
}

/// The daily check-in (签到): true if it counted, false if already done today (UTC).
pub async fn check_in(
    conn: &mut Conn,
    s: &HonorSettings,
    user: &User,
    now: DateTime<Utc>,
) -> QueryResult<CheckIn> {
    use diesel_async::AsyncConnection;
    let source = format!("checkin:{}:{}", user.id, now.format("%Y-%m-%d"));
    let before: i64 = crate::db::schema::honor_ledger::table
        .filter(crate::db::schema::honor_ledger::reason.eq(Reason::Checkin.as_str()))
        .filter(crate::db::schema::honor_ledger::source.eq(&source))
        .count()
        .get_result(conn)
        .await?;
    if before == 0 {
        conn.transaction::<_, diesel::result::Error, _>(async |conn| {
            ledger::award(conn, s, user.id, Reason::Checkin, &source, None, now).await
        })
        .await?;
    }
    let honor: i32 = users::table
        .find(user.id)
        .select(users::honor)
        .first(conn)
        .await?;
    Ok(CheckIn {
        checked_in: before == 0,
        honor,
    })
}

/// The daily check-in's answer: whether today's counted, and the balance after it.
#[derive(Debug, Clone, Copy, serde::Serialize, utoipa::ToSchema)]
pub struct CheckIn {
    pub checked_in: bool,
    pub honor: i32,
}

/// Reporter credibility for triage (see [`levels::reporter_credibility`]).
pub async fn reporter_credibility(conn: &mut Conn, user_id: i64) -> QueryResult<f64> {
    let level: i16 = users::table
        .find(user_id)
        .select(users::level)
        .first(conn)
        .await?;
    let rows: Vec<(Status, i64)> = topics::table
        .filter(topics::author_id.eq(user_id))
        .filter(topics::kind.eq(Kind::Bug))
        .group_by(topics::status)
        .select((topics::status, diesel::dsl::count_star()))
        .load(conn)
        .await?;
    let n = |statuses: &[Status]| {
        rows.iter()
            .filter(|(st, _)| statuses.contains(st))
            .map(|r| r.1)
            .sum::<i64>()
    };
    Ok(levels::reporter_credibility(
        level,
        n(&[
            Status::Acknowledged,
            Status::Planned,
            Status::InProgress,
            Status::Resolved,
        ]),
        n(&[Status::Declined]),
    ))
}
