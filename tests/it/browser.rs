//! A real browser against a real server: headless Chromium (Debian's `chromium`) driven by
//! playwright-core through tests/browser/flow.mjs. The server, its background worker and the SMTP
//! listener run in this process; the verification link comes from the mail actually delivered.

use crate::support::smtp::{decode_parts, SmtpServer};
use crate::support::TestApp;
use chorus::mail::transport::Transport;
use std::path::Path;
use std::process::Stdio;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

fn browser_ready() -> Result<(), String> {
    let root = crate::support::repo_root();
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    if !Path::new(&chromium).exists() {
        return Err(format!("{chromium} is missing"));
    }
    if !root
        .join("tests/browser/node_modules/playwright-core")
        .exists()
    {
        return Err("tests/browser/node_modules/playwright-core is missing".into());
    }
    Ok(())
}

#[actix_web::test]
async fn a_member_registers_verifies_posts_replies_and_switches_language_in_chromium() {
    if std::env::var_os("CHORUS_SKIP_BROWSER").is_some() {
        eprintln!("CHORUS_SKIP_BROWSER is set: skipping the browser test");
        return;
    }
    if let Err(why) = browser_ready() {
        panic!("{why}: `make test` installs Chromium and playwright-core (or set CHORUS_SKIP_BROWSER=1)");
    }
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let base = format!("http://127.0.0.1:{port}");
    let smtp = SmtpServer::start().await;
    let app = TestApp::with_settings(|s| {
        s.base_url = base.clone();
        s.mail.smtp_url.0 = smtp.url();
        s.jobs.poll_millis = 100;
    })
    .await;
    app.seed_boards().await;
    app.seed_products().await;
    // Staff pages are walked too (as this admin, password "long-enough-secret").
    app.user_with_role("browser_admin", chorus::accounts::Role::Admin)
        .await;

    let state = app.state.clone();
    let server = actix_web::HttpServer::new(move || chorus::web::app(state.clone()))
        .workers(2)
        .disable_signals()
        .listen(listener)
        .unwrap()
        .run();
    let handle = server.handle();
    actix_web::rt::spawn(server);
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let runner = app.runner(Some(
        Transport::from_settings(&app.state.settings.mail, app.data_dir.path().into()).unwrap(),
    ));
    actix_web::rt::spawn(runner.run(stop_rx));

    let root = crate::support::repo_root();
    let artifacts = root.join("tests/artifacts");
    std::fs::create_dir_all(&artifacts).unwrap();
    let mut node = tokio::process::Command::new("node")
        .arg(root.join("tests/browser/flow.mjs"))
        .arg(&base)
        .arg(&artifacts)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("node is installed");
    let mut stdin = node.stdin.take().unwrap();
    let mut out = BufReader::new(node.stdout.take().unwrap()).lines();
    let mut said = Vec::new();
    let run = async {
        while let Some(line) = out.next_line().await.unwrap() {
            said.push(line.clone());
            if let Some(address) = line.strip_prefix("MAIL_FOR ") {
                let link = wait_for_link(&smtp, address).await;
                stdin
                    .write_all(format!("{link}\n").as_bytes())
                    .await
                    .unwrap();
                stdin.flush().await.unwrap();
            }
        }
    };
    tokio::time::timeout(std::time::Duration::from_secs(120), run)
        .await
        .expect("the browser flow finishes in time");
    let status = node.wait().await.unwrap();
    let mut err = String::new();
    tokio::io::AsyncReadExt::read_to_string(&mut node.stderr.take().unwrap(), &mut err)
        .await
        .ok();
    let _ = stop_tx.send(true);
    handle.stop(true).await;
    assert!(
        status.success() && said.last().map(String::as_str) == Some("OK"),
        "browser flow failed: {said:?}\n{err}"
    );
    assert!(
        artifacts.join("topic-360.png").exists(),
        "the 360 px screenshot is kept"
    );
}

/// The link in the verification mail, once the background worker has delivered it.
async fn wait_for_link(smtp: &SmtpServer, address: &str) -> String {
    for _ in 0..100 {
        if let Some(m) = smtp
            .received()
            .into_iter()
            .find(|m| m.to.iter().any(|t| t.contains(address)))
        {
            let text = decode_parts(&m.data);
            let at = text.find("http://127.0.0.1").expect("a link in the mail");
            return text[at..].split_whitespace().next().unwrap().to_string();
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("no verification mail for {address}");
}
