//! Feedback analytics for the last N days: counts per team and status, response and resolution
//! times (median, p90), opened vs resolved per week, satisfaction per team, top problem groups by
//! product + tag and by clusters of similar titles.

use crate::db::Conn;
use chrono::{DateTime, Duration, Utc};
use diesel::sql_types::{BigInt, Double, Nullable, Text, Timestamptz};
use diesel_async::RunQueryDsl;
use serde::Serialize;
use std::collections::HashSet;

pub const MAX_DAYS: i64 = 365;

#[derive(Debug, Clone, Serialize, diesel::QueryableByName, utoipa::ToSchema)]
pub struct StatusCount {
    #[diesel(sql_type = Text)]
    pub team: String,
    #[diesel(sql_type = Text)]
    pub status: String,
    #[diesel(sql_type = BigInt)]
    pub count: i64,
}

#[derive(Debug, Clone, Serialize, diesel::QueryableByName, utoipa::ToSchema)]
#[schema(as = StatsTiming)]
pub struct Timing {
    #[diesel(sql_type = Text)]
    pub team: String,
    #[diesel(sql_type = BigInt)]
    pub responded: i64,
    #[diesel(sql_type = Nullable<Double>)]
    pub first_response_median_hours: Option<f64>,
    #[diesel(sql_type = Nullable<Double>)]
    pub first_response_p90_hours: Option<f64>,
    #[diesel(sql_type = BigInt)]
    pub resolved: i64,
    #[diesel(sql_type = Nullable<Double>)]
    pub resolution_median_hours: Option<f64>,
    #[diesel(sql_type = Nullable<Double>)]
    pub resolution_p90_hours: Option<f64>,
}

#[derive(Debug, Clone, Serialize, diesel::QueryableByName, utoipa::ToSchema)]
#[schema(as = StatsWeek)]
pub struct Week {
    #[diesel(sql_type = Text)]
    pub week: String,
    #[diesel(sql_type = BigInt)]
    pub opened: i64,
    #[diesel(sql_type = BigInt)]
    pub resolved: i64,
}

#[derive(Debug, Clone, Serialize, diesel::QueryableByName, utoipa::ToSchema)]
#[schema(as = StatsSatisfaction)]
pub struct Satisfaction {
    #[diesel(sql_type = Text)]
    pub team: String,
    #[diesel(sql_type = BigInt)]
    pub answers: i64,
    #[diesel(sql_type = BigInt)]
    pub satisfied: i64,
}

