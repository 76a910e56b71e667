use crate::support::TestApp;
use actix_web::test::TestRequest;
use chorus::accounts::Role;
use serde_json::json;

async fn flag(app: &TestApp, token: &str, post: i64, reason: &str) -> crate::support::client::Resp {
    app.client()
        .with_bearer(token)
        .post_json(
            &format!("/api/v1/posts/{post}/flags"),
            json!({ "reason": reason, "note": "see for yourself" }),
        )
        .await
}

/// Whether anonymous readers see the post's text on the topic API (hidden posts keep their
/// place in the thread, without their text).
async fn visible(app: &TestApp, topic: i64, post: i64) -> bool {
    let r = app.client().get(&format!("/api/v1/topics/{topic}")).await;
    r.status == 200
        && r.json()["posts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["id"].as_i64() == Some(post) && p["body_html"].is_string())
}

async fn kinds_of_notifications(app: &TestApp, token: &str) -> Vec<String> {
    let r = app
        .client()
        .with_bearer(token)
        .get("/api/v1/notifications")
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["kind"].as_str().unwrap().to_string())
        .collect()
}

#[actix_web::test]
async fn low_trust_flags_wait_for_company_while_one_trusted_flag_hides_at_once() {
    let app = TestApp::new().await;
    app.seed_boards().await;
    let (_, author) = app.member("poster").await;
    let (topic, _) = app.topic(&author, "tips", "A topic", "opening").await;
    let spam = app.reply(&author, topic, None, "buy cheap watches").await;
    let rude = app.reply(&author, topic, None, "you are all idiots").await;

    // Level 1 flags weigh 0.5 each: five of them are not enough (threshold 3.0).
    let mut newcomers = Vec::new();
    for i in 0..6 {
        newcomers.push(app.member(&format!("newbie{i}")).await.1);
    }
    for t in &newcomers[..5] {
        let r = flag(&app, t, spam, "spam").await;
        assert_eq!(r.status, 201, "{}", r.text());
        assert_eq!(r.json()["weight"], 0.5);
        assert_eq!(r.json()["hidden"], false);
    }
    assert!(visible(&app, topic, spam).await);
    // The sixth reaches the threshold: hidden at once, not at the next job run.
    let r = flag(&app, &newcomers[5], spam, "spam").await;
    assert_eq!(r.json()["hidden"], true);
    assert!(!visible(&app, topic, spam).await);

    // One flag from a trusted member (level 7, no history: weight 3.0) does it alone.
    let (veteran, vt) = app.member("veteran").await;
    app.set_level(veteran.id, 7).await;
    let r = flag(&app, &vt, rude, "abuse").await;
    assert_eq!(r.json()["weight"], 3.0);
    assert_eq!(r.json()["hidden"], true);
    assert!(!visible(&app, topic, rude).await);

    // The author is told why and how to appeal; the author still sees the post.
    assert!(kinds_of_notifications(&app, &author)
        .await
        .contains(&"post_hidden".to_string()));
    let mine = app
        .client()
        .with_bearer(&author)
        .get(&format!("/api/v1/topics/{topic}"))
        .await;
    assert!(mine.text().contains("you are all idiots"));

    // One flag per person per post; nobody flags their own post; hidden posts are not flaggable.
    assert_eq!(flag(&app, &vt, rude, "abuse").await.status, 404);
    let other = app.reply(&author, topic, None, "a fine reply").await;
    assert_eq!(flag(&app, &newcomers[0], other, "spam").await.status, 201);
    assert_eq!(flag(&app, &newcomers[0], other, "spam").await.status, 409);
    assert_eq!(flag(&app, &author, other, "spam").await.status, 403);
    let bad = app
        .client()
        .with_bearer(&vt)
        .post_json(
            &format!("/api/v1/posts/{other}/flags"),
            json!({ "reason": "boring" }),
        )
        .await;
    assert_eq!(bad.status, 422);
    assert!(bad.json()["error"]["fields"]["reason"].is_string());

    // The queue has them worst first, with the flags in context; members may not look.
    let moder = app.logged_in("warden", Role::Moderator).await;
    let q = moder.get("/api/v1/mod/queue").await;
    assert_eq!(q.status, 200, "{}", q.text());
    let items = q.json()["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 3);
    assert_eq!(items[0]["post_id"], spam, "heaviest first");
    assert_eq!(items[0]["flags"].as_array().unwrap().len(), 6);
    assert_eq!(items[0]["top_reason"], "spam");
    assert!(items[0]["body_html"]
        .as_str()
        .unwrap()
        .contains("cheap watches"));
    assert_eq!(
        app.client()
            .with_bearer(&author)
            .get("/api/v1/mod/queue")
            .await
            .status,
        403
    );
}

#[actix_web::test]
async fn decisions_settle_visibility_accuracy_and_honor() {
    let app = TestApp::new().await;
    app.seed_boards().await;
    let (author_user, author) = app.member("poster").await;
    let (topic, _) = app.topic(&author, "tips", "A topic", "opening").await;
    let bad = app.reply(&author, topic, None, "spam spam spam").await;
    let fine = app
        .reply(&author, topic, None, "a perfectly fine reply")
        .await;
    let (x, xt) = app.member("sharp_eye").await;
    let (y, yt) = app.member("trigger_happy").await;
    app.set_level(x.id, 7).await;
    app.set_level(y.id, 7).await;
    flag(&app, &xt, bad, "spam").await;
    flag(&app, &yt, fine, "spam").await;
    assert!(!visible(&app, topic, fine).await);

    let moder = app.logged_in("warden", Role::Moderator).await;
    let csrf = moder.csrf().await;
    let items = moder.get("/api/v1/mod/queue").await.json()["items"]
        .as_array()
        .unwrap()
        .clone();
    let review_of = |post: i64| {
        items.iter().find(|i| i["post_id"] == post).unwrap()["id"]
            .as_i64()
            .unwrap()
    };
    let decide = |id: i64, decision: &'static str| {
        let csrf = csrf.clone();
        let moder = &moder;
        async move {
            moder
                .send(
                    TestRequest::post()
                        .uri(&format!("/api/v1/mod/queue/{id}"))
                        .insert_header(("X-CSRF-Token", csrf))
                        .set_json(json!({ "decision": decision, "note": "checked" })),
                )
                .await
        }
    };
    let r = decide(review_of(bad), "agree").await;
    assert_eq!(r.status, 200, "{}", r.text());
    let r = decide(review_of(fine), "disagree").await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        decide(review_of(fine), "agree").await.status,
        409,
        "decided once"
    );
    assert_eq!(decide(review_of(bad), "maybe").await.status, 422);

    assert!(!visible(&app, topic, bad).await, "agreed: stays hidden");
    assert!(visible(&app, topic, fine).await, "disagreed: back");

    let me = |t: String| {
        let app = &app;
        async move { app.client().with_bearer(&t).get("/api/v1/me").await.json() }
    };
    let xv = me(xt.clone()).await;
    let yv = me(yt.clone()).await;
    assert_eq!(xv["honor"], 2, "flag agreed +2");
    assert_eq!(yv["honor"], -2, "flag disagreed -2");
    assert_eq!(
        me(author.clone()).await["honor"],
        -10,
        "post hidden by moderation -10"
    );
    let _ = author_user;

    // Accuracy moves the next flag's weight: Y (0 of 1 right) now weighs 2.0 and hides nothing.
    // (Levels follow honor; put both back at level 7 to compare accuracy alone.)
    app.set_level(x.id, 7).await;
    app.set_level(y.id, 7).await;
    let again = app.reply(&author, topic, None, "another fine reply").await;
    let r = flag(&app, &yt, again, "spam").await;
    assert_eq!(r.json()["weight"], 2.0);
    assert_eq!(r.json()["hidden"], false);
    let r = flag(&app, &xt, again, "spam").await;
    assert!(
        r.json()["weight"].as_f64().unwrap() > 3.0,
        "X was right: heavier"
    );

    // Defer keeps it open, below the pending ones.
    let items = moder.get("/api/v1/mod/queue").await.json()["items"]
        .as_array()
        .unwrap()
        .clone();
    let id = items[0]["id"].as_i64().unwrap();
    assert_eq!(decide(id, "defer").await.status, 200);
    let after = moder.get("/api/v1/mod/queue").await.json();
    assert_eq!(after["items"][0]["status"], "deferred");
}

