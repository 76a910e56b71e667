//! What a bug or idea adds to its topic page and API: counts, the reader's votes, the report's
//! fields, the official response, merged duplicates, the satisfaction prompt and attachments.
//! A fixed number of queries.

use super::attachments::{self, AttachmentKind};
use super::bugs::{self, BugView};
use super::changes::{self, ChangeView};
use super::votes::{self, VoteKind};
use super::{merge, satisfaction};
use crate::accounts::User;
use crate::db::Conn;
use crate::forum::topics::Topic;
use diesel::QueryResult;
use serde::Serialize;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FeedbackView {
    pub vote_count: i32,
    pub me_too_count: i32,
    pub voted: bool,
    pub me_too: bool,
    pub bug: Option<BugView>,
    pub official_response: Option<ChangeView>,
    /// The team the official response speaks for ("官方 · 相机团队").
    pub official_team: Option<crate::forum::official::TeamMark>,
    pub status_history: Vec<ChangeView>,
    pub duplicate_of: Option<i64>,
    pub duplicates_merged: Vec<Merged>,
    pub satisfaction: Satisfaction,
    pub attachments: Vec<AttachmentLink>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Merged {
    pub id: i64,
    pub title: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = SatisfactionSummary)]
pub struct Satisfaction {
    /// Whether this reader is asked (the reporter or a me-too user, on an outcome).
    pub asked: bool,
    pub answer: Option<Answer>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = OwnAnswer)]
pub struct Answer {
    pub satisfied: bool,
    pub comment: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AttachmentLink {
    pub id: i64,
    pub kind: AttachmentKind,
    pub name: String,
    pub size: i32,
    pub private: bool,
    pub url: String,
}

/// None for a discussion. The topic must already be one the reader may see.
pub async fn of(
    conn: &mut Conn,
    topic: &Topic,
    user: Option<&User>,
) -> QueryResult<Option<FeedbackView>> {
    if !topic.kind.is_feedback() {
        return Ok(None);
    }
    let (voted, me_too) = match user {
        Some(u) => (
            votes::has(conn, u.id, topic.id, VoteKind::Vote).await?,
            votes::has(conn, u.id, topic.id, VoteKind::MeToo).await?,
        ),
        None => (false, false),
    };
    let bug = bugs::for_topic(conn, topic.id).await?;
    let history = changes::history(conn, topic.id).await?;
    let official = changes::official_response(&history).cloned();
    let official_team = match &official {
        Some(c) => crate::forum::official::teams_of(conn, topic.id, &[(c.actor_id, c.actor_role)])
            .await?
            .remove(&c.actor_id),
        None => None,
    };
    let merged = merge::merged_into(conn, topic.id).await?;
    let (asked, answer) = match user {
        Some(u) => (
            satisfaction::is_asked(conn, topic, u.id).await?,
            satisfaction::mine(conn, topic.id, u.id).await?,
        ),
        None => (false, None),
    };
    let files = attachments::for_topic(conn, topic.id, user).await?;
    Ok(Some(FeedbackView {
        vote_count: topic.vote_count,
        me_too_count: topic.me_too_count,
        voted,
        me_too,
        bug,
        official_response: official,
        official_team,
        status_history: history,
        duplicate_of: topic.duplicate_of,
        duplicates_merged: merged
            .into_iter()
            .map(|(id, title)| Merged { id, title })
            .collect(),
        satisfaction: Satisfaction {
            asked,
            answer: answer.map(|(satisfied, comment)| Answer { satisfied, comment }),
        },
        attachments: files
            .into_iter()
            .map(|a| AttachmentLink {
                url: format!("/attachments/{}", a.id),
                id: a.id,
                kind: a.kind,
                name: a.original_name,
                size: a.size_bytes,
                private: a.private,
            })
            .collect(),
    }))
}
