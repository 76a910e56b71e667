use crate::support::TestApp;
use chorus::accounts::Role;
use chorus::honor::{ledger, Reason};
use serde_json::json;

async fn honor_of(app: &TestApp, username: &str) -> i64 {
    let r = app.client().get(&format!("/api/v1/users/{username}")).await;
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()["honor"].as_i64().unwrap()
}

async fn ledger_rows(app: &TestApp, user_id: i64) -> i64 {
    use chorus::db::schema::honor_ledger;
    use diesel::prelude::*;
    use diesel_async::RunQueryDsl;
    honor_ledger::table
        .filter(honor_ledger::user_id.eq(user_id))
        .count()
        .get_result(&mut app.conn().await)
        .await
        .unwrap()
}

/// Awards in their own transactions, all at once.
async fn award_concurrently(app: &TestApp, user_id: i64, sources: Vec<String>) {
    let futures = sources.into_iter().map(|source| {
        let pool = app.state.pool.clone();
        let settings = app.state.settings.clone();
        let now = app.clock.now();
        async move {
            use diesel_async::AsyncConnection;
            let mut conn = chorus::db::get(&pool).await.unwrap();
            conn.transaction::<_, diesel::result::Error, _>(async |c| {
                ledger::award(
                    c,
                    &settings.honor,
                    user_id,
                    Reason::LikeReceived,
                    &source,
                    None,
                    now,
                )
                .await
            })
            .await
            .unwrap()
        }
    });
    futures_util::future::join_all(futures).await;
}

#[actix_web::test]
async fn a_replayed_or_concurrent_event_counts_once_and_daily_caps_hold() {
    let app = TestApp::new().await;
    let (u, _) = app.member("earner").await;
    // The same event delivered ten times at once: one row, 2 points.
    award_concurrently(&app, u.id, vec!["like:1:2".to_string(); 10]).await;
    assert_eq!(ledger_rows(&app, u.id).await, 1);
    assert_eq!(honor_of(&app, "earner").await, 2);
    // Thirty distinct likes at once: the daily cap (40) holds exactly.
    award_concurrently(&app, u.id, (0..30).map(|i| format!("like:9:{i}")).collect()).await;
    assert_eq!(honor_of(&app, "earner").await, 40);
    // The totals tables agree with the ledger (all time, this week, this month).
    use chorus::db::schema::honor_totals;
    use diesel::prelude::*;
    use diesel_async::RunQueryDsl;
    let totals: Vec<(String, i32)> = honor_totals::table
        .filter(honor_totals::user_id.eq(u.id))
        .filter(honor_totals::board_id.eq(0))
        .select((honor_totals::period, honor_totals::points))
        .load(&mut app.conn().await)
        .await
        .unwrap();
    assert_eq!(totals.len(), 3);
    assert!(totals.iter().all(|t| t.1 == 40), "{totals:?}");
    // A new day, a new cap.
    app.clock.advance(chrono::Duration::days(1));
    award_concurrently(&app, u.id, vec!["like:10:1".to_string()]).await;
    assert_eq!(honor_of(&app, "earner").await, 42);
    // Level follows: 42 points is level 2 (threshold 20).
    let p = app.client().get("/api/v1/users/earner").await.json();
    assert_eq!(p["level"], 2);
}