#[actix_web::test]
async fn unhandled_items_escalate_to_every_moderator_once_after_48_hours() {
    let app = TestApp::new().await;
    app.seed_boards().await;
    let (_, author) = app.member("poster").await;
    let (topic, _) = app.topic(&author, "tips", "A topic", "opening").await;
    let post = app.reply(&author, topic, None, "dubious").await;
    let (_, ft) = app.member("flagger").await;
    flag(&app, &ft, post, "spam").await;
    let escalate = |app: &TestApp| {
        let s = app.state.settings.clone();
        let pool = app.state.pool.clone();
        let now = app.clock.now();
        async move {
            let mut conn = chorus::db::get(&pool).await.unwrap();
            chorus::moderation::reviews::escalate(&mut conn, &s, now)
                .await
                .unwrap()
        }
    };
    app.clock.advance(chrono::Duration::hours(47));
    assert_eq!(escalate(&app).await, 0, "not yet");
    app.clock.advance(chrono::Duration::hours(2));
    let (_, m1) = app.user_with_role("mod_one", Role::Moderator).await;
    let (_, m2) = app.user_with_role("boss", Role::Admin).await;
    assert_eq!(escalate(&app).await, 1);
    assert_eq!(escalate(&app).await, 0, "once");
    for t in [&m1, &m2] {
        let kinds = kinds_of_notifications(&app, t).await;
        assert_eq!(kinds.iter().filter(|k| *k == "review_escalated").count(), 1);
    }
    // Through the scheduled job as well: the schedule names it every hour.
    assert!(chorus::workers::schedule(app.clock.now())
        .iter()
        .any(|(_, j)| j.kind == chorus::jobs::JobKind::EscalateReviews));
}

