use crate::support::smtp::SmtpServer;
use crate::support::TestApp;
use chorus::config::MailSettings;
use chorus::db::schema::mail_outbox;
use chorus::mail::{transport::Transport, worker};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde_json::json;

async fn smtp_transport(app: &TestApp, smtp: &SmtpServer) -> (Transport, MailSettings) {
    let mut settings = app.state.settings.mail.clone();
    settings.smtp_url.0 = smtp.url();
    (
        Transport::from_settings(&settings, app.data_dir.path().into()).unwrap(),
        settings,
    )
}

/// One worker step now, as the background loop would run it.
async fn deliver(
    app: &TestApp,
    transport: &Transport,
    settings: &MailSettings,
) -> worker::Delivered {
    worker::deliver_due(&app.state.pool, transport, settings, app.clock.now())
        .await
        .unwrap()
}

async fn register(app: &TestApp, name: &str) {
    let r = app
        .client()
        .post_json(
            "/api/v1/auth/register",
            json!({"username": name, "email": format!("{name}@example.com"), "password": "a-long-passphrase", "accept_privacy": true}),
        )
        .await;
    assert_eq!(r.status, 201);
}

async fn status_of(app: &TestApp) -> Vec<(String, i32, Option<String>)> {
    mail_outbox::table
        .select((
            mail_outbox::status,
            mail_outbox::attempts,
            mail_outbox::last_error,
        ))
        .load(&mut app.conn().await)
        .await
        .unwrap()
}

#[actix_web::test]
async fn smtp_421_is_retried_with_backoff_and_delivered_exactly_once() {
    let app = TestApp::new().await;
    let smtp = SmtpServer::start().await;
    let (transport, settings) = smtp_transport(&app, &smtp).await;
    register(&app, "quinn").await;

    smtp.fail_next_mail_from("421 4.7.0 Try again later");
    let first = deliver(&app, &transport, &settings).await;
    assert_eq!((first.sent, first.retrying), (0, 1));
    let rows = status_of(&app).await;
    assert_eq!(rows[0].0, "queued");
    assert!(rows[0].2.as_deref().unwrap_or("").contains("421"));

    // Not due yet: nothing is sent again.
    let early = deliver(&app, &transport, &settings).await;
    assert_eq!(early, worker::Delivered::default());
    assert!(smtp.received().is_empty());

    app.clock
        .advance(chrono::Duration::seconds(settings.retry_base_secs + 1));
    let second = deliver(&app, &transport, &settings).await;
    assert_eq!(second.sent, 1);
    app.clock.advance(chrono::Duration::hours(1));
    deliver(&app, &transport, &settings).await;
    assert_eq!(smtp.received().len(), 1, "delivered once");
    assert_eq!(status_of(&app).await[0].0, "sent");
}

#[actix_web::test]
async fn smtp_5xx_fails_at_once_with_the_reason() {
    let app = TestApp::new().await;
    let smtp = SmtpServer::start().await;
    let (transport, settings) = smtp_transport(&app, &smtp).await;
    register(&app, "rosa").await;
    smtp.fail_next_mail_from("550 5.1.1 Mailbox unavailable");
    let r = deliver(&app, &transport, &settings).await;
    assert_eq!(r.failed, 1);
    let rows = status_of(&app).await;
    assert_eq!(rows[0].0, "failed");
    assert!(rows[0].2.as_deref().unwrap().contains("550"));
    app.clock.advance(chrono::Duration::days(2));
    deliver(&app, &transport, &settings).await;
    assert!(
        smtp.received().is_empty(),
        "a permanent failure is never retried"
    );
}

/// A worker claimed the row and died: `content_started` says whether it got as far as sending
/// the message content.
async fn die_mid_send(app: &TestApp, content_started: bool) {
    diesel::update(mail_outbox::table)
        .set((
            mail_outbox::status.eq("sending"),
            mail_outbox::claimed_at.eq(app.clock.now()),
            mail_outbox::attempts.eq(1),
            mail_outbox::content_at.eq(content_started.then(|| app.clock.now())),
        ))
        .execute(&mut app.conn().await)
        .await
        .unwrap();
}

fn message_ids(smtp: &SmtpServer) -> Vec<String> {
    smtp.received()
        .iter()
        .filter_map(|m| {
            m.data
                .lines()
                .find(|l| l.to_ascii_lowercase().starts_with("message-id:"))
                .map(|l| l[11..].trim().to_string())
        })
        .collect()
}