/// A moderator's feature/unfeature on a topic, which must succeed.
async fn mod_topic_action(app: &TestApp, token: &str, topic: i64, action: &str) {
    let r = app
        .client()
        .with_bearer(token)
        .post_json(&format!("/api/v1/mod/topics/{topic}/{action}"), json!({}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
}

#[actix_web::test]
async fn undoing_the_cause_takes_the_points_back_and_loops_give_nothing() {
    let app = TestApp::new().await;
    app.seed_boards().await;
    let (author, at) = app.member("tipster").await;
    let (liker, lt) = app.member("fan").await;
    app.age_account(liker.id, 30).await;
    let (topic, root) = app
        .topic(&at, "tips", "Battery tip", "turn off autostart")
        .await;
    let like = |on: bool| {
        let app = &app;
        let lt = lt.clone();
        async move {
            let c = app.client().with_bearer(&lt);
            let path = format!("/api/v1/posts/{root}/like");
            let r = if on {
                c.json(actix_web::http::Method::PUT, &path, json!({})).await
            } else {
                c.json(actix_web::http::Method::DELETE, &path, json!({}))
                    .await
            };
            assert_eq!(r.status, 200, "{}", r.text());
        }
    };
    like(true).await;
    assert_eq!(honor_of(&app, "tipster").await, 2);
    like(false).await;
    assert_eq!(honor_of(&app, "tipster").await, 0, "unlike reverses");
    for _ in 0..3 {
        like(true).await;
        like(false).await;
    }
    like(true).await;
    assert_eq!(
        honor_of(&app, "tipster").await,
        2,
        "like-unlike loops give nothing beyond the one like in force"
    );
    like(true).await;
    assert_eq!(honor_of(&app, "tipster").await, 2, "a replayed like");

    let (_, mt) = app.user_with_role("curator", Role::Moderator).await;
    let feature = |action: &'static str| mod_topic_action(&app, &mt, topic, action);
    feature("feature").await;
    assert_eq!(
        honor_of(&app, "tipster").await,
        22,
        "the like and the feature"
    );
    feature("feature").await;
    assert_eq!(
        honor_of(&app, "tipster").await,
        22,
        "featuring twice counts once"
    );
    feature("unfeature").await;
    assert_eq!(honor_of(&app, "tipster").await, 2, "only the like is left");
    let _ = author;
}

#[actix_web::test]
async fn feature_unfeature_feature_awards_once_while_featured_and_replays_change_nothing() {
    let app = TestApp::new().await;
    app.seed_boards().await;
    let (author, at) = app.member("tipster").await;
    let (topic, _) = app
        .topic(&at, "tips", "Battery tip", "turn off autostart")
        .await;
    let (_, mt) = app.user_with_role("curator", Role::Moderator).await;
    let step = |action: &'static str| {
        let (app, mt) = (&app, &mt);
        async move {
            mod_topic_action(app, mt, topic, action).await;
            honor_of(app, "tipster").await
        }
    };
    for (action, expected) in [
        ("feature", 20),
        ("feature", 20),
        ("unfeature", 0),
        ("unfeature", 0),
        ("feature", 20),
        ("feature", 20),
        ("unfeature", 0),
        ("feature", 20),
    ] {
        assert_eq!(step(action).await, expected, "after {action}");
    }
    // The ledger, the per-period totals and the shown honor agree.
    use chorus::db::schema::{honor_ledger, honor_totals};
    use diesel::prelude::*;
    use diesel_async::RunQueryDsl;
    let mut conn = app.conn().await;
    let ledger: Option<i64> = honor_ledger::table
        .filter(honor_ledger::user_id.eq(author.id))
        .select(diesel::dsl::sum(honor_ledger::points))
        .first(&mut conn)
        .await
        .unwrap();
    let total: i32 = honor_totals::table
        .filter(honor_totals::user_id.eq(author.id))
        .filter(honor_totals::board_id.eq(0))
        .filter(honor_totals::period.eq("all"))
        .select(honor_totals::points)
        .first(&mut conn)
        .await
        .unwrap();
    assert_eq!(ledger, Some(20));
    assert_eq!(total, 20);
    let rows: i64 = honor_ledger::table
        .filter(honor_ledger::user_id.eq(author.id))
        .filter(honor_ledger::reason.eq("tip_featured"))
        .count()
        .get_result(&mut conn)
        .await
        .unwrap();
    assert_eq!(rows, 3, "one row per generation featured");
}

#[actix_web::test]
async fn young_silenced_or_self_serving_actions_earn_nothing() {
    let app = TestApp::new().await;
    app.seed_boards().await;
    app.seed_products().await;
    let (_, at) = app.member("author").await;
    let (_, root) = app.topic(&at, "tips", "Hello", "hello").await;
    let idea = app.idea(&at, "Dual apps").await;
    let put = |token: String, path: String| {
        let app = &app;
        async move {
            app.client()
                .with_bearer(&token)
                .json(actix_web::http::Method::PUT, &path, json!({}))
                .await
        }
    };
    // A day-old account: its like and vote count for nothing (minimum age 72 h).
    let (_, young) = app.member("sockpuppet").await;
    assert_eq!(
        put(young.clone(), format!("/api/v1/posts/{root}/like"))
            .await
            .status,
        200
    );
    assert_eq!(
        put(young, format!("/api/v1/topics/{idea}/vote"))
            .await
            .status,
        200
    );
    assert_eq!(honor_of(&app, "author").await, 0);
    // A silenced account may still like, for nothing.
    let (quiet, qt) = app.member("quiet").await;
    app.age_account(quiet.id, 30).await;
    let (_, mt) = app.user_with_role("warden", Role::Moderator).await;
    app.client()
        .with_bearer(&mt)
        .post_json(
            "/api/v1/mod/users/quiet/silence",
            json!({ "days": 2, "reason": "cool down" }),
        )
        .await;
    assert_eq!(
        put(qt, format!("/api/v1/posts/{root}/like")).await.status,
        200
    );
    assert_eq!(honor_of(&app, "author").await, 0);
    // An old, unsanctioned account's vote counts (+1).
    let (old, ot) = app.member("regular").await;
    app.age_account(old.id, 30).await;
    assert_eq!(
        put(ot, format!("/api/v1/topics/{idea}/vote")).await.status,
        200
    );
    assert_eq!(honor_of(&app, "author").await, 1);
    // A moderator featuring their own topic earns nothing.
    let (topic, _) = app.topic(&mt, "tips", "Staff tip", "from the staff").await;
    app.client()
        .with_bearer(&mt)
        .post_json(&format!("/api/v1/mod/topics/{topic}/feature"), json!({}))
        .await;
    assert_eq!(honor_of(&app, "warden").await, 0);
}

#[actix_web::test]
async fn leaderboards_rank_by_period_and_board_with_deterministic_ties() {
    let app = TestApp::new().await;
    app.seed_boards().await;
    let board_id = |slug: &'static str| {
        let app = &app;
        async move {
            chorus::forum::boards::any_by_slug(&mut *app.conn().await, slug)
                .await
                .unwrap()
                .unwrap()
                .id
        }
    };
    let tips = board_id("tips").await;
    let phones = board_id("phones").await;
    let mut ids = Vec::new();
    for name in ["ann", "bob", "cat", "dan"] {
        ids.push(app.member(name).await.0.id);
    }
    let give = |user: i64, reason: Reason, source: String, board: i64, days_ago: i64| {
        let app = &app;
        async move {
            let mut conn = app.conn().await;
            let when = app.clock.now() - chrono::Duration::days(days_ago);
            ledger::award(
                &mut conn,
                &app.state.settings.honor,
                user,
                reason,
                &source,
                Some(board),
                when,
            )
            .await
            .unwrap();
        }
    };
    // Last month: dan earns a lot. This week: ann and bob tie at 20; bob got there first.
    give(ids[3], Reason::IdeaCompleted, "topic:1".into(), phones, 40).await;
    give(ids[1], Reason::TipFeatured, "topic:2".into(), tips, 0).await;
    app.clock.advance(chrono::Duration::seconds(5));
    give(ids[0], Reason::TipFeatured, "topic:3".into(), tips, 0).await;
    give(ids[2], Reason::BugAcknowledged, "topic:4".into(), phones, 0).await;

    let board = |q: &'static str| {
        let app = &app;
        async move {
            let r = app
                .client()
                .get(&format!("/api/v1/honor/leaderboard?{q}"))
                .await;
            assert_eq!(r.status, 200, "{}", r.text());
            r.json()["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| {
                    (
                        i["rank"].as_i64().unwrap(),
                        i["username"].as_str().unwrap().to_string(),
                        i["honor"].as_i64().unwrap(),
                    )
                })
                .collect::<Vec<_>>()
        }
    };
    let week = board("period=week").await;
    assert_eq!(
        week,
        vec![
            (1, "bob".into(), 20),
            (2, "ann".into(), 20),
            (3, "cat".into(), 10)
        ]
    );
    let all = board("period=all").await;
    assert_eq!(all[0], (1, "dan".to_string(), 30));
    assert_eq!(board("period=week&board=tips").await.len(), 2);
    assert_eq!(board("period=all&board=phones").await[0].1, "dan");
    assert_eq!(board("period=week").await, week, "stable across reloads");
    assert_eq!(
        app.client()
            .get("/api/v1/honor/leaderboard?period=year")
            .await
            .status,
        422
    );
    assert_eq!(
        app.client()
            .get("/api/v1/honor/leaderboard?board=nope")
            .await
            .status,
        422
    );
}

