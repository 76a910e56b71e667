//! `chorus demo`: realistic zh + en sample content, deterministic for a seed, bulk-inserted so
//! that 100,000 topics take a minute rather than an hour.

mod corpus;

use crate::accounts::{self, Role};
use crate::config::Settings;
use crate::content;
use crate::db::Conn;
use crate::fields::{Kind, Status};
use crate::forum::boards::{self, NewBoard};
use chrono::{DateTime, Duration, Utc};
use diesel::sql_types::{Array, BigInt, Bool, Int4, Text, Timestamptz};
use diesel_async::{AsyncConnection, RunQueryDsl};
use std::collections::HashSet;

pub const DEMO_PASSWORD: &str = "chorus-demo-2026";

/// SplitMix64: tiny, fast and the same on every platform.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

/// slug, zh name, en name, zh description, en description, kinds.
type BoardSpec = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static [&'static str],
);

/// The default boards of a phone maker's fan community.
pub const BOARDS: &[BoardSpec] = &[
    (
        "phones",
        "手机",
        "Phones",
        "手机使用交流",
        "Talk about phones",
        &["discussion", "bug", "idea"],
    ),
    (
        "smart-home",
        "智能家居",
        "Smart home",
        "音箱、扫地机、路由器",
        "Speakers, vacuums, routers",
        &["discussion", "bug", "idea"],
    ),
    (
        "wearables",
        "可穿戴",
        "Wearables",
        "手环与手表",
        "Bands and watches",
        &["discussion", "bug", "idea"],
    ),
    (
        "os-apps",
        "系统与应用",
        "OS & apps",
        "系统与自带应用",
        "The OS and built-in apps",
        &["discussion", "bug", "idea"],
    ),
    (
        "tips",
        "玩机技巧",
        "Tips",
        "玩机技巧与教程",
        "Tips and how-tos",
        &["discussion"],
    ),
    (
        "beta",
        "内测反馈",
        "Beta feedback",
        "内测版本问题反馈",
        "Reports from beta testers",
        &["discussion", "bug"],
    ),
    (
        "ideas",
        "建议",
        "Ideas",
        "功能建议与投票",
        "Propose and vote on ideas",
        &["idea"],
    ),
];

/// slug, zh name, en name, line.
pub const PRODUCTS: &[(&str, &str, &str, &str)] = &[
    ("chorus-14-pro", "Chorus 14 Pro", "Chorus 14 Pro", "phone"),
    ("chorus-14", "Chorus 14", "Chorus 14", "phone"),
    (
        "chorus-note-13",
        "Chorus Note 13",
        "Chorus Note 13",
        "phone",
    ),
    ("chorus-pad-6", "Chorus Pad 6 平板", "Chorus Pad 6", "phone"),
    (
        "chorus-band-9",
        "Chorus 手环 9",
        "Chorus Band 9",
        "wearable",
    ),
    (
        "chorus-watch-s3",
        "Chorus 手表 S3",
        "Chorus Watch S3",
        "wearable",
    ),
    (
        "robot-vacuum-s10",
        "扫地机器人 S10",
        "Robot Vacuum S10",
        "smart_home",
    ),
    (
        "smart-speaker-pro",
        "智能音箱 Pro",
        "Smart Speaker Pro",
        "smart_home",
    ),
    (
        "router-ax6000",
        "路由器 AX6000",
        "Router AX6000",
        "smart_home",
    ),
    ("chorus-os-2", "ChorusOS 2", "ChorusOS 2", "app"),
    ("gallery-app", "相册", "Gallery app", "app"),
    ("wallet-app", "钱包", "Wallet app", "app"),
    ("chorus-cloud", "Chorus 云服务", "Chorus Cloud", "service"),
];

/// Creates the demo product catalogue (idempotent); returns the product ids.
pub async fn ensure_products(conn: &mut Conn, now: DateTime<Utc>) -> anyhow::Result<Vec<i64>> {
    use crate::feedback::products::{upsert, NewProduct};
    let mut ids = Vec::new();
    for (slug, zh, en, line) in PRODUCTS {
        let p = NewProduct::parse(slug, zh, en, line).map_err(|e| anyhow::anyhow!("{e:?}"))?;
        ids.push(upsert(conn, &p, now).await?.id);
    }
    Ok(ids)
}

#[derive(Debug, Default)]
pub struct Seeded {
    pub users: usize,
    pub topics: usize,
    pub posts: usize,
    pub likes: usize,
}

/// Creates the default boards if missing.
pub async fn ensure_boards(
    conn: &mut Conn,
    now: DateTime<Utc>,
) -> Result<(), crate::forum::ForumError> {
    for (i, (slug, zh, en, dzh, den, kinds)) in BOARDS.iter().enumerate() {
        let kinds: Vec<String> = kinds.iter().map(|k| k.to_string()).collect();
        let b = NewBoard::parse(slug, zh, en, dzh, den, &kinds, i as i32, None)
            .map_err(crate::forum::ForumError::Invalid)?;
        boards::upsert(conn, &b, now).await?;
    }
    Ok(())
}

