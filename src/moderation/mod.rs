//! Keeping order: flags and the review queue, moderator actions
//! and sanctions. The audit log and rate limits sit lower (`crate::audit`, `crate::rate_limits`):
//! everyone writes to them.

pub mod actions;
pub mod flags;
pub mod people;
pub mod reviews;
pub mod sanctions;

use crate::accounts::{FieldError, User};
use chrono::{DateTime, Utc};

/// Who did it, from where, and why: every moderation action carries one.
pub struct Act<'a> {
    pub moderator: &'a User,
    pub reason: &'a str,
    pub ip: Option<&'a str>,
    pub now: DateTime<Utc>,
}

#[derive(Debug, thiserror::Error)]
pub enum ModError {
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
    #[error("not found")]
    NotFound,
    #[error("{message}")]
    Forbidden { code: &'static str, message: String },
    #[error("{0}")]
    Conflict(String),
    #[error("rate limited")]
    RateLimited(crate::rate_limits::RateLimited),
    #[error("mail")]
    Mail(#[from] crate::mail::MailError),
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
}

impl From<FieldError> for ModError {
    fn from(e: FieldError) -> Self {
        ModError::Invalid(vec![e])
    }
}

/// Free text from staff or flaggers: control characters out (PostgreSQL cannot store NUL),
/// newlines kept, trimmed.
pub fn clean_text(raw: &str) -> String {
    raw.chars()
        .filter(|c| *c == '\n' || !c.is_control())
        .collect::<String>()
        .trim()
        .to_string()
}

/// A stated reason, possibly empty, bounded.
pub fn optional_reason(raw: &str) -> Result<String, FieldError> {
    let r = clean_text(raw);
    if r.chars().count() > 500 {
        return Err(FieldError::new("reason", "at most 500 characters"));
    }
    Ok(r)
}

/// A moderator's stated reason: required, bounded.
pub fn reason(raw: &str) -> Result<String, FieldError> {
    let r = optional_reason(raw)?;
    if r.is_empty() {
        return Err(FieldError::new("reason", "say why"));
    }
    Ok(r)
}
