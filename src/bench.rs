//! `chorus bench`: measurements that print their figures (never timed tests).

use crate::accounts::{self, Role};
use crate::config::Settings;
use crate::db::{self, Conn};
use crate::feedback::changes::{self, ChangeRequest};
use crate::feedback::loop_closure;
use chrono::{DateTime, Utc};
use diesel::sql_types::{BigInt, Text, Timestamptz};
use diesel_async::RunQueryDsl;
use std::time::Instant;

/// Status change on an idea with `voters` voters: time to accept the change (what the request
/// does) and time until every notification and mail job is written (the fan-out job).
pub async fn loop_closure(
    pool: &db::Pool,
    settings: &Settings,
    voters: i64,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let mut conn = db::get(pool).await?;
    crate::demo::ensure_boards(&mut conn, now).await?;
    let tag = format!("{:x}", now.timestamp_micros() & 0xff_ffff);
    let setup = Instant::now();
    let reporter = make_user(
        &mut conn,
        settings,
        &format!("bench_rep_{tag}"),
        Role::Member,
        now,
    )
    .await?;
    let actor = make_user(
        &mut conn,
        settings,
        &format!("bench_pm_{tag}"),
        Role::TeamMember,
        now,
    )
    .await?;
    let topic_id = make_idea(&mut conn, reporter.id, now).await?;
    let hash = accounts::passwords::hash("bench-password-unused".into())
        .await
        .map_err(anyhow::Error::msg)?;
    diesel::sql_query(
        "WITH u AS ( \
           INSERT INTO users (username, username_key, email, email_verified_at, password_hash, role, privacy_version, \
                              privacy_accepted_at, created_at, updated_at) \
           SELECT 'bv' || $1 || '_' || n, 'bv' || $1 || '_' || n, 'bv' || $1 || '_' || n || '@example.com', $2, $3, \
                  'member', 'bench', $2, $2, $2 FROM generate_series(1, $4) AS n RETURNING id) \
         INSERT INTO topic_votes (topic_id, user_id, kind, created_at) SELECT $5, id, 'vote', $2 FROM u",
    )
    .bind::<Text, _>(&tag)
    .bind::<Timestamptz, _>(now)
    .bind::<Text, _>(&hash)
    .bind::<BigInt, _>(voters)
    .bind::<BigInt, _>(topic_id)
    .execute(&mut conn)
    .await?;
    diesel::sql_query("UPDATE topics SET vote_count = $1 WHERE id = $2")
        .bind::<diesel::sql_types::Integer, _>(voters as i32)
        .bind::<BigInt, _>(topic_id)
        .execute(&mut conn)
        .await?;
    diesel::sql_query("ANALYZE").execute(&mut conn).await?;
    println!(
        "setup: idea {topic_id} with {voters} voters in {:.1} s",
        setup.elapsed().as_secs_f64()
    );

    let req = ChangeRequest::parse("planned", Some("Planned for the next release."), None, None)
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let t = Instant::now();
    let change_id = changes::change(&mut conn, &actor, topic_id, req, now).await?;
    let accept = t.elapsed();
    drop(conn);
    let t = Instant::now();
    let written = loop_closure::status_changed(pool, change_id, now).await?;
    let fanout = t.elapsed();
    let mut conn = db::get(pool).await?;
    #[derive(diesel::QueryableByName)]
    struct N {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let jobs: N = diesel::sql_query(
        "SELECT count(*) AS n FROM jobs WHERE kind = 'status_mail' AND run_at > $1",
    )
    .bind::<Timestamptz, _>(now)
    .get_result(&mut conn)
    .await?;
    println!(
        "accept the status change (the request's transaction): {:.2} ms",
        accept.as_secs_f64() * 1000.0
    );
    println!(
        "fan-out job: {written} notifications and {} batched mail jobs written in {:.0} ms ({:.0} notifications/s)",
        jobs.n,
        fanout.as_secs_f64() * 1000.0,
        written as f64 / fanout.as_secs_f64()
    );
    Ok(())
}

async fn make_user(
    conn: &mut Conn,
    settings: &Settings,
    name: &str,
    role: Role,
    now: DateTime<Utc>,
) -> anyhow::Result<accounts::User> {
    accounts::create_verified(
        conn,
        settings,
        name,
        &format!("{name}@example.com"),
        "bench-password-2026",
        role,
        now,
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))
}

