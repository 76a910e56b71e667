//! The triage queue: open, visible bugs and ideas by stored priority (keyset pages on
//! `(priority, id)`), with the breakdown that explains each place.

use crate::db::schema::{teams, topics, users};
use crate::db::Conn;
use crate::fields::{FieldError, Kind, Reproducibility, Severity, Status};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Double, Timestamptz};
use diesel_async::RunQueryDsl;
use serde::Serialize;

crate::text_enum! {
    /// How the queue is ordered. Each is a keyset walk, largest (or newest) first.
    #[derive(Default)]
    pub enum Sort {
        /// The band, then the score inside it (`docs/triage.md`).
        #[default]
        Priority = "priority",
        /// Newest first.
        Age = "age",
        MeToo = "me_too",
        Votes = "votes",
        /// Last reply first.
        Activity = "activity",
    }
}

impl Sort {
    /// The start of a row comparison with the cursor, so the index range begins right after it.
    fn after_sql(self) -> &'static str {
        match self {
            Sort::Priority => "(topics.priority, topics.id) < (",
            Sort::Age => "(topics.created_at, topics.id) < (",
            Sort::MeToo => "(topics.me_too_count, topics.id) < (",
            Sort::Votes => "(topics.vote_count, topics.id) < (",
            Sort::Activity => "(topics.last_posted_at, topics.id) < (",
        }
    }
}

/// Where a page ends: the sort key of its last row (microseconds for times) and its id.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cursor {
    Priority(f64, i64),
    Count(i64, i64),
    Time(DateTime<Utc>, i64),
}

#[derive(Debug, Default)]
pub struct Filter {
    /// None: every team (and unrouted items).
    pub teams: Option<Vec<i64>>,
    pub status: Option<Status>,
    pub kind: Option<Kind>,
    /// A product slug.
    pub product: Option<String>,
    pub severity: Option<Severity>,
    /// 0–3 for P0–P3.
    pub band: Option<u8>,
    pub assignee_id: Option<i64>,
    pub overdue: bool,
    pub created_since: Option<DateTime<Utc>>,
    /// Search: only these topics (the best matches for the queue's `q`).
    pub ids: Option<Vec<i64>>,
    pub sort: Sort,
    pub after: Option<Cursor>,
    /// Boards closed to whoever is looking (`Reader::closed_board_ids`).
    pub closed_boards: Vec<i64>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = TriageItem)]
pub struct Item {
    pub topic_id: i64,
    pub kind: Kind,
    pub title: String,
    /// Team slug.
    pub team: Option<String>,
    /// Product slug.
    pub product: Option<String>,
    /// `P0`–`P3`, from severity and reproducibility.
    #[schema(pattern = "^P[0-3]$")]
    pub band: String,
    pub severity: Option<Severity>,
    pub reproducibility: Option<Reproducibility>,
    pub me_too_count: i32,
    pub vote_count: i32,
    pub priority: f64,
    pub priority_breakdown: Option<serde_json::Value>,
    pub assignee: Option<String>,
    pub status: Status,
    pub created_at: DateTime<Utc>,
    pub last_posted_at: DateTime<Utc>,
    pub sla_due_at: Option<DateTime<Utc>>,
    pub overdue: bool,
}

#[derive(Queryable)]
struct Row {
    id: i64,
    kind: Kind,
    title: String,
    team: Option<String>,
    product: Option<String>,
    severity: Option<Severity>,
    reproducibility: Option<Reproducibility>,
    me_too_count: i32,
    vote_count: i32,
    priority: f64,
    breakdown: Option<serde_json::Value>,
    assignee: Option<String>,
    status: Status,
    created_at: DateTime<Utc>,
    last_posted_at: DateTime<Utc>,
    sla_due_at: Option<DateTime<Utc>>,
    first_response_at: Option<DateTime<Utc>>,
}

pub const PAGE: i64 = 50;

/// What the queue holds: open bugs and ideas. Written out, not bound: the planner must see the
/// queue indexes' own predicate to use them (a bound array or `<> 'discussion'` made it sort
/// every item of the team), and a plan kept for reuse must not depend on the values bound.
const OPEN_FEEDBACK: &str = "topics.kind IN ('bug', 'idea') AND topics.status IN \
     ('new', 'needs_info', 'acknowledged', 'planned', 'in_progress')";

