//! Leaderboards from the running totals: one index range scan per board and period.

use crate::db::schema::{boards, honor_totals, users};
use crate::db::Conn;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    Week,
    Month,
    All,
}

impl Period {
    pub fn parse(raw: &str) -> Option<Period> {
        match raw {
            "week" => Some(Period::Week),
            "month" => Some(Period::Month),
            "" | "all" => Some(Period::All),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Period::Week => "week",
            Period::Month => "month",
            Period::All => "all",
        }
    }

    /// The totals key for this period at `now`.
    pub fn key(self, now: DateTime<Utc>) -> String {
        let [all, week, month] = super::ledger::periods(now);
        match self {
            Period::Week => week,
            Period::Month => month,
            Period::All => all,
        }
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = LeaderboardRow)]
pub struct Row {
    pub rank: usize,
    pub username: String,
    pub honor: i32,
    pub level: i16,
    pub title: Option<String>,
}

pub const SIZE: i64 = 50;

/// Top earners: most points first; ties go to whoever reached the score first, then to the
/// older account, so the order is the same on every node and every reload.
/// None when `board` is missing or closed to `reader` (the two look the same).
pub async fn top(
    conn: &mut Conn,
    reader: &crate::access::Reader,
    period: Period,
    board: Option<&str>,
    now: DateTime<Utc>,
) -> QueryResult<Option<Vec<Row>>> {
    let board_id = match board {
        None => 0,
        Some(slug) => match boards::table
            .filter(boards::slug.eq(slug))
            .select(boards::id)
            .first::<i64>(conn)
            .await
            .optional()?
        {
            Some(id) if reader.reads_board(id) => id,
            _ => return Ok(None),
        },
    };
    let rows: Vec<(String, i32, i16, Option<String>)> = honor_totals::table
        .inner_join(users::table)
        .filter(honor_totals::board_id.eq(board_id))
        .filter(honor_totals::period.eq(period.key(now)))
        .filter(honor_totals::points.gt(0))
        .order((
            honor_totals::points.desc(),
            honor_totals::updated_at.asc(),
            honor_totals::user_id.asc(),
        ))
        .limit(SIZE)
        .select((
            users::username,
            honor_totals::points,
            users::level,
            users::title,
        ))
        .load(conn)
        .await?;
    Ok(Some(
        rows.into_iter()
            .enumerate()
            .map(|(i, (username, honor, level, title))| Row {
                rank: i + 1,
                username,
                honor,
                level,
                title,
            })
            .collect(),
    ))
}