async fn make_idea(conn: &mut Conn, author: i64, now: DateTime<Utc>) -> anyhow::Result<i64> {
    use crate::db::schema::{boards, topics};
    use diesel::{ExpressionMethods, QueryDsl};
    let board: i64 = boards::table
        .filter(boards::slug.eq("ideas"))
        .select(boards::id)
        .first(conn)
        .await?;
    Ok(diesel::insert_into(topics::table)
        .values((
            topics::board_id.eq(board),
            topics::author_id.eq(author),
            topics::kind.eq("idea"),
            topics::title.eq("Benchmark idea"),
            topics::last_posted_at.eq(now),
            topics::created_at.eq(now),
            topics::updated_at.eq(now),
        ))
        .returning(topics::id)
        .get_result(conn)
        .await?)
}

/// Search on the demo corpus: tantivy against PostgreSQL full-text search (`to_tsvector('simple')`
/// with a GIN index, ranked by `ts_rank`) over the same posts. Prints p50/p99 per query class,
/// recall of two-character Chinese words on both, indexing throughput beside bare jieba, index size.
/// Analysis speed on the first `posts` posts: bare jieba for scale, then each of our analyzers as
/// indexing runs them (one analyzer reused for every document).
pub async fn analyzer(pool: &db::Pool, posts: i64) -> anyhow::Result<()> {
    use crate::search::analyzer::{self, BIGRAMS, WORDS};
    use tantivy::tokenizer::TokenStream;
    #[derive(diesel::QueryableByName)]
    struct Body {
        #[diesel(sql_type = Text)]
        body_md: String,
    }
    let mut conn = db::get(pool).await?;
    let sample: Vec<Body> = diesel::sql_query("SELECT body_md FROM posts ORDER BY id LIMIT $1")
        .bind::<BigInt, _>(posts)
        .load(&mut conn)
        .await?;
    let mb = sample.iter().map(|b| b.body_md.len()).sum::<usize>() as f64 / 1e6;
    let jieba = analyzer::jieba();
    let t = Instant::now();
    let mut n_words = 0;
    for b in &sample {
        n_words += jieba.cut_for_search(&b.body_md, true).len();
    }
    println!(
        "bare jieba cut_for_search: {:.1} MB/s ({n_words} words from {mb:.1} MB in {} posts)",
        mb / t.elapsed().as_secs_f64(),
        sample.len()
    );
    for (name, label) in [
        (
            WORDS,
            "words analyzer (NFKC, case, zh-Hant folding, jieba, stemming)",
        ),
        (
            BIGRAMS,
            "bigrams analyzer (NFKC, case, zh-Hant folding, CJK bigrams)",
        ),
    ] {
        let mut a = analyzer::build(name);
        let t = Instant::now();
        let mut n_tokens = 0;
        for b in &sample {
            let mut stream = a.token_stream(&b.body_md);
            while stream.advance() {
                n_tokens += 1;
            }
        }
        println!(
            "our {label}: {:.1} MB/s ({n_tokens} tokens)",
            mb / t.elapsed().as_secs_f64()
        );
    }
    Ok(())
}

