use crate::support::TestApp;
use chorus::accounts::Role;
use serde_json::json;

#[actix_web::test]
async fn the_export_holds_every_category_and_nothing_of_anyone_else() {
    let app = TestApp::new().await;
    app.seed_boards().await;
    app.seed_products().await;
    let (me, t) = app.member("exporter").await;
    let (_, other) = app.member("bystander").await;
    let (topic, root) = app.topic(&t, "tips", "My tip", "first words").await;
    app.client()
        .with_bearer(&t)
        .json(
            actix_web::http::Method::PATCH,
            &format!("/api/v1/posts/{root}"),
            json!({ "body": "second words" }),
        )
        .await;
    let (o_topic, o_root) = app
        .topic(&other, "tips", "OTHER-SECRET title", "OTHER-SECRET body")
        .await;
    app.reply(&other, topic, None, "a reply that notifies me")
        .await;
    app.run_jobs().await;
    app.client()
        .with_bearer(&t)
        .json(
            actix_web::http::Method::PUT,
            &format!("/api/v1/posts/{o_root}/like"),
            json!({}),
        )
        .await;
    let idea = app.idea(&other, "OTHER-SECRET idea").await;
    let bug = app.bug(&other, "OTHER-SECRET bug").await;
    app.client()
        .with_bearer(&t)
        .json(
            actix_web::http::Method::PUT,
            &format!("/api/v1/topics/{bug}/me-too"),
            json!({}),
        )
        .await;
    app.client()
        .with_bearer(&t)
        .json(
            actix_web::http::Method::PUT,
            &format!("/api/v1/topics/{idea}/vote"),
            json!({}),
        )
        .await;
    app.client()
        .with_bearer(&t)
        .post_json("/api/v1/me/checkin", json!({}))
        .await;
    app.client()
        .with_bearer(&t)
        .post_json(
            &format!("/api/v1/posts/{o_root}/flags"),
            json!({ "reason": "spam" }),
        )
        .await;
    let (_, mt) = app.user_with_role("warden", Role::Moderator).await;
    app.client()
        .with_bearer(&mt)
        .post_json(
            "/api/v1/mod/users/exporter/silence",
            json!({ "days": 1, "reason": "cool down" }),
        )
        .await;
    {
        use diesel_async::RunQueryDsl;
        diesel::sql_query(format!(
            "INSERT INTO user_medals (user_id, medal, scope, awarded_at) VALUES ({}, 'helpful', '', now())",
            me.id
        ))
        .execute(&mut *app.conn().await)
        .await
        .unwrap();
    }
    let _ = o_topic;

    let r = app.client().with_bearer(&t).get("/api/v1/me/export").await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r
        .header("content-disposition")
        .unwrap()
        .contains("attachment"));
    let v = r.json();
    assert_eq!(v["profile"]["username"], "exporter");
    assert_eq!(v["profile"]["email"], "exporter@example.com");
    for (category, at_least) in [
        ("consents", 1),
        ("topics", 1),
        ("posts", 1),
        ("votes", 1),
        ("likes", 1),
        ("subscriptions", 1),
        ("notifications", 1),
        ("honor_ledger", 1),
        ("medals", 1),
        ("sanctions", 1),
        ("flags", 1),
        ("sessions", 1),
    ] {
        let n = v[category]
            .as_array()
            .map(|a| a.len())
            .unwrap_or(usize::MAX);
        assert!(
            n != usize::MAX && n >= at_least,
            "{category}: {}",
            v[category]
        );
    }
    assert_eq!(
        v["posts"][0]["history"][0]["body_md"], "first words",
        "edit history"
    );
    assert_eq!(v["sanctions"][0]["reason"], "cool down");
    let kinds: Vec<&str> = v["votes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["kind"].as_str().unwrap())
        .collect();
    assert!(
        kinds.contains(&"vote") && kinds.contains(&"me_too"),
        "{kinds:?}"
    );
    let text = r.text();
    assert!(!text.contains("OTHER-SECRET"), "nothing of other users");
    assert!(!text.contains("bystander@example.com"));
    assert!(!text.contains("password_hash") && !text.contains("token_hash"));
    assert_eq!(app.client().get("/api/v1/me/export").await.status, 401);
    assert!(app
        .logged_in("browser_user", Role::Member)
        .await
        .get("/settings")
        .await
        .text()
        .contains("/api/v1/me/export"));
}

