//! The priority score: a pure function of documented inputs (see `docs/triage.md`), stored on
//! the topic with its breakdown so the queue sorts by an index and every row can say why.

use crate::fields::Kind;
use crate::jobs::{Job, JobContext, JobError, JobKind};
use chrono::{DateTime, Duration, Utc};
use diesel::sql_types::{BigInt, Bool, Double, Integer, Nullable, SmallInt, Text, Timestamptz};
use diesel_async::RunQueryDsl;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq)]
pub struct Inputs {
    pub kind: Kind,
    /// Bugs: crash, major, minor, cosmetic.
    pub severity: Option<String>,
    /// Bugs: always, often, rarely, once.
    pub reproducibility: Option<String>,
    pub votes: i64,
    pub me_too: i64,
    pub reporter_level: i16,
    pub reporter_acknowledged: i64,
    pub reporter_declined: i64,
    pub featured: bool,
    /// Summed weight of open flags on the opening post.
    pub flag_weight: f64,
    pub created_at: DateTime<Utc>,
    pub first_response_at: Option<DateTime<Utc>>,
    pub sla_hours: i64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Breakdown {
    /// P0–P3, from severity and reproducibility alone: the first sort key.
    pub band: String,
    /// What the queue sorts by: the band, then `score` within it (see `priority_of`).
    pub priority: f64,
    pub severity: String,
    pub severity_weight: f64,
    pub affected: i64,
    pub affected_factor: f64,
    pub credibility: f64,
    pub moderation_factor: f64,
    pub age_hours: f64,
    pub sla_hours: i64,
    pub urgency_factor: f64,
    pub score: f64,
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

pub fn severity_weight(kind: Kind, severity: Option<&str>) -> f64 {
    match (kind, severity) {
        (Kind::Bug, Some("crash")) => 8.0,
        (Kind::Bug, Some("major")) => 4.0,
        (Kind::Bug, Some("minor")) => 2.0,
        (Kind::Bug, _) => 1.0,
        _ => 3.0,
    }
}

/// The band: what an item is, before how old or how popular it is. A crash that happens every
/// time is P0 however new; a cosmetic glitch is P3 however many people pressed "me too".
///
/// | band | bugs | ideas |
/// |---|---|---|
/// | P0 | crash, always or often | |
/// | P1 | crash, rarely or once; major, always or often | |
/// | P2 | major, rarely or once; minor, always or often | every idea |
/// | P3 | minor, rarely or once; cosmetic | |
pub fn band(kind: Kind, severity: Option<&str>, reproducibility: Option<&str>) -> u8 {
    let frequent = matches!(reproducibility, Some("always" | "often"));
    match (kind, severity) {
        (Kind::Bug, Some("crash")) if frequent => 0,
        (Kind::Bug, Some("crash")) => 1,
        (Kind::Bug, Some("major")) if frequent => 1,
        (Kind::Bug, Some("major")) => 2,
        (Kind::Bug, Some("minor")) if frequent => 2,
        (Kind::Bug, _) => 3,
        _ => 2,
    }
}

/// Bands first, then the score inside the band: `(3 − band) × 100 + 100 × s / (s + 10)`. The
/// second part stays below 100 (at most 99.99), so no score lifts an item out of its band.
pub fn priority_of(band: u8, score: f64) -> f64 {
    let s = score.max(0.0);
    let within = (100.0 * s / (s + 10.0)).min(99.99);
    round2(f64::from(3 - band.min(3)) * 100.0 + within)
}

/// SLA hours for an item, from its team's settings (or the defaults 24/72/168/336).
pub fn sla_hours(kind: Kind, severity: Option<&str>, team: Option<[i32; 4]>) -> i64 {
    let [crash, major, minor, idea] = team.unwrap_or([24, 72, 168, 336]);
    (match (kind, severity) {
        (Kind::Bug, Some("crash")) => crash,
        (Kind::Bug, Some("major")) => major,
        (Kind::Bug, _) => minor,
        _ => idea,
    }) as i64
}

/// `score = severity × (1 + ln affected) × credibility × moderation × urgency`, where
/// affected = 1 + votes + me-too (merged duplicates' people are already moved in),
/// moderation = (featured ? 1.25 : 1) / (1 + open flag weight / 3), and urgency rises from 1 to
/// 1.5 while the first response is due and then by 1 per SLA period overdue (at most 5); an item
/// that has had its first response keeps urgency 1.
pub fn score(i: &Inputs, now: DateTime<Utc>) -> Breakdown {
    let sev = severity_weight(i.kind, i.severity.as_deref());
    let affected = 1 + i.votes.max(0) + i.me_too.max(0);
    let affected_factor = 1.0 + (affected as f64).ln();
    let credibility = crate::honor::levels::reporter_credibility(
        i.reporter_level,
        i.reporter_acknowledged,
        i.reporter_declined,
    );
    let moderation = if i.featured { 1.25 } else { 1.0 } / (1.0 + i.flag_weight.max(0.0) / 3.0);
    let age_hours = ((now - i.created_at).num_seconds().max(0) as f64) / 3600.0;
    let urgency = if i.first_response_at.is_some() {
        1.0
    } else {
        let r = age_hours / i.sla_hours.max(1) as f64;
        (1.0 + 0.5 * r.min(1.0) + (r - 1.0).max(0.0)).min(5.0)
    };
    let s = sev * affected_factor * credibility * moderation * urgency;
    let band = band(i.kind, i.severity.as_deref(), i.reproducibility.as_deref());
    Breakdown {
        band: format!("P{band}"),
        priority: priority_of(band, s),
        severity: i
            .severity
            .clone()
            .unwrap_or_else(|| i.kind.as_str().to_string()),
        severity_weight: sev,
        affected,
        affected_factor: round2(affected_factor),
        credibility: round2(credibility),
        moderation_factor: round2(moderation),
        age_hours: round2(age_hours),
        sla_hours: i.sla_hours,
        urgency_factor: round2(urgency),
        score: round2(s),
    }
}

/// The stored score and its breakdown, for the item page.
pub async fn of_topic(
    conn: &mut crate::db::Conn,
    topic_id: i64,
) -> diesel::QueryResult<Option<(f64, Option<serde_json::Value>)>> {
    use crate::db::schema::topics;
    use diesel::{OptionalExtension, QueryDsl};
    topics::table
        .find(topic_id)
        .select((topics::priority, topics::priority_breakdown))
        .first(conn)
        .await
        .optional()
}

#[derive(diesel::QueryableByName)]
struct Row {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    kind: Kind,
    #[diesel(sql_type = Nullable<Text>)]
    severity: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    reproducibility: Option<String>,
    #[diesel(sql_type = Integer)]
    vote_count: i32,
    #[diesel(sql_type = Integer)]
    me_too_count: i32,
    #[diesel(sql_type = SmallInt)]
    level: i16,
    #[diesel(sql_type = BigInt)]
    ack: i64,
    #[diesel(sql_type = BigInt)]
    declined: i64,
    #[diesel(sql_type = Bool)]
    featured: bool,
    #[diesel(sql_type = Double)]
    flag_weight: f64,
    #[diesel(sql_type = Timestamptz)]
    created_at: DateTime<Utc>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    first_response_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Integer>)]
    crash: Option<i32>,
    #[diesel(sql_type = Nullable<Integer>)]
    major: Option<i32>,
    #[diesel(sql_type = Nullable<Integer>)]
    minor: Option<i32>,
    #[diesel(sql_type = Nullable<Integer>)]
    idea: Option<i32>,
}

