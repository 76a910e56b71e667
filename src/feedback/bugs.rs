//! Structured bug reports: the fields a team needs to reproduce a problem.

use crate::accounts::FieldError;
use crate::db::schema::{bug_reports, products};
use crate::db::Conn;
use crate::fields::{Reproducibility, Severity};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::{Deserialize, Serialize};

/// The `bug` object of API.md, as sent.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BugInput {
    /// A product slug (`GET /products`).
    #[serde(default)]
    #[schema(min_length = 1, max_length = 64)]
    pub product: String,
    #[serde(default)]
    #[schema(min_length = 1, max_length = 80)]
    pub os_version: String,
    #[schema(max_length = 80)]
    pub app_version: Option<String>,
    #[serde(default)]
    #[schema(value_type = Reproducibility, inline)]
    pub reproducibility: String,
    #[serde(default)]
    #[schema(value_type = Severity, inline)]
    pub severity: String,
    #[schema(max_length = 10000)]
    pub steps: Option<String>,
    #[schema(max_length = 5000)]
    pub expected: Option<String>,
    #[schema(max_length = 5000)]
    pub actual: Option<String>,
}

/// A bug report that passed every check (the product is resolved when the topic is written).
#[derive(Debug, Clone)]
pub struct BugFields {
    pub product: String,
    pub os_version: String,
    pub app_version: Option<String>,
    pub reproducibility: Reproducibility,
    pub severity: Severity,
    pub steps: String,
    pub expected: String,
    pub actual: String,
}

fn text(
    raw: Option<&str>,
    field: &'static str,
    max: usize,
    errors: &mut Vec<FieldError>,
) -> String {
    let v: String = raw
        .unwrap_or("")
        .replace("\r\n", "\n")
        .chars()
        .filter(|c| *c != '\0')
        .collect();
    if v.chars().count() > max {
        errors.push(FieldError::new(field, "is too long"));
    }
    v.trim().to_string()
}

impl BugFields {
    /// Checks every field and names each problem (`bug.product`, `bug.os_version`, ...).
    pub fn parse(b: &BugInput) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let product = b.product.trim().to_ascii_lowercase();
        if product.is_empty() {
            errors.push(FieldError::new("bug.product", "is required"));
        }
        let os_version = text(Some(&b.os_version), "bug.os_version", 80, &mut errors);
        if os_version.is_empty() {
            errors.push(FieldError::new("bug.os_version", "is required"));
        }
        let app_version = Some(text(
            b.app_version.as_deref(),
            "bug.app_version",
            80,
            &mut errors,
        ))
        .filter(|v| !v.is_empty());
        let reproducibility = Reproducibility::from_text(&b.reproducibility);
        if reproducibility.is_none() {
            errors.push(FieldError::new(
                "bug.reproducibility",
                "must be always, often, rarely or once",
            ));
        }
        let severity = Severity::from_text(&b.severity);
        if severity.is_none() {
            errors.push(FieldError::new(
                "bug.severity",
                "must be crash, major, minor or cosmetic",
            ));
        }
        let steps = text(b.steps.as_deref(), "bug.steps", 10_000, &mut errors);
        let expected = text(b.expected.as_deref(), "bug.expected", 5_000, &mut errors);
        let actual = text(b.actual.as_deref(), "bug.actual", 5_000, &mut errors);
        let (Some(reproducibility), Some(severity), true) =
            (reproducibility, severity, errors.is_empty())
        else {
            return Err(errors);
        };
        Ok(BugFields {
            product,
            os_version,
            app_version,
            reproducibility,
            severity,
            steps,
            expected,
            actual,
        })
    }
}

#[derive(Debug, Clone, Serialize, Queryable, utoipa::ToSchema)]
pub struct BugView {
    pub product: String,
    pub product_name_zh: String,
    pub product_name_en: String,
    pub os_version: String,
    pub app_version: Option<String>,
    pub reproducibility: String,
    pub severity: String,
    pub steps: String,
    pub expected: String,
    pub actual: String,
}

/// The product a new topic is filed against: a bug names it in its fields, an idea may name
/// one. The outer error is the database's, the inner one names the field.
pub async fn product_for(
    conn: &mut Conn,
    is_bug: bool,
    bug: Option<&BugFields>,
    product: Option<&str>,
) -> QueryResult<Result<Option<i64>, FieldError>> {
    let (slug, field) = match bug {
        Some(b) => (Some(b.product.as_str()), "bug.product"),
        None => (product.filter(|p| !p.is_empty()), "product"),
    };
    let Some(slug) = slug else {
        return Ok(Ok(None));
    };
    debug_assert!(
        is_bug == bug.is_some(),
        "NewTopic::parse pairs bug fields with bugs"
    );
    Ok(super::products::by_slug(conn, slug)
        .await?
        .map(|p| Some(p.id))
        .ok_or_else(|| FieldError::new(field, "no such product")))
}

pub async fn insert(
    conn: &mut Conn,
    topic_id: i64,
    product_id: i64,
    b: &BugFields,
) -> QueryResult<()> {
    diesel::insert_into(bug_reports::table)
        .values((
            bug_reports::topic_id.eq(topic_id),
            bug_reports::product_id.eq(product_id),
            bug_reports::os_version.eq(&b.os_version),
            bug_reports::app_version.eq(&b.app_version),
            bug_reports::reproducibility.eq(b.reproducibility),
            bug_reports::severity.eq(b.severity),
            bug_reports::steps.eq(&b.steps),
            bug_reports::expected.eq(&b.expected),
            bug_reports::actual.eq(&b.actual),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn for_topic(conn: &mut Conn, topic_id: i64) -> QueryResult<Option<BugView>> {
    bug_reports::table
        .inner_join(products::table)
        .filter(bug_reports::topic_id.eq(topic_id))
        .select((
            products::slug,
            products::name_zh,
            products::name_en,
            bug_reports::os_version,
            bug_reports::app_version,
            bug_reports::reproducibility,
            bug_reports::severity,
            bug_reports::steps,
            bug_reports::expected,
            bug_reports::actual,
        ))
        .first(conn)
        .await
        .optional()
}
