//! Discussions: boards, topics, threaded posts, likes, subscriptions, listings.

pub mod boards;
pub mod fanout;
pub mod fields;
pub mod guard;
pub mod likes;
pub mod listing;
pub mod official;
pub mod posts;
pub mod ranks;
pub mod subscriptions;
pub mod thread;
pub mod topics;

use crate::accounts::FieldError;

#[derive(Debug, thiserror::Error)]
pub enum ForumError {
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
    #[error("not found")]
    NotFound,
    #[error("the topic is locked")]
    Locked,
    #[error("you cannot like your own post")]
    OwnPost,
    #[error("not allowed")]
    Forbidden,
    /// The reader may read the board but its post rule does not admit them.
    #[error("posting on this board is closed to you")]
    NoPosting,
    #[error("{0}")]
    Conflict(&'static str),
    #[error("silenced until {until}")]
    Silenced {
        until: chrono::DateTime<chrono::Utc>,
    },
    #[error("rate limited")]
    RateLimited(crate::rate_limits::RateLimited),
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
}

impl From<crate::forum::guard::Refusal> for ForumError {
    fn from(r: crate::forum::guard::Refusal) -> Self {
        use crate::forum::guard::Refusal;
        match r {
            Refusal::Silenced { until } => ForumError::Silenced { until },
            Refusal::Field(f) => ForumError::Invalid(vec![f]),
            Refusal::RateLimited(r) => ForumError::RateLimited(r),
        }
    }
}

impl From<FieldError> for ForumError {
    fn from(e: FieldError) -> Self {
        ForumError::Invalid(vec![e])
    }
}