/// Recomputes one item (`Some(id)`) or every open item, in two statements whatever the count.
pub async fn refresh(
    conn: &mut crate::db::Conn,
    topic_id: Option<i64>,
    now: DateTime<Utc>,
) -> diesel::QueryResult<usize> {
    let rows: Vec<Row> = diesel::sql_query(
        "SELECT t.id, t.kind, b.severity, b.reproducibility, t.vote_count, t.me_too_count, u.level, \
                coalesce(a.ack, 0) AS ack, coalesce(a.declined, 0) AS declined, t.featured, \
                coalesce(f.w, 0)::float8 AS flag_weight, t.created_at, t.first_response_at, \
                tm.sla_crash_hours AS crash, tm.sla_major_hours AS major, \
                tm.sla_minor_hours AS minor, tm.sla_idea_hours AS idea \
         FROM topics t JOIN users u ON u.id = t.author_id \
         LEFT JOIN bug_reports b ON b.topic_id = t.id \
         LEFT JOIN teams tm ON tm.id = t.team_id \
         LEFT JOIN LATERAL ( \
             SELECT count(*) FILTER (WHERE x.status IN ('acknowledged', 'planned', 'in_progress', 'resolved')) AS ack, \
                    count(*) FILTER (WHERE x.status = 'declined') AS declined \
             FROM topics x WHERE x.author_id = t.author_id AND x.kind = 'bug') a ON true \
         LEFT JOIN LATERAL ( \
             SELECT sum(r.weight) AS w FROM reviews r JOIN posts p ON p.id = r.post_id \
             WHERE p.topic_id = t.id AND p.depth = 0 AND r.status IN ('pending', 'deferred')) f ON true \
         WHERE t.kind IN ('bug', 'idea') AND ($1::int8 IS NULL OR t.id = $1) \
           AND t.status IN ('new', 'needs_info', 'acknowledged', 'planned', 'in_progress')",
    )
    .bind::<Nullable<BigInt>, _>(topic_id)
    .load(conn)
    .await?;
    if rows.is_empty() {
        return Ok(0);
    }
    let mut ids = Vec::with_capacity(rows.len());
    let mut scores = Vec::with_capacity(rows.len());
    let mut breakdowns = Vec::with_capacity(rows.len());
    let mut dues = Vec::with_capacity(rows.len());
    for r in &rows {
        let team = match (r.crash, r.major, r.minor, r.idea) {
            (Some(a), Some(b), Some(c), Some(d)) => Some([a, b, c, d]),
            _ => None,
        };
        let sla = sla_hours(r.kind, r.severity.as_deref(), team);
        let b = score(
            &Inputs {
                kind: r.kind,
                severity: r.severity.clone(),
                reproducibility: r.reproducibility.clone(),
                votes: r.vote_count as i64,
                me_too: r.me_too_count as i64,
                reporter_level: r.level,
                reporter_acknowledged: r.ack,
                reporter_declined: r.declined,
                featured: r.featured,
                flag_weight: r.flag_weight,
                created_at: r.created_at,
                first_response_at: r.first_response_at,
                sla_hours: sla,
            },
            now,
        );
        ids.push(r.id);
        scores.push(b.priority);
        breakdowns.push(serde_json::to_string(&b).unwrap_or_default());
        dues.push(r.created_at + Duration::hours(sla));
    }
    use diesel::sql_types::Array;
    diesel::sql_query(
        "UPDATE topics t SET priority = v.p, priority_breakdown = v.b::jsonb, sla_due_at = v.d \
         FROM unnest($1::int8[], $2::float8[], $3::text[], $4::timestamptz[]) AS v(id, p, b, d) \
         WHERE t.id = v.id",
    )
    .bind::<Array<BigInt>, _>(&ids)
    .bind::<Array<Double>, _>(&scores)
    .bind::<Array<Text>, _>(&breakdowns)
    .bind::<Array<Timestamptz>, _>(&dues)
    .execute(conn)
    .await
}

