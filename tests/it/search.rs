use crate::support::TestApp;
use actix_web::http::Method;
use serde_json::json;

async fn hits(app: &TestApp, q: &str) -> Vec<i64> {
    let url = format!("/api/v1/search?q={}", chorus::content::percent_encode(q));
    let r = app.client().get(&url).await;
    assert_eq!(r.status, 200, "{q}: {}", r.text());
    r.json()["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["topic_id"].as_i64().unwrap())
        .collect()
}

const WORDS: &[&str] = &[
    "用户", "相机", "电池", "发热", "充电", "屏幕", "信号", "卡顿", "闪退", "掉帧", "投屏", "手环",
    "系统", "更新", "耳机", "蓝牙", "指纹", "续航", "拍照", "夜景", "游戏", "网络", "音量", "键盘",
    "相册", "通知", "声音", "亮度", "重启", "耗电", "解锁", "快充",
];

#[actix_web::test]
async fn every_common_two_character_word_is_found_inside_sentences() {
    let app = TestApp::new().await;
    app.seed_boards().await;
    let (_, t) = app.member("writer").await;
    let mut ids = Vec::new();
    for (i, w) in WORDS.iter().enumerate() {
        // The word sits inside a longer run of Chinese, where segmentation could swallow it.
        let body = format!("昨天晚上我发现小米{w}问题比较严重第{i}次了");
        ids.push(app.topic(&t, "tips", &format!("反馈 {i}"), &body).await.0);
    }
    app.index_now().await;
    assert!(WORDS.len() >= 30);
    for (w, id) in WORDS.iter().zip(&ids) {
        assert!(hits(&app, w).await.contains(id), "{w} not found");
    }
}

#[actix_web::test]
async fn mixed_full_width_and_traditional_queries_find_their_text() {
    let app = TestApp::new().await;
    app.seed_boards().await;
    let (_, t) = app.member("mixer").await;
    let a = app
        .topic(
            &t,
            "phones",
            "小米14 Ultra 相机夜景 bug",
            "夜景模式下相机偶尔闪退",
        )
        .await
        .0;
    let b = app
        .topic(&t, "phones", "相機很好", "繁體中文的帖子，螢幕也很亮")
        .await
        .0;
    let c = app
        .topic(&t, "tips", "ABC123 tips", "Cameras crashing on launch")
        .await
        .0;
    app.index_now().await;
    assert!(
        hits(&app, "小米14 ultra 相机 夜景").await.contains(&a),
        "mixed zh/en"
    );
    assert!(hits(&app, "ULTRA 夜景").await.contains(&a), "case folded");
    assert!(
        hits(&app, "相机").await.contains(&b),
        "simplified finds traditional"
    );
    assert!(
        hits(&app, "相機 夜景").await.contains(&a),
        "traditional finds simplified"
    );
    assert!(hits(&app, "屏幕").await.is_empty() || !hits(&app, "屏幕").await.contains(&a));
    assert!(
        hits(&app, "ＡＢＣ１２３").await.contains(&c),
        "full-width input"
    );
    assert!(
        hits(&app, "camera crash").await.contains(&c),
        "english stemmed"
    );
    assert!(
        hits(&app, "\"相机偶尔闪退\"").await.contains(&a),
        "a quoted phrase"
    );
}

#[actix_web::test]
async fn new_posts_appear_and_hidden_ones_vanish_at_the_next_index_run() {
    let app = TestApp::new().await;
    app.seed_boards().await;
    let (_, t) = app.member("fresh").await;
    let (topic, _) = app.topic(&t, "tips", "Freshness", "nothing special").await;
    app.index_now().await;
    let post = app
        .reply(&t, topic, None, "独一无二的关键词 zebrafish")
        .await;
    app.index_now().await;
    assert_eq!(hits(&app, "zebrafish").await, vec![topic]);
    {
        use chorus::db::schema::posts;
        use diesel::prelude::*;
        use diesel_async::RunQueryDsl;
        let mut conn = app.conn().await;
        diesel::update(posts::table.find(post))
            .set(posts::hidden_at.eq(app.clock.now()))
            .execute(&mut conn)
            .await
            .unwrap();
        // Gone at once, before the indexer has run: hits are checked against the database.
        assert!(hits(&app, "zebrafish").await.is_empty(), "hidden at once");
        chorus::search::outbox::push(&mut conn, topic, Some(post))
            .await
            .unwrap();
    }
    app.index_now().await;
    assert!(
        hits(&app, "zebrafish").await.is_empty(),
        "hidden content leaves the index"
    );
}

#[actix_web::test]
async fn the_runner_makes_a_new_post_searchable_within_a_second() {
    let app = TestApp::with_settings(|s| s.jobs.poll_millis = 100).await;
    app.seed_boards().await;
    let (_, t) = app.member("waiter").await;
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let runner = app.runner(None);
    actix_web::rt::spawn(runner.run(stop_rx));
    let (topic, _) = app.topic(&t, "tips", "Quick", "kingfisher sighting").await;
    let started = std::time::Instant::now();
    let mut found = false;
    while started.elapsed() < std::time::Duration::from_secs(1) {
        if hits(&app, "kingfisher").await.contains(&topic) {
            found = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let _ = stop_tx.send(true);
    assert!(found, "not searchable within 1 s");
}

#[actix_web::test]
async fn a_crash_before_or_after_the_commit_leaves_every_document_exactly_once() {
    use tantivy::collector::Count;
    use tantivy::query::TermQuery;
    use tantivy::schema::IndexRecordOption;
    let app = TestApp::new().await;
    app.seed_boards().await;
    let (_, t) = app.member("crasher").await;
    let (topic, root) = app.topic(&t, "tips", "Crash test", "first version").await;
    let idx = &app.state.search.index().unwrap();
    // Crash before the commit: documents added but never committed.
    {
        let writer = idx.writer.lock().await;
        writer.add_document(tantivy::doc!(idx.fields.post_id => root as u64, idx.fields.topic_id => topic as u64)).unwrap();
    }
    idx.writer.lock().await.rollback().unwrap();
    assert_eq!(idx.position(), chorus::search::index::Position::Fresh);
    app.index_now().await;
    // Crash after the commit: the outbox is applied again from a stale view; nothing doubles.
    assert!(matches!(
        idx.position(),
        chorus::search::index::Position::At(c) if c.xid > 0
    ));
    app.reply(&t, topic, None, "second post").await;
    app.index_now().await;
    app.index_now().await;
    let searcher = idx.reader.searcher();
    let count = |post: i64| {
        let q = TermQuery::new(
            tantivy::Term::from_field_u64(idx.fields.post_id, post as u64),
            IndexRecordOption::Basic,
        );
        searcher.search(&q, &Count).unwrap()
    };
    assert_eq!(count(root), 1);
    let total = searcher
        .search(
            &TermQuery::new(
                tantivy::Term::from_field_u64(idx.fields.topic_id, topic as u64),
                IndexRecordOption::Basic,
            ),
            &Count,
        )
        .unwrap();
    assert_eq!(total, 2, "two posts, two documents");
    // A reindex from PostgreSQL answers like incremental indexing.
    let before = hits(&app, "second").await;
    let n = app.state.search.reindex(&app.state.pool).await.unwrap();
    assert_eq!(n, 2);
    assert_eq!(hits(&app, "second").await, before);
}

#[actix_web::test]
async fn reindex_builds_a_new_generation_beside_the_live_one_and_swaps_it_in() {
    let app = TestApp::new().await;
    app.seed_boards().await;
    let (_, t) = app.member("builder").await;
    let mut topics = Vec::new();
    for (title, body) in [
        ("相机夜景发紫", "小米手机的相机很好，但夜景偏紫"),
        ("Battery drain", "battery drains overnight since the update"),
        ("蓝牙耳机断连", "蓝牙 headset drops every ten minutes"),
    ] {
        topics.push(app.topic(&t, "tips", title, body).await.0);
    }
    app.reply(&t, topics[0], None, "同样的相机问题").await;
    app.index_now().await;
    let queries = ["相机", "battery", "蓝牙", "headset drops", "夜景 紫"];
    let mut incremental = Vec::new();
    for q in queries {
        incremental.push(hits(&app, q).await);
    }
    let root = app.state.settings.search_index_dir.clone();
    let first = app.state.search.generation();
    let old = app.state.search.index().unwrap();

    // As `chorus reindex` does from another process: build beside the live generation.
    let n = chorus::search::generations::build_generation(&root, &app.state.pool)
        .await
        .unwrap();
    assert_eq!(n, 4);
    assert_eq!(
        app.state.search.generation(),
        first,
        "not swapped until noticed"
    );
    assert!(
        old.reader.searcher().num_docs() == 4,
        "the live one still answers"
    );
    assert!(app.state.search.refresh().unwrap(), "CURRENT flipped");
    let second = app.state.search.generation();
    assert_ne!(second, first);
    for (q, expected) in queries.iter().zip(&incremental) {
        assert_eq!(&hits(&app, q).await, expected, "{q}: rebuilt = incremental");
    }
    // Writes after the swap land in the new generation.
    let (late, _) = app
        .topic(&t, "tips", "Late", "kingfisher after the swap")
        .await;
    app.index_now().await;
    assert_eq!(hits(&app, "kingfisher").await, vec![late]);

    // In-process, through the admin API: the oldest generation is cleaned up.
    let admin = app
        .user_with_role("chief", chorus::accounts::Role::Admin)
        .await
        .1;
    let r = app
        .client()
        .with_bearer(&admin)
        .post_json("/api/v1/admin/reindex", json!({}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["indexed"], 5);
    let third = app.state.search.generation();
    assert!(third > second);
    assert!(
        !root.join(&first).exists(),
        "the oldest generation is removed"
    );
    assert!(
        root.join(&second).exists(),
        "the one just replaced may still be open"
    );
    assert_eq!(hits(&app, "kingfisher").await, vec![late]);
}

#[actix_web::test]
async fn a_node_behind_the_pruned_outbox_rebuilds_instead_of_missing_documents() {
    let app = TestApp::new().await;
    app.seed_boards().await;
    let (_, t) = app.member("pruner").await;
    let (a, _) = app.topic(&t, "tips", "Osprey", "osprey nest").await;
    let (b, _) = app.topic(&t, "tips", "Heron", "heron wading").await;
    // Until the live node's position is past both rows (another test's open transaction can
    // hold it back for a moment).
    let newest: i64 = {
        use diesel::prelude::*;
        use diesel_async::RunQueryDsl;
        chorus::db::schema::search_outbox::table
            .select(diesel::dsl::max(chorus::db::schema::search_outbox::xid))
            .first::<Option<i64>>(&mut app.conn().await)
            .await
            .unwrap()
            .unwrap()
    };
    for _ in 0..100 {
        app.index_now().await;
        match app.state.search.index().unwrap().position() {
            chorus::search::index::Position::At(c) if c.xid > newest => break,
            _ => tokio::time::sleep(std::time::Duration::from_millis(50)).await,
        }
    }
    // A week later every applied row but the newest is pruned.
    let mut conn = app.conn().await;
    // Only rows every transaction can see go; another test's open transaction may hold that
    // mark back for a moment.
    let mut pruned = 0;
    for _ in 0..50 {
        pruned = chorus::search::indexer::prune_outbox(
            &mut conn,
            chrono::Utc::now() + chrono::Duration::days(1),
        )
        .await
        .unwrap();
        if pruned > 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(pruned > 0);
    // A new node starts with an empty index: replaying what is left would miss the osprey.
    let other = app.data_dir.path().join("node-b-index");
    let node_b = chorus::search::Search::open(&other).unwrap();
    chorus::search::indexer::apply_pending(&node_b.index().unwrap(), &app.state.pool)
        .await
        .unwrap();
    let idx = node_b.index().unwrap();
    let found = chorus::search::query::search(
        &idx,
        &chorus::search::query::SearchParams {
            q: "osprey OR heron".into(),
            page: 1,
            ..Default::default()
        },
    )
    .unwrap();
    let mut ids: Vec<i64> = found.hits.iter().map(|h| h.topic_id).collect();
    ids.sort();
    assert_eq!(ids, vec![a, b]);
    // The live node, already current, is not rebuilt by the prune.
    assert!(!app.index_now().await.rebuilt);
}

#[actix_web::test]
async fn hostile_query_strings_never_fail() {
    let app = TestApp::new().await;
    app.seed_boards().await;
    let (_, t) = app.member("target").await;
    app.topic(&t, "tips", "Something to find", "相机 camera")
        .await;
    app.index_now().await;
    let long = "相机".repeat(1000);
    let mut queries: Vec<String> = vec![
        "\"unbalanced".into(),
        "AND OR NOT".into(),
        "title:相机".into(),
        "body_words:x".into(),
        "((((".into(),
        "))))".into(),
        "*".into(),
        "?".into(),
        "~".into(),
        "^2".into(),
        "+-+-".into(),
        "a:b:c".into(),
        "[1 TO".into(),
        "{}".into(),
        "\u{0000}\u{0007}\u{001b}[31m".into(),
        long,
        "\\".into(),
        "''''".into(),
        "NOT".into(),
        "-相机".into(),
        "post_id:1".into(),
        "created:[0 TO 1]".into(),
        "相机 AND".into(),
        "OR 相机".into(),
        "😀😀😀".into(),
    ];
    let mut seed: u64 = 7;
    for _ in 0..180 {
        let mut q = String::new();
        for _ in 0..(seed % 12) {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let pool = [
                '"', '(', ')', ':', '*', 'A', 'N', 'D', ' ', '相', '机', '-', '+', '^', '~', '[',
                ']', '\\', 'x', '\u{3000}',
            ];
            q.push(pool[(seed >> 33) as usize % pool.len()]);
        }
        seed = seed.wrapping_add(1);
        queries.push(q);
    }
    assert!(queries.len() >= 200);
    for q in queries {
        let url = format!("/api/v1/search?q={}", chorus::content::percent_encode(&q));
        let r = app.client().get(&url).await;
        // NUL is refused at the edge (400); everything else is answered.
        let expected = if q.contains('\0') { 400 } else { 200 };
        assert_eq!(r.status, expected, "{q:?}: {}", r.text());
    }
    for bad in [
        "/api/v1/search?q=x&page=abc",
        "/api/v1/search?q=x&sort=sideways",
        "/api/v1/search?q=x&evil=1",
    ] {
        assert!(
            app.client().get(bad).await.status.is_client_error(),
            "{bad}"
        );
    }
    let filtered = app
        .client()
        .get("/api/v1/search?q=camera&board=ideas")
        .await
        .json();
    assert_eq!(filtered["total"], 0, "filters apply");
    let r = app
        .client()
        .send(
            actix_web::test::TestRequest::default()
                .method(Method::GET)
                .uri("/api/v1/search?q=camera"),
        )
        .await
        .json();
    assert!(
        r["hits"][0]["snippet_html"]
            .as_str()
            .unwrap()
            .contains("<b>"),
        "highlighted: {r}"
    );
    let _ = json!({});
}

#[actix_web::test]
async fn similar_topics_show_while_composing_and_facets_count_matches() {
    let app = TestApp::new().await;
    app.seed_boards().await;
    app.seed_products().await;
    let (_, t) = app.member("composer").await;
    let bug = app.bug(&t, "蓝牙耳机频繁断连").await;
    let other = app.topic(&t, "tips", "相机夜景技巧", "三脚架").await.0;
    app.index_now().await;
    let r = app
        .client()
        .get(&format!(
            "/api/v1/search/similar?title={}&board=phones",
            chorus::content::percent_encode("耳机老是断连怎么办")
        ))
        .await;
    assert_eq!(r.status, 200);
    let items = r.json()["items"].as_array().unwrap().clone();
    assert_eq!(items[0]["topic_id"], bug, "{items:?}");
    assert!(!items.iter().any(|i| i["topic_id"] == other));
    let odd = app
        .client()
        .get("/api/v1/search/similar?title=%22%28%3A%2A")
        .await;
    assert_eq!(odd.status, 200);
    assert!(odd.json()["items"].as_array().unwrap().is_empty());
    let facets = app
        .client()
        .get(&format!(
            "/api/v1/search?q={}",
            chorus::content::percent_encode("断连")
        ))
        .await
        .json();
    assert_eq!(facets["facets"]["kind"]["bug"], 1, "{facets}");
    assert_eq!(facets["facets"]["board"]["phones"], 1);
    let page = app.client().get("/search?q=crashes").await;
    assert_eq!(page.status, 200);
    let html = page.text();
    assert!(html.contains("<b>crashes</b>"), "highlighted snippet");
    assert!(html.contains(&format!("/t/{bug}#p")));
    // Facets name boards as people know them, not by slug.
    let facets_html = html.split("class=\"facets\"").nth(1).unwrap_or("");
    let facets_html = facets_html.split("</div>").next().unwrap_or("");
    assert!(facets_html.contains("手机: 1"), "{facets_html}");
    assert!(!facets_html.contains("phones"), "{facets_html}");
    let new_form = app
        .logged_in("composer2", chorus::accounts::Role::Member)
        .await
        .get("/new")
        .await
        .text();
    assert!(
        new_form.contains("id=\"similar\""),
        "the suggestion box is on the form"
    );
}

#[actix_web::test]
async fn admins_rebuild_the_index_while_it_serves() {
    let app = TestApp::new().await;
    app.seed_boards().await;
    let (_, t) = app.member("indexed").await;
    let (_, admin) = app
        .user_with_role("idx_admin", chorus::accounts::Role::Admin)
        .await;
    let topic = app.topic(&t, "tips", "Pelican", "pelican facts").await.0;
    // Written behind the outbox's back: only a rebuild from PostgreSQL can know about it.
    {
        use chorus::db::schema::posts;
        use diesel::prelude::*;
        use diesel_async::RunQueryDsl;
        diesel::update(posts::table.filter(posts::topic_id.eq(topic)))
            .set(posts::body_md.eq("heron facts"))
            .execute(&mut app.conn().await)
            .await
            .unwrap();
    }
    assert_eq!(
        app.client()
            .with_bearer(&t)
            .post_json("/api/v1/admin/reindex", json!({}))
            .await
            .status,
        403
    );
    let r = app
        .client()
        .with_bearer(&admin)
        .post_json("/api/v1/admin/reindex", json!({}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["indexed"], 1);
    assert_eq!(hits(&app, "heron").await, vec![topic]);
    assert!(
        hits(&app, "pelican facts").await.contains(&topic),
        "the title still matches"
    );
}

/// Eight writers commit out of order while the indexer runs and an online reindex swaps the
/// generation; every acknowledged post is in the index afterwards, five rounds in a row.
#[actix_web::test]
async fn concurrent_writers_and_an_online_reindex_leave_no_post_unindexed() {
    use tantivy::collector::Count;
    use tantivy::query::TermQuery;
    use tantivy::schema::IndexRecordOption;
    let app = TestApp::with_settings(|s| s.database_pool_size = 16).await;
    app.seed_boards().await;
    let mut writers = Vec::new();
    for w in 0..8 {
        writers.push(app.member(&format!("writer_{w}")).await.1);
    }
    let (topic, _) = app
        .topic(&writers[0], "tips", "Busy thread", "many replies")
        .await;
    let mut interleaved_total = 0;
    for round in 0..5 {
        let done = std::cell::Cell::new(false);
        let write = |w: usize| {
            let (app, token) = (&app, writers[w].clone());
            async move {
                let mut ids = Vec::new();
                for i in 0..6 {
                    if i % 3 == 0 {
                        let (_, post) = app
                            .topic(
                                &token,
                                "tips",
                                &format!("r{round} w{w} t{i}"),
                                "a new topic",
                            )
                            .await;
                        ids.push(post);
                    } else {
                        ids.push(
                            app.reply(&token, topic, None, &format!("r{round} w{w} reply {i}"))
                                .await,
                        );
                    }
                }
                ids
            }
        };
        let indexer = async {
            let mut steps = 0;
            while !done.get() {
                app.index_now().await;
                steps += 1;
                if steps == 3 {
                    // An online reindex in the middle of the burst.
                    app.state.search.reindex(&app.state.pool).await.unwrap();
                }
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            }
        };
        let writers_done = async {
            let ids = futures_util::future::join_all((0..8).map(write)).await;
            done.set(true);
            ids
        };
        let (ids, ()) = futures_util::future::join(writers_done, indexer).await;
        let ids: Vec<i64> = ids.into_iter().flatten().collect();
        assert_eq!(ids.len(), 48);
        app.state.search.refresh().unwrap();
        app.index_now().await;
        let idx = app.state.search.index().unwrap();
        let searcher = idx.reader.searcher();
        let missing: Vec<i64> = ids
            .iter()
            .copied()
            .filter(|p| {
                let q = TermQuery::new(
                    tantivy::Term::from_field_u64(idx.fields.post_id, *p as u64),
                    IndexRecordOption::Basic,
                );
                searcher.search(&q, &Count).unwrap() != 1
            })
            .collect();
        assert!(
            missing.is_empty(),
            "round {round}: not indexed: {missing:?}"
        );
        // The witness that ids and transactions interleaved (an id-only position skips rows then).
        #[derive(diesel::QueryableByName)]
        struct N {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        use diesel_async::RunQueryDsl;
        let n: N = diesel::sql_query(
            "SELECT count(*) AS n FROM search_outbox a JOIN search_outbox b \
             ON a.id < b.id AND a.xid > b.xid",
        )
        .get_result(&mut app.conn().await)
        .await
        .unwrap();
        interleaved_total = n.n;
    }
    println!(
        "outbox pairs whose id order differs from their transaction order: {interleaved_total}"
    );
    assert!(interleaved_total > 0, "the writers did interleave");
}

/// Damages every segment file of the generation in use under `root`.
fn damage(root: &std::path::Path, how: &str) {
    let current = std::fs::read_to_string(root.join("CURRENT")).unwrap();
    let files: Vec<_> = std::fs::read_dir(root.join(current.trim()))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| ["idx", "term", "store", "pos", "fast", "fieldnorm"].contains(&e))
        })
        .collect();
    assert!(!files.is_empty());
    for f in &files {
        match how {
            "delete" => std::fs::remove_file(f).unwrap(),
            _ => std::fs::OpenOptions::new()
                .write(true)
                .open(f)
                .unwrap()
                .set_len(3)
                .unwrap(),
        }
    }
}

/// Damage to the index files: a node starting on them starts, the site works, search answers
/// 503 until the indexer has rebuilt a new generation from PostgreSQL, then finds everything
/// again; `/metrics` counts the repair.
#[actix_web::test]
async fn a_damaged_index_is_rebuilt_while_the_site_stays_up() {
    let app = TestApp::new().await;
    app.seed_boards().await;
    let (_, t) = app.member("mender").await;
    let (topic, _) = app.topic(&t, "tips", "Magpie", "magpie nest").await;
    app.index_now().await;
    assert_eq!(hits(&app, "magpie").await, vec![topic]);
    let root = app.state.settings.search_index_dir.clone();
    for how in ["delete", "truncate"] {
        damage(&root, how);
        let node = TestApp::on_database(
            app.db_url.clone(),
            crate::support::tempdir::TempDir::new(),
            |s| s.search_index_dir = root.clone(),
        )
        .await;
        let search = node.state.search.clone();
        // Either opening noticed, or the first read does.
        let first = node.client().get("/api/v1/search?q=magpie").await;
        assert_ne!(first.status, 500, "{how}: {}", first.text());
        let r = node.client().get("/api/v1/search?q=magpie").await;
        assert_eq!(r.status, 503, "{how}: {}", r.text());
        assert_eq!(r.code(), "search_unavailable");
        assert!(r.header("retry-after").is_some());
        assert_eq!(
            node.client()
                .get(&format!("/api/v1/topics/{topic}"))
                .await
                .status,
            200
        );
        assert_eq!(node.client().get("/").await.status, 200);
        let metrics = node.client().get("/metrics").await.text();
        assert!(metrics.contains("chorus_search_available 0"), "{metrics}");
        // The indexer's next step rebuilds it into a new generation.
        assert!(search.repair(&node.state.pool).await.unwrap());
        assert_eq!(hits(&node, "magpie").await, vec![topic], "{how}");
        let metrics = node.client().get("/metrics").await.text();
        assert!(
            metrics.contains("chorus_search_repairs_total 1"),
            "{metrics}"
        );
        assert!(metrics.contains("chorus_search_available 1"));
    }
}