/// The queue holds open items only; an empty value means any.
pub fn parse_status(raw: &str) -> Result<Option<Status>, FieldError> {
    if raw.trim().is_empty() {
        return Ok(None);
    }
    Status::from_text(raw.trim())
        .filter(|s| s.is_open())
        .map(Some)
        .ok_or_else(|| FieldError::new("status", "an open status"))
}

/// The queue holds bugs and ideas; an empty value means both.
pub fn parse_kind(raw: &str) -> Result<Option<Kind>, FieldError> {
    if raw.trim().is_empty() {
        return Ok(None);
    }
    Kind::from_text(raw.trim())
        .filter(|k| k.is_feedback())
        .map(Some)
        .ok_or_else(|| FieldError::new("kind", "bug or idea"))
}

pub async fn list(
    conn: &mut Conn,
    f: &Filter,
    now: DateTime<Utc>,
) -> QueryResult<(Vec<Item>, Option<String>)> {
    use crate::db::fixed_sql::fixed;
    use diesel::sql_types::{Nullable, Text};
    // Every fragment below is fixed text (`db::fixed_sql`), so each shape of this query is
    // parsed once per connection and kept as a prepared statement.
    // Names and bug fields by scalar subqueries rather than joins: planning a five-way join over
    // topics' many indexes cost more than running it (about 1.7 ms of a 2.5 ms page), and a
    // subquery in the select list runs for the 51 rows kept, not for every candidate.
    let name = |sql: &'static str| fixed::<Nullable<Text>>(sql);

    let mut q = topics::table
        .filter(fixed::<Bool>(OPEN_FEEDBACK))
        .filter(crate::access::topic_shown())
        .filter(topics::board_id.ne_all(f.closed_boards.clone()))
        .select((
            topics::id,
            topics::kind,
            topics::title,
            name("(SELECT slug FROM teams WHERE teams.id = topics.team_id)"),
            name("(SELECT slug FROM products WHERE products.id = topics.product_id)"),
            name("(SELECT severity FROM bug_reports WHERE bug_reports.topic_id = topics.id)"),
            name(
                "(SELECT reproducibility FROM bug_reports WHERE bug_reports.topic_id = topics.id)",
            ),
            topics::me_too_count,
            topics::vote_count,
            topics::priority,
            topics::priority_breakdown,
            name("(SELECT username FROM users WHERE users.id = topics.assignee_id)"),
            topics::status,
            topics::created_at,
            topics::last_posted_at,
            topics::sla_due_at,
            topics::first_response_at,
        ))
        .limit(PAGE + 1)
        .into_boxed();
    q = if f.ids.is_some() {
        // A search's few hundred matches are fetched by id and sorted. Ordering by an
        // expression keeps the planner from walking a whole team's sort index instead, hoping
        // to meet 51 of them early (it did: 5 ms where the probes take 1).
        q.order(fixed::<Bool>(match f.sort {
            Sort::Priority => "topics.priority + 0 DESC, topics.id DESC",
            Sort::Age => "topics.created_at + interval '0' DESC, topics.id DESC",
            Sort::MeToo => "topics.me_too_count + 0 DESC, topics.id DESC",
            Sort::Votes => "topics.vote_count + 0 DESC, topics.id DESC",
            Sort::Activity => "topics.last_posted_at + interval '0' DESC, topics.id DESC",
        }))
    } else {
        match f.sort {
            Sort::Priority => q.order((topics::priority.desc(), topics::id.desc())),
            Sort::Age => q.order((topics::created_at.desc(), topics::id.desc())),
            Sort::MeToo => q.order((topics::me_too_count.desc(), topics::id.desc())),
            Sort::Votes => q.order((topics::vote_count.desc(), topics::id.desc())),
            Sort::Activity => q.order((topics::last_posted_at.desc(), topics::id.desc())),
        }
    };
    match f.teams.as_deref() {
        // One team: `=` lets the (team, sort key, id) indexes deliver rows in order.
        Some([one]) => q = q.filter(topics::team_id.eq(*one)),
        Some(t) => q = q.filter(topics::team_id.eq_any(t.to_vec())),
        None => {}
    }
    if let Some(s) = f.status {
        q = q.filter(topics::status.eq(s));
    }
    if let Some(k) = f.kind {
        q = q.filter(topics::kind.eq(k));
    }
    if let Some(p) = &f.product {
        q = q.filter(
            fixed::<Bool>("topics.product_id = (SELECT id FROM products WHERE products.slug = ")
                .bind::<Text, _>(p.clone())
                .sql(")"),
        );
    }
    if let Some(s) = f.severity {
        q = q.filter(
            fixed::<Bool>(
                "(SELECT severity FROM bug_reports WHERE bug_reports.topic_id = topics.id) = ",
            )
            .bind::<Text, _>(s.as_str())
            .sql(""),
        );
    }
    if let Some(b) = f.band {
        // The stored priority is the band's hundred plus a score below 100 (`priority_of`).
        let low = f64::from(3 - b.min(3)) * 100.0;
        q = q
            .filter(topics::priority.ge(low))
            .filter(topics::priority.lt(low + 100.0));
    }
    if let Some(a) = f.assignee_id {
        q = q.filter(topics::assignee_id.eq(a));
    }
    if f.overdue {
        q = q
            .filter(topics::first_response_at.is_null())
            .filter(topics::sla_due_at.lt(now));
    }
    if let Some(since) = f.created_since {
        q = q.filter(topics::created_at.ge(since));
    }
    if let Some(ids) = &f.ids {
        // A semi-join on the ids, so the plan is one primary-key probe per match (`= ANY` got a
        // bitmap over the whole team AND-ed with them).
        q = q.filter(
            fixed::<Bool>("topics.id IN (SELECT unnest(")
                .bind::<diesel::sql_types::Array<BigInt>, _>(ids.clone())
                .sql("))"),
        );
    }
    if let Some(c) = f.after {
        let open = || fixed::<Bool>(f.sort.after_sql());
        q = match c {
            Cursor::Priority(p, id) => q.filter(
                open()
                    .bind::<Double, _>(p)
                    .sql(", ")
                    .bind::<BigInt, _>(id)
                    .sql(")"),
            ),
            Cursor::Count(n, id) => q.filter(
                open()
                    .bind::<BigInt, _>(n)
                    .sql(", ")
                    .bind::<BigInt, _>(id)
                    .sql(")"),
            ),
            Cursor::Time(t, id) => q.filter(
                open()
                    .bind::<Timestamptz, _>(t)
                    .sql(", ")
                    .bind::<BigInt, _>(id)
                    .sql(")"),
            ),
        };
    }
    let rows: Vec<Row> = q.load(conn).await?;
    let more = rows.len() as i64 > PAGE;
    let items: Vec<Item> = rows
        .into_iter()
        .take(PAGE as usize)
        .map(|r| Item {
            topic_id: r.id,
            kind: r.kind,
            band: format!(
                "P{}",
                super::priority::band(
                    r.kind,
                    r.severity.map(Severity::as_str),
                    r.reproducibility.map(Reproducibility::as_str)
                )
            ),
            title: r.title,
            team: r.team,
            product: r.product,
            severity: r.severity,
            reproducibility: r.reproducibility,
            me_too_count: r.me_too_count,
            vote_count: r.vote_count,
            priority: r.priority,
            priority_breakdown: r.breakdown,
            assignee: r.assignee,
            status: r.status,
            created_at: r.created_at,
            last_posted_at: r.last_posted_at,
            overdue: r.first_response_at.is_none() && r.sla_due_at.is_some_and(|d| d < now),
            sla_due_at: r.sla_due_at,
        })
        .collect();
    let next = if more {
        items.last().map(|i| cursor_of(f.sort, i))
    } else {
        None
    };
    Ok((items, next))
}

