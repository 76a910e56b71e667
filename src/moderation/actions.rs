//! Moderator actions on posts and topics, each written to the audit log in its transaction.

use super::reviews::{self, set_post_hidden};
use super::ModError;
use crate::accounts::{FieldError, User};
use crate::audit::{self, Entry};
use crate::config::Settings;
use crate::db::schema::{boards, posts, reviews as reviews_t, topics};
use crate::db::Conn;
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use serde_json::json;

pub use super::Act;

fn staff_only(u: &User) -> Result<(), ModError> {
    if u.role().is_staff() {
        Ok(())
    } else {
        Err(ModError::Forbidden {
            code: "forbidden",
            message: "Moderators only.".into(),
        })
    }
}

async fn post_row(conn: &mut Conn, post_id: i64) -> Result<(i64, i64, bool), ModError> {
    posts::table
        .find(post_id)
        .filter(crate::access::post_not_deleted())
        .select((
            posts::topic_id,
            posts::author_id,
            posts::hidden_at.is_not_null(),
        ))
        .first(conn)
        .await
        .optional()?
        .ok_or(ModError::NotFound)
}

/// Hides or restores a post; the author loses (or regains) the points of a hidden post, and
/// an open review is settled the same way.
pub async fn set_post_visibility(
    conn: &mut Conn,
    s: &Settings,
    act: &Act<'_>,
    post_id: i64,
    hide: bool,
) -> Result<(), ModError> {
    staff_only(act.moderator)?;
    conn.transaction::<_, ModError, _>(async |conn| {
        let (topic_id, author, hidden) = post_row(conn, post_id).await?;
        if hidden == hide {
            return Ok(());
        }
        set_post_hidden(conn, post_id, hide.then_some("moderator"), act.now).await?;
        crate::honor::on_post_hidden(conn, &s.honor, post_id, hide, act.now).await?;
        if hide {
            reviews::notify_hidden(conn, post_id, "moderator", act.now).await?;
        }
        diesel::update(
            reviews_t::table
                .filter(reviews_t::post_id.eq(post_id))
                .filter(reviews_t::status.eq_any(["pending", "deferred"])),
        )
        .set((
            reviews_t::status.eq(if hide { "agreed" } else { "disagreed" }),
            reviews_t::decided_by.eq(act.moderator.id),
            reviews_t::decided_at.eq(act.now),
            reviews_t::note.eq(act.reason),
        ))
        .execute(conn)
        .await?;
        audit::record(
            conn,
            Entry {
                actor_id: Some(act.moderator.id),
                action: if hide { "hide_post" } else { "unhide_post" },
                topic_id: Some(topic_id),
                post_id: Some(post_id),
                target_user_id: Some(author),
                reason: act.reason,
                actor_ip: act.ip,
                ..Default::default()
            },
            act.now,
        )
        .await?;
        Ok(())
    })
    .await
}

/// Soft delete: gone for everyone but staff; an opening post takes its topic.
pub async fn delete_post(conn: &mut Conn, act: &Act<'_>, post_id: i64) -> Result<(), ModError> {
    staff_only(act.moderator)?;
    conn.transaction::<_, ModError, _>(async |conn| {
        let (topic_id, author, _) = post_row(conn, post_id).await?;
        let depth: i32 = diesel::update(posts::table.find(post_id))
            .set(posts::deleted_at.eq(act.now))
            .returning(posts::depth)
            .get_result(conn)
            .await?;
        if depth == 0 {
            diesel::update(topics::table.find(topic_id))
                .set((
                    topics::deleted_at.eq(act.now),
                    topics::updated_at.eq(act.now),
                ))
                .execute(conn)
                .await?;
            crate::search::outbox::push(conn, topic_id, None).await?;
        } else {
            crate::search::outbox::push(conn, topic_id, Some(post_id)).await?;
        }
        audit::record(
            conn,
            Entry {
                actor_id: Some(act.moderator.id),
                action: "delete_post",
                topic_id: Some(topic_id),
                post_id: Some(post_id),
                target_user_id: Some(author),
                reason: act.reason,
                actor_ip: act.ip,
                ..Default::default()
            },
            act.now,
        )
        .await?;
        Ok(())
    })
    .await
}

