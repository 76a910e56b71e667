//! The triage queue: open, visible bugs and ideas by stored priority (keyset pages on
//! `(priority, id)`), with the breakdown that explains each place.

use crate::db::schema::{products, teams, topics, users};
use crate::db::Conn;
use crate::fields::{FieldError, Kind, Status};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::Serialize;

#[derive(Debug, Default)]
pub struct Filter {
    /// None: every team (and unrouted items).
    pub teams: Option<Vec<i64>>,
    pub status: Option<Status>,
    pub kind: Option<Kind>,
    pub product: Option<String>,
    pub assignee_id: Option<i64>,
    pub overdue: bool,
    /// After (priority, id).
    pub after: Option<(f64, i64)>,
    /// Boards closed to whoever is looking (`Reader::closed_board_ids`).
    pub closed_boards: Vec<i64>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = TriageItem)]
pub struct Item {
    pub topic_id: i64,
    pub kind: Kind,
    pub title: String,
    pub team: Option<String>,
    pub priority: f64,
    pub priority_breakdown: Option<serde_json::Value>,
    pub assignee: Option<String>,
    pub status: Status,
    pub sla_due_at: Option<DateTime<Utc>>,
    pub overdue: bool,
}

pub const PAGE: i64 = 50;

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
    let assignees = diesel::alias!(users as assignees);
    let mut q = topics::table
        .left_join(teams::table)
        .left_join(products::table)
        .left_join(assignees.on(topics::assignee_id.eq(assignees.field(users::id).nullable())))
        .filter(topics::kind.ne(Kind::Discussion))
        .filter(topics::status.eq_any(Status::OPEN))
        .filter(crate::access::topic_shown())
        .filter(topics::board_id.ne_all(f.closed_boards.clone()))
        .select((
            topics::id,
            topics::kind,
            topics::title,
            teams::slug.nullable(),
            topics::priority,
            topics::priority_breakdown,
            assignees.field(users::username).nullable(),
            topics::status,
            topics::sla_due_at,
            topics::first_response_at,
        ))
        .order((topics::priority.desc(), topics::id.desc()))
        .limit(PAGE + 1)
        .into_boxed();
    match f.teams.as_deref() {
        // One team: `=` lets the (team, priority, id) index deliver rows in order.
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
        q = q.filter(products::slug.eq(p.clone()));
    }
    if let Some(a) = f.assignee_id {
        q = q.filter(topics::assignee_id.eq(a));
    }
    if f.overdue {
        q = q
            .filter(topics::first_response_at.is_null())
            .filter(topics::sla_due_at.lt(now));
    }
    if let Some((p, id)) = f.after {
        // A row comparison, so the index range starts right after the cursor.
        q = q.filter(
            diesel::dsl::sql::<diesel::sql_types::Bool>("(topics.priority, topics.id) < (")
                .bind::<diesel::sql_types::Double, _>(p)
                .sql(", ")
                .bind::<diesel::sql_types::BigInt, _>(id)
                .sql(")"),
        );
    }
    type Row = (
        i64,
        Kind,
        String,
        Option<String>,
        f64,
        Option<serde_json::Value>,
        Option<String>,
        Status,
        Option<DateTime<Utc>>,
        Option<DateTime<Utc>>,
    );
    let rows: Vec<Row> = q.load(conn).await?;
    let more = rows.len() as i64 > PAGE;
    let items: Vec<Item> = rows
        .into_iter()
        .take(PAGE as usize)
        .map(|r| Item {
            topic_id: r.0,
            kind: r.1,
            title: r.2,
            team: r.3,
            priority: r.4,
            priority_breakdown: r.5,
            assignee: r.6,
            status: r.7,
            sla_due_at: r.8,
            overdue: r.9.is_none() && r.8.is_some_and(|d| d < now),
        })
        .collect();
    let next = if more {
        items
            .last()
            .map(|i| format!("{}:{}", i.priority, i.topic_id))
    } else {
        None
    };
    Ok((items, next))
}

/// Parses a cursor from [`list`]; anything else is `None` (the first page).
pub fn parse_cursor(raw: &str) -> Option<(f64, i64)> {
    let (p, id) = raw.split_once(':')?;
    let p: f64 = p.parse().ok().filter(|p: &f64| p.is_finite())?;
    Some((p, id.parse().ok()?))
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
}

pub async fn standing(
    conn: &mut Conn,
    topic_id: i64,
    now: DateTime<Utc>,
) -> QueryResult<Option<Standing>> {
    /// Team (zh, en), assignee, deadline, first response.
    type Row = (
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
            teams::name_zh.nullable(),
            teams::name_en.nullable(),
            users::username.nullable(),
            topics::sla_due_at,
            topics::first_response_at,
        ))
        .first(conn)
        .await
        .optional()?;
    Ok(
        row.map(|(team_zh, team_en, assignee, sla_due_at, first)| Standing {
            team_zh,
            team_en,
            assignee,
            sla_due_at,
            responded: first.is_some(),
            overdue: first.is_none() && sla_due_at.is_some_and(|d| d < now),
        }),
    )
}
