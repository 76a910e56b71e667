//! The product catalogue: what bug reports and ideas are about.

use crate::accounts::{FieldError, Locale};
use crate::db::schema::products;
use crate::db::Conn;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::Serialize;

pub const LINES: &[&str] = &["phone", "smart_home", "wearable", "app", "service"];

#[derive(Debug, Clone, Queryable, Selectable, Serialize, utoipa::ToSchema)]
#[diesel(table_name = products)]
pub struct Product {
    pub id: i64,
    pub slug: String,
    pub name_zh: String,
    pub name_en: String,
    pub line: String,
    pub team_id: Option<i64>,
}

impl Product {
    pub fn name(&self, locale: Locale) -> &str {
        match locale {
            Locale::ZhCn => &self.name_zh,
            Locale::En => &self.name_en,
        }
    }
}

pub struct NewProduct {
    pub slug: String,
    pub name_zh: String,
    pub name_en: String,
    pub line: String,
}

impl NewProduct {
    pub fn parse(
        slug: &str,
        name_zh: &str,
        name_en: &str,
        line: &str,
    ) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let slug = slug.trim().to_ascii_lowercase();
        if !(2..=40).contains(&slug.len())
            || slug.starts_with('-')
            || !slug
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        {
            errors.push(FieldError::new(
                "slug",
                "2–40 lowercase letters, digits or '-'",
            ));
        }
        for (field, v) in [("name_zh", name_zh), ("name_en", name_en)] {
            if v.trim().is_empty() || v.trim().chars().count() > 80 {
                errors.push(FieldError::new(field, "1–80 characters"));
            }
        }
        if !LINES.contains(&line) {
            errors.push(FieldError::new(
                "line",
                "must be phone, smart_home, wearable, app or service",
            ));
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(NewProduct {
            slug,
            name_zh: name_zh.trim().into(),
            name_en: name_en.trim().into(),
            line: line.into(),
        })
    }
}

pub async fn all(conn: &mut Conn) -> QueryResult<Vec<Product>> {
    products::table
        .order((products::line, products::slug))
        .select(Product::as_select())
        .load(conn)
        .await
}

pub async fn by_slug(conn: &mut Conn, slug: &str) -> QueryResult<Option<Product>> {
    products::table
        .filter(products::slug.eq(slug))
        .select(Product::as_select())
        .first(conn)
        .await
        .optional()
}

/// Which team a product's reports go to; false if there is no such product.
pub async fn set_team(conn: &mut Conn, slug: &str, team_id: Option<i64>) -> QueryResult<bool> {
    let n = diesel::update(products::table.filter(products::slug.eq(slug)))
        .set(products::team_id.eq(team_id))
        .execute(conn)
        .await?;
    Ok(n > 0)
}

pub async fn upsert(conn: &mut Conn, p: &NewProduct, now: DateTime<Utc>) -> QueryResult<Product> {
    let values = (
        products::slug.eq(&p.slug),
        products::name_zh.eq(&p.name_zh),
        products::name_en.eq(&p.name_en),
        products::line.eq(&p.line),
    );
    diesel::insert_into(products::table)
        .values((values, products::created_at.eq(now)))
        .on_conflict(products::slug)
        .do_update()
        .set(values)
        .returning(Product::as_returning())
        .get_result(conn)
        .await
}
