//! Who hears about a new post, and how: the job behind `Job::PostCreated`.
//!
//! Everyone concerned gets one notification per post, whatever mix of reasons (mention beats
//! reply beats subscription), following their preference for that reason. The unique keys on
//! notifications and the mail outbox make a replayed job change nothing.

use super::subscriptions;
use crate::accounts::Locale;
use crate::db::schema::{notifications, posts, topics, users};
use crate::db::{self, Pool};
use crate::jobs::{Job, JobContext, JobError, JobKind};
use crate::mail::{Letter, Mailer};
use crate::notify::notifications::Delivery;
use crate::notify::NotifyError;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Reason {
    Subscribed,
    Reply,
    Mention,
}

impl Reason {
    fn as_str(self) -> &'static str {
        match self {
            Reason::Subscribed => "subscribed",
            Reason::Reply => "reply",
            Reason::Mention => "mention",
        }
    }
}

/// What the fan-out needs to know about the new post, in one query.
#[derive(Queryable)]
struct PostFacts {
    topic_id: i64,
    author_id: i64,
    parent_id: Option<i64>,
    body: String,
    post_gone: bool,
    posted_at: DateTime<Utc>,
    title: String,
    topic_gone: bool,
    board_id: i64,
    actor: String,
    actor_role: crate::fields::Role,
}

#[derive(Queryable)]
struct Recipient {
    id: i64,
    email: String,
    verified: Option<DateTime<Utc>>,
    locale: Option<String>,
    notify_reply: String,
    notify_mention: String,
    notify_subscribed: String,
}

pub async fn post_created(
    pool: &Pool,
    mailer: &Mailer,
    post_id: i64,
    now: DateTime<Utc>,
) -> Result<(), NotifyError> {
    let mut conn = db::get(pool).await?;
    conn.transaction::<_, NotifyError, _>(async |conn| {
        let row: Option<PostFacts> = posts::table
            .inner_join(topics::table)
            .inner_join(users::table)
            .filter(posts::id.eq(post_id))
            .select((
                posts::topic_id,
                posts::author_id,
                posts::parent_id,
                posts::body_md,
                posts::hidden_at
                    .is_not_null()
                    .or(posts::deleted_at.is_not_null()),
                posts::created_at,
                topics::title,
                topics::hidden_at
                    .is_not_null()
                    .or(topics::deleted_at.is_not_null()),
                topics::board_id,
                users::username,
                users::role,
            ))
            .first(conn)
            .await
            .optional()?;
        // Gone or hidden by now: nobody is told.
        let Some(PostFacts {
            topic_id,
            author_id,
            parent_id,
            body,
            post_gone,
            posted_at,
            title,
            topic_gone,
            board_id,
            actor,
            actor_role,
        }) = row
        else {
            return Ok(());
        };
        if post_gone || topic_gone {
            return Ok(());
        }
        let mut reasons: BTreeMap<i64, Reason> = BTreeMap::new();
        // Only those subscribed when the post was written hear about it.
        for s in subscriptions::subscribers(conn, topic_id, posted_at).await? {
            reasons.insert(s, Reason::Subscribed);
        }
        if let Some(pid) = parent_id {
            let parent_author: i64 = posts::table
                .find(pid)
                .select(posts::author_id)
                .first(conn)
                .await?;
            reasons.insert(parent_author, Reason::Reply);
        }
        let keys = crate::content::mention_candidates(&body);
        if !keys.is_empty() {
            let mentioned: Vec<i64> = users::table
                .filter(users::username_key.eq_any(&keys))
                .select(users::id)
                .load(conn)
                .await?;
            for m in mentioned {
                reasons.insert(m, Reason::Mention);
            }
        }
        reasons.remove(&author_id);
        // On a board not everyone may read, only those who may read it hear about the post
        // (a mention by name does not open the board).
        if !crate::access::Reader::load(conn, None)
            .await?
            .reads_board(board_id)
        {
            let ids: Vec<i64> = reasons.keys().copied().collect();
            let readers = crate::access::Reader::of_users(conn, &ids).await?;
            reasons.retain(|id, _| readers.get(id).is_some_and(|r| r.reads_board(board_id)));
        }
        if reasons.is_empty() {
            return Ok(());
        }
        let ids: Vec<i64> = reasons.keys().copied().collect();
        let recipients: Vec<Recipient> = users::table
            .filter(users::id.eq_any(&ids))
            .select((
                users::id,
                users::email,
                users::email_verified_at,
                users::locale,
                users::notify_reply,
                users::notify_mention,
                users::notify_subscribed,
            ))
            .load(conn)
            .await?;
        let excerpt = crate::content::excerpt(&body, 300);
        let official = super::official::is_official(actor_role);
        let team = super::official::teams_of(conn, topic_id, &[(author_id, actor_role)])
            .await?
            .remove(&author_id);
        let link = format!("{}/t/{topic_id}#p{post_id}", mailer.base_url());
        for r in recipients {
            let reason = reasons[&r.id];
            let pref = match reason {
                Reason::Reply => &r.notify_reply,
                Reason::Mention => &r.notify_mention,
                Reason::Subscribed => &r.notify_subscribed,
            };
            let delivery = Delivery::parse(pref, "pref").unwrap_or(Delivery::InApp);
            if delivery == Delivery::Off {
                continue;
            }
            let inserted = diesel::insert_into(notifications::table)
                .values((
                    notifications::user_id.eq(r.id),
                    notifications::kind.eq(reason.as_str()),
                    notifications::topic_id.eq(topic_id),
                    notifications::post_id.eq(post_id),
                    notifications::actor_id.eq(author_id),
                    notifications::created_at.eq(now),
                ))
                .on_conflict_do_nothing()
                .execute(conn)
                .await?;
            // Mail only to addresses their owner proved.
            if inserted == 1 && delivery == Delivery::Mail && r.verified.is_some() {
                let locale = r
                    .locale
                    .as_deref()
                    .and_then(Locale::parse)
                    .unwrap_or(Locale::ZhCn);
                mailer
                    .enqueue(
                        conn,
                        Letter {
                            event_key: format!("post:{post_id}"),
                            user_id: Some(r.id),
                            to: &r.email,
                            locale,
                            template: "notify_post",
                            subject_args: &[("actor", &actor), ("title", &title)],
                            ctx: minijinja::context! {
                                reason => reason.as_str(), actor => &actor, title => &title,
                                excerpt => &excerpt, link => &link, official => official,
                                team => team.as_ref().map(|t| t.name(locale)),
                            },
                            post_id: Some(post_id),
                        },
                        now,
                    )
                    .await?;
            }
        }
        Ok(())
    })
    .await
}

/// Tells the people concerned about a new post (replies, mentions, subscriptions).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PostCreated {
    pub post_id: i64,
}

impl Job for PostCreated {
    const KIND: JobKind = JobKind::PostCreated;

    async fn run(self, ctx: &JobContext, now: DateTime<Utc>) -> Result<(), JobError> {
        Ok(post_created(&ctx.pool, &ctx.mailer, self.post_id, now).await?)
    }
}
