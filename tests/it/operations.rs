use crate::support::{cluster, tempdir::TempDir, TestApp};
use chorus::db::pg::Cluster;
use serde_json::json;

/// Row counts of every table, by name.
async fn row_counts(url: &str) -> Vec<(String, i64)> {
    use diesel::sql_types::{BigInt, Text};
    use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
    #[derive(diesel::QueryableByName)]
    struct Name {
        #[diesel(sql_type = Text)]
        table_name: String,
    }
    #[derive(diesel::QueryableByName)]
    struct N {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let mut conn = AsyncPgConnection::establish(url).await.unwrap();
    let tables: Vec<Name> = diesel::sql_query(
        "SELECT table_name::text AS table_name FROM information_schema.tables \
         WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1",
    )
    .load(&mut conn)
    .await
    .unwrap();
    let mut out = Vec::new();
    for t in tables {
        let n: N = diesel::sql_query(format!("SELECT count(*) AS n FROM \"{}\"", t.table_name))
            .get_result(&mut conn)
            .await
            .unwrap();
        out.push((t.table_name, n.n));
    }
    out
}

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
    let pool2 = chorus::db::pool(&url2, 2).unwrap();
    let indexed =
        chorus::search::generations::build_generation(&data2.path().join("search-index"), &pool2)
            .await
            .unwrap();
    assert!(indexed >= 4, "{indexed}");

    // Same rows in every table.
    assert_eq!(row_counts(&app.db_url).await, row_counts(&url2).await);

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
