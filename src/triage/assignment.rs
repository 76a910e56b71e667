//! Who works an item: claiming, assigning and routing it by hand, each behind the one rule in
//! `access::Reader::may_triage`.

use super::{queue, routing, teams, TriageError};
use crate::access::Reader;
use crate::accounts::{FieldError, User};
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

/// Hands the item to a member of the team it is routed to (empty clears it), with an optional
/// note; the assignee is told in-app and the change is audited. Returns the name set. Anyone
/// else, or an item with no team yet, is a 422 that says why.
pub async fn assign(
    conn: &mut Conn,
    actor: &User,
    topic_id: i64,
    username: &str,
    note: &str,
    now: DateTime<Utc>,
) -> Result<Option<String>, TriageError> {
    use crate::db::schema::{notifications, team_members};
    check(conn, actor, topic_id).await?;
    let note = note.trim();
    if note.chars().count() > 500 {
        return Err(FieldError::new("note", "at most 500 characters").into());
    }
    let name = username.trim();
    let assignee = if name.is_empty() {
        None
    } else {
        let u = crate::accounts::users::by_username(conn, name)
            .await?
            .ok_or_else(|| FieldError::new("username", format!("no user called {name}")))?;
        let team_id: Option<i64> = topics::table
            .find(topic_id)
            .select(topics::team_id)
            .first(conn)
            .await?;
        let Some(team_id) = team_id else {
            return Err(FieldError::new(
                "username",
                "this item has no team yet: route it to a team first",
            )
            .into());
        };
        let member: bool = diesel::select(diesel::dsl::exists(
            team_members::table.find((team_id, u.id)),
        ))
        .get_result(conn)
        .await?;
        if !member {
            let team = teams::by_id(conn, team_id).await?;
            return Err(FieldError::new(
                "username",
                format!(
                    "{} is not a member of {}, the team this item is routed to",
                    u.username,
                    team.map(|t| t.slug).unwrap_or_default()
                ),
            )
            .into());
        }
        Some(u)
    };
    queue::assign(conn, topic_id, assignee.as_ref().map(|u| u.id)).await?;
    if let Some(u) = assignee.as_ref().filter(|u| u.id != actor.id) {
        diesel::insert_into(notifications::table)
            .values((
                notifications::user_id.eq(u.id),
                notifications::kind.eq("assigned"),
                notifications::topic_id.eq(topic_id),
                notifications::actor_id.eq(actor.id),
                notifications::detail.eq(note),
                notifications::created_at.eq(now),
            ))
            .execute(conn)
            .await?;
    }
    crate::audit::record(
        conn,
        crate::audit::Entry {
            actor_id: Some(actor.id),
            action: "triage_assign",
            target_user_id: assignee.as_ref().map(|u| u.id),
            reason: note,
            after: Some(serde_json::json!({ "topic_id": topic_id })),
            ..Default::default()
        },
        now,
    )
    .await?;
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
