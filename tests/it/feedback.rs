use crate::support::smtp::{decode_parts, SmtpServer};
use crate::support::TestApp;
use actix_web::http::Method;
use chorus::accounts::Role;
use serde_json::json;

async fn setup() -> TestApp {
    let app = TestApp::new().await;
    app.seed_boards().await;
    app.seed_products().await;
    app
}

#[actix_web::test]
async fn bug_reports_name_every_missing_or_invalid_field() {
    let app = setup().await;
    let (_, t) = app.member("tester").await;
    let c = app.client().with_bearer(&t);
    let base = json!({"board": "phones", "kind": "bug", "title": "Camera crash", "body": "Crashes on launch"});
    let r = c.post_json("/api/v1/topics", base.clone()).await;
    assert_eq!(r.status, 422);
    assert!(r.json()["error"]["fields"]["bug"].is_string());
    let mut with_bug = base.clone();
    with_bug["bug"] = json!({"reproducibility": "sometimes", "severity": "apocalyptic", "app_version": "x".repeat(81)});
    let r = c.post_json("/api/v1/topics", with_bug).await;
    let fields = &r.json()["error"]["fields"];
    for f in [
        "bug.product",
        "bug.os_version",
        "bug.reproducibility",
        "bug.severity",
        "bug.app_version",
    ] {
        assert!(fields[f].is_string(), "{f} not named: {fields}");
    }
    let mut unknown = base.clone();
    unknown["bug"] = json!({"product": "no-such-phone", "os_version": "1.0", "reproducibility": "always", "severity": "minor"});
    let r = c.post_json("/api/v1/topics", unknown).await;
    assert_eq!(
        r.json()["error"]["fields"]["bug.product"],
        "no such product"
    );
    let mut extra = base.clone();
    extra["bug"] = json!({"product": "chorus-14", "os_version": "1.0", "reproducibility": "always", "severity": "minor", "imei": "123"});
    assert_eq!(
        c.post_json("/api/v1/topics", extra).await.status,
        422,
        "unknown bug fields are refused"
    );
    let on_discussion = json!({"board": "phones", "kind": "discussion", "title": "t", "body": "b",
        "bug": {"product": "chorus-14", "os_version": "1", "reproducibility": "once", "severity": "minor"}});
    assert_eq!(
        c.post_json("/api/v1/topics", on_discussion).await.status,
        422
    );

    let id = app.bug(&t, "Camera app crashes at night").await;
    let v = app
        .client()
        .get(&format!("/api/v1/topics/{id}"))
        .await
        .json();
    assert_eq!(v["kind"], "bug");
    assert_eq!(v["status"], "new");
    assert_eq!(v["bug"]["product"], "chorus-14");
    assert_eq!(v["bug"]["severity"], "crash");
    assert_eq!(v["bug"]["os_version"], "ChorusOS 2.0.1");
}

#[actix_web::test]
async fn votes_are_exact_under_concurrency_and_toggle() {
    let app = TestApp::with_settings(|s| s.database_pool_size = 10).await;
    app.seed_boards().await;
    app.seed_products().await;
    let (_, author) = app.member("proposer").await;
    let idea = app.idea(&author, "Dual apps").await;
    let mut voters = Vec::new();
    for i in 0..50 {
        voters.push(app.member(&format!("voter{i:02}")).await.0);
    }
    let now = app.clock.now();
    let futures = voters.iter().map(|u| {
        let pool = app.state.pool.clone();
        let settings = app.state.settings.clone();
        async move {
            let mut conn = chorus::db::get(&pool).await.unwrap();
            chorus::feedback::votes::set(
                &mut conn,
                &settings,
                u,
                idea,
                Some(chorus::feedback::votes::VoteKind::Vote),
                true,
                now,
            )
            .await
            .unwrap()
        }
    });
    futures_util::future::join_all(futures).await;
    let v = app
        .client()
        .get(&format!("/api/v1/topics/{idea}"))
        .await
        .json();
    assert_eq!(v["vote_count"], 50);

    let (_, t) = app.member("toggler").await;
    let c = app.client().with_bearer(&t);
    let url = format!("/api/v1/topics/{idea}/vote");
    assert_eq!(
        c.json(Method::PUT, &url, json!({})).await.json()["vote_count"],
        51
    );
    assert_eq!(
        c.json(Method::DELETE, &url, json!({})).await.json()["vote_count"],
        50
    );
    assert_eq!(
        c.json(Method::PUT, &url, json!({})).await.json()["vote_count"],
        51
    );
    assert_eq!(
        c.json(Method::PUT, &url, json!({})).await.json()["vote_count"],
        51,
        "a second vote changes nothing"
    );
    let own = app
        .client()
        .with_bearer(&author)
        .json(Method::PUT, &url, json!({}))
        .await;
    assert_eq!(own.status, 403);
    assert_eq!(own.code(), "own_topic");
    let wrong = c
        .json(
            Method::PUT,
            &format!("/api/v1/topics/{idea}/me-too"),
            json!({}),
        )
        .await;
    assert_eq!(wrong.status, 409, "me-too is for bugs");
    let mine = c.get("/api/v1/me/feedback").await.json();
    assert_eq!(mine["votes"][0]["topic_id"], idea);
    // Sorting the idea board by votes and by trending.
    let other = app.idea(&author, "Quiet idea").await;
    let by_votes = app
        .client()
        .get("/api/v1/boards/ideas/topics?sort=votes")
        .await
        .json();
    assert_eq!(by_votes["items"][0]["id"], idea);
    assert_eq!(by_votes["items"][1]["id"], other);
    let trending = app
        .client()
        .get("/api/v1/boards/ideas/topics?sort=trending")
        .await
        .json();
    assert_eq!(trending["items"][0]["id"], idea);
    // The hourly refresh: a week later the votes no longer count as recent.
    let trending_of = |id: i64| {
        let app = &app;
        async move {
            use chorus::db::schema::topics;
            use diesel::prelude::*;
            use diesel_async::RunQueryDsl;
            topics::table
                .find(id)
                .select(topics::trending)
                .first::<i32>(&mut app.conn().await)
                .await
                .unwrap()
        }
    };
    let mut conn = app.conn().await;
    chorus::feedback::votes::refresh_trending(&mut conn, None, app.clock.now())
        .await
        .unwrap();
    assert_eq!(trending_of(idea).await, 51, "recent votes still count");
    chorus::feedback::votes::refresh_trending(
        &mut conn,
        None,
        app.clock.now() + chrono::Duration::days(8),
    )
    .await
    .unwrap();
    drop(conn);
    assert_eq!(
        trending_of(idea).await,
        0,
        "a week on, the idea has no recent votes"
    );
}

