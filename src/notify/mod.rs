//! Telling people things in the app: notifications (the bell) and the weekly digest. Mail itself
//! is `crate::mail`.

pub mod digest;
pub mod fanout;
pub mod notifications;
