use crate::support::TestApp;
use chorus::db::schema::{jobs, sessions};
use chorus::forum::fanout::PostCreated;
use chorus::forum::ranks::RefreshHotRanks;
use chorus::jobs::{enqueue, JobContext};
use chorus::rights::retention::Cleanup;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

async fn run_due(
    c: &JobContext,
    now: chrono::DateTime<chrono::Utc>,
    max: usize,
) -> Result<usize, chorus::db::DbError> {
    chorus::jobs::run_due(&chorus::workers::registry(), c, now, max).await
}

fn ctx(app: &TestApp) -> JobContext {
    JobContext {
        settings: app.state.settings.clone(),
        pool: app.state.pool.clone(),
        mailer: app.state.mailer.clone(),
        retry_base_secs: 10,
    }
}

#[actix_web::test]
async fn the_cleanup_job_removes_expired_sessions_once_per_dedupe_key() {
    let app = TestApp::new().await;
    let (_, live) = app.member("una").await;
    let mut conn = app.conn().await;
    let expired_user = chorus::accounts::users::by_username(&mut conn, "una")
        .await
        .unwrap()
        .unwrap();
    chorus::accounts::sessions::create(
        &mut conn,
        expired_user.id,
        "old",
        chrono::Duration::seconds(1),
        app.clock.now() - chrono::Duration::days(2),
    )
    .await
    .unwrap();
    let now = app.clock.now();
    assert!(enqueue(&mut conn, &Cleanup, Some("cleanup:test"), now)
        .await
        .unwrap());
    assert!(
        !enqueue(&mut conn, &Cleanup, Some("cleanup:test"), now)
            .await
            .unwrap(),
        "same key: no second job"
    );
    assert_eq!(run_due(&ctx(&app), now, 10).await.unwrap(), 1);
    assert_eq!(
        run_due(&ctx(&app), now, 10).await.unwrap(),
        0,
        "done jobs do not run again"
    );
    let left: i64 = sessions::table.count().get_result(&mut conn).await.unwrap();
    assert_eq!(left, 1, "only the live session is left");
    assert_eq!(
        app.client()
            .with_bearer(&live)
            .get("/api/v1/me")
            .await
            .status,
        200
    );
}

#[actix_web::test]
async fn a_failing_job_is_retried_with_backoff_then_given_up() {
    use chrono::SubsecRound;
    let app = TestApp::new().await;
    let mut conn = app.conn().await;
    // Postgres keeps microseconds.
    let now = app.clock.now().trunc_subsecs(6);
    diesel::insert_into(jobs::table)
        .values((
            jobs::kind.eq("no_such_kind"),
            jobs::run_at.eq(now),
            jobs::max_attempts.eq(3),
        ))
        .execute(&mut conn)
        .await
        .unwrap();
    let c = ctx(&app);
    assert_eq!(run_due(&c, now, 10).await.unwrap(), 1);
    let (run_at, attempts, err): (chrono::DateTime<chrono::Utc>, i32, Option<String>) = jobs::table
        .select((jobs::run_at, jobs::attempts, jobs::last_error))
        .first(&mut conn)
        .await
        .unwrap();
    assert_eq!(attempts, 1);
    assert_eq!(
        (run_at - now).num_seconds(),
        10,
        "first retry after the base delay"
    );
    assert!(err.unwrap().contains("unknown job"));
    assert_eq!(run_due(&c, now, 10).await.unwrap(), 0, "not due yet");
    assert_eq!(
        run_due(&c, now + chrono::Duration::seconds(11), 10)
            .await
            .unwrap(),
        1
    );
    let run_at: chrono::DateTime<chrono::Utc> = jobs::table
        .select(jobs::run_at)
        .first(&mut conn)
        .await
        .unwrap();
    assert_eq!(
        (run_at - (now + chrono::Duration::seconds(11))).num_seconds(),
        20,
        "the delay doubles"
    );
    assert_eq!(
        run_due(&c, now + chrono::Duration::seconds(60), 10)
            .await
            .unwrap(),
        1
    );
    let failed: Option<chrono::DateTime<chrono::Utc>> = jobs::table
        .select(jobs::failed_at)
        .first(&mut conn)
        .await
        .unwrap();
    assert!(failed.is_some(), "given up after max_attempts");
    assert_eq!(
        run_due(&c, now + chrono::Duration::days(1), 10)
            .await
            .unwrap(),
        0
    );
}

#[actix_web::test]
async fn concurrent_workers_run_each_job_once() {
    let app = TestApp::new().await;
    let mut conn = app.conn().await;
    let now = app.clock.now();
    // Per-event jobs (these find no post and finish): no lock, only the row claim keeps them apart.
    for i in 0..20 {
        enqueue(
            &mut conn,
            &PostCreated { post_id: -i },
            Some(&format!("k{i}")),
            now,
        )
        .await
        .unwrap();
    }
    let c = ctx(&app);
    let (a, b, d) = tokio::join!(
        run_due(&c, now, 100),
        run_due(&c, now, 100),
        run_due(&c, now, 100)
    );
    assert_eq!(a.unwrap() + b.unwrap() + d.unwrap(), 20);
    let attempts: Vec<i32> = jobs::table
        .select(jobs::attempts)
        .load(&mut conn)
        .await
        .unwrap();
    assert!(
        attempts.iter().all(|a| *a == 1),
        "no job ran twice: {attempts:?}"
    );
}

#[actix_web::test]
async fn scheduled_work_runs_on_one_node_at_a_time_under_an_advisory_lock() {
    use diesel_async::{AsyncConnection, AsyncPgConnection};
    let app = TestApp::new().await;
    // Another node is busy refreshing hot ranks: it holds the kind's lock.
    let mut other_node = AsyncPgConnection::establish(&app.db_url).await.unwrap();
    diesel::sql_query("SELECT pg_advisory_lock(3136, 2)")
        .execute(&mut other_node)
        .await
        .unwrap();
    let mut conn = app.conn().await;
    let now = app.clock.now();
    enqueue(&mut conn, &RefreshHotRanks, Some("hot-ranks:test"), now)
        .await
        .unwrap();
    assert_eq!(run_due(&ctx(&app), now, 10).await.unwrap(), 0, "deferred");
    let (attempts, run_at): (i32, chrono::DateTime<chrono::Utc>) = jobs::table
        .filter(jobs::dedupe_key.eq("hot-ranks:test"))
        .select((jobs::attempts, jobs::run_at))
        .first(&mut conn)
        .await
        .unwrap();
    assert_eq!(attempts, 0, "waiting for a lock spends no attempt");
    assert!(run_at >= now + chrono::Duration::seconds(29));
    // Other kinds of scheduled work are not held up by it.
    enqueue(&mut conn, &Cleanup, Some("cleanup:test"), now)
        .await
        .unwrap();
    assert_eq!(run_due(&ctx(&app), now, 10).await.unwrap(), 1);
    // The other node finishes (an explicit unlock: a dropped connection is closed asynchronously,
    // and the server would release the lock a moment later); the deferred job runs at its next turn.
    diesel::sql_query("SELECT pg_advisory_unlock(3136, 2)")
        .execute(&mut other_node)
        .await
        .unwrap();
    app.clock.advance(chrono::Duration::seconds(31));
    assert_eq!(run_due(&ctx(&app), app.clock.now(), 10).await.unwrap(), 1);
}

#[test]
fn every_job_kind_has_a_handler() {
    assert_eq!(chorus::workers::registry().missing(), vec![]);
}
