//! Product teams: admin-managed, with members (users with role `team_member`, in any number of
//! teams) and default SLA hours.

use super::TriageError;
use crate::accounts::{FieldError, Role};
use crate::db::schema::{team_members, teams, users};
use crate::db::Conn;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Queryable, Selectable, utoipa::ToSchema)]
#[diesel(table_name = teams)]
pub struct Team {
    pub id: i64,
    pub slug: String,
    pub name_zh: String,
    pub name_en: String,
    pub sla_crash_hours: i32,
    pub sla_major_hours: i32,
    pub sla_minor_hours: i32,
    pub sla_idea_hours: i32,
    pub webhook_url: Option<String>,
    #[serde(skip)]
    pub webhook_secret: Option<String>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TeamInput {
    #[serde(default)]
    pub slug: String,
    #[serde(default)]
    pub name_zh: String,
    #[serde(default)]
    pub name_en: String,
    pub sla_crash_hours: Option<i32>,
    pub sla_major_hours: Option<i32>,
    pub sla_minor_hours: Option<i32>,
    pub sla_idea_hours: Option<i32>,
    /// `http(s)://…`; empty or absent: no webhook.
    pub webhook_url: Option<String>,
    /// At least 16 characters; signs each delivery (HMAC-SHA256).
    pub webhook_secret: Option<String>,
}

impl TeamInput {
    /// A team with default SLAs and no webhook.
    pub fn named(slug: &str, name_zh: &str, name_en: &str) -> Self {
        TeamInput {
            slug: slug.into(),
            name_zh: name_zh.into(),
            name_en: name_en.into(),
            sla_crash_hours: None,
            sla_major_hours: None,
            sla_minor_hours: None,
            sla_idea_hours: None,
            webhook_url: None,
            webhook_secret: None,
        }
    }
}

fn check(t: &TeamInput) -> Result<(), TriageError> {
    let mut errs = Vec::new();
    let slug_ok = (2..=40).contains(&t.slug.len())
        && t.slug
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !slug_ok {
        errs.push(FieldError::new("slug", "2–40 of a–z, 0–9 and -"));
    }
    for (field, v) in [("name_zh", &t.name_zh), ("name_en", &t.name_en)] {
        let n = v.trim().chars().count();
        if n == 0 || n > 60 || v.chars().any(char::is_control) {
            errs.push(FieldError::new(field, "1–60 characters"));
        }
    }
    for (field, v) in [
        ("sla_crash_hours", t.sla_crash_hours),
        ("sla_major_hours", t.sla_major_hours),
        ("sla_minor_hours", t.sla_minor_hours),
        ("sla_idea_hours", t.sla_idea_hours),
    ] {
        if v.is_some_and(|h| !(1..=24 * 365).contains(&h)) {
            errs.push(FieldError::new(field, "from 1 to 8760 hours"));
        }
    }
    let url = t.webhook_url.as_deref().unwrap_or("").trim();
    if !url.is_empty() {
        let ok = (url.starts_with("http://") || url.starts_with("https://"))
            && url.len() <= 500
            && !url.chars().any(|c| c.is_control() || c.is_whitespace());
        if !ok {
            errs.push(FieldError::new("webhook_url", "an http:// or https:// URL"));
        }
        if t.webhook_secret.as_deref().unwrap_or("").chars().count() < 16 {
            errs.push(FieldError::new("webhook_secret", "at least 16 characters"));
        }
    }
    if errs.is_empty() {
        Ok(())
    } else {
        Err(TriageError::Invalid(errs))
    }
}

/// Creates the team or updates the one with this slug.
pub async fn upsert(
    conn: &mut Conn,
    t: &TeamInput,
    now: DateTime<Utc>,
) -> Result<Team, TriageError> {
    check(t)?;
    let url = t
        .webhook_url
        .as_deref()
        .map(str::trim)
        .filter(|u| !u.is_empty());
    let hook: (Option<String>, Option<String>) = match url {
        Some(u) => (Some(u.to_string()), t.webhook_secret.clone()),
        None => (None, None),
    };
    let team = diesel::insert_into(teams::table)
        .values((
            teams::slug.eq(&t.slug),
            teams::name_zh.eq(t.name_zh.trim()),
            teams::name_en.eq(t.name_en.trim()),
            teams::sla_crash_hours.eq(t.sla_crash_hours.unwrap_or(24)),
            teams::sla_major_hours.eq(t.sla_major_hours.unwrap_or(72)),
            teams::sla_minor_hours.eq(t.sla_minor_hours.unwrap_or(168)),
            teams::sla_idea_hours.eq(t.sla_idea_hours.unwrap_or(336)),
            teams::created_at.eq(now),
            teams::webhook_url.eq(hook.0.clone()),
            teams::webhook_secret.eq(hook.1.clone()),
        ))
        .on_conflict(teams::slug)
        .do_update()
        .set((
            teams::name_zh.eq(t.name_zh.trim()),
            teams::name_en.eq(t.name_en.trim()),
            teams::sla_crash_hours.eq(t.sla_crash_hours.unwrap_or(24)),
            teams::sla_major_hours.eq(t.sla_major_hours.unwrap_or(72)),
            teams::sla_minor_hours.eq(t.sla_minor_hours.unwrap_or(168)),
            teams::sla_idea_hours.eq(t.sla_idea_hours.unwrap_or(336)),
            teams::webhook_url.eq(hook.0.clone()),
            teams::webhook_secret.eq(hook.1.clone()),
        ))
        .returning(Team::as_returning())
        .get_result(conn)
        .await?;
    Ok(team)
}

pub async fn by_id(conn: &mut Conn, id: i64) -> QueryResult<Option<Team>> {
    teams::table
        .find(id)
        .select(Team::as_select())
        .first(conn)
        .await
        .optional()
}

pub async fn by_slug(conn: &mut Conn, slug: &str) -> QueryResult<Option<Team>> {
    teams::table
        .filter(teams::slug.eq(slug))
        .select(Team::as_select())
        .first(conn)
        .await
        .optional()
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TeamView {
    #[serde(flatten)]
    pub team: Team,
    pub members: Vec<String>,
}

pub async fn all(conn: &mut Conn) -> QueryResult<Vec<TeamView>> {
    let list: Vec<Team> = teams::table
        .order(teams::slug)
        .select(Team::as_select())
        .load(conn)
        .await?;
    let members: Vec<(i64, String)> = team_members::table
        .inner_join(users::table)
        .order(users::username)
        .select((team_members::team_id, users::username))
        .load(conn)
        .await?;
    Ok(list
        .into_iter()
        .map(|team| TeamView {
            members: members
                .iter()
                .filter(|m| m.0 == team.id)
                .map(|m| m.1.clone())
                .collect(),
            team,
        })
        .collect())
}

/// Adds (or with `on == false` removes) a member; only team members (the role) may join.
pub async fn set_member(
    conn: &mut Conn,
    team_slug: &str,
    username: &str,
    on: bool,
    now: DateTime<Utc>,
) -> Result<(), TriageError> {
    let team = by_slug(conn, team_slug)
        .await?
        .ok_or(TriageError::NotFound)?;
    let user = crate::accounts::users::by_username(conn, username)
        .await?
        .ok_or_else(|| FieldError::new("username", "no such user"))?;
    if on && user.role() != Role::TeamMember {
        return Err(FieldError::new("username", "give the user the team_member role first").into());
    }
    if on {
        diesel::insert_into(team_members::table)
            .values((
                team_members::team_id.eq(team.id),
                team_members::user_id.eq(user.id),
                team_members::created_at.eq(now),
            ))
            .on_conflict_do_nothing()
            .execute(conn)
            .await?;
    } else {
        diesel::delete(team_members::table.find((team.id, user.id)))
            .execute(conn)
            .await?;
    }
    Ok(())
}

/// The teams a user belongs to, id and slug.
pub async fn of_user_named(conn: &mut Conn, user_id: i64) -> QueryResult<Vec<(i64, String)>> {
    team_members::table
        .inner_join(teams::table)
        .filter(team_members::user_id.eq(user_id))
        .select((teams::id, teams::slug))
        .load(conn)
        .await
}

/// The teams a user belongs to.
pub async fn of_user(conn: &mut Conn, user_id: i64) -> QueryResult<Vec<i64>> {
    team_members::table
        .filter(team_members::user_id.eq(user_id))
        .select(team_members::team_id)
        .load(conn)
        .await
}
