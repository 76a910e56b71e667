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

/// A server on a free port with its background worker and a real SMTP listener, for a flow.
struct Served {
    app: TestApp,
    base: String,
    smtp: SmtpServer,
    handle: actix_web::dev::ServerHandle,
    stop: tokio::sync::watch::Sender<bool>,
}

fn skip_or_check() -> bool {
    if std::env::var_os("CHORUS_SKIP_BROWSER").is_some() {
        eprintln!("CHORUS_SKIP_BROWSER is set: skipping the browser test");
        return false;
    }
    if let Err(why) = browser_ready() {
        panic!("{why}: `make test` installs Chromium and playwright-core (or set CHORUS_SKIP_BROWSER=1)");
    }
    true
}

/// A served app with the default boards and products and an admin, `browser_admin` (whose
/// token comes back); None when browser tests are skipped.
async fn seeded() -> Option<(Served, String)> {
    if !skip_or_check() {
        return None;
    }
    let s = serve().await;
    s.app.seed_boards().await;
    s.app.seed_products().await;
    let (_, admin) = s
        .app
        .user_with_role("browser_admin", chorus::accounts::Role::Admin)
        .await;
    Some((s, admin))
}

async fn serve() -> Served {
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
    let state = app.state.clone();
    let server = actix_web::HttpServer::new(move || chorus::web::app(state.clone()))
        .workers(2)
        .disable_signals()
        .listen(listener)
        .unwrap()
        .run();
    let handle = server.handle();
    actix_web::rt::spawn(server);
    let (stop, stop_rx) = tokio::sync::watch::channel(false);
    let runner = app.runner(Some(
        Transport::from_settings(&app.state.settings.mail, app.data_dir.path().into()).unwrap(),
    ));
    actix_web::rt::spawn(runner.run(stop_rx));
    Served {
        app,
        base,
        smtp,
        handle,
        stop,
    }
}

impl Served {
    /// Runs one flow script to its "OK", answering "MAIL_FOR <address>" lines with the link in
    /// the mail the worker delivered there; fails with what the script said.
    async fn drive(&self, script: &str) {
        let root = crate::support::repo_root();
        let artifacts = root.join("tests/artifacts");
        std::fs::create_dir_all(&artifacts).unwrap();
        let mut node = tokio::process::Command::new("node")
            .arg(root.join("tests/browser").join(script))
            .arg(&self.base)
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
                // "CLOCK <minutes>": move the server's clock on (mail batches wait minutes).
                if let Some(mins) = line.strip_prefix("CLOCK ") {
                    let mins: i64 = mins.trim().parse().expect("CLOCK <minutes>");
                    self.app.clock.advance(chrono::Duration::minutes(mins));
                    stdin.write_all(b"ok\n").await.unwrap();
                    stdin.flush().await.unwrap();
                }
                // "MAIL_FOR <address> [<part of the link>]": the link from the newest such mail.
                if let Some(rest) = line.strip_prefix("MAIL_FOR ") {
                    let (address, needle) = rest.split_once(' ').unwrap_or((rest, ""));
                    let link = wait_for_link(&self.smtp, address, needle).await;
                    stdin
                        .write_all(format!("{link}\n").as_bytes())
                        .await
                        .unwrap();
                    stdin.flush().await.unwrap();
                }
            }
        };
        tokio::time::timeout(std::time::Duration::from_secs(360), run)
            .await
            .expect("the browser flow finishes in time");
        let status = node.wait().await.unwrap();
        let mut err = String::new();
        tokio::io::AsyncReadExt::read_to_string(&mut node.stderr.take().unwrap(), &mut err)
            .await
            .ok();
        assert!(
            status.success() && said.last().map(String::as_str) == Some("OK"),
            "browser flow {script} failed: {said:?}\n{err}"
        );
    }

    async fn stop(self) {
        let _ = self.stop.send(true);
        self.handle.stop(true).await;
    }
}

#[actix_web::test]
async fn a_member_registers_verifies_posts_replies_and_switches_language_in_chromium() {
    // Staff pages are walked too (as browser_admin, password "long-enough-secret").
    let Some((s, _)) = seeded().await else {
        return;
    };
    s.drive("flow.mjs").await;
    s.stop().await;
    assert!(
        crate::support::repo_root()
            .join("tests/artifacts/topic-360.png")
            .exists(),
        "the 360 px screenshot is kept"
    );
}

/// The beta programme end to end at 360 px: a fan who is too low is told why, one who qualifies
/// applies, the product's PM approves, the tester files a bug with a private log on the closed
/// board, the routed team reads the log and another team gets 404 for the bug and the log.
#[actix_web::test]
async fn a_beta_programme_from_application_to_a_routed_bug_with_a_private_log_in_chromium() {
    use chorus::accounts::Role;
    use serde_json::json;
    let Some((s, admin)) = seeded().await else {
        return;
    };
    let app = &s.app;
    app.user_with_role("pm_phone", Role::TeamMember).await;
    app.user_with_role("pm_wear", Role::TeamMember).await;
    let (low, _) = app.member("fan_low").await;
    let (fan, _) = app.member("fan_ok").await;
    app.set_level(low.id, 3).await;
    app.set_level(fan.id, 5).await;
    let mut calls = Vec::new();
    for (slug, zh, en, who) in [
        ("phone", "手机团队", "Phone team", "pm_phone"),
        ("wear", "穿戴团队", "Wearables team", "pm_wear"),
    ] {
        calls.push((
            "/api/v1/admin/teams".to_string(),
            json!({"slug": slug, "name_zh": zh, "name_en": en}),
        ));
        calls.push((
            format!("/api/v1/admin/teams/{slug}/members"),
            json!({"username": who}),
        ));
    }
    calls.push((
        "/api/v1/admin/products/chorus-14/team".into(),
        json!({"team": "phone"}),
    ));
    calls.push(("/api/v1/admin/boards".into(), json!({"slug": "beta-lab", "name_zh": "Chorus 15 内测实验室", "name_en": "Chorus 15 beta lab", "kinds": ["discussion", "bug"]})));
    calls.push(("/api/v1/admin/programmes".into(), json!({"slug": "c15-beta", "name_zh": "Chorus 15 内测", "name_en": "Chorus 15 beta",
        "board": "beta-lab", "product": "chorus-14", "terms_md": "测试版本**不得外传**。", "min_level": 4, "quota": 20})));
    as_admin(app, &admin, calls).await;
    s.drive("programme.mjs").await;
    s.stop().await;
}

