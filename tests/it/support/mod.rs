//! Test harness: one private PostgreSQL cluster per run (the same code as the embedded default),
//! a fresh database per test cloned from a migrated template, and the app driven over HTTP.

pub mod client;
pub mod queries;
pub mod smtp;

use chorus::clock::Clock;
use chorus::config::Settings;
use chorus::db::{self, pg::Cluster};
use chorus::theme::Theme;
use chorus::web::AppState;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

pub use client::{Client, Resp};

pub const TEMPLATE_DB: &str = "chorus_template";

pub struct TestCluster {
    pub cluster: Cluster,
    pub root: PathBuf,
}

static CLUSTER: OnceLock<TestCluster> = OnceLock::new();
static NEXT_DB: AtomicUsize = AtomicUsize::new(0);

/// The run's cluster, started on first use and stopped when the test process exits.
pub fn cluster() -> &'static TestCluster {
    CLUSTER.get_or_init(|| {
        // Runs on its own thread: the migration harness needs a multi-threaded runtime.
        std::thread::spawn(start_cluster)
            .join()
            .expect("starting the test cluster")
    })
}

fn start_cluster() -> TestCluster {
    clean_stale_runs();
    let root = std::env::temp_dir().join(format!("chorus-it-{}", std::process::id()));
    let cluster = Cluster::new(&root.join("pg")).expect("postgres binaries");
    cluster.init_if_needed().expect("initdb");
    cluster.start().expect("pg_ctl start");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .worker_threads(1)
        .build()
        .unwrap();
    rt.block_on(async {
        db::ensure_database(&cluster.url("postgres"), TEMPLATE_DB)
            .await
            .expect("create template");
        db::migrate(&cluster.url(TEMPLATE_DB))
            .await
            .expect("migrate template");
    });
    // SAFETY: registering a plain extern "C" function with no captured state.
    unsafe { libc::atexit(stop_cluster_at_exit) };
    TestCluster { cluster, root }
}

extern "C" fn stop_cluster_at_exit() {
    if let Some(c) = CLUSTER.get() {
        let _ = c.cluster.stop();
        let _ = std::fs::remove_dir_all(&c.root);
    }
}

/// A run that was killed leaves its cluster behind: stop it and remove its folder.
fn clean_stale_runs() {
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().to_string();
        let Some(pid) = name
            .strip_prefix("chorus-it-")
            .and_then(|p| p.parse::<i32>().ok())
        else {
            continue;
        };
        if Path::new(&format!("/proc/{pid}")).exists() {
            continue;
        }
        if let Ok(c) = Cluster::new(&e.path().join("pg")) {
            let _ = c.stop();
        }
        let _ = std::fs::remove_dir_all(e.path());
    }
}

/// A fresh database cloned from the migrated template.
pub async fn fresh_database() -> String {
    let c = cluster();
    let name = format!(
        "t{}_{}",
        std::process::id(),
        NEXT_DB.fetch_add(1, Ordering::SeqCst)
    );
    use diesel_async::{AsyncConnection, RunQueryDsl};
    let mut conn = diesel_async::AsyncPgConnection::establish(&c.cluster.url("postgres"))
        .await
        .unwrap();
    diesel::sql_query(format!("CREATE DATABASE {name} TEMPLATE {TEMPLATE_DB}"))
        .execute(&mut conn)
        .await
        .unwrap();
    c.cluster.url(&name)
}

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Settings for tests: real theme from the repo, fast retries, a temp data folder.
/// Posting limits out of the way, for tests about something else; the moderation tests put
/// the defaults back (`chorus::config::ModerationSettings::default()`).
pub fn relaxed_moderation() -> chorus::config::ModerationSettings {
    let open = chorus::config::ActionLimits {
        topics_per_hour: 10_000,
        topics_per_day: 10_000,
        replies_per_hour: 10_000,
        replies_per_day: 10_000,
        likes_per_day: 10_000,
        flags_per_day: 10_000,
        mentions_per_post: 1_000,
    };
    chorus::config::ModerationSettings {
        duplicate_window_secs: 0,
        hold_new_user_links: false,
        new_user_images: true,
        new_user: open.clone(),
        member: open,
        ..Default::default()
    }
}

