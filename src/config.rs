//! Settings: built-in defaults, then `chorus.toml` (or the file named by `CHORUS_CONFIG`), then
//! `CHORUS_*` environment variables. Secrets are wrapped in [`Secret`] so they never reach a log.

use serde::Deserialize;
use std::fmt;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

#[derive(Clone, Deserialize, Default, PartialEq)]
#[serde(transparent)]
pub struct Secret(pub String);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_empty() {
            "\"\""
        } else {
            "\"[redacted]\""
        })
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Address the HTTP server binds to.
    pub bind: String,
    /// Public base URL used in mail links, e.g. `https://forum.example.com`.
    pub base_url: String,
    /// Folder for the embedded cluster, mail files and uploads.
    pub data_dir: PathBuf,
    /// External PostgreSQL URL; empty means "run the embedded cluster under data_dir/pg".
    pub database_url: Secret,
    pub database_pool_size: usize,
    /// Deadlines for every database call: a frozen or unreachable database answers 503 within
    /// them instead of hanging requests.
    pub database_timeouts: DatabaseTimeouts,
    /// On stop, how long background work may take to finish what it holds.
    pub shutdown_grace_secs: u64,
    /// `text` (coloured only on a terminal) or `json`, one object per line for log shippers.
    pub log_format: LogFormat,
    /// `/metrics` wants `Authorization: Bearer <this>`. Empty: it answers only to loopback peers
    /// (a scraper on the same machine or through a local proxy that strips nothing).
    pub metrics_token: Secret,
    /// A streaming replica of that database; when set, anonymous page views and topic reads go
    /// there (see `docs/scaling.md`). Empty: everything reads the primary.
    pub replica_database_url: Secret,
    pub themes_dir: PathBuf,
    /// Where this node keeps its tantivy index (derived data: `chorus reindex` rebuilds it).
    pub search_index_dir: PathBuf,
    pub theme: String,
    pub default_locale: String,
    /// Version string of the privacy policy users consent to.
    #[serde(deserialize_with = "string_or_number")]
    pub privacy_policy_version: String,
    /// Peers whose `X-Forwarded-For` is believed; everyone else is identified by the socket address.
    pub trusted_proxies: Vec<IpAddr>,
    pub session_days: i64,
    pub max_json_bytes: usize,
    pub max_form_bytes: usize,
    pub mail: MailSettings,
    pub rate_limits: RateLimits,
    pub jobs: JobSettings,
    pub moderation: ModerationSettings,
    pub honor: HonorSettings,
    pub rights: RightsSettings,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MailSettings {
    /// `smtp://user:pass@host:587` (STARTTLS), `smtps://host:465` (TLS),
    /// `smtp://host:25?tls=none` (plain, for local catchers); empty: write .eml files.
    pub smtp_url: Secret,
    pub from: String,
    /// First retry delay; doubles per attempt.
    pub retry_base_secs: i64,
    pub max_attempts: i32,
    /// One whole SMTP conversation, connect to the reply after the content.
    pub send_timeout_secs: u64,
    /// A message whose content was sent but whose reply was lost may have been delivered: it is
    /// sent again (same Message-ID) only after this wait. See docs/operations.md.
    pub unknown_retry_after_secs: i64,
}

