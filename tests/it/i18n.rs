//! zh-CN and en are both complete: the strings files hold the same keys, and no page, as any
//! kind of visitor, in either language, asks for a key its language lacks (it would show the key).

use crate::support::TestApp;
use actix_web::test::TestRequest;
use chorus::accounts::Role;
use serde_json::json;
use std::collections::BTreeSet;

fn keys(lang: &str) -> BTreeSet<String> {
    fn flat(prefix: &str, t: &toml::Table, out: &mut BTreeSet<String>) {
        for (k, v) in t {
            let key = if prefix.is_empty() {
                k.clone()
            } else {
                format!("{prefix}.{k}")
            };
            match v {
                toml::Value::Table(t) => flat(&key, t, out),
                _ => {
                    out.insert(key);
                }
            }
        }
    }
    let path = crate::support::repo_root().join(format!("themes/default/i18n/{lang}.toml"));
    let table: toml::Table = std::fs::read_to_string(path).unwrap().parse().unwrap();
    let mut out = BTreeSet::new();
    flat("", &table, &mut out);
    out
}

#[test]
fn both_strings_files_hold_the_same_keys() {
    // `msg.*` are English field messages translated to Chinese; English shows them as they are.
    let zh: BTreeSet<String> = keys("zh-CN")
        .into_iter()
        .filter(|k| !k.starts_with("msg."))
        .collect();
    let en = keys("en");
    let only_zh: Vec<_> = zh.difference(&en).collect();
    let only_en: Vec<_> = en.difference(&zh).collect();
    assert!(only_zh.is_empty(), "only in zh-CN.toml: {only_zh:?}");
    assert!(only_en.is_empty(), "only in en.toml: {only_en:?}");
}