pub fn test_settings(data_dir: &Path) -> Settings {
    Settings {
        moderation: relaxed_moderation(),
        themes_dir: repo_root().join("themes"),
        data_dir: data_dir.to_path_buf(),
        base_url: "http://chorus.test".into(),
        database_pool_size: 4,
        // Tests search far more than a person does; the limit has its own test.
        rate_limits: chorus::config::RateLimits {
            search_per_ip: chorus::config::Limit {
                max: 100_000,
                secs: 60,
            },
            ..Default::default()
        },
        search_index_dir: data_dir.join("search-index"),
        mail: chorus::config::MailSettings {
            retry_base_secs: 60,
            ..Default::default()
        },
        ..Default::default()
    }
}

pub struct TestApp {
    pub state: AppState,
    pub db_url: String,
    pub clock: Clock,
    pub data_dir: tempdir::TempDir,
    service: client::BoxedApp,
}

impl TestApp {
    pub async fn new() -> TestApp {
        Self::with_settings(|_| {}).await
    }

    pub async fn with_settings(change: impl FnOnce(&mut Settings)) -> TestApp {
        Self::on_database(fresh_database().await, tempdir::TempDir::new(), change).await
    }

    /// The app over an existing database and data folder (a restored backup, a second node).
    pub async fn on_database(
        db_url: String,
        data_dir: tempdir::TempDir,
        change: impl FnOnce(&mut Settings),
    ) -> TestApp {
        let mut settings = test_settings(data_dir.path());
        change(&mut settings);
        let pool = db::pool(
            &db_url,
            settings.database_pool_size,
            &settings.database_timeouts,
        )
        .unwrap();
        let theme = Arc::new(Theme::load(&settings.themes_dir, &settings.theme).expect("theme"));
        let clock = Clock::default();
        let search = Arc::new(
            chorus::search::Search::open(&settings.search_index_dir).expect("search index"),
        );
        let state = AppState::new(Arc::new(settings), pool, clock.clone(), theme, search);
        let service = client::boxed_app(state.clone()).await;
        TestApp {
            state,
            db_url,
            clock,
            data_dir,
            service,
        }
    }

    /// Changes settings as an operator would (edit the config, restart): same database, data
    /// directory and clock; sessions survive.
    pub async fn reconfigure(&mut self, change: impl FnOnce(&mut Settings)) {
        let mut settings = (*self.state.settings).clone();
        change(&mut settings);
        let state = AppState::new(
            Arc::new(settings),
            self.state.pool.clone(),
            self.clock.clone(),
            self.state.theme.clone(),
            self.state.search.clone(),
        );
        self.service = client::boxed_app(state.clone()).await;
        self.state = state;
    }

    /// Sends anonymous reads to a replica, as `replica_database_url` does.
    pub async fn use_replica(&mut self, url: &str) {
        let state = self
            .state
            .clone()
            .with_replica(db::pool(url, 2, &Default::default()).unwrap());
        self.service = client::boxed_app(state.clone()).await;
        self.state = state;
    }

    pub fn client(&self) -> Client<'_> {
        Client::new(self, "127.0.0.1")
    }

    pub fn client_from(&self, ip: &str) -> Client<'_> {
        Client::new(self, ip)
    }

    pub async fn conn(&self) -> db::PooledConn {
        db::get(&self.state.pool).await.unwrap()
    }

    /// A verified member with a bearer token.
    pub async fn member(&self, name: &str) -> (chorus::accounts::User, String) {
        self.user_with_role(name, chorus::accounts::Role::Member)
            .await
    }

    /// A verified account with the given role, logged in through the login form (cookies).
    pub async fn logged_in(&self, name: &str, role: chorus::accounts::Role) -> Client<'_> {
        self.user_with_role(name, role).await;
        let c = self.client();
        let r = c
            .post_form(
                "/login",
                &[("login", name), ("password", "long-enough-secret")],
            )
            .await;
        assert_eq!(r.status, 303);
        c
    }

    /// The text bodies of every outbox row for `to`, oldest first.
    pub async fn outbox_for(&self, to: &str) -> Vec<String> {
        use chorus::db::schema::mail_outbox;
        use diesel::prelude::*;
        use diesel_async::RunQueryDsl;
        let mut conn = self.conn().await;
        mail_outbox::table
            .filter(mail_outbox::recipient.eq(to))
            .order(mail_outbox::id)
            .select(mail_outbox::body_text)
            .load(&mut conn)
            .await
            .unwrap()
    }
}

impl TestApp {
    /// Moves the clock just past the start of a rate-limit window of `secs`, so a test's hits
    /// cannot straddle two fixed windows.
    pub fn align_clock(&self, secs: i64) {
        let now = self.clock.now().timestamp();
        self.clock
            .advance(chrono::Duration::seconds(secs - now.rem_euclid(secs) + 1));
    }

