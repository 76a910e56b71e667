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
        ("consents", 0),
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
