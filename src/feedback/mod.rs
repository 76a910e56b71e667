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