#[actix_web::test]
async fn medals_are_awarded_once_and_stars_crowned_monthly() {
    let app = TestApp::new().await;
    app.seed_boards().await;
    app.seed_products().await;
    let (hunter, ht) = app.member("hunter").await;
    let (_, pt) = app.user_with_role("pm_lead", Role::TeamMember).await;
    let mut bugs = Vec::new();
    for i in 0..5 {
        bugs.push(app.bug(&ht, &format!("Crash number {i}")).await);
    }
    for b in &bugs {
        let r = app
            .client()
            .with_bearer(&pt)
            .post_json(
                &format!("/api/v1/topics/{b}/status"),
                json!({ "status": "acknowledged" }),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text());
    }
    app.run_jobs().await;
    // Each acknowledgement +10, through the status job; replaying the job changes nothing.
    assert_eq!(honor_of(&app, "hunter").await, 50);
    let award = || {
        let app = &app;
        async move {
            chorus::honor::medals::award_all(
                &mut *app.conn().await,
                &app.state.settings.honor,
                app.clock.now(),
            )
            .await
            .unwrap()
        }
    };
    assert_eq!(award().await, vec![(hunter.id, "bug_hunter")]);
    assert!(award().await.is_empty(), "once");
    let p = app.client().get("/api/v1/users/hunter").await.json();
    assert_eq!(p["medals"][0]["slug"], "bug_hunter");
    assert_eq!(p["medals"][0]["name_zh"], "捉虫达人");
    assert_eq!(p["counts"]["bugs_acknowledged"], 5);
    assert_eq!(p["counts"]["topics"], 5);

    // Star of the Month: this month's top earner per board, crowned once.
    let month = app.clock.now().format("%Y-%m").to_string();
    let crown = || {
        let app = &app;
        let month = month.clone();
        async move {
            chorus::honor::medals::star_of_the_month(
                &mut *app.conn().await,
                &month,
                app.clock.now(),
            )
            .await
            .unwrap()
        }
    };
    let crowned = crown().await;
    assert_eq!(crowned, vec![(hunter.id, "phones".to_string())]);
    assert!(crown().await.is_empty());
    let r = app
        .client()
        .with_bearer(&ht)
        .get("/api/v1/notifications")
        .await
        .json();
    let medals: Vec<&str> = r["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["kind"] == "medal")
        .map(|n| n["detail"].as_str().unwrap())
        .collect();
    assert_eq!(medals.len(), 2, "{medals:?}");
    assert!(medals.contains(&"star_of_month") && medals.contains(&"bug_hunter"));
    let list = app.client().get("/api/v1/honor/medals").await.json();
    assert!(list["items"].as_array().unwrap().len() >= 6);
}

#[actix_web::test]
async fn check_in_counts_once_a_day_and_admins_grant_titles() {
    let app = TestApp::new().await;
    app.member("daily").await;
    let check = || {
        let app = &app;
        async move {
            let t = app.fresh_token("daily").await;
            app.client()
                .with_bearer(&t)
                .post_json("/api/v1/me/checkin", json!({}))
                .await
                .json()
        }
    };
    assert_eq!(check().await["checked_in"], true);
    assert_eq!(check().await["checked_in"], false);
    app.clock.advance(chrono::Duration::days(1));
    let r = check().await;
    assert_eq!(r["checked_in"], true);
    assert_eq!(r["honor"], 2);

    let (_, admin) = app.user_with_role("chief", Role::Admin).await;
    let (_, mt) = app.user_with_role("warden", Role::Moderator).await;
    let grant = |token: String, title: &'static str| {
        let app = &app;
        async move {
            app.client()
                .with_bearer(&token)
                .post_json("/api/v1/admin/users/daily/title", json!({ "title": title }))
                .await
        }
    };
    assert_eq!(grant(mt, "最佳贡献者").await.status, 403);
    assert_eq!(grant(admin.clone(), "最佳贡献者").await.status, 200);
    assert_eq!(
        app.client().get("/api/v1/users/daily").await.json()["title"],
        "最佳贡献者"
    );
    assert_eq!(
        grant(admin, "a title far too long to fit beside a name anywhere")
            .await
            .status,
        422
    );
    assert_eq!(app.client().get("/api/v1/users/nobody").await.status, 404);
}