#[derive(Debug, Clone, Serialize, diesel::QueryableByName, utoipa::ToSchema)]
#[schema(as = StatsGroup)]
pub struct Group {
    #[diesel(sql_type = Text)]
    pub product: String,
    #[diesel(sql_type = Text)]
    pub tag: String,
    #[diesel(sql_type = BigInt)]
    pub count: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Cluster {
    /// The words most of its titles share.
    pub label: String,
    pub count: usize,
    pub topic_ids: Vec<i64>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Stats {
    pub days: i64,
    pub since: DateTime<Utc>,
    pub status_counts: Vec<StatusCount>,
    pub timings: Vec<Timing>,
    pub weeks: Vec<Week>,
    pub satisfaction: Vec<Satisfaction>,
    pub top_groups: Vec<Group>,
    pub clusters: Vec<Cluster>,
}

const TEAM: &str = "coalesce(tm.slug, 'unrouted')";
/// Bugs and ideas everyone may see, opened since $1.
fn items() -> String {
    format!(
        "topics t LEFT JOIN teams tm ON tm.id = t.team_id \
         WHERE t.kind IN ('bug', 'idea') AND {} AND t.created_at >= $1",
        crate::access::shown_sql("t")
    )
}

/// Items opened since `now - days`, visible, bugs and ideas.
pub async fn compute(conn: &mut Conn, days: i64, now: DateTime<Utc>) -> diesel::QueryResult<Stats> {
    let since = now - Duration::days(days.clamp(1, MAX_DAYS));
    let items = items();
    let status_counts: Vec<StatusCount> = diesel::sql_query(format!(
        "SELECT {TEAM} AS team, t.status, count(*) AS count FROM {items} GROUP BY 1, 2 ORDER BY 1, 2"
    ))
    .bind::<Timestamptz, _>(since)
    .load(conn)
    .await?;
    let timings: Vec<Timing> = diesel::sql_query(format!(
        "WITH r AS (SELECT {TEAM} AS team, \
                EXTRACT(EPOCH FROM t.first_response_at - t.created_at) / 3600 AS fr, \
                EXTRACT(EPOCH FROM (SELECT min(c.created_at) FROM status_changes c \
                    WHERE c.topic_id = t.id AND c.to_status = 'resolved') - t.created_at) / 3600 AS res \
             FROM {items}) \
         SELECT team, count(fr) AS responded, \
             (percentile_cont(0.5) WITHIN GROUP (ORDER BY fr))::float8 AS first_response_median_hours, \
             (percentile_cont(0.9) WITHIN GROUP (ORDER BY fr))::float8 AS first_response_p90_hours, \
             count(res) AS resolved, \
             (percentile_cont(0.5) WITHIN GROUP (ORDER BY res))::float8 AS resolution_median_hours, \
             (percentile_cont(0.9) WITHIN GROUP (ORDER BY res))::float8 AS resolution_p90_hours \
         FROM r GROUP BY team ORDER BY team"
    ))
    .bind::<Timestamptz, _>(since)
    .load(conn)
    .await?;
    let shown = crate::access::shown_sql("t");
    let weeks: Vec<Week> = diesel::sql_query(format!(
        "WITH o AS (SELECT to_char(created_at AT TIME ZONE 'UTC', 'IYYY-\"W\"IW') AS week, count(*) AS n \
                    FROM topics t WHERE kind IN ('bug', 'idea') AND {shown} \
                    AND created_at >= $1 GROUP BY 1), \
              r AS (SELECT to_char(c.created_at AT TIME ZONE 'UTC', 'IYYY-\"W\"IW') AS week, \
                    count(DISTINCT c.topic_id) AS n FROM status_changes c JOIN topics t ON t.id = c.topic_id \
                    WHERE c.to_status = 'resolved' AND c.created_at >= $1 AND {shown} GROUP BY 1) \
         SELECT coalesce(o.week, r.week) AS week, coalesce(o.n, 0) AS opened, coalesce(r.n, 0) AS resolved \
         FROM o FULL JOIN r ON r.week = o.week ORDER BY 1",
    ))
    .bind::<Timestamptz, _>(since)
    .load(conn)
    .await?;
    let satisfaction: Vec<Satisfaction> = diesel::sql_query(format!(
        "SELECT {TEAM} AS team, count(*) AS answers, count(*) FILTER (WHERE s.satisfied) AS satisfied \
         FROM satisfaction s JOIN topics t ON t.id = s.topic_id LEFT JOIN teams tm ON tm.id = t.team_id \
         WHERE t.kind IN ('bug', 'idea') AND {shown} AND t.created_at >= $1 GROUP BY 1 ORDER BY 1"
    ))
    .bind::<Timestamptz, _>(since)
    .load(conn)
    .await?;
    let top_groups: Vec<Group> = diesel::sql_query(format!(
        "SELECT coalesce(p.slug, '-') AS product, tag, count(*) AS count \
         FROM topics t LEFT JOIN products p ON p.id = t.product_id, unnest(t.tags) AS tag \
         WHERE t.kind IN ('bug', 'idea') AND {shown} \
         AND t.created_at >= $1 GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2 LIMIT 20",
    ))
    .bind::<Timestamptz, _>(since)
    .load(conn)
    .await?;
    #[derive(diesel::QueryableByName)]
    struct Title {
        #[diesel(sql_type = BigInt)]
        id: i64,
        #[diesel(sql_type = Text)]
        title: String,
    }
    let titles: Vec<Title> = diesel::sql_query(format!(
        "SELECT id, title FROM topics t WHERE kind = 'bug' AND {shown} \
         AND created_at >= $1 ORDER BY id DESC LIMIT 2000",
    ))
    .bind::<Timestamptz, _>(since)
    .load(conn)
    .await?;
    let clusters = cluster(titles.iter().map(|t| (t.id, t.title.as_str())));
    Ok(Stats {
        days: days.clamp(1, MAX_DAYS),
        since,
        status_counts,
        timings,
        weeks,
        satisfaction,
        top_groups,
        clusters,
    })
}

/// Greedy clustering of titles by the overlap of their words (Jaccard ≥ 0.5 with the cluster's
/// first title), after the search analysis; the 10 biggest clusters of at least 2.
pub fn cluster<'a>(titles: impl Iterator<Item = (i64, &'a str)>) -> Vec<Cluster> {
    use crate::search::analyzer::{tokens, WORDS};
    // (first title's words, member ids, every member's words)
    type Group = (HashSet<String>, Vec<i64>, Vec<HashSet<String>>);
    let mut groups: Vec<Group> = Vec::new();
    for (id, title) in titles {
        let words: HashSet<String> = tokens(WORDS, title)
            .into_iter()
            .filter(|w| w.chars().count() >= 2)
            .collect();
        if words.is_empty() {
            continue;
        }
        let found = groups.iter_mut().find(|g| {
            let inter = g.0.intersection(&words).count() as f64;
            let union = g.0.union(&words).count() as f64;
            union > 0.0 && inter / union >= 0.5
        });
        match found {
            Some(g) => {
                g.1.push(id);
                g.2.push(words);
            }
            None => groups.push((words.clone(), vec![id], vec![words])),
        }
    }
    let mut out: Vec<Cluster> = groups
        .into_iter()
        .filter(|g| g.1.len() >= 2)
        .map(|(first, ids, all)| {
            let mut shared: Vec<String> = first
                .into_iter()
                .filter(|w| all.iter().filter(|s| s.contains(w)).count() * 2 > all.len())
                .collect();
            shared.sort();
            Cluster {
                label: shared.join(" "),
                count: ids.len(),
                topic_ids: ids,
            }
        })
        .collect();
    out.sort_by(|a, b| b.count.cmp(&a.count).then(a.label.cmp(&b.label)));
    out.truncate(10);
    out
}