/// `max` requests per `secs` seconds for each key.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Limit {
    pub max: i32,
    pub secs: i64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RateLimits {
    pub login_per_ip: Limit,
    pub login_per_account: Limit,
    pub register_per_ip: Limit,
    pub resend_per_account: Limit,
    pub reset_per_ip: Limit,
    pub reset_per_email: Limit,
    /// Searches (page, API, similar topics) per address.
    pub search_per_ip: Limit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

/// Spam and abuse controls; see `docs/moderation.md`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ModerationSettings {
    /// Summed flag weight that hides a post at once, pending review.
    pub flag_hide_threshold: f64,
    /// Unhandled review items older than this are escalated to every moderator.
    pub escalate_after_hours: i64,
    /// The same body from the same author within this many seconds is refused (0: off).
    pub duplicate_window_secs: i64,
    /// Level 1 posts with links wait for a moderator.
    pub hold_new_user_links: bool,
    /// Level 1 may embed images.
    pub new_user_images: bool,
    /// Limits for level 1 (new accounts) and for everyone above; staff are exempt.
    pub new_user: ActionLimits,
    pub member: ActionLimits,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionLimits {
    pub topics_per_hour: i32,
    pub topics_per_day: i32,
    pub replies_per_hour: i32,
    pub replies_per_day: i32,
    pub likes_per_day: i32,
    pub flags_per_day: i32,
    pub mentions_per_post: usize,
}

/// Points per reason, daily caps, levels; see `docs/honor.md`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HonorSettings {
    pub points: HonorPoints,
    /// Most points per reason per day (UTC); absent means no cap.
    pub daily_caps: HonorCaps,
    /// Likes and votes from accounts younger than this give no points.
    pub min_account_age_hours: i64,
    /// Honor needed for Lv1..Lv10 (ten ascending numbers, the first 0).
    pub levels: Vec<i32>,
    /// Bug reports in this board count toward 内测先锋 Beta Pioneer.
    pub beta_board: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HonorPoints {
    pub checkin: i32,
    pub like_received: i32,
    pub vote_received: i32,
    pub tip_featured: i32,
    pub bug_acknowledged: i32,
    pub bug_resolved: i32,
    pub idea_planned: i32,
    pub idea_completed: i32,
    pub flag_agreed: i32,
    pub flag_disagreed: i32,
    pub post_hidden: i32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HonorCaps {
    pub like_received: i32,
    pub vote_received: i32,
    pub flag_agreed: i32,
}

/// Export and erasure; see `docs/data-rights.md`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RightsSettings {
    /// An erased account's name cannot be registered again for this many days.
    pub username_hold_days: i64,
    /// Above this many rows (posts, votes, likes, notifications...) the export is built by a job
    /// and mailed as a link instead of answered at once.
    pub export_inline_max_rows: i64,
    /// How long a mailed export link works.
    pub export_link_hours: i64,
    /// Notifications older than this are deleted (read or not).
    pub notification_retention_days: i64,
    /// Delivered (or given-up) mail is deleted from the outbox after this long.
    pub mail_retention_days: i64,
}

impl Default for RightsSettings {
    fn default() -> Self {
        RightsSettings {
            username_hold_days: 180,
            export_inline_max_rows: 5000,
            export_link_hours: 72,
            notification_retention_days: 365,
            mail_retention_days: 30,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DatabaseTimeouts {
    /// How long a request waits for a free pooled connection before answering 503.
    pub acquire_ms: u64,
    /// Opening one connection (TCP/socket, TLS, authentication).
    pub connect_ms: u64,
    /// One statement (`statement_timeout`); bulk commands (`reindex`, `backup`) set their own.
    pub statement_ms: u64,
    /// A transaction left open and idle is ended by the server (it would hold locks and the
    /// search indexer's mark back).
    pub idle_in_transaction_ms: u64,
}

impl DatabaseTimeouts {
    /// For one-off commands (`reindex`, `demo`, `restore`, `bench`): long statements are their
    /// job, so only the acquire and connect deadlines stay.
    pub fn for_commands(&self) -> DatabaseTimeouts {
        DatabaseTimeouts {
            statement_ms: 0,
            idle_in_transaction_ms: 0,
            ..self.clone()
        }
    }
}

impl Default for DatabaseTimeouts {
    fn default() -> Self {
        DatabaseTimeouts {
            acquire_ms: 3_000,
            connect_ms: 3_000,
            statement_ms: 30_000,
            idle_in_transaction_ms: 60_000,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct JobSettings {
    /// Workers poll this often even without a NOTIFY wake-up.
    pub poll_millis: u64,
    pub retry_base_secs: i64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            bind: "127.0.0.1:8080".into(),
            base_url: "http://127.0.0.1:8080".into(),
            data_dir: "data".into(),
            database_url: Secret::default(),
            replica_database_url: Secret::default(),
            database_pool_size: 16,
            database_timeouts: DatabaseTimeouts::default(),
            shutdown_grace_secs: 10,
            log_format: LogFormat::Text,
            metrics_token: Secret::default(),
            themes_dir: "themes".into(),
            search_index_dir: "search-index".into(),
            theme: "default".into(),
            default_locale: "zh-CN".into(),
            privacy_policy_version: "2026-11".into(),
            trusted_proxies: Vec::new(),
            session_days: 30,
            max_json_bytes: 256 * 1024,
            max_form_bytes: 256 * 1024,
            mail: MailSettings::default(),
            rate_limits: RateLimits::default(),
            jobs: JobSettings::default(),
            moderation: ModerationSettings::default(),
            honor: HonorSettings::default(),
            rights: RightsSettings::default(),
        }
    }
}

impl Default for MailSettings {
    fn default() -> Self {
        MailSettings {
            smtp_url: Secret::default(),
            from: "Chorus <no-reply@chorus.local>".into(),
            retry_base_secs: 30,
            max_attempts: 8,
            send_timeout_secs: 60,
            unknown_retry_after_secs: 6 * 3600,
        }
    }
}

impl Default for RateLimits {
    fn default() -> Self {
        let l = |max, secs| Limit { max, secs };
        RateLimits {
            login_per_ip: l(30, 900),
            login_per_account: l(10, 900),
            register_per_ip: l(10, 3600),
            resend_per_account: l(3, 3600),
            reset_per_ip: l(10, 3600),
            reset_per_email: l(3, 3600),
            search_per_ip: l(60, 60),
        }
    }
}

impl Default for ModerationSettings {
    fn default() -> Self {
        // In the spirit of Discourse's trust-level-0 defaults.
        ModerationSettings {
            flag_hide_threshold: 3.0,
            escalate_after_hours: 48,
            duplicate_window_secs: 300,
            hold_new_user_links: true,
            new_user_images: false,
            new_user: ActionLimits {
                topics_per_hour: 3,
                topics_per_day: 10,
                replies_per_hour: 10,
                replies_per_day: 40,
                likes_per_day: 30,
                flags_per_day: 5,
                mentions_per_post: 2,
            },
            member: ActionLimits {
                topics_per_hour: 10,
                topics_per_day: 50,
                replies_per_hour: 60,
                replies_per_day: 300,
                likes_per_day: 200,
                flags_per_day: 30,
                mentions_per_post: 10,
            },
        }
    }
}

impl Default for HonorSettings {
    fn default() -> Self {
        HonorSettings {
            points: HonorPoints::default(),
            daily_caps: HonorCaps::default(),
            min_account_age_hours: 72,
            levels: vec![0, 20, 60, 150, 300, 600, 1200, 2500, 5000, 10000],
            beta_board: "beta".into(),
        }
    }
}

impl Default for HonorPoints {
    fn default() -> Self {
        HonorPoints {
            checkin: 1,
            like_received: 2,
            vote_received: 1,
            tip_featured: 20,
            bug_acknowledged: 10,
            bug_resolved: 20,
            idea_planned: 15,
            idea_completed: 30,
            flag_agreed: 2,
            flag_disagreed: -2,
            post_hidden: -10,
        }
    }
}

impl Default for HonorCaps {
    fn default() -> Self {
        HonorCaps {
            like_received: 40,
            vote_received: 20,
            flag_agreed: 20,
        }
    }
}

impl Default for JobSettings {
    fn default() -> Self {
        JobSettings {
            poll_millis: 1000,
            retry_base_secs: 10,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// Also unknown keys and bad values from `CHORUS_*` variables (a `CHORUS_FOO` that is not a
    /// setting is refused, not ignored).
    #[error("{path} or CHORUS_* variables: {}", error.message().trim())]
    Parse {
        path: PathBuf,
        error: Box<toml::de::Error>,
    },
    #[error("{path}: {why}")]
    Invalid { path: PathBuf, why: String },
    #[error("environment variable {name}: {why}")]
    Env { name: String, why: String },
}

impl Settings {
    /// Defaults, then the config file (if present), then `CHORUS_*` variables.
    pub fn load() -> Result<Self, ConfigError> {
        let explicit = std::env::var_os("CHORUS_CONFIG").map(PathBuf::from);
        let path = explicit.clone().unwrap_or_else(|| "chorus.toml".into());
        let file = if path.exists() || explicit.is_some() {
            std::fs::read_to_string(&path).map_err(|source| ConfigError::Read {
                path: path.clone(),
                source,
            })?
        } else {
            String::new()
        };
        Self::from_sources(&path, &file, std::env::vars())
    }

    /// Layers the file text and the environment over the defaults, in one parse.
    pub fn from_sources(
        path: &Path,
        file: &str,
        vars: impl Iterator<Item = (String, String)>,
    ) -> Result<Self, ConfigError> {
        let parse_err = |e: toml::de::Error| ConfigError::Parse {
            path: path.into(),
            error: Box::new(e),
        };
        let mut table: toml::Table = file.parse().map_err(parse_err)?;
        overlay(&mut table, env_table(vars)?);
        let settings: Settings = table.try_into().map_err(parse_err)?;
        let l = &settings.honor.levels;
        if l.len() != 10 || l[0] != 0 || l.windows(2).any(|w| w[0] >= w[1]) {
            return Err(ConfigError::Invalid {
                path: path.into(),
                why: "honor.levels must be ten ascending numbers starting at 0".into(),
            });
        }
        if settings.moderation.flag_hide_threshold.is_nan()
            || settings.moderation.flag_hide_threshold <= 0.0
        {
            return Err(ConfigError::Invalid {
                path: path.into(),
                why: "moderation.flag_hide_threshold must be above 0".into(),
            });
        }
        let r = &settings.rights;
        if r.username_hold_days < 0
            || r.export_inline_max_rows < 0
            || r.export_link_hours < 1
            || r.notification_retention_days < 1
            || r.mail_retention_days < 1
        {
            return Err(ConfigError::Invalid {
                path: path.into(),
                why: "rights: hold days and row limit must be >= 0, link hours and retention days >= 1".into(),
            });
        }
        Ok(settings)
    }

    pub fn exports_dir(&self) -> PathBuf {
        self.data_dir.join("exports")
    }

    pub fn uses_embedded_db(&self) -> bool {
        self.database_url.0.trim().is_empty()
    }

    pub fn pg_dir(&self) -> PathBuf {
        self.data_dir.join("pg")
    }

    pub fn mail_dir(&self) -> PathBuf {
        self.data_dir.join("mail")
    }

    pub fn uploads_dir(&self) -> PathBuf {
        self.data_dir.join("uploads")
    }

    pub fn theme_dir(&self) -> PathBuf {
        self.themes_dir.join(&self.theme)
    }

    pub fn is_https(&self) -> bool {
        self.base_url.starts_with("https://")
    }
}

/// `CHORUS_*` variables that steer the process rather than set a setting.
const NOT_SETTINGS: &[&str] = &["CONFIG", "LOG", "SKIP_BROWSER"];

/// `CHORUS_BIND`, `CHORUS_MAIL__SMTP_URL`, ...: a double underscore steps into a section.
fn env_table(vars: impl Iterator<Item = (String, String)>) -> Result<toml::Table, ConfigError> {
    let mut table = toml::Table::new();
    for (name, value) in vars {
        let Some(rest) = name.strip_prefix("CHORUS_") else {
            continue;
        };
        if NOT_SETTINGS.contains(&rest) || rest.is_empty() {
            continue;
        }
        let path: Vec<String> = rest.split("__").map(|p| p.to_ascii_lowercase()).collect();
        let mut node = &mut table;
        for part in &path[..path.len() - 1] {
            node = node
                .entry(part.clone())
                .or_insert_with(|| toml::Value::Table(toml::Table::new()))
                .as_table_mut()
                .ok_or_else(|| ConfigError::Env {
                    name: name.clone(),
                    why: "clashes with another variable".into(),
                })?;
        }
        node.insert(path[path.len() - 1].clone(), env_value(&value));
    }
    Ok(table)
}

/// Environment values are strings; numbers, booleans and `[...]` lists are recognised.
fn env_value(raw: &str) -> toml::Value {
    if let Ok(v) = raw.parse::<i64>() {
        return toml::Value::Integer(v);
    }
    if let Ok(v) = raw.parse::<bool>() {
        return toml::Value::Boolean(v);
    }
    if raw.starts_with('[') {
        if let Ok(t) = format!("v = {raw}").parse::<toml::Table>() {
            if let Some(v) = t.get("v") {
                return v.clone();
            }
        }
    }
    toml::Value::String(raw.to_string())
}

fn overlay(base: &mut toml::Table, top: toml::Table) {
    for (k, v) in top {
        match (base.get_mut(&k), v) {
            (Some(toml::Value::Table(b)), toml::Value::Table(t)) => overlay(b, t),
            (_, v) => {
                base.insert(k, v);
            }
        }
    }
}

/// `CHORUS_PRIVACY_POLICY_VERSION=2027` arrives as a number; it is still a version string.
fn string_or_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Either {
        S(String),
        I(i64),
    }
    Ok(match Either::deserialize(d)? {
        Either::S(s) => s,
        Either::I(i) => i.to_string(),
    })
}
