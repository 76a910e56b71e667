//! The honor ledger: one row per (reason, source), so a replayed event never counts twice, and
//! running totals (all time, this week, this month; overall and per board) written in the same
//! transaction. Undoing a cause appends a reversal row (`<reason>:undo`) of the points it gave;
//! that too happens at most once, so like-unlike loops give nothing.

use crate::config::HonorSettings;
use crate::db::schema::{honor_ledger, honor_totals, users};
use crate::db::Conn;
use chrono::{DateTime, Datelike, Utc};
use diesel::prelude::*;
use diesel::upsert::excluded;
use diesel_async::RunQueryDsl;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    Checkin,
    LikeReceived,
    VoteReceived,
    TipFeatured,
    BugAcknowledged,
    BugResolved,
    IdeaPlanned,
    IdeaCompleted,
    FlagAgreed,
    FlagDisagreed,
    PostHidden,
}

impl Reason {
    pub const ALL: [Reason; 11] = [
        Reason::Checkin,
        Reason::LikeReceived,
        Reason::VoteReceived,
        Reason::TipFeatured,
        Reason::BugAcknowledged,
        Reason::BugResolved,
        Reason::IdeaPlanned,
        Reason::IdeaCompleted,
        Reason::FlagAgreed,
        Reason::FlagDisagreed,
        Reason::PostHidden,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Checkin => "checkin",
            Reason::LikeReceived => "like_received",
            Reason::VoteReceived => "vote_received",
            Reason::TipFeatured => "tip_featured",
            Reason::BugAcknowledged => "bug_acknowledged",
            Reason::BugResolved => "bug_resolved",
            Reason::IdeaPlanned => "idea_planned",
            Reason::IdeaCompleted => "idea_completed",
            Reason::FlagAgreed => "flag_agreed",
            Reason::FlagDisagreed => "flag_disagreed",
            Reason::PostHidden => "post_hidden",
        }
    }

    pub fn points(self, s: &HonorSettings) -> i32 {
        let p = &s.points;
        match self {
            Reason::Checkin => p.checkin,
            Reason::LikeReceived => p.like_received,
            Reason::VoteReceived => p.vote_received,
            Reason::TipFeatured => p.tip_featured,
            Reason::BugAcknowledged => p.bug_acknowledged,
            Reason::BugResolved => p.bug_resolved,
            Reason::IdeaPlanned => p.idea_planned,
            Reason::IdeaCompleted => p.idea_completed,
            Reason::FlagAgreed => p.flag_agreed,
            Reason::FlagDisagreed => p.flag_disagreed,
            Reason::PostHidden => p.post_hidden,
        }
    }

    fn daily_cap(self, s: &HonorSettings) -> Option<i32> {
        let c = &s.daily_caps;
        let cap = match self {
            Reason::LikeReceived => c.like_received,
            Reason::VoteReceived => c.vote_received,
            Reason::FlagAgreed => c.flag_agreed,
            _ => 0,
        };
        (cap > 0).then_some(cap)
    }

    fn undo(self) -> String {
        format!("{}:undo", self.as_str())
    }
}

/// The period keys a point counts toward at `now`: all time, ISO week, month.
pub fn periods(now: DateTime<Utc>) -> [String; 3] {
    let w = now.iso_week();
    [
        "all".to_string(),
        format!("{}-W{:02}", w.year(), w.week()),
        now.format("%Y-%m").to_string(),
    ]
}

/// The ledger follows the state of each (reason, source): an award, its reversal, a new award
/// when the cause comes back (a tip featured again), and so on. Each award is a generation with
/// a source of its own (`topic:7`, then `topic:7#1`, ...), so the unique (reason, source) key still
/// makes every replay a no-op, while the total always equals what the current state earns.
fn generation_source(base: &str, generation: u32) -> String {
    if generation == 0 {
        base.to_string()
    } else {
        format!("{base}#{generation}")
    }
}

async fn has_row(conn: &mut Conn, reason: &str, source: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        honor_ledger::table
            .filter(honor_ledger::reason.eq(reason))
            .filter(honor_ledger::source.eq(source)),
    ))
    .get_result(conn)
    .await
}

/// Where (reason, source) stands: the generation in force (awarded and not reversed), if any,
/// and the next free generation.
async fn standing(conn: &mut Conn, reason: Reason, base: &str) -> QueryResult<(Option<u32>, u32)> {
    let mut generation = 0;
    loop {
        let source = generation_source(base, generation);
        if !has_row(conn, reason.as_str(), &source).await? {
            return Ok((None, generation));
        }
        if !has_row(conn, &reason.undo(), &source).await? {
            return Ok((Some(generation), generation + 1));
        }
        generation += 1;
    }
}

async fn lock_user(conn: &mut Conn, user_id: i64) -> QueryResult<()> {
    // One change at a time per person: the cap check and the totals stay exact under concurrency.
    users::table
        .find(user_id)
        .select(users::id)
        .for_update()
        .first::<i64>(conn)
        .await?;
    Ok(())
}

