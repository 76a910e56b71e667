//! Boards: admin-managed sections, each allowing some topic kinds.

use super::fields::Kind;
use super::ForumError;
use crate::access::Reader;
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
