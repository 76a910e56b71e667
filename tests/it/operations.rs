use crate::support::{all_rows, cluster, tempdir::TempDir, TestApp};
use chorus::db::pg::Cluster;
use serde_json::json;

/// A page with its per-visitor secrets (CSRF tokens) blanked, for comparing two servers.
fn normalised(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut run = String::new();
    for c in html.chars() {
        if c.is_ascii_hexdigit() {
            run.push(c);
            continue;
        }
        out.push_str(if run.len() == 64 { "<token>" } else { &run });
        run.clear();
        out.push(c);
    }
    out.push_str(&run);
    out
}

#[actix_web::test]
async fn restore_drill_brings_back_the_same_community_on_a_fresh_cluster() {
    let app = TestApp::new().await;
    app.seed_boards().await;
    app.seed_products().await;
    let (_, a) = app.member("drill_alice").await;
    let (_, b) = app.member("drill_bob").await;
    let (tip, root) = app
        .topic(&a, "tips", "省电技巧 battery tip", "关闭息屏显示可以省电")
        .await;
    app.reply(&b, tip, Some(root), "Thanks, works on my phone")
        .await;
    let idea = app.idea(&b, "Dark mode schedule").await;
    app.client()
        .with_bearer(&a)
        .json(
            actix_web::http::Method::PUT,
            &format!("/api/v1/topics/{idea}/vote"),
            json!({}),
        )
        .await;
    let bug = app.bug(&a, "Wi-Fi drops after sleep").await;
    let (ct, body) = crate::feedback::multipart("wifi.log", b"wlan0: link down\n", true);
    let r = app
        .client()
        .with_bearer(&a)
        .post_raw(&format!("/api/v1/topics/{bug}/attachments"), &ct, body)
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let attachment = r.json()["id"].as_i64().unwrap();
    app.run_jobs().await;
    app.index_now().await;

    // Back up.
    let work = TempDir::new();
    let archive = work.path().join("chorus.tar");
    let m =
        chorus::backup::backup(&app.db_url, &app.state.settings.uploads_dir(), &archive).unwrap();
    assert_eq!(m.upload_files, 1);
    assert!(archive.is_file());

    // A fresh cluster, an empty database, an empty data folder.
    let cluster2 = Cluster::new(&work.path().join("pg2")).unwrap();
    cluster2.init_if_needed().unwrap();
    cluster2.start().unwrap();
    chorus::db::ensure_database(&cluster2.url("postgres"), "chorus")
        .await
        .unwrap();
    let url2 = cluster2.url("chorus");
    let data2 = TempDir::new();
    let uploads2 = data2.path().join("uploads");
    chorus::backup::restore(&url2, &uploads2, &archive)
        .await
        .unwrap();
    // Restoring twice is refused: it would mix two histories.
    let again = chorus::backup::restore(&url2, &uploads2, &archive).await;
    assert!(
        matches!(again, Err(chorus::backup::BackupError::Refused(_))),
        "{again:?}"
    );
    let pool2 = chorus::db::pool(&url2, 2, &Default::default()).unwrap();
    let indexed =
        chorus::search::generations::build_generation(&data2.path().join("search-index"), &pool2)
            .await
            .unwrap();
    assert!(indexed >= 4, "{indexed}");

    // Every row of every table is back, identical.
    let (before, after) = (all_rows(&app.db_url).await, all_rows(&url2).await);
    assert!(before.values().map(Vec::len).sum::<usize>() > 50);
    assert_eq!(before, after);

    // Same pages, search results and files, served by a node on the restored data.
    let restored = TestApp::on_database(url2.clone(), data2, |_| {}).await;
    for path in [
        "/".to_string(),
        format!("/t/{tip}"),
        format!("/t/{idea}"),
        format!("/t/{bug}"),
        "/b/tips".to_string(),
        "/u/drill_alice".to_string(),
    ] {
        let before = app.client().get(&path).await;
        let after = restored.client().get(&path).await;
        assert_eq!(after.status, 200, "{path}");
        assert_eq!(
            normalised(&before.text()),
            normalised(&after.text()),
            "{path}"
        );
    }
    for q in ["省电", "battery", "sleep", "dark mode"] {
        let url = format!("/api/v1/search?q={}", chorus::content::percent_encode(q));
        let before = app.client().get(&url).await.json();
        let after = restored.client().get(&url).await.json();
        assert!(before["total"].as_i64().unwrap() > 0, "{q}");
        assert_eq!(before, after, "{q}");
    }
    // Sessions came back too: the same token works on the restored node.
    let file = restored
        .client()
        .with_bearer(&a)
        .get(&format!("/attachments/{attachment}"))
        .await;
    assert_eq!(file.status, 200);
    assert_eq!(file.text(), "wlan0: link down\n");
    drop(restored);
    drop(pool2);
    cluster2.stop().unwrap();
    let _ = cluster();
}