/// Seeds `topics` topics with replies and likes, from `seed`. Adds to what is there.
pub async fn seed(
    conn: &mut Conn,
    settings: &Settings,
    topics: usize,
    seed: u64,
    now: DateTime<Utc>,
) -> anyhow::Result<Seeded> {
    let mut rng = Rng(seed);
    ensure_boards(conn, now).await?;
    let products = ensure_products(conn, now).await?;
    let all_boards = boards::all(conn).await?;
    let user_ids = seed_users(conn, settings, (topics / 20).clamp(30, 5000), &mut rng, now).await?;
    let mut out = Seeded {
        users: user_ids.len(),
        ..Default::default()
    };
    let batch = 1000;
    let mut done = 0;
    while done < topics {
        let n = batch.min(topics - done);
        let (t, p, l) =
            seed_batch(conn, &all_boards, &products, &user_ids, n, &mut rng, now).await?;
        out.topics += t;
        out.posts += p;
        out.likes += l;
        done += n;
    }
    ensure_team(conn, now).await?;
    crate::forum::ranks::refresh_recent(conn, now).await?;
    crate::feedback::votes::refresh_trending(conn, None, now).await?;
    backfill_honor(conn, settings).await?;
    diesel::sql_query("ANALYZE").execute(conn).await?;
    Ok(out)
}

/// The demo's product team: it owns the phones, and their bugs and ideas are routed to it, so
/// the triage queue shows routed work (`demo_pm` joins it when `serve --demo` creates them).
pub const DEMO_TEAM: &str = "phones";

/// The demo's other teams, each owning a product line (slug, zh, en, lines).
const OTHER_TEAMS: &[(&str, &str, &str, &[&str])] = &[
    ("wearables", "穿戴团队", "Wearables team", &["wearable"]),
    (
        "smart-home",
        "智能家居团队",
        "Smart home team",
        &["smart_home"],
    ),
    (
        "apps",
        "系统与应用团队",
        "OS and apps team",
        &["app", "service"],
    ),
];

async fn ensure_team(conn: &mut Conn, now: DateTime<Utc>) -> anyhow::Result<()> {
    use crate::triage::teams::{upsert, TeamInput};
    let mut owners: Vec<(i64, Vec<&str>)> = Vec::new();
    let team = upsert(
        conn,
        &TeamInput::named(DEMO_TEAM, "手机团队", "Phones team"),
        now,
    )
    .await
    .map_err(|e| anyhow::anyhow!("demo team: {e}"))?;
    owners.push((team.id, vec!["phone"]));
    for (slug, zh, en, lines) in OTHER_TEAMS {
        let t = upsert(conn, &TeamInput::named(slug, zh, en), now)
            .await
            .map_err(|e| anyhow::anyhow!("demo team {slug}: {e}"))?;
        owners.push((t.id, lines.to_vec()));
    }
    for (team_id, lines) in &owners {
        for (slug, _, _, line) in PRODUCTS {
            if lines.contains(line) {
                crate::feedback::products::set_team(conn, slug, Some(*team_id)).await?;
            }
        }
    }
    // Rules that read the words: battery and charging reports go to the phones team whatever
    // the product says; payment and cloud trouble to the apps team.
    let rule = |team: &str, keywords: &[&str]| crate::triage::rules::RuleInput {
        team: team.to_string(),
        kind: Some("bug".into()),
        keywords: keywords.iter().map(|k| k.to_string()).collect(),
        ..Default::default()
    };
    crate::triage::rules::replace_all(
        conn,
        &[
            rule(DEMO_TEAM, &["续航", "耗电", "充电", "battery", "charging"]),
            rule(
                "apps",
                &["支付", "钱包", "云同步", "payment", "wallet", "sync"],
            ),
        ],
        now,
    )
    .await
    .map_err(|e| anyhow::anyhow!("demo rules: {e}"))?;
    // Set-wise, as routing by product would have done when each was filed; the index holds
    // the team, so each moved item is queued for it.
    diesel::sql_query(
        "WITH moved AS ( \
             UPDATE topics t SET team_id = p.team_id, routed_by = 'product' FROM products p \
             WHERE t.kind IN ('bug', 'idea') AND t.team_id IS NULL AND t.product_id = p.id \
               AND p.team_id IS NOT NULL RETURNING t.id) \
         INSERT INTO search_outbox (topic_id) SELECT id FROM moved",
    )
    .execute(conn)
    .await?;
    crate::triage::priority::refresh(conn, None, now).await?;
    Ok(())
}

