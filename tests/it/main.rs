//! The one integration-test binary: real PostgreSQL, real SMTP, the app over HTTP.

mod access;
mod accounts;
mod bad_input;
mod browser;
mod embedded;
mod feedback;
mod forum;
mod honor;
mod i18n;
mod jobs;
mod layers;
mod mail;
mod moderation;
mod notifications;
mod operations;
mod outages;
mod pages;
mod rights;
mod sanitize;
mod schema;
mod search;
mod security;
mod support;
mod triage;
mod triage_queue;