/// One HTTP/1.0 exchange with a local node; returns (status, body).
fn http(port: u16, method: &str, path: &str, token: Option<&str>, body: &str) -> (u16, String) {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    write!(
        s,
        "{method} {path} HTTP/1.0\r\nHost: localhost\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let status = out
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = out.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
    (status, body.to_string())
}

fn node(db_url: &str, data: &std::path::Path, port: u16) -> std::process::Child {
    std::process::Command::new(env!("CARGO_BIN_EXE_chorus"))
        .arg("serve")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("CHORUS_DATABASE_URL", db_url)
        .env("CHORUS_DATA_DIR", data)
        .env("CHORUS_BIND", format!("127.0.0.1:{port}"))
        .env("CHORUS_SEARCH_INDEX_DIR", data.join("search-index"))
        .env("CHORUS_CONFIG", data.join("none.toml"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap()
}

#[actix_web::test]
async fn two_nodes_on_one_database_serve_each_others_posts_within_two_seconds() {
    use crate::embedded::{free_port, sigterm_and_wait, wait_healthy};
    use std::time::{Duration, Instant};
    let db_url = crate::support::fresh_database().await;
    let (dir_a, dir_b) = (TempDir::new(), TempDir::new());
    for d in [&dir_a, &dir_b] {
        std::fs::write(d.path().join("none.toml"), "").unwrap();
    }
    let made = std::process::Command::new(env!("CARGO_BIN_EXE_chorus"))
        .args(["admin", "create-user", "--username", "nodefan", "--email"])
        .args(["nodefan@example.com", "--password", "long-enough-secret"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("CHORUS_DATABASE_URL", &db_url)
        .env("CHORUS_DATA_DIR", dir_a.path())
        .env("CHORUS_CONFIG", dir_a.path().join("none.toml"))
        .output()
        .unwrap();
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    {
        use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
        let mut conn = AsyncPgConnection::establish(&db_url).await.unwrap();
        diesel::sql_query(
            "INSERT INTO boards (slug, name_zh, name_en, description_zh, description_en, kinds, position, created_at) \
             VALUES ('tips', '技巧', 'Tips', '', '', ARRAY['discussion'], 1, now())",
        )
        .execute(&mut conn)
        .await
        .unwrap();
    }
    let (port_a, port_b) = (free_port(), free_port());
    let mut a = node(&db_url, dir_a.path(), port_a);
    let mut b = node(&db_url, dir_b.path(), port_b);
    wait_healthy(port_a, &mut a);
    wait_healthy(port_b, &mut b);

    // Sessions live in Postgres: signed in through A, the token works on B.
    let (status, body) = http(
        port_a,
        "POST",
        "/api/v1/auth/login",
        None,
        r#"{"login":"nodefan","password":"long-enough-secret"}"#,
    );
    assert_eq!(status, 200, "{body}");
    let token: serde_json::Value = serde_json::from_str(&body).unwrap();
    let token = token["token"].as_str().unwrap().to_string();
    assert_eq!(http(port_b, "GET", "/api/v1/me", Some(&token), "").0, 200);

    let written = Instant::now();
    let (status, body) = http(
        port_a,
        "POST",
        "/api/v1/topics",
        Some(&token),
        r#"{"board":"tips","kind":"discussion","title":"Kumquat battery trick","body":"Written through node A"}"#,
    );
    assert_eq!(status, 201, "{body}");
    let id = serde_json::from_str::<serde_json::Value>(&body).unwrap()["id"]
        .as_i64()
        .unwrap();
    let (mut readable, mut searchable) = (None, None);
    while written.elapsed() < Duration::from_secs(2) && searchable.is_none() {
        if readable.is_none()
            && http(port_b, "GET", &format!("/t/{id}"), None, "")
                .1
                .contains("Kumquat battery trick")
        {
            readable = Some(written.elapsed());
        }
        let (_, found) = http(port_b, "GET", "/api/v1/search?q=kumquat", None, "");
        if found.contains(&format!("\"topic_id\":{id}")) {
            searchable = Some(written.elapsed());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    println!("node B: readable after {readable:?}, searchable after {searchable:?}");
    assert!(readable.is_some(), "readable through B within 2 s");
    assert!(searchable.is_some(), "searchable through B within 2 s");
    // And the other way round: a reply through B shows on A.
    let (status, _) = http(
        port_b,
        "POST",
        &format!("/api/v1/topics/{id}/posts"),
        Some(&token),
        r#"{"body":"Replied through node B"}"#,
    );
    assert_eq!(status, 201);
    assert!(http(port_a, "GET", &format!("/t/{id}"), None, "")
        .1
        .contains("Replied through node B"));
    assert!(sigterm_and_wait(&mut a).success());
    assert!(sigterm_and_wait(&mut b).success());
}

#[actix_web::test]
async fn anonymous_reads_go_to_a_replica_and_writers_read_their_own_writes() {
    use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
    let work = TempDir::new();
    let primary = Cluster::new(&work.path().join("primary")).unwrap();
    primary.init_if_needed().unwrap();
    primary.start().unwrap();
    chorus::db::ensure_database(&primary.url("postgres"), "chorus")
        .await
        .unwrap();
    chorus::db::migrate(&primary.url("chorus")).await.unwrap();
    let replica = Cluster::new(&work.path().join("replica")).unwrap();
    replica.init_replica_of(&primary).unwrap();
    replica.start().unwrap();

    let mut app = TestApp::on_database(primary.url("chorus"), TempDir::new(), |_| {}).await;
    app.seed_boards().await;
    app.use_replica(&replica.url("chorus")).await;
    let (_, writer) = app.member("replica_writer").await;
    // The replica follows: the boards reach it.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while app.client().get("/b/tips").await.status != 200 {
        assert!(
            std::time::Instant::now() < deadline,
            "the replica never caught up"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    // Hold the replica still, then write.
    let mut on_replica = AsyncPgConnection::establish(&replica.url("chorus"))
        .await
        .unwrap();
    diesel::sql_query("SELECT pg_wal_replay_pause()")
        .execute(&mut on_replica)
        .await
        .unwrap();
    let (topic, _) = app
        .topic(&writer, "tips", "Fresh from the primary", "Just written")
        .await;
    // The writer reads the primary and sees it at once; an anonymous visitor reads the replica,
    // which has not replayed it yet.
    let r = app
        .client()
        .with_bearer(&writer)
        .get(&format!("/t/{topic}"))
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(app.client().get(&format!("/t/{topic}")).await.status, 404);
    assert_eq!(
        app.client()
            .get(&format!("/api/v1/topics/{topic}"))
            .await
            .status,
        404
    );
    let listed = |v: serde_json::Value| {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["id"] == topic)
    };
    assert!(!listed(
        app.client().get("/api/v1/boards/tips/topics").await.json()
    ));
    assert!(listed(
        app.client()
            .with_bearer(&writer)
            .get("/api/v1/boards/tips/topics")
            .await
            .json()
    ));
    // Profiles too: the writer's new topic is not on their public profile yet for a visitor.
    let profile = app.client().get("/u/replica_writer").await;
    assert_eq!(profile.status, 200);
    assert!(!profile.text().contains("Fresh from the primary"));
    assert!(app
        .client()
        .with_bearer(&writer)
        .get("/u/replica_writer")
        .await
        .text()
        .contains("Fresh from the primary"));
    diesel::sql_query("SELECT pg_wal_replay_resume()")
        .execute(&mut on_replica)
        .await
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while app.client().get(&format!("/t/{topic}")).await.status != 200 {
        assert!(
            std::time::Instant::now() < deadline,
            "the replica never replayed the topic"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    drop(on_replica);
    drop(app);
    replica.stop().unwrap();
    primary.stop().unwrap();
}