/// Admin API calls that set up a flow's world; each must succeed.
async fn as_admin(app: &TestApp, admin: &str, calls: Vec<(String, serde_json::Value)>) {
    for (path, body) in calls {
        let r = app.client().with_bearer(admin).post_json(&path, body).await;
        assert!(r.status.is_success(), "{path}: {}", r.text());
    }
}

/// The first link containing `needle` in a mail to `address`, once the background worker has
/// delivered one.
async fn wait_for_link(smtp: &SmtpServer, address: &str, needle: &str) -> String {
    for _ in 0..150 {
        for m in smtp
            .received()
            .into_iter()
            .rev()
            .filter(|m| m.to.iter().any(|t| t.contains(address)))
        {
            let text = decode_parts(&m.data);
            if let Some(link) = text
                .split_whitespace()
                .filter(|w| w.starts_with("http://127.0.0.1"))
                .find(|w| w.contains(needle))
            {
                return link.to_string();
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("no mail for {address} with a link containing {needle:?}");
}

/// The journeys of tests/browser/journeys.mjs, one per role, with axe-core on every page visited.
#[actix_web::test]
async fn each_role_walks_its_journey_accessibly_in_chromium() {
    use chorus::accounts::Role;
    use serde_json::json;
    let Some((s, admin)) = seeded().await else {
        return;
    };
    let app = &s.app;
    app.user_with_role("mod_lin", Role::Moderator).await;
    app.user_with_role("pm_phone", Role::TeamMember).await;
    for name in ["fan_tip", "tester_wu", "fan_two"] {
        app.member(name).await;
    }
    as_admin(
        app,
        &admin,
        vec![
            (
                "/api/v1/admin/teams".into(),
                json!({"slug": "phone", "name_zh": "手机团队", "name_en": "Phone team"}),
            ),
            (
                "/api/v1/admin/teams/phone/members".into(),
                json!({"username": "pm_phone"}),
            ),
            (
                "/api/v1/triage/rules".into(),
                json!({"rules": [{"team": "phone", "kind": "bug", "keywords": ["相机", "camera"]}]}),
            ),
        ],
    )
    .await;
    s.drive("journeys.mjs").await;
    s.stop().await;
}

/// The PM's triage workspace at 1280 and 360 px (tests/browser/triage.mjs): older items, then two
/// fresh 必现 crashes three days later, all for the phone team of pm_phone and pm_qa.
#[actix_web::test]
async fn a_pm_finds_assigns_and_answers_a_fresh_crash_from_the_queue_in_chromium() {
    use chorus::accounts::Role;
    use serde_json::json;
    let Some((s, admin)) = seeded().await else {
        return;
    };
    let app = &s.app;
    for name in ["pm_phone", "pm_qa"] {
        app.user_with_role(name, Role::TeamMember).await;
    }
    let mut calls = vec![(
        "/api/v1/admin/teams".to_string(),
        json!({"slug": "phone", "name_zh": "手机团队", "name_en": "Phone team"}),
    )];
    for who in ["pm_phone", "pm_qa"] {
        calls.push((
            "/api/v1/admin/teams/phone/members".into(),
            json!({ "username": who }),
        ));
    }
    calls.push((
        "/api/v1/admin/products/chorus-14/team".into(),
        json!({"team": "phone"}),
    ));
    as_admin(app, &admin, calls).await;
    let file = |token: String, title: &'static str, severity: &'static str, repro: &'static str| async move {
        let r = app
            .client()
            .with_bearer(&token)
            .post_json(
                "/api/v1/topics",
                json!({"board": "phones", "kind": "bug", "title": title, "body": "详见标题",
                    "bug": {"product": "chorus-14", "os_version": "ChorusOS 2.0.1", "reproducibility": repro, "severity": severity}}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text());
    };
    app.member("reporter").await;
    let t = app.fresh_token("reporter").await;
    file(t.clone(), "状态栏图标偶尔错位", "cosmetic", "always").await;
    file(t.clone(), "蓝牙耳机断连后无法自动重连", "major", "often").await;
    file(t.clone(), "相机启动时闪退", "crash", "often").await;
    file(t.clone(), "设置页字体略小", "minor", "once").await;
    app.clock.advance(chrono::Duration::days(3));
    let t = app.fresh_token("reporter").await;
    file(t.clone(), "拍夜景时相机闪退", "crash", "always").await;
    file(t, "打开相册大图时闪退", "crash", "always").await;
    chorus::triage::priority::refresh(&mut *app.conn().await, None, app.clock.now())
        .await
        .unwrap();
    app.index_now().await;
    s.drive("triage.mjs").await;
    s.stop().await;
}