/// The per-team table as CSV (one row per team and status, with that team's timings).
pub fn to_csv(s: &Stats) -> String {
    fn cell(v: &str) -> String {
        // Quote everything, double quotes inside, and defuse spreadsheet formulas.
        let v = if v.starts_with(['=', '+', '-', '@']) {
            format!("'{v}")
        } else {
            v.to_string()
        };
        format!("\"{}\"", v.replace('"', "\"\""))
    }
    let num = |v: Option<f64>| v.map(|x| format!("{x:.2}")).unwrap_or_default();
    let mut out = String::from(
        "team,status,count,first_response_median_hours,first_response_p90_hours,resolution_median_hours,resolution_p90_hours,satisfaction_rate\n",
    );
    for c in &s.status_counts {
        let t = s.timings.iter().find(|t| t.team == c.team);
        let sat = s
            .satisfaction
            .iter()
            .find(|x| x.team == c.team)
            .filter(|x| x.answers > 0)
            .map(|x| x.satisfied as f64 / x.answers as f64);
        out.push_str(&format!(
            "{},{},{},{},{},{},{},{}\n",
            cell(&c.team),
            cell(&c.status),
            c.count,
            num(t.and_then(|t| t.first_response_median_hours)),
            num(t.and_then(|t| t.first_response_p90_hours)),
            num(t.and_then(|t| t.resolution_median_hours)),
            num(t.and_then(|t| t.resolution_p90_hours)),
            num(sat),
        ));
    }
    out
}