    /// Boards most tests use: `phones` (discussion, bug), `tips` (discussion), `ideas` (idea).
    pub async fn seed_boards(&self) {
        use chorus::forum::boards::{upsert, NewBoard};
        let mut conn = self.conn().await;
        for (slug, zh, en, kinds) in [
            ("phones", "手机", "Phones", vec!["discussion", "bug"]),
            ("tips", "玩机技巧", "Tips", vec!["discussion"]),
            ("ideas", "建议", "Ideas", vec!["idea"]),
        ] {
            let kinds: Vec<String> = kinds.into_iter().map(String::from).collect();
            let b = NewBoard::parse(slug, zh, en, "", "", &kinds, 0, None).unwrap();
            upsert(&mut conn, &b, self.clock.now()).await.unwrap();
        }
    }

    /// A verified account with the given role and a bearer token.
    pub async fn user_with_role(
        &self,
        name: &str,
        role: chorus::accounts::Role,
    ) -> (chorus::accounts::User, String) {
        let mut conn = self.conn().await;
        let now = self.clock.now();
        let user = chorus::accounts::create_verified(
            &mut conn,
            &self.state.settings,
            name,
            &format!("{name}@example.com"),
            "long-enough-secret",
            role,
            now,
        )
        .await
        .unwrap();
        let token = chorus::accounts::sessions::create(
            &mut conn,
            user.id,
            "test",
            chrono::Duration::days(1),
            now,
        )
        .await
        .unwrap();
        (user, token)
    }

    /// Products most feedback tests use: `chorus-14` (phone) and `band-9` (wearable).
    pub async fn seed_products(&self) {
        use chorus::feedback::products::{upsert, NewProduct};
        let mut conn = self.conn().await;
        for (slug, zh, en, line) in [
            ("chorus-14", "Chorus 14", "Chorus 14", "phone"),
            ("band-9", "手环 9", "Band 9", "wearable"),
        ] {
            upsert(
                &mut conn,
                &NewProduct::parse(slug, zh, en, line).unwrap(),
                self.clock.now(),
            )
            .await
            .unwrap();
        }
    }

