//! The `chorus` binary: one program, several roles.

use anyhow::Context;
use chorus::accounts::{self, Role};
use chorus::clock::Clock;
use chorus::config::Settings;
use chorus::db::{self, boot::Database};
use chorus::mail::transport::Transport;
use chorus::theme::Theme;
use chorus::web::{self, AppState};
use chorus::workers::Runner;
use clap::{Parser, Subcommand};
use std::sync::Arc;

#[derive(Parser)]
#[command(
    name = "chorus",
    version,
    about = "Community forum and product-feedback platform"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the web server and background workers (embedded PostgreSQL unless a URL is configured).
    Serve {
        /// Seed sample accounts when the database is empty.
        #[arg(long)]
        demo: bool,
    },
    /// Apply pending migrations and exit.
    Migrate,
    /// Rebuild the search index from PostgreSQL.
    Reindex,
    /// Write one archive with a consistent dump of the database and the uploaded files.
    Backup {
        /// Where to write the archive (a tar file).
        file: std::path::PathBuf,
    },
    /// Restore an archive into an empty database and data folder, then rebuild the search index.
    Restore { file: std::path::PathBuf },
    /// Seed realistic sample content (zh + en), deterministic for a seed.
    Demo {
        #[arg(long, default_value_t = 1000)]
        topics: usize,
        #[arg(long, default_value_t = 2026)]
        seed: u64,
    },
    /// Print performance figures (use a scratch CHORUS_DATA_DIR: benchmarks add data).
    Bench {
        #[command(subcommand)]
        which: BenchCommand,
    },
    /// Administrative tasks.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
}