#[actix_web::test]
async fn a_delivery_that_died_before_the_content_is_retried_and_sent_once() {
    let app = TestApp::new().await;
    let smtp = SmtpServer::start().await;
    let (transport, settings) = smtp_transport(&app, &smtp).await;
    register(&app, "sam").await;
    die_mid_send(&app, false).await;
    // Within the lease nobody touches it.
    deliver(&app, &transport, &settings).await;
    assert!(smtp.received().is_empty());
    app.clock.advance(chrono::Duration::minutes(3));
    deliver(&app, &transport, &settings).await;
    app.clock.advance(chrono::Duration::hours(1));
    deliver(&app, &transport, &settings).await;
    assert_eq!(smtp.received().len(), 1, "untried mail is not lost");
    assert_eq!(status_of(&app).await[0].0, "sent");
}

#[actix_web::test]
async fn a_delivery_that_died_after_the_content_waits_then_is_sent_again_with_the_same_id() {
    let app = TestApp::new().await;
    let smtp = SmtpServer::start().await;
    let (transport, settings) = smtp_transport(&app, &smtp).await;
    register(&app, "sue").await;
    die_mid_send(&app, true).await;
    app.clock.advance(chrono::Duration::minutes(3));
    deliver(&app, &transport, &settings).await;
    let rows = status_of(&app).await;
    assert_eq!(rows[0].0, "unknown");
    assert!(rows[0].2.as_deref().unwrap().contains("unknown"));
    app.clock.advance(chrono::Duration::hours(1));
    deliver(&app, &transport, &settings).await;
    assert!(smtp.received().is_empty(), "not resent before the wait");
    app.clock
        .advance(chrono::Duration::seconds(settings.unknown_retry_after_secs));
    deliver(&app, &transport, &settings).await;
    assert_eq!(smtp.received().len(), 1);
    assert_eq!(status_of(&app).await[0].0, "sent");
}

#[actix_web::test]
async fn a_server_that_drops_after_data_gets_the_message_once_until_the_wait_is_over() {
    use crate::support::smtp::Fault;
    let app = TestApp::new().await;
    let smtp = SmtpServer::start().await;
    let (transport, settings) = smtp_transport(&app, &smtp).await;
    register(&app, "dora").await;
    smtp.fault_next_session(Fault::DropAfterData);
    let d = deliver(&app, &transport, &settings).await;
    assert_eq!(d.unknown, 1);
    for _ in 0..4 {
        app.clock.advance(chrono::Duration::minutes(30));
        deliver(&app, &transport, &settings).await;
    }
    assert_eq!(
        smtp.received().len(),
        1,
        "no blind resend: {:?}",
        status_of(&app).await
    );
    let row = &status_of(&app).await[0];
    assert_eq!(row.0, "unknown");
    app.clock
        .advance(chrono::Duration::seconds(settings.unknown_retry_after_secs));
    deliver(&app, &transport, &settings).await;
    let ids = message_ids(&smtp);
    assert_eq!(ids.len(), 2);
    assert_eq!(
        ids[0], ids[1],
        "the same Message-ID, so the receiver can drop the repeat"
    );
    let row = &status_of(&app).await[0];
    assert_eq!(row.0, "sent");
    assert!(
        row.2.as_deref().unwrap().contains("unknown"),
        "the history stays: {row:?}"
    );
}

