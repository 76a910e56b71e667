//! Bad input gets a clear 4xx in the documented error shape, never a 500.

use crate::support::TestApp;
use serde_json::json;

fn assert_error_shape(r: &crate::support::Resp, what: &str) {
    assert!(
        r.status.is_client_error(),
        "{what}: expected 4xx, got {} {}",
        r.status,
        r.text()
    );
    let v = r.json();
    assert!(
        v["error"]["code"].is_string(),
        "{what}: no error.code in {v}"
    );
    assert!(
        v["error"]["message"].is_string(),
        "{what}: no error.message in {v}"
    );
}

#[actix_web::test]
async fn register_rejects_every_kind_of_bad_body_with_the_error_shape() {
    let app = TestApp::new().await;
    let c = app.client();
    let long = "x".repeat(300);
    let cases: Vec<(&str, serde_json::Value, u16)> = vec![
        ("missing fields", json!({}), 422),
        (
            "missing password",
            json!({"username": "abc", "email": "a@b.co", "accept_privacy": true}),
            422,
        ),
        (
            "wrong type",
            json!({"username": 5, "email": "a@b.co", "password": "long-enough-1", "accept_privacy": true}),
            422,
        ),
        (
            "accept as string",
            json!({"username": "abc", "email": "a@b.co", "password": "long-enough-1", "accept_privacy": "yes"}),
            422,
        ),
        (
            "unknown field",
            json!({"username": "abc", "email": "a@b.co", "password": "long-enough-1", "accept_privacy": true, "is_admin": true}),
            422,
        ),
        (
            "privacy refused",
            json!({"username": "abc", "email": "a@b.co", "password": "long-enough-1", "accept_privacy": false}),
            422,
        ),
        (
            "long username",
            json!({"username": long, "email": "a@b.co", "password": "long-enough-1", "accept_privacy": true}),
            422,
        ),
        (
            "short username",
            json!({"username": "ab", "email": "a@b.co", "password": "long-enough-1", "accept_privacy": true}),
            422,
        ),
        (
            "markup username",
            json!({"username": "<b>x</b>", "email": "a@b.co", "password": "long-enough-1", "accept_privacy": true}),
            422,
        ),
        (
            "bad email",
            json!({"username": "abc", "email": "not-an-email", "password": "long-enough-1", "accept_privacy": true}),
            422,
        ),
        (
            "header injection email",
            json!({"username": "abc", "email": "a@b.co\r\nBcc: x@y.z", "password": "long-enough-1", "accept_privacy": true}),
            422,
        ),
        (
            "long email",
            json!({"username": "abc", "email": format!("{long}@b.co"), "password": "long-enough-1", "accept_privacy": true}),
            422,
        ),
        (
            "weak password",
            json!({"username": "abc", "email": "a@b.co", "password": "12345678", "accept_privacy": true}),
            422,
        ),
        (
            "short password",
            json!({"username": "abc", "email": "a@b.co", "password": "short", "accept_privacy": true}),
            422,
        ),
        (
            "long password",
            json!({"username": "abc", "email": "a@b.co", "password": "y1".repeat(65), "accept_privacy": true}),
            422,
        ),
        ("array body", json!([1, 2, 3]), 422),
        ("null body", json!(null), 422),
    ];
    for (what, body, status) in cases {
        let r = c.post_json("/api/v1/auth/register", body).await;
        assert_error_shape(&r, what);
        assert_eq!(r.status.as_u16(), status, "{what}: {}", r.text());
    }
    // Field-level messages name the field.
    let r = c
        .post_json(
            "/api/v1/auth/register",
            json!({"username": "ab", "email": "nope", "password": "x", "accept_privacy": false}),
        )
        .await;
    let fields = &r.json()["error"]["fields"];
    for f in ["username", "email", "password", "accept_privacy"] {
        assert!(fields[f].is_string(), "no message for {f}: {fields}");
    }
    let r = c
        .post_json("/api/v1/auth/register", json!({"username": "abc"}))
        .await;
    assert!(
        r.json()["error"]["fields"]["email"].is_string(),
        "missing field is named: {}",
        r.text()
    );
}

#[actix_web::test]
async fn malformed_json_wrong_content_type_and_huge_bodies_are_4xx() {
    let app = TestApp::new().await;
    let c = app.client();
    for (what, body) in [
        ("truncated", "{\"username\": \"abc\""),
        ("not json", "username=abc"),
        ("trailing comma", "{\"username\": \"abc\",}"),
        ("empty", ""),
        ("bad utf8 escape", "{\"username\": \"\\uD800\"}"),
    ] {
        let r = c
            .post_raw("/api/v1/auth/register", "application/json", body)
            .await;
        assert_error_shape(&r, what);
        assert_eq!(r.status, 400, "{what}");
        assert_eq!(r.code(), "malformed_json", "{what}");
    }
    let r = c
        .post_raw(
            "/api/v1/auth/login",
            "text/plain",
            "{\"login\":\"a\",\"password\":\"b\"}",
        )
        .await;
    assert_error_shape(&r, "text/plain");
    let huge = format!("{{\"username\": \"{}\"}}", "x".repeat(2 * 1024 * 1024));
    let r = c
        .post_raw("/api/v1/auth/register", "application/json", huge)
        .await;
    assert_eq!(r.status, 413);
    assert_eq!(r.code(), "payload_too_large");
}

