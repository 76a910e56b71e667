//! Routing rules: an ordered list of conditions -> team. Empty conditions match anything; a rule
//! matches when every condition it sets holds; the first match wins.

use super::TriageError;
use crate::accounts::FieldError;
use crate::db::schema::{routing_rules, teams};
use crate::db::Conn;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleInput {
    #[serde(default)]
    pub team: String,
    pub board: Option<String>,
    pub product: Option<String>,
    pub product_line: Option<String>,
    pub kind: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    /// Any one suffices; matched on the normalised title and body (see `routing`).
    #[serde(default)]
    pub keywords: Vec<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Rule {
    pub id: i64,
    pub position: i32,
    pub team_id: i64,
    pub team: String,
    pub board: Option<String>,
    pub product: Option<String>,
    pub product_line: Option<String>,
    pub kind: Option<String>,
    pub tags: Vec<String>,
    pub keywords: Vec<String>,
}

pub const MAX_RULES: usize = 500;

fn clean_list(field: &'static str, v: &[String]) -> Result<Vec<String>, FieldError> {
    if v.len() > 50 {
        return Err(FieldError::new(field, "at most 50 entries"));
    }
    let out: Vec<String> = v
        .iter()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect();
    if out
        .iter()
        .any(|s| s.chars().count() > 60 || s.chars().any(char::is_control))
    {
        return Err(FieldError::new(field, "entries of at most 60 characters"));
    }
    Ok(out)
}

fn clean_opt(field: &'static str, v: &Option<String>) -> Result<Option<String>, FieldError> {
    match v.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) if s.chars().count() > 60 || s.chars().any(char::is_control) => {
            Err(FieldError::new(field, "at most 60 characters"))
        }
        Some(s) => Ok(Some(s.to_string())),
    }
}

/// Replaces the whole ordered list (the admin page edits it as one list).
pub async fn replace_all(
    conn: &mut Conn,
    inputs: &[RuleInput],
    now: DateTime<Utc>,
) -> Result<Vec<Rule>, TriageError> {
    if inputs.len() > MAX_RULES {
        return Err(FieldError::new("rules", "at most 500 rules").into());
    }
    conn.transaction::<_, TriageError, _>(async |conn| {
        diesel::delete(routing_rules::table).execute(conn).await?;
        for (i, r) in inputs.iter().enumerate() {
            let team = super::teams::by_slug(conn, r.team.trim())
                .await?
                .ok_or_else(|| FieldError::new("team", format!("rule {}: no such team", i + 1)))?;
            let kind = clean_opt("kind", &r.kind)?;
            if kind.as_deref().is_some_and(|k| k != "bug" && k != "idea") {
                return Err(FieldError::new("kind", "bug or idea").into());
            }
            diesel::insert_into(routing_rules::table)
                .values((
                    routing_rules::position.eq(i as i32),
                    routing_rules::team_id.eq(team.id),
                    routing_rules::board.eq(clean_opt("board", &r.board)?),
                    routing_rules::product.eq(clean_opt("product", &r.product)?),
                    routing_rules::product_line.eq(clean_opt("product_line", &r.product_line)?),
                    routing_rules::kind.eq(kind),
                    routing_rules::tags.eq(clean_list("tags", &r.tags)?),
                    routing_rules::keywords.eq(clean_list("keywords", &r.keywords)?),
                    routing_rules::created_at.eq(now),
                ))
                .execute(conn)
                .await?;
        }
        Ok(())
    })
    .await?;
    Ok(all(conn).await?)
}

pub async fn all(conn: &mut Conn) -> QueryResult<Vec<Rule>> {
    type Row = (
        i64,
        i32,
        i64,
        String,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
        Vec<String>,
        Vec<String>,
    );
    let rows: Vec<Row> = routing_rules::table
        .inner_join(teams::table)
        .order((routing_rules::position, routing_rules::id))
        .select((
            routing_rules::id,
            routing_rules::position,
            routing_rules::team_id,
            teams::slug,
            routing_rules::board,
            routing_rules::product,
            routing_rules::product_line,
            routing_rules::kind,
            routing_rules::tags,
            routing_rules::keywords,
        ))
        .load(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| Rule {
            id: r.0,
            position: r.1,
            team_id: r.2,
            team: r.3,
            board: r.4,
            product: r.5,
            product_line: r.6,
            kind: r.7,
            tags: r.8,
            keywords: r.9,
        })
        .collect())
}