#[actix_web::test]
async fn only_staff_change_statuses_and_every_change_is_kept() {
    let app = setup().await;
    let (_, reporter) = app.member("reporter").await;
    let (_, member) = app.member("bystander").await;
    let (_, pm) = app.user_with_role("pm_li", Role::TeamMember).await;
    let bug = app.bug(&reporter, "Wi-Fi drops").await;
    let url = format!("/api/v1/topics/{bug}/status");
    let r = app
        .client()
        .with_bearer(&member)
        .post_json(&url, json!({"status": "acknowledged"}))
        .await;
    assert_eq!(r.status, 403);
    let r = app
        .client()
        .with_bearer(&pm)
        .post_json(
            &url,
            json!({"status": "acknowledged", "note": "We can **reproduce** it."}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let r = app
        .client()
        .with_bearer(&pm)
        .post_json(&url, json!({"status": "resolved", "fixed_in": "2.0.3"}))
        .await;
    assert_eq!(r.status, 200);
    let bad = app
        .client()
        .with_bearer(&pm)
        .post_json(&url, json!({"status": "closed"}))
        .await;
    assert_eq!(bad.status, 422);
    // schemathesis's request: `duplicate_of` beside another status used to reach the foreign key.
    let stray = app
        .client()
        .with_bearer(&pm)
        .post_json(
            &url,
            json!({"duplicate_of": 0, "fixed_in": "", "note": "", "status": "new"}),
        )
        .await;
    assert_eq!(stray.status, 422, "{}", stray.text());
    assert!(stray.json()["error"]["fields"]["duplicate_of"].is_string());
    let v = app
        .client()
        .get(&format!("/api/v1/topics/{bug}"))
        .await
        .json();
    assert_eq!(v["status"], "resolved");
    let history = v["status_history"].as_array().unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(history[0]["to_status"], "resolved");
    assert_eq!(history[0]["fixed_in"], "2.0.3");
    assert_eq!(history[1]["actor"], "pm_li");
    assert!(v["official_response"]["note_html"]
        .as_str()
        .unwrap()
        .contains("<strong>reproduce</strong>"));
    // Discussions have no status.
    let (topic, _) = app.topic(&reporter, "tips", "Just talk", "x").await;
    let r = app
        .client()
        .with_bearer(&pm)
        .post_json(
            &format!("/api/v1/topics/{topic}/status"),
            json!({"status": "planned"}),
        )
        .await;
    assert_eq!(r.status, 409);
}

#[actix_web::test]
async fn the_reporter_answering_needs_info_sends_it_back_to_new() {
    let app = setup().await;
    let (_, reporter) = app.member("asked").await;
    let (_, pm) = app.user_with_role("pm_wang", Role::TeamMember).await;
    let bug = app.bug(&reporter, "Battery drain").await;
    app.client()
        .with_bearer(&pm)
        .post_json(
            &format!("/api/v1/topics/{bug}/status"),
            json!({"status": "needs_info", "note": "Which apps run?"}),
        )
        .await;
    app.reply(&reporter, bug, None, "Only the browser.").await;
    let v = app
        .client()
        .get(&format!("/api/v1/topics/{bug}"))
        .await
        .json();
    assert_eq!(v["status"], "new");
    assert_eq!(v["status_history"][0]["actor"], "asked");
}

#[actix_web::test]
async fn everyone_behind_an_item_gets_exactly_one_mail_per_change() {
    use chorus::db::schema::topic_votes;
    use diesel::prelude::*;
    use diesel_async::RunQueryDsl;
    let app = setup().await;
    let smtp = SmtpServer::start().await;
    let (_, reporter) = app.member("rep").await;
    let (_, m1) = app.member("metoo1").await;
    let (_, sub) = app.member("subscriber").await;
    let (all4_user, all4) = app.member("everything").await;
    let (_, quiet) = app.member("quietone").await;
    let (_, inapp) = app.member("appuser").await;
    let (_, pm) = app.user_with_role("pm_zhao", Role::TeamMember).await;
    let bug = app.bug(&reporter, "Bluetooth disconnects").await;
    for tok in [&m1, &all4, &quiet, &inapp] {
        assert_eq!(
            app.client()
                .with_bearer(tok)
                .json(
                    Method::PUT,
                    &format!("/api/v1/topics/{bug}/me-too"),
                    json!({})
                )
                .await
                .status,
            200
        );
    }
    for tok in [&sub, &all4] {
        app.client()
            .with_bearer(tok)
            .json(
                Method::PUT,
                &format!("/api/v1/topics/{bug}/subscription"),
                json!({}),
            )
            .await;
    }
    // "everything" also carries a vote (as after an idea was merged in) and replied.
    diesel::insert_into(topic_votes::table)
        .values((
            topic_votes::topic_id.eq(bug),
            topic_votes::user_id.eq(all4_user.id),
            topic_votes::kind.eq("vote"),
            topic_votes::created_at.eq(app.clock.now()),
        ))
        .execute(&mut app.conn().await)
        .await
        .unwrap();
    app.reply(&all4, bug, None, "Same here").await;
    for (tok, pref) in [(&quiet, "off"), (&inapp, "in_app")] {
        let r = app
            .client()
            .with_bearer(tok)
            .json(Method::PATCH, "/api/v1/me", json!({"notify_status": pref}))
            .await;
        assert_eq!(r.json()["notify_status"], pref);
    }
    app.run_jobs().await;
    deliver_all(&app, &smtp).await;
    let before = smtp.received().len();

    let started = std::time::Instant::now();
    let r = app
        .client()
        .with_bearer(&pm)
        .post_json(
            &format!("/api/v1/topics/{bug}/status"),
            json!({"status": "planned", "note": "Fix is scheduled."}),
        )
        .await;
    assert_eq!(r.status, 200);
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    // A second change inside the batching window joins the same mail.
    app.client()
        .with_bearer(&pm)
        .post_json(
            &format!("/api/v1/topics/{bug}/status"),
            json!({"status": "resolved", "fixed_in": "2.1"}),
        )
        .await;
    app.run_jobs().await;
    assert_eq!(
        smtp.received().len(),
        before,
        "mail waits for the batching window"
    );
    app.clock
        .advance(chorus::feedback::loop_closure::BATCH_WINDOW + chrono::Duration::seconds(1));
    app.run_jobs().await;
    deliver_all(&app, &smtp).await;
    let mails: Vec<_> = smtp.received().into_iter().skip(before).collect();
    let mut to: Vec<String> = mails.iter().flat_map(|m| m.to.clone()).collect();
    to.sort();
    assert_eq!(
        to,
        vec![
            "<everything@example.com>",
            "<metoo1@example.com>",
            "<rep@example.com>",
            "<subscriber@example.com>"
        ],
        "one mail each; off and in-app users get none"
    );
    let text = decode_parts(
        &mails
            .iter()
            .find(|m| m.to[0].contains("rep@"))
            .unwrap()
            .data,
    );
    assert!(
        text.contains("2.1") && text.contains("Fix is scheduled."),
        "both changes in one mail: {text}"
    );
    assert!(
        text.contains("#satisfaction"),
        "the reporter is asked about the outcome"
    );
    let inapp_list = app
        .client()
        .with_bearer(&inapp)
        .get("/api/v1/notifications")
        .await
        .json();
    assert_eq!(
        inapp_list["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|n| n["kind"] == "status")
            .count(),
        2
    );
    let quiet_list = app
        .client()
        .with_bearer(&quiet)
        .get("/api/v1/notifications")
        .await
        .json();
    assert!(quiet_list["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|n| n["kind"] != "status"));
    let pm_list = app
        .client()
        .with_bearer(&pm)
        .get("/api/v1/notifications")
        .await
        .json();
    assert!(
        pm_list["items"].as_array().unwrap().is_empty(),
        "the actor is not told about their own change"
    );
}

async fn deliver_all(app: &TestApp, smtp: &SmtpServer) {
    use chorus::mail::{transport::Transport, worker};
    let mut settings = app.state.settings.mail.clone();
    settings.smtp_url.0 = smtp.url();
    let transport = Transport::from_settings(&settings, app.data_dir.path().into()).unwrap();
    while worker::deliver_due(&app.state.pool, &transport, &settings, app.clock.now())
        .await
        .unwrap()
        != Default::default()
    {}
}

#[actix_web::test]
async fn only_the_reporter_and_me_too_users_answer_the_follow_up() {
    let app = setup().await;
    let (_, reporter) = app.member("happy").await;
    let (_, m) = app.member("metoo_user").await;
    let (_, other) = app.member("stranger").await;
    let (_, pm) = app.user_with_role("pm_sun", Role::TeamMember).await;
    let bug = app.bug(&reporter, "Screen flicker").await;
    app.client()
        .with_bearer(&m)
        .json(
            Method::PUT,
            &format!("/api/v1/topics/{bug}/me-too"),
            json!({}),
        )
        .await;
    let url = format!("/api/v1/topics/{bug}/satisfaction");
    let early = app
        .client()
        .with_bearer(&reporter)
        .json(Method::PUT, &url, json!({"satisfied": true}))
        .await;
    assert_eq!(early.status, 422, "not resolved yet");
    app.client()
        .with_bearer(&pm)
        .post_json(
            &format!("/api/v1/topics/{bug}/status"),
            json!({"status": "resolved"}),
        )
        .await;
    assert_eq!(
        app.client()
            .with_bearer(&reporter)
            .json(
                Method::PUT,
                &url,
                json!({"satisfied": false, "comment": "still flickers"})
            )
            .await
            .status,
        204
    );
    assert_eq!(
        app.client()
            .with_bearer(&reporter)
            .json(Method::PUT, &url, json!({"satisfied": true}))
            .await
            .status,
        204,
        "changeable"
    );
    assert_eq!(
        app.client()
            .with_bearer(&m)
            .json(Method::PUT, &url, json!({"satisfied": false}))
            .await
            .status,
        204
    );
    assert_eq!(
        app.client()
            .with_bearer(&other)
            .json(Method::PUT, &url, json!({"satisfied": true}))
            .await
            .status,
        403
    );
    assert_eq!(
        app.client().with_bearer(&other).get(&url).await.status,
        404,
        "answers are for staff"
    );
    let answers = app.client().with_bearer(&pm).get(&url).await.json();
    let items = answers["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "one answer each");
    assert!(items
        .iter()
        .any(|a| a["username"] == "happy" && a["satisfied"] == true));
    let mine = app
        .client()
        .with_bearer(&reporter)
        .get(&format!("/api/v1/topics/{bug}"))
        .await
        .json();
    assert_eq!(mine["satisfaction"]["asked"], true);
    assert_eq!(mine["satisfaction"]["answer"]["satisfied"], true);
}

#[actix_web::test]
async fn merging_duplicates_counts_each_person_once_and_refuses_cycles() {
    let app = setup().await;
    let (_, a) = app.member("first_reporter").await;
    let (_, b) = app.member("second_reporter").await;
    let (_, pm) = app.user_with_role("pm_qian", Role::TeamMember).await;
    let (_, member) = app.member("not_staff").await;
    let target = app.bug(&a, "Lag when scrolling").await;
    let source = app.bug(&b, "Scrolling stutters").await;
    let mut people = Vec::new();
    for i in 0..6 {
        people.push(app.member(&format!("shared{i}")).await.1);
    }
    // shared0..3 on the target, shared2..5 on the source: an overlap of two.
    for (i, tok) in people.iter().enumerate() {
        if i <= 3 {
            app.client()
                .with_bearer(tok)
                .json(
                    Method::PUT,
                    &format!("/api/v1/topics/{target}/me-too"),
                    json!({}),
                )
                .await;
        }
        if i >= 2 {
            app.client()
                .with_bearer(tok)
                .json(
                    Method::PUT,
                    &format!("/api/v1/topics/{source}/me-too"),
                    json!({}),
                )
                .await;
        }
    }
    let merge = |tok: String, from: i64, into: i64| {
        let c = app.client().with_bearer(&tok);
        async move {
            c.post_json(
                &format!("/api/v1/topics/{from}/merge"),
                json!({"into": into}),
            )
            .await
        }
    };
    assert_eq!(merge(member.clone(), source, target).await.status, 403);
    assert_eq!(
        merge(pm.clone(), source, source).await.status,
        422,
        "not into itself"
    );
    let r = merge(pm.clone(), source, target).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let t = app
        .client()
        .get(&format!("/api/v1/topics/{target}"))
        .await
        .json();
    // shared0..5 (6 people) plus the source's reporter: 7 distinct people.
    assert_eq!(t["me_too_count"], 7);
    assert_eq!(t["duplicates_merged"][0]["id"], source);
    let s = app
        .client()
        .get(&format!("/api/v1/topics/{source}"))
        .await
        .json();
    assert_eq!(s["status"], "duplicate");
    assert_eq!(s["duplicate_of"], target);
    assert_eq!(s["locked"], true);
    assert_eq!(
        merge(pm.clone(), target, source).await.status,
        422,
        "not into a duplicate (a cycle)"
    );
    assert_eq!(
        merge(pm.clone(), source, target).await.status,
        422,
        "not twice"
    );
    let third = app.bug(&a, "Another").await;
    assert_eq!(
        merge(pm.clone(), third, source).await.status,
        422,
        "not into a duplicate"
    );
    // The source's audience hears where it went.
    app.run_jobs().await;
    let n = app
        .client()
        .with_bearer(&b)
        .get("/api/v1/notifications")
        .await
        .json();
    assert!(n["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|i| i["kind"] == "status" && i["topic_id"] == source));
}

#[actix_web::test]
async fn products_are_listed_and_managed_by_admins() {
    let app = setup().await;
    let list = app
        .client()
        .send(
            actix_web::test::TestRequest::get()
                .uri("/api/v1/products")
                .insert_header(("Accept-Language", "zh-CN")),
        )
        .await
        .json();
    assert!(list
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["slug"] == "band-9" && p["name"] == "手环 9" && p["line"] == "wearable"));
    let (_, member) = app.member("nobody").await;
    let (_, admin) = app.user_with_role("root_admin", Role::Admin).await;
    let body = json!({"slug": "vacuum-s10", "name_zh": "扫地机器人 S10", "name_en": "Robot Vacuum S10", "line": "smart_home"});
    assert_eq!(
        app.client()
            .with_bearer(&member)
            .post_json("/api/v1/admin/products", body.clone())
            .await
            .status,
        403
    );
    assert_eq!(
        app.client()
            .with_bearer(&admin)
            .post_json("/api/v1/admin/products", body)
            .await
            .status,
        201
    );
    let bad = app
        .client()
        .with_bearer(&admin)
        .post_json(
            "/api/v1/admin/products",
            json!({"slug": "x", "name_zh": "", "name_en": "y", "line": "toaster"}),
        )
        .await;
    assert_eq!(bad.status, 422);
    assert!(bad.json()["error"]["fields"]["line"].is_string());
}

#[actix_web::test]
async fn the_bug_form_status_tools_me_too_and_follow_up_work_without_javascript() {
    let app = setup().await;
    let fan = app.logged_in("formfan", Role::Member).await;
    let other = app.logged_in("formother", Role::Member).await;
    let pm = app.logged_in("formpm", Role::TeamMember).await;
    let form = fan.get("/new?board=phones&kind=bug").await;
    assert_eq!(form.status, 200);
    assert!(form.text().contains("name=\"os_version\""));
    let bad = fan
        .post_form(
            "/new",
            &[
                ("board", "phones"),
                ("kind", "bug"),
                ("title", "Crash"),
                ("body", "It crashes"),
                ("os_version", "2.0.1"),
            ],
        )
        .await;
    assert_eq!(bad.status, 422);
    let html = bad.text();
    assert!(html.contains("value=\"2.0.1\""), "typed values are kept");
    assert!(
        html.matches("class=\"error\"").count() >= 3,
        "product, reproducibility and severity are each flagged"
    );
    let ok = fan
        .post_form(
            "/new",
            &[
                ("board", "phones"),
                ("kind", "bug"),
                ("title", "Camera crash"),
                ("body", "It crashes"),
                ("product", "chorus-14"),
                ("os_version", "2.0.1"),
                ("reproducibility", "often"),
                ("severity", "crash"),
                ("steps", "open camera"),
            ],
        )
        .await;
    assert_eq!(ok.status, 303, "{}", ok.text());
    let url = ok.header("location").unwrap();
    let id: i64 = url
        .trim_start_matches("/t/")
        .split('?')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(fan.get(&url).await.text().contains("open camera"));

    assert_eq!(
        other
            .post_form(&format!("/t/{id}/vote"), &[("on", "1")])
            .await
            .status,
        303
    );
    assert!(
        other
            .get(&url)
            .await
            .text()
            .contains("aria-pressed=\"true\""),
        "me-too pressed"
    );
    let denied = other
        .post_form(&format!("/t/{id}/status"), &[("status", "planned")])
        .await;
    assert_eq!(denied.status, 403);
    assert!(
        !other
            .get(&url)
            .await
            .text()
            .contains(&format!("action=\"/t/{id}/status\"")),
        "no team tools for members"
    );
    assert_eq!(
        pm.post_form(
            &format!("/t/{id}/status"),
            &[
                ("status", "resolved"),
                ("note", "Fixed in the **May** update"),
                ("fixed_in", "2.0.5")
            ]
        )
        .await
        .status,
        303
    );
    let page = fan.get(&url).await.text();
    assert!(
        page.contains("class=\"official\"") && page.contains("<strong>May</strong>"),
        "official response shown"
    );
    assert!(
        page.contains("id=\"satisfaction\""),
        "the reporter is asked"
    );
    assert_eq!(
        fan.post_form(
            &format!("/t/{id}/satisfaction"),
            &[("satisfied", "yes"), ("comment", "thanks")]
        )
        .await
        .status,
        303
    );
    assert!(
        pm.get(&url).await.text().contains("thanks"),
        "staff see the answer"
    );
    assert_eq!(app.client().get("/roadmap").await.status, 200);
    let mine = fan.get("/me/feedback").await.text();
    assert!(mine.contains("Camera crash") && mine.contains("status-resolved"));
    let voted = other.get("/me/feedback").await.text();
    assert!(voted.contains("Camera crash"));
}

#[actix_web::test]
async fn the_roadmap_groups_planned_work_by_product() {
    let app = setup().await;
    let (_, fan) = app.member("roadfan").await;
    let (_, pm) = app.user_with_role("roadpm", Role::TeamMember).await;
    let idea = app
        .client()
        .with_bearer(&fan)
        .post_json("/api/v1/topics", json!({"board": "ideas", "kind": "idea", "title": "Sleep tracking naps", "body": "x", "product": "band-9"}))
        .await
        .json()["id"]
        .as_i64()
        .unwrap();
    app.client()
        .with_bearer(&pm)
        .post_json(
            &format!("/api/v1/topics/{idea}/status"),
            json!({"status": "planned"}),
        )
        .await;
    let page = app
        .client()
        .send(
            actix_web::test::TestRequest::get()
                .uri("/roadmap")
                .insert_header(("Accept-Language", "en")),
        )
        .await
        .text();
    let band = page.find("Band 9").expect("the product heads a group");
    let item = page
        .find("Sleep tracking naps")
        .expect("the planned idea is listed");
    assert!(item > band);
    let planned = app
        .client()
        .get("/api/v1/boards/ideas/topics?status=planned")
        .await
        .json();
    assert_eq!(planned["items"].as_array().unwrap().len(), 1);
    assert_eq!(
        app.client()
            .get("/api/v1/boards/ideas/topics?status=someday")
            .await
            .status,
        422
    );
}

pub fn multipart(name: &str, bytes: &[u8], private: bool) -> (String, Vec<u8>) {
    let boundary = "chorusTESTboundary7MA4YWxk";
    let mut body = Vec::new();
    body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes());
    body.extend_from_slice(bytes);
    body.extend_from_slice(b"\r\n");
    if private {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"private\"\r\n\r\n1\r\n"
            )
            .as_bytes(),
        );
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

const PNG: &[u8] =
    b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";

#[actix_web::test]
async fn attachments_are_checked_by_content_limited_and_private_logs_stay_private() {
    let app = setup().await;
    let (_, reporter) = app.member("uploader").await;
    let (_, other) = app.member("curious").await;
    let (_, moderator) = app.user_with_role("mod_lin", Role::Moderator).await;
    let (_, pm) = app.user_with_role("pm_zhou", Role::TeamMember).await;
    let bug = app.bug(&reporter, "Crash with logs").await;
    let up = |tok: String, name: &'static str, bytes: Vec<u8>, private: bool| {
        let app = &app;
        async move {
            let (ct, body) = multipart(name, &bytes, private);
            app.client()
                .with_bearer(&tok)
                .post_raw(&format!("/api/v1/topics/{bug}/attachments"), &ct, body)
                .await
        }
    };
    let log = up(
        reporter.clone(),
        "logcat.txt",
        b"11-24 09:00 E/Camera: fatal\n".to_vec(),
        true,
    )
    .await;
    assert_eq!(log.status, 201, "{}", log.text());
    let log_url = log.json()["url"].as_str().unwrap().to_string();
    assert_eq!(log.json()["private"], true);
    let shot = up(reporter.clone(), "screen.png", PNG.to_vec(), true).await;
    assert_eq!(shot.status, 201);
    assert_eq!(
        shot.json()["private"],
        false,
        "screenshots are never private"
    );
    let shot_url = shot.json()["url"].as_str().unwrap().to_string();

    // The item page lists the log with its size in the unit that fits (not "0.0 KB").
    let page = app
        .client()
        .with_bearer(&reporter)
        .get(&format!("/t/{bug}"))
        .await
        .text();
    assert!(
        page.contains("logcat.txt</a> <span class=\"meta\">28 B"),
        "{page}"
    );
    let mine = app.client().with_bearer(&reporter).get(&log_url).await;
    assert_eq!(mine.status, 200);
    assert!(mine
        .header("content-disposition")
        .unwrap()
        .starts_with("attachment;"));
    assert_eq!(
        mine.header("x-content-type-options").as_deref(),
        Some("nosniff")
    );
    assert!(mine
        .header("content-security-policy")
        .unwrap()
        .starts_with("sandbox"));
    assert!(mine
        .header("content-type")
        .unwrap()
        .starts_with("text/plain"));
    assert_eq!(
        app.client().with_bearer(&other).get(&log_url).await.status,
        404,
        "private to others"
    );
    assert_eq!(app.client().get(&log_url).await.status, 404);
    assert_eq!(
        app.client()
            .with_bearer(&moderator)
            .get(&log_url)
            .await
            .status,
        200
    );
    // Product teams: only the team the item is routed to. Unrouted, no team reads it.
    assert_eq!(
        app.client().with_bearer(&pm).get(&log_url).await.status,
        404,
        "a team member on no team"
    );
    let (_, rival) = app.user_with_role("pm_wu", Role::TeamMember).await;
    let camera = put_on_team(&app, "camera", "pm_zhou").await;
    put_on_team(&app, "audio", "pm_wu").await;
    route_to(&app, bug, camera).await;
    assert_eq!(
        app.client().with_bearer(&pm).get(&log_url).await.status,
        200,
        "the routed team"
    );
    assert_eq!(
        app.client().with_bearer(&rival).get(&log_url).await.status,
        404,
        "another team's member"
    );
    let listed = |tok: String| {
        let app = &app;
        async move {
            app.client()
                .with_bearer(&tok)
                .get(&format!("/api/v1/topics/{bug}"))
                .await
                .json()["attachments"]
                .as_array()
                .unwrap()
                .len()
        }
    };
    assert_eq!(listed(pm.clone()).await, 2);
    assert_eq!(
        listed(rival.clone()).await,
        1,
        "not even listed for another team"
    );
    let topic = app
        .client()
        .with_bearer(&other)
        .get(&format!("/api/v1/topics/{bug}"))
        .await
        .json();
    assert_eq!(
        topic["attachments"].as_array().unwrap().len(),
        1,
        "the private log is not even listed"
    );
    let img = app.client().with_bearer(&other).get(&shot_url).await;
    assert_eq!(img.status, 200);
    assert_eq!(img.header("content-type").as_deref(), Some("image/png"));
    assert!(img
        .header("content-disposition")
        .unwrap()
        .starts_with("inline;"));

    for (name, bytes) in [
        ("photo.png", b"\x7fELF\x02\x01\x01\0\0\0\0\0".to_vec()),
        ("setup.png", b"MZ\x90\0\x03\0\0\0\x04\0".to_vec()),
        (
            "page.png",
            b"<!DOCTYPE html><html><script>alert(1)</script>".to_vec(),
        ),
        (
            "icon.png",
            b"<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"/>".to_vec(),
        ),
        ("empty.txt", Vec::new()),
    ] {
        let r = up(reporter.clone(), name, bytes, false).await;
        assert_eq!(r.status, 422, "{name}: {}", r.text());
        assert!(r.json()["error"]["fields"]["file"].is_string());
    }
    let big = up(
        reporter.clone(),
        "huge.log",
        vec![b'a'; 10 * 1024 * 1024 + 10],
        false,
    )
    .await;
    assert_eq!(big.status, 413);
    assert_eq!(
        up(other.clone(), "mine.txt", b"hello".to_vec(), false)
            .await
            .status,
        403,
        "only the reporter (or staff)"
    );
    for i in 0..3 {
        assert_eq!(
            up(
                reporter.clone(),
                "more.txt",
                format!("log {i}").into_bytes(),
                false
            )
            .await
            .status,
            201
        );
    }
    let sixth = up(
        reporter.clone(),
        "sixth.txt",
        b"one too many".to_vec(),
        false,
    )
    .await;
    assert_eq!(sixth.status, 422);
    let idea = app.idea(&reporter, "Not a bug").await;
    let (ct, body) = multipart("a.txt", b"text", false);
    let r = app
        .client()
        .with_bearer(&reporter)
        .post_raw(&format!("/api/v1/topics/{idea}/attachments"), &ct, body)
        .await;
    assert_eq!(r.status, 409);
}

#[actix_web::test]
async fn the_upload_form_needs_its_csrf_token() {
    let app = setup().await;
    let c = app.logged_in("formuploader", Role::Member).await;
    let r = c
        .post_form(
            "/new",
            &[
                ("board", "phones"),
                ("kind", "bug"),
                ("title", "With a log"),
                ("body", "x"),
                ("product", "chorus-14"),
                ("os_version", "2.0"),
                ("reproducibility", "once"),
                ("severity", "minor"),
            ],
        )
        .await;
    let url = r
        .header("location")
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .to_string();
    let page = c.get(&url).await.text();
    assert!(page.contains("enctype=\"multipart/form-data\""));
    let (ct, body) = multipart("log.txt", b"E/app: boom", true);
    let forged = c
        .post_raw(&format!("{url}/attachments"), &ct, body.clone())
        .await;
    assert_eq!(forged.status, 403, "no token, no upload");
    let token = c.csrf().await;
    let ok = c
        .post_raw(&format!("{url}/attachments?csrf_token={token}"), &ct, body)
        .await;
    assert_eq!(ok.status, 303, "{}", ok.text());
    assert!(c.get(&url).await.text().contains("log.txt"));
}

/// A team `slug` with `username` on it; its id.
async fn put_on_team(app: &TestApp, slug: &str, username: &str) -> i64 {
    let mut conn = app.conn().await;
    let now = app.clock.now();
    let team = chorus::triage::teams::upsert(
        &mut conn,
        &chorus::triage::teams::TeamInput::named(
            slug,
            &format!("{slug} 团队"),
            &format!("{slug} team"),
        ),
        now,
    )
    .await
    .unwrap();
    chorus::triage::teams::set_member(&mut conn, slug, username, true, now)
        .await
        .unwrap();
    team.id
}

#[actix_web::test]
async fn internal_notes_are_for_staff_and_the_routed_team_only() {
    let app = setup().await;
    let (_, reporter) = app.member("note_reporter").await;
    let (_, member) = app.member("note_fan").await;
    let (_, moderator) = app.user_with_role("note_mod", Role::Moderator).await;
    let (_, pm) = app.user_with_role("note_pm", Role::TeamMember).await;
    let (_, rival) = app.user_with_role("note_rival", Role::TeamMember).await;
    let bug = app.bug(&reporter, "Shutter lag").await;
    let url = format!("/api/v1/topics/{bug}/internal-notes");
    let note = json!({"body": "Reproduced on **2.0.3**; asked the sensor vendor (xyzzy42)."});
    let post = |tok: &str| {
        let (app, url, note, tok) = (&app, url.clone(), note.clone(), tok.to_string());
        async move { app.client().with_bearer(&tok).post_json(&url, note).await }
    };
    let get = |tok: &str| {
        let (app, url, tok) = (&app, url.clone(), tok.to_string());
        async move { app.client().with_bearer(&tok).get(&url).await }
    };
    // Unrouted: staff only.
    assert_eq!(post(&pm).await.status, 404, "no team owns it yet");
    let camera = put_on_team(&app, "camera", "note_pm").await;
    put_on_team(&app, "audio", "note_rival").await;
    route_to(&app, bug, camera).await;
    let r = post(&pm).await;
    assert_eq!(r.status, 201, "{}", r.text());
    assert!(r.json()["body_html"]
        .as_str()
        .unwrap()
        .contains("<strong>2.0.3</strong>"));
    assert_eq!(post(&moderator).await.status, 201);
    let listed = get(&pm).await;
    assert_eq!(listed.json()["items"].as_array().unwrap().len(), 2);
    assert_eq!(listed.json()["items"][0]["author"], "note_pm");
    assert_eq!(get(&moderator).await.status, 200);
    // Everyone else: absent, as for a topic that does not exist.
    for (who, tok) in [
        ("another team", &rival),
        ("the reporter", &reporter),
        ("a fan", &member),
    ] {
        let r = get(tok).await;
        assert_eq!(r.status, 404, "{who}");
        assert!(!r.text().contains("xyzzy42"), "{who}");
        assert_eq!(post(tok).await.status, 404, "{who}");
    }
    assert_eq!(app.client().get(&url).await.status, 401);
    // Never in the public topic, for anyone, nor in anyone's export but the author's.
    for tok in [&pm, &member, &reporter, &rival] {
        let topic = app
            .client()
            .with_bearer(tok)
            .get(&format!("/api/v1/topics/{bug}"))
            .await;
        assert!(!topic.text().contains("xyzzy42"));
    }
    // The item page shows them to the routed team only, with a form that adds one.
    let page = |tok: &str| {
        let (app, tok) = (&app, tok.to_string());
        async move {
            app.client()
                .with_bearer(&tok)
                .get(&format!("/t/{bug}"))
                .await
                .text()
        }
    };
    let team_page = page(&pm).await;
    assert!(team_page.contains("xyzzy42") && team_page.contains("/internal-notes\""));
    for tok in [&member, &reporter, &rival] {
        let other = page(tok).await;
        assert!(!other.contains("xyzzy42") && !other.contains("internal-notes"));
    }
    let c = app.logged_in("note_mod2", Role::Moderator).await;
    let r = c
        .post_form(
            &format!("/t/{bug}/internal-notes"),
            &[("body", "From the form: plugh7")],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.text());
    assert!(get(&pm).await.text().contains("plugh7"));
    let export = |tok: &str| {
        let (app, tok) = (&app, tok.to_string());
        async move {
            app.client()
                .with_bearer(&tok)
                .get("/api/v1/me/export")
                .await
                .text()
        }
    };
    assert!(
        export(&pm).await.contains("xyzzy42"),
        "the author's own export"
    );
    assert!(!export(&reporter).await.contains("xyzzy42"));
    // Audited, and bad input is a clear 4xx.
    let log = app
        .client()
        .with_bearer(&moderator)
        .get("/api/v1/mod/log")
        .await
        .json();
    assert!(log["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|i| i["action"] == "internal_note"));
    let empty = app
        .client()
        .with_bearer(&pm)
        .post_json(&url, json!({"body": "  "}))
        .await;
    assert_eq!(empty.status, 422);
    // A discussion has no notes.
    let (talk, _) = app
        .topic(&member, "tips", "Night shots", "Use a tripod")
        .await;
    let r = app
        .client()
        .with_bearer(&moderator)
        .get(&format!("/api/v1/topics/{talk}/internal-notes"))
        .await;
    assert_eq!(r.status, 404);
}

#[actix_web::test]
async fn staff_and_team_posts_carry_the_official_mark_in_the_api_the_page_and_mail() {
    let app = setup().await;
    let (_, reporter) = app.member("mark_reporter").await;
    let (_, fan) = app.member("mark_fan").await;
    let (_, pm) = app.user_with_role("mark_pm", Role::TeamMember).await;
    let bug = app.bug(&reporter, "Focus hunts in low light").await;
    // Audio first: the author's first team is not the routed one.
    put_on_team(&app, "audio", "mark_pm").await;
    let camera = put_on_team(&app, "camera", "mark_pm").await;
    route_to(&app, bug, camera).await;
    let topic_url = format!("/api/v1/topics/{bug}");
    let root = app.client().get(&topic_url).await.json()["posts"][0]["id"]
        .as_i64()
        .unwrap();
    app.reply(&fan, bug, Some(root), "Same here").await;
    app.reply(&pm, bug, Some(root), "We are on it").await;
    let r = app
        .client()
        .with_bearer(&pm)
        .post_json(
            &format!("{topic_url}/status"),
            json!({"status": "acknowledged", "note": "Fix planned for 2.0.4"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());

    let v = app.client().get(&topic_url).await.json();
    let post = |author: &str| {
        v["posts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["author"] == author)
            .unwrap()
            .clone()
    };
    let official = post("mark_pm");
    assert_eq!(official["official"], true);
    assert_eq!(official["author_role"], "team_member");
    // The team the item is routed to, though the author's first team is another.
    assert_eq!(official["author_team"]["slug"], "camera");
    let plain = post("mark_fan");
    assert_eq!(plain["official"], false);
    assert!(plain["author_team"].is_null());
    assert_eq!(v["official_team"]["slug"], "camera");

    let page = app.client().get(&format!("/t/{bug}")).await.text();
    assert!(
        page.contains("官方 · camera 团队"),
        "the mark on the post and the response"
    );
    assert_eq!(
        page.matches("badge official").count(),
        1,
        "only on the team's post"
    );

    app.run_jobs().await;
    let mails = app.outbox_for("mark_reporter@example.com").await;
    let reply_mail = mails
        .iter()
        .find(|m| m.contains("We are on it"))
        .expect("the reply mail");
    assert!(reply_mail.contains("[官方 · camera 团队]"), "{reply_mail}");
    let fan_mail = mails
        .iter()
        .find(|m| m.contains("Same here"))
        .expect("the fan's mail");
    assert!(!fan_mail.contains("官方"), "{fan_mail}");
}

/// Routes a topic to a team, as a rule would have.
async fn route_to(app: &TestApp, topic: i64, team: i64) {
    diesel_async::RunQueryDsl::execute(
        diesel::sql_query(format!(
            "UPDATE topics SET team_id = {team} WHERE id = {topic}"
        )),
        &mut *app.conn().await,
    )
    .await
    .unwrap();
}

/// The composer as a browser sends it: multipart, the token in the action, the report's files
/// with it. Without the token nothing is filed; files on a discussion are refused.
#[actix_web::test]
async fn a_report_takes_its_files_while_it_is_written() {
    let app = setup().await;
    let c = app.logged_in("composer_fan", Role::Member).await;
    let form = |kind: &str, title: &str| {
        let boundary = "chorusTESTboundaryComposer";
        let mut body = Vec::new();
        for (k, v) in [
            ("board", "phones"),
            ("kind", kind),
            ("title", title),
            ("body", "crashes at once"),
            ("product", "chorus-14"),
            ("os_version", "2.0.1"),
            ("reproducibility", "always"),
            ("severity", "crash"),
            ("private", "1"),
        ] {
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
                )
                .as_bytes(),
            );
        }
        for (name, data) in [("crash.log", &b"E/app: boom"[..]), ("", &b""[..])] {
            body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: text/plain\r\n\r\n").as_bytes());
            body.extend_from_slice(data);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        (format!("multipart/form-data; boundary={boundary}"), body)
    };
    let page = c.get("/new?board=phones").await.text();
    assert!(page.contains("enctype=\"multipart/form-data\"") && page.contains("name=\"file\""));
    let (ct, body) = form("bug", "Crash with a log");
    assert_eq!(
        c.post_raw("/new", &ct, body.clone()).await.status,
        403,
        "no token, nothing filed"
    );
    let token = c.csrf().await;
    let r = c
        .post_raw(&format!("/new?csrf_token={token}"), &ct, body)
        .await;
    assert_eq!(r.status, 303, "{}", r.text());
    let location = r.header("location").unwrap();
    assert!(location.ends_with("?notice=created"), "{location}");
    let page = c.get(&location).await.text();
    assert!(
        page.contains("crash.txt"),
        "the log came with the report: {page}"
    );
    assert!(
        !page.contains(">created</p>"),
        "the confirmation is no error"
    );
    let (ct, body) = form("discussion", "Chat with a file");
    let r = c
        .post_raw(&format!("/new?csrf_token={token}"), &ct, body)
        .await;
    assert_eq!(r.status, 422, "{}", r.text());
}
