//! The official mark on what staff and product-team members write: "官方 · 相机团队" /
//! "Official · Camera team". The team is the one the topic is routed to when the author is on
//! it, else the author's first team. (Team membership is triage's; its tables are read here so
//! that the thread, the mail and the API share one answer without forum importing triage.)

use crate::db::schema::{team_members, teams};
use crate::db::Conn;
use crate::fields::Role;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::Serialize;
use std::collections::HashMap;

/// The team named in an official mark.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct TeamMark {
    pub slug: String,
    pub name_zh: String,
    pub name_en: String,
}

impl TeamMark {
    pub fn name(&self, locale: crate::fields::Locale) -> &str {
        match locale {
            crate::fields::Locale::ZhCn => &self.name_zh,
            crate::fields::Locale::En => &self.name_en,
        }
    }
}

/// Whose writing carries the mark.
pub fn is_official(role: Role) -> bool {
    matches!(role, Role::TeamMember | Role::Moderator | Role::Admin)
}

/// The team mark of each official author among `authors`, for a post in `topic_id`; one query.
pub async fn teams_of(
    conn: &mut Conn,
    topic_id: i64,
    authors: &[(i64, Role)],
) -> QueryResult<HashMap<i64, TeamMark>> {
    let ids: Vec<i64> = authors
        .iter()
        .filter(|(_, role)| is_official(*role))
        .map(|(id, _)| *id)
        .collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let routed = super::topics::routed_team(conn, topic_id).await?;
    let rows: Vec<(i64, i64, String, String, String)> = team_members::table
        .inner_join(teams::table)
        .filter(team_members::user_id.eq_any(&ids))
        .order((team_members::user_id, teams::id))
        .select((
            team_members::user_id,
            teams::id,
            teams::slug,
            teams::name_zh,
            teams::name_en,
        ))
        .load(conn)
        .await?;
    let mut out: HashMap<i64, TeamMark> = HashMap::new();
    for (user, team, slug, name_zh, name_en) in rows {
        let mark = TeamMark {
            slug,
            name_zh,
            name_en,
        };
        if Some(team) == routed || !out.contains_key(&user) {
            out.insert(user, mark);
        }
    }
    Ok(out)
}
