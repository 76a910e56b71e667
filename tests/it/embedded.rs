//! The embedded default: `chorus serve` with no configuration owns a private cluster.

use chorus::config::Settings;
use chorus::db::pg::Cluster;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn http_get(port: u16, path: &str) -> Option<String> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(s, "GET {path} HTTP/1.0\r\nHost: localhost\r\n\r\n").ok()?;
    let mut out = String::new();
    s.read_to_string(&mut out).ok()?;
    Some(out)
}

fn start_serve(data: &Path, port: u16) -> Child {
    Command::new(env!("CARGO_BIN_EXE_chorus"))
        .arg("serve")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("CHORUS_DATA_DIR", data)
        .env("CHORUS_BIND", format!("127.0.0.1:{port}"))
        .env("CHORUS_SEARCH_INDEX_DIR", data.join("search-index"))
        .env("CHORUS_CONFIG", data.join("none.toml"))
        .env_remove("CHORUS_DATABASE_URL")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

pub fn wait_healthy(port: u16, child: &mut Child) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if let Some(r) = http_get(port, "/healthz") {
            if r.starts_with("HTTP/1.0 200") || r.starts_with("HTTP/1.1 200") {
                return;
            }
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("chorus serve exited early: {status}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("chorus serve did not become healthy");
}

pub fn sigterm_and_wait(child: &mut Child) -> std::process::ExitStatus {
    // SAFETY: sending a signal to our own child process.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(s) = child.try_wait().unwrap() {
            return s;
        }
        assert!(
            Instant::now() < deadline,
            "chorus serve did not stop on SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn http_post_json(port: u16, path: &str, body: &str) -> Option<String> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    write!(
        s,
        "POST {path} HTTP/1.0\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .ok()?;
    let mut out = String::new();
    s.read_to_string(&mut out).ok()?;
    Some(out)
}

fn chorus(data: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_chorus"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("CHORUS_DATA_DIR", data)
        .env("CHORUS_CONFIG", data.join("none.toml"))
        .env_remove("CHORUS_DATABASE_URL")
        .output()
        .unwrap()
}

#[test]
fn serve_owns_an_embedded_cluster_and_stops_it_on_sigterm() {
    let dir = crate::support::tempdir::TempDir::new();
    // The config file path points nowhere: defaults + env only.
    std::fs::write(dir.path().join("none.toml"), "").unwrap();
    // The admin commands use the same embedded cluster, and stop it again.
    let made = chorus(
        dir.path(),
        &[
            "admin",
            "create-user",
            "--username",
            "boss",
            "--email",
            "boss@example.com",
            "--password",
            "long-enough-secret",
            "--role",
            "admin",
        ],
    );
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let bad = chorus(
        dir.path(),
        &[
            "admin",
            "set-role",
            "--username",
            "boss",
            "--role",
            "emperor",
        ],
    );
    assert!(!bad.status.success(), "an unknown role is refused");
    let port = free_port();
    let mut child = start_serve(dir.path(), port);
    wait_healthy(port, &mut child);
    let home = http_get(port, "/").unwrap();
    assert!(home.contains("200 OK") && home.contains("<html"));
    let login = http_post_json(
        port,
        "/api/v1/auth/login",
        r#"{"login":"boss","password":"long-enough-secret"}"#,
    )
    .unwrap();
    assert!(
        login.contains("200 OK") && login.contains("\"role\":\"admin\""),
        "{login}"
    );
    // No TCP listener for Postgres: the socket lives in the data folder.
    assert!(dir.path().join("pg/.s.PGSQL.5432").exists());
    let status = sigterm_and_wait(&mut child);
    assert!(status.success(), "{status}");
    let cluster = Cluster::new(&dir.path().join("pg")).unwrap();
    assert!(!cluster.is_running(), "the cluster stops with the server");

    // A second start reuses the cluster (and its data).
    let mut again = start_serve(dir.path(), port);
    wait_healthy(port, &mut again);
    assert!(sigterm_and_wait(&mut again).success());
}

#[test]
fn a_cluster_killed_hard_starts_again() {
    let dir = crate::support::tempdir::TempDir::new();
    let cluster = Cluster::new(&dir.path().join("pg")).unwrap();
    cluster.init_if_needed().unwrap();
    cluster.start().unwrap();
    let pid_file = dir.path().join("pg/postmaster.pid");
    let pid: i32 = std::fs::read_to_string(&pid_file)
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .parse()
        .unwrap();
    // SAFETY: killing the postmaster we just started.
    unsafe { libc::kill(pid, libc::SIGKILL) };
    let deadline = Instant::now() + Duration::from_secs(10);
    while Path::new(&format!("/proc/{pid}")).exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    // Its children notice the postmaster died and exit; give them a moment.
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        pid_file.exists(),
        "a hard kill leaves postmaster.pid behind"
    );
    // Worst case: the stale file names a PID that now belongs to another live process.
    let text = std::fs::read_to_string(&pid_file).unwrap();
    let rest: Vec<&str> = text.lines().skip(1).collect();
    std::fs::write(
        &pid_file,
        format!("{}\n{}\n", std::process::id(), rest.join("\n")),
    )
    .unwrap();
    cluster
        .start()
        .expect("recovers from the stale postmaster.pid");
    assert!(cluster.is_running());
    cluster.stop().unwrap();
}

#[test]
fn settings_layer_defaults_file_then_environment() {
    let file =
        "bind = \"0.0.0.0:9000\"\ntheme = \"dark\"\n[mail]\nfrom = \"Fans <fans@example.com>\"\n";
    let env = vec![
        ("CHORUS_BIND".to_string(), "127.0.0.1:9100".to_string()),
        (
            "CHORUS_MAIL__SMTP_URL".to_string(),
            "smtp://user:hunter2@mail.example.com:587?tls=required".to_string(),
        ),
        (
            "CHORUS_PRIVACY_POLICY_VERSION".to_string(),
            "2027".to_string(),
        ),
        (
            "CHORUS_TRUSTED_PROXIES".to_string(),
            "[\"10.0.0.1\"]".to_string(),
        ),
        ("OTHER".to_string(), "ignored".to_string()),
        ("CHORUS_LOG".to_string(), "debug".to_string()),
        ("CHORUS_CONFIG".to_string(), "elsewhere.toml".to_string()),
    ];
    let s = Settings::from_sources(Path::new("chorus.toml"), file, env.into_iter()).unwrap();
    assert_eq!(s.bind, "127.0.0.1:9100", "env wins over the file");
    assert_eq!(s.theme, "dark", "the file wins over defaults");
    assert_eq!(s.mail.from, "Fans <fans@example.com>");
    assert_eq!(s.session_days, 30, "defaults fill the rest");
    assert_eq!(s.privacy_policy_version, "2027");
    assert_eq!(
        s.trusted_proxies,
        vec!["10.0.0.1".parse::<std::net::IpAddr>().unwrap()]
    );
    assert!(s.mail.smtp_url.0.contains("hunter2"));
    let printed = format!("{s:?}");
    assert!(
        !printed.contains("hunter2"),
        "secrets never appear in Debug output"
    );

    let bad = Settings::from_sources(Path::new("chorus.toml"), "bnid = 1", std::iter::empty());
    assert!(bad.is_err(), "unknown settings are refused");
}

#[test]
fn backup_and_restore_commands_move_a_community_to_a_new_machine() {
    let (old, new) = (
        crate::support::tempdir::TempDir::new(),
        crate::support::tempdir::TempDir::new(),
    );
    for d in [&old, &new] {
        std::fs::write(d.path().join("none.toml"), "").unwrap();
    }
    let run = |dir: &Path, args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_chorus"))
            .args(args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env("CHORUS_DATA_DIR", dir)
            .env("CHORUS_SEARCH_INDEX_DIR", dir.join("search-index"))
            .env("CHORUS_CONFIG", dir.join("none.toml"))
            .env_remove("CHORUS_DATABASE_URL")
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).to_string()
            + &String::from_utf8_lossy(&out.stderr);
        (out.status.success(), text)
    };
    let (ok, text) = run(old.path(), &["demo", "--topics", "20"]);
    assert!(ok, "{text}");
    let archive = old.path().join("backup.tar");
    let (ok, text) = run(old.path(), &["backup", archive.to_str().unwrap()]);
    assert!(ok && text.contains("wrote"), "{text}");
    let (ok, text) = run(new.path(), &["restore", archive.to_str().unwrap()]);
    assert!(ok && text.contains("posts indexed"), "{text}");
    // A second restore would mix two histories: refused, nothing changed.
    let (ok, text) = run(new.path(), &["restore", archive.to_str().unwrap()]);
    assert!(!ok && text.contains("empty database"), "{text}");
    // The new machine serves the same topics, found by search.
    let port = free_port();
    let mut child = start_serve(new.path(), port);
    wait_healthy(port, &mut child);
    let found = http_get(port, "/api/v1/search?q=the").unwrap();
    assert!(
        found.contains("\"total\":") && !found.contains("\"total\":0"),
        "{found}"
    );
    assert!(http_get(port, "/t/1").unwrap().contains("200 OK"));
    assert!(sigterm_and_wait(&mut child).success());
}

#[test]
fn logs_are_plain_in_a_file_or_pipe_and_json_on_request() {
    let dir = crate::support::tempdir::TempDir::new();
    std::fs::write(dir.path().join("none.toml"), "").unwrap();
    // stdout is a pipe here, as in a service manager or `> chorus.log`.
    let out = chorus(dir.path(), &["migrate"]);
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("INFO") && text.contains("embedded PostgreSQL is up"),
        "{text}"
    );
    assert!(!text.contains('\u{1b}'), "no colour codes: {text:?}");
    let out = Command::new(env!("CARGO_BIN_EXE_chorus"))
        .arg("migrate")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("CHORUS_DATA_DIR", dir.path())
        .env("CHORUS_CONFIG", dir.path().join("none.toml"))
        .env("CHORUS_LOG_FORMAT", "json")
        .env_remove("CHORUS_DATABASE_URL")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let logs: Vec<serde_json::Value> = text
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect();
    assert!(!logs.is_empty(), "{text}");
    assert!(logs
        .iter()
        .all(|l| l["level"].is_string() && l["timestamp"].is_string()));
    assert!(logs
        .iter()
        .any(|l| l["fields"]["message"] == "embedded PostgreSQL is up"));
}