/// What a product team would have done with the demo's feedback, written as `pm` (a member of
/// the demo team): an official status change with a note on every item past `new` (its first
/// response), fixed-in versions and the reporters' satisfaction answers on resolved ones, some
/// fresh reports from the last four days (so the queue mixes due and overdue), and one flagged
/// reply waiting in the review queue. Only once: a database that has status changes is left as is.
pub async fn ensure_history(
    conn: &mut Conn,
    settings: &Settings,
    pm: i64,
    flagger: &crate::accounts::User,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    #[derive(diesel::QueryableByName)]
    struct N {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let done: N = diesel::sql_query("SELECT count(*) AS n FROM status_changes")
        .get_result(conn)
        .await?;
    if done.n > 0 {
        return Ok(());
    }
    // One official change per item past `new`, a few hours after it was filed.
    diesel::sql_query(
        "WITH notes(status, note) AS (VALUES \
           ('needs_info', '请补充出现问题时的系统版本和操作步骤，方便我们复现。Could you tell us your OS version and the steps?'), \
           ('acknowledged', '已确认问题，工程师正在排查。Confirmed: our engineers are on it.'), \
           ('planned', '已列入计划，预计下个大版本上线。Planned for the next major release.'), \
           ('in_progress', '正在开发中，内测版会先上线。In progress; the beta gets it first.'), \
           ('resolved', '已在 2.1.5 修复，升级后请再试试。Fixed in 2.1.5: please update and try again.'), \
           ('declined', '暂不考虑：和现有功能重复。Not for now: it overlaps an existing feature.')), \
         ch AS (SELECT t.id, t.status, t.created_at + interval '1 hour' * (1 + t.id % 30) AS at, n.note \
                FROM topics t JOIN notes n ON n.status = t.status \
                WHERE t.kind IN ('bug', 'idea') AND t.status <> 'new'), \
         ins AS (INSERT INTO status_changes (topic_id, actor_id, from_status, to_status, note, note_html, fixed_in, created_at) \
                 SELECT id, $1, 'new', status, note, '<p>' || note || '</p>', \
                        CASE WHEN status = 'resolved' THEN '2.1.5' END, least(at, $2) FROM ch RETURNING topic_id, created_at) \
         UPDATE topics t SET first_response_at = ins.created_at, status_changed_at = ins.created_at \
         FROM ins WHERE t.id = ins.topic_id",
    )
    .bind::<BigInt, _>(pm)
    .bind::<Timestamptz, _>(now)
    .execute(conn)
    .await?;
    // Reporters answer on most resolved items; four in five are satisfied.
    diesel::sql_query(
        "INSERT INTO satisfaction (topic_id, user_id, satisfied, comment, created_at, updated_at) \
         SELECT id, author_id, id % 5 <> 0, \
                CASE WHEN id % 5 <> 0 THEN '升级后好了，谢谢！' ELSE '还是偶尔出现。' END, \
                least(status_changed_at + interval '1 day', $1), least(status_changed_at + interval '1 day', $1) \
         FROM topics WHERE status = 'resolved' AND id % 4 <> 0 ON CONFLICT DO NOTHING",
    )
    .bind::<Timestamptz, _>(now)
    .execute(conn)
    .await?;
    // Fresh reports without replies: filed over the last four days.
    diesel::sql_query(
        "WITH fresh AS (UPDATE topics SET created_at = $1 - interval '1 hour' * ((id * 7) % 96), \
                          last_posted_at = $1 - interval '1 hour' * ((id * 7) % 96) \
                        WHERE kind IN ('bug', 'idea') AND status = 'new' AND reply_count = 0 \
                        RETURNING id, created_at) \
         UPDATE posts p SET created_at = fresh.created_at FROM fresh WHERE p.topic_id = fresh.id AND p.depth = 0",
    )
    .bind::<Timestamptz, _>(now)
    .execute(conn)
    .await?;
    crate::triage::priority::refresh(conn, None, now).await?;
    // A reply someone flagged, waiting for a moderator.
    #[derive(diesel::QueryableByName)]
    struct Id {
        #[diesel(sql_type = BigInt)]
        id: i64,
    }
    let reply = diesel::sql_query(
        "SELECT p.id FROM posts p JOIN topics t ON t.id = p.topic_id \
         WHERE p.depth = 1 AND p.author_id <> $1 AND t.kind = 'discussion' ORDER BY p.id LIMIT 1",
    )
    .bind::<BigInt, _>(flagger.id)
    .get_results::<Id>(conn)
    .await?
    .pop();
    if let Some(r) = reply {
        crate::moderation::flags::create(
            conn,
            settings,
            flagger,
            r.id,
            "off_topic",
            "和主题无关 / off topic",
            now,
        )
        .await
        .map_err(|e| anyhow::anyhow!("demo flag: {e}"))?;
    }
    Ok(())
}

/// The demo's closed beta (内测): the 内测反馈 board belongs to it. Its posters were its testers;
/// other demo fans with the level wait in the review queue, so `demo_pm` has applications to
/// decide and a new fan (Lv1) sees why they cannot apply yet.
pub const DEMO_PROGRAMME: &str = "chorus-14-pro-beta";

pub async fn ensure_programme(
    conn: &mut Conn,
    actor_id: i64,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    use crate::programmes::{self, NewProgramme};
    if programmes::by_slug(conn, DEMO_PROGRAMME).await?.is_some() {
        return Ok(());
    }
    let new = NewProgramme {
        slug: DEMO_PROGRAMME.into(),
        name_zh: "Chorus 14 Pro 新系统内测".into(),
        name_en: "Chorus 14 Pro system beta".into(),
        board: "beta".into(),
        product: "chorus-14-pro".into(),
        terms_md: "1. 内测版本和内测版块的内容**不得外传**，包括截图。\n\
                   2. 每周至少反馈一次使用情况。\n\
                   3. 内测版本可能不稳定，请先备份数据。\n\n\
                   1. Do not share beta builds or anything on the beta board, screenshots included.\n\
                   2. Report at least once a week.\n\
                   3. Beta builds can be unstable: back up first."
            .into(),
        min_level: 2,
        min_honor: 0,
        min_account_days: 0,
        quota: Some(100),
        opens_at: None,
        closes_at: Some(now + Duration::days(45)),
    };
    let p = conn
        .transaction(async |c| programmes::create(c, actor_id, &new, now).await)
        .await
        .map_err(|e| anyhow::anyhow!("demo programme: {e}"))?;
    // Testers: who posted on the board. Pending: a few other fans of level 2 and up.
    diesel::sql_query(
        "INSERT INTO programme_applications \
           (programme_id, user_id, device, os_version, reason, terms_version, status, decided_by, decided_at, created_at) \
         SELECT $1, u.id, 'Chorus 14 Pro', 'ChorusOS 2.1 beta 2', '主力机，每天都用 / my daily phone', $2, \
                'approved', $3, $4 - interval '20 days', $4 - interval '21 days' \
         FROM users u WHERE u.id IN (SELECT DISTINCT p.author_id FROM posts p JOIN topics t ON t.id = p.topic_id \
                                     WHERE t.board_id = $5) \
         ON CONFLICT DO NOTHING",
    )
    .bind::<BigInt, _>(p.id)
    .bind::<Int4, _>(p.terms_version)
    .bind::<BigInt, _>(actor_id)
    .bind::<Timestamptz, _>(now)
    .bind::<BigInt, _>(p.board_id)
    .execute(conn)
    .await?;
    diesel::sql_query(
        "INSERT INTO programme_applications \
           (programme_id, user_id, device, os_version, reason, terms_version, status, created_at) \
         SELECT $1, u.id, 'Chorus 14 Pro', 'ChorusOS 2.0.4', '想第一时间体验新相机算法 / I want the new camera first', \
                $2, 'pending', $3 - interval '1 day' \
         FROM users u WHERE u.level >= 2 AND u.role = 'member' \
           AND u.id NOT IN (SELECT user_id FROM programme_applications WHERE programme_id = $1) \
         ORDER BY u.id LIMIT 3",
    )
    .bind::<BigInt, _>(p.id)
    .bind::<Int4, _>(p.terms_version)
    .bind::<Timestamptz, _>(now)
    .execute(conn)
    .await?;
    let testers: Vec<i64> = {
        use crate::db::schema::programme_applications as pa;
        use diesel::{ExpressionMethods, QueryDsl};
        pa::table
            .filter(pa::programme_id.eq(p.id))
            .filter(pa::status.eq(crate::programmes::applications::AppStatus::Approved))
            .select(pa::user_id)
            .load(conn)
            .await?
    };
    diesel::sql_query(
        "INSERT INTO group_members (group_id, user_id, created_at) \
         SELECT $1, user_id, decided_at FROM programme_applications \
         WHERE programme_id = $2 AND status = 'approved' ON CONFLICT DO NOTHING",
    )
    .bind::<BigInt, _>(p.group_id)
    .bind::<BigInt, _>(p.id)
    .execute(conn)
    .await?;
    for id in &testers {
        crate::honor::medals::award_once(conn, *id, "beta_pioneer", now).await?;
    }
    Ok(())
}

/// The history the demo content implies, written set-wise into the ledger (the same keys the live
/// events use, so nothing counts twice later): likes received, featured tips, feedback
/// milestones; then totals, honor and levels. Caps do not apply to the past.
async fn backfill_honor(conn: &mut Conn, settings: &Settings) -> anyhow::Result<()> {
    use diesel::sql_types::{Array, Integer};
    let p = &settings.honor.points;
    // Some well-liked tips are featured (精华), as a moderator would have.
    diesel::sql_query(
        "UPDATE topics SET featured = true WHERE kind = 'discussion' AND id % 29 = 0 AND like_count > 0",
    )
    .execute(conn)
    .await?;
    diesel::sql_query(
        "INSERT INTO honor_ledger (user_id, reason, points, source, board_id, created_at) \
         SELECT p.author_id, 'like_received', $1, 'like:' || l.post_id || ':' || l.user_id, t.board_id, l.created_at \
         FROM post_likes l JOIN posts p ON p.id = l.post_id JOIN topics t ON t.id = p.topic_id \
         WHERE p.author_id <> l.user_id \
         UNION ALL SELECT author_id, 'tip_featured', $2, 'topic:' || id, board_id, created_at FROM topics WHERE featured \
         UNION ALL SELECT author_id, 'bug_acknowledged', $3, 'topic:' || id, board_id, coalesce(status_changed_at, created_at) \
         FROM topics WHERE kind = 'bug' AND status IN ('acknowledged', 'planned', 'in_progress', 'resolved') \
         UNION ALL SELECT author_id, 'bug_resolved', $4, 'topic:' || id, board_id, coalesce(status_changed_at, created_at) \
         FROM topics WHERE kind = 'bug' AND status = 'resolved' \
         UNION ALL SELECT author_id, 'idea_planned', $5, 'topic:' || id, board_id, coalesce(status_changed_at, created_at) \
         FROM topics WHERE kind = 'idea' AND status IN ('planned', 'in_progress', 'resolved') \
         UNION ALL SELECT author_id, 'idea_completed', $6, 'topic:' || id, board_id, coalesce(status_changed_at, created_at) \
         FROM topics WHERE kind = 'idea' AND status = 'resolved' \
         ON CONFLICT DO NOTHING",
    )
    .bind::<Integer, _>(p.like_received)
    .bind::<Integer, _>(p.tip_featured)
    .bind::<Integer, _>(p.bug_acknowledged)
    .bind::<Integer, _>(p.bug_resolved)
    .bind::<Integer, _>(p.idea_planned)
    .bind::<Integer, _>(p.idea_completed)
    .execute(conn)
    .await?;
    diesel::sql_query(
        "INSERT INTO honor_totals (user_id, board_id, period, points, updated_at) \
         SELECT user_id, b, per, sum(points), max(created_at) FROM ( \
         SELECT l.user_id, l.points, l.created_at, bs.b, ps.per FROM honor_ledger l \
         CROSS JOIN LATERAL (VALUES (0::int8), (l.board_id)) bs(b) \
         CROSS JOIN LATERAL (VALUES ('all'), (to_char(l.created_at AT TIME ZONE 'UTC', 'IYYY-\"W\"IW')), \
         (to_char(l.created_at AT TIME ZONE 'UTC', 'YYYY-MM'))) ps(per) \
         WHERE bs.b IS NOT NULL) x \
         GROUP BY user_id, b, per \
         ON CONFLICT (user_id, board_id, period) DO UPDATE SET points = EXCLUDED.points, updated_at = EXCLUDED.updated_at",
    )
    .execute(conn)
    .await?;
    diesel::sql_query(
        "UPDATE users u SET honor = t.points, \
         level = (SELECT count(*) FROM unnest($1::int4[]) x WHERE x <= t.points)::int2 \
         FROM honor_totals t WHERE t.user_id = u.id AND t.board_id = 0 AND t.period = 'all'",
    )
    .bind::<Array<Integer>, _>(&settings.honor.levels)
    .execute(conn)
    .await?;
    Ok(())
}

async fn seed_users(
    conn: &mut Conn,
    settings: &Settings,
    n: usize,
    rng: &mut Rng,
    now: DateTime<Utc>,
) -> anyhow::Result<Vec<i64>> {
    // One hash for every demo account: hashing 5,000 passwords would take minutes.
    let hash = accounts::passwords::hash(DEMO_PASSWORD.to_string())
        .await
        .map_err(anyhow::Error::msg)?;
    let mut names = Vec::with_capacity(n);
    let mut keys = Vec::with_capacity(n);
    let mut emails = Vec::with_capacity(n);
    let mut joined = Vec::with_capacity(n);
    let mut seen = HashSet::new();
    let mut i = 0usize;
    while names.len() < n {
        i += 1;
        let base = if rng.chance(50) {
            rng.pick(corpus::ZH_NAMES)
        } else {
            rng.pick(corpus::EN_NAMES)
        };
        let name = format!("{base}{}", 100 + rng.below(900_000) + i);
        let key = accounts::Username::key_of(&name);
        if !seen.insert(key.clone()) {
            continue;
        }
        emails.push(format!("demo{}_{}@example.com", seed_tag(rng), names.len()));
        names.push(name);
        keys.push(key);
        joined.push(now - Duration::days(120) + Duration::minutes(rng.below(60 * 24 * 30) as i64));
    }
    let ids: Vec<i64> = diesel::sql_query(
        "INSERT INTO users (username, username_key, email, email_verified_at, password_hash, role, \
                            privacy_version, privacy_accepted_at, created_at, updated_at) \
         SELECT u, k, e, j, $4, 'member', $5, j, j, j FROM unnest($1::text[], $2::text[], $3::text[], $6::timestamptz[]) AS x(u, k, e, j) \
         ON CONFLICT DO NOTHING RETURNING id",
    )
    .bind::<Array<Text>, _>(&names)
    .bind::<Array<Text>, _>(&keys)
    .bind::<Array<Text>, _>(&emails)
    .bind::<Text, _>(&hash)
    .bind::<Text, _>(&settings.privacy_policy_version)
    .bind::<Array<Timestamptz>, _>(&joined)
    .load::<IdRow>(conn)
    .await?
    .into_iter()
    .map(|r| r.id)
    .collect();
    let _ = Role::Member;
    Ok(ids)
}

/// Phones is the busiest board (30%), as in a phone maker's community; the rest share the remainder.
fn pick_board<'a>(all: &'a [boards::Board], rng: &mut Rng) -> &'a boards::Board {
    let weight = |slug: &str| match slug {
        "phones" => 30,
        "os-apps" | "tips" => 15,
        _ => 10,
    };
    let total: usize = all.iter().map(|b| weight(&b.slug)).sum();
    let mut roll = rng.below(total);
    for b in all {
        let w = weight(&b.slug);
        if roll < w {
            return b;
        }
        roll -= w;
    }
    &all[0]
}

