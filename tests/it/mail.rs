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
    let first = worker::deliver_due(&app.state.pool, &transport, &settings, app.clock.now())
        .await
        .unwrap();
    assert_eq!((first.sent, first.retrying), (0, 1));
    let rows = status_of(&app).await;
    assert_eq!(rows[0].0, "queued");
    assert!(rows[0].2.as_deref().unwrap_or("").contains("421"));

    // Not due yet: nothing is sent again.
    let early = worker::deliver_due(&app.state.pool, &transport, &settings, app.clock.now())
        .await
        .unwrap();
    assert_eq!(early, worker::Delivered::default());
    assert!(smtp.received().is_empty());

    app.clock
        .advance(chrono::Duration::seconds(settings.retry_base_secs + 1));
    let second = worker::deliver_due(&app.state.pool, &transport, &settings, app.clock.now())
        .await
        .unwrap();
    assert_eq!(second.sent, 1);
    app.clock.advance(chrono::Duration::hours(1));
    worker::deliver_due(&app.state.pool, &transport, &settings, app.clock.now())
        .await
        .unwrap();
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
    let r = worker::deliver_due(&app.state.pool, &transport, &settings, app.clock.now())
        .await
        .unwrap();
    assert_eq!(r.failed, 1);
    let rows = status_of(&app).await;
    assert_eq!(rows[0].0, "failed");
    assert!(rows[0].2.as_deref().unwrap().contains("550"));
    app.clock.advance(chrono::Duration::days(2));
    worker::deliver_due(&app.state.pool, &transport, &settings, app.clock.now())
        .await
        .unwrap();
    assert!(
        smtp.received().is_empty(),
        "a permanent failure is never retried"
    );
}

#[actix_web::test]
async fn a_delivery_interrupted_mid_send_is_never_sent_twice() {
    let app = TestApp::new().await;
    let smtp = SmtpServer::start().await;
    let (transport, settings) = smtp_transport(&app, &smtp).await;
    register(&app, "sam").await;
    // A worker claimed the row and died during the SMTP conversation.
    diesel::update(mail_outbox::table)
        .set((
            mail_outbox::status.eq("sending"),
            mail_outbox::claimed_at.eq(app.clock.now()),
            mail_outbox::attempts.eq(1),
        ))
        .execute(&mut app.conn().await)
        .await
        .unwrap();
    app.clock.advance(chrono::Duration::minutes(11));
    worker::deliver_due(&app.state.pool, &transport, &settings, app.clock.now())
        .await
        .unwrap();
    app.clock.advance(chrono::Duration::hours(1));
    worker::deliver_due(&app.state.pool, &transport, &settings, app.clock.now())
        .await
        .unwrap();
    assert!(smtp.received().is_empty());
    let rows = status_of(&app).await;
    assert_eq!(rows[0].0, "failed");
    assert!(rows[0].2.as_deref().unwrap().contains("interrupted"));
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
    assert_eq!(r.status, 303, "{}", r.text());
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
