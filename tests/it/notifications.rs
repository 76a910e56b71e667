use crate::support::smtp::{decode_parts, SmtpServer};
use crate::support::TestApp;
use chorus::mail::{transport::Transport, worker};
use serde_json::json;

async fn deliver(app: &TestApp, smtp: &SmtpServer) -> worker::Delivered {
    let mut settings = app.state.settings.mail.clone();
    settings.smtp_url.0 = smtp.url();
    let transport = Transport::from_settings(&settings, app.data_dir.path().into()).unwrap();
    worker::deliver_due(&app.state.pool, &transport, &settings, app.clock.now())
        .await
        .unwrap()
}

#[actix_web::test]
async fn a_mention_that_is_also_a_reply_is_one_notification_and_one_mail() {
    let app = TestApp::new().await;
    app.seed_boards().await;
    let smtp = SmtpServer::start().await;
    let (_, alice) = app.member("alice").await;
    let (_, bob) = app.member("bob").await;
    let (topic, root) = app
        .topic(&alice, "tips", "Night mode <b>tips</b>", "What do you use?")
        .await;
    deliver(&app, &smtp).await;
    let reply = app
        .reply(&bob, topic, Some(root), "@alice try the **pro** mode")
        .await;
    app.run_jobs().await;
    // Replaying the fan-out changes nothing.
    chorus::forum::fanout::post_created(&app.state.pool, &app.state.mailer, reply, app.clock.now())
        .await
        .unwrap();
    let d = deliver(&app, &smtp).await;
    assert_eq!(d.sent, 1);
    let mails = smtp.received();
    assert_eq!(mails.len(), 1, "exactly one mail");
    assert_eq!(mails[0].to, vec!["<alice@example.com>".to_string()]);
    let text = decode_parts(&mails[0].data);
    assert!(
        text.contains(&format!("http://chorus.test/t/{topic}#p{reply}")),
        "links back: {text}"
    );
    assert!(
        text.contains("&lt;b&gt;tips&lt;&#x2f;b&gt;"),
        "titles are escaped in the HTML part: {text}"
    );

    let list = app
        .client()
        .with_bearer(&alice)
        .get("/api/v1/notifications")
        .await
        .json();
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["kind"], "mention");
    assert_eq!(items[0]["actor"], "bob");
    assert_eq!(
        items[0]["excerpt"], "@alice try the pro mode",
        "an excerpt of the post, as text"
    );
    assert_eq!(list["unread_count"], 1);

    let read = app
        .client()
        .with_bearer(&alice)
        .post_json("/api/v1/notifications/read", json!({}))
        .await;
    assert_eq!(read.json()["unread_count"], 0);
    // The author hears nothing about their own post.
    let bobs = app
        .client()
        .with_bearer(&bob)
        .get("/api/v1/notifications")
        .await
        .json();
    assert!(bobs["items"].as_array().unwrap().is_empty());
}