fn seed_tag(rng: &mut Rng) -> String {
    format!("{:x}", rng.next() & 0xffff_ffff)
}

#[derive(diesel::QueryableByName)]
struct IdRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

/// `base` sentences plus up to `spread - 1` more.
fn paragraph(rng: &mut Rng, zh: bool, base: usize, spread: usize) -> String {
    let sentences = base + rng.below(spread);
    let pool = if zh {
        corpus::ZH_SENTENCES
    } else {
        corpus::EN_SENTENCES
    };
    let sep = if zh { "" } else { " " };
    (0..sentences)
        .map(|_| rng.pick(pool))
        .collect::<Vec<_>>()
        .join(sep)
}

fn topic_body(rng: &mut Rng, zh: bool, mention: Option<&str>) -> String {
    let mut body = paragraph(rng, zh, 2, 4);
    if rng.chance(30) {
        body.push_str("\n\n");
        for i in 1..=3 {
            body.push_str(&format!("{i}. {}\n", paragraph(rng, zh, 1, 1)));
        }
    }
    if rng.chance(15) {
        body.push_str(&format!(
            "\n\n**{}** {}",
            if zh { "更新：" } else { "Update:" },
            paragraph(rng, zh, 1, 1)
        ));
    }
    if let Some(m) = mention {
        body.push_str(&format!(
            "\n\n@{m} {}",
            if zh {
                "你怎么看？"
            } else {
                "what do you think?"
            }
        ));
    }
    body.push('\n');
    body.push_str(&paragraph(rng, zh, 1, 3));
    body
}