    /// Files a bug report; returns the topic id.
    pub async fn bug(&self, token: &str, title: &str) -> i64 {
        let r = self
            .client()
            .with_bearer(token)
            .post_json(
                "/api/v1/topics",
                serde_json::json!({"board": "phones", "kind": "bug", "title": title, "body": "It crashes.",
                    "bug": {"product": "chorus-14", "os_version": "ChorusOS 2.0.1", "reproducibility": "always", "severity": "crash"}}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text());
        r.json()["id"].as_i64().unwrap()
    }

    /// Proposes an idea; returns the topic id.
    pub async fn idea(&self, token: &str, title: &str) -> i64 {
        let r = self
            .client()
            .with_bearer(token)
            .post_json("/api/v1/topics", serde_json::json!({"board": "ideas", "kind": "idea", "title": title, "body": "Please add it."}))
            .await;
        assert_eq!(r.status, 201, "{}", r.text());
        r.json()["id"].as_i64().unwrap()
    }

    /// A new bearer token for an existing user at the clock's now (test sessions last a day, so
    /// tests that move time forward sign in again).
    pub async fn fresh_token(&self, username: &str) -> String {
        let mut conn = self.conn().await;
        let user = chorus::accounts::users::by_username(&mut conn, username)
            .await
            .unwrap()
            .unwrap();
        chorus::accounts::sessions::create(
            &mut conn,
            user.id,
            "test",
            chrono::Duration::days(1),
            self.clock.now(),
        )
        .await
        .unwrap()
    }

    /// Puts a user at a trust level (as honor would), without the points.
    pub async fn set_level(&self, user_id: i64, level: i16) {
        use chorus::db::schema::users;
        use diesel::prelude::*;
        use diesel_async::RunQueryDsl;
        diesel::update(users::table.find(user_id))
            .set(users::level.eq(level))
            .execute(&mut self.conn().await)
            .await
            .unwrap();
    }

    /// Makes an account `days` older, so its likes and votes count for honor.
    pub async fn age_account(&self, user_id: i64, days: i64) {
        use chorus::db::schema::users;
        use diesel::prelude::*;
        use diesel_async::RunQueryDsl;
        diesel::update(users::table.find(user_id))
            .set(users::created_at.eq(users::created_at - chrono::Duration::days(days)))
            .execute(&mut self.conn().await)
            .await
            .unwrap();
    }

    /// The background loops of `chorus serve` over this app, delivering mail through
    /// `transport` (None: `.eml` files in the data folder).
    pub fn runner(
        &self,
        transport: Option<chorus::mail::transport::Transport>,
    ) -> chorus::workers::Runner {
        chorus::workers::Runner {
            settings: self.state.settings.clone(),
            pool: self.state.pool.clone(),
            db_url: self.db_url.clone(),
            transport: transport.unwrap_or_else(|| {
                chorus::mail::transport::Transport::Files(self.data_dir.path().join("mail"))
            }),
            mailer: self.state.mailer.clone(),
            clock: self.clock.clone(),
            search: self.state.search.clone(),
        }
    }

    /// Applies the search outbox now, as the runner does every second.
    pub async fn index_now(&self) -> chorus::search::indexer::Step {
        chorus::search::indexer::apply_pending(
            &self.state.search.index().unwrap(),
            &self.state.pool,
        )
        .await
        .unwrap()
    }

    /// Runs every due job now (notification fan-out and the like).
    pub async fn run_jobs(&self) -> usize {
        let ctx = chorus::jobs::JobContext {
            settings: self.state.settings.clone(),
            pool: self.state.pool.clone(),
            mailer: self.state.mailer.clone(),
            retry_base_secs: 10,
        };
        chorus::jobs::run_due(&chorus::workers::registry(), &ctx, self.clock.now(), 1000)
            .await
            .unwrap()
    }

    /// Creates a topic through the API as the bearer-token user; returns (topic id, opening post id).
    pub async fn topic(&self, token: &str, board: &str, title: &str, body: &str) -> (i64, i64) {
        let r = self
            .client()
            .with_bearer(token)
            .post_json(
                "/api/v1/topics",
                serde_json::json!({"board": board, "kind": "discussion", "title": title, "body": body}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text());
        let v = r.json();
        (v["id"].as_i64().unwrap(), v["post_id"].as_i64().unwrap())
    }

    /// Replies through the API; returns the new post id.
    pub async fn reply(&self, token: &str, topic: i64, parent: Option<i64>, body: &str) -> i64 {
        let r = self
            .client()
            .with_bearer(token)
            .post_json(
                &format!("/api/v1/topics/{topic}/posts"),
                serde_json::json!({"body": body, "parent_id": parent}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text());
        r.json()["id"].as_i64().unwrap()
    }
}

/// Every row of every table in the database at `url`, as JSON text, sorted per table: for
/// comparing two databases row by row, or scanning one for a string.
pub async fn all_rows(url: &str) -> std::collections::BTreeMap<String, Vec<String>> {
    use diesel::sql_types::Text;
    use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
    #[derive(diesel::QueryableByName)]
    struct Name {
        #[diesel(sql_type = Text)]
        table_name: String,
    }
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = Text)]
        row: String,
    }
    let mut conn = AsyncPgConnection::establish(url).await.unwrap();
    let tables: Vec<Name> = diesel::sql_query(
        "SELECT table_name::text AS table_name FROM information_schema.tables \
         WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1",
    )
    .load(&mut conn)
    .await
    .unwrap();
    let mut out = std::collections::BTreeMap::new();
    for t in tables {
        let rows: Vec<Row> = diesel::sql_query(format!(
            "SELECT to_jsonb(x)::text AS row FROM \"{}\" x ORDER BY 1",
            t.table_name
        ))
        .load(&mut conn)
        .await
        .unwrap();
        out.insert(t.table_name, rows.into_iter().map(|r| r.row).collect());
    }
    out
}

/// Pulls `token=<64 hex>` out of a mail body.
pub fn token_in(body: &str) -> String {
    let at = body.find("token=").expect("a token link in the mail") + "token=".len();
    body[at..at + 64].to_string()
}

pub mod tempdir {
    use std::path::{Path, PathBuf};
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A folder removed when dropped.
    pub struct TempDir(PathBuf);
    static N: AtomicUsize = AtomicUsize::new(0);

    impl TempDir {
        pub fn new() -> Self {
            let p = std::env::temp_dir().join(format!(
                "chorus-it-data-{}-{}",
                std::process::id(),
                N.fetch_add(1, Ordering::SeqCst)
            ));
            std::fs::create_dir_all(&p).unwrap();
            TempDir(p)
        }
        pub fn path(&self) -> &Path {
            &self.0
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}
