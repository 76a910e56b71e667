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

    // Bare segmentation speed on a sample, for scale.
    #[derive(diesel::QueryableByName)]
    struct Body {
        #[diesel(sql_type = Text)]
        body_md: String,
    }
    let sample: Vec<Body> = diesel::sql_query("SELECT body_md FROM posts ORDER BY id LIMIT 50000")
        .load(&mut conn)
        .await?;
    let sample_bytes: usize = sample.iter().map(|b| b.body_md.len()).sum();
    let t = Instant::now();
    let mut n_tokens = 0;
    for b in &sample {
        n_tokens +=
            crate::search::analyzer::tokens(crate::search::analyzer::WORDS, &b.body_md).len();
    }
    let secs = t.elapsed().as_secs_f64();
    println!(
        "words analysis (jieba search mode + normalisation): {:.1} MB/s ({n_tokens} tokens)",
        sample_bytes as f64 / 1e6 / secs
    );

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
        "tantivy index: {added} documents in {secs:.1} s ({:.1} MB/s of text), {:.0} MB on disk",
        bytes.n as f64 / 1e6 / secs,
        size as f64 / 1e6
    );

    let t = Instant::now();
    diesel::sql_query("CREATE INDEX IF NOT EXISTS bench_posts_fts ON posts USING GIN (to_tsvector('simple', body_md))")
        .execute(&mut conn)
        .await?;
    println!(
        "postgres GIN index built in {:.1} s",
        t.elapsed().as_secs_f64()
    );

    let queries: &[(&str, &str)] = &[
        ("single zh", "续航"),
        ("single zh", "卡顿"),
        ("single en", "battery"),
        ("two words", "相机 夜景"),
        ("two words", "充电 发热"),
        ("phrase", "\"重启就好了\""),
        ("filtered", "蓝牙"),
    ];
    let mut rows = Vec::new();
    for (class, q) in queries {
        let mut tv = Vec::new();
        let mut pg = Vec::new();
        let fts = q
            .trim_matches('"')
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" & ");
        for _ in 0..30 {
            let params = SearchParams {
                q: q.to_string(),
                board: (*class == "filtered").then(|| "phones".to_string()),
                page: 1,
                ..Default::default()
            };
            let t = Instant::now();
            query::search(&idx, &params)?;
            tv.push(t.elapsed().as_secs_f64() * 1000.0);
            let t = Instant::now();
            let sql = if *class == "filtered" {
                "SELECT p.id FROM posts p JOIN topics t ON t.id = p.topic_id JOIN boards b ON b.id = t.board_id \
                 WHERE b.slug = 'phones' AND to_tsvector('simple', p.body_md) @@ to_tsquery('simple', $1) \
                 ORDER BY ts_rank(to_tsvector('simple', p.body_md), to_tsquery('simple', $1)) DESC LIMIT 20"
            } else {
                "SELECT id FROM posts WHERE to_tsvector('simple', body_md) @@ to_tsquery('simple', $1) \
                 ORDER BY ts_rank(to_tsvector('simple', body_md), to_tsquery('simple', $1)) DESC LIMIT 20"
            };
            diesel::sql_query(sql)
                .bind::<Text, _>(&fts)
                .execute(&mut conn)
                .await?;
            pg.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        rows.push((
            class,
            q,
            pct(&mut tv, 0.5),
            pct(&mut tv, 0.99),
            pct(&mut pg, 0.5),
            pct(&mut pg, 0.99),
        ));
    }
    println!(
        "{:<10} {:<14} {:>12} {:>12} {:>12} {:>12}",
        "class", "query", "tantivy p50", "tantivy p99", "pg p50", "pg p99"
    );
    for (class, q, a, b, c, d) in rows {
        println!("{class:<10} {q:<14} {a:>10.2}ms {b:>10.2}ms {c:>10.2}ms {d:>10.2}ms");
    }

    // Recall: posts containing the word (by substring) against posts each engine finds.
    let words = [
        "续航", "相机", "电池", "发热", "充电", "屏幕", "信号", "卡顿", "系统", "游戏", "蓝牙",
        "夜景",
    ];
    let (mut truth_sum, mut tv_sum, mut pg_sum) = (0i64, 0i64, 0i64);
    for w in words {
        let truth: N = diesel::sql_query(
            "SELECT count(*) AS n FROM posts WHERE body_md LIKE '%' || $1 || '%'",
        )
        .bind::<Text, _>(w)
        .get_result(&mut conn)
        .await?;
        let found = query::search(
            &idx,
            &SearchParams {
                q: w.to_string(),
                page: 1,
                ..Default::default()
            },
        )?
        .total as i64;
        let pg: N = diesel::sql_query("SELECT count(*) AS n FROM posts WHERE to_tsvector('simple', body_md) @@ to_tsquery('simple', $1)")
            .bind::<Text, _>(w)
            .get_result(&mut conn)
            .await?;
        truth_sum += truth.n;
        tv_sum += found.min(truth.n);
        pg_sum += pg.n.min(truth.n);
    }
    println!(
        "recall of {} two-character words: tantivy {:.1}%, postgres fts {:.1}% ({} posts hold them)",
        words.len(),
        100.0 * tv_sum as f64 / truth_sum.max(1) as f64,
        100.0 * pg_sum as f64 / truth_sum.max(1) as f64,
        truth_sum
    );
    Ok(())
}

fn pct(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}