/// One batch: topics, their opening posts and replies (as trees), likes. One transaction.
async fn seed_batch(
    conn: &mut Conn,
    all_boards: &[boards::Board],
    products: &[i64],
    users: &[i64],
    n: usize,
    rng: &mut Rng,
    now: DateTime<Utc>,
) -> anyhow::Result<(usize, usize, usize)> {
    let mut t = TopicCols::default();
    let mut p = PostCols::default();
    let mut likes: Vec<(i64, i64)> = Vec::new();
    let mut votes: Vec<(i64, i64, &str)> = Vec::new();
    let mut bugs = BugCols::default();
    let topic_ids: Vec<i64> =
        diesel::sql_query("SELECT nextval('topics_id_seq') AS id FROM generate_series(1, $1)")
            .bind::<BigInt, _>(n as i64)
            .load::<IdRow>(conn)
            .await?
            .into_iter()
            .map(|r| r.id)
            .collect();
    let reply_counts: Vec<usize> = (0..n)
        .map(|_| if rng.chance(20) { 0 } else { rng.below(20) })
        .collect();
    let total_posts = n + reply_counts.iter().sum::<usize>();
    let post_ids: Vec<i64> =
        diesel::sql_query("SELECT nextval('posts_id_seq') AS id FROM generate_series(1, $1)")
            .bind::<BigInt, _>(total_posts as i64)
            .load::<IdRow>(conn)
            .await?
            .into_iter()
            .map(|r| r.id)
            .collect();
    let mut next_post = post_ids.into_iter();
    let no_mentions = HashSet::new();
    for (i, topic_id) in topic_ids.iter().copied().enumerate() {
        let board = pick_board(all_boards, rng);
        // The closed beta's board is written by its testers: the first two fifths of the fans.
        let users = if board.slug == "beta" {
            &users[..(users.len() * 2 / 5).max(1)]
        } else {
            users
        };
        let zh = rng.chance(70);
        let allows = |k: Kind| board.kinds.contains(&k);
        let kind = if allows(Kind::Idea) && (board.slug == "ideas" || rng.chance(15)) {
            Kind::Idea
        } else if allows(Kind::Bug) && ((board.slug == "beta" && rng.chance(70)) || rng.chance(30))
        {
            Kind::Bug
        } else {
            Kind::Discussion
        };
        // A product of the board's line, named in the title and filed against.
        let fits: Vec<usize> = PRODUCTS
            .iter()
            .enumerate()
            .filter(|(_, (slug, _, _, line))| match board.slug.as_str() {
                "phones" => *line == "phone",
                "beta" => *slug == "chorus-14-pro",
                "wearables" => *line == "wearable",
                "smart-home" => *line == "smart_home",
                "os-apps" => matches!(*line, "app" | "service"),
                _ => true,
            })
            .map(|(i, _)| i)
            .collect();
        let pi = fits[rng.below(fits.len())];
        let (_, name_zh, name_en, _) = PRODUCTS[pi];
        let titles = match (kind, zh) {
            (Kind::Bug, true) => corpus::ZH_BUG,
            (Kind::Bug, false) => corpus::EN_BUG,
            (Kind::Idea, true) => corpus::ZH_IDEA,
            (Kind::Idea, false) => corpus::EN_IDEA,
            (Kind::Discussion, true) => corpus::ZH_TIP,
            (Kind::Discussion, false) => corpus::EN_TIP,
        };
        let title = rng
            .pick(titles)
            .replace("{p}", if zh { name_zh } else { name_en });
        let product_id = kind.is_feedback().then(|| products[pi]);
        let status = if !kind.is_feedback() {
            Status::New
        } else {
            match rng.below(100) {
                0..40 => Status::New,
                40..55 => Status::Acknowledged,
                55..65 => Status::Planned,
                65..75 => Status::InProgress,
                75..90 => Status::Resolved,
                90..95 => Status::Declined,
                _ => Status::NeedsInfo,
            }
        };
        let author = users[rng.below(users.len())];
        let created = now - Duration::minutes(rng.below(60 * 24 * 90) as i64);
        let body = topic_body(rng, zh, None);
        let mut tags: Vec<String> = Vec::new();
        for _ in 0..rng.below(3) {
            let tag = rng.pick(corpus::TAGS).to_string();
            if !tags.contains(&tag) {
                tags.push(tag);
            }
        }
        let root = next_post.next().expect("enough post ids");
        p.push(
            root,
            topic_id,
            author,
            None,
            vec![root],
            0,
            &body,
            content::render(&body, &no_mentions).into_string(),
            created,
        );
        let mut tree: Vec<(i64, Vec<i64>, i32)> = vec![(root, vec![root], 0)];
        let mut last = created;
        let mut topic_likes = 0;
        for _ in 0..reply_counts[i] {
            let id = next_post.next().expect("enough post ids");
            let parent = if rng.chance(45) {
                0
            } else {
                rng.below(tree.len())
            };
            let (parent_id, parent_path, parent_depth) = tree[parent].clone();
            let mut path = parent_path.clone();
            path.push(id);
            let text = if rng.chance(60) {
                rng.pick(if zh {
                    corpus::ZH_REPLIES
                } else {
                    corpus::EN_REPLIES
                })
                .to_string()
            } else {
                paragraph(rng, zh, 1, 3)
            };
            last += Duration::minutes(1 + rng.below(600) as i64);
            let replier = users[rng.below(users.len())];
            p.push(
                id,
                topic_id,
                replier,
                Some(parent_id),
                path.clone(),
                parent_depth + 1,
                &text,
                content::render(&text, &no_mentions).into_string(),
                last,
            );
            tree.push((id, path, parent_depth + 1));
        }
        // Likes on some posts, by distinct people other than the author.
        for (pi, (post_id, _, _)) in tree.iter().enumerate() {
            if !rng.chance(35) {
                continue;
            }
            let author_of = p.author_id[p.id.len() - tree.len() + pi];
            let mut likers = HashSet::new();
            for _ in 0..1 + rng.below(8) {
                let u = users[rng.below(users.len())];
                if u != author_of && likers.insert(u) {
                    likes.push((*post_id, u));
                    topic_likes += 1;
                }
            }
            p.like_count[p.id.len() - tree.len() + pi] = likers.len() as i32;
        }
        let mut backers = HashSet::new();
        if let Some(vote) = crate::feedback::votes::VoteKind::for_topic(kind) {
            let vote_kind = vote.as_str();
            for _ in 0..rng.below(if kind == Kind::Idea { 40 } else { 12 }) {
                let u = users[rng.below(users.len())];
                if u != author && backers.insert(u) {
                    votes.push((topic_id, u, vote_kind));
                }
            }
            if kind == Kind::Bug {
                bugs.push(topic_id, product_id.unwrap_or(products[pi]), rng);
            }
        }
        let backed = backers.len() as i32;
        t.push(
            topic_id,
            board.id,
            author,
            kind.as_str(),
            &title,
            tags,
            content::excerpt(&body, 200),
            reply_counts[i] as i32,
            topic_likes,
            last.min(now),
            created,
        );
        t.extra.push((
            product_id,
            status.as_str().to_string(),
            if kind == Kind::Idea { backed } else { 0 },
            if kind == Kind::Bug { backed } else { 0 },
        ));
    }
    let (nt, np, nl) = (t.id.len(), p.id.len(), likes.len());
    conn.transaction::<_, anyhow::Error, _>(async |conn| {
        t.insert(conn).await?;
        t.insert_feedback(conn, now).await?;
        bugs.insert(conn).await?;
        let (vt, vu): (Vec<i64>, Vec<i64>) = votes.iter().map(|(t, u, _)| (*t, *u)).unzip();
        let vk: Vec<&str> = votes.iter().map(|v| v.2).collect();
        diesel::sql_query(
            "INSERT INTO topic_votes (topic_id, user_id, kind, created_at) \
             SELECT t, u, k, $4 FROM unnest($1::int8[], $2::int8[], $3::text[]) AS x(t, u, k)",
        )
        .bind::<Array<BigInt>, _>(&vt)
        .bind::<Array<BigInt>, _>(&vu)
        .bind::<Array<Text>, _>(&vk)
        .bind::<Timestamptz, _>(now)
        .execute(conn)
        .await?;
        p.insert(conn, now).await?;
        let (lp, lu): (Vec<i64>, Vec<i64>) = likes.iter().copied().unzip();
        diesel::sql_query(
            "INSERT INTO post_likes (post_id, user_id, created_at) SELECT p, u, $3 FROM unnest($1::int8[], $2::int8[]) AS x(p, u)",
        )
        .bind::<Array<BigInt>, _>(&lp)
        .bind::<Array<BigInt>, _>(&lu)
        .bind::<Timestamptz, _>(now)
        .execute(conn)
        .await?;
        // The search index learns about the new topics like about any other change.
        diesel::sql_query("INSERT INTO search_outbox (topic_id) SELECT unnest($1::int8[])")
            .bind::<Array<BigInt>, _>(&t.id)
            .execute(conn)
            .await?;
        diesel::sql_query(
            "INSERT INTO subscriptions (topic_id, user_id, created_at) SELECT id, author_id, created_at FROM topics \
             WHERE id = ANY($1) ON CONFLICT DO NOTHING",
        )
        .bind::<Array<BigInt>, _>(&t.id)
        .execute(conn)
        .await?;
        Ok(())
    })
    .await?;
    Ok((nt, np, nl))
}

