use crate::support::TestApp;
use actix_web::test::TestRequest;
use serde_json::json;

#[actix_web::test]
async fn cookie_authenticated_writes_need_the_csrf_token() {
    let app = TestApp::new().await;
    app.member("kim").await;
    let c = app.client();
    let login = c
        .post_json(
            "/api/v1/auth/login",
            json!({"login": "kim", "password": "long-enough-secret"}),
        )
        .await;
    assert_eq!(login.status, 200);

    // A forged cross-site request carries the cookies but cannot know the token.
    let forged = c.send(TestRequest::post().uri("/api/v1/auth/logout")).await;
    assert_eq!(forged.status, 403);
    assert_eq!(forged.code(), "csrf_failed");
    let wrong = c
        .send(
            TestRequest::post()
                .uri("/api/v1/auth/logout")
                .insert_header(("X-CSRF-Token", "0".repeat(64))),
        )
        .await;
    assert_eq!(wrong.status, 403);
    assert_eq!(c.get("/api/v1/me").await.status, 200, "still logged in");

    // Forms: the field is required too, even without a session.
    let anon = app.client();
    anon.csrf().await;
    let form = anon
        .post_raw(
            "/login",
            "application/x-www-form-urlencoded",
            "login=kim&password=long-enough-secret",
        )
        .await;
    assert_eq!(form.status, 403);
    assert!(
        form.header("content-type")
            .unwrap()
            .starts_with("text/html"),
        "pages get an HTML error"
    );

    // With the token, it works.
    assert_eq!(
        c.post_json("/api/v1/auth/logout", json!({})).await.status,
        204
    );
}

