//! The triage workspace: the queue's search, sorts, filters and pages, saved views, bulk
//! actions that keep the filters, and overdue notices that go to the assignee first.

use crate::support::TestApp;
use crate::triage::{join, queue, refresh_all, setup, sql};
use chorus::accounts::Role;
use serde_json::json;

async fn file(app: &TestApp, token: &str, title: &str, severity: &str, repro: &str) -> i64 {
    file_with(app, token, title, "see the title", severity, repro).await
}

async fn file_with(
    app: &TestApp,
    token: &str,
    title: &str,
    body: &str,
    severity: &str,
    repro: &str,
) -> i64 {
    let r = app
        .client()
        .with_bearer(token)
        .post_json(
            "/api/v1/topics",
            json!({"board": "phones", "kind": "bug", "title": title, "body": body,
                "bug": {"product": "chorus-14", "os_version": "2.0.1", "reproducibility": repro, "severity": severity}}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    r.json()["id"].as_i64().unwrap()
}

fn ids(items: &[serde_json::Value]) -> Vec<i64> {
    items
        .iter()
        .map(|i| i["topic_id"].as_i64().unwrap())
        .collect()
}

/// The queue searches its items' own copy of their title and report (words and bigrams in one
/// field) as site search reads them; the replies are the forum's, found by site search.
#[actix_web::test]
async fn the_queue_search_reads_each_items_title_and_report_as_site_search_does() {
    let app = TestApp::new().await;
    setup(&app).await;
    let (_, t) = app.member("reporter").await;
    let voice = file(&app, &t, "语音助手唤醒不灵敏", "major", "often").await;
    let crash = file_with(
        &app,
        &t,
        "Gallery crashes when scrolling",
        "It started after pairing 蓝牙耳机 with the phone.",
        "crash",
        "always",
    )
    .await;
    let r = app
        .client()
        .with_bearer(&t)
        .post_json(
            &format!("/api/v1/topics/{voice}/posts"),
            json!({ "body": "Same here, also with the fingerprint sensor." }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    // A discussion with the same words is the forum's, not the queue's.
    let r = app
        .client()
        .with_bearer(&t)
        .post_json(
            "/api/v1/topics",
            json!({"board": "phones", "kind": "discussion", "title": "Gallery crashes 语音助手",
                "body": "蓝牙耳机 talk"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    app.index_now().await;
    let admin = app.fresh_token("chief").await;
    let found = |q: &'static str| {
        let (app, admin) = (&app, &admin);
        async move {
            let q = url::form_urlencoded::byte_serialize(q.as_bytes()).collect::<String>();
            ids(&queue(app, admin, &format!("q={q}")).await)
        }
    };
    // A jieba word, a bigram inside one (音助 is no word), two words, and a quoted phrase.
    assert_eq!(found("唤醒").await, vec![voice]);
    assert_eq!(found("音助").await, vec![voice]);
    assert_eq!(found("助手 唤醒").await, vec![voice]);
    assert_eq!(found("\"唤醒不灵敏\"").await, vec![voice]);
    assert!(found("\"灵敏唤醒\"").await.is_empty());
    // English is stemmed on both sides; the report's words find its item as the title's do.
    assert_eq!(found("crash").await, vec![crash]);
    assert_eq!(found("scrolled crashing").await, vec![crash]);
    assert_eq!(found("蓝牙").await, vec![crash]);
    assert_eq!(found("pairing 耳机").await, vec![crash]);
    // Every word must be there; punctuation alone asks for nothing.
    assert!(found("gallery 唤醒").await.is_empty());
    assert!(found("?!").await.is_empty());
    // A reply's words are for site search, which finds the item by them.
    assert!(found("fingerprint").await.is_empty());
    let r = app.client().get("/api/v1/search?q=fingerprint").await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(
        r.text().contains(&format!("\"topic_id\":{voice}")),
        "{}",
        r.text()
    );
}

#[actix_web::test]
async fn the_queue_searches_sorts_filters_and_pages_by_every_key() {
    let app = TestApp::new().await;
    setup(&app).await;
    let (_, t) = app.member("reporter").await;
    let old_cosmetic = file(&app, &t, "Wi-Fi icon flickers", "cosmetic", "always").await;
    app.clock.advance(chrono::Duration::hours(30));
    let t = app.fresh_token("reporter").await;
    let wifi = file(&app, &t, "Wi-Fi drops after sleep", "major", "often").await;
    app.clock.advance(chrono::Duration::hours(1));
    let admin = app.fresh_token("chief").await;
    let crash = file(&app, &t, "桌面 闪退 after the update", "crash", "always").await;
    sql(
        &app,
        &format!("UPDATE topics SET me_too_count = 40, vote_count = 2 WHERE id = {old_cosmetic}"),
    )
    .await;
    sql(
        &app,
        &format!("UPDATE topics SET me_too_count = 3, vote_count = 9 WHERE id = {wifi}"),
    )
    .await;
    refresh_all(&app).await;
    app.index_now().await;

    // Priority: the new 必现 crash leads however popular the old cosmetic item is.
    let items = queue(&app, &admin, "team=phone").await;
    assert_eq!(ids(&items), vec![crash, wifi, old_cosmetic]);
    let top = &items[0];
    assert_eq!(top["band"], "P0");
    assert_eq!(top["product"], "chorus-14");
    assert_eq!(top["severity"], "crash");
    assert_eq!(top["reproducibility"], "always");
    assert_eq!(top["team"], "phone");
    for key in [
        "me_too_count",
        "vote_count",
        "created_at",
        "sla_due_at",
        "assignee",
    ] {
        assert!(top.get(key).is_some(), "items carry {key}: {top}");
    }
    assert_eq!(items[2]["band"], "P3");
    assert_eq!(items[2]["me_too_count"], 40);

    // Each sort.
    assert_eq!(
        ids(&queue(&app, &admin, "team=phone&sort=me_too").await),
        vec![old_cosmetic, wifi, crash]
    );
    assert_eq!(
        ids(&queue(&app, &admin, "team=phone&sort=votes").await),
        vec![wifi, old_cosmetic, crash]
    );
    assert_eq!(
        ids(&queue(&app, &admin, "team=phone&sort=age").await),
        vec![crash, wifi, old_cosmetic]
    );
    assert_eq!(
        ids(&queue(&app, &admin, "team=phone&sort=activity").await),
        vec![crash, wifi, old_cosmetic]
    );

    // Search with the site's analyzer: a Chinese word, an English one, and nothing.
    assert_eq!(
        ids(&queue(&app, &admin, "team=phone&q=%E9%97%AA%E9%80%80").await),
        vec![crash]
    );
    assert_eq!(
        ids(&queue(&app, &admin, "q=wi-fi&sort=age").await),
        vec![wifi, old_cosmetic]
    );
    assert!(queue(&app, &admin, "q=zzzzqqq").await.is_empty());
    // The index narrows by team itself, so it must learn of a reroute: searched inside the
    // camera team, the crash is found only once it has moved there.
    let reroute = |team: &'static str| {
        let (app, admin) = (&app, &admin);
        async move {
            let r = app
                .client()
                .with_bearer(admin)
                .post_json(
                    &format!("/api/v1/triage/items/{crash}/route"),
                    json!({ "team": team }),
                )
                .await;
            assert_eq!(r.status, 200, "{}", r.text());
            app.index_now().await;
        }
    };
    let crash_in = |team: &str| format!("team={team}&q=%E9%97%AA%E9%80%80");
    assert!(queue(&app, &admin, &crash_in("camera")).await.is_empty());
    reroute("camera").await;
    assert_eq!(
        ids(&queue(&app, &admin, &crash_in("camera")).await),
        vec![crash]
    );
    assert!(queue(&app, &admin, &crash_in("phone")).await.is_empty());
    reroute("phone").await;

    // Filters.
    assert_eq!(
        ids(&queue(&app, &admin, "severity=crash").await),
        vec![crash]
    );
    assert_eq!(
        ids(&queue(&app, &admin, "band=P3").await),
        vec![old_cosmetic]
    );
    assert_eq!(
        ids(&queue(&app, &admin, "product=chorus-14&band=P1").await),
        vec![wifi]
    );
    assert_eq!(
        ids(&queue(&app, &admin, "days=1&sort=age").await),
        vec![crash, wifi],
        "the cosmetic item is older than a day"
    );
    let pm = app.user_with_role("phone_pm", Role::TeamMember).await.1;
    join(&app, &admin, "phone", "phone_pm").await;
    let r = app
        .client()
        .with_bearer(&pm)
        .post_json(
            &format!("/api/v1/triage/items/{wifi}/assign"),
            json!({"username": "phone_pm"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(ids(&queue(&app, &pm, "assignee=me").await), vec![wifi]);
    assert_eq!(
        ids(&queue(&app, &admin, "assignee=phone_pm").await),
        vec![wifi]
    );
    assert_eq!(
        queue(&app, &admin, "assignee=phone_pm").await[0]["assignee"],
        "phone_pm"
    );

    // Bad input is a 4xx naming the field, never an empty page that looks like an answer.
    for (query, field) in [
        ("sort=hot", "sort"),
        ("band=P9", "band"),
        ("severity=fatal", "severity"),
        ("days=0", "days"),
        ("team=nobody", "team"),
        ("assignee=ghost", "assignee"),
        ("status=resolved", "status"),
        ("overdue=maybe", "overdue"),
    ] {
        let r = app
            .client()
            .with_bearer(&admin)
            .get(&format!("/api/v1/triage/queue?{query}"))
            .await;
        assert_eq!(r.status, 422, "{query}: {}", r.text());
        assert!(
            r.json()["error"]["fields"].get(field).is_some(),
            "{query}: {}",
            r.text()
        );
    }
    let r = app
        .client()
        .with_bearer(&admin)
        .get("/api/v1/triage/queue?colour=red")
        .await;
    assert_eq!(r.status, 422, "an unknown parameter");
    let r = app
        .client()
        .with_bearer(&admin)
        .get("/api/v1/triage/queue?view=999999")
        .await;
    assert_eq!(r.status, 404);
}

#[actix_web::test]
async fn every_sort_pages_without_gaps_or_repeats() {
    let app = TestApp::new().await;
    let admin = setup(&app).await;
    let (_, t) = app.member("reporter").await;
    let seed = file(&app, &t, "Wi-Fi drops", "major", "often").await;
    // 74 more in the same team; me-too and votes repeat so ties are broken by id.
    sql(
        &app,
        &format!(
            "INSERT INTO topics (board_id, author_id, kind, title, tags, excerpt, status, last_posted_at, \
                 created_at, updated_at, product_id, vote_count, me_too_count, team_id, priority) \
             SELECT board_id, author_id, kind, title || ' ' || g, tags, excerpt, 'new', \
                 last_posted_at + g * interval '1 minute', created_at + (g % 9) * interval '1 minute', \
                 updated_at, product_id, g % 5, g % 7, team_id, (g % 11) * 10.5 \
             FROM topics, generate_series(1, 74) g WHERE id = {seed}"
        ),
    )
    .await;
    for sort in ["priority", "age", "me_too", "votes", "activity"] {
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        let mut pages = 0;
        loop {
            let path = match &cursor {
                Some(c) => format!(
                    "/api/v1/triage/queue?team=phone&sort={sort}&cursor={}",
                    urlencoding(c)
                ),
                None => format!("/api/v1/triage/queue?team=phone&sort={sort}"),
            };
            let r = app.client().with_bearer(&admin).get(&path).await;
            assert_eq!(r.status, 200, "{}", r.text());
            let body = r.json();
            seen.extend(ids(body["items"].as_array().unwrap()));
            pages += 1;
            match body["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_string()),
                None => break,
            }
        }
        assert_eq!(pages, 2, "{sort}: 75 items are two pages of 50");
        let mut unique = seen.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), 75, "{sort}: every item once");
        assert_eq!(seen.len(), 75, "{sort}: no repeats");
    }
}

fn urlencoding(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'0'..=b'9' | b'a'..=b'z' | b'A'..=b'Z' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[actix_web::test]
async fn saved_views_belong_to_one_person_and_check_their_filters() {
    let app = TestApp::new().await;
    let admin = setup(&app).await;
    let (_, t) = app.member("reporter").await;
    let crash = file(&app, &t, "Phone reboots", "crash", "always").await;
    let minor = file(&app, &t, "Wi-Fi label typo", "minor", "once").await;
    refresh_all(&app).await;
    let (_, pm) = app.user_with_role("phone_pm", Role::TeamMember).await;
    join(&app, &admin, "phone", "phone_pm").await;

    let r = app
        .client()
        .with_bearer(&pm)
        .get("/api/v1/triage/views")
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let builtin: Vec<String> = r.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        builtin,
        ["mine", "team-new", "crashes-week", "waiting", "overdue"]
    );
    assert_eq!(r.json()["items"][1]["name"], "我的团队·新提交");

    let r = app
        .client()
        .with_bearer(&pm)
        .post_json(
            "/api/v1/triage/views",
            json!({"name": "Crashes", "filters": {"severity": "crash", "sort": "me_too"}}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let id = r.json()["id"].as_str().unwrap().to_string();
    assert_eq!(r.json()["filters"]["severity"], "crash");
    assert_eq!(
        ids(&queue(&app, &pm, &format!("view={id}")).await),
        vec![crash]
    );
    assert_eq!(
        ids(&queue(&app, &pm, "view=team-new&sort=age").await),
        vec![minor, crash],
        "a built-in view, sorted on top"
    );
    for (body, field) in [
        (json!({"name": "crashes", "filters": {}}), None),
        (json!({"name": "", "filters": {}}), Some("name")),
        (
            json!({"name": "x", "filters": {"sevrity": "crash"}}),
            Some("filters"),
        ),
        (
            json!({"name": "x", "filters": {"band": "P7"}}),
            Some("band"),
        ),
        (
            json!({"name": "x", "filters": {"team": "nobody"}}),
            Some("team"),
        ),
        (json!({"name": "mine", "filters": {}}), Some("name")),
    ] {
        let r = app
            .client()
            .with_bearer(&pm)
            .post_json("/api/v1/triage/views", body.clone())
            .await;
        match field {
            // The same name, whatever its case, is taken.
            None => assert_eq!(r.status, 409, "{body}: {}", r.text()),
            Some(f) => {
                assert_eq!(r.status, 422, "{body}: {}", r.text());
                assert!(
                    r.json()["error"]["fields"].get(f).is_some(),
                    "{body}: {}",
                    r.text()
                );
            }
        }
    }
    // Nobody else sees or deletes it.
    let (_, other) = app.user_with_role("other_pm", Role::TeamMember).await;
    let r = app
        .client()
        .with_bearer(&other)
        .get(&format!("/api/v1/triage/queue?view={id}"))
        .await;
    assert_eq!(r.status, 404);
    let del = |token: String, id: String| {
        let app = &app;
        async move {
            app.client()
                .with_bearer(&token)
                .json(
                    actix_web::http::Method::DELETE,
                    &format!("/api/v1/triage/views/{id}"),
                    json!(null),
                )
                .await
                .status
        }
    };
    assert_eq!(del(other.clone(), id.clone()).await, 404);
    assert_eq!(del(pm.clone(), "mine".into()).await, 404);
    assert_eq!(del(pm.clone(), id.clone()).await, 204);
    assert_eq!(del(pm.clone(), id.clone()).await, 404);
    let (_, member) = app.member("fan").await;
    let r = app
        .client()
        .with_bearer(&member)
        .get("/api/v1/triage/views")
        .await;
    assert_eq!(r.status, 403);
}

#[actix_web::test]
async fn the_queue_page_keeps_its_filters_through_bulk_actions_and_saves_views() {
    let app = TestApp::new().await;
    let admin = setup(&app).await;
    let (_, t) = app.member("reporter").await;
    let wifi = file(&app, &t, "Wi-Fi drops after sleep", "major", "often").await;
    let reboot = file(&app, &t, "Phone reboots overnight", "crash", "always").await;
    refresh_all(&app).await;
    app.index_now().await;
    let pm = app.logged_in("phone_pm", Role::TeamMember).await;
    join(&app, &admin, "phone", "phone_pm").await;
    app.user_with_role("phone_qa", Role::TeamMember).await;
    join(&app, &admin, "phone", "phone_qa").await;

    let page = pm.get("/triage?view=team-new&q=reboots").await;
    assert_eq!(page.status, 200, "{}", page.text());
    let html = page.text();
    assert!(html.contains("Phone reboots overnight"));
    assert!(
        !html.contains("Wi-Fi drops after sleep"),
        "the search narrows"
    );
    assert!(html.contains("aria-current=\"page\">我的团队·新提交"));
    assert!(html.contains("band band-P0"));
    assert!(
        html.contains("小时后到期"),
        "the deadline, relative: {html}"
    );

    // Assign to a colleague from the queue: the filters come back, the colleague hears.
    let r = pm
        .post_form(
            "/triage/bulk",
            &[
                ("id", &reboot.to_string()),
                ("action", "assign"),
                ("username", "phone_qa"),
                ("note", "can you reproduce it?"),
                ("back", "q=reboots&status=new&team=mine"),
                ("view", "team-new"),
            ],
        )
        .await;
    assert_eq!(r.status, 303);
    assert_eq!(
        r.header("location").unwrap(),
        "/triage?view=team-new&q=reboots&team=mine&status=new&notice=done:1:0"
    );
    let items = queue(&app, &admin, "assignee=phone_qa").await;
    assert_eq!(ids(&items), vec![reboot]);
    let qa = app.fresh_token("phone_qa").await;
    let n = app
        .client()
        .with_bearer(&qa)
        .get("/api/v1/notifications")
        .await
        .json();
    assert!(
        n["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["kind"] == "assigned" && i["topic_id"] == reboot),
        "{n}"
    );
    // Someone outside the team is refused, and counted.
    app.user_with_role("camera_pm", Role::TeamMember).await;
    let r = pm
        .post_form(
            "/triage/bulk",
            &[
                ("id", &wifi.to_string()),
                ("action", "assign"),
                ("username", "camera_pm"),
                ("back", "sort=age"),
            ],
        )
        .await;
    assert_eq!(
        r.header("location").unwrap(),
        "/triage?sort=age&notice=done:0:1:assignee"
    );
    // A status from the queue.
    let r = pm
        .post_form(
            "/triage/bulk",
            &[
                ("id", &wifi.to_string()),
                ("action", "status"),
                ("status", "needs_info"),
                ("note", "Which router?"),
                ("back", "severity=major"),
            ],
        )
        .await;
    assert_eq!(
        r.header("location").unwrap(),
        "/triage?severity=major&notice=done:1:0"
    );
    assert!(pm
        .get("/triage?view=waiting")
        .await
        .text()
        .contains("Wi-Fi drops after sleep"));

    // Save what the queue shows as a view.
    let r = pm
        .post_form(
            "/triage/views",
            &[
                ("name", "Major, by age"),
                ("back", "severity=major&sort=age"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.text());
    let to = r.header("location").unwrap();
    assert!(
        to.starts_with("/triage?view=") && to.ends_with("&notice=saved"),
        "{to}"
    );
    let page = pm.get(&to).await.text();
    assert!(page.contains("Major, by age"));
    assert!(page.contains("Wi-Fi drops after sleep"));
    assert!(!page.contains("Phone reboots overnight"));
    let r = pm
        .post_form("/triage/views", &[("name", ""), ("back", "")])
        .await;
    assert_eq!(r.status, 422);
    // Bad values in the page's address are a 4xx, never a 500.
    for query in [
        "days=abc",
        "overdue=maybe",
        "sort=hot",
        "band=P9",
        "view=nope",
        "team=nobody",
    ] {
        let status = pm.get(&format!("/triage?{query}")).await.status;
        assert!(status.is_client_error(), "{query}: {status}");
    }
}

#[actix_web::test]
async fn an_overdue_item_tells_its_assignee_first_and_then_the_team() {
    let app = TestApp::new().await;
    let admin = setup(&app).await;
    let (_, t) = app.member("reporter").await;
    let id = file(&app, &t, "Phone reboots overnight", "crash", "always").await;
    let (_, pm) = app.user_with_role("phone_pm", Role::TeamMember).await;
    join(&app, &admin, "phone", "phone_pm").await;
    app.user_with_role("phone_lead", Role::TeamMember).await;
    join(&app, &admin, "phone", "phone_lead").await;
    let r = app
        .client()
        .with_bearer(&pm)
        .post_json(
            &format!("/api/v1/triage/items/{id}/assign"),
            json!({"username": "phone_pm"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let overdue = || {
        let app = &app;
        async move {
            chorus::triage::priority::notify_overdue(&mut *app.conn().await, app.clock.now())
                .await
                .unwrap()
        }
    };
    let told = |name: &'static str| {
        let app = &app;
        async move {
            let token = app.fresh_token(name).await;
            app.client()
                .with_bearer(&token)
                .get("/api/v1/notifications")
                .await
                .json()["items"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|i| i["kind"] == "overdue" && i["topic_id"] == id)
                .count()
        }
    };
    // A crash is due in 24 h.
    app.clock.advance(chrono::Duration::hours(25));
    assert_eq!(overdue().await, 1);
    assert_eq!(told("phone_pm").await, 1, "the assignee first");
    assert_eq!(told("phone_lead").await, 0, "not yet the team");
    app.clock.advance(chrono::Duration::hours(12));
    assert_eq!(overdue().await, 0);
    app.clock.advance(chrono::Duration::hours(13));
    assert_eq!(overdue().await, 1, "a day later, the team");
    assert_eq!(told("phone_lead").await, 1);
    assert_eq!(told("phone_pm").await, 1, "the assignee is not told twice");
    app.clock.advance(chrono::Duration::hours(48));
    assert_eq!(overdue().await, 0, "and then never again");
}

#[actix_web::test]
async fn the_item_page_puts_staff_actions_on_top_and_merging_asks_first() {
    let app = TestApp::new().await;
    let admin = setup(&app).await;
    let (_, t) = app.member("reporter").await;
    let a = file(&app, &t, "Wi-Fi drops after sleep", "major", "often").await;
    let b = file(&app, &t, "Wi-Fi disconnects when idle", "major", "often").await;
    let (_, fan) = app.member("fan").await;
    let r = app
        .client()
        .with_bearer(&fan)
        .json(
            actix_web::http::Method::PUT,
            &format!("/api/v1/topics/{a}/me-too"),
            json!(null),
        )
        .await;
    assert!(r.status.is_success(), "{}", r.text());
    let pm = app.logged_in("phone_pm", Role::TeamMember).await;
    join(&app, &admin, "phone", "phone_pm").await;
    app.user_with_role("phone_qa", Role::TeamMember).await;
    join(&app, &admin, "phone", "phone_qa").await;

    let page = pm.get(&format!("/t/{a}")).await.text();
    let tools = page.find("staff-tools").expect("staff tools");
    assert!(
        tools < page.find("status-line").unwrap(),
        "staff actions come first"
    );
    assert!(
        page.contains("<option value=\"phone_qa\">"),
        "the team's members"
    );
    let r = pm
        .post_form(
            &format!("/t/{a}/assign"),
            &[("username", "phone_qa"), ("note", "yours")],
        )
        .await;
    assert_eq!(
        r.header("location").unwrap(),
        format!("/t/{a}?notice=assigned#feedback")
    );
    assert!(pm
        .get(&format!("/t/{a}?notice=assigned"))
        .await
        .text()
        .contains("已指派"));
    app.user_with_role("camera_pm", Role::TeamMember).await;
    let r = pm
        .post_form(&format!("/t/{a}/assign"), &[("username", "camera_pm")])
        .await;
    assert!(
        r.header("location").unwrap().contains("not%20a%20member"),
        "{:?}",
        r.header("location")
    );

    // Merging shows what moves and changes nothing until confirmed.
    let confirm = pm.get(&format!("/t/{a}/merge?into={b}")).await;
    assert_eq!(confirm.status, 200, "{}", confirm.text());
    let html = confirm.text();
    assert!(
        html.contains("Wi-Fi drops after sleep") && html.contains("Wi-Fi disconnects when idle")
    );
    // The fan moves; the reporter filed both, so already counts on the target.
    assert!(html.contains("1 位点了“我也遇到”的人"), "{html}");
    let status = |id: i64| {
        let app = &app;
        async move {
            app.client()
                .get(&format!("/api/v1/topics/{id}"))
                .await
                .json()["status"]
                .as_str()
                .unwrap()
                .to_string()
        }
    };
    assert_eq!(status(a).await, "new", "a GET merges nothing");
    let r = pm
        .post_form(&format!("/t/{a}/merge"), &[("into", &b.to_string())])
        .await;
    assert_eq!(r.header("location").unwrap(), format!("/t/{b}#feedback"));
    assert_eq!(status(a).await, "duplicate");
    let r = pm.get(&format!("/t/{b}/merge?into=abc")).await;
    assert_eq!(r.status, 303, "a bad number goes back with a notice");
    let r = pm.get(&format!("/t/{b}/merge?into={a}")).await;
    assert_eq!(
        r.status, 303,
        "into a duplicate is refused on the item page"
    );
    let member = app.logged_in("nosy", Role::Member).await;
    assert_eq!(
        member.get(&format!("/t/{b}/merge?into={a}")).await.status,
        404
    );
}

/// The queue's query is built from fixed SQL (`db::fixed_sql`), so PostgreSQL parses each
/// shape once per connection and keeps it; diesel's `sql()` made every page a fresh parse.
#[actix_web::test]
async fn each_shape_of_the_queue_query_is_prepared_once_per_connection() {
    use diesel::sql_types::BigInt;
    use diesel_async::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct N {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let app = TestApp::new().await;
    setup(&app).await;
    let mut conn = app.conn().await;
    let now = app.clock.now();
    let shapes = [
        chorus::triage::queue::Filter::default(),
        chorus::triage::queue::Filter {
            ids: Some(vec![1, 2, 3]),
            sort: chorus::triage::queue::Sort::MeToo,
            ..Default::default()
        },
        chorus::triage::queue::Filter {
            after: Some(chorus::triage::queue::Cursor::Priority(50.0, 7)),
            ..Default::default()
        },
    ];
    for _ in 0..3 {
        for f in &shapes {
            chorus::triage::queue::list(&mut conn, f, now)
                .await
                .unwrap();
        }
    }
    let kept: N = diesel::sql_query(
        "SELECT count(*) AS n FROM pg_prepared_statements WHERE statement LIKE '%topics.kind IN (''bug'', ''idea'')%'",
    )
    .get_result(&mut *conn)
    .await
    .unwrap();
    assert_eq!(kept.n, 3, "three shapes, each prepared once and reused");
}
