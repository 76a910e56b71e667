use crate::support::smtp::{decode_qp, SmtpServer};
use crate::support::{token_in, TestApp};
use chorus::mail::{transport::Transport, worker};
use serde_json::json;

fn register_body(name: &str) -> serde_json::Value {
    json!({ "username": name, "email": format!("{name}@example.com"), "password": "a-long-passphrase", "accept_privacy": true })
}

#[actix_web::test]
async fn register_verify_login_me_logout_through_real_smtp() {
    let app = TestApp::new().await;
    let smtp = SmtpServer::start().await;
    let c = app.client();

    let r = c
        .post_json(
            "/api/v1/auth/register",
            json!({ "username": "米粉_Alice", "email": "Alice@Example.com", "password": "a-long-passphrase", "accept_privacy": true }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(r.json()["user"]["email_verified"], false);
    assert_eq!(r.json()["user"]["username"], "米粉_Alice");

    // The verification mail goes through a real SMTP conversation.
    let mut settings = app.state.settings.mail.clone();
    settings.smtp_url.0 = smtp.url();
    let transport = Transport::from_settings(&settings, app.data_dir.path().into()).unwrap();
    let sent = worker::deliver_due(&app.state.pool, &transport, &settings, app.clock.now())
        .await
        .unwrap();
    assert_eq!(sent.sent, 1);
    let mails = smtp.received();
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].to, vec!["<alice@example.com>".to_string()]);
    assert!(
        mails[0].from.contains("no-reply@chorus.local"),
        "{}",
        mails[0].from
    );
    let body = decode_qp(&mails[0].data);
    let token = token_in(&body);

    // Login works before verification, but the account is marked unverified.
    let login = c
        .post_json(
            "/api/v1/auth/login",
            json!({"login": "米粉_alice", "password": "a-long-passphrase"}),
        )
        .await;
    assert_eq!(login.status, 200, "{}", login.text());
    let bearer = login.json()["token"].as_str().unwrap().to_string();

    let v = c
        .post_json("/api/v1/auth/verify", json!({ "token": token }))
        .await;
    assert_eq!(v.status, 200, "{}", v.text());
    assert_eq!(v.json()["user"]["email_verified"], true);

    let api = app.client().with_bearer(&bearer);
    let me = api.get("/api/v1/me").await;
    assert_eq!(me.status, 200);
    let me = me.json();
    assert_eq!(me["username"], "米粉_Alice");
    assert_eq!(me["email"], "alice@example.com");
    assert_eq!(me["role"], "member");
    assert_eq!(me["level"], 1);
    assert_eq!(me["email_verified"], true);

    let out = api.post_json("/api/v1/auth/logout", json!({})).await;
    assert_eq!(out.status, 204);
    let after = api.get("/api/v1/me").await;
    assert_eq!(after.status, 401);
    assert_eq!(after.code(), "not_logged_in");
}

