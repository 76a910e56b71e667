//! Where a bug or idea goes: the first matching rule, else its product's owning team, else the
//! unrouted inbox. Run in the transaction of every create, edit, move and merge; a manual
//! reroute by staff is never overridden.

use super::rules::{self, Rule};
use crate::db::schema::{boards, posts, products, topics};
use crate::db::Conn;
use crate::fields::Kind;
use crate::search::analyzer::{tokens, BIGRAMS, WORDS};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use std::collections::HashSet;

/// What a rule looks at, normalised once.
pub struct Item {
    pub board: String,
    pub product: Option<String>,
    pub product_line: Option<String>,
    pub kind: String,
    pub tags: Vec<String>,
    words: HashSet<String>,
    bigrams: HashSet<String>,
}

impl Item {
    pub fn new(
        board: &str,
        product: Option<&str>,
        product_line: Option<&str>,
        kind: &str,
        tags: &[String],
        text: &str,
    ) -> Item {
        Item {
            board: board.to_string(),
            product: product.map(str::to_string),
            product_line: product_line.map(str::to_string),
            kind: kind.to_string(),
            tags: tags.iter().map(|t| t.to_lowercase()).collect(),
            words: tokens(WORDS, text).into_iter().collect(),
            bigrams: tokens(BIGRAMS, text).into_iter().collect(),
        }
    }

    /// A keyword matches after the same analysis search uses: all its words, or (for Chinese
    /// that segments differently in context) all its character bigrams.
    fn has_keyword(&self, keyword: &str) -> bool {
        let w = tokens(WORDS, keyword);
        let b = tokens(BIGRAMS, keyword);
        (!w.is_empty() && w.iter().all(|t| self.words.contains(t)))
            || (!b.is_empty() && b.iter().all(|t| self.bigrams.contains(t)))
    }
}

pub fn matches(rule: &Rule, item: &Item) -> bool {
    let eq = |cond: &Option<String>, v: Option<&str>| cond.as_deref().is_none_or(|c| Some(c) == v);
    eq(&rule.board, Some(&item.board))
        && eq(&rule.product, item.product.as_deref())
        && eq(&rule.product_line, item.product_line.as_deref())
        && eq(&rule.kind, Some(&item.kind))
        && rule
            .tags
            .iter()
            .all(|t| item.tags.contains(&t.to_lowercase()))
        && (rule.keywords.is_empty() || rule.keywords.iter().any(|k| item.has_keyword(k)))
}

/// The first matching rule, if any.
pub fn first_match<'a>(rules: &'a [Rule], item: &Item) -> Option<&'a Rule> {
    rules.iter().find(|r| matches(r, item))
}

/// Routes one topic now; returns its team (None: unrouted). Discussions are not triaged.
pub async fn route(
    conn: &mut Conn,
    topic_id: i64,
    now: chrono::DateTime<chrono::Utc>,
) -> QueryResult<Option<i64>> {
    type Row = (
        Kind,
        Vec<String>,
        String,
        Option<String>,
        Option<i64>,
        String,
        Option<String>,
        Option<String>,
        Option<i64>,
    );
    let (kind, tags, title, routed_by, team_id, board, product, line, product_team): Row =
        topics::table
            .inner_join(boards::table)
            .left_join(products::table)
            .filter(topics::id.eq(topic_id))
            .select((
                topics::kind,
                topics::tags,
                topics::title,
                topics::routed_by,
                topics::team_id,
                boards::slug,
                products::slug.nullable(),
                products::line.nullable(),
                products::team_id.nullable(),
            ))
            .first(conn)
            .await?;
    if !kind.is_feedback() {
        return Ok(team_id);
    }
    if routed_by.as_deref() == Some("manual") {
        super::priority::refresh(conn, Some(topic_id), now).await?;
        return Ok(team_id);
    }
    let body: String = posts::table
        .filter(posts::topic_id.eq(topic_id))
        .filter(posts::depth.eq(0))
        .select(posts::body_md)
        .first(conn)
        .await?;
    let item = Item::new(
        &board,
        product.as_deref(),
        line.as_deref(),
        kind.as_str(),
        &tags,
        &format!("{title}\n{body}"),
    );
    // A beta programme's board is closed to every team but its product's, so its reports go
    // there whatever the rules say: routed anywhere else, nobody on the team could read them.
    let programme_team: Option<Option<i64>> = {
        use crate::db::schema::programmes;
        programmes::table
            .inner_join(products::table)
            .inner_join(boards::table)
            .filter(boards::slug.eq(&board))
            .select(products::team_id)
            .first(conn)
            .await
            .optional()?
    };
    let rules = rules::all(conn).await?;
    let (team, by) = match first_match(&rules, &item) {
        _ if programme_team.flatten().is_some() => {
            (programme_team.flatten(), Some("programme".to_string()))
        }
        Some(r) => (Some(r.team_id), Some(format!("rule:{}", r.id))),
        None => match product_team {
            Some(t) => (Some(t), Some("product".to_string())),
            None => (None, None),
        },
    };
    diesel::update(topics::table.find(topic_id))
        .set((topics::team_id.eq(team), topics::routed_by.eq(by)))
        .execute(conn)
        .await?;
    if team != team_id {
        // The index holds the team, for searches inside a team's queue.
        crate::search::outbox::push(conn, topic_id, None).await?;
        if team.is_some() {
            super::webhooks::queue_event(conn, topic_id, "routed", now).await?;
        }
    }
    // The team decides the SLA, which the priority uses.
    super::priority::refresh(conn, Some(topic_id), now).await?;
    Ok(team)
}

