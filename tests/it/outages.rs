//! The database going away, freezing or running out of connections, against a cluster of the
//! test's own (the shared one must keep serving the other tests): requests answer 503 with
//! Retry-After within the acquire deadline, nothing spins, and everything comes back by itself.

use crate::support::{tempdir, test_settings, TestApp};
use chorus::db::boot::Database;
use std::time::{Duration, Instant};

/// A private embedded cluster with the schema, owned by the returned `Database` (as `serve`
/// owns its own), in `dir/pg`.
fn own_database(dir: &std::path::Path) -> Database {
    let settings = test_settings(dir);
    // The migration harness wants a multi-threaded runtime of its own.
    std::thread::scope(|s| {
        s.spawn(|| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .unwrap()
                .block_on(Database::open(&settings))
                .expect("a private cluster")
        })
        .join()
        .unwrap()
    })
}

fn postmaster_pid(dir: &std::path::Path) -> i32 {
    std::fs::read_to_string(dir.join("pg/postmaster.pid"))
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

/// The postmaster and every backend it started.
fn cluster_pids(dir: &std::path::Path) -> Vec<i32> {
    let pm = postmaster_pid(dir);
    let mut pids = vec![pm];
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        // Fields after the `(comm)`: state, ppid, ...
        let ppid = stat
            .rsplit_once(") ")
            .and_then(|(_, rest)| rest.split(' ').nth(1))
            .and_then(|p| p.parse::<i32>().ok());
        if ppid == Some(pm) {
            pids.push(pid);
        }
    }
    pids
}

fn signal(pids: &[i32], sig: i32) {
    for p in pids {
        // SAFETY: sending a signal to a process id; no memory is touched.
        unsafe { libc::kill(*p, sig) };
    }
}

/// CPU time this thread has used (the app and its background loops run on it).
fn thread_cpu() -> Duration {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").unwrap();
    let rest = stat.rsplit_once(") ").unwrap().1;
    let f: Vec<&str> = rest.split(' ').collect();
    // utime and stime are fields 14 and 15 of the whole line, in clock ticks.
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as u64;
    let ticks: u64 = f[11].parse::<u64>().unwrap() + f[12].parse::<u64>().unwrap();
    Duration::from_millis(ticks * 1000 / hz.max(1))
}

async fn app_on(db: &Database, dir: tempdir::TempDir) -> TestApp {
    TestApp::on_database(db.url.clone(), dir, |s| {
        s.database_timeouts.acquire_ms = 1_000;
        s.database_timeouts.connect_ms = 1_000;
        s.jobs.poll_millis = 100;
    })
    .await
}