pub async fn search(pool: &db::Pool, index_dir: &std::path::Path) -> anyhow::Result<()> {
    use crate::search::query::{self, SearchParams};
    let mut conn = db::get(pool).await?;
    #[derive(diesel::QueryableByName)]
    struct N {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let posts: N = diesel::sql_query("SELECT count(*) AS n FROM posts")
        .get_result(&mut conn)
        .await?;
    let bytes: N =
        diesel::sql_query("SELECT coalesce(sum(octet_length(body_md)), 0)::int8 AS n FROM posts")
            .get_result(&mut conn)
            .await?;
    println!(
        "corpus: {} posts, {:.1} MB of text",
        posts.n,
        bytes.n as f64 / 1e6
    );

    analyzer(pool, 50_000).await?;

    let _ = std::fs::remove_dir_all(index_dir);
    let idx = crate::search::SearchIndex::open(index_dir)?;
    let t = Instant::now();
    let added = crate::search::indexer::rebuild(&idx, pool).await?;
    let secs = t.elapsed().as_secs_f64();
    let size: u64 = std::fs::read_dir(index_dir)?
        .flatten()
        .filter_map(|e| e.metadata().ok())
        .map(|m| m.len())
        .sum();
    println!(
        "tantivy index (both analyses, from PostgreSQL): {added} documents in {secs:.1} s = {:.2} MB/s of text, {:.0} MB on disk",
        bytes.n as f64 / 1e6 / secs,
        size as f64 / 1e6
    );

    let t = Instant::now();
    diesel::sql_query("CREATE INDEX IF NOT EXISTS bench_posts_fts ON posts USING GIN (to_tsvector('simple', body_md))")
        .execute(&mut conn)
        .await?;
    diesel::sql_query("ANALYZE posts")
        .execute(&mut conn)
        .await?;
    #[derive(diesel::QueryableByName)]
    struct Size {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let gin: Size = diesel::sql_query("SELECT pg_relation_size('bench_posts_fts')::int8 AS n")
        .get_result(&mut conn)
        .await?;
    println!(
        "postgres GIN index on to_tsvector('simple', body): {:.1} s to build (or found), {:.0} MB",
        t.elapsed().as_secs_f64(),
        gin.n as f64 / 1e6
    );

    // (class, query, filter): the same question to both engines; top 20 by relevance.
    type Filter = Option<(&'static str, &'static str)>;
    let queries: &[(&str, &str, Filter)] = &[
        ("single zh", "续航", None),
        ("single zh", "卡顿", None),
        ("single zh", "蓝牙", None),
        ("single en", "battery", None),
        ("single en", "update", None),
        ("single en", "bluetooth", None),
        ("two-word AND", "相机 夜景", None),
        ("two-word AND", "充电 发热", None),
        ("two-word AND", "battery health", None),
        ("two-word AND", "night mode", None),
        ("phrase", "\"重启就好了\"", None),
        ("phrase", "\"night mode\"", None),
        ("phrase", "\"clearing the cache\"", None),
        ("filtered", "battery", Some(("kind", "bug"))),
        ("filtered", "蓝牙", Some(("board", "phones"))),
        ("filtered", "update", Some(("status", "acknowledged"))),
    ];
    const RUNS: usize = 20;
    let mut classes: Vec<(&str, Vec<f64>, Vec<f64>)> = Vec::new();
    let (mut all_tv, mut all_pg) = (Vec::new(), Vec::new());
    println!(
        "{:<13} {:<22} {:>9} {:>9} {:>11} {:>11}",
        "class", "query", "tv hits", "pg hits", "tv p50 ms", "pg p50 ms"
    );
    for (class, q, filter) in queries {
        let mut params = SearchParams {
            q: q.to_string(),
            page: 1,
            ..Default::default()
        };
        let column = match filter {
            Some(("kind", v)) => {
                params.kind = Some(v.to_string());
                "t.kind"
            }
            Some(("board", v)) => {
                params.board = Some(v.to_string());
                "b.slug"
            }
            Some((_, v)) => {
                params.status = Some(v.to_string());
                "t.status"
            }
            None => "",
        };
        let tsquery = if q.starts_with('"') {
            "phraseto_tsquery('simple', $1)"
        } else {
            "plainto_tsquery('simple', $1)"
        };
        let sql = if filter.is_some() {
            format!(
                "SELECT p.id AS n FROM posts p JOIN topics t ON t.id = p.topic_id JOIN boards b ON b.id = t.board_id \
                 WHERE {column} = $2 AND to_tsvector('simple', p.body_md) @@ {tsquery} \
                 ORDER BY ts_rank(to_tsvector('simple', p.body_md), {tsquery}) DESC LIMIT 20"
            )
        } else {
            format!(
                "SELECT id AS n FROM posts WHERE to_tsvector('simple', body_md) @@ {tsquery} \
                 ORDER BY ts_rank(to_tsvector('simple', body_md), {tsquery}) DESC LIMIT 20"
            )
        };
        let plain = q.trim_matches('"');
        let filter_value = filter.map(|f| f.1).unwrap_or("");
        let (mut tv, mut pg) = (Vec::new(), Vec::new());
        let (mut tv_hits, mut pg_hits) = (0, 0);
        for _ in 0..RUNS {
            let t = Instant::now();
            tv_hits = query::search(&idx, &params)?.total;
            tv.push(t.elapsed().as_secs_f64() * 1000.0);
            let t = Instant::now();
            pg_hits = if filter.is_some() {
                diesel::sql_query(&sql)
                    .bind::<Text, _>(plain)
                    .bind::<Text, _>(filter_value)
                    .load::<N>(&mut conn)
                    .await?
                    .len()
            } else {
                diesel::sql_query(&sql)
                    .bind::<Text, _>(plain)
                    .load::<N>(&mut conn)
                    .await?
                    .len()
            };
            pg.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        println!(
            "{class:<13} {:<22} {tv_hits:>9} {pg_hits:>9} {:>11.2} {:>11.2}",
            format!(
                "{q}{}",
                filter
                    .map(|f| format!(" {}={}", f.0, f.1))
                    .unwrap_or_default()
            ),
            pct(&mut tv, 0.5),
            pct(&mut pg, 0.5)
        );
        all_tv.extend_from_slice(&tv);
        all_pg.extend_from_slice(&pg);
        match classes.iter_mut().find(|c| c.0 == *class) {
            Some(c) => {
                c.1.extend(tv);
                c.2.extend(pg);
            }
            None => classes.push((class, tv, pg)),
        }
    }
    println!("(tv hits: matching posts; pg hits: rows of its top 20. {RUNS} runs of each query.)");
    println!(
        "{:<13} {:>12} {:>12} {:>12} {:>12} {:>10}",
        "class", "tantivy p50", "tantivy p99", "pg p50", "pg p99", "p99 ratio"
    );
    classes.push(("all", all_tv, all_pg));
    for (class, mut tv, mut pg) in classes {
        let (a, b, c, d) = (
            pct(&mut tv, 0.5),
            pct(&mut tv, 0.99),
            pct(&mut pg, 0.5),
            pct(&mut pg, 0.99),
        );
        println!(
            "{class:<13} {a:>10.2}ms {b:>10.2}ms {c:>10.2}ms {d:>10.2}ms {:>9.1}x",
            d / b
        );
    }

    // The access filter: an outsider's search leaves out the boards closed to them inside the
    // index query. The boards holding about a quarter of the posts play the private ones; the
    // same queries run with no board closed (today's cost) and with them closed, interleaved.
    #[derive(diesel::QueryableByName)]
    struct BoardPosts {
        #[diesel(sql_type = Text)]
        slug: String,
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let per_board: Vec<BoardPosts> = diesel::sql_query(
        "SELECT b.slug, count(p.id)::int8 AS n FROM boards b JOIN topics t ON t.board_id = b.id \
         JOIN posts p ON p.topic_id = t.id GROUP BY b.slug ORDER BY n ASC",
    )
    .load(&mut conn)
    .await?;
    let total_posts: i64 = per_board.iter().map(|b| b.n).sum();
    let (mut closed, mut closed_posts) = (Vec::new(), 0i64);
    for b in &per_board {
        if (closed_posts + b.n) * 4 > total_posts && !closed.is_empty() {
            break;
        }
        closed_posts += b.n;
        closed.push(b.slug.clone());
    }
    let (mut open_ms, mut closed_ms) = (Vec::new(), Vec::new());
    for _ in 0..RUNS {
        for (_, q, _) in queries {
            for (out, boards) in [(&mut open_ms, Vec::new()), (&mut closed_ms, closed.clone())] {
                let params = SearchParams {
                    q: q.to_string(),
                    page: 1,
                    closed_boards: boards,
                    ..Default::default()
                };
                let t = Instant::now();
                query::search(&idx, &params)?;
                out.push(t.elapsed().as_secs_f64() * 1000.0);
            }
        }
    }
    let (a, b) = (pct(&mut open_ms, 0.99), pct(&mut closed_ms, 0.99));
    println!(
        "access filter: {} of {} boards closed ({:.0}% of posts); tantivy p50 {:.2} ms -> {:.2} ms, p99 {a:.2} ms -> {b:.2} ms = {:.2}x",
        closed.len(),
        per_board.len(),
        100.0 * closed_posts as f64 / total_posts.max(1) as f64,
        pct(&mut open_ms, 0.5),
        pct(&mut closed_ms, 0.5),
        b / a
    );

    // Recall: posts containing the word (by substring) against posts each engine finds.
    let words = [
        "续航", "相机", "夜景", "卡顿", "充电", "发热", "投屏", "信号", "蓝牙", "耳机", "屏幕",
        "桌面", "游戏", "掉帧", "指纹", "解锁", "系统", "更新", "电池", "拍照", "水印", "闪退",
        "用户", "反馈", "亮度", "快门", "重启", "版本", "功能", "视频", "手环", "睡眠", "缓存",
        "官方",
    ];
    let (mut truth_sum, mut tv_sum, mut pg_sum) = (0i64, 0i64, 0i64);
    let mut tv_missing = Vec::new();
    for w in words {
        let truth: N = diesel::sql_query(
            "SELECT count(*) AS n FROM posts WHERE body_md LIKE '%' || $1 || '%'",
        )
        .bind::<Text, _>(w)
        .get_result(&mut conn)
        .await?;
        // Bodies only, like the substring truth (titles would add matches the truth lacks).
        let found = crate::search::query::count_in_bodies(&idx, w)? as i64;
        let pg: N = diesel::sql_query("SELECT count(*) AS n FROM posts WHERE to_tsvector('simple', body_md) @@ plainto_tsquery('simple', $1)")
            .bind::<Text, _>(w)
            .get_result(&mut conn)
            .await?;
        if found < truth.n {
            tv_missing.push(format!("{w} {found}/{}", truth.n));
        }
        truth_sum += truth.n;
        tv_sum += found.min(truth.n);
        pg_sum += pg.n.min(truth.n);
    }
    println!(
        "recall of {} two-character words over {} posts that hold them: tantivy {:.2}%, postgres fts {:.2}%{}",
        words.len(),
        truth_sum,
        100.0 * tv_sum as f64 / truth_sum.max(1) as f64,
        100.0 * pg_sum as f64 / truth_sum.max(1) as f64,
        if tv_missing.is_empty() { String::new() } else { format!(" (tantivy short: {})", tv_missing.join(", ")) }
    );
    Ok(())
}

fn pct(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

/// Triage on the demo corpus: routes every open bug and idea to one team (topped up with copies
/// until it holds `items`), then times recomputing all priorities, reading the queue's first
/// page and a deep page, the queue with a search, a filter and a sort, and a saved view, each as
/// `/triage` does it, and prints the last two as ratios to the plain first page of the same run.
pub async fn triage(
    pool: &db::Pool,
    items: i64,
    index_dir: &std::path::Path,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    use crate::triage::{priority, queue, views};
    let mut conn = db::get(pool).await?;
    diesel::sql_query(
        "INSERT INTO teams (slug, name_zh, name_en, created_at) VALUES ('bench', '压测团队', 'Bench team', now()) \
         ON CONFLICT (slug) DO NOTHING",
    )
    .execute(&mut conn)
    .await?;
    // Copies of existing open items until the team has enough.
    loop {
        #[derive(diesel::QueryableByName)]
        struct N {
            #[diesel(sql_type = BigInt)]
            n: i64,
        }
        let open: N = diesel::sql_query(format!(
            "SELECT count(*) AS n FROM topics t WHERE kind IN ('bug', 'idea') \
             AND status IN ('new', 'needs_info', 'acknowledged', 'planned', 'in_progress') \
             AND {}",
            crate::access::shown_sql("t")
        ))
        .get_result(&mut conn)
        .await?;
        if open.n >= items {
            break;
        }
        diesel::sql_query(
            "INSERT INTO topics (board_id, author_id, kind, title, tags, excerpt, status, last_posted_at, \
                 created_at, updated_at, product_id, vote_count, me_too_count) \
             SELECT board_id, author_id, kind, title, tags, excerpt, 'new', last_posted_at, created_at, \
                 updated_at, product_id, vote_count, me_too_count FROM topics \
             WHERE kind IN ('bug', 'idea') LIMIT $1",
        )
        .bind::<BigInt, _>((items - open.n).min(20_000))
        .execute(&mut conn)
        .await?;
        // Every topic needs its opening post for routing; copies get a short one.
        diesel::sql_query(
            "INSERT INTO posts (topic_id, author_id, path, depth, body_md, body_html, created_at) \
             SELECT t.id, t.author_id, ARRAY[nextval('posts_id_seq')], 0, t.excerpt, t.excerpt, t.created_at \
             FROM topics t WHERE NOT EXISTS (SELECT 1 FROM posts p WHERE p.topic_id = t.id)",
        )
        .execute(&mut conn)
        .await?;
    }
    let team: i64 = diesel::sql_query("SELECT id AS n FROM teams WHERE slug = 'bench'")
        .get_result::<Id>(&mut conn)
        .await?
        .n;
    #[derive(diesel::QueryableByName)]
    struct Id {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let routed = diesel::sql_query(
        "UPDATE topics SET team_id = $1, routed_by = 'manual' WHERE kind IN ('bug', 'idea')",
    )
    .bind::<BigInt, _>(team)
    .execute(&mut conn)
    .await?;
    diesel::sql_query("ANALYZE topics")
        .execute(&mut conn)
        .await?;
    let t = Instant::now();
    let n = priority::refresh(&mut conn, None, now).await?;
    println!(
        "recomputed {n} open priorities (of {routed} routed items) in {:.2} s ({:.0}/s)",
        t.elapsed().as_secs_f64(),
        n as f64 / t.elapsed().as_secs_f64()
    );
    // The refresh rewrote every open row: vacuum now, or autovacuum lands inside the timings.
    diesel::sql_query("VACUUM (ANALYZE) topics")
        .execute(&mut conn)
        .await?;
    // The queue's search reads the site's index: build one over this database before any
    // timing, so its writes and merges are not inside the timings.
    let _ = std::fs::remove_dir_all(index_dir);
    let search = crate::search::Search::open(index_dir)?;
    let t = Instant::now();
    let indexed = search.reindex(pool).await?;
    println!(
        "search index for the queue: {indexed} posts in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    // An admin looks if there is one (the demo's), as the page resolves filters for a viewer.
    #[derive(diesel::QueryableByName)]
    struct AdminId {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let admin_id: AdminId =
        diesel::sql_query("SELECT id AS n FROM users ORDER BY role = 'admin' DESC, id LIMIT 1")
            .get_result(&mut conn)
            .await?;
    let admin = accounts::users::by_id(&mut conn, admin_id.n)
        .await?
        .ok_or_else(|| anyhow::anyhow!("the bench needs a user (chorus demo makes them)"))?;
    let reader = crate::access::Reader::of(&mut conn, Some(&admin)).await?;
    let closed = reader.closed_board_slugs();
    let saved = views::save(
        &mut conn,
        &admin,
        &format!("bench {}", now.timestamp_micros()),
        &views::Filters {
            team: "bench".into(),
            status: "new".into(),
            band: "P1".into(),
            ..Default::default()
        },
        now,
    )
    .await?;

    // What is timed, each as `/triage` does it. 0–2: the plain queue (first page, 200 pages in,
    // overdue); 3–4: search + filter + sort for a title word (in 2% of the demo's items) and for a
    // word in 5% of all posts (and a quarter of the reports);
    // 5–6: the index's share of those (the search alone); 7: a saved view (read by id, resolved,
    // listed).
    let plain = queue::Filter {
        teams: Some(vec![team]),
        ..Default::default()
    };
    let mut deep = queue::Filter {
        teams: Some(vec![team]),
        ..Default::default()
    };
    for _ in 0..200 {
        let (_, next) = queue::list(&mut conn, &deep, now).await?;
        let Some(next) = next else { break };
        deep.after = queue::parse_cursor(queue::Sort::Priority, &next);
    }
    let overdue = queue::Filter {
        teams: Some(vec![team]),
        overdue: true,
        ..Default::default()
    };
    const WORDS: [&str; 2] = ["唤醒", "蓝牙"];
    let searched = |word: &str| views::Filters {
        q: word.into(),
        team: "bench".into(),
        status: "new".into(),
        kind: "bug".into(),
        sort: "me_too".into(),
        ..Default::default()
    };
    let mut found = [0; 2];
    let mut times: [Vec<f64>; 8] = Default::default();
    // Round-robin, so a slow moment of this shared machine lands on every case alike and the
    // ratios within the run stay fair; the first 20 rounds warm caches and prepared plans.
    for round in 0..1020 {
        let mut took = [0.0; 8];
        for (i, f) in [&plain, &deep, &overdue].into_iter().enumerate() {
            let t = Instant::now();
            queue::list(&mut conn, f, now).await?;
            took[i] = t.elapsed().as_secs_f64() * 1000.0;
        }
        for (i, word) in WORDS.into_iter().enumerate() {
            let t = Instant::now();
            let f =
                views::resolve(&mut conn, &search, &admin, &reader, &searched(word), now).await?;
            let (page, _) = queue::list(&mut conn, &f, now).await?;
            took[3 + i] = t.elapsed().as_secs_f64() * 1000.0;
            found[i] = page.len();
            let closed = closed.clone();
            let t = Instant::now();
            search
                .read(move |idx| {
                    crate::search::query::topics_matching(
                        idx,
                        word,
                        &crate::search::query::Narrow {
                            kind: Some(crate::fields::Kind::Bug),
                            status: Some(crate::fields::Status::New),
                            product: None,
                            teams: Some(vec!["bench".into()]),
                        },
                        &closed,
                        views::SEARCH_LIMIT,
                    )
                })
                .await?;
            took[5 + i] = t.elapsed().as_secs_f64() * 1000.0;
        }
        let t = Instant::now();
        let filters = views::filters_of(&mut conn, admin.id, &saved.id).await?;
        let f = views::resolve(&mut conn, &search, &admin, &reader, &filters, now).await?;
        queue::list(&mut conn, &f, now).await?;
        took[7] = t.elapsed().as_secs_f64() * 1000.0;
        if round >= 20 {
            for (v, t) in times.iter_mut().zip(took) {
                v.push(t);
            }
        }
    }
    views::delete(&mut conn, admin.id, saved.id.parse()?).await?;
    // A search that finds nothing would time an empty page: the figure would mean nothing.
    if let Some(i) = found.iter().position(|n| *n == 0) {
        anyhow::bail!(
            "\"{}\" finds no new bug in this database (seed it with `chorus demo`)",
            WORDS[i]
        );
    }
    let [mut first, mut deep, mut od, mut s0, mut s1, mut i0, mut i1, mut sv] = times;
    let first_p99 = pct(&mut first, 0.99);
    println!(
        "queue page (50 items, team of {n} open): first page p50 {:.2} ms p99 {:.2} ms; page 200 p50 {:.2} ms p99 {:.2} ms; overdue filter p50 {:.2} ms p99 {:.2} ms",
        pct(&mut first, 0.5),
        first_p99,
        pct(&mut deep, 0.5),
        pct(&mut deep, 0.99),
        pct(&mut od, 0.5),
        pct(&mut od, 0.99)
    );
    for (i, (all, idx_only)) in [(&mut s0, &mut i0), (&mut s1, &mut i1)]
        .into_iter()
        .enumerate()
    {
        let p99 = pct(all, 0.99);
        println!(
            "queue with search \"{}\" + new bugs + sort by me-too ({} on the page): p50 {:.2} ms p99 {:.2} ms = {:.2}× the plain first page's p99; the index search alone p50 {:.2} ms p99 {:.2} ms",
            WORDS[i],
            found[i],
            pct(all, 0.5),
            p99,
            p99 / first_p99,
            pct(idx_only, 0.5),
            pct(idx_only, 0.99)
        );
    }
    let sv99 = pct(&mut sv, 0.99);
    println!(
        "saved view (new, P1, by priority): p50 {:.2} ms p99 {:.2} ms = {:.2}× the plain first page's p99",
        pct(&mut sv, 0.5),
        sv99,
        sv99 / first_p99
    );
    Ok(())
}