#[actix_web::test]
async fn demo_content_comes_with_a_consistent_honor_history() {
    use diesel::sql_types::BigInt;
    use diesel_async::RunQueryDsl;
    let app = TestApp::new().await;
    let out = chorus::demo::seed(
        &mut *app.conn().await,
        &app.state.settings,
        300,
        7,
        app.clock.now(),
    )
    .await
    .unwrap();
    assert_eq!(out.topics, 300);
    #[derive(diesel::QueryableByName)]
    struct N {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let n = |sql: &'static str| {
        let app = &app;
        async move {
            diesel::sql_query(sql)
                .get_result::<N>(&mut *app.conn().await)
                .await
                .unwrap()
                .n
        }
    };
    assert!(n("SELECT count(*) AS n FROM honor_ledger").await > 100);
    // Every user's honor equals their ledger; the overall all-time total agrees.
    assert_eq!(
        n("SELECT count(*) AS n FROM users u WHERE honor <> \
           (SELECT coalesce(sum(points), 0) FROM honor_ledger l WHERE l.user_id = u.id)")
        .await,
        0
    );
    assert_eq!(
        n(
            "SELECT count(*) AS n FROM honor_totals t JOIN users u ON u.id = t.user_id \
           WHERE t.board_id = 0 AND t.period = 'all' AND t.points <> u.honor"
        )
        .await,
        0
    );
    assert!(n("SELECT count(*) AS n FROM users WHERE level > 1").await > 0);
    let board = app
        .client()
        .get("/api/v1/honor/leaderboard?period=all")
        .await
        .json();
    assert!(board["items"].as_array().unwrap().len() >= 10);
    let top = board["items"][0]["username"].as_str().unwrap().to_string();
    let page = app
        .client()
        .get(&format!("/u/{}", chorus::content::percent_encode(&top)))
        .await;
    assert_eq!(page.status, 200);
    assert_eq!(app.client().get("/honor?period=all").await.status, 200);

    // The demo's closed beta: its board's posters are its testers (with the medal), a few fans
    // wait for review, and the board is closed to everyone else.
    let (admin, _) = app
        .user_with_role("demo_admin", chorus::accounts::Role::Admin)
        .await;
    for _ in 0..2 {
        chorus::demo::ensure_programme(&mut *app.conn().await, admin.id, app.clock.now())
            .await
            .unwrap();
    }
    let testers =
        n("SELECT count(*) AS n FROM programme_applications WHERE status = 'approved'").await;
    assert!(testers >= 5, "{testers} testers");
    assert_eq!(n("SELECT count(*) AS n FROM group_members").await, testers);
    let pending =
        n("SELECT count(*) AS n FROM programme_applications WHERE status = 'pending'").await;
    assert!((1..=3).contains(&pending), "{pending} pending");
    assert_eq!(
        n("SELECT count(*) AS n FROM user_medals WHERE medal = 'beta_pioneer'").await,
        testers
    );
    assert_eq!(app.client().get("/b/beta").await.status, 404);

    // The team's history: official answers, satisfaction, fresh reports, a flag in the queue.
    let (pm, _) = app
        .user_with_role("demo_pm", chorus::accounts::Role::TeamMember)
        .await;
    let (fan, _) = app.member("mifan").await;
    for _ in 0..2 {
        chorus::demo::ensure_history(
            &mut *app.conn().await,
            &app.state.settings,
            pm.id,
            &fan,
            app.clock.now(),
        )
        .await
        .unwrap();
    }
    assert_eq!(
        n(
            "SELECT count(*) AS n FROM topics WHERE kind IN ('bug', 'idea') AND status <> 'new' \
           AND first_response_at IS NULL"
        )
        .await,
        0,
        "every item past new was answered"
    );
    assert_eq!(
        n("SELECT count(*) AS n FROM status_changes").await,
        n("SELECT count(*) AS n FROM topics WHERE kind IN ('bug', 'idea') AND status <> 'new'")
            .await,
        "once, however often it runs"
    );
    assert!(n("SELECT count(*) AS n FROM satisfaction").await > 0);
    assert_eq!(
        n("SELECT count(*) AS n FROM reviews WHERE status = 'pending'").await,
        1
    );
    let due = n(
        "SELECT count(*) AS n FROM topics WHERE first_response_at IS NULL \
                 AND kind IN ('bug', 'idea') AND sla_due_at > now()",
    )
    .await;
    let overdue = n(
        "SELECT count(*) AS n FROM topics WHERE first_response_at IS NULL \
                     AND kind IN ('bug', 'idea') AND sla_due_at < now()",
    )
    .await;
    assert!(due > 0 && overdue > 0, "{due} due, {overdue} overdue");
    // Every report has a team; routing rules exist to be read and changed.
    assert_eq!(
        n("SELECT count(*) AS n FROM topics WHERE kind IN ('bug', 'idea') AND team_id IS NULL")
            .await,
        0
    );
    assert_eq!(n("SELECT count(*) AS n FROM teams").await, 4);
    assert_eq!(n("SELECT count(*) AS n FROM routing_rules").await, 2);
    // Titles fit their kind: no bug is a tip.
    assert_eq!(
        n("SELECT count(*) AS n FROM topics WHERE kind = 'bug' AND (title LIKE '%分享%' OR title LIKE '%tips%')")
            .await,
        0
    );
    let list = app.client().get("/api/v1/programmes").await.json();
    assert_eq!(list["items"][0]["testers"], testers, "{list}");
    assert_eq!(list["items"][0]["why_not"], "登录后才能报名");
}