async fn searchable_within(app: &TestApp, word: &str, topic: i64, within: Duration) -> bool {
    let started = Instant::now();
    while started.elapsed() < within {
        let r = app.client().get(&format!("/api/v1/search?q={word}")).await;
        if r.status == 200
            && r.json()["hits"]
                .as_array()
                .is_some_and(|h| h.iter().any(|h| h["topic_id"] == topic))
        {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

#[actix_web::test]
async fn a_killed_database_gives_503s_then_everything_recovers_without_a_restart() {
    let pg_home = tempdir::TempDir::new();
    let db = own_database(pg_home.path());
    let app = app_on(&db, tempdir::TempDir::new()).await;
    app.seed_boards().await;
    let (_, t) = app.member("survivor").await;
    let (topic, _) = app.topic(&t, "tips", "Before", "kingfisher before").await;
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    actix_web::rt::spawn(app.runner(None).run(stop_rx.clone()));
    assert!(searchable_within(&app, "kingfisher", topic, Duration::from_secs(5)).await);

    // kill -9 of the postmaster: its backends follow, every pooled connection is dead.
    signal(&[postmaster_pid(pg_home.path())], libc::SIGKILL);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let cpu_before = thread_cpu();
    let outage = Instant::now();
    let mut unavailable = 0;
    while outage.elapsed() < Duration::from_secs(3) {
        let asked = Instant::now();
        let r = app.client().get(&format!("/api/v1/topics/{topic}")).await;
        assert!(
            asked.elapsed() < Duration::from_secs(3),
            "a request waited {:?}",
            asked.elapsed()
        );
        assert_eq!(r.status, 503, "{}", r.text());
        assert_eq!(r.code(), "database_unavailable");
        assert!(r.header("retry-after").is_some());
        unavailable += 1;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let health = Instant::now();
    assert_eq!(app.client().get("/healthz").await.status, 503);
    assert!(health.elapsed() < Duration::from_secs(1));
    let cpu = thread_cpu() - cpu_before;
    println!(
        "outage: {unavailable} requests answered 503; this thread used {cpu:?} of CPU in {:?}",
        outage.elapsed()
    );
    assert!(
        cpu < Duration::from_millis(1_200),
        "the background loops must back off, not spin: {cpu:?} in 3 s"
    );

    // The embedded cluster's owner starts it again (as `serve` does), and Chorus reconnects
    // by itself: pages, writes, and search through a fresh LISTEN.
    let (sup_tx, sup_rx) = tokio::sync::watch::channel(false);
    let supervise = db.supervise(Duration::from_millis(500), sup_rx);
    let recovery = async {
        let started = Instant::now();
        loop {
            let r = app.client().get(&format!("/api/v1/topics/{topic}")).await;
            if r.status == 200 {
                break started.elapsed();
            }
            assert!(started.elapsed() < Duration::from_secs(60), "no recovery");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    };
    let took = tokio::select! {
        t = recovery => t,
        () = supervise => panic!("the supervisor stopped"),
    };
    let _ = sup_tx.send(true);
    println!("recovered {took:?} after the supervisor began");
    let (after, _) = app.topic(&t, "tips", "After", "heron after").await;
    assert!(searchable_within(&app, "heron", after, Duration::from_secs(10)).await);
    let _ = stop_tx.send(true);
    db.close().await;
}

#[actix_web::test]
async fn a_frozen_database_or_a_full_pool_answers_within_the_acquire_deadline() {
    let pg_home = tempdir::TempDir::new();
    let db = own_database(pg_home.path());
    let app = app_on(&db, tempdir::TempDir::new()).await;
    app.seed_boards().await;
    let (_, t) = app.member("frozen").await;
    let (topic, _) = app.topic(&t, "tips", "Cold", "ice").await;

    // Every connection taken: the next request waits at most the acquire deadline.
    let mut held = Vec::new();
    for _ in 0..app.state.settings.database_pool_size {
        held.push(chorus::db::get(&app.state.pool).await.unwrap());
    }
    let asked = Instant::now();
    let r = app.client().get(&format!("/api/v1/topics/{topic}")).await;
    assert_eq!(r.status, 503);
    assert!(
        asked.elapsed() < Duration::from_millis(2_500),
        "{:?}",
        asked.elapsed()
    );
    let asked = Instant::now();
    assert!(matches!(
        chorus::db::get(&app.state.pool).await,
        Err(chorus::db::DbError::Unavailable(_))
    ));
    assert!(asked.elapsed() < Duration::from_millis(2_500));
    drop(held);
    assert_eq!(
        app.client()
            .get(&format!("/api/v1/topics/{topic}"))
            .await
            .status,
        200
    );

    // SIGSTOP on the whole cluster: connections stay open but nothing answers.
    let pids = cluster_pids(pg_home.path());
    signal(&pids, libc::SIGSTOP);
    let result = std::panic::AssertUnwindSafe(async {
        for _ in 0..3 {
            let asked = Instant::now();
            let r = app.client().get(&format!("/api/v1/topics/{topic}")).await;
            assert_eq!(r.status, 503, "{}", r.text());
            assert!(
                asked.elapsed() < Duration::from_millis(2_500),
                "{:?}",
                asked.elapsed()
            );
        }
        let asked = Instant::now();
        assert_eq!(app.client().get("/healthz").await.status, 503);
        assert!(asked.elapsed() < Duration::from_secs(1));
    });
    let outcome = futures_util::FutureExt::catch_unwind(result).await;
    signal(&pids, libc::SIGCONT);
    outcome.unwrap();
    let started = Instant::now();
    while app
        .client()
        .get(&format!("/api/v1/topics/{topic}"))
        .await
        .status
        != 200
    {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "no recovery after the thaw"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    db.close().await;
}