#[derive(Default)]
struct BugCols {
    topic_id: Vec<i64>,
    product_id: Vec<i64>,
    os_version: Vec<String>,
    reproducibility: Vec<String>,
    severity: Vec<String>,
    steps: Vec<String>,
}

impl BugCols {
    fn push(&mut self, topic: i64, product: i64, rng: &mut Rng) {
        self.topic_id.push(topic);
        self.product_id.push(product);
        self.os_version
            .push(format!("ChorusOS 2.{}.{}", rng.below(4), rng.below(20)));
        let all = crate::fields::Reproducibility::ALL;
        self.reproducibility
            .push(all[rng.below(all.len())].as_str().to_string());
        let all = crate::fields::Severity::ALL;
        self.severity
            .push(all[rng.below(all.len())].as_str().to_string());
        self.steps
            .push("1. 打开应用 / open the app\n2. 等待 30 秒 / wait 30 s".to_string());
    }

    async fn insert(&self, conn: &mut Conn) -> diesel::QueryResult<usize> {
        diesel::sql_query(
            "INSERT INTO bug_reports (topic_id, product_id, os_version, reproducibility, severity, steps) \
             SELECT * FROM unnest($1::int8[], $2::int8[], $3::text[], $4::text[], $5::text[], $6::text[])",
        )
        .bind::<Array<BigInt>, _>(&self.topic_id)
        .bind::<Array<BigInt>, _>(&self.product_id)
        .bind::<Array<Text>, _>(&self.os_version)
        .bind::<Array<Text>, _>(&self.reproducibility)
        .bind::<Array<Text>, _>(&self.severity)
        .bind::<Array<Text>, _>(&self.steps)
        .execute(conn)
        .await
    }
}