#[actix_web::test]
async fn every_page_as_every_visitor_in_both_languages_has_all_its_words() {
    let app = TestApp::new().await;
    app.seed_boards().await;
    app.seed_products().await;
    let (_, member) = app.member("i18n_fan").await;
    let (_, pm) = app.user_with_role("i18n_pm", Role::TeamMember).await;
    let (_, moderator) = app.user_with_role("i18n_mod", Role::Moderator).await;
    let (_, admin) = app.user_with_role("i18n_admin", Role::Admin).await;
    let (talk, root) = app
        .topic(&member, "tips", "Night shots", "Use a **tripod**")
        .await;
    let reply = app.reply(&pm, talk, Some(root), "@i18n_fan nice").await;
    let bug = app.bug(&member, "Camera crashes").await;
    let idea = app
        .client()
        .with_bearer(&member)
        .post_json(
            "/api/v1/topics",
            json!({"board": "ideas", "kind": "idea", "title": "Dark mode", "body": "Please", "product": "chorus-14"}),
        )
        .await;
    let idea = idea.json()["id"].as_i64().unwrap_or(0);
    for (id, status) in [(bug, "needs_info"), (idea, "planned")] {
        app.client()
            .with_bearer(&pm)
            .post_json(
                &format!("/api/v1/topics/{id}/status"),
                json!({"status": status, "note": "Thanks"}),
            )
            .await;
    }
    app.client()
        .with_bearer(&moderator)
        .post_json(
            &format!("/api/v1/posts/{reply}/flags"),
            json!({"reason": "spam"}),
        )
        .await;
    // Moderation leaves log rows of several kinds, with before/after values.
    for (path, body) in [
        (
            format!("/api/v1/mod/posts/{reply}/hide"),
            json!({"reason": "spam link"}),
        ),
        (
            format!("/api/v1/mod/posts/{root}/edit"),
            json!({"reason": "typo", "body": "Use a **tripod**!"}),
        ),
        (
            "/api/v1/mod/users/i18n_fan/silence".to_string(),
            json!({"reason": "flooding", "days": 2}),
        ),
        (
            format!("/api/v1/mod/topics/{talk}/lock"),
            json!({"reason": "done"}),
        ),
    ] {
        let r = app
            .client()
            .with_bearer(&moderator)
            .post_json(&path, body)
            .await;
        assert_eq!(r.status, 200, "{path}: {}", r.text());
    }
    // A beta programme, with an application from the fan.
    for (path, body) in [
        (
            "/api/v1/admin/boards",
            json!({"slug": "beta-lab", "name_zh": "内测", "name_en": "Beta lab", "kinds": ["discussion", "bug"]}),
        ),
        (
            "/api/v1/admin/programmes",
            json!({"slug": "c15", "name_zh": "Chorus 15 内测", "name_en": "Chorus 15 beta", "board": "beta-lab",
                "product": "chorus-14", "terms_md": "Keep **builds** private.", "quota": 5}),
        ),
    ] {
        let r = app.client().with_bearer(&admin).post_json(path, body).await;
        assert!(r.status.is_success(), "{path}: {}", r.text());
    }
    let r = app
        .client()
        .with_bearer(&pm)
        .post_json(
            "/api/v1/programmes/c15/applications",
            json!({"device": "Chorus 14", "os_version": "2.0.1", "reason": "daily driver", "accept_terms": true}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    app.run_jobs().await;

    let mut pages: Vec<String> = [
        "/",
        "/b/phones",
        "/b/tips",
        "/b/ideas",
        "/search?q=camera",
        "/search?q=nothing-here",
        "/honor",
        "/roadmap",
        "/privacy",
        "/login",
        "/register",
        "/reset-password",
        "/new",
        "/new?board=ideas",
        "/notifications",
        "/settings",
        "/me/feedback",
        "/u/i18n_fan",
        "/mod",
        "/mod/log",
        "/triage",
        "/triage/stats",
        "/admin/boards",
        "/admin/groups",
        "/admin/products",
        "/admin/triage",
        "/consent",
        "/programmes",
        "/programmes?notice=applied",
        "/programmes/c15/applications",
        "/programmes/c15/applications?status=approved",
        "/no-such-page",
        "/t/999999",
    ]
    .iter()
    .map(|p| p.to_string())
    .collect();
    for sort in ["hot", "new", "top", "votes", "trending"] {
        pages.push(format!("/b/ideas?sort={sort}"));
    }
    for id in [talk, bug, idea] {
        pages.push(format!("/t/{id}"));
    }
    pages.push(format!("/posts/{reply}/edit"));
    pages.push(format!("/posts/{root}/history"));

    for lang in ["zh-CN", "en"] {
        for who in [
            None,
            Some(&member),
            Some(&pm),
            Some(&moderator),
            Some(&admin),
        ] {
            let c = match who {
                Some(t) => app.client().with_bearer(t),
                None => app.client(),
            };
            for p in &pages {
                let r = c
                    .send(
                        TestRequest::get()
                            .uri(p)
                            .insert_header(("Accept-Language", lang)),
                    )
                    .await;
                assert!(r.status.as_u16() < 500, "{p} as {who:?}: {}", r.status);
            }
        }
    }
    // The log speaks in words, not codes or JSON.
    for lang in ["zh-CN", "en"] {
        let log = app
            .client()
            .with_bearer(&moderator)
            .send(
                TestRequest::get()
                    .uri("/mod/log")
                    .insert_header(("Accept-Language", lang)),
            )
            .await
            .text();
        for raw in [
            "hide_post",
            "silence<",
            "lock_topic",
            "{&quot;",
            "\"until\"",
        ] {
            assert!(!log.contains(raw), "{lang}: the log shows {raw}");
        }
        let words = if lang == "en" {
            ["Silenced", "Hidden by flags", "Post edited", "(2 days)"]
        } else {
            ["禁言", "因举报自动隐藏", "编辑帖子", "（2 天）"]
        };
        for w in words {
            assert!(log.contains(w), "{lang}: the log lacks {w}");
        }
    }
    let missing = app.state.theme.missing_keys();
    assert!(
        missing.is_empty(),
        "keys pages asked for that their language lacks: {missing:?}"
    );
}
