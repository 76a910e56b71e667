//! Who works an item: claiming, assigning and routing it by hand, each behind the one rule in
//! `access::Reader::may_triage`.

use super::{queue, routing, teams, TriageError};
use crate::access::Reader;
use crate::accounts::{FieldError, Role, User};
use crate::db::schema::topics;
use crate::db::Conn;
use crate::fields::Kind;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

/// Refuses unless the actor may work this bug or idea; a missing item is NotFound.
async fn check(conn: &mut Conn, actor: &User, topic_id: i64) -> Result<(), TriageError> {
    let team: Option<i64> = topics::table
        .find(topic_id)
        .filter(topics::kind.ne(Kind::Discussion))
        .filter(crate::access::topic_not_deleted())
        .select(topics::team_id)
        .first(conn)
        .await
        .optional()?
        .ok_or(TriageError::NotFound)?;
    let mine = teams::of_user(conn, actor.id).await?;
    if Reader::of(conn, Some(actor)).await?.may_triage(team, &mine) {
        Ok(())
    } else {
        Err(TriageError::NotYourTeam)
    }
}

/// Sets the assignee by username (empty clears it); returns the name set. Only product teams
/// and staff take items.
pub async fn assign(
    conn: &mut Conn,
    actor: &User,
    topic_id: i64,
    username: &str,
) -> Result<Option<String>, TriageError> {
    check(conn, actor, topic_id).await?;
    let name = username.trim();
    let assignee = if name.is_empty() {
        None
    } else {
        let u = crate::accounts::users::by_username(conn, name)
            .await?
            .ok_or_else(|| FieldError::new("username", "no such user"))?;
        if u.role() == Role::Member {
            return Err(
                FieldError::new("username", "only product teams and staff take items").into(),
            );
        }
        Some(u)
    };
    queue::assign(conn, topic_id, assignee.as_ref().map(|u| u.id)).await?;
    Ok(assignee.map(|u| u.username))
}

/// "Assign to me".
pub async fn claim(conn: &mut Conn, actor: &User, topic_id: i64) -> Result<(), TriageError> {
    check(conn, actor, topic_id).await?;
    queue::assign(conn, topic_id, Some(actor.id)).await?;
    Ok(())
}

/// Routes the item to a team by hand (转交); later rules leave it there.
pub async fn reroute(
    conn: &mut Conn,
    actor: &User,
    topic_id: i64,
    team_slug: &str,
    now: DateTime<Utc>,
) -> Result<teams::Team, TriageError> {
    let team = teams::by_slug(conn, team_slug.trim())
        .await?
        .ok_or_else(|| FieldError::new("team", "no such team"))?;
    check(conn, actor, topic_id).await?;
    if routing::reroute(conn, actor.id, topic_id, team.id, now).await? == 0 {
        return Err(TriageError::NotFound);
    }
    Ok(team)
}
