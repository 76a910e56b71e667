//! The HTML pages, driven the way a browser without JavaScript drives them.

use crate::support::{queries, TestApp};
use serde_json::json;

#[actix_web::test]
async fn a_topic_is_posted_replied_liked_edited_and_followed_through_forms() {
    let app = TestApp::new().await;
    app.seed_boards().await;
    let ann = app
        .logged_in("form_ann", chorus::accounts::Role::Member)
        .await;
    let ben = app
        .logged_in("form_ben", chorus::accounts::Role::Member)
        .await;
    let new = ann.get("/new?board=tips").await;
    assert_eq!(new.status, 200);
    assert!(new
        .text()
        .contains("<option value=\"tips\" data-kinds=\"discussion\" selected>"));
    let bad = ann
        .post_form(
            "/new",
            &[
                ("board", "tips"),
                ("kind", "discussion"),
                ("title", ""),
                ("body", "text kept"),
            ],
        )
        .await;
    assert_eq!(bad.status, 422);
    assert!(
        bad.text().contains("text kept"),
        "what was typed comes back"
    );
    assert!(
        bad.text().contains("id=\"error-summary\"") && bad.text().contains("href=\"#f-title\""),
        "the errors are summarised at the top, each linked to its field"
    );
    // The board decides the kind: the ideas board takes ideas only.
    let ideas = ann.get("/new?board=ideas").await.text();
    assert!(
        ideas.contains("<option value=\"idea\" selected>"),
        "{ideas}"
    );
    let r = ann
        .post_form(
            "/new",
            &[
                ("board", "tips"),
                ("kind", "discussion"),
                ("title", "Night shots"),
                ("body", "Use **pro** mode"),
                ("tags", "camera, 夜景"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.text());
    let location = r.header("location").unwrap();
    assert!(location.ends_with("?notice=created"), "{location}");
    let confirmed = ann.get(&location).await.text();
    assert!(
        confirmed.contains("已发布 #"),
        "the new topic's number is confirmed"
    );
    let topic_url = location.split('?').next().unwrap().to_string();
    let topic: i64 = topic_url.trim_start_matches("/t/").parse().unwrap();
    let page = ben.get(&topic_url).await.text();
    assert!(
        page.contains("Night shots")
            && page.contains("<strong>pro</strong>")
            && page.contains("#夜景")
    );
    assert!(
        page.contains("<h1 lang=\"en\">Night shots</h1>"),
        "English text on a Chinese page is marked as English"
    );

    let r = ben
        .post_form(
            &format!("/t/{topic}/reply"),
            &[("body", "thanks @form_ann")],
        )
        .await;
    assert_eq!(r.status, 303);
    let reply: i64 = r
        .header("location")
        .unwrap()
        .rsplit("#p")
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let r = ann
        .post_form(
            &format!("/t/{topic}/reply"),
            &[
                ("body", "you are welcome"),
                ("parent_id", &reply.to_string()),
            ],
        )
        .await;
    assert_eq!(r.status, 303);
    let page = ann.get(&topic_url).await.text();
    assert!(
        page.contains("class=\"post d2"),
        "the reply to a reply is indented twice"
    );
    assert!(page.contains("class=\"mention\""));

    let empty = ben
        .post_form(&format!("/t/{topic}/reply"), &[("body", "   ")])
        .await;
    assert_eq!(empty.status, 422);
    assert!(empty.text().contains("<textarea"));

    let root = topic_root(&app, topic).await;
    assert_eq!(
        ben.post_form(&format!("/posts/{root}/like"), &[("on", "1")])
            .await
            .status,
        303
    );
    assert!(ben
        .get(&topic_url)
        .await
        .text()
        .contains("aria-pressed=\"true\""));
    assert_eq!(
        ben.post_form(&format!("/posts/{root}/like"), &[])
            .await
            .status,
        303
    );
    assert!(!ben
        .get(&topic_url)
        .await
        .text()
        .contains("aria-pressed=\"true\""));

    assert_eq!(ann.get(&format!("/posts/{root}/edit")).await.status, 200);
    assert_eq!(
        ben.get(&format!("/posts/{root}/edit")).await.status,
        404,
        "not your post"
    );
    let r = ann
        .post_form(
            &format!("/posts/{root}/edit"),
            &[("body", "Use **manual** mode")],
        )
        .await;
    assert_eq!(r.status, 303);
    let history = ann.get(&format!("/posts/{root}/history")).await;
    assert_eq!(history.status, 200);
    assert!(history.text().contains("Use **pro** mode"));
    assert_eq!(ben.get(&format!("/posts/{root}/history")).await.status, 404);

    assert!(ben.get(&topic_url).await.text().contains("action=\"/t/"));
    assert_eq!(
        ben.post_form(&format!("/t/{topic}/subscription"), &[])
            .await
            .status,
        303
    );
    let subs = ben.get(&topic_url).await.text();
    assert!(
        subs.contains("value=\"1\"><button class=\"secondary\">"),
        "offers to follow again"
    );

    // The bell counts the reply notification for ann once jobs ran.
    app.run_jobs().await;
    let home = ann.get("/").await.text();
    assert!(home.contains("class=\"count\""), "unread count in the bell");
    let list = ann.get("/notifications").await.text();
    assert!(list.contains("form_ben"));
}

async fn topic_root(app: &TestApp, topic: i64) -> i64 {
    app.client()
        .get(&format!("/api/v1/topics/{topic}"))
        .await
        .json()["posts"][0]["id"]
        .as_i64()
        .unwrap()
}

#[actix_web::test]
async fn unverified_members_see_why_they_cannot_post() {
    let app = TestApp::new().await;
    app.seed_boards().await;
    let c = app.client();
    c.post_form(
        "/register",
        &[
            ("username", "fresh"),
            ("email", "fresh@example.com"),
            ("password", "a-long-passphrase"),
            ("accept_privacy", "yes"),
        ],
    )
    .await;
    c.post_form(
        "/login",
        &[("login", "fresh"), ("password", "a-long-passphrase")],
    )
    .await;
    let r = c
        .post_form(
            "/new",
            &[
                ("board", "tips"),
                ("kind", "discussion"),
                ("title", "Hi"),
                ("body", "hello"),
            ],
        )
        .await;
    assert_eq!(r.status, 403);
    assert!(r.text().contains("form-error"), "the form says why");
}

#[actix_web::test]
async fn deep_branches_fold_behind_continue_this_thread() {
    let app = TestApp::new().await;
    app.seed_boards().await;
    let (_, tok) = app.member("deep").await;
    let (topic, root) = app.topic(&tok, "tips", "Deep", "start").await;
    let mut parent = root;
    let mut chain = vec![];
    for i in 0..9 {
        parent = app
            .reply(&tok, topic, Some(parent), &format!("level {}", i + 1))
            .await;
        chain.push(parent);
    }
    let page = app.client().get(&format!("/t/{topic}")).await.text();
    assert!(
        page.contains("level 6") && !page.contains("level 7"),
        "levels beyond 6 are folded"
    );
    assert!(
        page.contains(&format!("/t/{topic}?thread={}", chain[5])),
        "continue link on the level-6 post"
    );
    let sub = app
        .client()
        .get(&format!("/t/{topic}?thread={}", chain[5]))
        .await
        .text();
    assert!(
        sub.contains("level 9") && !sub.contains("level 5"),
        "the branch opens below its root"
    );
}

#[actix_web::test]
async fn topic_and_board_pages_cost_the_same_queries_whatever_their_size() {
    queries::install();
    let app = TestApp::new().await;
    app.seed_boards().await;
    let (user, tok) = app.member("counter").await;
    let (_, viewer) = app.member("watcher").await;
    let (small, _) = app.topic(&tok, "tips", "Small", "x").await;
    let (big, big_root) = app.topic(&tok, "tips", "Big", "x").await;
    let mut conn = app.conn().await;
    let body = chorus::forum::fields::Body::parse("reply @watcher").unwrap();
    let mut parent = big_root;
    for i in 0..150 {
        let p = chorus::posting::reply(
            &mut conn,
            &app.state.settings,
            &user,
            big,
            Some(if i % 3 == 0 { big_root } else { parent }),
            &body,
            app.clock.now(),
        )
        .await
        .unwrap();
        parent = p.id;
    }
    for i in 0..40 {
        app.topic(&tok, "tips", &format!("filler {i}"), "x").await;
    }
    drop(conn);
    let c = app.client().with_bearer(&viewer);
    let cost = |path: String| {
        let c = &c;
        async move {
            c.get(&path).await; // warm the session cache, templates, pool
            let before = queries::so_far();
            let r = c.get(&path).await;
            assert_eq!(r.status, 200, "{path}");
            queries::so_far() - before
        }
    };
    let small_q = cost(format!("/t/{small}")).await;
    let big_q = cost(format!("/t/{big}")).await;
    assert!(small_q > 0);
    assert_eq!(
        small_q, big_q,
        "topic page: {small_q} queries with 1 post, {big_q} with 151"
    );
    let first = cost("/b/tips".to_string()).await;
    let next = c.get("/api/v1/boards/tips/topics?limit=30").await.json()["next_cursor"]
        .as_str()
        .unwrap()
        .to_string();
    let second = cost(format!("/b/tips?sort=hot&cursor={next}")).await;
    assert!(
        second <= first,
        "board page 2 ({second}) costs no more than page 1 ({first})"
    );
    let api_small = cost(format!("/api/v1/topics/{small}")).await;
    let api_big = cost(format!("/api/v1/topics/{big}")).await;
    assert_eq!(api_small, api_big);
}

#[actix_web::test]
async fn the_dark_theme_overrides_only_what_it_changes() {
    let app = TestApp::with_settings(|s| s.theme = "dark".into()).await;
    let c = app.client();
    let dark = c.get("/static/theme.css").await;
    assert_eq!(dark.status, 200);
    assert!(dark.text().contains("/static/dark.css"), "{}", dark.text());
    assert!(c
        .get("/static/dark.css")
        .await
        .text()
        .contains("--bg: #15171a"));
    let base = c.get("/static/style.css").await;
    assert_eq!(base.status, 200, "the rest comes from the default theme");
    assert!(base.text().contains(".thread"));
    let page = c.get("/login").await;
    assert_eq!(page.status, 200);
    assert!(page.text().contains("/static/theme.css"));
    let default_theme = TestApp::new().await;
    assert!(!default_theme
        .client()
        .get("/static/theme.css")
        .await
        .text()
        .contains("#15171a"));
    let _ = json!({});
}

/// The routes the API handlers register, read from their source: (method, path).
fn registered_api_routes() -> std::collections::BTreeSet<(String, String)> {
    let mut out = std::collections::BTreeSet::new();
    let dir = crate::support::repo_root().join("src/web/api");
    for entry in std::fs::read_dir(dir).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        let mut rest = text.as_str();
        while let Some(at) = rest.find(".route(") {
            rest = &rest[at + ".route(".len()..];
            let Some(open) = rest.find('"') else { break };
            let after = &rest[open + 1..];
            let close = after.find('"').unwrap();
            let path = &after[..close];
            let m_at = after.find("web::").unwrap() + "web::".len();
            let method: String = after[m_at..]
                .chars()
                .take_while(|c| c.is_ascii_alphabetic())
                .collect();
            out.insert((method, format!("/api/v1{path}")));
        }
    }
    out
}

#[actix_web::test]
async fn the_openapi_document_lists_exactly_the_routes_that_exist() {
    let app = TestApp::new().await;
    let r = app.client().get("/api/v1/openapi.json").await;
    assert_eq!(r.status, 200);
    let doc = r.json();
    assert_eq!(doc["openapi"], "3.1.0");
    let mut documented = std::collections::BTreeSet::new();
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for method in ops.as_object().unwrap().keys() {
            documented.insert((method.clone(), path.clone()));
        }
    }
    let registered = registered_api_routes();
    assert!(registered.len() > 60, "{}", registered.len());
    let undocumented: Vec<_> = registered.difference(&documented).collect();
    let missing: Vec<_> = documented.difference(&registered).collect();
    assert!(
        undocumented.is_empty(),
        "routes without documentation: {undocumented:?}"
    );
    assert!(missing.is_empty(), "documented but not routed: {missing:?}");
    // Bodies, queries and answers are the handlers' types, with types, limits and enums.
    let schema = |op: &serde_json::Value, at: &[&str]| {
        let mut v = op;
        for k in at {
            v = &v[*k];
        }
        let name = v["$ref"]
            .as_str()
            .map(|r| r.rsplit('/').next().unwrap().to_string());
        match name {
            Some(n) => doc["components"]["schemas"][n.as_str()].clone(),
            None => v.clone(),
        }
    };
    let body = ["requestBody", "content", "application/json", "schema"];
    let erase = &doc["paths"]["/api/v1/me"]["delete"];
    assert_eq!(schema(erase, &body)["required"][0], "password");
    assert!(erase["responses"]["204"].is_object());
    let new_topic = schema(&doc["paths"]["/api/v1/topics"]["post"], &body);
    assert_eq!(new_topic["properties"]["title"]["maxLength"], 150);
    assert_eq!(
        new_topic["properties"]["kind"]["enum"],
        serde_json::json!(["discussion", "bug", "idea"])
    );
    assert_eq!(new_topic["additionalProperties"], false);
    // A bug's structured fields list their values (from the typed enums).
    let bug = doc["components"]["schemas"]["BugInput"].to_string();
    for value in ["crash", "cosmetic", "always", "once"] {
        assert!(bug.contains(&format!("\"{value}\"")), "{value}: {bug}");
    }
    let list = &doc["paths"]["/api/v1/topics"]["get"];
    let sort = list["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "sort")
        .unwrap();
    assert_eq!(sort["in"], "query");
    assert!(sort["schema"].to_string().contains("votes"), "{sort}");
    let me = schema(
        &doc["paths"]["/api/v1/me"]["get"],
        &["responses", "200", "content", "application/json", "schema"],
    );
    assert!(me.to_string().contains("consent_required"), "{me}");
    let error = &doc["components"]["schemas"]["ErrorBody"];
    assert_eq!(error["required"][0], "error");
}

#[actix_web::test]
async fn pages_for_signed_in_people_send_others_to_login_and_back() {
    use actix_web::http::header;
    use actix_web::test::TestRequest;
    let app = TestApp::new().await;
    app.seed_boards().await;
    let anon = app.client();
    // A GET comes back to itself.
    let r = anon.get("/settings?tab=mail").await;
    assert_eq!(r.status, 303);
    assert_eq!(
        r.header("location").as_deref(),
        Some("/login?next=%2Fsettings%3Ftab%3Dmail")
    );
    // A form post comes back to the same-host page the form was on...
    let token = anon.csrf().await;
    let form = |referer: &str| {
        TestRequest::post()
            .uri("/t/5/vote")
            .insert_header((header::HOST, "chorus.test"))
            .insert_header((header::REFERER, referer.to_string()))
            .insert_header((header::CONTENT_TYPE, "application/x-www-form-urlencoded"))
            .set_payload(format!("csrf_token={token}&on=1"))
    };
    let r = anon.send(form("http://chorus.test/t/5")).await;
    assert_eq!(r.status, 303);
    assert_eq!(
        r.header("location").as_deref(),
        Some("/login?next=%2Ft%2F5")
    );
    // ...and never to another site's.
    let r = anon.send(form("http://evil.example/t/5")).await;
    assert_eq!(r.header("location").as_deref(), Some("/login?next=%2F"));
    // The API keeps its 401.
    let r = anon.get("/api/v1/me/feedback").await;
    assert_eq!(r.status, 401);
    assert_eq!(r.code(), "not_logged_in");
}

#[actix_web::test]
async fn staff_reach_every_tool_from_a_staff_menu_on_every_page() {
    use chorus::accounts::Role;
    let app = TestApp::new().await;
    app.seed_boards().await;
    let (_, admin) = app.user_with_role("menu_admin", Role::Admin).await;
    let (_, moderator) = app.user_with_role("menu_mod", Role::Moderator).await;
    let (_, pm) = app.user_with_role("menu_pm", Role::TeamMember).await;
    let (_, member) = app.member("menu_fan").await;
    let menu = |tok: &str, path: &str| {
        let (app, tok, path) = (&app, tok.to_string(), path.to_string());
        async move {
            let html = app.client().with_bearer(&tok).get(&path).await.text();
            let Some(nav) = html.split("class=\"staff-nav\"").nth(1) else {
                return Vec::new();
            };
            let nav = nav.split("</nav>").next().unwrap();
            nav.split("href=\"")
                .skip(1)
                .map(|s| s.split('"').next().unwrap().to_string())
                .collect::<Vec<_>>()
        }
    };
    let all = [
        "/triage",
        "/triage/stats",
        "/mod",
        "/mod/log",
        "/admin/triage",
        "/admin/boards",
        "/admin/groups",
        "/admin/products",
    ];
    for path in ["/", "/b/tips", "/triage", "/admin/boards"] {
        assert_eq!(menu(&admin, path).await, all, "admin on {path}");
    }
    assert_eq!(menu(&moderator, "/").await, all[..4]);
    assert_eq!(menu(&pm, "/").await, all[..2]);
    assert!(menu(&member, "/").await.is_empty());
    assert!(!app.client().get("/").await.text().contains("staff-nav"));
    // Every link answers for the one who sees it.
    for href in all {
        let r = app.client().with_bearer(&admin).get(href).await;
        assert_eq!(r.status, 200, "{href}");
    }
}

/// Colours follow the system until a person picks one; times read in their zone (Asia/Shanghai
/// for zh-CN by default), absolute with the offset and relative in lists; bad choices are 422.
#[actix_web::test]
async fn colour_scheme_and_time_zone_are_a_persons_choice() {
    let app = TestApp::new().await;
    app.seed_boards().await;
    let c = app
        .logged_in("night_owl", chorus::accounts::Role::Member)
        .await;
    let dark_link = "href=\"/static/dark.css\"";
    let page = c.get("/settings").await.text();
    assert!(
        page.contains(&format!(
            "{dark_link} media=\"(prefers-color-scheme: dark)\""
        )),
        "the system decides by default"
    );
    assert!(page.contains("Shanghai）"), "zh-CN defaults to Shanghai");
    assert!(page.contains("(UTC+8)"), "the offset is named");
    for (scheme, zone, want) in [("dark", "", Some(true)), ("light", "", None)] {
        let r = c
            .post_form(
                "/settings/appearance",
                &[("color_scheme", scheme), ("time_zone", zone)],
            )
            .await;
        assert_eq!(r.status, 303, "{}", r.text());
        let page = c.get("/").await.text();
        match want {
            Some(_) => assert!(page.contains(&format!("{dark_link}>")), "always dark"),
            None => assert!(!page.contains(dark_link), "never dark"),
        }
    }
    for (scheme, zone) in [("sepia", ""), ("auto", "Mars/Olympus")] {
        let r = c
            .post_form(
                "/settings/appearance",
                &[("color_scheme", scheme), ("time_zone", zone)],
            )
            .await;
        assert_eq!(r.status, 422, "{scheme} {zone}");
    }
    let r = c
        .post_form(
            "/settings/appearance",
            &[("color_scheme", "auto"), ("time_zone", "America/New_York")],
        )
        .await;
    assert_eq!(r.status, 303);
    let page = c.get("/settings").await.text();
    assert!(
        page.contains("(UTC-5)") || page.contains("(UTC-4)"),
        "New York time"
    );
    // A topic list shows "just now" with the absolute time in the title.
    let (_, token) = app.member("writer").await;
    app.topic(&token, "tips", "Fresh tip", "body").await;
    let list = c.get("/b/tips").await.text();
    assert!(list.contains("<time datetime=\""), "{list}");
    assert!(list.contains(">刚刚</time>"), "relative in lists");
}
