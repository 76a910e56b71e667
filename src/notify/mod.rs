//! Telling people things in the app: notifications (the bell) and the weekly digest. Mail itself
//! is `crate::mail`.

pub mod digest;
pub mod notifications;

use crate::db;

#[derive(Debug, thiserror::Error)]
/// Why telling people failed; the job retries.
pub enum NotifyError {
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
    #[error(transparent)]
    Pool(#[from] db::DbError),
    #[error(transparent)]
    Mail(#[from] crate::mail::MailError),
}