#[derive(Subcommand)]
enum BenchCommand {
    /// A status change on an idea with many voters: the request, then the notification fan-out.
    LoopClosure {
        #[arg(long, default_value_t = 100_000)]
        voters: i64,
    },
    /// Triage on the current database: priorities for every open item, queue pages, the queue
    /// with search, filter and sort, and a saved view.
    Triage {
        #[arg(long, default_value_t = 50_000)]
        items: i64,
        /// Where to build the search index the queue's search reads (deleted first).
        #[arg(long, default_value = "/tmp/chorus-bench-triage-index")]
        index: std::path::PathBuf,
    },
    /// Text analysis speed on the current database's posts (our analyzers against bare jieba).
    Analyzer {
        #[arg(long, default_value_t = 50_000)]
        posts: i64,
    },
    /// Search on the current database (seed it with `chorus demo`): tantivy against Postgres FTS.
    Search {
        /// Where to build the benchmark's index (deleted first).
        #[arg(long, default_value = "/tmp/chorus-bench-index")]
        index: std::path::PathBuf,
    },
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Create a verified account.
    CreateUser {
        #[arg(long)]
        username: String,
        #[arg(long)]
        email: String,
        #[arg(long)]
        password: String,
        #[arg(long, default_value = "member")]
        role: String,
    },
    /// Change an account's role.
    SetRole {
        #[arg(long)]
        username: String,
        #[arg(long)]
        role: String,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let settings = Arc::new(Settings::load().context("loading configuration")?);
    init_logs(settings.log_format);
    match cli.command {
        Command::Serve { demo } => serve(settings, demo).await,
        Command::Migrate => {
            let db = Database::open(&settings).await?;
            println!("migrations are up to date");
            db.close().await;
            Ok(())
        }
        Command::Admin { command } => admin(settings, command).await,
        Command::Backup { file } => {
            let db = Database::open(&settings).await?;
            let url = db.url.clone();
            let uploads = settings.uploads_dir();
            let started = std::time::Instant::now();
            let out = file.clone();
            let result =
                tokio::task::spawn_blocking(move || chorus::backup::backup(&url, &uploads, &out))
                    .await
                    .map_err(anyhow::Error::from)
                    .and_then(|r| r.map_err(anyhow::Error::from));
            db.close().await;
            let m = result?;
            println!(
                "wrote {}: database dump {} bytes, {} uploaded files, in {:.1} s",
                file.display(),
                m.database_bytes,
                m.upload_files,
                started.elapsed().as_secs_f64()
            );
            Ok(())
        }
        Command::Restore { file } => {
            let db = Database::connect(&settings).await?;
            let result = async {
                let started = std::time::Instant::now();
                let m = chorus::backup::restore(&db.url, &settings.uploads_dir(), &file).await?;
                let pool = db::pool(&db.url, 2, &settings.database_timeouts.for_commands())?;
                let n = chorus::search::generations::build_generation(
                    &settings.search_index_dir,
                    &pool,
                )
                .await?;
                println!(
                    "restored {} (made {}): {} uploaded files, {n} posts indexed, in {:.1} s",
                    file.display(),
                    m.created_at,
                    m.upload_files,
                    started.elapsed().as_secs_f64()
                );
                Ok::<_, anyhow::Error>(())
            }
            .await;
            db.close().await;
            result
        }
        Command::Reindex => {
            with_pool(&settings, 2, async |pool| {
                let started = std::time::Instant::now();
                // A new generation beside the live one: a running server swaps it in.
                let n =
                    chorus::search::generations::build_generation(&settings.search_index_dir, pool)
                        .await?;
                println!(
                    "indexed {n} posts in {:.1} s",
                    started.elapsed().as_secs_f64()
                );
                Ok(())
            })
            .await
        }
        Command::Bench {
            which: BenchCommand::LoopClosure { voters },
        } => {
            with_pool(&settings, 4, async |pool| {
                chorus::bench::loop_closure(pool, &settings, voters, Clock::default().now()).await
            })
            .await
        }
        Command::Bench {
            which: BenchCommand::Triage { items, index },
        } => {
            with_pool(&settings, 2, async |pool| {
                chorus::bench::triage(pool, items, &index, Clock::default().now()).await
            })
            .await
        }
        Command::Bench {
            which: BenchCommand::Analyzer { posts },
        } => {
            with_pool(&settings, 2, async |pool| {
                chorus::bench::analyzer(pool, posts).await
            })
            .await
        }
        Command::Bench {
            which: BenchCommand::Search { index },
        } => {
            with_pool(&settings, 4, async |pool| {
                chorus::bench::search(pool, &index).await
            })
            .await
        }
        Command::Demo { topics, seed } => {
            with_pool(&settings, 2, async |pool| {
                let mut conn = db::get(pool).await?;
                let started = std::time::Instant::now();
                let out =
                    chorus::demo::seed(&mut conn, &settings, topics, seed, Clock::default().now())
                        .await?;
                println!(
                    "seeded {} topics, {} posts, {} likes, {} users in {:.1} s",
                    out.topics,
                    out.posts,
                    out.likes,
                    out.users,
                    started.elapsed().as_secs_f64()
                );
                Ok(())
            })
            .await
        }
    }
}

/// Logs to stdout: plain text (colours only when a person is watching a terminal, never in a
/// file or pipe), or one JSON object per line. `CHORUS_LOG` filters, as `RUST_LOG` would.
fn init_logs(format: chorus::config::LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("CHORUS_LOG")
        .unwrap_or_else(|_| "info,actix_server=warn,tokio_postgres=warn".into());
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    match format {
        chorus::config::LogFormat::Json => builder.json().init(),
        chorus::config::LogFormat::Text => builder
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
            .init(),
    }
}

/// Opens the database (the embedded cluster or the configured server, migrated), runs `f` with a
/// pool of `size` connections, and closes it again whatever `f` returned.
async fn with_pool<T>(
    settings: &Settings,
    size: usize,
    f: impl AsyncFnOnce(&db::Pool) -> anyhow::Result<T>,
) -> anyhow::Result<T> {
    let db = Database::open(settings).await?;
    let result = async {
        let pool = db::pool(&db.url, size, &settings.database_timeouts.for_commands())?;
        f(&pool).await
    }
    .await;
    db.close().await;
    result
}

async fn admin(settings: Arc<Settings>, command: AdminCommand) -> anyhow::Result<()> {
    with_pool(&settings, 2, async |pool| {
        let mut conn = db::get(pool).await?;
        let now = Clock::default().now();
        match command {
            AdminCommand::CreateUser {
                username,
                email,
                password,
                role,
            } => {
                let role =
                    Role::parse(&role).map_err(|e| anyhow::anyhow!("--role {}", e.message))?;
                let user = accounts::create_verified(
                    &mut conn, &settings, &username, &email, &password, role, now,
                )
                .await
                .map_err(describe)?;
                println!(
                    "created {} ({}) as {}",
                    user.username, user.email, user.role
                );
            }
            AdminCommand::SetRole { username, role } => {
                let role =
                    Role::parse(&role).map_err(|e| anyhow::anyhow!("--role {}", e.message))?;
                let user = accounts::set_role(&mut conn, &username, role, now)
                    .await
                    .map_err(describe)?;
                println!("{} is now {}", user.username, user.role);
            }
        }
        Ok(())
    })
    .await
}

fn describe(e: accounts::AccountError) -> anyhow::Error {
    match e {
        accounts::AccountError::Invalid(fields) | accounts::AccountError::Taken(fields) => {
            anyhow::anyhow!(
                "{}",
                fields
                    .iter()
                    .map(|f| format!("{} {}", f.field, f.message))
                    .collect::<Vec<_>>()
                    .join("; ")
            )
        }
        other => anyhow::anyhow!(other),
    }
}

async fn serve(settings: Arc<Settings>, demo: bool) -> anyhow::Result<()> {
    let theme = Arc::new(Theme::load(&settings.themes_dir, &settings.theme)?);
    let transport = Transport::from_settings(&settings.mail, settings.mail_dir())
        .map_err(anyhow::Error::msg)?;
    let db = Database::open(&settings).await?;
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let result = {
        let supervisor = db.supervise(std::time::Duration::from_secs(5), stop_rx);
        let server = run_server(settings.clone(), theme, transport, &db.url, demo);
        tokio::pin!(server);
        tokio::select! {
            r = &mut server => r,
            () = supervisor => server.await,
        }
    };
    let _ = stop_tx.send(true);
    db.close().await;
    result
}

async fn run_server(
    settings: Arc<Settings>,
    theme: Arc<Theme>,
    transport: Transport,
    db_url: &str,
    demo: bool,
) -> anyhow::Result<()> {
    let pool = db::pool(
        db_url,
        settings.database_pool_size,
        &settings.database_timeouts,
    )?;
    let clock = Clock::default();
    if demo {
        seed_demo(&pool, &settings, &clock).await?;
    }
    // Look-alike names are refused by skeleton; rows from before the column (or bulk seeding) get one.
    let filled = accounts::users::fill_skeletons(&mut *db::get(&pool).await?).await?;
    if filled > 0 {
        tracing::info!(filled, "username skeletons filled");
    }
    let search = Arc::new(chorus::search::Search::open(&settings.search_index_dir)?);
    let mut state = AppState::new(
        settings.clone(),
        pool.clone(),
        clock.clone(),
        theme,
        search.clone(),
    );
    let replica_url = settings.replica_database_url.0.trim();
    if !replica_url.is_empty() {
        state = state.with_replica(db::pool(
            replica_url,
            settings.database_pool_size,
            &settings.database_timeouts,
        )?);
        tracing::info!("anonymous reads go to the replica");
    }
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let runner = Runner {
        settings: settings.clone(),
        pool: pool.clone(),
        db_url: db_url.to_string(),
        transport,
        mailer: state.mailer.clone(),
        clock,
        search,
    };
    let worker = tokio::spawn(runner.run(stop_rx));
    let server = actix_web::HttpServer::new(move || web::app(state.clone()))
        .bind(&settings.bind)
        .with_context(|| format!("binding {}", settings.bind))?
        .shutdown_timeout(settings.shutdown_grace_secs)
        .run();
    println!(
        "Chorus is running at http://{}/  (Ctrl-C to stop)",
        settings.bind
    );
    let served = server.await;
    let _ = stop_tx.send(true);
    let _ = worker.await;
    pool.close();
    served.context("HTTP server")
}

/// Sample accounts and content so a first visitor sees a living forum; only into an empty database.
async fn seed_demo(pool: &db::Pool, settings: &Settings, clock: &Clock) -> anyhow::Result<()> {
    use chorus::db::schema::topics;
    use diesel::prelude::*;
    use diesel_async::RunQueryDsl;
    let mut conn = db::get(pool).await?;
    let now = clock.now();
    // Each one that is missing (a data folder from an older version may lack some).
    for (name, role) in DEMO_ACCOUNTS {
        if accounts::users::by_username(&mut conn, name)
            .await?
            .is_none()
        {
            accounts::create_verified(
                &mut conn,
                settings,
                name,
                &format!("{name}@example.com"),
                chorus::demo::DEMO_PASSWORD,
                role,
                now,
            )
            .await
            .map_err(describe)?;
        }
    }
    let existing: i64 = topics::table.count().get_result(&mut conn).await?;
    if existing == 0 {
        let out = chorus::demo::seed(&mut conn, settings, 300, 2026, now).await?;
        println!("demo content: {} topics, {} posts", out.topics, out.posts);
        chorus::triage::teams::set_member(&mut conn, chorus::demo::DEMO_TEAM, "demo_pm", true, now)
            .await
            .map_err(|e| anyhow::anyhow!("demo team member: {e}"))?;
    }
    // The team's work on the feedback, and the closed beta (created by the demo admin); a data
    // folder from an older version gets them too.
    let pm = accounts::users::by_username(&mut conn, "demo_pm").await?;
    let fan = accounts::users::by_username(&mut conn, "mifan").await?;
    if let (Some(pm), Some(fan)) = (pm, fan) {
        chorus::demo::ensure_history(&mut conn, settings, pm.id, &fan, now).await?;
    }
    if let Some(admin) = accounts::users::by_username(&mut conn, "demo_admin").await? {
        chorus::demo::ensure_programme(&mut conn, admin.id, now).await?;
    }
    // Only accounts that exist, each with its role.
    let mut listed = Vec::new();
    for (name, role) in DEMO_ACCOUNTS {
        if accounts::users::by_username(&mut conn, name)
            .await?
            .is_some()
        {
            listed.push(format!("{name} ({role})"));
        }
    }
    println!(
        "demo accounts: {} (password: {})",
        listed.join(", "),
        chorus::demo::DEMO_PASSWORD
    );
    Ok(())
}

/// Who `serve --demo` signs up, so each role can be tried.
const DEMO_ACCOUNTS: [(&str, Role); 4] = [
    ("demo_admin", Role::Admin),
    ("demo_mod", Role::Moderator),
    ("demo_pm", Role::TeamMember),
    ("mifan", Role::Member),
];