#[actix_web::test]
async fn odd_login_and_token_inputs_are_4xx() {
    let app = TestApp::new().await;
    let c = app.client();
    for body in [
        json!({"login": "", "password": ""}),
        json!({"login": "x".repeat(10_000), "password": "whatever-long"}),
        json!({"login": "abc", "password": "p".repeat(10_000)}),
        json!({"login": "\u{0000}\u{202e}", "password": "whatever-long"}),
    ] {
        let nul = body["login"].as_str().is_some_and(|l| l.contains('\0'));
        let r = c.post_json("/api/v1/auth/login", body).await;
        assert_error_shape(&r, "login");
        // NUL is refused at the edge, before any account is looked up.
        assert_eq!(r.status, if nul { 400 } else { 401 });
    }
    for token in [
        "",
        "short",
        &"z".repeat(64),
        &"a".repeat(5000),
        "'; DROP TABLE users; --",
    ] {
        let r = c
            .post_json("/api/v1/auth/verify", json!({ "token": token }))
            .await;
        assert_error_shape(&r, "verify");
        assert_eq!(r.code(), "invalid_token");
    }
    let r = c
        .post_json(
            "/api/v1/auth/password-reset",
            json!({"email": "a@b.co", "token": "x"}),
        )
        .await;
    assert_error_shape(&r, "mixed reset body");
    let r = c.post_json("/api/v1/auth/password-reset", json!({})).await;
    assert_error_shape(&r, "empty reset body");
}

#[actix_web::test]
async fn unknown_paths_are_404_in_the_right_format() {
    let app = TestApp::new().await;
    let c = app.client();
    let api = c.get("/api/v1/does-not-exist").await;
    assert_eq!(api.status, 404);
    assert_eq!(api.code(), "not_found");
    let page = c.get("/no/such/page").await;
    assert_eq!(page.status, 404);
    assert!(page
        .header("content-type")
        .unwrap()
        .starts_with("text/html"));
    let traversal = c.get("/static/../../Cargo.toml").await;
    assert_eq!(traversal.status, 404);
    let wrong_method = c
        .send(actix_web::test::TestRequest::delete().uri("/api/v1/me"))
        .await;
    assert!(wrong_method.status.is_client_error());
}

#[actix_web::test]
async fn bad_form_posts_re_show_the_form_not_an_error() {
    let app = TestApp::new().await;
    let c = app.client();
    let r = c
        .post_form(
            "/login",
            &[("login", "nobody"), ("password", "wrong-password")],
        )
        .await;
    assert_eq!(r.status, 401);
    assert!(r.text().contains("<form"), "the login form is shown again");
    let r = c
        .post_form("/reset-password", &[("email", "not an email")])
        .await;
    assert_eq!(r.status, 422);
    assert!(r.text().contains("<form"));
    let r = c
        .post_form("/settings/language", &[("lang", "klingon")])
        .await;
    assert_eq!(r.status, 422);
}

