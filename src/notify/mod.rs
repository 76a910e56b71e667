//! Telling people things: mail now; in-app notifications arrive with discussions.

pub mod mail;