/// How long the assignee has alone with an overdue item before the whole team is told.
pub const ESCALATE_AFTER_HOURS: i64 = 24;

/// Overdue notices: an item that passes its first-response deadline is told once to its
/// assignee (or, with nobody assigned, to its team); still unanswered `ESCALATE_AFTER_HOURS`
/// later, to the rest of the team. Returns how many items were told about now.
pub async fn notify_overdue(
    conn: &mut crate::db::Conn,
    now: DateTime<Utc>,
) -> diesel::QueryResult<usize> {
    use diesel::sql_types::Array;
    use diesel_async::AsyncConnection;
    let open = "status IN ('new', 'needs_info', 'acknowledged', 'planned', 'in_progress')";
    conn.transaction::<_, diesel::result::Error, _>(async |conn| {
        #[derive(diesel::QueryableByName)]
        struct Told {
            #[diesel(sql_type = BigInt)]
            id: i64,
            #[diesel(sql_type = SmallInt)]
            stage: i16,
        }
        let fresh: Vec<Told> = diesel::sql_query(format!(
            "INSERT INTO overdue_notices (topic_id, notified_at, stage) \
             SELECT id, $1, CASE WHEN assignee_id IS NULL THEN 2 ELSE 1 END FROM topics t \
             WHERE kind IN ('bug', 'idea') AND team_id IS NOT NULL AND first_response_at IS NULL \
               AND sla_due_at < $1 AND {} AND {open} \
             ON CONFLICT DO NOTHING RETURNING topic_id AS id, stage",
            crate::access::shown_sql("t")
        ))
        .bind::<Timestamptz, _>(now)
        .load(conn)
        .await?;
        let escalated: Vec<Told> = diesel::sql_query(format!(
            "UPDATE overdue_notices n SET stage = 2, notified_at = $1 FROM topics t \
             WHERE n.topic_id = t.id AND n.stage = 1 AND t.first_response_at IS NULL \
               AND t.sla_due_at < $1 - make_interval(hours => $2) AND {} AND t.{open} \
             RETURNING n.topic_id AS id, n.stage",
            crate::access::shown_sql("t")
        ))
        .bind::<Timestamptz, _>(now)
        .bind::<Integer, _>(ESCALATE_AFTER_HOURS as i32)
        .load(conn)
        .await?;
        let to_assignee: Vec<i64> = fresh.iter().filter(|t| t.stage == 1).map(|t| t.id).collect();
        // The team: everyone on it but an assignee who has already been told.
        let to_team: Vec<i64> = fresh
            .iter()
            .chain(&escalated)
            .filter(|t| t.stage == 2)
            .map(|t| t.id)
            .collect();
        diesel::sql_query(
            "INSERT INTO notifications (user_id, kind, topic_id, created_at) \
             SELECT t.assignee_id, 'overdue', t.id, $2 FROM topics t \
             WHERE t.id = ANY($1) AND t.assignee_id IS NOT NULL",
        )
        .bind::<Array<BigInt>, _>(&to_assignee)
        .bind::<Timestamptz, _>(now)
        .execute(conn)
        .await?;
        diesel::sql_query(
            "INSERT INTO notifications (user_id, kind, topic_id, created_at) \
             SELECT m.user_id, 'overdue', t.id, $2 FROM topics t \
             JOIN team_members m ON m.team_id = t.team_id \
             WHERE t.id = ANY($1) AND (t.id <> ALL($3) OR m.user_id IS DISTINCT FROM t.assignee_id)",
        )
        .bind::<Array<BigInt>, _>(&to_team)
        .bind::<Timestamptz, _>(now)
        .bind::<Array<BigInt>, _>(escalated.iter().map(|t| t.id).collect::<Vec<_>>())
        .execute(conn)
        .await?;
        Ok(fresh.len() + escalated.len())
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base(now: DateTime<Utc>) -> Inputs {
        Inputs {
            kind: Kind::Bug,
            severity: Some("major".into()),
            reproducibility: Some("often".into()),
            votes: 0,
            me_too: 0,
            reporter_level: 1,
            reporter_acknowledged: 0,
            reporter_declined: 0,
            featured: false,
            flag_weight: 0.0,
            created_at: now,
            first_response_at: None,
            sla_hours: 72,
        }
    }

    #[test]
    fn the_documented_formula() {
        let now = Utc::now();
        let b = score(&base(now), now);
        // 4 × (1 + ln 1) × 0.8 × 1 × 1
        assert_eq!(b.score, 3.2);
        let mut i = base(now);
        i.me_too = 9;
        assert_eq!(score(&i, now).affected_factor, round2(1.0 + 10f64.ln()));
        let mut late = base(now - Duration::hours(144));
        late.sla_hours = 72;
        // r = 2: 1 + 0.5 + 1
        assert_eq!(score(&late, now).urgency_factor, 2.5);
        late.first_response_at = Some(now);
        assert_eq!(score(&late, now).urgency_factor, 1.0);
        let mut flagged = base(now);
        flagged.flag_weight = 3.0;
        assert_eq!(score(&flagged, now).moderation_factor, 0.5);
    }

    /// The example in `docs/triage.md`, in the order the doc gives.
    #[test]
    fn bands_then_score_order_the_documented_set() {
        let now = Utc::now();
        let item = |name: &'static str, sev: Option<&str>, repro: &str, me_too: i64, age_h: i64| {
            let mut i = base(now - Duration::hours(age_h));
            i.severity = sev.map(str::to_string);
            i.reproducibility = Some(repro.into());
            i.me_too = me_too;
            if sev.is_none() {
                i.kind = Kind::Idea;
                i.votes = me_too;
                i.me_too = 0;
                i.sla_hours = 336;
            }
            (name, score(&i, now).priority)
        };
        let mut set = vec![
            item(
                "old cosmetic glitch, 40 me-too, overdue",
                Some("cosmetic"),
                "always",
                40,
                400,
            ),
            item("minor bug seen once", Some("minor"), "once", 0, 2),
            item("idea with 120 votes", None, "once", 120, 100),
            item(
                "major bug, always, 3 me-too",
                Some("major"),
                "always",
                3,
                30,
            ),
            item("crash seen once", Some("crash"), "once", 0, 1),
            item(
                "new crash, always (必现), nobody else yet",
                Some("crash"),
                "always",
                0,
                0,
            ),
            item(
                "crash, often, 8 me-too, a day old",
                Some("crash"),
                "often",
                8,
                24,
            ),
        ];
        set.sort_by(|a, b| b.1.total_cmp(&a.1));
        let order: Vec<&str> = set.iter().map(|(n, _)| *n).collect();
        assert_eq!(
            order,
            vec![
                "crash, often, 8 me-too, a day old",
                "new crash, always (必现), nobody else yet",
                "major bug, always, 3 me-too",
                "crash seen once",
                "idea with 120 votes",
                "old cosmetic glitch, 40 me-too, overdue",
                "minor bug seen once",
            ],
            "{set:?}"
        );
        assert_eq!(band(Kind::Bug, Some("crash"), Some("always")), 0);
        assert_eq!(band(Kind::Bug, Some("cosmetic"), Some("always")), 3);
        assert!(
            priority_of(3, 1e9) < priority_of(2, 0.0),
            "no score leaves its band"
        );
    }
}

/// Recomputes every open item's priority (age against the SLA moves it) and sends overdue
/// notices (every 10 minutes).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RefreshPriorities;

impl Job for RefreshPriorities {
    const KIND: JobKind = JobKind::RefreshPriorities;
    const SCHEDULED: bool = true;

    async fn run(self, ctx: &JobContext, now: DateTime<Utc>) -> Result<(), JobError> {
        let mut conn = crate::db::get(&ctx.pool).await?;
        refresh(&mut conn, None, now).await?;
        notify_overdue(&mut conn, now).await?;
        Ok(())
    }
}