#[actix_web::test]
async fn preferences_decide_between_nothing_in_app_and_mail() {
    let app = TestApp::new().await;
    app.seed_boards().await;
    let smtp = SmtpServer::start().await;
    let (_, op) = app.member("opener").await;
    let (_, quiet) = app.member("quiet").await;
    let (_, inapp) = app.member("inapp").await;
    let (_, mailme) = app.member("mailme").await;
    let (_, poster) = app.member("poster").await;
    let (topic, _) = app.topic(&op, "tips", "Subscribed thread", "start").await;
    for (tok, pref) in [(&quiet, "off"), (&inapp, "in_app"), (&mailme, "mail")] {
        let c = app.client().with_bearer(tok);
        assert_eq!(
            c.json(
                actix_web::http::Method::PUT,
                &format!("/api/v1/topics/{topic}/subscription"),
                json!({})
            )
            .await
            .status,
            204
        );
        let r = c
            .json(
                actix_web::http::Method::PATCH,
                "/api/v1/me",
                json!({"notify_subscribed": pref}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(r.json()["notify_subscribed"], pref);
    }
    let bad = app
        .client()
        .with_bearer(&quiet)
        .json(
            actix_web::http::Method::PATCH,
            "/api/v1/me",
            json!({"notify_reply": "pigeon"}),
        )
        .await;
    assert_eq!(bad.status, 422);
    app.reply(&poster, topic, None, "news for subscribers")
        .await;
    app.run_jobs().await;
    deliver(&app, &smtp).await;
    let count = |tok: &String| {
        let c = app.client().with_bearer(tok);
        async move {
            c.get("/api/v1/notifications").await.json()["items"]
                .as_array()
                .unwrap()
                .len()
        }
    };
    assert_eq!(count(&quiet).await, 0);
    assert_eq!(count(&inapp).await, 1);
    assert_eq!(count(&mailme).await, 1);
    let to: Vec<String> = smtp.received().into_iter().flat_map(|m| m.to).collect();
    assert!(to.contains(&"<mailme@example.com>".to_string()));
    assert!(
        !to.contains(&"<inapp@example.com>".to_string())
            && !to.contains(&"<quiet@example.com>".to_string())
    );
    // A reply to the topic is a reply to its author, who gets mail for replies by default.
    assert_eq!(count(&op).await, 1);
    assert!(to.contains(&"<opener@example.com>".to_string()));
    assert_eq!(to.len(), 2, "opener and mailme only: {to:?}");
}

#[actix_web::test]
async fn no_mail_goes_out_about_a_post_hidden_before_delivery() {
    let app = TestApp::new().await;
    app.seed_boards().await;
    let smtp = SmtpServer::start().await;
    let (_, a) = app.member("target").await;
    let (_, b) = app.member("spammer").await;
    let (topic, root) = app.topic(&a, "tips", "Thread", "start").await;
    deliver(&app, &smtp).await;
    let spam = app.reply(&b, topic, Some(root), "buy stuff @target").await;
    app.run_jobs().await;
    {
        use chorus::db::schema::posts;
        use diesel::prelude::*;
        use diesel_async::RunQueryDsl;
        diesel::update(posts::table.find(spam))
            .set(posts::hidden_at.eq(app.clock.now()))
            .execute(&mut app.conn().await)
            .await
            .unwrap();
    }
    let d = deliver(&app, &smtp).await;
    assert_eq!(d.cancelled, 1);
    assert!(smtp.received().is_empty());
}

#[actix_web::test]
async fn mentions_link_only_real_users_and_never_inside_code() {
    let app = TestApp::new().await;
    app.seed_boards().await;
    let (_, a) = app.member("linker").await;
    app.member("realfan").await;
    let (topic, _) = app
        .topic(
            &a,
            "tips",
            "Mentions",
            "hi @realfan and @ghostuser, `@realfan` in code",
        )
        .await;
    let t = app
        .client()
        .get(&format!("/api/v1/topics/{topic}"))
        .await
        .json();
    let html = t["posts"][0]["body_html"].as_str().unwrap().to_string();
    assert!(
        html.contains("<a class=\"mention\" href=\"/u/realfan\""),
        "{html}"
    );
    assert!(!html.contains("/u/ghostuser"));
    assert_eq!(html.matches("class=\"mention\"").count(), 1);
}

#[actix_web::test]
async fn the_weekly_digest_goes_to_those_who_asked_once_a_week() {
    use chorus::db::schema::mail_outbox;
    use diesel::prelude::*;
    use diesel_async::RunQueryDsl;
    let app = TestApp::new().await;
    app.seed_boards().await;
    let (_, author) = app.member("writer").await;
    let (_, fan) = app.member("digestfan").await;
    let (_, follower) = app.member("boardfollower").await;
    app.member("notinterested").await;
    app.topic(&author, "tips", "Tip of the week", "x").await;
    app.topic(&author, "phones", "An idea", "y").await;
    for tok in [&fan, &follower] {
        let r = app
            .client()
            .with_bearer(tok)
            .json(
                actix_web::http::Method::PATCH,
                "/api/v1/me",
                json!({"digest_weekly": true}),
            )
            .await;
        assert_eq!(r.json()["digest_weekly"], true);
    }
    let r = app
        .client()
        .with_bearer(&follower)
        .json(
            actix_web::http::Method::PUT,
            "/api/v1/boards/phones/follow",
            json!({}),
        )
        .await;
    assert_eq!(r.status, 204);
    let send = || {
        chorus::notify::digest::send_weekly(
            &app.state.pool,
            &app.state.mailer,
            "2026-W48",
            app.clock.now(),
        )
    };
    assert_eq!(send().await.unwrap(), 2);
    assert_eq!(send().await.unwrap(), 0, "once per week");
    let rows: Vec<(String, String)> = mail_outbox::table
        .filter(mail_outbox::event_key.eq("digest:2026-W48"))
        .select((mail_outbox::recipient, mail_outbox::body_text))
        .order(mail_outbox::recipient)
        .load(&mut app.conn().await)
        .await
        .unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].0, "boardfollower@example.com");
    assert!(
        rows[0].1.contains("An idea") && !rows[0].1.contains("Tip of the week"),
        "only followed boards"
    );
    assert!(
        rows[1].1.contains("An idea") && rows[1].1.contains("Tip of the week"),
        "no follows: every board"
    );
}

#[test]
fn scheduled_jobs_have_one_key_per_period() {
    use chrono::TimeZone;
    let monday = chrono::Utc.with_ymd_and_hms(2026, 11, 23, 9, 5, 0).unwrap();
    let keys: Vec<String> = chorus::workers::schedule(monday)
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    assert!(keys.contains(&"digest:2026-W48".to_string()), "{keys:?}");
    assert!(keys.contains(&"cleanup:2026-11-23T09".to_string()));
    let tuesday = monday + chrono::Duration::days(1);
    assert!(!chorus::workers::schedule(tuesday)
        .iter()
        .any(|(k, _)| k.starts_with("digest:")));
}

/// Opening a notification on the page marks it read and goes where it points, on this site only.
#[actix_web::test]
async fn opening_a_notification_marks_it_read_and_follows_it() {
    let app = TestApp::new().await;
    app.seed_boards().await;
    let c = app
        .logged_in("opener", chorus::accounts::Role::Member)
        .await;
    let (_, other) = app.member("answerer").await;
    let r = c
        .post_form(
            "/new",
            &[
                ("board", "tips"),
                ("kind", "discussion"),
                ("title", "Open me"),
                ("body", "hello"),
            ],
        )
        .await;
    assert_eq!(r.status, 303);
    let topic: i64 = r
        .header("location")
        .unwrap()
        .trim_start_matches("/t/")
        .split('?')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    app.reply(&other, topic, None, "an answer worth reading")
        .await;
    app.run_jobs().await;
    let page = c.get("/notifications").await.text();
    assert!(
        page.contains("an answer worth reading"),
        "the excerpt shows: {page}"
    );
    let at = page.find("/open\"").unwrap();
    let start = page[..at].rfind("\"").unwrap() + 1;
    let action = format!("{}/open", &page[start..at]);
    assert!(action.ends_with("/open"), "{action}");
    let r = c.post_form(&action, &[("to", "//evil.example/x")]).await;
    assert_eq!(r.status, 303);
    assert_eq!(r.header("location").as_deref(), Some("/"), "never off-site");
    let bell = c.get("/api/v1/notifications").await.json();
    assert_eq!(bell["unread_count"], 0, "{bell}");
}