#[actix_web::test]
async fn a_stalled_server_costs_one_deadline_and_the_mail_is_sent_later() {
    use crate::support::smtp::Fault;
    let app = TestApp::new().await;
    let smtp = SmtpServer::start().await;
    let (_, mut settings) = smtp_transport(&app, &smtp).await;
    settings.send_timeout_secs = 1;
    let transport = Transport::from_settings(&settings, app.data_dir.path().into()).unwrap();
    register(&app, "stan").await;
    smtp.fault_next_session(Fault::Stall);
    let started = std::time::Instant::now();
    let d = deliver(&app, &transport, &settings).await;
    assert!(
        started.elapsed() < std::time::Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(d.retrying, 1, "nothing was sent: a plain retry");
    app.clock.advance(chrono::Duration::hours(1));
    deliver(&app, &transport, &settings).await;
    assert_eq!(smtp.received().len(), 1);
    assert_eq!(status_of(&app).await[0].0, "sent");
}

#[actix_web::test]
async fn a_stalled_mail_server_holds_up_neither_search_nor_shutdown() {
    use crate::support::smtp::Fault;
    let app = TestApp::with_settings(|s| {
        s.jobs.poll_millis = 100;
        s.shutdown_grace_secs = 2;
    })
    .await;
    app.seed_boards().await;
    let smtp = SmtpServer::start().await;
    for _ in 0..10 {
        smtp.fault_next_session(Fault::Stall);
    }
    let (_, settings) = smtp_transport(&app, &smtp).await;
    register(&app, "stuck").await;
    let (_, t) = app.member("finder").await;
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let runner = app.runner(Some(
        Transport::from_settings(&settings, app.data_dir.path().into()).unwrap(),
    ));
    let handle = actix_web::rt::spawn(runner.run(stop_rx));
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let (topic, _) = app.topic(&t, "tips", "Wren", "wren singing").await;
    let started = std::time::Instant::now();
    let mut found = false;
    while started.elapsed() < std::time::Duration::from_secs(2) {
        let r = app.client().get("/api/v1/search?q=wren").await;
        if r.json()["hits"]
            .as_array()
            .is_some_and(|h| h.iter().any(|h| h["topic_id"] == topic))
        {
            found = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(found, "searchable while the mail worker waits on SMTP");
    let stopping = std::time::Instant::now();
    let _ = stop_tx.send(true);
    handle.await.unwrap();
    assert!(
        stopping.elapsed() < std::time::Duration::from_secs(3),
        "{:?}",
        stopping.elapsed()
    );
    // The mail is still there for the next start.
    let rows = status_of(&app).await;
    assert!(
        rows.iter().all(|r| r.0 != "sent" && r.0 != "failed"),
        "{rows:?}"
    );
}

#[actix_web::test]
async fn two_workers_never_claim_the_same_mail() {
    let app = TestApp::new().await;
    let smtp = SmtpServer::start().await;
    let (transport, settings) = smtp_transport(&app, &smtp).await;
    for i in 0..6 {
        register(&app, &format!("bulk{i}")).await;
    }
    let now = app.clock.now();
    let (a, b) = tokio::join!(
        worker::deliver_due(&app.state.pool, &transport, &settings, now),
        worker::deliver_due(&app.state.pool, &transport, &settings, now),
    );
    assert_eq!(a.unwrap().sent + b.unwrap().sent, 6);
    let mut to: Vec<String> = smtp.received().into_iter().flat_map(|m| m.to).collect();
    to.sort();
    to.dedup();
    assert_eq!(to.len(), 6, "each recipient once");
    assert_eq!(smtp.received().len(), 6);
}

#[actix_web::test]
async fn mail_is_bilingual_escaped_and_written_to_files_by_default() {
    let app = TestApp::new().await;
    // A Chinese-speaking user registering from a zh page gets Chinese mail.
    let c = app.client();
    c.send(
        actix_web::test::TestRequest::get()
            .uri("/")
            .insert_header(("Accept-Language", "zh-CN")),
    )
    .await;
    let r = c
        .post_form(
            "/register",
            &[
                ("username", "小米粉丝"),
                ("email", "fan@example.com"),
                ("password", "a-long-passphrase"),
                ("accept_privacy", "yes"),
            ],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let (subject, html): (String, String) = mail_outbox::table
        .select((mail_outbox::subject, mail_outbox::body_html))
        .first(&mut app.conn().await)
        .await
        .unwrap();
    assert_eq!(subject, "请验证你的邮箱");
    assert!(html.contains("小米粉丝"));

    let file_transport =
        Transport::from_settings(&app.state.settings.mail, app.state.settings.mail_dir()).unwrap();
    let r = worker::deliver_due(
        &app.state.pool,
        &file_transport,
        &app.state.settings.mail,
        app.clock.now(),
    )
    .await
    .unwrap();
    assert_eq!(r.sent, 1);
    let files: Vec<_> = std::fs::read_dir(app.state.settings.mail_dir())
        .unwrap()
        .flatten()
        .collect();
    assert_eq!(files.len(), 1);
    let eml = std::fs::read_to_string(files[0].path()).unwrap();
    assert!(eml.contains("To: fan@example.com"));
    assert!(eml.contains("Message-ID: <chorus-mail-"));
}

#[test]
fn subjects_cannot_carry_header_breaks() {
    let s = chorus::mail::header_safe("Re: hi\r\nBcc: evil@example.com\u{0007}");
    assert!(!s.contains('\r') && !s.contains('\n') && !s.contains('\u{0007}'));
    assert_eq!(s, "Re: hi Bcc: evil@example.com");
}
