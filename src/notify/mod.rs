//! Telling people things: in-app notifications and mail.

pub mod digest;
pub mod fanout;
pub mod mail;
pub mod notifications;
