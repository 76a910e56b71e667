//! The triage queue: open, visible bugs and ideas by stored priority (keyset pages on
//! `(priority, id)`), with the breakdown that explains each place.

use crate::db::schema::{products, teams, topics, users};
use crate::db::Conn;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::Serialize;

#[derive(Debug, Default)]
pub struct Filter {
    /// None: every team (and unrouted items).
    pub teams: Option<Vec<i64>>,
    pub status: Option<String>,
    pub kind: Option<String>,
    pub product: Option<String>,
    pub assignee_id: Option<i64>,
    pub overdue: bool,
    /// After (priority, id).
    pub after: Option<(f64, i64)>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Item {
    pub topic_id: i64,
    pub kind: String,
    pub title: String,
    pub team: Option<String>,
    pub priority: f64,
    pub priority_breakdown: Option<serde_json::Value>,
    pub assignee: Option<String>,
    pub status: String,
    pub sla_due_at: Option<DateTime<Utc>>,
    pub overdue: bool,
}

pub const PAGE: i64 = 50;

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
        .filter(topics::kind.eq_any(["bug", "idea"]))
        .filter(topics::status.eq_any(super::priority::OPEN))
        .filter(crate::access::topic_shown())
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
    if let Some(s) = &f.status {
        q = q.filter(topics::status.eq(s.clone()));
    }
    if let Some(k) = &f.kind {
        q = q.filter(topics::kind.eq(k.clone()));
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
        String,
        String,
        Option<String>,
        f64,
        Option<serde_json::Value>,
        Option<String>,
        String,
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
            .filter(topics::kind.eq_any(["bug", "idea"])),
    )
    .set(topics::assignee_id.eq(user_id))
    .execute(conn)
    .await
}
