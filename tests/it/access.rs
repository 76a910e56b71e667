//! Private boards and the access matrix. The matrix is built from the route table (every GET in
//! the OpenAPI document and every GET page route in `src/web`), so a new GET route without an
//! entry here fails the test. For each route and each kind of viewer it asserts absence: no
//! secret appears in the body, and an object the viewer may not see answers exactly as a
//! missing one does (same status), so not even its existence leaks.

use crate::feedback::multipart;
use crate::support::TestApp;
use chorus::accounts::Role;
use serde_json::json;
use std::collections::BTreeSet;

const BETA_TITLE: &str = "SECRETBETA 内测机相机崩溃";
const BETA_REPLY: &str = "SECRETREPLY";
const BETA_BOARD_NAME: &str = "BETALABNAME";
const LOG_TEXT: &str = "SECRETLOG";
const NOTE_TEXT: &str = "SECRETNOTE";

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Viewer {
    Anonymous,
    Member,
    Tester,
    RoutedTeam,
    OtherTeam,
    Moderator,
    Admin,
}

const VIEWERS: [Viewer; 7] = [
    Viewer::Anonymous,
    Viewer::Member,
    Viewer::Tester,
    Viewer::RoutedTeam,
    Viewer::OtherTeam,
    Viewer::Moderator,
    Viewer::Admin,
];

/// The three private things, and who may see each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Secret {
    /// A topic (a bug report) with a reply on a board only the beta group reads.
    BetaTopic,
    /// A private log on a public bug routed to the phone team.
    Log,
    /// An internal note on that bug.
    Note,
}

impl Secret {
    fn markers(self) -> &'static [&'static str] {
        match self {
            Secret::BetaTopic => &[BETA_TITLE, BETA_REPLY, BETA_BOARD_NAME, "SECRETBETA"],
            Secret::Log => &[LOG_TEXT],
            Secret::Note => &[NOTE_TEXT],
        }
    }

    fn seen_by(self, v: Viewer) -> bool {
        use Viewer::*;
        match self {
            Secret::BetaTopic => matches!(v, Tester | Moderator | Admin),
            // The tester filed the bug and uploaded the log.
            Secret::Log => matches!(v, Tester | RoutedTeam | Moderator | Admin),
            Secret::Note => matches!(v, RoutedTeam | Moderator | Admin),
        }
    }
}

const SECRETS: [Secret; 3] = [Secret::BetaTopic, Secret::Log, Secret::Note];

struct World {
    tokens: Vec<(Viewer, Option<String>)>,
    beta_topic: i64,
    beta_reply: i64,
    log_bug: i64,
    log_id: i64,
}

impl World {
    fn token(&self, v: Viewer) -> Option<&str> {
        self.tokens
            .iter()
            .find(|(w, _)| *w == v)
            .and_then(|(_, t)| t.as_deref())
    }
}

async fn admin_post(app: &TestApp, admin: &str, path: &str, body: serde_json::Value) {
    let r = app.client().with_bearer(admin).post_json(path, body).await;
    assert!(r.status.as_u16() < 300, "{path}: {} {}", r.status, r.text());
}