/// Credits `reason` to `user_id` for `source`, within the day's cap, unless it is in force
/// already. Returns the points credited (0 for a replay, a zero-point reason or a reached cap).
/// Call inside the cause's transaction.
pub async fn award(
    conn: &mut Conn,
    s: &HonorSettings,
    user_id: i64,
    reason: Reason,
    source: &str,
    board_id: Option<i64>,
    now: DateTime<Utc>,
) -> QueryResult<i32> {
    lock_user(conn, user_id).await?;
    let (in_force, next) = standing(conn, reason, source).await?;
    if in_force.is_some() {
        return Ok(0);
    }
    let mut points = reason.points(s);
    if let Some(cap) = reason.daily_cap(s) {
        let day_start = now
            .date_naive()
            .and_hms_opt(0, 0, 0)
            .unwrap_or_default()
            .and_utc();
        let today: Option<i64> = honor_ledger::table
            .filter(honor_ledger::user_id.eq(user_id))
            .filter(honor_ledger::reason.eq(reason.as_str()))
            .filter(honor_ledger::created_at.ge(day_start))
            .select(diesel::dsl::sum(honor_ledger::points))
            .first(conn)
            .await?;
        points = points.min(cap - today.unwrap_or(0) as i32).max(0);
    }
    let inserted = diesel::insert_into(honor_ledger::table)
        .values((
            honor_ledger::user_id.eq(user_id),
            honor_ledger::reason.eq(reason.as_str()),
            honor_ledger::points.eq(points),
            honor_ledger::source.eq(generation_source(source, next)),
            honor_ledger::board_id.eq(board_id),
            honor_ledger::created_at.eq(now),
        ))
        .on_conflict((honor_ledger::reason, honor_ledger::source))
        .do_nothing()
        .execute(conn)
        .await?;
    if inserted == 0 {
        return Ok(0);
    }
    add_to_totals(conn, s, user_id, board_id, points, now).await?;
    Ok(points)
}

/// Takes back the award of `reason` for `source` that is in force, if any. Returns the points
/// removed.
pub async fn reverse(
    conn: &mut Conn,
    s: &HonorSettings,
    reason: Reason,
    source: &str,
    now: DateTime<Utc>,
) -> QueryResult<i32> {
    let owner: Option<i64> = honor_ledger::table
        .filter(honor_ledger::reason.eq(reason.as_str()))
        .filter(honor_ledger::source.eq(source))
        .select(honor_ledger::user_id)
        .first(conn)
        .await
        .optional()?;
    let Some(user_id) = owner else {
        return Ok(0);
    };
    lock_user(conn, user_id).await?;
    let (Some(generation), _) = standing(conn, reason, source).await? else {
        return Ok(0);
    };
    let source = generation_source(source, generation);
    let (points, board_id): (i32, Option<i64>) = honor_ledger::table
        .filter(honor_ledger::reason.eq(reason.as_str()))
        .filter(honor_ledger::source.eq(&source))
        .select((honor_ledger::points, honor_ledger::board_id))
        .first(conn)
        .await?;
    let inserted = diesel::insert_into(honor_ledger::table)
        .values((
            honor_ledger::user_id.eq(user_id),
            honor_ledger::reason.eq(reason.undo()),
            honor_ledger::points.eq(-points),
            honor_ledger::source.eq(&source),
            honor_ledger::board_id.eq(board_id),
            honor_ledger::created_at.eq(now),
        ))
        .on_conflict((honor_ledger::reason, honor_ledger::source))
        .do_nothing()
        .execute(conn)
        .await?;
    if inserted == 0 || points == 0 {
        return Ok(0);
    }
    add_to_totals(conn, s, user_id, board_id, -points, now).await?;
    Ok(points)
}

async fn add_to_totals(
    conn: &mut Conn,
    s: &HonorSettings,
    user_id: i64,
    board_id: Option<i64>,
    points: i32,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    if points == 0 {
        return Ok(());
    }
    let mut rows = Vec::new();
    for board in [Some(0), board_id].into_iter().flatten() {
        for period in periods(now) {
            rows.push((
                honor_totals::user_id.eq(user_id),
                honor_totals::board_id.eq(board),
                honor_totals::period.eq(period),
                honor_totals::points.eq(points),
                honor_totals::updated_at.eq(now),
            ));
        }
    }
    diesel::insert_into(honor_totals::table)
        .values(rows)
        .on_conflict((
            honor_totals::user_id,
            honor_totals::board_id,
            honor_totals::period,
        ))
        .do_update()
        .set((
            honor_totals::points.eq(honor_totals::points + excluded(honor_totals::points)),
            honor_totals::updated_at.eq(excluded(honor_totals::updated_at)),
        ))
        .execute(conn)
        .await?;
    let honor: i32 = diesel::update(users::table.find(user_id))
        .set(users::honor.eq(users::honor + points))
        .returning(users::honor)
        .get_result(conn)
        .await?;
    diesel::update(users::table.find(user_id))
        .set(users::level.eq(super::levels::level_for(&s.levels, honor)))
        .execute(conn)
        .await?;
    Ok(())
}
