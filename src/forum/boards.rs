//! Boards: admin-managed sections, each allowing some topic kinds.

use super::fields::Kind;
use super::ForumError;
use crate::access::{BoardRule, PostRule, ReadRule, Reader};
use crate::accounts::{FieldError, Locale};
use crate::db::schema::boards;
use crate::db::Conn;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::Serialize;

#[derive(Debug, Clone, Queryable, Selectable, Serialize, utoipa::ToSchema)]
#[diesel(table_name = boards)]
pub struct Board {
    pub id: i64,
    pub slug: String,
    pub name_zh: String,
    pub name_en: String,
    pub description_zh: String,
    pub description_en: String,
    pub kinds: Vec<Kind>,
    pub position: i32,
    pub product_line: Option<String>,
    pub read_rule: ReadRule,
    pub post_rule: PostRule,
}

impl Board {
    pub fn name(&self, locale: Locale) -> &str {
        match locale {
            Locale::ZhCn => &self.name_zh,
            Locale::En => &self.name_en,
        }
    }
    pub fn description(&self, locale: Locale) -> &str {
        match locale {
            Locale::ZhCn => &self.description_zh,
            Locale::En => &self.description_en,
        }
    }
    pub fn allows(&self, kind: Kind) -> bool {
        self.kinds.contains(&kind)
    }
}

pub struct NewBoard {
    pub slug: String,
    pub name_zh: String,
    pub name_en: String,
    pub description_zh: String,
    pub description_en: String,
    pub kinds: Vec<Kind>,
    pub position: i32,
    pub product_line: Option<String>,
}

impl NewBoard {
    /// Checks every field and reports all problems at once.
    #[allow(clippy::too_many_arguments)]
    pub fn parse(
        slug: &str,
        name_zh: &str,
        name_en: &str,
        description_zh: &str,
        description_en: &str,
        kinds: &[String],
        position: i32,
        product_line: Option<&str>,
    ) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let slug = slug.trim().to_ascii_lowercase();
        let slug_ok = (2..=40).contains(&slug.len())
            && slug
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && !slug.starts_with('-');
        if !slug_ok {
            errors.push(FieldError::new(
                "slug",
                "2–40 lowercase letters, digits or '-'",
            ));
        }
        let name = |field: &'static str, v: &str, errors: &mut Vec<FieldError>| {
            let v = v.trim();
            if v.is_empty() || v.chars().count() > 60 {
                errors.push(FieldError::new(field, "1–60 characters"));
            }
            v.to_string()
        };
        let name_zh = name("name_zh", name_zh, &mut errors);
        let name_en = name("name_en", name_en, &mut errors);
        let desc = |field: &'static str, v: &str, errors: &mut Vec<FieldError>| {
            if v.chars().count() > 500 {
                errors.push(FieldError::new(field, "at most 500 characters"));
            }
            v.trim().to_string()
        };
        let description_zh = desc("description_zh", description_zh, &mut errors);
        let description_en = desc("description_en", description_en, &mut errors);
        let mut parsed = Vec::new();
        for k in kinds {
            match Kind::parse(k) {
                Ok(k) if !parsed.contains(&k) => parsed.push(k),
                Ok(_) => {}
                Err(_) => errors.push(FieldError::new(
                    "kinds",
                    "each kind is discussion, bug or idea",
                )),
            }
        }
        if parsed.is_empty() {
            errors.push(FieldError::new("kinds", "allow at least one kind"));
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(NewBoard {
            slug,
            name_zh,
            name_en,
            description_zh,
            description_en,
            kinds: parsed,
            position,
            product_line: product_line.map(str::to_string).filter(|p| !p.is_empty()),
        })
    }
}

/// Every board, for admins and the demo (people see `readable`).
pub async fn all(conn: &mut Conn) -> QueryResult<Vec<Board>> {
    boards::table
        .order((boards::position, boards::id))
        .select(Board::as_select())
        .load(conn)
        .await
}

/// The boards `reader` may read, in order: a board closed to them is not listed at all.
pub async fn readable(conn: &mut Conn, reader: &Reader) -> QueryResult<Vec<Board>> {
    boards::table
        .filter(boards::id.ne_all(reader.closed_board_ids()))
        .order((boards::position, boards::id))
        .select(Board::as_select())
        .load(conn)
        .await
}

/// A board by slug, if `reader` may read it (None for a missing one and a closed one alike).
pub async fn by_slug(conn: &mut Conn, slug: &str, reader: &Reader) -> QueryResult<Option<Board>> {
    Ok(any_by_slug(conn, slug)
        .await?
        .filter(|b| reader.reads_board(b.id)))
}

/// A board by slug whoever may read it: admin pages.
pub async fn any_by_slug(conn: &mut Conn, slug: &str) -> QueryResult<Option<Board>> {
    boards::table
        .filter(boards::slug.eq(slug))
        .select(Board::as_select())
        .first(conn)
        .await
        .optional()
}

