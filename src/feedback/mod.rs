//! Feedback: products, structured bug reports, votes and me-too, statuses with history, closing
//! the loop with everyone involved, duplicates, and the satisfaction follow-up (回访).

pub mod attachments;
pub mod bugs;
pub mod changes;
pub mod lists;
pub mod loop_closure;
pub mod merge;
pub mod notes;
pub mod products;
pub mod satisfaction;
pub mod status;
pub mod view;
pub mod votes;

use crate::accounts::FieldError;

#[derive(Debug, thiserror::Error)]
pub enum FeedbackError {
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
    #[error("not found")]
    NotFound,
    #[error("not allowed")]
    Forbidden,
    #[error("you cannot vote on your own topic")]
    OwnTopic,
    #[error("this does not apply to this kind of topic")]
    WrongKind,
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
    #[error("storing a file")]
    Storage(#[source] std::io::Error),
}

impl From<FieldError> for FeedbackError {
    fn from(e: FieldError) -> Self {
        FeedbackError::Invalid(vec![e])
    }
}

/// What the routed-team rules in `access` need: the team a topic is routed to, and the teams of
/// the reader (none for people who work on no team). Private logs and internal notes ask it.
pub(crate) async fn route_teams(
    conn: &mut crate::db::Conn,
    topic_id: i64,
    user: Option<&crate::accounts::User>,
) -> diesel::QueryResult<(Option<i64>, Vec<i64>)> {
    let item_team = crate::forum::topics::routed_team(conn, topic_id).await?;
    let mine = match user {
        Some(u) if u.role().works_on_feedback() => {
            crate::triage::teams::of_user(conn, u.id).await?
        }
        _ => Vec::new(),
    };
    Ok((item_team, mine))
}