#[actix_web::test]
async fn suspension_ends_every_session_at_once_and_silence_stops_posting_only() {
    let app = TestApp::new().await;
    app.seed_boards().await;
    let (_, token) = app.member("troll").await;
    let browser = app.client();
    let r = browser
        .post_json(
            "/api/v1/auth/login",
            json!({ "login": "troll", "password": "long-enough-secret" }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(browser.get("/api/v1/me").await.status, 200);
    let (topic, _) = app.topic(&token, "tips", "Hello", "hello all").await;

    let (moderator, mt) = app.user_with_role("warden", Role::Moderator).await;
    let (_, at) = app.user_with_role("chief", Role::Admin).await;
    let sanction = |by: &str, who: &str, action: &str, body: serde_json::Value| {
        let by = by.to_string();
        let path = format!("/api/v1/mod/users/{who}/{action}");
        let app = &app;
        async move { app.client().with_bearer(&by).post_json(&path, body).await }
    };

    // Silence: reads work, writing does not, and the reason is given.
    let r = sanction(
        &mt,
        "troll",
        "silence",
        json!({ "days": 3, "reason": "flame wars" }),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        app.client()
            .with_bearer(&token)
            .get(&format!("/api/v1/topics/{topic}"))
            .await
            .status,
        200
    );
    let r = app
        .client()
        .with_bearer(&token)
        .post_json(
            &format!("/api/v1/topics/{topic}/posts"),
            json!({ "body": "more flames" }),
        )
        .await;
    assert_eq!(r.status, 403);
    assert_eq!(r.json()["error"]["code"], "silenced");
    assert!(kinds_of_notifications(&app, &token)
        .await
        .contains(&"silence".to_string()));

    // Suspension: the bearer token and the cookie session die now; login says why.
    let r = sanction(
        &mt,
        "troll",
        "suspend",
        json!({ "days": 7, "reason": "spam waves" }),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        app.client()
            .with_bearer(&token)
            .get("/api/v1/me")
            .await
            .status,
        401
    );
    assert_eq!(browser.get("/api/v1/me").await.status, 401);
    let r = app
        .client()
        .post_json(
            "/api/v1/auth/login",
            json!({ "login": "troll", "password": "long-enough-secret" }),
        )
        .await;
    assert_eq!(r.status, 403);
    assert_eq!(r.json()["error"]["code"], "suspended");
    assert!(r.text().contains("spam waves"));
    // A suspended person cannot sign in to read a notification: they are told by mail, with the
    // reason and the end date, in their language.
    let mails = app.outbox_for("troll@example.com").await;
    let mail = mails
        .iter()
        .find(|m| m.contains("spam waves"))
        .expect("a suspension mail");
    assert!(mail.contains("封禁至"), "{mail}");
    assert_eq!(
        mails
            .iter()
            .filter(|m| m.contains("版主给出的理由"))
            .count(),
        2,
        "silence and suspension"
    );

    // Limits of the moderator's power, and of bad input.
    let r = sanction(
        &mt,
        "chief",
        "suspend",
        json!({ "days": 1, "reason": "coup" }),
    )
    .await;
    assert_eq!(r.status, 403);
    let r = sanction(
        &mt,
        "warden",
        "silence",
        json!({ "days": 1, "reason": "oops" }),
    )
    .await;
    assert_eq!(r.status, 403);
    assert_eq!(
        sanction(&mt, "troll", "suspend", json!({ "days": 0, "reason": "x" }))
            .await
            .status,
        422
    );
    assert_eq!(
        sanction(&mt, "troll", "suspend", json!({ "days": 2, "reason": "" }))
            .await
            .status,
        422
    );
    assert_eq!(
        sanction(
            &token,
            "warden",
            "silence",
            json!({ "days": 2, "reason": "revenge" })
        )
        .await
        .status,
        401
    );
    assert_eq!(
        sanction(
            &mt,
            "nobody",
            "silence",
            json!({ "days": 2, "reason": "x" })
        )
        .await
        .status,
        404
    );
    let _ = moderator;

    // Restored early: login works again.
    let r = sanction(
        &at,
        "troll",
        "restore",
        json!({ "reason": "appeal accepted" }),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let r = app
        .client()
        .post_json(
            "/api/v1/auth/login",
            json!({ "login": "troll", "password": "long-enough-secret" }),
        )
        .await;
    assert_eq!(r.status, 200);
}

#[actix_web::test]
async fn every_action_is_logged_and_staff_views_of_personal_data_are_recorded() {
    let app = TestApp::new().await;
    app.seed_boards().await;
    let (_, author) = app.member("writer").await;
    let (topic, root) = app.topic(&author, "tips", "Logged", "original text").await;
    let reply = app.reply(&author, topic, None, "a reply").await;
    let (_, mt) = app.user_with_role("warden", Role::Moderator).await;
    let (_, at) = app.user_with_role("chief", Role::Admin).await;
    let m = |path: String, body: serde_json::Value| {
        let app = &app;
        let mt = mt.clone();
        async move {
            let r = app.client().with_bearer(&mt).post_json(&path, body).await;
            assert_eq!(r.status, 200, "{path}: {}", r.text());
        }
    };
    m(
        format!("/api/v1/mod/posts/{reply}/hide"),
        json!({ "reason": "rude" }),
    )
    .await;
    m(
        format!("/api/v1/mod/posts/{reply}/unhide"),
        json!({ "reason": "on reflection" }),
    )
    .await;
    for a in ["lock", "unlock", "pin", "unpin", "feature", "unfeature"] {
        m(
            format!("/api/v1/mod/topics/{topic}/{a}"),
            json!({ "reason": "housekeeping" }),
        )
        .await;
    }
    m(
        format!("/api/v1/mod/topics/{topic}/move"),
        json!({ "board": "phones", "reason": "belongs there" }),
    )
    .await;
    m(
        format!("/api/v1/mod/posts/{root}/edit"),
        json!({ "body": "edited text", "reason": "removed a phone number" }),
    )
    .await;
    m(
        format!("/api/v1/mod/posts/{reply}/delete"),
        json!({ "reason": "duplicate" }),
    )
    .await;
    m(
        "/api/v1/mod/users/writer/silence".into(),
        json!({ "days": 1, "reason": "cool down" }),
    )
    .await;
    // A reason is required for post actions; a move needs a board that exists.
    let r = app
        .client()
        .with_bearer(&mt)
        .post_json(
            &format!("/api/v1/mod/posts/{root}/hide"),
            json!({ "reason": " " }),
        )
        .await;
    assert_eq!(r.status, 422);
    let r = app
        .client()
        .with_bearer(&mt)
        .post_json(
            &format!("/api/v1/mod/topics/{topic}/move"),
            json!({ "board": "nowhere" }),
        )
        .await;
    assert_eq!(r.status, 422);
    // Members get 403 on every moderation endpoint.
    let r = app
        .client()
        .with_bearer(&author)
        .post_json(&format!("/api/v1/mod/topics/{topic}/lock"), json!({}))
        .await;
    assert_eq!(r.status, 403);

    let log = app.client().with_bearer(&mt).get("/api/v1/mod/log").await;
    assert_eq!(log.status, 200);
    let items = log.json()["items"].as_array().unwrap().clone();
    let actions: Vec<&str> = items
        .iter()
        .map(|i| i["action"].as_str().unwrap())
        .collect();
    for expected in [
        "hide_post",
        "unhide_post",
        "lock_topic",
        "unlock_topic",
        "pin_topic",
        "unpin_topic",
        "feature_topic",
        "unfeature_topic",
        "move_topic",
        "edit_post",
        "delete_post",
        "silence",
    ] {
        assert!(
            actions.contains(&expected),
            "{expected} missing from {actions:?}"
        );
    }
    let edit = items.iter().find(|i| i["action"] == "edit_post").unwrap();
    assert_eq!(edit["before"]["body"], "original text");
    assert_eq!(edit["after"]["body"], "edited text");
    assert_eq!(edit["reason"], "removed a phone number");
    assert_eq!(edit["actor"], "warden");
    assert!(
        edit.get("actor_ip").is_none(),
        "moderators do not see staff IPs"
    );
    let admin_view = app
        .client()
        .with_bearer(&at)
        .get("/api/v1/mod/log")
        .await
        .json();
    assert!(admin_view["items"][0]["actor_ip"].is_string(), "admins do");

    // Append-only, enforced by the database.
    {
        use diesel_async::RunQueryDsl;
        let mut conn = app.conn().await;
        assert!(
            diesel::sql_query("UPDATE mod_log SET reason = 'nothing happened'")
                .execute(&mut conn)
                .await
                .is_err()
        );
        assert!(diesel::sql_query("DELETE FROM mod_log")
            .execute(&mut conn)
            .await
            .is_err());
    }

    // Looking at a person's email and addresses is recorded; admins read the record.
    let r = app
        .client()
        .with_bearer(&mt)
        .get("/api/v1/mod/users/writer")
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["email"], "writer@example.com");
    let access = app
        .client()
        .with_bearer(&at)
        .get("/api/v1/admin/access-log")
        .await;
    assert_eq!(access.status, 200);
    let rows = access.json()["items"].as_array().unwrap().clone();
    assert!(rows
        .iter()
        .any(|r| r["staff"] == "warden" && r["subject"] == "writer" && r["what"] == "email"));
    assert_eq!(
        app.client()
            .with_bearer(&mt)
            .get("/api/v1/admin/access-log")
            .await
            .status,
        403
    );
    assert_eq!(
        app.client()
            .with_bearer(&author)
            .get("/api/v1/mod/users/writer")
            .await
            .status,
        403
    );
}

#[actix_web::test]
async fn new_accounts_are_limited_and_their_links_wait_for_review() {
    let app = TestApp::with_settings(|s| {
        s.moderation = chorus::config::ModerationSettings::default();
    })
    .await;
    app.seed_boards().await;
    let (_, t) = app.member("newcomer").await;
    let post = |body: &str, title: &str| {
        let app = &app;
        let t = t.clone();
        let v = json!({ "board": "tips", "kind": "discussion", "title": title, "body": body });
        async move {
            app.client()
                .with_bearer(&t)
                .post_json("/api/v1/topics", v)
                .await
        }
    };
    // An image needs level 2.
    let r = post("look ![pic](/static/x.png)", "Picture").await;
    assert_eq!(r.status, 422);
    assert!(r.json()["error"]["fields"]["body"].is_string());
    // A link is held: created, hidden from others, queued, the author told.
    let r = post("see https://spam.example/deal", "Link").await;
    assert_eq!(r.status, 201, "{}", r.text());
    let held = r.json()["id"].as_i64().unwrap();
    assert_eq!(
        app.client()
            .get(&format!("/api/v1/topics/{held}"))
            .await
            .status,
        404
    );
    let moder = app.logged_in("warden", Role::Moderator).await;
    let q = moder.get("/api/v1/mod/queue").await.json();
    assert_eq!(q["items"][0]["cause"], "held");
    // Three topics an hour at level 1: the fourth is refused.
    assert_eq!(post("first words", "One").await.status, 201);
    assert_eq!(post("second words", "Two").await.status, 201);
    let r = post("third words", "Three").await;
    assert_eq!(r.status, 429, "{}", r.text());
    assert!(r.header("retry-after").is_some());

    // The same reply twice within five minutes is refused.
    let (topic, _) = {
        let (_, staff) = app.user_with_role("host", Role::Moderator).await;
        app.topic(&staff, "tips", "Open thread", "say hi").await
    };
    let reply = |body: &'static str| {
        let app = &app;
        let t = t.clone();
        async move {
            app.client()
                .with_bearer(&t)
                .post_json(
                    &format!("/api/v1/topics/{topic}/posts"),
                    json!({ "body": body }),
                )
                .await
        }
    };
    assert_eq!(reply("hi all").await.status, 201);
    let r = reply("hi all").await;
    assert_eq!(r.status, 422);
    app.clock.advance(chrono::Duration::minutes(6));
    assert_eq!(reply("hi all").await.status, 201, "fine after the window");

    // Level 2 posts links without a hold.
    let (l2, t2) = app.member("regular").await;
    app.set_level(l2.id, 2).await;
    let r = app
        .client()
        .with_bearer(&t2)
        .post_json(
            "/api/v1/topics",
            json!({ "board": "tips", "kind": "discussion", "title": "Useful link", "body": "https://example.com/guide" }),
        )
        .await;
    let id = r.json()["id"].as_i64().unwrap();
    assert_eq!(
        app.client()
            .get(&format!("/api/v1/topics/{id}"))
            .await
            .status,
        200
    );
}

#[actix_web::test]
async fn registrations_per_address_cannot_be_reset_by_a_spoofed_header() {
    let app = TestApp::with_settings(|s| s.rate_limits.register_per_ip.max = 2).await;
    app.align_clock(3600);
    let c = app.client_from("10.9.9.9");
    let mut statuses = Vec::new();
    for i in 0..3 {
        let req = TestRequest::post()
            .uri("/api/v1/auth/register")
            .insert_header(("X-Forwarded-For", format!("198.51.100.{i}")))
            .set_json(json!({
                "username": format!("signup{i}"),
                "email": format!("signup{i}@example.com"),
                "password": "long-enough-secret",
                "accept_privacy": true
            }));
        statuses.push(c.send(req).await.status.as_u16());
    }
    assert_eq!(statuses, vec![201, 201, 429]);
}

#[actix_web::test]
async fn the_pages_flag_queue_decide_moderate_and_show_honor() {
    let app = TestApp::new().await;
    app.seed_boards().await;
    let (author, at) = app.member("poster").await;
    app.set_level(author.id, 4).await;
    let (topic, _) = app.topic(&at, "tips", "Page topic", "opening words").await;
    let reply = app.reply(&at, topic, None, "rude words here").await;

    // Levels beside names on the topic page and in listings.
    let page = app.client().get(&format!("/t/{topic}")).await;
    assert!(
        page.text().contains(">Lv4</span>"),
        "level badge on the topic page"
    );
    assert!(app
        .client()
        .get("/b/tips")
        .await
        .text()
        .contains(">Lv4</span>"));

    // A member flags through the form (a reason is required) and sees a notice.
    let fan = app.logged_in("flagger", Role::Member).await;
    let r = fan
        .post_form(
            &format!("/posts/{reply}/flag"),
            &[("reason", "abuse"), ("note", "")],
        )
        .await;
    assert_eq!(r.status, 303);
    assert!(r.header("location").unwrap().contains("notice=flagged"));
    let r = fan
        .post_form(&format!("/posts/{reply}/flag"), &[("reason", "abuse")])
        .await;
    assert!(r
        .header("location")
        .unwrap()
        .contains("notice=already_flagged"));
    let r = fan
        .post_form(&format!("/posts/{reply}/flag"), &[("reason", "")])
        .await;
    assert!(r
        .header("location")
        .unwrap()
        .contains("notice=flag_invalid"));
    assert!(
        fan.get(&format!("/t/{topic}?notice=flagged"))
            .await
            .text()
            .contains("Thanks: the moderators will look at it.",)
            || fan
                .get(&format!("/t/{topic}?notice=flagged"))
                .await
                .text()
                .contains("感谢举报")
    );

    // Members do not see moderation pages at all; staff do, and decide there.
    assert_eq!(fan.get("/mod").await.status, 404);
    assert_eq!(fan.get("/mod/log").await.status, 404);
    let warden = app.logged_in("warden", Role::Moderator).await;
    let q = warden.get("/mod").await;
    assert_eq!(q.status, 200);
    assert!(q.text().contains("rude words here"));
    assert!(
        q.text().contains("1 条待审") || q.text().contains("1 waiting"),
        "the staff header counts what waits"
    );
    assert!(
        q.text().contains("同意并隐藏") || q.text().contains("Agree and hide"),
        "a post still shown is not said to stay hidden"
    );
    let review = app
        .client()
        .with_bearer(&app.user_with_role("second", Role::Moderator).await.1)
        .get("/api/v1/mod/queue")
        .await
        .json()["items"][0]["id"]
        .as_i64()
        .unwrap();
    let r = warden
        .post_form(
            &format!("/mod/queue/{review}"),
            &[("decision", "agree"), ("note", "clear abuse")],
        )
        .await;
    assert_eq!(r.status, 303);
    assert!(!warden.get("/mod").await.text().contains("rude words here"));
    // The flagger hears the outcome where they read their notifications.
    let bell = fan.get("/notifications").await.text();
    assert!(
        bell.contains("感谢举报：你举报的") || bell.contains("Thanks for flagging"),
        "{bell}"
    );

    // Topic tools from the page, a reason for post tools, and the log shows it all.
    let r = warden
        .post_form(
            &format!("/t/{topic}/mod"),
            &[("action", "feature"), ("reason", "great tip")],
        )
        .await;
    assert_eq!(r.status, 303);
    assert_eq!(
        fan.post_form(&format!("/t/{topic}/mod"), &[("action", "lock")])
            .await
            .status,
        404
    );
    let log = warden.get("/mod/log").await.text();
    // In words, not codes.
    assert!(
        log.contains("设为精华") && log.contains("举报成立"),
        "{log}"
    );
    assert!(!log.contains("feature_topic") && !log.contains("review_agree"));

    // Honor and profile pages: the feature's 20 points, minus the hidden post's 10.
    let profile = app.client().get("/u/poster").await.text();
    assert!(profile.contains("10"), "{profile}");
    let honor = app.client().get("/honor?period=all").await;
    assert_eq!(honor.status, 200);
    assert!(honor.text().contains("poster"));
    assert_eq!(
        app.client()
            .get("/honor?period=bogus&board=nope")
            .await
            .status,
        200
    );

    // Sanctions from the profile page, staff only. An unknown action is a 404, as in the API,
    // not a silence.
    let r = warden
        .post_form(
            "/u/poster/sanction",
            &[
                ("action", "bogus"),
                ("days", "2"),
                ("reason", "not an action"),
            ],
        )
        .await;
    assert_eq!(r.status, 404);
    assert!(!warden
        .get("/u/poster")
        .await
        .text()
        .contains("not an action"));
    let r = warden
        .post_form(
            "/u/poster/sanction",
            &[
                ("action", "silence"),
                ("days", "2"),
                ("reason", "cool down"),
            ],
        )
        .await;
    assert_eq!(r.status, 303);
    assert!(warden.get("/u/poster").await.text().contains("cool down"));
    assert_eq!(
        fan.post_form(
            "/u/poster/sanction",
            &[("action", "suspend"), ("days", "2"), ("reason", "x")]
        )
        .await
        .status,
        404
    );
}

/// From the queue in one step: agree with the flag and silence the author for a preset time;
/// silencing without agreeing is refused and changes nothing.
#[actix_web::test]
async fn a_moderator_agrees_and_silences_in_one_step() {
    let app = TestApp::new().await;
    app.seed_boards().await;
    let (_, writer) = app.member("loud_writer").await;
    let (_, flagger) = app.member("careful_reader").await;
    let (topic, root) = app
        .topic(&writer, "tips", "Buy now", "cheap phones here")
        .await;
    let r = app
        .client()
        .with_bearer(&flagger)
        .post_json(
            &format!("/api/v1/posts/{root}/flags"),
            json!({"reason": "spam"}),
        )
        .await;
    assert!(r.status.is_success(), "{}", r.text());
    let warden = app.logged_in("warden2", Role::Moderator).await;
    let page = warden.get("/mod").await.text();
    assert!(page.contains("name=\"silence_days\"") && page.contains("#sanctions"));
    let review = app
        .client()
        .with_bearer(&app.user_with_role("second2", Role::Moderator).await.1)
        .get("/api/v1/mod/queue")
        .await
        .json()["items"][0]["id"]
        .as_i64()
        .unwrap();
    let r = warden
        .post_form(
            &format!("/mod/queue/{review}"),
            &[("decision", "disagree"), ("silence_days", "7")],
        )
        .await;
    assert_eq!(r.status, 422, "silence goes with agree only");
    let r = warden
        .post_form(
            &format!("/mod/queue/{review}"),
            &[
                ("decision", "agree"),
                ("silence_days", "7"),
                ("note", "spam"),
            ],
        )
        .await;
    assert_eq!(r.status, 303);
    let r = app
        .client()
        .with_bearer(&writer)
        .post_json(
            &format!("/api/v1/topics/{topic}/posts"),
            json!({"body": "again"}),
        )
        .await;
    assert_eq!(r.status, 403, "silenced: {}", r.text());
}
