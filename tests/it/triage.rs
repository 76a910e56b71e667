use crate::support::TestApp;
use chorus::accounts::Role;
use serde_json::json;

pub(crate) async fn setup(app: &TestApp) -> String {
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

    // Assigning follows the same rule as routing: the item is the phone team's now.
    let assign = |token: String, username: &'static str| {
        let app = &app;
        async move {
            app.client()
                .with_bearer(&token)
                .post_json(
                    &format!("/api/v1/triage/items/{id}/assign"),
                    json!({ "username": username }),
                )
                .await
        }
    };
    let r = assign(pm.clone(), "camera_pm").await;
    assert_eq!((r.status.as_u16(), r.code()), (403, "not_your_team".into()));
    let r = assign(admin.clone(), "reporter").await;
    assert_eq!(r.status, 422, "members take no items");
    // Only a member of the routed team: the camera PM is on another team, and the 422 says so.
    let r = assign(admin.clone(), "CAMERA_PM").await;
    assert_eq!(r.status, 422, "{}", r.text());
    assert!(r.text().contains("not a member of phone"), "{}", r.text());
    let r = assign(admin.clone(), "no_such_person").await;
    assert_eq!(r.status, 422);
    let (_, phone_pm) = app.user_with_role("phone_pm", Role::TeamMember).await;
    let r = app
        .client()
        .with_bearer(&admin)
        .post_json(
            "/api/v1/admin/teams/phone/members",
            json!({ "username": "phone_pm" }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let r = app
        .client()
        .with_bearer(&admin)
        .post_json(
            &format!("/api/v1/triage/items/{id}/assign"),
            json!({ "username": "PHONE_PM", "note": "你来看看这个相机问题" }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["assignee"], "phone_pm");
    // The assignee hears it, with the note.
    let bell = app
        .client()
        .with_bearer(&phone_pm)
        .get("/api/v1/notifications")
        .await
        .json();
    assert!(
        bell["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["kind"] == "assigned" && n["detail"] == "你来看看这个相机问题"),
        "{bell}"
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

pub(crate) async fn join(app: &TestApp, admin: &str, team: &str, user: &str) {
    let r = app
        .client()
        .with_bearer(admin)
        .post_json(
            &format!("/api/v1/admin/teams/{team}/members"),
            json!({ "username": user }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
}

pub(crate) async fn sql(app: &TestApp, q: &str) {
    use diesel_async::RunQueryDsl;
    diesel::sql_query(q)
        .execute(&mut *app.conn().await)
        .await
        .unwrap();
}

pub(crate) async fn refresh_all(app: &TestApp) {
    chorus::triage::priority::refresh(&mut *app.conn().await, None, app.clock.now())
        .await
        .unwrap();
}

pub(crate) async fn queue(app: &TestApp, token: &str, query: &str) -> Vec<serde_json::Value> {
    let r = app
        .client()
        .with_bearer(token)
        .get(&format!("/api/v1/triage/queue?{query}"))
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()["items"].as_array().unwrap().clone()
}

#[actix_web::test]
async fn the_queue_order_and_breakdown_follow_the_documented_formula() {
    let app = TestApp::new().await;
    let admin = setup(&app).await;
    let severities = ["crash", "major", "minor", "cosmetic"];
    let levels = [1i16, 3, 6, 9];
    let mut reporters = Vec::new();
    for (i, l) in levels.iter().enumerate() {
        let (u, t) = app.member(&format!("reporter{i}")).await;
        app.set_level(u.id, *l).await;
        reporters.push(t);
    }
    // 20 items with known inputs: severity, reporter level, me-too count, featured.
    let mut expected = Vec::new();
    for i in 0..20usize {
        let sev = severities[i % 4];
        let r = app
            .client()
            .with_bearer(&reporters[i % 4])
            .post_json(
                "/api/v1/topics",
                json!({"board": "phones", "kind": "bug", "title": format!("Wi-Fi issue {i}"), "body": "drops",
                    "bug": {"product": "chorus-14", "os_version": "2.0.1", "reproducibility": "often", "severity": sev}}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text());
        let id = r.json()["id"].as_i64().unwrap();
        let me_too = (i * 7 % 23) as i64;
        let featured = i % 9 == 0;
        sql(
            &app,
            &format!(
                "UPDATE topics SET me_too_count = {me_too}, featured = {featured} WHERE id = {id}"
            ),
        )
        .await;
        let sev_w = match sev {
            "crash" => 8.0,
            "major" => 4.0,
            "minor" => 2.0,
            _ => 1.0,
        };
        let level = levels[i % 4] as f64;
        let credibility = ((0.8 + 0.1 * (level - 1.0)) * (0.5 + 0.5f64)).clamp(0.5, 2.0);
        let score = sev_w
            * (1.0 + ((1 + me_too) as f64).ln())
            * credibility
            * if featured { 1.25 } else { 1.0 };
        // The band (severity and reproducibility) first, the score inside it.
        let band =
            chorus::triage::priority::band(chorus::fields::Kind::Bug, Some(sev), Some("often"));
        expected.push((id, chorus::triage::priority::priority_of(band, score)));
    }
    refresh_all(&app).await;
    let items = queue(&app, &admin, "team=phone").await;
    assert_eq!(items.len(), 20);
    let mut want = expected.clone();
    want.sort_by(|a, b| b.1.partial_cmp(&a.1).unwrap().then(b.0.cmp(&a.0)));
    let got: Vec<(i64, f64)> = items
        .iter()
        .map(|i| {
            (
                i["topic_id"].as_i64().unwrap(),
                i["priority"].as_f64().unwrap(),
            )
        })
        .collect();
    assert_eq!(got, want);
    let top = &items[0]["priority_breakdown"];
    for key in [
        "severity_weight",
        "affected",
        "affected_factor",
        "credibility",
        "moderation_factor",
        "urgency_factor",
        "sla_hours",
        "score",
        "band",
    ] {
        assert!(top.get(key).is_some(), "breakdown lacks {key}: {top}");
    }
    assert_eq!(top["priority"], items[0]["priority"]);
    assert_eq!(top["band"], "P0", "the crashes lead");

    // Members cannot read the queue.
    let (_, member) = app.member("outsider").await;
    assert_eq!(
        app.client()
            .with_bearer(&member)
            .get("/api/v1/triage/queue")
            .await
            .status,
        403
    );
}

#[actix_web::test]
async fn merging_raises_the_target_overdue_items_climb_and_sla_is_per_severity() {
    let app = TestApp::new().await;
    let admin = setup(&app).await;
    let (_, t) = app.member("reporter").await;
    let (_, t2) = app.member("second").await;
    let a = bug(&app, &t, "chorus-14", "Wi-Fi drops on 5 GHz", "drops").await;
    let b = bug(&app, &t2, "chorus-14", "WiFi keeps dropping", "drops too").await;
    let c = bug(&app, &t2, "chorus-14", "Bluetooth stutter", "stutters").await;
    let prio = |id: i64| {
        let app = &app;
        let admin = admin.clone();
        async move {
            queue(app, &admin, "")
                .await
                .into_iter()
                .find(|i| i["topic_id"] == id)
                .map(|i| i["priority"].as_f64().unwrap())
        }
    };
    let before = prio(a).await.unwrap();
    // SLA: major bugs are due in 72 h (the team's setting).
    let item = queue(&app, &admin, "")
        .await
        .into_iter()
        .find(|i| i["topic_id"] == a)
        .unwrap();
    let due: chrono::DateTime<chrono::Utc> = item["sla_due_at"].as_str().unwrap().parse().unwrap();
    let created = app.clock.now();
    assert!(
        (due - created - chrono::Duration::hours(72))
            .num_minutes()
            .abs()
            <= 1
    );

    let (_, pm) = app.user_with_role("phone_pm", Role::TeamMember).await;
    let (_, outsider_pm) = app.user_with_role("wear_pm", Role::TeamMember).await;
    join(&app, &admin, "phone", "phone_pm").await;
    join(&app, &admin, "wear", "wear_pm").await;
    // Another team's member is read-only here.
    let r = app
        .client()
        .with_bearer(&outsider_pm)
        .post_json(&format!("/api/v1/topics/{b}/merge"), json!({ "into": a }))
        .await;
    assert_eq!(r.status, 403);
    let r = app
        .client()
        .with_bearer(&pm)
        .post_json(&format!("/api/v1/topics/{b}/merge"), json!({ "into": a }))
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let after = prio(a).await.unwrap();
    assert!(
        after > before,
        "merge raises the target: {before} -> {after}"
    );
    assert_eq!(prio(b).await, None, "the duplicate leaves the queue");

    // Four days later, with no answer, c is overdue and climbs; the job does it.
    let c_before = prio(c).await.unwrap();
    app.clock.advance(chrono::Duration::hours(96));
    app.run_jobs().await;
    refresh_all(&app).await;
    let admin2 = app.user_with_role("chief2", Role::Admin).await.1;
    let c_item = queue(&app, &admin2, "overdue=1")
        .await
        .into_iter()
        .find(|i| i["topic_id"] == c)
        .expect("c is overdue");
    assert_eq!(c_item["overdue"], true);
    // Overdue raises it within its band (the score, and so the priority, but not the band).
    assert!(c_item["priority"].as_f64().unwrap() > c_before);
    assert!(
        c_item["priority_breakdown"]["urgency_factor"]
            .as_f64()
            .unwrap()
            >= 1.5
    );
    // An answer stops the climb.
    let pm2 = app.user_with_role("phone_pm2", Role::TeamMember).await.1;
    join(&app, &admin2, "phone", "phone_pm2").await;
    app.client()
        .with_bearer(&pm2)
        .post_json(
            &format!("/api/v1/topics/{c}/status"),
            json!({ "status": "acknowledged" }),
        )
        .await;
    assert!(queue(&app, &admin2, "overdue=1")
        .await
        .iter()
        .all(|i| i["topic_id"] != c));
    // Assignment: to a team member, not to a plain member.
    let r = app
        .client()
        .with_bearer(&admin2)
        .post_json(
            &format!("/api/v1/triage/items/{c}/assign"),
            json!({ "username": "phone_pm2" }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(queue(&app, &admin2, "assignee=phone_pm2").await.len(), 1);
    let r = app
        .client()
        .with_bearer(&admin2)
        .post_json(
            &format!("/api/v1/triage/items/{c}/assign"),
            json!({ "username": "reporter" }),
        )
        .await;
    assert_eq!(r.status, 422);
    assert_eq!(
        app.client()
            .with_bearer(&admin2)
            .get("/api/v1/triage/queue?status=resolved")
            .await
            .status,
        422
    );
    assert_eq!(
        app.client()
            .with_bearer(&admin2)
            .get("/api/v1/triage/queue?cursor=%00zz")
            .await
            .status,
        400,
        "NUL is refused at the edge"
    );
}

#[actix_web::test]
async fn the_team_hears_once_when_an_item_becomes_overdue() {
    let app = TestApp::new().await;
    let admin = setup(&app).await;
    let (_, t) = app.member("reporter").await;
    let (_, pm) = app.user_with_role("power_pm", Role::TeamMember).await;
    join(&app, &admin, "power", "power_pm").await;
    // A crash routed to the battery team: due in 24 h.
    let r = app
        .client()
        .with_bearer(&t)
        .post_json(
            "/api/v1/topics",
            json!({"board": "phones", "kind": "bug", "title": "Phone dies at 30% battery", "body": "shuts down",
                "bug": {"product": "chorus-14", "os_version": "2.0.1", "reproducibility": "always", "severity": "crash"}}),
        )
        .await;
    let id = r.json()["id"].as_i64().unwrap();
    let overdue = || {
        let app = &app;
        async move {
            chorus::triage::priority::notify_overdue(&mut *app.conn().await, app.clock.now())
                .await
                .unwrap()
        }
    };
    app.clock.advance(chrono::Duration::hours(23));
    assert_eq!(overdue().await, 0, "not yet due");
    app.clock.advance(chrono::Duration::hours(2));
    assert_eq!(overdue().await, 1);
    assert_eq!(overdue().await, 0, "once");
    app.clock.advance(chrono::Duration::hours(5));
    assert_eq!(overdue().await, 0, "still once");
    let pm_fresh = app.fresh_token("power_pm").await;
    let _ = pm;
    let n = app
        .client()
        .with_bearer(&pm_fresh)
        .get("/api/v1/notifications")
        .await
        .json();
    let hits: Vec<_> = n["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["kind"] == "overdue" && i["topic_id"] == id)
        .collect();
    assert_eq!(hits.len(), 1);
}

#[actix_web::test]
async fn stats_on_seeded_data_equal_what_the_test_computes() {
    let app = TestApp::new().await;
    let admin = setup(&app).await;
    let (_, t) = app.member("reporter").await;
    let (_, pm) = app.user_with_role("phone_pm", Role::TeamMember).await;
    join(&app, &admin, "phone", "phone_pm").await;
    // Five Wi-Fi bugs for the phone team, answered after 2, 4, 6, 8 and 10 hours; three resolved
    // after 10, 20 and 30 hours.
    let mut ids = Vec::new();
    for i in 0..5 {
        ids.push(
            bug(
                &app,
                &t,
                "chorus-14",
                &format!("Wi-Fi drops when roaming {i}"),
                "drops",
            )
            .await,
        );
    }
    let start = app.clock.now();
    let _ = pm;
    let status = |id: i64, s: &'static str| {
        let app = &app;
        async move {
            let pm = app.fresh_token("phone_pm").await;
            let r = app
                .client()
                .with_bearer(&pm)
                .post_json(
                    &format!("/api/v1/topics/{id}/status"),
                    json!({ "status": s }),
                )
                .await;
            assert_eq!(r.status, 200, "{}", r.text());
        }
    };
    for (k, id) in ids.iter().enumerate() {
        app.clock.advance(chrono::Duration::hours(2));
        status(*id, "acknowledged").await;
        let _ = k;
    }
    let _ = start;
    // Resolutions at 10 h (already passed for #0 at t=10), then more.
    status(ids[0], "resolved").await; // created at 0, resolved at 10 h
    app.clock.advance(chrono::Duration::hours(10));
    status(ids[1], "resolved").await; // 20 h
    app.clock.advance(chrono::Duration::hours(10));
    status(ids[2], "resolved").await; // 30 h
                                      // The pm's session would expire; use a fresh admin for reading.
    let reader = app.user_with_role("analyst", Role::Admin).await.1;
    let r = app
        .client()
        .with_bearer(&reader)
        .get("/api/v1/triage/stats?days=30")
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let s = r.json();
    let counts: Vec<(String, String, i64)> = s["status_counts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["team"].as_str().unwrap().into(),
                c["status"].as_str().unwrap().into(),
                c["count"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        counts,
        vec![
            ("phone".into(), "acknowledged".into(), 2),
            ("phone".into(), "resolved".into(), 3),
        ]
    );
    let timing = &s["timings"][0];
    assert_eq!(timing["team"], "phone");
    assert_eq!(timing["responded"], 5);
    // Median of 2, 4, 6, 8, 10 is 6; p90 (continuous) is 9.2.
    assert!((timing["first_response_median_hours"].as_f64().unwrap() - 6.0).abs() < 0.01);
    assert!((timing["first_response_p90_hours"].as_f64().unwrap() - 9.2).abs() < 0.01);
    assert_eq!(timing["resolved"], 3);
    assert!((timing["resolution_median_hours"].as_f64().unwrap() - 20.0).abs() < 0.01);
    let weeks = s["weeks"].as_array().unwrap();
    let opened: i64 = weeks.iter().map(|w| w["opened"].as_i64().unwrap()).sum();
    let resolved: i64 = weeks.iter().map(|w| w["resolved"].as_i64().unwrap()).sum();
    assert_eq!((opened, resolved), (5, 3));
    // The five similar titles form one cluster.
    assert_eq!(s["clusters"][0]["count"], 5, "{}", s["clusters"]);
    // CSV export, and bad input.
    let csv = app
        .client()
        .with_bearer(&reader)
        .get("/api/v1/triage/stats?days=30&format=csv")
        .await;
    assert_eq!(csv.status, 200);
    assert!(csv.header("content-type").unwrap().starts_with("text/csv"));
    assert!(csv
        .text()
        .contains("\"phone\",\"resolved\",3,6.00,9.20,20.00,"));
    assert_eq!(
        app.client()
            .with_bearer(&reader)
            .get("/api/v1/triage/stats?days=0")
            .await
            .status,
        422
    );
    assert_eq!(
        app.client()
            .with_bearer(&reader)
            .get("/api/v1/triage/stats?format=xml")
            .await
            .status,
        422
    );
    let member = app.member("curious").await.1;
    assert_eq!(
        app.client()
            .with_bearer(&member)
            .get("/api/v1/triage/stats")
            .await
            .status,
        403
    );
}

#[actix_web::test]
async fn the_triage_pages_show_the_queue_and_act_in_bulk() {
    let app = TestApp::new().await;
    let admin = setup(&app).await;
    let (_, t) = app.member("reporter").await;
    let a = bug(&app, &t, "chorus-14", "Wi-Fi drops", "drops").await;
    let b = bug(
        &app,
        &t,
        "chorus-14",
        "Camera blurry",
        "the camera is blurry",
    )
    .await;
    let pm = app.logged_in("phone_pm", Role::TeamMember).await;
    join(&app, &admin, "phone", "phone_pm").await;
    let page = pm.get("/triage").await;
    assert_eq!(page.status, 200, "{}", page.text());
    let html = page.text();
    assert!(html.contains("Wi-Fi drops"), "their team's item");
    assert!(
        !html.contains("Camera blurry"),
        "another team's item is not in 'my teams'"
    );
    assert!(pm
        .get("/triage?team=all")
        .await
        .text()
        .contains("Camera blurry"));
    // Bulk: claim both; only the phone team's item is theirs to claim.
    let r = pm
        .post_form(
            "/triage/bulk",
            &[
                ("id", &a.to_string()),
                ("id", &b.to_string()),
                ("action", "claim"),
            ],
        )
        .await;
    assert_eq!(r.status, 303);
    assert_eq!(
        r.header("location").unwrap(),
        "/triage?notice=done:1:1:other_team"
    );
    // The item shows its team, assignee, band and deadline at the top for the team; not to fans.
    let item = pm.get(&format!("/t/{a}")).await.text();
    let top = &item[item
        .find("class=\"facts standing\"")
        .expect("the standing block")..];
    let top = &top[..top.find("</dl>").unwrap()];
    assert!(
        top.contains("phone_pm") && top.contains("band band-P") && top.contains("<time"),
        "{top}"
    );
    let fan = app.client().get(&format!("/t/{a}")).await.text();
    assert!(!fan.contains("facts standing"));
    let page = pm.get("/triage?notice=done:1:1:other_team").await.text();
    assert!(
        page.contains("1 updated; 1 could not be changed")
            || page.contains("已处理 1 条；1 条无法处理"),
        "{page}"
    );
    assert!(
        page.contains("Reason: the item belongs to another team.")
            || page.contains("原因：该反馈属于其他团队。"),
        "the notice says why: {page}"
    );
    // The reason comes from a list: a made-up one in the URL shows nothing.
    let page = pm.get("/triage?notice=done:1:1:gone%3Cb%3E").await.text();
    assert!(
        !page.contains("Reason:") && !page.contains("原因："),
        "{page}"
    );
    let r = pm
        .post_form(
            "/triage/bulk",
            &[
                ("id", &a.to_string()),
                ("action", "status"),
                ("status", "acknowledged"),
                ("note", "on it"),
            ],
        )
        .await;
    assert_eq!(r.header("location").unwrap(), "/triage?notice=done:1:0");
    let stats = pm.get("/triage/stats?days=7").await;
    assert_eq!(stats.status, 200, "{}", stats.text());
    assert!(stats.text().contains("<svg"));
    let member = app.logged_in("nosy", Role::Member).await;
    assert_eq!(member.get("/triage").await.status, 404);
    assert_eq!(member.get("/triage/stats").await.status, 404);
}

#[actix_web::test]
async fn team_webhooks_are_signed_and_retried_until_delivered() {
    use std::sync::{Arc, Mutex};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = TestApp::new().await;
    let admin = setup(&app).await;
    // A receiver on 127.0.0.1: the first delivery gets a 500, later ones 200.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let received: Arc<Mutex<Vec<(String, String)>>> = Arc::default();
    let log = received.clone();
    actix_web::rt::spawn(async move {
        let mut n = 0;
        loop {
            let Ok((mut s, _)) = listener.accept().await else {
                break;
            };
            let mut buf = Vec::new();
            let mut chunk = [0u8; 4096];
            loop {
                let k = s.read(&mut chunk).await.unwrap_or(0);
                buf.extend_from_slice(&chunk[..k]);
                let text = String::from_utf8_lossy(&buf).to_string();
                if let Some(i) = text.find("\r\n\r\n") {
                    let len: usize = text
                        .lines()
                        .find_map(|l| l.strip_prefix("Content-Length: "))
                        .and_then(|v| v.trim().parse().ok())
                        .unwrap_or(0);
                    if buf.len() >= i + 4 + len || k == 0 {
                        let sig = text
                            .lines()
                            .find_map(|l| l.strip_prefix("X-Chorus-Signature: "))
                            .unwrap_or("")
                            .to_string();
                        log.lock().unwrap().push((sig, text[i + 4..].to_string()));
                        break;
                    }
                }
                if k == 0 {
                    break;
                }
            }
            let status = if n == 0 {
                "500 Internal Server Error"
            } else {
                "200 OK"
            };
            n += 1;
            let _ = s
                .write_all(format!("HTTP/1.1 {status}\r\nContent-Length: 0\r\n\r\n").as_bytes())
                .await;
        }
    });
    let secret = "a-long-shared-secret";
    let r = app
        .client()
        .with_bearer(&admin)
        .post_json(
            "/api/v1/admin/teams",
            json!({ "slug": "camera", "name_zh": "影像团队", "name_en": "Camera team",
                    "webhook_url": format!("http://127.0.0.1:{port}/hook"), "webhook_secret": secret }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(
        r.json().get("webhook_secret").is_none(),
        "the secret is never shown"
    );
    let r = app
        .client()
        .with_bearer(&admin)
        .post_json("/api/v1/admin/teams", json!({ "slug": "camera", "name_zh": "影像", "name_en": "Camera", "webhook_url": "ftp://x", "webhook_secret": "short" }))
        .await;
    assert_eq!(r.status, 422);

    let (_, t) = app.member("reporter").await;
    let id = bug(
        &app,
        &t,
        "chorus-14",
        "Camera app freezes",
        "the camera hangs",
    )
    .await;
    app.run_jobs().await;
    assert_eq!(
        received.lock().unwrap().len(),
        1,
        "first attempt (answered 500)"
    );
    app.run_jobs().await;
    assert_eq!(
        received.lock().unwrap().len(),
        1,
        "the retry waits for its backoff"
    );
    // Admins see the failed attempt and why.
    let log = app
        .client()
        .with_bearer(&admin)
        .get("/api/v1/admin/webhooks")
        .await
        .json();
    let d = &log["items"][0];
    assert_eq!(
        (
            d["status"].as_str(),
            d["team"].as_str(),
            d["event"].as_str(),
            d["topic_id"].as_i64()
        ),
        (Some("retrying"), Some("camera"), Some("routed"), Some(id)),
        "{log}"
    );
    assert!(d["last_error"].as_str().unwrap().contains("500"), "{log}");
    app.clock.advance(chrono::Duration::minutes(30));
    app.run_jobs().await;
    let got = received.lock().unwrap().clone();
    assert_eq!(got.len(), 2, "retried and delivered");
    let log = app
        .client()
        .with_bearer(&admin)
        .get("/api/v1/admin/webhooks")
        .await
        .json();
    assert_eq!(log["items"][0]["status"], "delivered", "{log}");
    assert_eq!(log["items"][0]["attempts"], 2);
    let page = app
        .client()
        .with_bearer(&admin)
        .get("/admin/triage")
        .await
        .text();
    assert!(
        page.contains("delivery-delivered") && page.contains("已送达"),
        "the admin page lists it"
    );
    for (sig, body) in &got {
        assert_eq!(
            sig,
            &chorus::triage::webhooks::signature(secret, body.as_bytes())
        );
        let v: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(v["event"], "routed");
        assert_eq!(v["item"]["topic_id"], id);
        assert_eq!(v["team"], "camera");
    }
    // A status change by the team is sent too.
    let (_, pm) = app.user_with_role("camera_pm", Role::TeamMember).await;
    join(&app, &admin, "camera", "camera_pm").await;
    app.client()
        .with_bearer(&pm)
        .post_json(
            &format!("/api/v1/topics/{id}/status"),
            json!({ "status": "acknowledged" }),
        )
        .await;
    app.run_jobs().await;
    let got = received.lock().unwrap().clone();
    assert_eq!(got.len(), 3);
    let v: serde_json::Value = serde_json::from_str(&got[2].1).unwrap();
    assert_eq!(
        (v["event"].as_str(), v["item"]["status"].as_str()),
        (Some("status_changed"), Some("acknowledged"))
    );
}

#[actix_web::test]
async fn hidden_items_leave_the_queue_and_restored_ones_return() {
    let app = TestApp::new().await;
    let admin = setup(&app).await;
    let (_, t) = app.member("reporter").await;
    let id = bug(&app, &t, "chorus-14", "Spammy report", "buy now").await;
    let root = app
        .client()
        .get(&format!("/api/v1/topics/{id}"))
        .await
        .json()["posts"][0]["id"]
        .as_i64()
        .unwrap();
    let (_, mt) = app.user_with_role("warden", Role::Moderator).await;
    let in_queue = || {
        let app = &app;
        let admin = admin.clone();
        async move {
            queue(app, &admin, "")
                .await
                .iter()
                .any(|i| i["topic_id"] == id)
        }
    };
    assert!(in_queue().await);
    let act = |action: &'static str| {
        let app = &app;
        let mt = mt.clone();
        async move {
            let r = app
                .client()
                .with_bearer(&mt)
                .post_json(
                    &format!("/api/v1/mod/posts/{root}/{action}"),
                    json!({ "reason": "spam check" }),
                )
                .await;
            assert_eq!(r.status, 200, "{}", r.text());
        }
    };
    act("hide").await;
    assert!(!in_queue().await, "hidden: out of the queue");
    act("unhide").await;
    assert!(in_queue().await, "restored: back");
}

#[actix_web::test]
async fn similar_items_are_offered_for_merging() {
    let app = TestApp::new().await;
    let admin = setup(&app).await;
    let (_, t) = app.member("reporter").await;
    let a = bug(
        &app,
        &t,
        "chorus-14",
        "Wi-Fi drops when the screen turns off",
        "wifi drops after screen off",
    )
    .await;
    let b = bug(
        &app,
        &t,
        "chorus-14",
        "Wi-Fi disconnects when the screen is off",
        "screen off then wifi drops",
    )
    .await;
    let _other = bug(&app, &t, "chorus-14", "Camera is blurry", "blurry photos").await;
    app.index_now().await;
    let r = app
        .client()
        .with_bearer(&admin)
        .get(&format!("/api/v1/triage/items/{a}/similar"))
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let ids: Vec<i64> = r.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["topic_id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, vec![b]);
    let pm = app.logged_in("phone_pm", Role::TeamMember).await;
    join(&app, &admin, "phone", "phone_pm").await;
    let page = pm.get(&format!("/t/{a}")).await.text();
    assert!(
        page.contains(&format!("/t/{a}/merge?into={b}\"")),
        "a merge link for #{b}, to the confirmation"
    );
    let member_view = app
        .client()
        .with_bearer(&t)
        .get(&format!("/api/v1/triage/items/{a}/similar"))
        .await;
    assert_eq!(member_view.status, 403);
}

#[actix_web::test]
async fn members_get_403_on_every_triage_action() {
    let app = TestApp::new().await;
    let _admin = setup(&app).await;
    let (_, t) = app.member("plain").await;
    let id = bug(&app, &t, "chorus-14", "Some bug", "text").await;
    let c = app.client().with_bearer(&t);
    for path in [
        "/api/v1/triage/queue".to_string(),
        "/api/v1/triage/rules".to_string(),
        "/api/v1/triage/stats".to_string(),
        "/api/v1/triage/unrouted".to_string(),
        format!("/api/v1/triage/items/{id}/similar"),
        "/api/v1/admin/teams".to_string(),
    ] {
        assert_eq!(c.get(&path).await.status, 403, "GET {path}");
    }
    for (path, body) in [
        (
            format!("/api/v1/triage/items/{id}/route"),
            json!({ "team": "phone" }),
        ),
        (
            format!("/api/v1/triage/items/{id}/assign"),
            json!({ "username": "plain" }),
        ),
        ("/api/v1/triage/rules".to_string(), json!({ "rules": [] })),
        (
            "/api/v1/admin/teams".to_string(),
            json!({ "slug": "x", "name_zh": "x", "name_en": "x" }),
        ),
        (
            "/api/v1/admin/teams/phone/members".to_string(),
            json!({ "username": "plain" }),
        ),
        (
            "/api/v1/admin/products/chorus-14/team".to_string(),
            json!({ "team": "phone" }),
        ),
        (
            format!("/api/v1/topics/{id}/status"),
            json!({ "status": "acknowledged" }),
        ),
        (
            format!("/api/v1/topics/{id}/merge"),
            json!({ "into": id + 1 }),
        ),
    ] {
        assert_eq!(c.post_json(&path, body).await.status, 403, "POST {path}");
    }
}

#[actix_web::test]
async fn admins_manage_teams_members_and_rules_from_a_page() {
    let app = TestApp::new().await;
    app.seed_boards().await;
    app.seed_products().await;
    app.user_with_role("lens_pm", Role::TeamMember).await;
    let admin = app.logged_in("chief", Role::Admin).await;
    assert_eq!(admin.get("/admin/triage").await.status, 200);
    let r = admin
        .post_form(
            "/admin/triage/teams",
            &[("slug", "lens"), ("name_zh", "影像"), ("name_en", "Lens")],
        )
        .await;
    assert_eq!(r.status, 303);
    let r = admin
        .post_form(
            "/admin/triage/members",
            &[("team", "lens"), ("username", "lens_pm")],
        )
        .await;
    assert_eq!(r.status, 303);
    admin
        .post_form(
            "/admin/triage/teams",
            &[
                ("slug", "power"),
                ("name_zh", "续航团队"),
                ("name_en", "Battery"),
            ],
        )
        .await;
    // Two rules in order, and the blank "new rule" row the page always sends.
    let r = admin
        .post_form(
            "/admin/triage/rules",
            &[
                ("row", "0"),
                ("team", "lens"),
                ("kind", "bug"),
                ("keywords", "相机，夜景, camera"),
                ("row", "1"),
                ("team", "power"),
                ("keywords", "续航"),
                ("row", "2"),
                ("team", ""),
                ("keywords", ""),
                ("op", "save"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.text());
    let rules = || {
        let app = &app;
        async move {
            chorus::triage::rules::all(&mut *app.conn().await)
                .await
                .unwrap()
                .into_iter()
                .map(|r| (r.team, r.keywords))
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        rules().await,
        vec![
            (
                "lens".to_string(),
                vec!["相机".to_string(), "夜景".into(), "camera".into()]
            ),
            ("power".to_string(), vec!["续航".to_string()]),
        ]
    );
    let page = admin.get("/admin/triage").await.text();
    assert!(page.contains("lens_pm") && page.contains("value=\"相机, 夜景, camera\""));
    // The test box: a title goes where the first matching rule says.
    let page = admin
        .get("/admin/triage?test_title=%E5%A4%9C%E6%99%AF%E5%A4%AA%E6%9A%97%E8%BF%98%E8%80%97%E7%94%B5%E7%BB%AD%E8%88%AA&test_kind=bug")
        .await
        .text();
    assert!(page.contains("这个标题会转到影像（规则 1）"), "{page}");
    // Down moves the first rule below the second, and now the battery team wins.
    let r = admin
        .post_form(
            "/admin/triage/rules",
            &[
                ("row", "0"),
                ("team", "lens"),
                ("kind", "bug"),
                ("keywords", "相机, 夜景, camera"),
                ("row", "1"),
                ("team", "power"),
                ("keywords", "续航"),
                ("op", "down:0"),
            ],
        )
        .await;
    assert_eq!(r.status, 303);
    assert_eq!(rules().await[0].0, "power");
    let page = admin
        .get("/admin/triage?test_title=%E5%A4%9C%E6%99%AF%E5%A4%AA%E6%9A%97%E8%BF%98%E8%80%97%E7%94%B5%E7%BB%AD%E8%88%AA&test_kind=bug")
        .await
        .text();
    assert!(page.contains("这个标题会转到续航团队（规则 1）"), "{page}");
    let r = admin
        .post_form(
            "/admin/triage/rules",
            &[
                ("row", "0"),
                ("team", "power"),
                ("keywords", "续航"),
                ("row", "1"),
                ("team", "lens"),
                ("keywords", "相机"),
                ("op", "remove:0"),
            ],
        )
        .await;
    assert_eq!(r.status, 303);
    assert_eq!(rules().await.len(), 1);
    // A rule for a team that does not exist is refused, and the rows come back as sent.
    let r = admin
        .post_form(
            "/admin/triage/rules",
            &[
                ("row", "0"),
                ("team", "ghosts"),
                ("keywords", "幽灵"),
                ("op", "save"),
            ],
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(
        r.text().contains("value=\"幽灵\""),
        "the input is kept for fixing"
    );
    assert_eq!(rules().await.len(), 1, "nothing changed");
    let member = app.logged_in("someone", Role::Member).await;
    assert_ne!(member.get("/admin/triage").await.status, 200);
}