/// Boards, teams, a beta group with one tester, and the three secrets.
async fn world(app: &TestApp) -> World {
    app.seed_boards().await;
    app.seed_products().await;
    let (_, admin) = app.user_with_role("chief", Role::Admin).await;
    let (_, moderator) = app.user_with_role("mod_lin", Role::Moderator).await;
    let (_, member) = app.member("outsider").await;
    let (_, tester) = app.member("tester_wu").await;
    let (_, routed) = app.user_with_role("pm_phone", Role::TeamMember).await;
    let (_, other) = app.user_with_role("pm_wear", Role::TeamMember).await;
    for (slug, zh, en, who) in [
        ("phone", "手机团队", "Phone team", "pm_phone"),
        ("wear", "穿戴团队", "Wearables team", "pm_wear"),
    ] {
        admin_post(
            app,
            &admin,
            "/api/v1/admin/teams",
            json!({"slug": slug, "name_zh": zh, "name_en": en}),
        )
        .await;
        admin_post(
            app,
            &admin,
            &format!("/api/v1/admin/teams/{slug}/members"),
            json!({"username": who}),
        )
        .await;
    }
    admin_post(
        app,
        &admin,
        "/api/v1/admin/products/chorus-14/team",
        json!({"team": "phone"}),
    )
    .await;
    admin_post(
        app,
        &admin,
        "/api/v1/admin/boards",
        json!({"slug": "beta-lab", "name_zh": BETA_BOARD_NAME, "name_en": BETA_BOARD_NAME,
               "kinds": ["discussion", "bug"]}),
    )
    .await;
    admin_post(
        app,
        &admin,
        "/api/v1/admin/groups",
        json!({"slug": "beta-testers", "name_zh": "内测组", "name_en": "Beta testers"}),
    )
    .await;
    admin_post(
        app,
        &admin,
        "/api/v1/admin/groups/beta-testers/members",
        json!({"username": "tester_wu"}),
    )
    .await;
    let r = app
        .client()
        .with_bearer(&admin)
        .json(
            actix_web::http::Method::PATCH,
            "/api/v1/admin/boards/beta-lab",
            json!({"read": "groups", "post": "groups", "groups": ["beta-testers"]}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["read_rule"], "groups");

    // The private topic: a bug on the beta board, with a reply that mentions outsiders (a
    // mention must not open the board) and a moderator, edited once so it has a history.
    let r = app
        .client()
        .with_bearer(&tester)
        .post_json(
            "/api/v1/topics",
            json!({"board": "beta-lab", "kind": "bug", "title": BETA_TITLE, "body": "Camera crash on the beta build SECRETBETA.",
                "bug": {"product": "chorus-14", "os_version": "ChorusOS 3.0 beta", "reproducibility": "always", "severity": "crash"}}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let beta_topic = r.json()["id"].as_i64().unwrap();
    let beta_reply = app
        .reply(
            &tester,
            beta_topic,
            None,
            &format!("{BETA_REPLY} @outsider @pm_wear @mod_lin see this"),
        )
        .await;
    let r = app
        .client()
        .with_bearer(&tester)
        .json(
            actix_web::http::Method::PATCH,
            &format!("/api/v1/posts/{beta_reply}"),
            json!({"body": format!("{BETA_REPLY} @outsider @pm_wear @mod_lin see this (edited)")}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());

    // A public bug whose title looks like the private one (similar topics), with a private
    // log and an internal note.
    let r = app
        .client()
        .with_bearer(&tester)
        .post_json(
            "/api/v1/topics",
            json!({"board": "phones", "kind": "bug", "title": "内测机相机崩溃 camera crash", "body": "The camera crashes.",
                "bug": {"product": "chorus-14", "os_version": "ChorusOS 2.0.1", "reproducibility": "always", "severity": "crash"}}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let log_bug = r.json()["id"].as_i64().unwrap();
    let (ct, body) = multipart(&format!("{LOG_TEXT}.txt"), LOG_TEXT.as_bytes(), true);
    let r = app
        .client()
        .with_bearer(&tester)
        .post_raw(&format!("/api/v1/topics/{log_bug}/attachments"), &ct, body)
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let log_id = r.json()["id"].as_i64().unwrap();
    let r = app
        .client()
        .with_bearer(&routed)
        .post_json(
            &format!("/api/v1/topics/{log_bug}/internal-notes"),
            json!({"body": NOTE_TEXT}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text());

    app.run_jobs().await;
    app.index_now().await;
    World {
        tokens: vec![
            (Viewer::Anonymous, None),
            (Viewer::Member, Some(member)),
            (Viewer::Tester, Some(tester)),
            (Viewer::RoutedTeam, Some(routed)),
            (Viewer::OtherTeam, Some(other)),
            (Viewer::Moderator, Some(moderator)),
            (Viewer::Admin, Some(admin)),
        ],
        beta_topic,
        beta_reply,
        log_bug,
        log_id,
    }
}

/// GET page routes as `src/web` registers them (outside the API), read from the source.
fn page_routes() -> BTreeSet<String> {
    let mut files = Vec::new();
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src/web");
    let mut stack = vec![root.clone()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                if p.file_name().is_some_and(|n| n != "api") {
                    stack.push(p);
                }
            } else if p.extension().is_some_and(|x| x == "rs") {
                files.push(p);
            }
        }
    }
    let mut out = BTreeSet::new();
    for f in files {
        let text: String = std::fs::read_to_string(&f)
            .unwrap()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join("");
        let mut rest = text.as_str();
        while let Some(i) = rest.find("route(\"") {
            rest = &rest[i + 7..];
            let Some(end) = rest.find('"') else { break };
            let path = &rest[..end];
            if rest[end..].starts_with("\",web::get()") {
                out.insert(path.to_string());
            }
        }
    }
    out
}

/// What the matrix does with one GET route: the concrete requests (each with, where it names
/// an object, the request for a missing one of the same kind), and what each shows to those
/// who may see it.
struct Probe {
    path: String,
    /// The same route for an object that does not exist: viewers who may not see the secret
    /// must get exactly this status.
    missing: Option<String>,
    /// The secret this request is about, and the marker those who may see it must find.
    shows: Option<(Secret, &'static str)>,
}

fn probe(path: String, missing: Option<String>, shows: Option<(Secret, &'static str)>) -> Probe {
    Probe {
        path,
        missing,
        shows,
    }
}

/// The matrix entries. None: a route this test does not know, which fails it.
fn entries(template: &str, w: &World) -> Option<Vec<Probe>> {
    let (t, r, b, l) = (w.beta_topic, w.beta_reply, w.log_bug, w.log_id);
    let none = |p: &str| vec![probe(p.to_string(), None, None)];
    let beta = Some((Secret::BetaTopic, BETA_TITLE));
    Some(match template {
        // The API, under /api/v1.
        "/api/v1/me" | "/api/v1/me/sessions" | "/api/v1/me/export" | "/api/v1/me/feedback"
        | "/api/v1/products" | "/api/v1/honor/medals" | "/api/v1/admin/groups"
        | "/api/v1/mod/queue" | "/api/v1/mod/log" | "/api/v1/admin/access-log"
        | "/api/v1/admin/teams" | "/api/v1/admin/webhooks" | "/api/v1/triage/rules"
        | "/api/v1/triage/unrouted" | "/api/v1/triage/stats" | "/api/v1/openapi.json"
        | "/api/v1/programmes" | "/api/v1/triage/views" => none(template),
        "/api/v1/boards" => vec![probe(
            template.into(),
            None,
            Some((Secret::BetaTopic, BETA_BOARD_NAME)),
        )],
        "/api/v1/boards/{slug}/topics" => vec![probe(
            "/api/v1/boards/beta-lab/topics".into(),
            Some("/api/v1/boards/no-such-board/topics".into()),
            beta,
        )],
        "/api/v1/topics" => vec![probe("/api/v1/topics?sort=new".into(), None, beta)],
        "/api/v1/topics/{id}" => vec![
            probe(
                format!("/api/v1/topics/{t}"),
                Some("/api/v1/topics/99999999".into()),
                Some((Secret::BetaTopic, BETA_REPLY)),
            ),
            probe(
                format!("/api/v1/topics/{b}"),
                None,
                Some((Secret::Log, LOG_TEXT)),
            ),
        ],
        "/api/v1/posts/{id}/revisions" => vec![probe(
            format!("/api/v1/posts/{r}/revisions"),
            Some("/api/v1/posts/99999999/revisions".into()),
            None,
        )],
        "/api/v1/admin/groups/{slug}/members" => none("/api/v1/admin/groups/beta-testers/members"),
        "/api/v1/topics/{id}/status-history" => vec![probe(
            format!("/api/v1/topics/{t}/status-history"),
            Some("/api/v1/topics/99999999/status-history".into()),
            None,
        )],
        "/api/v1/topics/{id}/satisfaction" => vec![probe(
            format!("/api/v1/topics/{t}/satisfaction"),
            Some("/api/v1/topics/99999999/satisfaction".into()),
            None,
        )],
        "/api/v1/topics/{id}/internal-notes" => vec![
            probe(
                format!("/api/v1/topics/{b}/internal-notes"),
                Some("/api/v1/topics/99999999/internal-notes".into()),
                Some((Secret::Note, NOTE_TEXT)),
            ),
            probe(
                format!("/api/v1/topics/{t}/internal-notes"),
                Some("/api/v1/topics/99999999/internal-notes".into()),
                None,
            ),
        ],
        "/api/v1/notifications" => vec![probe(template.into(), None, None)],
        "/api/v1/search" => vec![probe("/api/v1/search?q=SECRETBETA".into(), None, beta)],
        "/api/v1/search/similar" => vec![probe(
            "/api/v1/search/similar?title=SECRETBETA%20%E5%86%85%E6%B5%8B%E6%9C%BA%E7%9B%B8%E6%9C%BA%E5%B4%A9%E6%BA%83".into(),
            None,
            beta,
        )],
        "/api/v1/mod/users/{username}" => none("/api/v1/mod/users/tester_wu"),
        "/api/v1/programmes/{slug}/applications" => none("/api/v1/programmes/beta-lab/applications"),
        "/api/v1/programmes/{slug}/testers" => none("/api/v1/programmes/beta-lab/testers"),
        "/api/v1/users/{username}" => none("/api/v1/users/tester_wu"),
        "/api/v1/honor/leaderboard" => vec![probe(
            "/api/v1/honor/leaderboard?board=beta-lab".into(),
            Some("/api/v1/honor/leaderboard?board=no-such-board".into()),
            None,
        )],
        // The queue's search reads the index's own copy of reports: words of the private body.
        "/api/v1/triage/queue" => vec![
            probe("/api/v1/triage/queue".into(), None, None),
            probe("/api/v1/triage/queue?q=beta%20build".into(), None, beta),
            probe("/api/v1/triage/queue?q=beta%20build&team=all".into(), None, beta),
        ],
        "/triage" => vec![
            probe("/triage".into(), None, None),
            probe("/triage?q=beta%20build".into(), None, beta),
        ],
        "/api/v1/triage/items/{id}/similar" => vec![
            probe(format!("/api/v1/triage/items/{b}/similar"), None, None),
            probe(
                format!("/api/v1/triage/items/{t}/similar"),
                Some("/api/v1/triage/items/99999999/similar".into()),
                None,
            ),
        ],
        // Pages.
        "/" => vec![probe("/".into(), None, beta)],
        "/b/{slug}" => vec![probe(
            "/b/beta-lab".into(),
            Some("/b/no-such-board".into()),
            beta,
        )],
        "/t/{id}" => vec![
            probe(
                format!("/t/{t}"),
                Some("/t/99999999".into()),
                Some((Secret::BetaTopic, BETA_REPLY)),
            ),
            probe(format!("/t/{b}"), None, Some((Secret::Note, NOTE_TEXT))),
            probe(format!("/t/{b}"), None, Some((Secret::Log, LOG_TEXT))),
        ],
        // The merge confirmation names both items: outsiders of either get a missing one's answer.
        "/t/{id}/merge" => vec![
            probe(
                format!("/t/{t}/merge?into={b}"),
                Some(format!("/t/99999999/merge?into={b}")),
                None,
            ),
            probe(
                format!("/t/{b}/merge?into={t}"),
                Some(format!("/t/{b}/merge?into=99999999")),
                None,
            ),
        ],
        "/posts/{id}/edit" => vec![probe(
            format!("/posts/{r}/edit"),
            Some("/posts/99999999/edit".into()),
            None,
        )],
        "/posts/{id}/history" => vec![probe(
            format!("/posts/{r}/history"),
            Some("/posts/99999999/history".into()),
            None,
        )],
        "/attachments/{id}" => vec![probe(
            format!("/attachments/{l}"),
            Some("/attachments/99999999".into()),
            Some((Secret::Log, LOG_TEXT)),
        )],
        // The page echoes its query, so it searches words of the private body that are no marker.
        "/search" => vec![probe("/search?q=beta%20build".into(), None, beta)],
        "/u/{username}" => vec![probe("/u/tester_wu".into(), None, beta)],
        "/mod/users/{username}" => none("/mod/users/tester_wu"),
        "/programmes/{slug}/applications" => none("/programmes/beta-lab/applications"),
        "/honor" => vec![probe("/honor?board=beta-lab".into(), None, None)],
        "/new" => vec![probe(
            "/new".into(),
            None,
            Some((Secret::BetaTopic, BETA_BOARD_NAME)),
        )],
        "/exports/{token}" => none("/exports/not-a-token"),
        "/static/{path:.*}" => none("/static/style.css"),
        "/admin/access-log" | "/admin/boards" | "/admin/groups" | "/admin/products"
        | "/admin/triage" | "/consent" | "/healthz" | "/login" | "/metrics" | "/mod"
        | "/mod/log" | "/notifications" | "/privacy" | "/register" | "/reset-password"
        | "/roadmap" | "/programmes" | "/settings" | "/triage/stats" | "/verify" | "/me/feedback"
        | "/settings/sessions" => none(template),
        _ => return None,
    })
}

async fn get(app: &TestApp, token: Option<&str>, path: &str) -> (u16, String) {
    let c = app.client();
    let c = match token {
        Some(t) => c.with_bearer(t),
        None => c,
    };
    let r = c.get(path).await;
    (r.status.as_u16(), r.text())
}

#[actix_web::test]
async fn the_access_matrix_covers_every_get_route_and_nothing_private_leaks() {
    let app = TestApp::new().await;
    let w = world(&app).await;
    let doc = app.client().get("/api/v1/openapi.json").await.json();
    let mut templates: BTreeSet<String> = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, ops)| ops.get("get").is_some())
        .map(|(p, _)| p.clone())
        .collect();
    assert!(templates.len() > 25, "the OpenAPI document lists its GETs");
    templates.extend(page_routes());
    let mut unknown = Vec::new();
    let mut probes = Vec::new();
    for t in &templates {
        match entries(t, &w) {
            Some(p) => probes.extend(p),
            None => unknown.push(t.clone()),
        }
    }
    assert!(
        unknown.is_empty(),
        "GET routes with no access-matrix entry (add one in tests/it/access.rs): {unknown:?}"
    );
    let mut failures = Vec::new();
    for p in &probes {
        for v in VIEWERS {
            let token = w.token(v);
            let (status, body) = get(&app, token, &p.path).await;
            if status >= 500 {
                failures.push(format!("{v:?} {}: {status}", p.path));
            }
            for s in SECRETS {
                if s.seen_by(v) {
                    continue;
                }
                for m in s.markers() {
                    if body.contains(m) {
                        failures.push(format!("{v:?} {} shows {m:?} ({s:?})", p.path));
                    }
                }
            }
            if let Some((s, marker)) = p.shows {
                if s.seen_by(v) && !body.contains(marker) {
                    // Role-gated routes answer some viewers who may see the secret elsewhere
                    // with 403 or 404 for the route itself; the rest must show it.
                    if status == 200 {
                        failures.push(format!("{v:?} {} lacks {marker:?}", p.path));
                    }
                }
                if let Some(missing) = &p.missing {
                    if !s.seen_by(v) {
                        let (m_status, _) = get(&app, token, missing).await;
                        if m_status != status {
                            failures.push(format!(
                                "{v:?} {}: {status}, but a missing one answers {m_status}",
                                p.path
                            ));
                        }
                    }
                }
            } else if let Some(missing) = &p.missing {
                // Routes about the private topic: its outsiders get what a missing one gets.
                if !Secret::BetaTopic.seen_by(v) {
                    let (m_status, _) = get(&app, token, missing).await;
                    if m_status != status {
                        failures.push(format!(
                            "{v:?} {}: {status}, but a missing one answers {m_status}",
                            p.path
                        ));
                    }
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    // Presence where it matters most: the tester reads the board, the routed team the log and
    // the note; the other team none of them.
    for (v, path, marker) in [
        (
            Viewer::Tester,
            format!("/api/v1/topics/{}", w.beta_topic),
            BETA_REPLY,
        ),
        (
            Viewer::RoutedTeam,
            format!("/attachments/{}", w.log_id),
            LOG_TEXT,
        ),
        (
            Viewer::RoutedTeam,
            format!("/api/v1/topics/{}/internal-notes", w.log_bug),
            NOTE_TEXT,
        ),
    ] {
        let (status, body) = get(&app, w.token(v), &path).await;
        assert!(
            status == 200 && body.contains(marker),
            "{v:?} {path}: {status}"
        );
    }
    for path in [
        format!("/api/v1/topics/{}", w.beta_topic),
        format!("/attachments/{}", w.log_id),
        format!("/api/v1/topics/{}/internal-notes", w.log_bug),
    ] {
        assert_eq!(
            get(&app, w.token(Viewer::OtherTeam), &path).await.0,
            404,
            "{path}"
        );
    }
    // Search totals and facets count only what each viewer may read.
    for v in VIEWERS {
        let (_, body) = get(&app, w.token(v), "/api/v1/search?q=SECRETBETA").await;
        let r: serde_json::Value = serde_json::from_str(&body).unwrap();
        let total = r["total"].as_u64().unwrap();
        let beta_facet = r["facets"]["board"].get("beta-lab").is_some();
        if Secret::BetaTopic.seen_by(v) {
            assert!(total >= 1 && beta_facet, "{v:?} finds the beta topic");
        } else {
            assert_eq!(total, 0, "{v:?}: {body}");
            assert!(!beta_facet, "{v:?}: {body}");
        }
    }
    // Nobody outside was told: no notification counts the mention, no mail names it, and the
    // weekly digest (run after the fact) neither.
    for v in [Viewer::Member, Viewer::OtherTeam] {
        let (_, body) = get(&app, w.token(v), "/api/v1/notifications").await;
        let n: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(n["unread_count"], 0, "{v:?}: {body}");
    }
    let (_, mod_bell) = get(&app, w.token(Viewer::Moderator), "/api/v1/notifications").await;
    assert!(
        mod_bell.contains("SECRETBETA"),
        "the mentioned moderator may read it: {mod_bell}"
    );
    {
        use chorus::db::schema::users;
        use diesel::prelude::*;
        use diesel_async::RunQueryDsl;
        diesel::update(users::table)
            .set(users::digest_weekly.eq(true))
            .execute(&mut app.conn().await)
            .await
            .unwrap();
    }
    chorus::notify::digest::send_weekly(
        &app.state.pool,
        &app.state.mailer,
        "2026-W49",
        app.clock.now(),
    )
    .await
    .unwrap();
    let mail_dir = app.data_dir.path().join("mail");
    let transport = chorus::mail::transport::Transport::Files(mail_dir.clone());
    for _ in 0..5 {
        chorus::mail::worker::deliver_due(
            &app.state.pool,
            &transport,
            &app.state.settings.mail,
            app.clock.now(),
        )
        .await
        .unwrap();
    }
    let mut outsider_mail = 0;
    for e in std::fs::read_dir(&mail_dir).unwrap() {
        let text = std::fs::read_to_string(e.unwrap().path()).unwrap();
        let decoded = crate::support::smtp::decode_parts(&text);
        for (who, v) in [
            ("outsider@", Viewer::Member),
            ("pm_wear@", Viewer::OtherTeam),
        ] {
            if text.contains(&format!("To: {who}")) || text.contains(&format!("<{who}")) {
                outsider_mail += 1;
                for s in SECRETS.iter().filter(|s| !s.seen_by(v)) {
                    for m in s.markers() {
                        assert!(!decoded.contains(m), "mail to {who} names {m}: {decoded}");
                    }
                }
            }
        }
    }
    assert!(
        outsider_mail >= 1,
        "the outsiders got their digest, without the secret"
    );
}

#[actix_web::test]
async fn groups_and_board_rules_take_effect_at_the_next_request_and_refuse_bad_input() {
    let app = TestApp::new().await;
    let w = world(&app).await;
    let admin = w.token(Viewer::Admin).unwrap().to_string();
    let tester = w.token(Viewer::Tester).unwrap().to_string();
    let member = w.token(Viewer::Member).unwrap().to_string();
    let c = |t: &str| app.client().with_bearer(t);
    let patch = |body: serde_json::Value| {
        let admin = admin.clone();
        let app = &app;
        async move {
            app.client()
                .with_bearer(&admin)
                .json(
                    actix_web::http::Method::PATCH,
                    "/api/v1/admin/boards/beta-lab",
                    body,
                )
                .await
        }
    };
    // Bad input: each a clear 4xx that changes nothing.
    let r = patch(json!({"read": "groups", "post": "groups", "groups": ["no-such-group"]})).await;
    assert_eq!(r.status, 422, "{}", r.text());
    assert!(r.text().contains("no-such-group"));
    let r = patch(json!({"read": "groups", "post": "groups", "groups": []})).await;
    assert_eq!(r.status, 422);
    let r = patch(json!({"read": "everyone", "post": "groups", "groups": ["beta-testers"]})).await;
    assert_eq!(r.status, 422);
    let r = patch(json!({"read": "public", "post": "signed_in", "min_level_read": 11})).await;
    assert_eq!(r.status, 422);
    let r = c(&admin)
        .json(
            actix_web::http::Method::PATCH,
            "/api/v1/admin/boards/no-such-board",
            json!({"read": "public", "post": "signed_in"}),
        )
        .await;
    assert_eq!(r.status, 404);
    let r = c(&admin)
        .post_json(
            "/api/v1/admin/groups",
            json!({"slug": "beta-testers", "name_zh": "重复", "name_en": "Again"}),
        )
        .await;
    assert_eq!(r.status, 409);
    let r = c(&admin)
        .post_json(
            "/api/v1/admin/groups",
            json!({"slug": "staff", "name_zh": "员工", "name_en": "Staff"}),
        )
        .await;
    assert_eq!(r.status, 422, "staff is the implied group");
    let r = c(&admin)
        .post_json(
            "/api/v1/admin/groups/beta-testers/members",
            json!({"username": "outsider", "remove": true}),
        )
        .await;
    assert_eq!(r.status, 422, "taking out someone never in: {}", r.text());
    let r = c(&admin)
        .post_json(
            "/api/v1/admin/groups/no-such-group/members",
            json!({"username": "outsider"}),
        )
        .await;
    assert_eq!(r.status, 404);
    let r = c(&admin)
        .json(
            actix_web::http::Method::DELETE,
            "/api/v1/admin/groups/beta-testers",
            json!({}),
        )
        .await;
    assert_eq!(r.status, 409, "a rule names it: {}", r.text());
    let r = c(&member).get("/api/v1/admin/groups").await;
    assert_eq!(r.status, 403);

    // Implied groups: level:3 readers see the board once the rule says so.
    let topic = format!("/api/v1/topics/{}", w.beta_topic);
    assert_eq!(c(&member).get(&topic).await.status, 404);
    let r =
        patch(json!({"read": "groups", "post": "groups", "groups": ["beta-testers", "level:3"]}))
            .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let outsider_id = {
        let mut conn = app.conn().await;
        chorus::accounts::users::by_username(&mut conn, "outsider")
            .await
            .unwrap()
            .unwrap()
            .id
    };
    app.set_level(outsider_id, 3).await;
    assert_eq!(
        c(&member).get(&topic).await.status,
        200,
        "level:3 reads now"
    );
    app.set_level(outsider_id, 1).await;
    assert_eq!(c(&member).get(&topic).await.status, 404);

    // Read but not post: the rule admits readers who may not write.
    let r = patch(json!({"read": "signed_in", "post": "groups", "groups": ["beta-testers"]})).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(c(&member).get(&topic).await.status, 200);
    let r = c(&member)
        .post_json(&format!("{topic}/posts"), json!({"body": "may I?"}))
        .await;
    assert_eq!(r.status, 403);
    assert_eq!(r.json()["error"]["code"], "board_read_only", "{}", r.text());
    assert_eq!(
        app.client().get(&topic).await.status,
        404,
        "signed_in keeps anonymous out"
    );

    // Taking the tester out of the group takes effect at their next request, on the bell too.
    patch(json!({"read": "groups", "post": "groups", "groups": ["beta-testers"]})).await;
    assert_eq!(c(&tester).get(&topic).await.status, 200);
    app.reply(&admin, w.beta_topic, None, "@tester_wu 请复测")
        .await;
    app.run_jobs().await;
    let bell = c(&tester).get("/api/v1/notifications").await.json();
    assert_eq!(bell["unread_count"], 1, "{bell}");
    assert!(bell.to_string().contains("SECRETBETA"), "{bell}");
    let r = c(&admin)
        .post_json(
            "/api/v1/admin/groups/beta-testers/members",
            json!({"username": "tester_wu", "remove": true}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(c(&tester).get(&topic).await.status, 404);
    let s = c(&tester).get("/api/v1/search?q=SECRETBETA").await.json();
    assert_eq!(s["total"], 0);
    let bell = c(&tester).get("/api/v1/notifications").await.json();
    assert_eq!(bell["unread_count"], 0, "{bell}");
    assert!(!bell.to_string().contains("SECRETBETA"), "{bell}");

    // Moving a public topic onto the private board takes it out of outsiders' search and pages.
    let (moved, _) = app
        .topic(&member, "tips", "MOVEDAWAY 换到内测版块", "body words")
        .await;
    app.index_now().await;
    let s = c(&member).get("/api/v1/search?q=MOVEDAWAY").await.json();
    assert_eq!(s["total"], 1);
    let moderator = w.token(Viewer::Moderator).unwrap();
    let r = c(moderator)
        .post_json(
            &format!("/api/v1/mod/topics/{moved}/move"),
            json!({"board": "beta-lab", "reason": "beta only"}),
        )
        .await;
    assert!(r.status.is_success(), "{}", r.text());
    app.index_now().await;
    let s = c(&member).get("/api/v1/search?q=MOVEDAWAY").await.json();
    assert_eq!(s["total"], 0, "{s}");
    assert_eq!(
        c(&member)
            .get(&format!("/api/v1/topics/{moved}"))
            .await
            .status,
        404
    );
    let s = c(moderator).get("/api/v1/search?q=MOVEDAWAY").await.json();
    assert_eq!(s["total"], 1);

    // Once no rule names the group, it may go.
    patch(json!({"read": "public", "post": "signed_in"})).await;
    let r = c(&admin)
        .json(
            actix_web::http::Method::DELETE,
            "/api/v1/admin/groups/beta-testers",
            json!({}),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.text());
    assert_eq!(
        c(&member).get(&topic).await.status,
        200,
        "the board is public again"
    );
}

#[actix_web::test]
async fn a_beta_programme_gates_applicants_and_its_testers_read_the_board() {
    let app = TestApp::new().await;
    app.seed_boards().await;
    app.seed_products().await;
    let (_, admin) = app.user_with_role("chief", Role::Admin).await;
    let (_, pm) = app.user_with_role("pm_phone", Role::TeamMember).await;
    let (_, other_pm) = app.user_with_role("pm_wear", Role::TeamMember).await;
    let (low, low_tok) = app.member("fan_low").await;
    let (fan, fan_tok) = app.member("fan_ok").await;
    let (_, late_tok) = app.member("fan_late").await;
    app.set_level(low.id, 3).await;
    app.set_level(fan.id, 5).await;
    let late_id = {
        let mut conn = app.conn().await;
        chorus::accounts::users::by_username(&mut conn, "fan_late")
            .await
            .unwrap()
            .unwrap()
            .id
    };
    app.set_level(late_id, 5).await;
    for (slug, who) in [("phone", "pm_phone"), ("wear", "pm_wear")] {
        admin_post(
            &app,
            &admin,
            "/api/v1/admin/teams",
            json!({"slug": slug, "name_zh": slug, "name_en": slug}),
        )
        .await;
        admin_post(
            &app,
            &admin,
            &format!("/api/v1/admin/teams/{slug}/members"),
            json!({"username": who}),
        )
        .await;
    }
    admin_post(
        &app,
        &admin,
        "/api/v1/admin/products/chorus-14/team",
        json!({"team": "phone"}),
    )
    .await;
    admin_post(&app, &admin, "/api/v1/admin/boards", json!({"slug": "beta-lab", "name_zh": "内测实验室", "name_en": "Beta lab", "kinds": ["discussion", "bug"]})).await;
    let c = |t: &str| app.client().with_bearer(t);
    let r = c(&admin)
        .post_json("/api/v1/admin/programmes", json!({"slug": "c15-beta", "name_zh": "Chorus 15 内测", "name_en": "Chorus 15 beta",
            "board": "beta-lab", "product": "chorus-14", "terms_md": "Keep it secret.", "min_level": 4, "quota": 1}))
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let r = c(&admin)
        .post_json(
            "/api/v1/admin/programmes",
            json!({"slug": "c15-beta", "name_zh": "x", "name_en": "x",
            "board": "no-such-board", "product": "chorus-14", "terms_md": "t"}),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.text());

    // The board is closed now: fans do not see it; the product's team does.
    assert_eq!(
        c(&fan_tok)
            .get("/api/v1/boards/beta-lab/topics")
            .await
            .status,
        404
    );
    assert_eq!(
        c(&pm).get("/api/v1/boards/beta-lab/topics").await.status,
        200
    );
    assert_eq!(
        c(&other_pm)
            .get("/api/v1/boards/beta-lab/topics")
            .await
            .status,
        404
    );

    // Too low: told why, in their language, and refused with the gate named.
    let list = c(&low_tok).get("/api/v1/programmes").await.json();
    assert_eq!(list["items"][0]["can_apply"], false);
    assert_eq!(
        list["items"][0]["why_not"], "需要 Lv4，你现在是 Lv3",
        "{list}"
    );
    let body = json!({"device": "Chorus 14 Pro", "os_version": "ChorusOS 2.0.1", "reason": "I test daily", "accept_terms": true});
    let r = c(&low_tok)
        .post_json("/api/v1/programmes/c15-beta/applications", body.clone())
        .await;
    assert_eq!(r.status, 422);
    assert!(r.text().contains("Lv4"), "{}", r.text());
    // Terms not accepted, an old terms version: refused, nothing filed.
    let mut no_terms = body.clone();
    no_terms["accept_terms"] = json!(false);
    assert_eq!(
        c(&fan_tok)
            .post_json("/api/v1/programmes/c15-beta/applications", no_terms)
            .await
            .status,
        422
    );
    let mut old = body.clone();
    old["terms_version"] = json!(0);
    assert_eq!(
        c(&fan_tok)
            .post_json("/api/v1/programmes/c15-beta/applications", old)
            .await
            .status,
        422
    );
    // The fan who qualifies applies once.
    let r = c(&fan_tok)
        .post_json("/api/v1/programmes/c15-beta/applications", body.clone())
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let application = r.json()["id"].as_i64().unwrap();
    assert_eq!(
        c(&fan_tok)
            .post_json("/api/v1/programmes/c15-beta/applications", body.clone())
            .await
            .status,
        409
    );
    let r = c(&late_tok)
        .post_json("/api/v1/programmes/c15-beta/applications", body.clone())
        .await;
    assert_eq!(r.status, 201, "the quota counts testers, not applications");
    let late_app = r.json()["id"].as_i64().unwrap();

    // Review: staff and the product's team; another team gets 404.
    assert_eq!(
        c(&other_pm)
            .get("/api/v1/programmes/c15-beta/applications")
            .await
            .status,
        404
    );
    assert_eq!(
        c(&fan_tok)
            .get("/api/v1/programmes/c15-beta/applications")
            .await
            .status,
        404
    );
    let q = c(&pm)
        .get("/api/v1/programmes/c15-beta/applications?status=pending")
        .await
        .json();
    assert_eq!(q["items"].as_array().unwrap().len(), 2, "{q}");
    let decide = |tok: String, id: i64, d: &'static str| {
        let app = &app;
        async move {
            app.client()
                .with_bearer(&tok)
                .post_json(
                    &format!("/api/v1/programmes/c15-beta/applications/{id}"),
                    json!({"decision": d, "note": "welcome"}),
                )
                .await
        }
    };
    let r = decide(pm.clone(), application, "approve").await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        decide(pm.clone(), application, "approve").await.status,
        409,
        "approving twice"
    );
    assert_eq!(
        decide(pm.clone(), late_app, "approve").await.status,
        409,
        "past the quota"
    );
    assert_eq!(decide(pm.clone(), late_app, "reject").await.status, 200);
    assert!(app
        .outbox_for("fan_ok@example.com")
        .await
        .iter()
        .any(|m| m.contains("Chorus 15")));
    let bell = c(&fan_tok).get("/api/v1/notifications").await.json();
    assert!(
        bell["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["kind"] == "programme_approved"),
        "{bell}"
    );
    let me = c(&fan_tok).get("/api/v1/users/fan_ok").await.text();
    assert!(me.contains("beta_pioneer"), "内测先锋 awarded: {me}");

    // The tester reads the board and files a bug with a private log; the routed team reads
    // the log, another team gets 404. A rule sending camera bugs to the other team does not
    // apply on a programme's board: that team could not read it.
    let r = c(&admin)
        .post_json(
            "/api/v1/triage/rules",
            json!({"rules": [{"team": "wear", "keywords": ["camera"]}]}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let r = c(&fan_tok)
        .post_json("/api/v1/topics", json!({"board": "beta-lab", "kind": "bug", "title": "Beta build camera crash", "body": "Crashes.",
            "bug": {"product": "chorus-14", "os_version": "ChorusOS 3.0 beta", "reproducibility": "always", "severity": "crash"}}))
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let bug = r.json()["id"].as_i64().unwrap();
    let queue = c(&pm).get("/api/v1/triage/queue").await.text();
    assert!(
        queue.contains("Beta build camera crash"),
        "routed to the product's team: {queue}"
    );
    let queue = c(&other_pm).get("/api/v1/triage/queue").await.text();
    assert!(!queue.contains("Beta build camera crash"), "{queue}");
    let (ct, bytes) = multipart("logcat.txt", b"BETALOG fatal", true);
    let r = c(&fan_tok)
        .post_raw(&format!("/api/v1/topics/{bug}/attachments"), &ct, bytes)
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let log = r.json()["id"].as_i64().unwrap();
    let r = c(&pm).get(&format!("/attachments/{log}")).await;
    assert_eq!(r.status, 200);
    assert!(r.text().contains("BETALOG"));
    assert_eq!(
        c(&other_pm)
            .get(&format!("/attachments/{log}"))
            .await
            .status,
        404
    );
    let csv = c(&pm)
        .get("/api/v1/programmes/c15-beta/testers")
        .await
        .text();
    assert!(
        csv.starts_with("username,device") && csv.contains("fan_ok"),
        "{csv}"
    );

    // Closing: testers still read, only staff post.
    {
        use chorus::db::schema::programmes;
        use diesel::prelude::*;
        use diesel_async::RunQueryDsl;
        diesel::update(programmes::table)
            .set(programmes::closes_at.eq(chrono::Utc::now() - chrono::Duration::minutes(1)))
            .execute(&mut app.conn().await)
            .await
            .unwrap();
    }
    assert_eq!(
        c(&fan_tok)
            .get(&format!("/api/v1/topics/{bug}"))
            .await
            .status,
        200
    );
    let r = c(&fan_tok)
        .post_json(
            &format!("/api/v1/topics/{bug}/posts"),
            json!({"body": "one more"}),
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.text());
    // Leaving takes the board away at the next request; leaving twice is a 404.
    let r = c(&fan_tok)
        .json(
            actix_web::http::Method::DELETE,
            "/api/v1/programmes/c15-beta/membership",
            json!({}),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.text());
    assert_eq!(
        c(&fan_tok)
            .get(&format!("/api/v1/topics/{bug}"))
            .await
            .status,
        404
    );
    let r = c(&fan_tok)
        .json(
            actix_web::http::Method::DELETE,
            "/api/v1/programmes/c15-beta/membership",
            json!({}),
        )
        .await;
    assert_eq!(r.status, 404);
}
