//! The write flows that cross features, each one transaction: a new topic of any kind, a reply,
//! an edit. They check the trust guard, write the forum rows, add what feedback needs (bug
//! fields, product, the reporter's answer), hold the post for moderators when the guard says so,
//! and route the item to its triage team. `forum` only stores; this is where the steps meet.

mod new_topic;

pub use new_topic::{NewTopic, TopicInput};

use crate::accounts::User;
use crate::db::Conn;
use crate::fields::FieldError;
use crate::forum::fields::{Body, Kind};
use crate::forum::guard::{self, Action, Verdict};
use crate::forum::posts::{self, Placed, Post};
use crate::forum::topics::{self, Created};
use crate::forum::ForumError;
use chrono::{DateTime, Utc};
use diesel_async::AsyncConnection;

/// Creates the topic and its opening post; the author is subscribed; notifications follow by job.
pub async fn create_topic(
    conn: &mut Conn,
    s: &crate::config::Settings,
    author: &User,
    new: NewTopic,
    now: DateTime<Utc>,
) -> Result<Created, ForumError> {
    conn.transaction::<_, ForumError, _>(async |conn| {
        let verdict = guard::check_post(
            conn,
            &s.moderation,
            author,
            new.body.as_str(),
            Action::Topic,
            now,
        )
        .await??;
        let reader = crate::access::Reader::of(conn, Some(author)).await?;
        let board = crate::forum::boards::by_slug(conn, &new.board, &reader)
            .await?
            .ok_or_else(|| FieldError::new("board", "no such board"))?;
        if !reader.may_post_in(board.id) {
            return Err(ForumError::NoPosting);
        }
        if !board.allows(new.kind) {
            return Err(
                FieldError::new("kind", "this board does not take this kind of topic").into(),
            );
        }
        let product_id = crate::feedback::bugs::product_for(
            conn,
            new.kind == Kind::Bug,
            new.bug.as_ref(),
            new.product.as_deref(),
        )
        .await??;
        let created = topics::insert(
            conn,
            &topics::TopicRow {
                board_id: board.id,
                author_id: author.id,
                kind: new.kind,
                title: &new.title,
                tags: &new.tags,
                body: &new.body,
                product_id,
            },
            now,
        )
        .await?;
        if let (Some(bug), Some(pid)) = (&new.bug, product_id) {
            crate::feedback::bugs::insert(conn, created.topic_id, pid, bug).await?;
        }
        crate::triage::routing::route(conn, created.topic_id, now).await?;
        if verdict == Verdict::Hold {
            crate::moderation::reviews::hold(conn, created.post_id, now).await?;
        }
        Ok(created)
    })
    .await
}

/// Replies to the topic (or to one of its posts). Locked topics take replies from staff only.
/// The reporter's reply to "needs info" hands the item back to the team.
pub async fn reply(
    conn: &mut Conn,
    s: &crate::config::Settings,
    author: &User,
    topic_id: i64,
    parent_id: Option<i64>,
    body: &Body,
    now: DateTime<Utc>,
) -> Result<Placed, ForumError> {
    conn.transaction::<_, ForumError, _>(async |conn| {
        let verdict = guard::check_post(
            conn,
            &s.moderation,
            author,
            body.as_str(),
            Action::Reply,
            now,
        )
        .await??;
        let (placed, topic) =
            posts::insert_reply(conn, author, topic_id, parent_id, body, now).await?;
        if verdict == Verdict::Hold {
            crate::moderation::reviews::hold(conn, placed.id, now).await?;
        }
        if topic.author_id == author.id {
            crate::feedback::changes::reporter_answered(conn, &topic, now)
                .await
                .map_err(|e| match e {
                    crate::feedback::FeedbackError::Db(d) => ForumError::Db(d),
                    _ => ForumError::Forbidden,
                })?;
        }
        Ok(placed)
    })
    .await
}

/// Replaces a post's text, keeping the old text as a revision. Authors and staff only. The
/// author's edit of a held post is the appeal; an edited opening post is routed again.
pub async fn edit(
    conn: &mut Conn,
    editor: &User,
    post_id: i64,
    body: &Body,
    now: DateTime<Utc>,
) -> Result<Post, ForumError> {
    conn.transaction::<_, ForumError, _>(async |conn| {
        let edited = posts::edit(conn, editor, posts::EditAs::Author, post_id, body, now).await?;
        if edited.changed {
            if edited.before.hidden_at.is_some() && edited.before.author_id == editor.id {
                crate::moderation::reviews::appeal(conn, post_id, now).await?;
            }
            if edited.before.depth == 0 {
                crate::triage::routing::route(conn, edited.before.topic_id, now).await?;
            }
        }
        Ok(edited.after)
    })
    .await
}
