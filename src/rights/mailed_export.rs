//! Large exports: built by a job, written under `data/exports/`, mailed as a link that works for
//! `rights.export_link_hours` and only for the person it belongs to. Only a SHA-256 of the link's
//! token is stored; expired files are removed by the hourly cleanup.

use crate::accounts::{tokens, Locale};
use crate::config::Settings;
use crate::db::schema::export_files;
use crate::db::Conn;
use crate::jobs::{Job, JobContext, JobError, JobKind};
use crate::mail::{Letter, MailError, Mailer};
use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use diesel::sql_types::BigInt;
use diesel_async::{AsyncConnection, RunQueryDsl};
use std::path::PathBuf;

/// How many rows the export would hold (the big categories), to decide inline or mailed.
pub async fn rows(conn: &mut Conn, user_id: i64) -> QueryResult<i64> {
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let n: N = diesel::sql_query(
        "SELECT (SELECT count(*) FROM posts WHERE author_id = $1) \
              + (SELECT count(*) FROM post_revisions r JOIN posts p ON p.id = r.post_id \
                 WHERE p.author_id = $1) \
              + (SELECT count(*) FROM topic_votes WHERE user_id = $1) \
              + (SELECT count(*) FROM post_likes WHERE user_id = $1) \
              + (SELECT count(*) FROM notifications WHERE user_id = $1) \
              + (SELECT count(*) FROM honor_ledger WHERE user_id = $1) AS n",
    )
    .bind::<BigInt, _>(user_id)
    .get_result(conn)
    .await?;
    Ok(n.n)
}

/// Builds the export, stores it and mails the link (the job's work).
pub async fn build_and_mail(
    conn: &mut Conn,
    settings: &Settings,
    mailer: &Mailer,
    user_id: i64,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let user = crate::accounts::users::by_id(conn, user_id).await?;
    let Some(user) = user.filter(|u| !u.is_erased()) else {
        return Ok(());
    };
    let doc = super::export::export(conn, user_id, now).await?;
    let bytes = serde_json::to_vec(&doc)?;
    let dir = settings.exports_dir();
    tokio::fs::create_dir_all(&dir).await?;
    let (token, digest) = tokens::generate();
    // A name of its own: nothing of the link's secret is kept, not even in a file name.
    let file_name = format!("{}.json", &tokens::generate().0[..32]);
    let tmp = dir.join(format!("{file_name}.part"));
    tokio::fs::write(&tmp, &bytes).await?;
    tokio::fs::rename(&tmp, dir.join(&file_name)).await?;
    let expires = now + Duration::hours(settings.rights.export_link_hours);
    let link = format!("{}/exports/{token}", mailer.base_url());
    let hours = settings.rights.export_link_hours.to_string();
    // The row and its mail together: a retry never leaves a link nobody was told about.
    conn.transaction::<_, MailError, _>(async |conn| {
        diesel::insert_into(export_files::table)
            .values((
                export_files::user_id.eq(user_id),
                export_files::token_hash.eq(&digest),
                export_files::file_name.eq(&file_name),
                export_files::size_bytes.eq(bytes.len() as i64),
                export_files::created_at.eq(now),
                export_files::expires_at.eq(expires),
            ))
            .execute(conn)
            .await?;
        mailer
            .enqueue(
                conn,
                Letter {
                    event_key: format!("export:{}:{}", user_id, &hex::encode(&digest)[..16]),
                    user_id: Some(user_id),
                    to: &user.email,
                    locale: user.locale().unwrap_or(Locale::ZhCn),
                    template: "export",
                    subject_args: &[],
                    ctx: minijinja::context! { username => &user.username, link => link, hours => hours },
                    post_id: None,
                },
                now,
            )
            .await?;
        Ok(())
    })
    .await?;
    Ok(())
}

/// The stored file behind a link, if the token is right, it is `user_id`'s and not expired.
pub async fn find(
    conn: &mut Conn,
    settings: &Settings,
    token: &str,
    user_id: i64,
    now: DateTime<Utc>,
) -> QueryResult<Option<PathBuf>> {
    if !tokens::well_formed(token) {
        return Ok(None);
    }
    let name = export_files::table
        .filter(export_files::token_hash.eq(tokens::digest(token)))
        .filter(export_files::user_id.eq(user_id))
        .filter(export_files::expires_at.gt(now))
        .select(export_files::file_name)
        .first::<String>(conn)
        .await
        .optional()?;
    Ok(name.map(|n| settings.exports_dir().join(n)))
}

/// Where a person's mailed export stands, for their settings page.
#[derive(Debug, Default, serde::Serialize, utoipa::ToSchema)]
pub struct Status {
    /// A build is queued or running.
    pub pending: bool,
    /// The newest link that still works expires then.
    pub link_until: Option<DateTime<Utc>>,
}

pub async fn status(conn: &mut Conn, user_id: i64, now: DateTime<Utc>) -> QueryResult<Status> {
    let pending = crate::jobs::is_pending(conn, &export_key(user_id)).await?;
    let link_until = export_files::table
        .filter(export_files::user_id.eq(user_id))
        .filter(export_files::expires_at.gt(now))
        .select(diesel::dsl::max(export_files::expires_at))
        .first::<Option<DateTime<Utc>>>(conn)
        .await?;
    Ok(Status {
        pending,
        link_until,
    })
}

/// Drops every export of `user_id`; returns the file names to remove.
pub async fn forget(conn: &mut Conn, user_id: i64) -> QueryResult<Vec<String>> {
    diesel::delete(export_files::table.filter(export_files::user_id.eq(user_id)))
        .returning(export_files::file_name)
        .load(conn)
        .await
}

/// Drops expired exports; returns the file names to remove.
pub async fn expire(conn: &mut Conn, now: DateTime<Utc>) -> QueryResult<Vec<String>> {
    diesel::delete(export_files::table.filter(export_files::expires_at.le(now)))
        .returning(export_files::file_name)
        .load(conn)
        .await
}

/// The dedupe key of a person's pending export: one build at a time.
fn export_key(user_id: i64) -> String {
    crate::jobs::pending_key(&format!("export:{user_id}"))
}

/// Queues a full export; a link is mailed when it is ready. Asking again while one is being
/// built changes nothing.
pub async fn request(conn: &mut Conn, user_id: i64, now: DateTime<Utc>) -> QueryResult<()> {
    crate::jobs::enqueue(
        conn,
        &BuildExport { user_id },
        Some(&export_key(user_id)),
        now,
    )
    .await?;
    Ok(())
}

/// Builds a person's large export and mails them the link.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct BuildExport {
    pub user_id: i64,
}

impl Job for BuildExport {
    const KIND: JobKind = JobKind::BuildExport;

    async fn run(self, ctx: &JobContext, now: DateTime<Utc>) -> Result<(), JobError> {
        let mut conn = crate::db::get(&ctx.pool).await?;
        build_and_mail(&mut conn, &ctx.settings, &ctx.mailer, self.user_id, now).await
    }
}