/// Creates a board, or updates the one with the same slug.
pub async fn upsert(
    conn: &mut Conn,
    b: &NewBoard,
    now: DateTime<Utc>,
) -> Result<Board, ForumError> {
    let kinds: Vec<&str> = b.kinds.iter().map(|k| k.as_str()).collect();
    let values = (
        boards::slug.eq(&b.slug),
        boards::name_zh.eq(&b.name_zh),
        boards::name_en.eq(&b.name_en),
        boards::description_zh.eq(&b.description_zh),
        boards::description_en.eq(&b.description_en),
        boards::kinds.eq(&kinds),
        boards::position.eq(b.position),
        boards::product_line.eq(&b.product_line),
    );
    Ok(diesel::insert_into(boards::table)
        .values((values, boards::created_at.eq(now)))
        .on_conflict(boards::slug)
        .do_update()
        .set(values)
        .returning(Board::as_returning())
        .get_result(conn)
        .await?)
}

/// A board's read and post rules as an admin sets them: one list of groups serves whichever
/// rule is `groups`.
#[derive(Debug, Clone, PartialEq)]
pub struct AccessInput {
    pub read: ReadRule,
    pub post: PostRule,
    pub groups: Vec<String>,
    pub min_level_read: i16,
    pub min_level_post: i16,
}

impl AccessInput {
    /// Checks every field and reports all problems at once (group names are checked against
    /// the database by `set_access`).
    pub fn parse(
        read: &str,
        post: &str,
        groups: &[String],
        min_level_read: Option<i16>,
        min_level_post: Option<i16>,
    ) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let read_rule = ReadRule::from_text(read);
        if read_rule.is_none() {
            errors.push(FieldError::new(
                "read",
                "must be public, signed_in, groups or staff",
            ));
        }
        let post_rule = PostRule::from_text(post);
        if post_rule.is_none() {
            errors.push(FieldError::new(
                "post",
                "must be signed_in, groups or staff",
            ));
        }
        let mut list: Vec<String> = Vec::new();
        for g in groups {
            let g = g.trim().to_ascii_lowercase();
            if g.is_empty() || g.len() > 60 {
                errors.push(FieldError::new("groups", "each group is 1–60 characters"));
            } else if !list.contains(&g) {
                list.push(g);
            }
        }
        if list.len() > 20 {
            errors.push(FieldError::new("groups", "at most 20 groups"));
        }
        let uses_groups =
            read_rule == Some(ReadRule::Groups) || post_rule == Some(PostRule::Groups);
        if uses_groups && list.is_empty() {
            errors.push(FieldError::new(
                "groups",
                "name at least one group for a groups rule",
            ));
        }
        if !uses_groups && !list.is_empty() {
            errors.push(FieldError::new("groups", "only a groups rule takes groups"));
        }
        let level = |field: &'static str, v: Option<i16>, errors: &mut Vec<FieldError>| {
            let v = v.unwrap_or(0);
            if !(0..=10).contains(&v) {
                errors.push(FieldError::new(field, "a level from 0 (none) to 10"));
            }
            v
        };
        let min_level_read = level("min_level_read", min_level_read, &mut errors);
        let min_level_post = level("min_level_post", min_level_post, &mut errors);
        match (read_rule, post_rule) {
            (Some(read), Some(post)) if errors.is_empty() => Ok(AccessInput {
                read,
                post,
                groups: list,
                min_level_read,
                min_level_post,
            }),
            _ => Err(errors),
        }
    }
}

/// Sets a board's rules and records the change, before and after, in the moderation log; None
/// when there is no such board. Every group must exist. In the caller's transaction.
pub async fn set_access(
    conn: &mut Conn,
    actor_id: i64,
    slug: &str,
    a: &AccessInput,
    now: DateTime<Utc>,
) -> Result<Option<BoardRule>, ForumError> {
    let Some(before) = rule_of(conn, slug).await? else {
        return Ok(None);
    };
    let unknown = crate::access::unknown_groups(conn, &a.groups).await?;
    if !unknown.is_empty() {
        return Err(ForumError::Invalid(vec![FieldError::new(
            "groups",
            format!("no such group: {}", unknown.join(", ")),
        )]));
    }
    let for_rule = |on: bool| if on { a.groups.clone() } else { Vec::new() };
    let after = diesel::update(boards::table.filter(boards::slug.eq(slug)))
        .set((
            boards::read_rule.eq(a.read),
            boards::post_rule.eq(a.post),
            boards::read_groups.eq(for_rule(a.read == ReadRule::Groups)),
            boards::post_groups.eq(for_rule(a.post == PostRule::Groups)),
            boards::min_level_read.eq(a.min_level_read),
            boards::min_level_post.eq(a.min_level_post),
        ))
        .returning(BoardRule::as_returning())
        .get_result(conn)
        .await?;
    let json = |r: &BoardRule| serde_json::to_value(r).unwrap_or_default();
    crate::audit::record(
        conn,
        crate::audit::Entry {
            actor_id: Some(actor_id),
            action: "board_access",
            before: Some(json(&before)),
            after: Some(json(&after)),
            ..Default::default()
        },
        now,
    )
    .await?;
    Ok(Some(after))
}

/// A board's rules, whoever may read it (admin pages).
pub async fn rule_of(conn: &mut Conn, slug: &str) -> QueryResult<Option<BoardRule>> {
    boards::table
        .filter(boards::slug.eq(slug))
        .select(BoardRule::as_select())
        .first(conn)
        .await
        .optional()
}
