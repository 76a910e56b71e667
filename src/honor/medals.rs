//! Medals: each rule is one SQL statement over the ledger or the content, run by a job;
//! `ON CONFLICT DO NOTHING` on (user, medal, scope) makes every run idempotent.

use crate::config::HonorSettings;
use crate::db::schema::{boards, honor_totals, user_medals, users};
use crate::db::Conn;
use crate::jobs::{Job, JobContext, JobError, JobKind};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text, Timestamptz};
use diesel_async::RunQueryDsl;
use serde::Serialize;

#[derive(Debug, Clone, Copy, Serialize, utoipa::ToSchema)]
pub struct Medal {
    pub slug: &'static str,
    pub name_zh: &'static str,
    pub name_en: &'static str,
    pub rule_zh: &'static str,
    pub rule_en: &'static str,
}

pub const MEDALS: &[Medal] = &[
    Medal {
        slug: "bug_hunter",
        name_zh: "捉虫达人",
        name_en: "Bug Hunter",
        rule_zh: "5 个反馈被官方确认",
        rule_en: "5 bug reports acknowledged",
    },
    Medal {
        slug: "idea_maker",
        name_zh: "金点子",
        name_en: "Idea Maker",
        rule_zh: "1 个建议被实现",
        rule_en: "an idea completed",
    },
    Medal {
        slug: "top_tipster",
        name_zh: "玩机达人",
        name_en: "Top Tipster",
        rule_zh: "3 篇技巧被加精",
        rule_en: "3 tips featured",
    },
    Medal {
        slug: "beta_pioneer",
        name_zh: "内测先锋",
        name_en: "Beta Pioneer",
        rule_zh: "在内测版块提交 3 个反馈",
        rule_en: "3 bug reports in the beta board",
    },
    Medal {
        slug: "helpful",
        name_zh: "热心米粉",
        name_en: "Helpful",
        rule_zh: "收到 50 个赞",
        rule_en: "50 likes received",
    },
    Medal {
        slug: "star_of_month",
        name_zh: "本月之星",
        name_en: "Star of the Month",
        rule_zh: "某版块当月荣誉值第一",
        rule_en: "most honor in a board in a month",
    },
];

pub fn by_slug(slug: &str) -> Option<&'static Medal> {
    MEDALS.iter().find(|m| m.slug == slug)
}

#[derive(QueryableByName)]
struct Awarded {
    #[diesel(sql_type = BigInt)]
    user_id: i64,
}

/// Net count of a ledger reason per user (rows minus their reversals) reaching `n`.
fn ledger_rule(medal: &str, reason: &str, n: i64) -> String {
    format!(
        "INSERT INTO user_medals (user_id, medal, scope, awarded_at) \
         SELECT user_id, '{medal}', '', $1 FROM honor_ledger \
         WHERE reason IN ('{reason}', '{reason}:undo') GROUP BY user_id \
         HAVING count(*) FILTER (WHERE reason = '{reason}') \
              - count(*) FILTER (WHERE reason = '{reason}:undo') >= {n} \
         ON CONFLICT DO NOTHING RETURNING user_id"
    )
}

/// Awards every once-only medal whose rule now holds; returns (user, medal) newly awarded.
pub async fn award_all(
    conn: &mut Conn,
    s: &HonorSettings,
    now: DateTime<Utc>,
) -> QueryResult<Vec<(i64, &'static str)>> {
    let mut out = Vec::new();
    for (medal, reason, n) in [
        ("bug_hunter", "bug_acknowledged", 5),
        ("idea_maker", "idea_completed", 1),
        ("top_tipster", "tip_featured", 3),
        ("helpful", "like_received", 50),
    ] {
        let rows: Vec<Awarded> = diesel::sql_query(ledger_rule(medal, reason, n))
            .bind::<Timestamptz, _>(now)
            .load(conn)
            .await?;
        let slug = by_slug(medal).map(|m| m.slug).unwrap_or("");
        out.extend(rows.into_iter().map(|r| (r.user_id, slug)));
    }
    let rows: Vec<Awarded> = diesel::sql_query(format!(
        "INSERT INTO user_medals (user_id, medal, scope, awarded_at) \
         SELECT t.author_id, 'beta_pioneer', '', $1 FROM topics t JOIN boards b ON b.id = t.board_id \
         WHERE b.slug = $2 AND t.kind = 'bug' AND {} \
         GROUP BY t.author_id HAVING count(*) >= 3 \
         ON CONFLICT DO NOTHING RETURNING user_id",
        crate::access::shown_sql("t")
    ))
    .bind::<Timestamptz, _>(now)
    .bind::<Text, _>(&s.beta_board)
    .load(conn)
    .await?;
    out.extend(rows.into_iter().map(|r| (r.user_id, "beta_pioneer")));
    for (user_id, medal) in &out {
        notify(conn, *user_id, medal, now).await?;
    }
    Ok(out)
}