#[derive(Default)]
struct TopicCols {
    id: Vec<i64>,
    board_id: Vec<i64>,
    author_id: Vec<i64>,
    kind: Vec<String>,
    title: Vec<String>,
    tags: Vec<String>,
    excerpt: Vec<String>,
    reply_count: Vec<i32>,
    like_count: Vec<i32>,
    last_posted_at: Vec<DateTime<Utc>>,
    created_at: Vec<DateTime<Utc>>,
    /// product, status, votes, me-too: written by `insert_feedback`.
    extra: Vec<(Option<i64>, String, i32, i32)>,
}

impl TopicCols {
    async fn insert_feedback(
        &self,
        conn: &mut Conn,
        now: DateTime<Utc>,
    ) -> diesel::QueryResult<usize> {
        let product: Vec<i64> = self.extra.iter().map(|e| e.0.unwrap_or(0)).collect();
        let status: Vec<String> = self.extra.iter().map(|e| e.1.clone()).collect();
        let votes: Vec<i32> = self.extra.iter().map(|e| e.2).collect();
        let me_too: Vec<i32> = self.extra.iter().map(|e| e.3).collect();
        diesel::sql_query(
            "UPDATE topics t SET product_id = NULLIF(x.p, 0), status = x.s, vote_count = x.v, me_too_count = x.m, \
                    status_changed_at = CASE WHEN x.s = 'new' THEN NULL ELSE $6 END \
             FROM unnest($1::int8[], $2::int8[], $3::text[], $4::int4[], $5::int4[]) AS x(id, p, s, v, m) \
             WHERE t.id = x.id",
        )
        .bind::<Array<BigInt>, _>(&self.id)
        .bind::<Array<BigInt>, _>(&product)
        .bind::<Array<Text>, _>(&status)
        .bind::<Array<Int4>, _>(&votes)
        .bind::<Array<Int4>, _>(&me_too)
        .bind::<Timestamptz, _>(now)
        .execute(conn)
        .await
    }

    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        id: i64,
        board: i64,
        author: i64,
        kind: &str,
        title: &str,
        tags: Vec<String>,
        excerpt: String,
        replies: i32,
        likes: i32,
        last: DateTime<Utc>,
        created: DateTime<Utc>,
    ) {
        self.id.push(id);
        self.board_id.push(board);
        self.author_id.push(author);
        self.kind.push(kind.to_string());
        self.title.push(title.to_string());
        // Arrays of arrays do not unnest; tags travel as one comma-joined string each.
        self.tags.push(tags.join(","));
        self.excerpt.push(excerpt);
        self.reply_count.push(replies);
        self.like_count.push(likes);
        self.last_posted_at.push(last);
        self.created_at.push(created);
    }

    async fn insert(&self, conn: &mut Conn) -> diesel::QueryResult<usize> {
        diesel::sql_query(
            "INSERT INTO topics (id, board_id, author_id, kind, title, tags, excerpt, reply_count, like_count, \
                                 last_posted_at, created_at, updated_at) \
             SELECT id, b, a, k, t, CASE WHEN g = '' THEN '{}'::text[] ELSE string_to_array(g, ',') END, e, r, l, lp, c, lp \
             FROM unnest($1::int8[], $2::int8[], $3::int8[], $4::text[], $5::text[], $6::text[], $7::text[], \
                         $8::int4[], $9::int4[], $10::timestamptz[], $11::timestamptz[]) AS x(id, b, a, k, t, g, e, r, l, lp, c)",
        )
        .bind::<Array<BigInt>, _>(&self.id)
        .bind::<Array<BigInt>, _>(&self.board_id)
        .bind::<Array<BigInt>, _>(&self.author_id)
        .bind::<Array<Text>, _>(&self.kind)
        .bind::<Array<Text>, _>(&self.title)
        .bind::<Array<Text>, _>(&self.tags)
        .bind::<Array<Text>, _>(&self.excerpt)
        .bind::<Array<Int4>, _>(&self.reply_count)
        .bind::<Array<Int4>, _>(&self.like_count)
        .bind::<Array<Timestamptz>, _>(&self.last_posted_at)
        .bind::<Array<Timestamptz>, _>(&self.created_at)
        .execute(conn)
        .await
    }
}