fn cursor_of(sort: Sort, i: &Item) -> String {
    match sort {
        Sort::Priority => format!("{}:{}", i.priority, i.topic_id),
        Sort::Age => format!("{}:{}", i.created_at.timestamp_micros(), i.topic_id),
        Sort::MeToo => format!("{}:{}", i.me_too_count, i.topic_id),
        Sort::Votes => format!("{}:{}", i.vote_count, i.topic_id),
        Sort::Activity => format!("{}:{}", i.last_posted_at.timestamp_micros(), i.topic_id),
    }
}

/// Parses a cursor from [`list`] for the same sort; anything else is `None` (the first page).
pub fn parse_cursor(sort: Sort, raw: &str) -> Option<Cursor> {
    let (key, id) = raw.split_once(':')?;
    let id: i64 = id.parse().ok()?;
    match sort {
        Sort::Priority => {
            let p: f64 = key.parse().ok().filter(|p: &f64| p.is_finite())?;
            Some(Cursor::Priority(p, id))
        }
        Sort::MeToo | Sort::Votes => Some(Cursor::Count(key.parse().ok()?, id)),
        Sort::Age | Sort::Activity => Some(Cursor::Time(
            DateTime::from_timestamp_micros(key.parse().ok()?)?,
            id,
        )),
    }
}