/// Crowns the month's top earner in every board (ties: who got there first, then the older
/// account). Returns the (user, board slug) crowned now; a rerun crowns nobody new.
pub async fn star_of_the_month(
    conn: &mut Conn,
    month: &str,
    now: DateTime<Utc>,
) -> QueryResult<Vec<(i64, String)>> {
    let all: Vec<(i64, String)> = boards::table
        .select((boards::id, boards::slug))
        .order(boards::position)
        .load(conn)
        .await?;
    let mut crowned = Vec::new();
    for (board_id, slug) in all {
        let top: Option<i64> = honor_totals::table
            .inner_join(users::table)
            .filter(honor_totals::board_id.eq(board_id))
            .filter(honor_totals::period.eq(month))
            .filter(honor_totals::points.gt(0))
            .filter(users::suspended_until.is_null())
            .order((
                honor_totals::points.desc(),
                honor_totals::updated_at.asc(),
                honor_totals::user_id.asc(),
            ))
            .select(honor_totals::user_id)
            .first(conn)
            .await
            .optional()?;
        let Some(user_id) = top else { continue };
        let n = diesel::insert_into(user_medals::table)
            .values((
                user_medals::user_id.eq(user_id),
                user_medals::medal.eq("star_of_month"),
                user_medals::scope.eq(format!("{slug}:{month}")),
                user_medals::awarded_at.eq(now),
            ))
            .on_conflict_do_nothing()
            .execute(conn)
            .await?;
        if n > 0 {
            notify(conn, user_id, "star_of_month", now).await?;
            crowned.push((user_id, slug));
        }
    }
    Ok(crowned)
}

async fn notify(conn: &mut Conn, user_id: i64, medal: &str, now: DateTime<Utc>) -> QueryResult<()> {
    use crate::db::schema::notifications;
    diesel::insert_into(notifications::table)
        .values((
            notifications::user_id.eq(user_id),
            notifications::kind.eq("medal"),
            notifications::detail.eq(medal),
            notifications::created_at.eq(now),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// Awards `medal` to a person once (a beta programme's approval); true when it is new.
pub async fn award_once(
    conn: &mut Conn,
    user_id: i64,
    medal: &'static str,
    now: DateTime<Utc>,
) -> QueryResult<bool> {
    use crate::db::schema::user_medals;
    let n = diesel::insert_into(user_medals::table)
        .values((
            user_medals::user_id.eq(user_id),
            user_medals::medal.eq(medal),
            user_medals::scope.eq(""),
            user_medals::awarded_at.eq(now),
        ))
        .on_conflict_do_nothing()
        .execute(conn)
        .await?;
    if n == 1 {
        notify(conn, user_id, medal, now).await?;
    }
    Ok(n == 1)
}

/// Awards every medal whose rule now holds (hourly).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AwardMedals;

impl Job for AwardMedals {
    const KIND: JobKind = JobKind::AwardMedals;
    const SCHEDULED: bool = true;

    async fn run(self, ctx: &JobContext, now: DateTime<Utc>) -> Result<(), JobError> {
        let mut conn = crate::db::get(&ctx.pool).await?;
        award_all(&mut conn, &ctx.settings.honor, now).await?;
        Ok(())
    }
}

/// Crowns each board's Star of the Month for the given month (e.g. `2026-10`).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct StarOfTheMonth {
    pub month: String,
}

impl Job for StarOfTheMonth {
    const KIND: JobKind = JobKind::StarOfTheMonth;
    const SCHEDULED: bool = true;

    async fn run(self, ctx: &JobContext, now: DateTime<Utc>) -> Result<(), JobError> {
        let mut conn = crate::db::get(&ctx.pool).await?;
        star_of_the_month(&mut conn, &self.month, now).await?;
        Ok(())
    }
}