#[actix_web::test]
async fn login_by_email_and_the_session_cookie_both_work() {
    let app = TestApp::new().await;
    app.member("bob").await;
    let c = app.client();
    let r = c
        .post_json(
            "/api/v1/auth/login",
            json!({"login": "BOB@example.com", "password": "long-enough-secret"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let set_cookie = r.header("set-cookie").unwrap_or_default();
    let all: Vec<String> = r
        .headers
        .get_all("set-cookie")
        .map(|v| v.to_str().unwrap().to_string())
        .collect();
    let session = all
        .iter()
        .find(|c| c.starts_with("chorus_session="))
        .expect("a session cookie");
    assert!(
        session.contains("HttpOnly") && session.contains("SameSite=Lax"),
        "{set_cookie}"
    );
    assert_eq!(c.get("/api/v1/me").await.json()["username"], "bob");
}

#[actix_web::test]
async fn failed_logins_do_not_reveal_whether_the_account_exists() {
    let app = TestApp::new().await;
    app.member("carol").await;
    let c = app.client();
    let wrong = c
        .post_json(
            "/api/v1/auth/login",
            json!({"login": "carol", "password": "not-her-password"}),
        )
        .await;
    let unknown = c
        .post_json(
            "/api/v1/auth/login",
            json!({"login": "nobody_here", "password": "not-her-password"}),
        )
        .await;
    assert_eq!(wrong.status, 401);
    assert_eq!(wrong.status, unknown.status);
    assert_eq!(wrong.json(), unknown.json());
}

#[actix_web::test]
async fn usernames_and_emails_are_unique_case_insensitively() {
    let app = TestApp::new().await;
    let c = app.client();
    assert_eq!(
        c.post_json("/api/v1/auth/register", register_body("FanBoy"))
            .await
            .status,
        201
    );
    let again = c
        .post_json("/api/v1/auth/register", json!({"username": "fanboy", "email": "other@example.com", "password": "a-long-passphrase", "accept_privacy": true}))
        .await;
    assert_eq!(again.status, 409);
    assert!(again.json()["error"]["fields"]["username"].is_string());
    // A taken address answers as a new one would (see security.rs); no second account appears.
    let same_mail = c
        .post_json("/api/v1/auth/register", json!({"username": "someone", "email": "FANBOY@example.com", "password": "a-long-passphrase", "accept_privacy": true}))
        .await;
    assert_eq!(same_mail.status, 201);
    let login = c
        .post_json(
            "/api/v1/auth/login",
            json!({"login": "someone", "password": "a-long-passphrase"}),
        )
        .await;
    assert_eq!(login.status, 401);
}

#[actix_web::test]
async fn consent_version_and_time_are_recorded() {
    let app = TestApp::new().await;
    let r = app
        .client()
        .post_json("/api/v1/auth/register", register_body("consenting"))
        .await;
    assert_eq!(r.status, 201);
    use chorus::db::schema::{consents, users};
    use diesel::prelude::*;
    use diesel_async::RunQueryDsl;
    let mut conn = app.conn().await;
    let (version, user_id): (String, i64) = users::table
        .select((users::privacy_version, users::id))
        .first(&mut conn)
        .await
        .unwrap();
    assert_eq!(version, app.state.settings.privacy_policy_version);
    let n: i64 = consents::table
        .filter(consents::user_id.eq(user_id))
        .count()
        .get_result(&mut conn)
        .await
        .unwrap();
    assert_eq!(n, 1);
}

#[actix_web::test]
async fn a_reset_token_works_once_and_ends_every_session() {
    let app = TestApp::new().await;
    let (_, bearer) = app.member("dave").await;
    let c = app.client();
    let r = c
        .post_json(
            "/api/v1/auth/password-reset",
            json!({"email": "dave@example.com"}),
        )
        .await;
    assert_eq!(r.status, 202);
    // Unknown addresses get the same answer.
    let r2 = c
        .post_json(
            "/api/v1/auth/password-reset",
            json!({"email": "ghost@example.com"}),
        )
        .await;
    assert_eq!(r2.status, 202);
    assert_eq!(r.json(), r2.json());

    let token = token_in(&app.outbox_for("dave@example.com").await[0]);
    let ok = c
        .post_json(
            "/api/v1/auth/password-reset",
            json!({"token": token, "password": "brand-new-passphrase"}),
        )
        .await;
    assert_eq!(ok.status, 200, "{}", ok.text());
    let reuse = c
        .post_json(
            "/api/v1/auth/password-reset",
            json!({"token": token, "password": "another-passphrase"}),
        )
        .await;
    assert_eq!(reuse.status, 400);
    assert_eq!(reuse.code(), "invalid_token");

    assert_eq!(
        app.client()
            .with_bearer(&bearer)
            .get("/api/v1/me")
            .await
            .status,
        401,
        "old session must be dead"
    );
    let login = c
        .post_json(
            "/api/v1/auth/login",
            json!({"login": "dave", "password": "brand-new-passphrase"}),
        )
        .await;
    assert_eq!(login.status, 200);
}

#[actix_web::test]
async fn a_reset_token_expires_after_30_minutes() {
    let app = TestApp::new().await;
    app.member("erin").await;
    let c = app.client();
    c.post_json(
        "/api/v1/auth/password-reset",
        json!({"email": "erin@example.com"}),
    )
    .await;
    let token = token_in(&app.outbox_for("erin@example.com").await[0]);
    app.clock.advance(chrono::Duration::minutes(31));
    let r = c
        .post_json(
            "/api/v1/auth/password-reset",
            json!({"token": token, "password": "brand-new-passphrase"}),
        )
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.code(), "expired_token");
}

#[actix_web::test]
async fn a_weak_new_password_does_not_use_up_the_reset_token() {
    let app = TestApp::new().await;
    app.member("fiona").await;
    let c = app.client();
    c.post_json(
        "/api/v1/auth/password-reset",
        json!({"email": "fiona@example.com"}),
    )
    .await;
    let token = token_in(&app.outbox_for("fiona@example.com").await[0]);
    let weak = c
        .post_json(
            "/api/v1/auth/password-reset",
            json!({"token": token, "password": "password123"}),
        )
        .await;
    assert_eq!(weak.status, 422);
    let ok = c
        .post_json(
            "/api/v1/auth/password-reset",
            json!({"token": token, "password": "a-much-better-one"}),
        )
        .await;
    assert_eq!(ok.status, 200);
}

#[actix_web::test]
async fn verification_tokens_expire_after_a_day_and_resend_replaces_them() {
    let app = TestApp::new().await;
    let c = app.client();
    c.post_json("/api/v1/auth/register", register_body("gina"))
        .await;
    let first = token_in(&app.outbox_for("gina@example.com").await[0]);
    let login = c
        .post_json(
            "/api/v1/auth/login",
            json!({"login": "gina", "password": "a-long-passphrase"}),
        )
        .await;
    assert_eq!(login.status, 200);
    assert_eq!(
        c.post_json("/api/v1/auth/resend-verification", json!({}))
            .await
            .status,
        202
    );
    let mails = app.outbox_for("gina@example.com").await;
    assert_eq!(mails.len(), 2);
    let second = token_in(&mails[1]);
    assert_eq!(
        c.post_json("/api/v1/auth/verify", json!({"token": first}))
            .await
            .code(),
        "invalid_token"
    );
    app.clock.advance(chrono::Duration::hours(25));
    assert_eq!(
        c.post_json("/api/v1/auth/verify", json!({"token": second}))
            .await
            .code(),
        "expired_token"
    );
}

#[actix_web::test]
async fn opening_a_token_link_with_get_changes_nothing() {
    let app = TestApp::new().await;
    let c = app.client();
    c.post_json("/api/v1/auth/register", register_body("hana"))
        .await;
    let token = token_in(&app.outbox_for("hana@example.com").await[0]);
    for _ in 0..3 {
        let page = c.get(&format!("/verify?token={token}")).await;
        assert_eq!(page.status, 200);
        assert!(page.text().contains("method=\"post\""));
    }
    let user = chorus::accounts::users::by_username(&mut *app.conn().await, "hana")
        .await
        .unwrap()
        .unwrap();
    assert!(user.email_verified_at.is_none(), "a GET must not verify");
    // The page's form (a POST) does.
    let done = c.post_form("/verify", &[("token", &token)]).await;
    assert_eq!(done.status, 303, "signs in and goes on: {}", done.text());
    let user = chorus::accounts::users::by_username(&mut *app.conn().await, "hana")
        .await
        .unwrap()
        .unwrap();
    assert!(user.email_verified_at.is_some());

    // Same for reset links.
    c.post_json(
        "/api/v1/auth/password-reset",
        json!({"email": "hana@example.com"}),
    )
    .await;
    let reset = token_in(app.outbox_for("hana@example.com").await.last().unwrap());
    assert_eq!(
        c.get(&format!("/reset-password?token={reset}"))
            .await
            .status,
        200
    );
    let ok = c
        .post_json(
            "/api/v1/auth/password-reset",
            json!({"token": reset, "password": "fresh-passphrase"}),
        )
        .await;
    assert_eq!(ok.status, 200, "the GET must not have used the token");
}

#[actix_web::test]
async fn logout_everywhere_and_password_change_end_other_sessions() {
    let app = TestApp::new().await;
    let (_, t1) = app.member("ivan").await;
    let c = app.client();
    let login = c
        .post_json(
            "/api/v1/auth/login",
            json!({"login": "ivan", "password": "long-enough-secret"}),
        )
        .await;
    assert_eq!(login.status, 200);

    let change = c
        .post_json(
            "/api/v1/me/password",
            json!({"current_password": "long-enough-secret", "new_password": "new-long-secret"}),
        )
        .await;
    assert_eq!(change.status, 204, "{}", change.text());
    assert_eq!(
        app.client().with_bearer(&t1).get("/api/v1/me").await.status,
        401,
        "other session ended"
    );
    assert_eq!(
        c.get("/api/v1/me").await.status,
        200,
        "the current session stays"
    );

    let wrong = c
        .post_json(
            "/api/v1/me/password",
            json!({"current_password": "nope-nope-nope", "new_password": "another-secret"}),
        )
        .await;
    assert_eq!(wrong.status, 422);
    assert!(wrong.json()["error"]["fields"]["current_password"].is_string());

    assert_eq!(
        c.post_json("/api/v1/auth/logout-all", json!({}))
            .await
            .status,
        204
    );
    assert_eq!(c.get("/api/v1/me").await.status, 401);
}

#[actix_web::test]
async fn admin_created_users_are_verified_and_roles_can_change() {
    let app = TestApp::new().await;
    let mut conn = app.conn().await;
    let now = app.clock.now();
    let u = chorus::accounts::create_verified(
        &mut conn,
        &app.state.settings,
        "moderator_mei",
        "mei@example.com",
        "long-enough-secret",
        chorus::accounts::Role::Moderator,
        now,
    )
    .await
    .unwrap();
    assert!(u.is_verified());
    assert_eq!(u.role, chorus::accounts::Role::Moderator);
    let u = chorus::accounts::set_role(
        &mut conn,
        "MODERATOR_MEI",
        chorus::accounts::Role::Admin,
        now,
    )
    .await
    .unwrap();
    assert_eq!(u.role, chorus::accounts::Role::Admin);
}

#[actix_web::test]
async fn the_register_and_login_pages_work_without_javascript() {
    let app = TestApp::new().await;
    let c = app.client();
    let page = c.get("/register").await;
    assert_eq!(page.status, 200);
    assert!(page.text().contains("name=\"csrf_token\""));
    // A bad form comes back with messages and what was typed (never the password).
    let bad = c
        .post_form(
            "/register",
            &[
                ("username", "jo"),
                ("email", "jo@example.com"),
                ("password", "pw"),
            ],
        )
        .await;
    assert_eq!(bad.status, 422);
    let html = bad.text();
    assert!(
        html.contains("value=\"jo@example.com\""),
        "keeps typed values"
    );
    assert!(!html.contains("value=\"pw\""), "never echoes the password");
    let ok = c
        .post_form(
            "/register",
            &[
                ("username", "jojo"),
                ("email", "jo@example.com"),
                ("password", "a-long-passphrase"),
                ("accept_privacy", "yes"),
            ],
        )
        .await;
    assert_eq!(ok.status, 200, "{}", ok.text());
    assert!(
        ok.text().contains("jo@example.com"),
        "says where the mail went"
    );
    assert_eq!(
        c.get("/settings").await.status,
        303,
        "settings needs a login"
    );
    let login = c
        .post_form(
            "/login",
            &[
                ("login", "jojo"),
                ("password", "a-long-passphrase"),
                ("next", "/settings"),
            ],
        )
        .await;
    assert_eq!(login.status, 303);
    assert_eq!(login.header("location").as_deref(), Some("/settings"));
    let evil = c
        .post_form(
            "/login",
            &[
                ("login", "jojo"),
                ("password", "a-long-passphrase"),
                ("next", "//evil.example"),
            ],
        )
        .await;
    assert_eq!(
        evil.header("location").as_deref(),
        Some("/"),
        "no open redirect"
    );
}