/// Sets (or clears) who works on an item.
pub async fn assign(conn: &mut Conn, topic_id: i64, user_id: Option<i64>) -> QueryResult<usize> {
    diesel::update(
        topics::table
            .find(topic_id)
            .filter(topics::kind.ne(Kind::Discussion)),
    )
    .set(topics::assignee_id.eq(user_id))
    .execute(conn)
    .await
}

#[derive(Debug, Clone, Queryable, Serialize, utoipa::ToSchema)]
#[schema(as = UnroutedItem)]
pub struct Unrouted {
    pub topic_id: i64,
    pub kind: Kind,
    pub title: String,
    pub status: Status,
}

/// Visible bugs and ideas no rule or person has routed yet, newest first.
pub async fn unrouted(conn: &mut Conn, limit: i64) -> QueryResult<Vec<Unrouted>> {
    topics::table
        .filter(topics::kind.ne(Kind::Discussion))
        .filter(topics::team_id.is_null())
        .filter(crate::access::topic_shown())
        .order(topics::id.desc())
        .limit(limit)
        .select((topics::id, topics::kind, topics::title, topics::status))
        .load(conn)
        .await
}

/// Where one item stands for whoever works it: its team, assignee and first-response deadline,
/// shown at the top of the item's page for staff and product teams.
#[derive(Debug, Clone, Serialize)]
pub struct Standing {
    pub team_zh: Option<String>,
    pub team_en: Option<String>,
    pub assignee: Option<String>,
    pub sla_due_at: Option<DateTime<Utc>>,
    /// An official response was given (the deadline is met).
    pub responded: bool,
    /// No response and the deadline has passed.
    pub overdue: bool,
    /// Who it can be handed to: the routed team's members (None: no team yet).
    pub team_members: Option<Vec<String>>,
}

pub async fn standing(
    conn: &mut Conn,
    topic_id: i64,
    now: DateTime<Utc>,
) -> QueryResult<Option<Standing>> {
    /// Team (id, zh, en), assignee, deadline, first response.
    type Row = (
        Option<i64>,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<DateTime<Utc>>,
        Option<DateTime<Utc>>,
    );
    let row: Option<Row> = topics::table
        .left_join(teams::table)
        .left_join(users::table.on(topics::assignee_id.eq(users::id.nullable())))
        .filter(topics::id.eq(topic_id))
        .select((
            teams::id.nullable(),
            teams::name_zh.nullable(),
            teams::name_en.nullable(),
            users::username.nullable(),
            topics::sla_due_at,
            topics::first_response_at,
        ))
        .first(conn)
        .await
        .optional()?;
    let Some((team_id, team_zh, team_en, assignee, sla_due_at, first)) = row else {
        return Ok(None);
    };
    let team_members = match team_id {
        Some(id) => Some(
            crate::db::schema::team_members::table
                .inner_join(users::table)
                .filter(crate::db::schema::team_members::team_id.eq(id))
                .order(users::username)
                .select(users::username)
                .load(conn)
                .await?,
        ),
        None => None,
    };
    Ok(Some(Standing {
        team_zh,
        team_en,
        assignee,
        sla_due_at,
        responded: first.is_some(),
        overdue: first.is_none() && sla_due_at.is_some_and(|d| d < now),
        team_members,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_written_out_predicate_is_the_open_statuses_and_feedback_kinds() {
        let (kinds, statuses) = OPEN_FEEDBACK.split_once(" AND ").unwrap();
        let quoted = |xs: Vec<&str>| {
            let inner: Vec<String> = xs.iter().map(|x| format!("'{x}'")).collect();
            format!("({})", inner.join(", "))
        };
        let feedback: Vec<&str> = Kind::ALL
            .iter()
            .filter(|k| k.is_feedback())
            .map(|k| k.as_str())
            .collect();
        assert_eq!(kinds, format!("topics.kind IN {}", quoted(feedback)));
        let open: Vec<&str> = Status::OPEN.iter().map(|s| s.as_str()).collect();
        assert_eq!(statuses, format!("topics.status IN {}", quoted(open)));
    }
}