async fn search_total(app: &TestApp, url: &str) -> i64 {
    app.client().get(url).await.json()["total"]
        .as_i64()
        .unwrap()
}

/// Every row in the database whose JSON form mentions any of `needles` (case-insensitive), as
/// `table: row`.
async fn rows_mentioning(app: &TestApp, needles: &[&str]) -> Vec<String> {
    let tables = crate::support::all_rows(&app.db_url).await;
    assert!(tables.len() > 30, "every table is scanned");
    let mut found = Vec::new();
    for (table, rows) in tables {
        for row in rows {
            let lower = row.to_lowercase();
            if needles.iter().any(|n| lower.contains(&n.to_lowercase())) {
                found.push(format!("{table}: {row}"));
            }
        }
    }
    found
}

#[actix_web::test]
async fn erasure_removes_the_person_and_keeps_the_conversation() {
    use actix_web::http::Method;
    let app = TestApp::new().await;
    app.seed_boards().await;
    app.seed_products().await;
    let (alice, _) = app.member("alicewonder").await;
    let (_, bob) = app.member("bobbuilder").await;
    // A session from a recognisable address, so the scan can look for the IP too.
    let login = app
        .client_from("203.0.113.77")
        .post_json(
            "/api/v1/auth/login",
            json!({ "login": "alicewonder", "password": "long-enough-secret" }),
        )
        .await;
    assert_eq!(login.status, 200, "{}", login.text());
    let t = login.json()["token"].as_str().unwrap().to_string();

    let (topic, _) = app
        .topic(
            &t,
            "tips",
            "Battery saver tip",
            "Turn off always-on display",
        )
        .await;
    let (b_topic, b_root) = app
        .topic(
            &bob,
            "tips",
            "Camera night mode",
            "Hold still for three seconds",
        )
        .await;
    app.reply(&bob, topic, None, "Thanks, that helped").await;
    let a_reply = app
        .reply(&t, b_topic, Some(b_root), "Works on mine too")
        .await;
    let idea = app.idea(&bob, "Dark mode schedule").await;
    let bug = app.bug(&bob, "Wi-Fi drops after sleep").await;
    let a_idea = app.idea(&t, "Per-app volume").await;
    let c = app.client().with_bearer(&t);
    for (m, path) in [
        (Method::PUT, format!("/api/v1/topics/{idea}/vote")),
        (Method::PUT, format!("/api/v1/topics/{bug}/me-too")),
        (Method::PUT, format!("/api/v1/posts/{b_root}/like")),
    ] {
        let r = c.json(m, &path, json!({})).await;
        assert!(r.status.is_success(), "{path}: {}", r.text());
    }
    let r = app
        .client()
        .with_bearer(&bob)
        .json(
            Method::PUT,
            &format!("/api/v1/topics/{a_idea}/vote"),
            json!({}),
        )
        .await;
    assert!(r.status.is_success());
    // A reply a moderator deleted: no longer part of any conversation, its words go with her.
    let gone = app.reply(&t, b_topic, None, "Regret writing this").await;
    let (_, warden) = app.user_with_role("warden", Role::Moderator).await;
    let r = app
        .client()
        .with_bearer(&warden)
        .post_json(
            &format!("/api/v1/mod/posts/{gone}/delete"),
            json!({ "reason": "off topic" }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    // A private log on a bug report of her own.
    let a_bug = app.bug(&t, "Bluetooth stutters").await;
    let (ct, body) = crate::feedback::multipart("alicewonder-device.log", b"log line\n", true);
    let r = c
        .post_raw(&format!("/api/v1/topics/{a_bug}/attachments"), &ct, body)
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let uploads: Vec<_> = std::fs::read_dir(app.state.settings.uploads_dir())
        .unwrap()
        .collect();
    assert_eq!(uploads.len(), 1);
    app.run_jobs().await;
    app.index_now().await;
    assert_eq!(
        search_total(&app, "/api/v1/search?q=mine&author=alicewonder").await,
        1,
        "found by author before erasure"
    );
    let count = |v: &serde_json::Value, k: &str| v[k].as_i64().unwrap();
    let before_idea = app
        .client()
        .get(&format!("/api/v1/topics/{idea}"))
        .await
        .json();
    let before_bug = app
        .client()
        .get(&format!("/api/v1/topics/{bug}"))
        .await
        .json();
    let before_mine = app
        .client()
        .get(&format!("/api/v1/topics/{a_idea}"))
        .await
        .json();

    // The wrong password changes nothing; the right one erases.
    let r = c
        .json(
            Method::DELETE,
            "/api/v1/me",
            json!({ "password": "not-my-password" }),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.text());
    let r = c
        .json(
            Method::DELETE,
            "/api/v1/me",
            json!({ "password": "long-enough-secret" }),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.text());
    app.index_now().await;

    // Signed out everywhere, and no way back in.
    assert_eq!(c.get("/api/v1/me").await.status, 401);
    let r = app
        .client()
        .post_json(
            "/api/v1/auth/login",
            json!({ "login": "alicewonder", "password": "long-enough-secret" }),
        )
        .await;
    assert_eq!(r.status, 401);
    let r = app
        .client()
        .post_json(
            "/api/v1/auth/login",
            json!({ "login": "alicewonder@example.com", "password": "long-enough-secret" }),
        )
        .await;
    assert_eq!(r.status, 401);

    // No personal field remains anywhere: not her name, address, IP or file name, nor what she
    // had deleted.
    let left = rows_mentioning(
        &app,
        &[
            "alicewonder",
            "alicewonder@example.com",
            "203.0.113.77",
            "Regret writing",
        ],
    )
    .await;
    assert!(left.is_empty(), "personal data left: {left:#?}");
    {
        use diesel::sql_types::BigInt;
        use diesel_async::RunQueryDsl;
        #[derive(diesel::QueryableByName)]
        struct N {
            #[diesel(sql_type = BigInt)]
            n: i64,
        }
        let mut conn = app.conn().await;
        for table in [
            "sessions",
            "account_tokens",
            "consents",
            "subscriptions",
            "board_follows",
            "notifications",
            "attachments",
        ] {
            let col = if table == "attachments" {
                "uploader_id"
            } else {
                "user_id"
            };
            let n: N = diesel::sql_query(format!(
                "SELECT count(*) AS n FROM {table} WHERE {col} = {}",
                alice.id
            ))
            .get_result(&mut conn)
            .await
            .unwrap();
            assert_eq!(n.n, 0, "{table} still holds her rows");
        }
        let n: N = diesel::sql_query(format!(
            "SELECT count(*) AS n FROM erasures WHERE user_id = {} AND requested_by = 'self'",
            alice.id
        ))
        .get_result(&mut conn)
        .await
        .unwrap();
        assert_eq!(n.n, 1, "the erasure is recorded");
    }
    assert_eq!(
        std::fs::read_dir(app.state.settings.uploads_dir())
            .unwrap()
            .count(),
        0,
        "the private log is gone from disk"
    );

    // The conversation stays, under the anonymous name, in both languages.
    let anon = format!("deleted user #{}", alice.id);
    let v = app
        .client()
        .get(&format!("/api/v1/topics/{b_topic}"))
        .await
        .json();
    let post = v["posts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == a_reply)
        .unwrap();
    assert_eq!(post["author"], anon.as_str());
    assert!(post["body_html"]
        .as_str()
        .unwrap()
        .contains("Works on mine too"));
    let page = app.client().get(&format!("/t/{topic}")).await.text();
    assert!(
        page.contains(&format!("已注销用户 #{}", alice.id)),
        "zh name"
    );
    assert!(page.contains("Turn off always-on display"));
    assert!(!page.contains("alicewonder"));

    // Counts unchanged.
    let after_idea = app
        .client()
        .get(&format!("/api/v1/topics/{idea}"))
        .await
        .json();
    let after_bug = app
        .client()
        .get(&format!("/api/v1/topics/{bug}"))
        .await
        .json();
    let after_mine = app
        .client()
        .get(&format!("/api/v1/topics/{a_idea}"))
        .await
        .json();
    assert_eq!(
        count(&after_idea, "vote_count"),
        count(&before_idea, "vote_count")
    );
    assert_eq!(count(&after_idea, "vote_count"), 1);
    assert_eq!(
        count(&after_bug, "me_too_count"),
        count(&before_bug, "me_too_count")
    );
    assert_eq!(count(&after_bug, "me_too_count"), 1);
    assert_eq!(
        count(&after_mine, "vote_count"),
        count(&before_mine, "vote_count")
    );

    // Search keeps the words but no longer knows the name.
    assert_eq!(
        search_total(&app, "/api/v1/search?q=mine&author=alicewonder").await,
        0,
        "the old username finds nothing"
    );
    let r = app.client().get("/api/v1/search?q=mine").await.json();
    assert_eq!(r["total"], 1, "her words are still found: {r}");

    // The address can register again; the name is held back.
    let reg = |name: &str| {
        json!({ "username": name, "email": "alicewonder@example.com",
                "password": "another-long-secret", "accept_privacy": true })
    };
    let r = app
        .client()
        .post_json("/api/v1/auth/register", reg("alicewonder"))
        .await;
    assert!(r.status == 409 || r.status == 422, "{}", r.text());
    assert!(r.text().contains("username"), "{}", r.text());
    let r = app
        .client()
        .post_json("/api/v1/auth/register", reg("alice_again"))
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
}

#[actix_web::test]
async fn a_held_name_is_free_again_after_the_hold() {
    let app = TestApp::with_settings(|s| s.rights.username_hold_days = 30).await;
    let (_, t) = app.member("leaver").await;
    let r = app
        .client()
        .with_bearer(&t)
        .json(
            actix_web::http::Method::DELETE,
            "/api/v1/me",
            json!({ "password": "long-enough-secret" }),
        )
        .await;
    assert_eq!(r.status, 204);
    let reg = json!({ "username": "Leaver", "email": "new@example.com",
                      "password": "another-long-secret", "accept_privacy": true });
    let r = app
        .client()
        .post_json("/api/v1/auth/register", reg.clone())
        .await;
    assert!(
        r.status == 409 || r.status == 422,
        "held, in any case: {}",
        r.text()
    );
    app.clock.advance(chrono::Duration::days(31));
    let r = app.client().post_json("/api/v1/auth/register", reg).await;
    assert_eq!(r.status, 201, "{}", r.text());
}

#[actix_web::test]
async fn admins_erase_accounts_on_request_and_it_is_audited() {
    let app = TestApp::new().await;
    app.seed_boards().await;
    let (carol, ct) = app.member("carolsings").await;
    app.topic(&ct, "tips", "Carol's tip", "Use the quick ball")
        .await;
    let (_, member) = app.member("nosy_member").await;
    let (_, admin) = app.user_with_role("chief", Role::Admin).await;
    let r = app
        .client()
        .with_bearer(&member)
        .post_json(
            "/api/v1/admin/users/carolsings/erase",
            json!({ "reason": "x" }),
        )
        .await;
    assert_eq!(r.status, 403);
    let r = app
        .client()
        .with_bearer(&admin)
        .post_json(
            "/api/v1/admin/users/carolsings/erase",
            json!({ "reason": "" }),
        )
        .await;
    assert_eq!(r.status, 422, "a reason is required");
    let r = app
        .client()
        .with_bearer(&admin)
        .post_json(
            "/api/v1/admin/users/carolsings/erase",
            json!({ "reason": "GDPR request by mail, ticket 1234" }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let anon = format!("deleted user #{}", carol.id);
    assert_eq!(r.json()["username"], anon.as_str());
    assert_eq!(
        app.client().with_bearer(&ct).get("/api/v1/me").await.status,
        401
    );
    // Again: already gone.
    let r = app
        .client()
        .with_bearer(&admin)
        .post_json(
            &format!(
                "/api/v1/admin/users/{}/erase",
                chorus::content::percent_encode(&anon)
            ),
            json!({ "reason": "again" }),
        )
        .await;
    assert_eq!(r.status, 404);
    // The profile page is the anonymous one; the audit log names the action, not the person.
    let page = app
        .client()
        .get(&format!("/u/{}", chorus::content::percent_encode(&anon)))
        .await;
    assert_eq!(page.status, 200);
    assert!(page.text().contains(&format!("已注销用户 #{}", carol.id)));
    let log = app
        .client()
        .with_bearer(&admin)
        .get("/api/v1/mod/log")
        .await
        .text();
    assert!(
        log.contains("erase_user") && log.contains("ticket 1234"),
        "{log}"
    );
    assert!(!log.contains("carolsings"));
    // The last admin cannot erase themself.
    let r = app
        .client()
        .with_bearer(&admin)
        .json(
            actix_web::http::Method::DELETE,
            "/api/v1/me",
            json!({ "password": "long-enough-secret" }),
        )
        .await;
    assert_eq!(r.status, 409, "{}", r.text());
}

#[actix_web::test]
async fn a_new_privacy_policy_must_be_accepted_before_writing() {
    let mut app = TestApp::new().await;
    app.seed_boards().await;
    let (_, t) = app.member("reader").await;
    app.member("browsing").await;
    // The policy changes under them (a config change and restart).
    app.reconfigure(|s| s.privacy_policy_version = "2027-01".into())
        .await;
    let browser = app.client();
    let r = browser
        .post_form(
            "/login",
            &[("login", "browsing"), ("password", "long-enough-secret")],
        )
        .await;
    assert_eq!(r.status, 303, "signing in needs no consent");
    let c = app.client().with_bearer(&t);
    let me = c.get("/api/v1/me").await.json();
    assert_eq!(me["consent_required"], true);
    assert_eq!(me["privacy_policy_version"], "2027-01");
    // Reading goes on; writing is refused with a clear code.
    assert_eq!(c.get("/api/v1/boards").await.status, 200);
    let r = c
        .post_json(
            "/api/v1/topics",
            json!({"board": "tips", "kind": "discussion", "title": "Hello there", "body": "Some words"}),
        )
        .await;
    assert_eq!(r.status, 403);
    assert_eq!(r.code(), "consent_required");
    let r = c.post_json("/api/v1/me/checkin", json!({})).await;
    assert_eq!(r.code(), "consent_required", "points are writing too");
    // Pages ask for it: a banner, and form posts are sent to the consent page.
    assert!(browser.get("/").await.text().contains("href=\"/consent\""));
    let r = browser
        .post_form(
            "/new",
            &[
                ("board", "tips"),
                ("kind", "discussion"),
                ("title", "Hello there"),
                ("body", "Some words"),
            ],
        )
        .await;
    assert_eq!(r.status, 303);
    assert_eq!(r.header("location").as_deref(), Some("/consent"));
    // Their own data stays theirs without accepting.
    assert_eq!(c.get("/api/v1/me/export").await.status, 200);
    // Accepting a version they were not shown does nothing; the current one works.
    let r = c
        .post_json("/api/v1/me/consent", json!({ "version": "2026-11" }))
        .await;
    assert_eq!(r.status, 422);
    // Twice: the second acceptance changes nothing (one row per real acceptance).
    for _ in 0..2 {
        let r = c
            .post_json("/api/v1/me/consent", json!({ "version": "2027-01" }))
            .await;
        assert_eq!(r.status, 200, "{}", r.text());
    }
    let r = c
        .post_json(
            "/api/v1/topics",
            json!({"board": "tips", "kind": "discussion", "title": "Hello there", "body": "Some words"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    // The history of consents is in the export, both versions in order.
    let v = c.get("/api/v1/me/export").await.json();
    let versions: Vec<&str> = v["consents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["policy_version"].as_str().unwrap())
        .collect();
    assert_eq!(versions, ["2026-11", "2027-01"]);
    // The page flow does the same.
    let page = browser.get("/consent").await.text();
    assert!(page.contains("2027-01"));
    let r = browser
        .post_form("/consent", &[("version", "2027-01")])
        .await;
    assert_eq!(r.status, 303);
    assert!(!browser.get("/").await.text().contains("href=\"/consent\""));
}

#[actix_web::test]
async fn large_exports_are_mailed_as_a_link_that_expires() {
    let app = TestApp::with_settings(|s| {
        s.rights.export_inline_max_rows = 3;
        s.rights.export_link_hours = 24;
    })
    .await;
    app.seed_boards().await;
    let (me, t) = app.member("prolific").await;
    for i in 0..4 {
        app.topic(&t, "tips", &format!("Tip number {i}"), "Some useful words")
            .await;
    }
    let c = app.client().with_bearer(&t);
    let r = c.get("/api/v1/me/export").await;
    assert_eq!(r.status, 403);
    assert_eq!(r.code(), "export_by_mail");
    let r = c.post_json("/api/v1/me/export", json!({})).await;
    assert_eq!(r.status, 202);
    // Asking twice queues one build.
    c.post_json("/api/v1/me/export", json!({})).await;
    app.run_jobs().await;
    let mails = app.outbox_for("prolific@example.com").await;
    let export_mails: Vec<_> = mails.iter().filter(|m| m.contains("/exports/")).collect();
    assert_eq!(export_mails.len(), 1, "{mails:#?}");
    let token = crate::support::token_in(&export_mails[0].replace("/exports/", "token="));
    let url = format!("/exports/{token}");
    // Only its owner can use the link.
    let (_, other) = app.member("snooper").await;
    assert_eq!(app.client().with_bearer(&other).get(&url).await.status, 404);
    assert_eq!(app.client().get(&url).await.status, 401);
    let r = c.get(&url).await;
    assert_eq!(r.status, 200);
    let v = r.json();
    assert_eq!(v["profile"]["id"], me.id);
    assert_eq!(v["topics"].as_array().unwrap().len(), 4);
    // After the link expires it is gone, and the hourly cleanup removes the file.
    app.clock.advance(chrono::Duration::hours(25));
    let t2 = app.fresh_token("prolific").await;
    assert_eq!(app.client().with_bearer(&t2).get(&url).await.status, 404);
    chorus::jobs::enqueue(
        &mut *app.conn().await,
        &chorus::rights::retention::Cleanup,
        None,
        app.clock.now(),
    )
    .await
    .unwrap();
    app.run_jobs().await;
    let left = std::fs::read_dir(app.state.settings.exports_dir())
        .map(|d| d.count())
        .unwrap_or(0);
    assert_eq!(left, 0, "expired export files are deleted");
}

#[actix_web::test]
async fn the_settings_and_profile_pages_offer_erasure_and_mailed_exports() {
    let app = TestApp::new().await;
    app.seed_boards().await;
    let browser = app.logged_in("formuser", Role::Member).await;
    let settings = browser.get("/settings").await.text();
    assert!(settings.contains("action=\"/settings/erase\""));
    assert!(settings.contains("action=\"/settings/export\""));
    assert!(
        settings.contains("2026-11"),
        "the accepted policy version is shown"
    );
    let r = browser.post_form("/settings/export", &[]).await;
    assert_eq!(r.status, 303);
    assert!(
        browser.get("/settings").await.text().contains("正在准备"),
        "pending is shown"
    );
    app.run_jobs().await;
    assert!(
        browser.get("/settings").await.text().contains("有效期至"),
        "the link's end is shown"
    );
    assert!(app
        .outbox_for("formuser@example.com")
        .await
        .iter()
        .any(|m| m.contains("/exports/")));
    // Without the tick, or with a wrong password, nothing happens.
    let r = browser
        .post_form("/settings/erase", &[("password", "long-enough-secret")])
        .await;
    assert_eq!(r.status, 422);
    let r = browser
        .post_form(
            "/settings/erase",
            &[("password", "wrong-password"), ("confirm", "yes")],
        )
        .await;
    assert_eq!(r.status, 422);
    assert_eq!(browser.get("/settings").await.status, 200);
    let r = browser
        .post_form(
            "/settings/erase",
            &[("password", "long-enough-secret"), ("confirm", "yes")],
        )
        .await;
    assert_eq!(r.status, 303);
    assert_eq!(r.header("location").as_deref(), Some("/?erased=1"));
    assert!(browser
        .get("/?erased=1")
        .await
        .text()
        .contains("账号已注销"));
    assert_eq!(browser.get("/settings").await.status, 303, "signed out");

    // Admins see an erase form on profiles; others do not.
    app.member("target_person").await;
    let admin = app.logged_in("headadmin", Role::Admin).await;
    let member = app.logged_in("plainmember", Role::Member).await;
    assert!(!member
        .get("/u/target_person")
        .await
        .text()
        .contains("/erase\""));
    assert_eq!(
        member
            .post_form("/u/target_person/erase", &[("reason", "because")])
            .await
            .status,
        404
    );
    assert!(admin
        .get("/u/target_person")
        .await
        .text()
        .contains("/u/target_person/erase"));
    let r = admin
        .post_form("/u/target_person/erase", &[("reason", "asked by letter")])
        .await;
    assert_eq!(r.status, 303);
    let page = admin.get(&r.header("location").unwrap()).await.text();
    assert!(page.contains("已注销用户 #"), "{page}");
    assert!(!page.contains("/erase\""), "no second erase form");
}

#[actix_web::test]
async fn old_notifications_and_delivered_mail_are_deleted_after_their_retention() {
    use diesel_async::RunQueryDsl;
    let app = TestApp::new().await;
    let (u, _) = app.member("keeper").await;
    let mut conn = app.conn().await;
    let now = app.clock.now();
    for (days, detail) in [(400, "old"), (10, "recent")] {
        diesel::sql_query(format!(
            "INSERT INTO notifications (user_id, kind, detail, created_at) \
             VALUES ({}, 'medal', '{detail}', now() - interval '{days} days')",
            u.id
        ))
        .execute(&mut *conn)
        .await
        .unwrap();
    }
    for (days, status, key) in [
        (40, "sent", "old-sent"),
        (40, "failed", "old-failed"),
        (40, "queued", "old-queued"),
        (5, "sent", "recent-sent"),
    ] {
        diesel::sql_query(format!(
            "INSERT INTO mail_outbox (event_key, user_id, recipient, subject, body_text, body_html, \
             status, next_attempt_at, created_at) VALUES ('{key}', {}, 'keeper@example.com', 's', 't', \
             'h', '{status}', now(), now() - interval '{days} days')",
            u.id
        ))
        .execute(&mut *conn)
        .await
        .unwrap();
    }
    chorus::jobs::enqueue(&mut conn, &chorus::rights::retention::Cleanup, None, now)
        .await
        .unwrap();
    drop(conn);
    app.run_jobs().await;
    #[derive(diesel::QueryableByName)]
    struct K {
        #[diesel(sql_type = diesel::sql_types::Text)]
        k: String,
    }
    let mut conn = app.conn().await;
    let left: Vec<K> = diesel::sql_query(
        "SELECT detail AS k FROM notifications WHERE kind = 'medal' \
         UNION ALL SELECT event_key FROM mail_outbox ORDER BY 1",
    )
    .load(&mut *conn)
    .await
    .unwrap();
    let left: Vec<String> = left.into_iter().map(|k| k.k).collect();
    // Undelivered mail is never dropped: it is still owed.
    assert_eq!(left, ["old-queued", "recent", "recent-sent"]);
}
