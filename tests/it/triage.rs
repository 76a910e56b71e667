use crate::support::TestApp;
use chorus::accounts::Role;
use serde_json::json;

async fn setup(app: &TestApp) -> String {
    app.seed_boards().await;
    app.seed_products().await;
    let (_, admin) = app.user_with_role("chief", Role::Admin).await;
    for (slug, zh, en) in [
        ("camera", "影像团队", "Camera team"),
        ("power", "续航团队", "Battery team"),
        ("phone", "手机团队", "Phone team"),
        ("wear", "穿戴团队", "Wearables team"),
    ] {
        let r = app
            .client()
            .with_bearer(&admin)
            .post_json(
                "/api/v1/admin/teams",
                json!({ "slug": slug, "name_zh": zh, "name_en": en }),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text());
    }
    let r = app
        .client()
        .with_bearer(&admin)
        .post_json(
            "/api/v1/admin/products/chorus-14/team",
            json!({ "team": "phone" }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    // Order matters: the camera rule comes first, so a camera bug that mentions the battery
    // goes to the camera team.
    let r = app
        .client()
        .with_bearer(&admin)
        .post_json(
            "/api/v1/triage/rules",
            json!({ "rules": [
                { "team": "camera", "kind": "bug", "keywords": ["相机", "camera", "夜景"] },
                { "team": "power", "keywords": ["续航", "battery", "耗电"] },
                { "team": "wear", "product_line": "wearable" },
            ]}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["items"].as_array().unwrap().len(), 3);
    admin
}

async fn bug(app: &TestApp, token: &str, product: &str, title: &str, body: &str) -> i64 {
    let r = app
        .client()
        .with_bearer(token)
        .post_json(
            "/api/v1/topics",
            json!({"board": "phones", "kind": "bug", "title": title, "body": body,
                "bug": {"product": product, "os_version": "2.0.1", "reproducibility": "often", "severity": "major"}}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    r.json()["id"].as_i64().unwrap()
}

async fn team_of(app: &TestApp, topic: i64) -> (Option<String>, Option<String>) {
    use chorus::db::schema::{teams, topics};
    use diesel::prelude::*;
    use diesel_async::RunQueryDsl;
    topics::table
        .left_join(teams::table)
        .filter(topics::id.eq(topic))
        .select((teams::slug.nullable(), topics::routed_by))
        .first(&mut *app.conn().await)
        .await
        .unwrap()
}

#[actix_web::test]
async fn rules_route_in_order_with_fallbacks_and_an_unrouted_inbox() {
    let app = TestApp::new().await;
    let admin = setup(&app).await;
    let (_, t) = app.member("reporter").await;
    let night = bug(
        &app,
        &t,
        "chorus-14",
        "夜景照片发紫",
        "相机夜景模式拍出来偏紫，而且很耗电",
    )
    .await;
    let drain = bug(
        &app,
        &t,
        "chorus-14",
        "Battery drains overnight",
        "lost 40% while idle",
    )
    .await;
    // Traditional and full-width input still match (the search normalisation).
    let trad = bug(
        &app,
        &t,
        "chorus-14",
        "待機續航很差",
        "ＢＡＴＴＥＲＹ 掉得快",
    )
    .await;
    let other = bug(
        &app,
        &t,
        "chorus-14",
        "Wi-Fi drops",
        "the connection resets",
    )
    .await;
    let band = bug(&app, &t, "band-9", "表盘卡住", "手环表盘不动了").await;
    assert_eq!(
        team_of(&app, night).await.0.as_deref(),
        Some("camera"),
        "first match wins"
    );
    assert_eq!(team_of(&app, drain).await.0.as_deref(), Some("power"));
    assert_eq!(team_of(&app, trad).await.0.as_deref(), Some("power"));
    assert_eq!(
        team_of(&app, other).await,
        (Some("phone".into()), Some("product".into())),
        "product's team"
    );
    assert_eq!(
        team_of(&app, band).await.0.as_deref(),
        Some("wear"),
        "product line rule"
    );

    // An idea with no product and no matching words lands in the unrouted inbox.
    let idea = app.idea(&t, "Dark mode for the forum").await;
    assert_eq!(team_of(&app, idea).await, (None, None));
    let inbox = app
        .client()
        .with_bearer(&admin)
        .get("/api/v1/triage/unrouted")
        .await;
    assert_eq!(inbox.status, 200);
    let ids: Vec<i64> = inbox.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["topic_id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, vec![idea]);
    assert_eq!(
        app.client()
            .with_bearer(&t)
            .get("/api/v1/triage/unrouted")
            .await
            .status,
        403
    );

    // An edit re-routes: the idea now talks about battery life.
    let root = app
        .client()
        .get(&format!("/api/v1/topics/{idea}"))
        .await
        .json()["posts"][0]["id"]
        .as_i64()
        .unwrap();
    let r = app
        .client()
        .with_bearer(&t)
        .json(
            actix_web::http::Method::PATCH,
            &format!("/api/v1/posts/{root}"),
            json!({ "body": "Dark mode saves battery on OLED screens." }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(team_of(&app, idea).await.0.as_deref(), Some("power"));
}

#[actix_web::test]
async fn a_manual_reroute_survives_later_edits_and_needs_the_right_people() {
    let app = TestApp::new().await;
    let admin = setup(&app).await;
    let (_, t) = app.member("reporter").await;
    let (_, pm) = app.user_with_role("camera_pm", Role::TeamMember).await;
    let (_, other_pm) = app.user_with_role("wear_pm", Role::TeamMember).await;
    for (team, user) in [("camera", "camera_pm"), ("wear", "wear_pm")] {
        let r = app
            .client()
            .with_bearer(&admin)
            .post_json(
                &format!("/api/v1/admin/teams/{team}/members"),
                json!({ "username": user }),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text());
    }
    // A plain member cannot join a team.
    let r = app
        .client()
        .with_bearer(&admin)
        .post_json(
            "/api/v1/admin/teams/camera/members",
            json!({ "username": "reporter" }),
        )
        .await;
    assert_eq!(r.status, 422);

    let id = bug(
        &app,
        &t,
        "chorus-14",
        "Camera app freezes",
        "the camera hangs on launch",
    )
    .await;
    assert_eq!(team_of(&app, id).await.0.as_deref(), Some("camera"));
    let route = |token: String, team: &'static str| {
        let app = &app;
        async move {
            app.client()
                .with_bearer(&token)
                .post_json(
                    &format!("/api/v1/triage/items/{id}/route"),
                    json!({ "team": team }),
                )
                .await
        }
    };
    assert_eq!(
        route(t.clone(), "power").await.status,
        403,
        "members may not"
    );
    assert_eq!(
        route(other_pm.clone(), "wear").await.status,
        403,
        "not their team's item"
    );
    assert_eq!(route(pm.clone(), "nowhere").await.status, 422);
    let r = route(pm.clone(), "phone").await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        team_of(&app, id).await,
        (Some("phone".into()), Some("manual".into()))
    );

    // The reporter edits it (still about the camera): the manual route stays.
    let root = app
        .client()
        .get(&format!("/api/v1/topics/{id}"))
        .await
        .json()["posts"][0]["id"]
        .as_i64()
        .unwrap();
    app.client()
        .with_bearer(&t)
        .json(
            actix_web::http::Method::PATCH,
            &format!("/api/v1/posts/{root}"),
            json!({ "body": "the camera hangs on launch, every time" }),
        )
        .await;
    assert_eq!(team_of(&app, id).await.0.as_deref(), Some("phone"));

    // Bad set-up input is a clear 422.
    let r = app
        .client()
        .with_bearer(&admin)
        .post_json(
            "/api/v1/triage/rules",
            json!({ "rules": [{ "team": "ghosts" }] }),
        )
        .await;
    assert_eq!(r.status, 422);
    let r = app
        .client()
        .with_bearer(&admin)
        .post_json(
            "/api/v1/admin/teams",
            json!({ "slug": "Bad Slug!", "name_zh": "", "name_en": "x" }),
        )
        .await;
    assert_eq!(r.status, 422);
    assert_eq!(
        app.client()
            .with_bearer(&pm)
            .get("/api/v1/triage/rules")
            .await
            .status,
        200
    );
    assert_eq!(
        app.client()
            .with_bearer(&t)
            .get("/api/v1/triage/rules")
            .await
            .status,
        403
    );
}