/// Staff send an item to a team by hand; later edits keep it there. The move is written to the
/// audit log (who, from which team, to which).
pub async fn reroute(
    conn: &mut Conn,
    actor_id: i64,
    topic_id: i64,
    team_id: i64,
    now: chrono::DateTime<chrono::Utc>,
) -> QueryResult<usize> {
    let before: Option<Option<i64>> = topics::table
        .find(topic_id)
        .select(topics::team_id)
        .first(conn)
        .await
        .optional()?;
    let n = diesel::update(
        topics::table
            .find(topic_id)
            .filter(topics::kind.eq_any(["bug", "idea"])),
    )
    .set((topics::team_id.eq(team_id), topics::routed_by.eq("manual")))
    .execute(conn)
    .await?;
    if n > 0 {
        if before.flatten() != Some(team_id) {
            crate::search::outbox::push(conn, topic_id, None).await?;
        }
        super::webhooks::queue_event(conn, topic_id, "routed", now).await?;
        crate::audit::record(
            conn,
            crate::audit::Entry {
                actor_id: Some(actor_id),
                action: "reroute",
                topic_id: Some(topic_id),
                before: Some(serde_json::json!({ "team_id": before.flatten() })),
                after: Some(serde_json::json!({ "team_id": team_id })),
                ..Default::default()
            },
            now,
        )
        .await?;
    }
    super::priority::refresh(conn, Some(topic_id), now).await?;
    Ok(n)
}

/// Where an item would go, for the rule editor's test box.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub enum Outcome {
    /// The rule at this 1-based position, to this team slug.
    Rule(usize, String),
    /// No rule matched: the product's owning team.
    Product(String),
    Unrouted,
}

/// Routes a made-up item through the saved rules and the product's team, writing nothing.
pub async fn explain(
    conn: &mut Conn,
    board: &str,
    product: Option<&str>,
    kind: &str,
    text: &str,
) -> QueryResult<Outcome> {
    let all = rules::all(conn).await?;
    let (line, product_team): (Option<String>, Option<String>) = match product {
        Some(slug) => products::table
            .left_join(
                crate::db::schema::teams::table
                    .on(products::team_id.eq(crate::db::schema::teams::id.nullable())),
            )
            .filter(products::slug.eq(slug))
            .select((products::line, crate::db::schema::teams::slug.nullable()))
            .first::<(String, Option<String>)>(conn)
            .await
            .optional()?
            .map(|(l, t)| (Some(l), t))
            .unwrap_or((None, None)),
        None => (None, None),
    };
    let item = Item::new(board, product, line.as_deref(), kind, &[], text);
    if let Some(pos) = all.iter().position(|r| matches(r, &item)) {
        return Ok(Outcome::Rule(pos + 1, all[pos].team.clone()));
    }
    Ok(match product_team {
        Some(t) => Outcome::Product(t),
        None => Outcome::Unrouted,
    })
}