#[derive(Default)]
struct PostCols {
    id: Vec<i64>,
    topic_id: Vec<i64>,
    author_id: Vec<i64>,
    parent_id: Vec<i64>,
    has_parent: Vec<bool>,
    path: Vec<String>,
    depth: Vec<i32>,
    body_md: Vec<String>,
    body_html: Vec<String>,
    like_count: Vec<i32>,
    created_at: Vec<DateTime<Utc>>,
}

impl PostCols {
    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        id: i64,
        topic: i64,
        author: i64,
        parent: Option<i64>,
        path: Vec<i64>,
        depth: i32,
        md: &str,
        html: String,
        at: DateTime<Utc>,
    ) {
        self.id.push(id);
        self.topic_id.push(topic);
        self.author_id.push(author);
        self.parent_id.push(parent.unwrap_or(0));
        self.has_parent.push(parent.is_some());
        self.path.push(
            path.iter()
                .map(|p| p.to_string())
                .collect::<Vec<_>>()
                .join(","),
        );
        self.depth.push(depth);
        self.body_md.push(md.to_string());
        self.body_html.push(html);
        self.like_count.push(0);
        self.created_at.push(at);
    }

    async fn insert(&self, conn: &mut Conn, _now: DateTime<Utc>) -> diesel::QueryResult<usize> {
        diesel::sql_query(
            "INSERT INTO posts (id, topic_id, author_id, parent_id, path, depth, body_md, body_html, like_count, created_at) \
             SELECT id, t, a, CASE WHEN hp THEN p END, string_to_array(pa, ',')::int8[], d, md, h, l, c \
             FROM unnest($1::int8[], $2::int8[], $3::int8[], $4::int8[], $5::bool[], $6::text[], $7::int4[], \
                         $8::text[], $9::text[], $10::int4[], $11::timestamptz[]) AS x(id, t, a, p, hp, pa, d, md, h, l, c)",
        )
        .bind::<Array<BigInt>, _>(&self.id)
        .bind::<Array<BigInt>, _>(&self.topic_id)
        .bind::<Array<BigInt>, _>(&self.author_id)
        .bind::<Array<BigInt>, _>(&self.parent_id)
        .bind::<Array<Bool>, _>(&self.has_parent)
        .bind::<Array<Text>, _>(&self.path)
        .bind::<Array<Int4>, _>(&self.depth)
        .bind::<Array<Text>, _>(&self.body_md)
        .bind::<Array<Text>, _>(&self.body_html)
        .bind::<Array<Int4>, _>(&self.like_count)
        .bind::<Array<Timestamptz>, _>(&self.created_at)
        .execute(conn)
        .await
    }
}
