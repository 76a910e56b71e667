//! Chorus: a community forum and product-feedback platform.

pub mod access;
pub mod accounts;
pub mod audit;
pub mod backup;
pub mod bench;
pub mod clock;
pub mod config;
pub mod content;
pub mod db;
pub mod demo;
pub mod feedback;
pub mod fields;
pub mod forum;
pub mod honor;
pub mod jobs;
pub mod mail;
pub mod moderation;
pub mod notify;
pub mod posting;
pub mod rate_limits;
pub mod rights;
pub mod search;
pub mod theme;
pub mod triage;
pub mod web;
pub mod workers;