/// A moderator's edit: the revision is kept as for any edit, and the log holds before/after.
pub async fn edit_post(
    conn: &mut Conn,
    act: &Act<'_>,
    post_id: i64,
    body: &crate::forum::fields::Body,
) -> Result<(), ModError> {
    staff_only(act.moderator)?;
    conn.transaction::<_, ModError, _>(async |conn| {
        let (topic_id, author, _) = post_row(conn, post_id).await?;
        let before: String = posts::table
            .find(post_id)
            .select(posts::body_md)
            .first(conn)
            .await?;
        let edited = crate::forum::posts::edit(
            conn,
            act.moderator,
            crate::forum::posts::EditAs::Moderator,
            post_id,
            body,
            act.now,
        )
        .await
        .map_err(|e| match e {
            crate::forum::ForumError::Db(d) => ModError::Db(d),
            crate::forum::ForumError::Invalid(f) => ModError::Invalid(f),
            _ => ModError::NotFound,
        })?;
        if edited.changed && edited.before.depth == 0 {
            crate::triage::routing::route(conn, topic_id, act.now).await?;
        }
        audit::record(
            conn,
            Entry {
                actor_id: Some(act.moderator.id),
                action: "edit_post",
                topic_id: Some(topic_id),
                post_id: Some(post_id),
                target_user_id: Some(author),
                reason: act.reason,
                before: Some(json!({ "body": before })),
                after: Some(json!({ "body": body.as_str() })),
                actor_ip: act.ip,
            },
            act.now,
        )
        .await?;
        Ok(())
    })
    .await
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TopicAction {
    Lock,
    Unlock,
    Pin,
    Unpin,
    Feature,
    Unfeature,
    Move,
}

impl TopicAction {
    /// What `parse` takes (for the API document).
    pub const NAMES: &'static [&'static str] = &[
        "lock",
        "unlock",
        "pin",
        "unpin",
        "feature",
        "unfeature",
        "move",
    ];

    pub fn parse(raw: &str) -> Option<TopicAction> {
        Some(match raw {
            "lock" => TopicAction::Lock,
            "unlock" => TopicAction::Unlock,
            "pin" => TopicAction::Pin,
            "unpin" => TopicAction::Unpin,
            "feature" => TopicAction::Feature,
            "unfeature" => TopicAction::Unfeature,
            "move" => TopicAction::Move,
            _ => return None,
        })
    }

    fn as_str(self) -> &'static str {
        match self {
            TopicAction::Lock => "lock",
            TopicAction::Unlock => "unlock",
            TopicAction::Pin => "pin",
            TopicAction::Unpin => "unpin",
            TopicAction::Feature => "feature",
            TopicAction::Unfeature => "unfeature",
            TopicAction::Move => "move",
        }
    }
}

/// Lock, pin, feature (精华, with its honor) or move a topic; `board` is the target of a move.
pub async fn on_topic(
    conn: &mut Conn,
    s: &Settings,
    act: &Act<'_>,
    topic_id: i64,
    action: TopicAction,
    board: Option<&str>,
) -> Result<(), ModError> {
    staff_only(act.moderator)?;
    conn.transaction::<_, ModError, _>(async |conn| {
        let (author, board_id, kind, locked, pinned, featured): (
            i64,
            i64,
            String,
            bool,
            bool,
            bool,
        ) = topics::table
            .find(topic_id)
            .filter(crate::access::topic_not_deleted())
            .select((
                topics::author_id,
                topics::board_id,
                topics::kind,
                topics::locked,
                topics::pinned,
                topics::featured,
            ))
            .for_update()
            .first(conn)
            .await
            .optional()?
            .ok_or(ModError::NotFound)?;
        let target = topics::table.find(topic_id);
        let (before, after) = match action {
            TopicAction::Lock | TopicAction::Unlock => {
                let on = action == TopicAction::Lock;
                diesel::update(target)
                    .set(topics::locked.eq(on))
                    .execute(conn)
                    .await?;
                (json!({ "locked": locked }), json!({ "locked": on }))
            }
            TopicAction::Pin | TopicAction::Unpin => {
                let on = action == TopicAction::Pin;
                diesel::update(target)
                    .set(topics::pinned.eq(on))
                    .execute(conn)
                    .await?;
                (json!({ "pinned": pinned }), json!({ "pinned": on }))
            }
            TopicAction::Feature | TopicAction::Unfeature => {
                let on = action == TopicAction::Feature;
                diesel::update(target)
                    .set(topics::featured.eq(on))
                    .execute(conn)
                    .await?;
                if on != featured {
                    crate::honor::on_feature(
                        conn,
                        &s.honor,
                        act.moderator.id,
                        topic_id,
                        on,
                        act.now,
                    )
                    .await?;
                }
                (json!({ "featured": featured }), json!({ "featured": on }))
            }
            TopicAction::Move => {
                let slug = board.unwrap_or("").trim();
                let to: Option<(i64, Vec<String>)> = boards::table
                    .filter(boards::slug.eq(slug))
                    .select((boards::id, boards::kinds))
                    .first(conn)
                    .await
                    .optional()?;
                let Some((to_id, kinds)) = to else {
                    return Err(FieldError::new("board", "no such board").into());
                };
                if !kinds.contains(&kind) {
                    return Err(FieldError::new(
                        "board",
                        "this board does not take this kind of topic",
                    )
                    .into());
                }
                diesel::update(target)
                    .set((topics::board_id.eq(to_id), topics::updated_at.eq(act.now)))
                    .execute(conn)
                    .await?;
                crate::search::outbox::push(conn, topic_id, None).await?;
                crate::triage::routing::route(conn, topic_id, act.now).await?;
                (
                    json!({ "board_id": board_id }),
                    json!({ "board_id": to_id }),
                )
            }
        };
        audit::record(
            conn,
            Entry {
                actor_id: Some(act.moderator.id),
                action: &format!("{}_topic", action.as_str()),
                topic_id: Some(topic_id),
                target_user_id: Some(author),
                reason: act.reason,
                before: Some(before),
                after: Some(after),
                actor_ip: act.ip,
                ..Default::default()
            },
            act.now,
        )
        .await?;
        Ok(())
    })
    .await
}
