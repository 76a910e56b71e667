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
