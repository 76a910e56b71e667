//! The weekly digest: hot topics of the past week in the boards a person follows (all boards
//! when they follow none), for those who opted in. One mail per person per week.

use crate::accounts::Locale;
use crate::db::schema::{board_follows, topics, users};
use crate::db::{self, Pool};
use crate::jobs::{Job, JobContext, JobError, JobKind};
use crate::mail::{Letter, Mailer};
use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

const PER_MAIL: i64 = 10;
const USERS_PER_BATCH: i64 = 500;

#[derive(Queryable)]
struct Recipient {
    id: i64,
    email: String,
    username: String,
    locale: Option<String>,
}

type Line = (i64, String, i32);

async fn hot(
    conn: &mut db::Conn,
    reader: &crate::access::Reader,
    boards: Option<&[i64]>,
    since: DateTime<Utc>,
) -> QueryResult<Vec<Line>> {
    let mut q = topics::table
        .filter(crate::access::topic_shown())
        .filter(reader.readable_boards())
        .filter(topics::created_at.ge(since))
        .order((topics::hot_rank.desc(), topics::id.desc()))
        .limit(PER_MAIL)
        .select((topics::id, topics::title, topics::reply_count))
        .into_boxed();
    if let Some(b) = boards {
        q = q.filter(topics::board_id.eq_any(b.to_vec()));
    }
    q.load(conn).await
}

/// Sends the digest for `week` (e.g. `2026-W48`); returns how many mails were queued.
pub async fn send_weekly(
    pool: &Pool,
    mailer: &Mailer,
    week: &str,
    now: DateTime<Utc>,
) -> Result<usize, super::NotifyError> {
    let mut conn = db::get(pool).await?;
    let since = now - Duration::days(7);
    // Most people follow no board: compute their list once, from what anyone may read.
    let anyone = crate::access::Reader::load(&mut conn, None).await?;
    let everyone = hot(&mut conn, &anyone, None, since).await?;
    let mut after = 0i64;
    let mut queued = 0;
    loop {
        let batch: Vec<Recipient> = users::table
            .filter(users::digest_weekly.eq(true))
            .filter(users::email_verified_at.is_not_null())
            .filter(users::id.gt(after))
            .order(users::id)
            .limit(USERS_PER_BATCH)
            .select((users::id, users::email, users::username, users::locale))
            .load(&mut conn)
            .await?;
        let Some(last) = batch.last() else { break };
        after = last.id;
        let ids: Vec<i64> = batch.iter().map(|r| r.id).collect();
        let follows: Vec<(i64, i64)> = board_follows::table
            .filter(board_follows::user_id.eq_any(&ids))
            .select((board_follows::user_id, board_follows::board_id))
            .load(&mut conn)
            .await?;
        // Those who follow boards get them filtered by what they may read now.
        let followers: Vec<i64> = follows.iter().map(|(u, _)| *u).collect();
        let readers = crate::access::Reader::of_users(&mut conn, &followers).await?;
        for r in &batch {
            let mine: Vec<i64> = follows
                .iter()
                .filter(|(u, _)| *u == r.id)
                .map(|(_, b)| *b)
                .collect();
            let lines = match readers.get(&r.id) {
                Some(reader) if !mine.is_empty() => {
                    hot(&mut conn, reader, Some(&mine), since).await?
                }
                _ => everyone.clone(),
            };
            if lines.is_empty() {
                continue;
            }
            let items: Vec<minijinja::Value> = lines
                .iter()
                .map(|(id, title, replies)| {
                    minijinja::context! { title => title, replies => replies, link => format!("{}/t/{id}", mailer.base_url()) }
                })
                .collect();
            let locale = r
                .locale
                .as_deref()
                .and_then(Locale::parse)
                .unwrap_or(Locale::ZhCn);
            let fresh = mailer
                .enqueue(
                    &mut conn,
                    Letter {
                        event_key: format!("digest:{week}"),
                        user_id: Some(r.id),
                        to: &r.email,
                        locale,
                        template: "digest",
                        subject_args: &[],
                        ctx: minijinja::context! { username => &r.username, items => items },
                        post_id: None,
                    },
                    now,
                )
                .await?;
            queued += fresh as usize;
        }
    }
    Ok(queued)
}

/// Mails the weekly digest for the given ISO week (e.g. `2026-W48`).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct WeeklyDigest {
    pub week: String,
}

impl Job for WeeklyDigest {
    const KIND: JobKind = JobKind::WeeklyDigest;
    const SCHEDULED: bool = true;

    async fn run(self, ctx: &JobContext, now: DateTime<Utc>) -> Result<(), JobError> {
        send_weekly(&ctx.pool, &ctx.mailer, &self.week, now).await?;
        Ok(())
    }
}
