//! Accounts: registration with consent, email verification, login sessions, password reset, roles.
//! Knows nothing of HTTP; `web/` parses requests into the types in `fields` and calls in here.

pub mod fields;
pub mod groups;
pub mod passwords;
pub mod sanctions;
pub mod service;
pub mod sessions;
pub mod tokens;
pub mod users;

pub use fields::{Email, FieldError, Locale, Password, Role, Username};
pub use service::*;
pub use users::User;

use crate::rate_limits::RateLimited;

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
    #[error("already in use")]
    Taken(Vec<FieldError>),
    #[error("wrong login or password")]
    BadCredentials,
    #[error("this link is not valid")]
    InvalidToken,
    #[error("this link has expired")]
    ExpiredToken,
    #[error("too many attempts")]
    RateLimited(RateLimited),
    #[error("no such user")]
    NotFound,
    #[error("the email address is already verified")]
    AlreadyVerified,
    #[error("suspended until {until}")]
    Suspended {
        until: chrono::DateTime<chrono::Utc>,
        reason: String,
    },
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
    #[error(transparent)]
    Pool(#[from] crate::db::DbError),
    #[error(transparent)]
    Mail(#[from] crate::mail::MailError),
    #[error("password hashing: {0}")]
    Hash(String),
}

impl From<FieldError> for AccountError {
    fn from(e: FieldError) -> Self {
        AccountError::Invalid(vec![e])
    }
}