#[actix_web::test]
async fn bearer_calls_need_no_csrf_token() {
    let app = TestApp::new().await;
    let (_, token) = app.member("lee").await;
    // With a session cookie beside it too: the bearer is what authenticates, never the cookie.
    let (_, other) = app.member("moss").await;
    let both = app.client().with_bearer(&token);
    let r = both
        .send(
            TestRequest::post()
                .uri("/api/v1/notifications/read")
                .insert_header(("Cookie", format!("chorus_session={other}")))
                .set_json(json!({})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let c = app.client().with_bearer(&token);
    let r = c.send(TestRequest::post().uri("/api/v1/auth/logout")).await;
    assert_eq!(r.status, 204);
    assert_eq!(c.get("/api/v1/me").await.status, 401);
}

#[actix_web::test]
async fn every_response_carries_the_security_headers() {
    let app = TestApp::new().await;
    let c = app.client();
    for path in ["/", "/login", "/api/v1/me", "/healthz", "/nope"] {
        let r = c.get(path).await;
        let csp = r.header("content-security-policy").unwrap_or_default();
        assert!(
            csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
            "{path}: {csp}"
        );
        assert!(csp.contains("frame-ancestors 'none'"), "{path}");
        assert_eq!(
            r.header("x-content-type-options").as_deref(),
            Some("nosniff"),
            "{path}"
        );
        assert!(r.header("referrer-policy").is_some(), "{path}");
        assert!(r.header("x-request-id").is_some(), "{path}");
    }
    let css = c.get("/static/style.css").await;
    assert_eq!(css.status, 200);
    assert!(css.header("cache-control").unwrap().contains("max-age"));
    assert!(css.header("content-type").unwrap().starts_with("text/css"));
    // Pages use no inline script.
    let html = c.get("/register").await.text();
    assert!(
        !html.contains("<script>") && !html.contains("onclick"),
        "no inline script"
    );
}

#[actix_web::test]
async fn failures_inside_answer_500_with_a_request_id_and_no_internal_text() {
    let app = TestApp::new().await;
    let (_, token) = app.member("max").await;
    // Break the database under the app: the query fails unexpectedly.
    {
        use diesel_async::RunQueryDsl;
        let mut conn = app.conn().await;
        diesel::sql_query("ALTER TABLE users RENAME COLUMN locale TO locale_gone")
            .execute(&mut conn)
            .await
            .unwrap();
    }
    let r = app.client().with_bearer(&token).get("/api/v1/me").await;
    assert_eq!(r.status, 500);
    let body = r.text();
    assert_eq!(r.code(), "internal_error");
    let id = r.json()["error"]["request_id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(Some(id), r.header("x-request-id"));
    for leak in ["locale", "column", "users", "diesel", "SELECT", "postgres"] {
        assert!(!body.contains(leak), "the body leaks {leak}: {body}");
    }
    let page = app.client().with_bearer(&token).get("/settings").await;
    assert_eq!(page.status, 500);
    assert!(!page.text().contains("locale_gone") && !page.text().contains("column"));
}

#[actix_web::test]
async fn login_attempts_are_limited_per_account_and_per_address() {
    let app = TestApp::with_settings(|s| {
        s.rate_limits.login_per_account.max = 5;
        s.rate_limits.login_per_ip.max = 8;
    })
    .await;
    app.align_clock(900);
    app.member("nina").await;
    let c = app.client_from("10.1.1.1");
    for _ in 0..5 {
        let r = c
            .post_json(
                "/api/v1/auth/login",
                json!({"login": "nina", "password": "wrong-password"}),
            )
            .await;
        assert_eq!(r.status, 401);
    }
    let limited = c
        .post_json(
            "/api/v1/auth/login",
            json!({"login": "NINA", "password": "long-enough-secret"}),
        )
        .await;
    assert_eq!(limited.status, 429);
    assert_eq!(limited.code(), "rate_limited");
    let retry: i64 = limited.header("retry-after").unwrap().parse().unwrap();
    assert!(retry > 0 && retry <= 900);
    // Another address is limited for the account too (the guessing target is the account).
    let other = app.client_from("10.2.2.2");
    assert_eq!(
        other
            .post_json(
                "/api/v1/auth/login",
                json!({"login": "nina", "password": "long-enough-secret"})
            )
            .await
            .status,
        429
    );
    // Once the sliding window has passed (the last window's hits weigh until its end plus one
    // more window), the right password works.
    app.clock.advance(chrono::Duration::seconds(1801));
    assert_eq!(
        other
            .post_json(
                "/api/v1/auth/login",
                json!({"login": "nina", "password": "long-enough-secret"})
            )
            .await
            .status,
        200
    );

    // Per address: many accounts from one address.
    let spray = app.client_from("10.3.3.3");
    let mut statuses = vec![];
    for i in 0..10 {
        let r = spray
            .post_json(
                "/api/v1/auth/login",
                json!({"login": format!("user{i}"), "password": "whatever-long"}),
            )
            .await;
        statuses.push(r.status.as_u16());
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 429).count(),
        2,
        "{statuses:?}"
    );
}

#[actix_web::test]
async fn registration_resend_and_reset_are_rate_limited() {
    let app = TestApp::with_settings(|s| {
        s.rate_limits.register_per_ip.max = 2;
        s.rate_limits.reset_per_email.max = 2;
    })
    .await;
    app.align_clock(3600);
    let c = app.client_from("10.9.9.9");
    for (i, expect) in [(0, 201), (1, 201), (2, 429)] {
        let r = c
            .post_json(
                "/api/v1/auth/register",
                json!({"username": format!("reg{i}"), "email": format!("reg{i}@example.com"), "password": "a-long-passphrase", "accept_privacy": true}),
            )
            .await;
        assert_eq!(r.status, expect, "{}", r.text());
    }
    let mut codes = vec![];
    for _ in 0..3 {
        codes.push(
            c.post_json(
                "/api/v1/auth/password-reset",
                json!({"email": "reg0@example.com"}),
            )
            .await
            .status
            .as_u16(),
        );
    }
    assert_eq!(codes, vec![202, 202, 429]);
    assert_eq!(
        app.outbox_for("reg0@example.com").await.len(),
        3,
        "one verify + two reset mails"
    );

    let login = c
        .post_json(
            "/api/v1/auth/login",
            json!({"login": "reg1", "password": "a-long-passphrase"}),
        )
        .await;
    assert_eq!(login.status, 200);
    let mut resends = vec![];
    for _ in 0..4 {
        resends.push(
            c.post_json("/api/v1/auth/resend-verification", json!({}))
                .await
                .status
                .as_u16(),
        );
    }
    assert_eq!(resends, vec![202, 202, 202, 429]);
}

#[actix_web::test]
async fn a_spoofed_forwarded_for_header_does_not_escape_a_limit() {
    let app = TestApp::with_settings(|s| s.rate_limits.login_per_ip.max = 3).await;
    app.align_clock(900);
    let c = app.client_from("10.4.4.4");
    let mut last = 0;
    for i in 0..5 {
        let req = TestRequest::post()
            .uri("/api/v1/auth/login")
            .insert_header(("X-Forwarded-For", format!("192.0.2.{i}")))
            .set_json(json!({"login": format!("who{i}"), "password": "whatever-long"}));
        last = c.send(req).await.status.as_u16();
    }
    assert_eq!(last, 429, "the header must not change the key");

    // Behind a configured proxy the header is believed.
    let proxied = TestApp::with_settings(|s| {
        s.rate_limits.login_per_ip.max = 3;
        s.trusted_proxies = vec!["10.5.5.5".parse().unwrap()];
    })
    .await;
    proxied.align_clock(900);
    let via_proxy = proxied.client_from("10.5.5.5");
    for i in 0..5 {
        let req = TestRequest::post()
            .uri("/api/v1/auth/login")
            .insert_header(("X-Forwarded-For", format!("192.0.2.{i}")))
            .set_json(json!({"login": format!("who{i}"), "password": "whatever-long"}));
        assert_eq!(
            via_proxy.send(req).await.status,
            401,
            "each real client has its own budget"
        );
    }
}

#[actix_web::test]
async fn language_follows_accept_language_then_the_switch_then_the_account() {
    let app = TestApp::new().await;
    let c = app.client();
    let en = c
        .send(
            TestRequest::get()
                .uri("/login")
                .insert_header(("Accept-Language", "en-US,en;q=0.9")),
        )
        .await;
    assert!(en.text().contains("<html lang=\"en\">"));
    assert!(en.text().contains("Log in"));
    let zh = c
        .send(
            TestRequest::get()
                .uri("/login")
                .insert_header(("Accept-Language", "zh-CN,zh;q=0.9")),
        )
        .await;
    assert!(zh.text().contains("<html lang=\"zh-CN\">"));
    assert!(zh.text().contains("登录"));
    // The switch sets a cookie that wins over the header.
    let switched = c
        .post_form("/settings/language", &[("lang", "en"), ("back", "/login")])
        .await;
    assert_eq!(switched.status, 303);
    let page = c
        .send(
            TestRequest::get()
                .uri("/login")
                .insert_header(("Accept-Language", "zh-CN")),
        )
        .await;
    assert!(page.text().contains("<html lang=\"en\">"));
    // A signed-in user's saved choice wins over both.
    let (_, token) = app.member("olga").await;
    let api = app.client().with_bearer(&token);
    assert_eq!(
        api.json(
            actix_web::http::Method::PATCH,
            "/api/v1/me",
            json!({"locale": "zh-CN"})
        )
        .await
        .status,
        200
    );
    let mine = api
        .send(
            TestRequest::get()
                .uri("/")
                .insert_header(("Accept-Language", "en")),
        )
        .await;
    assert!(mine.text().contains("<html lang=\"zh-CN\">"));
}

#[actix_web::test]
async fn health_and_metrics_answer() {
    let app = TestApp::new().await;
    let c = app.client();
    assert_eq!(c.get("/healthz").await.status, 200);
    c.get("/nope").await;
    let m = c.get("/metrics").await;
    assert_eq!(m.status, 200);
    let text = m.text();
    assert!(text.contains("chorus_http_requests_total{class=\"4xx\"}"));
    assert!(text.contains("chorus_db_pool_size"));
    assert!(text.contains("chorus_http_request_duration_seconds_bucket"));
}

/// The outside sweep's open redirect: browsers drop tabs, so `/\t/evil.example` is
/// `//evil.example`. After sign-in and after a language switch, only same-origin paths are
/// followed.
#[actix_web::test]
async fn next_and_back_follow_only_same_origin_paths_as_browsers_read_them() {
    let app = TestApp::new().await;
    app.member("redirected").await;
    for (next, expected) in [
        ("/\t/evil.example", "/"),
        ("/\\evil.example", "/"),
        ("//evil.example", "/"),
        ("/\n/evil.example", "/"),
        ("https://evil.example/", "/"),
        ("/t/5?x=1#p3", "/t/5?x=1#p3"),
        (
            "/search?q=%E7%9B%B8%E6%9C%BA",
            "/search?q=%E7%9B%B8%E6%9C%BA",
        ),
    ] {
        let c = app.client();
        let r = c
            .post_form(
                "/login",
                &[
                    ("login", "redirected"),
                    ("password", "long-enough-secret"),
                    ("next", next),
                ],
            )
            .await;
        assert_eq!(r.status, 303, "{next:?}: {}", r.text());
        assert_eq!(r.header("location").as_deref(), Some(expected), "{next:?}");
        let r = c
            .post_form("/settings/language", &[("lang", "en"), ("back", next)])
            .await;
        assert_eq!(
            r.header("location").as_deref(),
            Some(expected),
            "back {next:?}"
        );
    }
    // The exact request of the report.
    let page = app
        .client()
        .get("/login?next=/%09/evil.example")
        .await
        .text();
    let field = page
        .split(r#"name="next" value=""#)
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap();
    assert!(
        field == "/" || field == "&#x2f;",
        "the form carries only a safe target: {field}"
    );
}

/// NUL bytes are refused once, at the edge, with a 400: in the path, the query, JSON and forms.
#[actix_web::test]
async fn nul_bytes_are_refused_at_the_edge_with_a_400() {
    let app = TestApp::new().await;
    app.seed_boards().await;
    let (_, t) = app.member("nul_tester").await;
    let c = app.client().with_bearer(&t);
    for path in [
        "/b/a%00b",
        "/api/v1/boards/a%00b/topics",
        "/api/v1/honor/leaderboard?board=a%00b",
        "/search?q=x%00y",
    ] {
        let r = c.get(path).await;
        assert_eq!(r.status, 400, "{path}: {}", r.text());
        if path.starts_with("/api/") {
            assert_eq!(r.code(), "nul_byte", "{path}");
        }
    }
    let r = c
        .post_json(
            "/api/v1/topics",
            serde_json::json!({"board": "pho\u{0}nes", "kind": "discussion", "title": "t", "body": "b"}),
        )
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (400, "nul_byte".to_string()));
    let form = app.client();
    let r = form
        .post_form("/login", &[("login", "a\u{0}b"), ("password", "x")])
        .await;
    assert_eq!(r.status, 400);
    // Ordinary text with a backslash or a percent sign is untouched.
    let r = c
        .post_json(
            "/api/v1/topics",
            serde_json::json!({"board": "tips", "kind": "discussion", "title": "100% C:\\u0041", "body": "fine"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
}

/// Search has a limit per address; 150 requests in a row are not all answered.
#[actix_web::test]
async fn search_is_rate_limited_per_address() {
    let app = TestApp::with_settings(|s| {
        s.rate_limits.search_per_ip = chorus::config::Limit { max: 20, secs: 60 };
    })
    .await;
    let c = app.client_from("203.0.113.9");
    let mut answered = 0;
    let mut limited = None;
    for _ in 0..150 {
        let r = c.get("/api/v1/search?q=camera").await;
        match r.status.as_u16() {
            200 => answered += 1,
            429 => {
                limited = r.header("retry-after");
                break;
            }
            other => panic!("{other}: {}", r.text()),
        }
    }
    assert_eq!(answered, 20);
    assert!(limited.is_some(), "429 with Retry-After");
    // Another address is not affected.
    assert_eq!(
        app.client_from("203.0.113.10")
            .get("/search?q=camera")
            .await
            .status,
        200
    );
}

/// A sliding window: a burst at the end of one window and the start of the next does not get
/// twice the limit through.
#[actix_web::test]
async fn limits_do_not_double_across_a_window_boundary() {
    let app = TestApp::new().await;
    let mut conn = app.conn().await;
    let limit = chorus::config::Limit { max: 10, secs: 60 };
    // 59 s into a window.
    let base = chrono::DateTime::from_timestamp(1_800_000_000 / 60 * 60 + 59, 0).unwrap();
    let mut passed = 0;
    for i in 0..10 {
        let now = base + chrono::Duration::milliseconds(i * 10);
        passed += chorus::rate_limits::hit(&mut conn, "burst:ip:x", limit, now)
            .await
            .unwrap()
            .is_ok() as i32;
    }
    // Two seconds later, a new clock window.
    for i in 0..10 {
        let now = base + chrono::Duration::seconds(2) + chrono::Duration::milliseconds(i * 10);
        passed += chorus::rate_limits::hit(&mut conn, "burst:ip:x", limit, now)
            .await
            .unwrap()
            .is_ok() as i32;
    }
    assert!(
        passed <= 11,
        "{passed} of 20 got through within 3 s (limit 10 a minute)"
    );
}

/// `/metrics` answers only with the configured bearer token (or, without one, to loopback).
#[actix_web::test]
async fn metrics_want_the_token_or_a_loopback_peer() {
    let app = TestApp::new().await;
    assert_eq!(
        app.client_from("198.51.100.7").get("/metrics").await.status,
        404
    );
    assert_eq!(
        app.client().get("/metrics").await.status,
        200,
        "loopback, no token set"
    );
    let app = TestApp::with_settings(|s| s.metrics_token.0 = "scrape-secret".into()).await;
    assert_eq!(
        app.client().get("/metrics").await.status,
        404,
        "a token is set: it is needed"
    );
    assert_eq!(
        app.client()
            .with_bearer("wrong")
            .get("/metrics")
            .await
            .status,
        404
    );
    let r = app
        .client_from("198.51.100.7")
        .with_bearer("scrape-secret")
        .get("/metrics")
        .await;
    assert_eq!(r.status, 200);
    assert!(r.text().contains("chorus_db_pool_size"));
}

/// `PATCH /api/v1/posts/{id}` by staff on someone else's post is refused: the moderator edit
/// (reason required, logged) is the way.
#[actix_web::test]
async fn staff_cannot_patch_someone_elses_post_without_the_moderator_edit() {
    let app = TestApp::new().await;
    app.seed_boards().await;
    let (_, author) = app.member("patch_author").await;
    let (_, admin) = app
        .user_with_role("patch_admin", chorus::accounts::Role::Admin)
        .await;
    let (_, post) = app.topic(&author, "tips", "Mine", "my words").await;
    let r = app
        .client()
        .with_bearer(&admin)
        .json(
            actix_web::http::Method::PATCH,
            &format!("/api/v1/posts/{post}"),
            serde_json::json!({ "body": "words put in my mouth" }),
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.text());
    let (topic, _) = (post, ());
    let _ = topic;
    let mut conn = app.conn().await;
    use diesel::prelude::*;
    use diesel_async::RunQueryDsl;
    let body: String = chorus::db::schema::posts::table
        .find(post)
        .select(chorus::db::schema::posts::body_md)
        .first(&mut conn)
        .await
        .unwrap();
    assert_eq!(body, "my words");
}

#[actix_web::test]
async fn registering_a_taken_address_answers_as_a_new_one_and_mails_its_owner() {
    let app = TestApp::new().await;
    app.member("owner").await;
    let c = app.client();
    let body = |name: &str, email: &str| json!({"username": name, "email": email, "password": "a-long-passphrase", "accept_privacy": true});
    // The sweep's request: this used to answer 409 "is already registered".
    let taken = c
        .post_json(
            "/api/v1/auth/register",
            body("newcomer", "owner@example.com"),
        )
        .await;
    let fresh = c
        .post_json(
            "/api/v1/auth/register",
            body("newcomer2", "fresh@example.com"),
        )
        .await;
    assert_eq!(taken.status, 201, "{}", taken.text());
    assert_eq!(taken.status, fresh.status);
    let mut shape = fresh.json();
    shape["user"]["username"] = json!("newcomer");
    shape["user"]["email"] = json!("owner@example.com");
    assert_eq!(taken.json(), shape, "alike but for what was typed");
    assert!(!taken.text().contains("registered"));

    // The owner hears of it, with a way back in; no verification link goes anywhere for it.
    let mails = app.outbox_for("owner@example.com").await;
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert!(mails[0].contains("/reset-password"), "{}", mails[0]);
    assert!(!mails[0].contains("/verify?token="));
    assert_eq!(app.outbox_for("fresh@example.com").await.len(), 1);

    // The form alike: neither signs in (a session for the new one would tell them apart).
    for (name, email) in [
        ("formtaken", "owner@example.com"),
        ("formfresh", "form@example.com"),
    ] {
        let c = app.client();
        let r = c
            .post_form(
                "/register",
                &[
                    ("username", name),
                    ("email", email),
                    ("password", "a-long-passphrase"),
                    ("accept_privacy", "yes"),
                ],
            )
            .await;
        assert_eq!(r.status, 200, "{email}");
        assert!(r.text().contains(email), "says where the mail went");
        assert!(r
            .header("set-cookie")
            .is_none_or(|v| !v.contains("chorus_session=")));
        assert_eq!(c.get("/api/v1/me").await.status, 401);
    }
    // The mailed link signs the new account in.
    let mail = app.outbox_for("form@example.com").await.pop().unwrap();
    let token = mail
        .split("token=")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap();
    let c = app.client();
    c.get(&format!("/verify?token={token}")).await;
    let r = c.post_form("/verify", &[("token", token)]).await;
    assert_eq!(r.status, 303, "{}", r.text());
    assert_eq!(c.get("/api/v1/me").await.json()["username"], "formfresh");
}

#[actix_web::test]
async fn look_alike_usernames_cannot_register_beside_each_other() {
    let app = TestApp::new().await;
    app.member("demo_admin").await;
    let c = app.client();
    let try_name = async |name: &str, n: u32| {
        c.post_json(
            "/api/v1/auth/register",
            json!({"username": name, "email": format!("look{n}@example.com"), "password": "a-long-passphrase", "accept_privacy": true}),
        )
        .await
    };
    // The sweep's request: a Cyrillic а (U+0430) in Latin letters.
    let r = try_name("demo_\u{430}dmin", 1).await;
    assert_eq!(r.status, 422, "{}", r.text());
    assert!(r.json()["error"]["fields"]["username"].is_string());
    // Single-script look-alikes share a skeleton with the existing name.
    for (i, name) in ["dem0_admin", "DEM0_ADMIN", "demo_adrnin"]
        .into_iter()
        .enumerate()
    {
        let r = try_name(name, 2 + i as u32).await;
        assert_eq!(r.status, 409, "{name}: {}", r.text());
    }
    // An all-Cyrillic name that reads as a Latin one, both ways round.
    assert_eq!(try_name("cope", 10).await.status, 201);
    assert_eq!(
        try_name("\u{441}\u{43e}\u{440}\u{435}", 11).await.status,
        409
    );
    // Mixed scripts that do not pass for each other stay welcome.
    assert_eq!(try_name("米粉_Alice", 12).await.status, 201);

    // Rows from before the skeleton column get one at start, and then count too.
    diesel_async::RunQueryDsl::execute(
        diesel::sql_query("UPDATE users SET username_skeleton = NULL"),
        &mut *app.conn().await,
    )
    .await
    .unwrap();
    let filled = chorus::accounts::users::fill_skeletons(&mut *app.conn().await)
        .await
        .unwrap();
    assert_eq!(filled, 3);
    assert_eq!(try_name("Dem0_admin", 13).await.status, 409);
}
