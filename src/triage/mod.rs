//! Triage: product teams, routing rules, and where each bug or idea goes (see `docs/triage.md`).

pub mod assignment;
pub mod priority;
pub mod queue;
pub mod routing;
pub mod rules;
pub mod similar;
pub mod stats;
pub mod teams;
pub mod views;
pub mod webhooks;

use crate::accounts::FieldError;

#[derive(Debug, thiserror::Error)]
pub enum TriageError {
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    Conflict(String),
    /// A team member acting on another team's item.
    #[error("this item belongs to another team")]
    NotYourTeam,
    #[error(transparent)]
    Search(#[from] crate::search::SearchError),
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
}

impl From<FieldError> for TriageError {
    fn from(e: FieldError) -> Self {
        TriageError::Invalid(vec![e])
    }
}