#[actix_web::test]
async fn moderation_and_honor_endpoints_answer_hostile_input_with_4xx() {
    use chorus::accounts::Role;
    let app = TestApp::new().await;
    app.seed_boards().await;
    let (_, member) = app.member("someone").await;
    let (topic, post) = app.topic(&member, "tips", "Target", "text").await;
    let (_, staff) = app.user_with_role("warden", Role::Moderator).await;
    let long = "长".repeat(5000);
    let bodies = [
        json!({}),
        json!({"reason": 5}),
        json!({"reason": "spam", "note": long}),
        json!({"reason": "\u{0000}"}),
        json!({"decision": ["agree"]}),
        json!({"days": -3, "reason": "x"}),
        json!({"days": 99999999999i64, "reason": "x"}),
        json!({"days": "ten", "reason": "x"}),
        json!({"reason": long}),
        json!({"board": {"slug": "x"}}),
        json!({"body": "", "reason": "x"}),
        json!({"unexpected": true}),
        json!([1, 2, 3]),
    ];
    let paths = [
        format!("/api/v1/posts/{post}/flags"),
        "/api/v1/posts/999999/flags".to_string(),
        "/api/v1/mod/queue/1".to_string(),
        "/api/v1/mod/queue/-1".to_string(),
        format!("/api/v1/mod/posts/{post}/hide"),
        format!("/api/v1/mod/posts/{post}/edit"),
        format!("/api/v1/mod/posts/{post}/explode"),
        format!("/api/v1/mod/topics/{topic}/move"),
        format!("/api/v1/mod/topics/{topic}/lock"),
        "/api/v1/mod/users/someone/suspend".to_string(),
        "/api/v1/mod/users/someone/silence".to_string(),
        "/api/v1/mod/users/%00/silence".to_string(),
        "/api/v1/admin/users/someone/title".to_string(),
        "/api/v1/me/checkin".to_string(),
    ];
    for token in [&member, &staff] {
        for path in &paths {
            for body in &bodies {
                let r = app
                    .client()
                    .with_bearer(token)
                    .post_json(path, body.clone())
                    .await;
                assert!(
                    r.status.is_client_error() || r.status.is_success(),
                    "{path} {body}: {} {}",
                    r.status,
                    r.text()
                );
                if r.status.is_client_error() && r.status != 404 {
                    assert_error_shape(&r, path);
                }
            }
        }
    }
    for q in [
        "/api/v1/honor/leaderboard?period=%00",
        "/api/v1/honor/leaderboard?board=%27%3B--",
        "/api/v1/mod/log?cursor=abc",
        "/api/v1/mod/log?user=nobody",
        "/api/v1/users/%E2%80%AE",
        "/honor?period=x&board=%00",
        "/u/%00",
    ] {
        let r = app.client().with_bearer(&staff).get(q).await;
        assert!(r.status.as_u16() < 500, "{q}: {}", r.status);
    }
}

#[actix_web::test]
async fn the_data_rights_and_operations_endpoints_answer_bad_input_with_4xx() {
    use actix_web::http::Method;
    let app = TestApp::new().await;
    app.seed_boards().await;
    let (me, t) = app.member("careful").await;
    let (_, admin) = app
        .user_with_role("boss_admin", chorus::accounts::Role::Admin)
        .await;
    let c = app.client().with_bearer(&t);
    let a = app.client().with_bearer(&admin);
    let huge = "x".repeat(600);
    let cases = vec![
        (
            "erase: no body field",
            c.json(Method::DELETE, "/api/v1/me", json!({})).await,
        ),
        (
            "erase: wrong type",
            c.json(Method::DELETE, "/api/v1/me", json!({"password": 5}))
                .await,
        ),
        (
            "erase: unknown field",
            c.json(
                Method::DELETE,
                "/api/v1/me",
                json!({"password": "x", "y": 1}),
            )
            .await,
        ),
        (
            "erase: huge wrong password",
            c.json(
                Method::DELETE,
                "/api/v1/me",
                json!({"password": "p".repeat(100_000)}),
            )
            .await,
        ),
        (
            "consent: missing version",
            c.post_json("/api/v1/me/consent", json!({})).await,
        ),
        (
            "consent: wrong type",
            c.post_json("/api/v1/me/consent", json!({"version": 2027}))
                .await,
        ),
        (
            "consent: control characters",
            c.post_json("/api/v1/me/consent", json!({"version": "\u{0}\u{7}"}))
                .await,
        ),
        (
            "admin erase: missing reason",
            a.post_json("/api/v1/admin/users/careful/erase", json!({}))
                .await,
        ),
        (
            "admin erase: reason too long",
            a.post_json("/api/v1/admin/users/careful/erase", json!({"reason": huge}))
                .await,
        ),
        (
            "admin erase: nobody",
            a.post_json(
                "/api/v1/admin/users/%00nobody/erase",
                json!({"reason": "x"}),
            )
            .await,
        ),
        (
            "webhook log: bad limit",
            a.get("/api/v1/admin/webhooks?limit=many").await,
        ),
        (
            "delete post: not a number",
            c.json(Method::DELETE, "/api/v1/posts/abc", json!({})).await,
        ),
        (
            "delete post: missing",
            c.json(Method::DELETE, "/api/v1/posts/999999", json!({}))
                .await,
        ),
    ];
    for (what, r) in &cases {
        assert_error_shape(r, what);
    }
    for path in [
        "/exports/zz",
        "/exports/%00",
        &format!("/exports/{}", "a".repeat(64)),
    ] {
        let r = c.get(path).await;
        let expected = if path.contains("%00") { 400 } else { 404 };
        assert_eq!(r.status, expected, "{path}");
    }
    let r = a.get("/api/v1/admin/webhooks?limit=-5").await;
    assert_eq!(r.status, 200, "a limit out of range is clamped");
    // Nothing was lost along the way: the account is intact and can still sign in.
    assert_eq!(c.get("/api/v1/me").await.json()["id"], me.id);
}
