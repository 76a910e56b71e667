//! What a profile shows: level, honor, title, medals and contribution counts.

use crate::db::schema::{honor_ledger, posts, topics, user_medals, users};
use crate::db::Conn;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::Serialize;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MedalAward {
    pub slug: String,
    pub name_zh: String,
    pub name_en: String,
    /// For Star of the Month: `<board>:<month>`.
    pub scope: String,
    pub awarded_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = ProfileCounts)]
pub struct Counts {
    pub topics: i64,
    pub posts: i64,
    pub tips_featured: i64,
    pub bugs_acknowledged: i64,
    pub ideas_adopted: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Profile {
    #[serde(skip)]
    pub id: i64,
    pub username: String,
    pub level: i16,
    pub title: Option<String>,
    pub honor: i32,
    pub medals: Vec<MedalAward>,
    pub joined_at: DateTime<Utc>,
    pub counts: Counts,
    pub role: String,
}

/// Net ledger rows per reason for one person (rows minus their `:undo` reversals), one query.
async fn net_counts(
    conn: &mut Conn,
    user_id: i64,
) -> QueryResult<std::collections::HashMap<String, i64>> {
    let rows: Vec<(String, i64)> = honor_ledger::table
        .filter(honor_ledger::user_id.eq(user_id))
        .group_by(honor_ledger::reason)
        .select((honor_ledger::reason, diesel::dsl::count_star()))
        .load(conn)
        .await?;
    let mut net = std::collections::HashMap::new();
    for (reason, n) in rows {
        match reason.strip_suffix(":undo") {
            Some(base) => *net.entry(base.to_string()).or_insert(0) -= n,
            None => *net.entry(reason).or_insert(0) += n,
        }
    }
    Ok(net)
}

/// A public profile as `reader` sees it: counts leave out boards closed to them.
pub async fn by_username(
    conn: &mut Conn,
    reader: &crate::access::Reader,
    username: &str,
) -> QueryResult<Option<Profile>> {
    if !crate::accounts::users::plausible_name(username) {
        return Ok(None);
    }
    let key = crate::accounts::Username::key_of(username);
    type Row = (i64, String, i16, Option<String>, i32, DateTime<Utc>, String);
    let found: Option<Row> = users::table
        .filter(users::username_key.eq(key))
        .select((
            users::id,
            users::username,
            users::level,
            users::title,
            users::honor,
            users::created_at,
            users::role,
        ))
        .first(conn)
        .await
        .optional()?;
    let Some((id, username, level, title, honor, joined_at, role)) = found else {
        return Ok(None);
    };
    let medals = user_medals::table
        .filter(user_medals::user_id.eq(id))
        .order(user_medals::awarded_at)
        .select((
            user_medals::medal,
            user_medals::scope,
            user_medals::awarded_at,
        ))
        .load::<(String, String, DateTime<Utc>)>(conn)
        .await?
        .into_iter()
        .map(|(slug, scope, awarded_at)| {
            let m = super::medals::by_slug(&slug);
            MedalAward {
                name_zh: m.map(|m| m.name_zh).unwrap_or(&slug).to_string(),
                name_en: m.map(|m| m.name_en).unwrap_or(&slug).to_string(),
                slug,
                scope,
                awarded_at,
            }
        })
        .collect();
    let topics_n: i64 = topics::table
        .filter(topics::author_id.eq(id))
        .filter(crate::access::topic_shown())
        .filter(reader.readable_boards())
        .count()
        .get_result(conn)
        .await?;
    let posts_n: i64 = posts::table
        .inner_join(topics::table)
        .filter(posts::author_id.eq(id))
        .filter(crate::access::post_shown())
        .filter(reader.readable_boards())
        .count()
        .get_result(conn)
        .await?;
    let net = net_counts(conn, id).await?;
    let of = |r: &str| net.get(r).copied().unwrap_or(0);
    let counts = Counts {
        topics: topics_n,
        posts: posts_n,
        tips_featured: of("tip_featured"),
        bugs_acknowledged: of("bug_acknowledged"),
        ideas_adopted: of("idea_planned"),
    };
    Ok(Some(Profile {
        id,
        username,
        level,
        title,
        honor,
        medals,
        joined_at,
        counts,
        role,
    }))
}
