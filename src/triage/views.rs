//! The queue's filters as a URL or a saved view holds them, the built-in views everyone has,
//! a person's own saved views, and turning filters into a [`queue::Filter`] for one viewer.

use super::queue::{self, Sort};
use super::{teams, TriageError};
use crate::access::Reader;
use crate::accounts::{FieldError, User};
use crate::db::schema::{products, triage_views};
use crate::db::Conn;
use crate::fields::{Kind, Severity};
use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::{Deserialize, Deserializer, Serialize};

/// What the queue shows, every field as text (empty: any), so the same value is a query string,
/// a form and a saved view. `team`: empty (a team member's own teams, everyone's for staff),
/// `mine`, `all` or a slug; `assignee`: `me` or a username; `band`: `P0`–`P3`; `days`: created
/// in the last so many days.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
#[schema(as = TriageFilters)]
pub struct Filters {
    /// Words to search for, read as site search reads them.
    #[serde(skip_serializing_if = "String::is_empty")]
    #[schema(max_length = 200)]
    pub q: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    #[schema(value_type = Option<Sort>)]
    pub sort: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    #[schema(max_length = 64)]
    pub team: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    #[schema(value_type = Option<crate::fields::Status>)]
    pub status: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    #[schema(value_type = Option<Kind>)]
    pub kind: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    #[schema(max_length = 64)]
    pub product: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    #[schema(value_type = Option<Severity>)]
    pub severity: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    #[schema(pattern = "^(P[0-3])?$")]
    pub band: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    #[schema(max_length = 64)]
    pub assignee: String,
    /// Only items past their first-response deadline.
    #[serde(deserialize_with = "flag", skip_serializing_if = "std::ops::Not::not")]
    pub overdue: bool,
    #[serde(
        deserialize_with = "optional_number",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(minimum = 1, maximum = 365)]
    pub days: Option<i64>,
}

/// `true`/`false` in JSON; `1`, `true`, `on` (or empty, `0`, `false`) in a query string.
fn flag<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum F {
        B(bool),
        S(String),
    }
    match F::deserialize(d)? {
        F::B(b) => Ok(b),
        F::S(s) => match s.as_str() {
            "1" | "true" | "on" => Ok(true),
            "" | "0" | "false" | "off" => Ok(false),
            _ => Err(serde::de::Error::custom("expected true or false")),
        },
    }
}

/// A number in JSON, or its text in a query string (empty: none).
fn optional_number<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum N {
        I(i64),
        S(String),
    }
    match Option::<N>::deserialize(d)? {
        None => Ok(None),
        Some(N::I(n)) => Ok(Some(n)),
        Some(N::S(s)) if s.trim().is_empty() => Ok(None),
        Some(N::S(s)) => s
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| serde::de::Error::custom("expected a number")),
    }
}

impl Filters {
    /// Every field's name: a saved view's JSON may hold nothing else.
    pub const FIELDS: &'static [&'static str] = &[
        "q", "sort", "team", "status", "kind", "product", "severity", "band", "assignee",
        "overdue", "days",
    ];

    /// Reads filters from JSON, refusing names it does not know (a typo would widen a view).
    pub fn from_json(v: serde_json::Value) -> Result<Filters, TriageError> {
        if let Some(bad) = v
            .as_object()
            .and_then(|m| m.keys().find(|k| !Self::FIELDS.contains(&k.as_str())))
        {
            return Err(FieldError::new("filters", format!("unknown filter {bad}")).into());
        }
        serde_json::from_value(v).map_err(|e| FieldError::new("filters", format!("{e}")).into())
    }

    /// The filters as a query string (without a leading `?`), in a fixed order.
    pub fn to_query(&self) -> String {
        serde_urlencoded::to_string(self).unwrap_or_default()
    }

    /// `over` wins wherever it says something (a view with a search typed on top).
    pub fn overlay(mut self, over: &Filters) -> Filters {
        let pick = |base: &mut String, top: &String| {
            if !top.is_empty() {
                base.clone_from(top);
            }
        };
        pick(&mut self.q, &over.q);
        pick(&mut self.sort, &over.sort);
        pick(&mut self.team, &over.team);
        pick(&mut self.status, &over.status);
        pick(&mut self.kind, &over.kind);
        pick(&mut self.product, &over.product);
        pick(&mut self.severity, &over.severity);
        pick(&mut self.band, &over.band);
        pick(&mut self.assignee, &over.assignee);
        self.overdue |= over.overdue;
        if over.days.is_some() {
            self.days = over.days;
        }
        self
    }
}

/// A view in the list: a built-in one (`id` is its name, such as `mine`) or a saved one (`id` is
/// a number).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = TriageView)]
pub struct View {
    pub id: String,
    pub name: String,
    pub builtin: bool,
    pub filters: Filters,
}

/// The views everyone has, in the order shown: (id, filters). Their names are interface
/// strings (`triage.view.<id>`).
pub fn builtin() -> Vec<(&'static str, Filters)> {
    vec![
        (
            "mine",
            Filters {
                assignee: "me".into(),
                team: "all".into(),
                ..Default::default()
            },
        ),
        (
            "team-new",
            Filters {
                team: "mine".into(),
                status: "new".into(),
                ..Default::default()
            },
        ),
        (
            "crashes-week",
            Filters {
                kind: "bug".into(),
                severity: "crash".into(),
                days: Some(7),
                ..Default::default()
            },
        ),
        (
            "waiting",
            Filters {
                status: "needs_info".into(),
                ..Default::default()
            },
        ),
        (
            "overdue",
            Filters {
                overdue: true,
                ..Default::default()
            },
        ),
    ]
}

pub const MAX_SAVED: i64 = 50;

/// The built-in views (named by `name_of`) and then the person's own, oldest first.
pub async fn list(
    conn: &mut Conn,
    user_id: i64,
    name_of: impl Fn(&str) -> String,
) -> QueryResult<Vec<View>> {
    let mut out: Vec<View> = builtin()
        .into_iter()
        .map(|(id, filters)| View {
            id: id.to_string(),
            name: name_of(id),
            builtin: true,
            filters,
        })
        .collect();
    let rows: Vec<(i64, String, serde_json::Value)> = triage_views::table
        .filter(triage_views::user_id.eq(user_id))
        .order(triage_views::id)
        .select((triage_views::id, triage_views::name, triage_views::filters))
        .limit(MAX_SAVED)
        .load(conn)
        .await?;
    out.extend(rows.into_iter().map(|(id, name, filters)| View {
        id: id.to_string(),
        name,
        builtin: false,
        // Stored by `save` from checked filters; an unreadable one shows everything.
        filters: serde_json::from_value(filters).unwrap_or_default(),
    }));
    Ok(out)
}

/// The filters of view `id` (built-in or the person's own); NotFound for anyone else's.
pub async fn filters_of(conn: &mut Conn, user_id: i64, id: &str) -> Result<Filters, TriageError> {
    if let Some((_, f)) = builtin().into_iter().find(|(b, _)| *b == id) {
        return Ok(f);
    }
    let id: i64 = id.parse().map_err(|_| TriageError::NotFound)?;
    let stored: serde_json::Value = triage_views::table
        .filter(triage_views::id.eq(id))
        .filter(triage_views::user_id.eq(user_id))
        .select(triage_views::filters)
        .first(conn)
        .await
        .optional()?
        .ok_or(TriageError::NotFound)?;
    Ok(serde_json::from_value(stored).unwrap_or_default())
}

/// Saves the filters under a name of the person's own (checked as the queue would read them).
pub async fn save(
    conn: &mut Conn,
    me: &User,
    name: &str,
    filters: &Filters,
    now: DateTime<Utc>,
) -> Result<View, TriageError> {
    let name = name.trim();
    let len = name.chars().count();
    if len == 0 || len > 60 {
        return Err(FieldError::new("name", "from 1 to 60 characters").into());
    }
    if builtin().iter().any(|(id, _)| *id == name) {
        return Err(FieldError::new("name", "is the name of a built-in view").into());
    }
    check(conn, filters).await?;
    let count: i64 = triage_views::table
        .filter(triage_views::user_id.eq(me.id))
        .count()
        .get_result(conn)
        .await?;
    if count >= MAX_SAVED {
        return Err(FieldError::new("name", format!("at most {MAX_SAVED} saved views")).into());
    }
    let json = serde_json::to_value(filters).unwrap_or_default();
    let id: Option<i64> = diesel::insert_into(triage_views::table)
        .values((
            triage_views::user_id.eq(me.id),
            triage_views::name.eq(name),
            triage_views::filters.eq(&json),
            triage_views::created_at.eq(now),
        ))
        .on_conflict_do_nothing()
        .returning(triage_views::id)
        .get_result(conn)
        .await
        .optional()?;
    let id =
        id.ok_or_else(|| TriageError::Conflict(format!("You already have a view called {name}.")))?;
    Ok(View {
        id: id.to_string(),
        name: name.to_string(),
        builtin: false,
        filters: filters.clone(),
    })
}

/// Deletes one of the person's saved views; NotFound for a built-in one or anyone else's.
pub async fn delete(conn: &mut Conn, user_id: i64, id: i64) -> Result<(), TriageError> {
    let n = diesel::delete(
        triage_views::table
            .filter(triage_views::id.eq(id))
            .filter(triage_views::user_id.eq(user_id)),
    )
    .execute(conn)
    .await?;
    if n == 0 {
        return Err(TriageError::NotFound);
    }
    Ok(())
}

/// Every field on its own, so a bad one is named; nothing that needs a viewer.
fn check_fields(f: &Filters) -> Result<(Sort, Option<Severity>, Option<u8>), TriageError> {
    let mut errors = Vec::new();
    if f.q.chars().count() > 200 {
        errors.push(FieldError::new("q", "at most 200 characters"));
    }
    let sort = if f.sort.is_empty() {
        Sort::Priority
    } else {
        Sort::from_text(&f.sort).unwrap_or_else(|| {
            errors.push(FieldError::new(
                "sort",
                "priority, age, me_too, votes or activity",
            ));
            Sort::Priority
        })
    };
    if let Err(e) = queue::parse_status(&f.status) {
        errors.push(e);
    }
    if let Err(e) = queue::parse_kind(&f.kind) {
        errors.push(e);
    }
    let severity = if f.severity.is_empty() {
        None
    } else {
        let s = Severity::from_text(&f.severity);
        if s.is_none() {
            errors.push(FieldError::new(
                "severity",
                "crash, major, minor or cosmetic",
            ));
        }
        s
    };
    let band = match f.band.as_str() {
        "" => None,
        "P0" => Some(0),
        "P1" => Some(1),
        "P2" => Some(2),
        "P3" => Some(3),
        _ => {
            errors.push(FieldError::new("band", "P0, P1, P2 or P3"));
            None
        }
    };
    if f.days.is_some_and(|d| !(1..=365).contains(&d)) {
        errors.push(FieldError::new("days", "from 1 to 365"));
    }
    if errors.is_empty() {
        Ok((sort, severity, band))
    } else {
        Err(TriageError::Invalid(errors))
    }
}

/// Checks the filters' names (team, product, person) exist, as saving a view requires.
async fn check(conn: &mut Conn, f: &Filters) -> Result<(), TriageError> {
    check_fields(f)?;
    if !matches!(f.team.as_str(), "" | "mine" | "all")
        && teams::by_slug(conn, &f.team).await?.is_none()
    {
        return Err(FieldError::new("team", "no such team").into());
    }
    if !f.product.is_empty()
        && !diesel::select(diesel::dsl::exists(
            products::table.filter(products::slug.eq(&f.product)),
        ))
        .get_result::<bool>(conn)
        .await?
    {
        return Err(FieldError::new("product", "no such product").into());
    }
    if !matches!(f.assignee.as_str(), "" | "me")
        && crate::accounts::users::by_username(conn, &f.assignee)
            .await?
            .is_none()
    {
        return Err(FieldError::new("assignee", "no such user").into());
    }
    Ok(())
}

/// A search in the queue keeps this many best-matching topics.
pub const SEARCH_LIMIT: usize = 100;

/// The filters as the queue reads them for `me`; a name that does not exist is a 422 naming
/// the field. A search runs here, in the index, and comes back as ids.
pub async fn resolve(
    conn: &mut Conn,
    search: &crate::search::Search,
    me: &User,
    reader: &Reader,
    f: &Filters,
    now: DateTime<Utc>,
) -> Result<queue::Filter, TriageError> {
    let (sort, severity, band) = check_fields(f)?;
    // A team named in the filters is looked up while the index searches by its slug.
    let (mine, named) = match f.team.as_str() {
        "all" => (None, None),
        "mine" => (Some(teams::of_user_named(conn, me.id).await?), None),
        "" if !reader.staff => (Some(teams::of_user_named(conn, me.id).await?), None),
        "" => (None, None),
        slug => (None, Some(slug)),
    };
    let slugs = match (&mine, named) {
        (Some(mine), _) => Some(mine.iter().map(|(_, slug)| slug.clone()).collect()),
        (None, Some(slug)) => Some(vec![slug.to_string()]),
        (None, None) => None,
    };
    let status = queue::parse_status(&f.status)?;
    let kind = queue::parse_kind(&f.kind)?;
    let product = Some(f.product.clone()).filter(|p| !p.is_empty());
    let searching = async {
        if f.q.trim().is_empty() {
            return Ok(None);
        }
        let q = f.q.clone();
        let closed = reader.closed_board_slugs();
        let narrow = crate::search::query::Narrow {
            kind,
            status,
            product: product.clone(),
            teams: slugs,
        };
        search
            .read(move |idx| {
                crate::search::query::topics_matching(idx, &q, &narrow, &closed, SEARCH_LIMIT)
            })
            .await
            .map(Some)
    };
    let looking_up = async {
        let team = match named {
            Some(slug) => Some(
                teams::by_slug(conn, slug)
                    .await?
                    .ok_or_else(|| FieldError::new("team", "no such team"))?
                    .id,
            ),
            None => None,
        };
        let assignee = match f.assignee.as_str() {
            "" => None,
            "me" => Some(me.id),
            name => Some(
                crate::accounts::users::by_username(conn, name)
                    .await?
                    .ok_or_else(|| FieldError::new("assignee", "no such user"))?
                    .id,
            ),
        };
        Ok::<_, TriageError>((team, assignee))
    };
    let (ids, looked_up) = tokio::join!(searching, looking_up);
    let (team, assignee_id) = looked_up?;
    let ids = ids?;
    let teams = match (mine, team) {
        (Some(mine), _) => Some(mine.into_iter().map(|(id, _)| id).collect()),
        (None, Some(id)) => Some(vec![id]),
        (None, None) => None,
    };
    Ok(queue::Filter {
        teams,
        status,
        kind,
        product,
        severity,
        band,
        assignee_id,
        overdue: f.overdue,
        created_since: f.days.map(|d| now - Duration::days(d)),
        ids,
        sort,
        after: None,
        closed_boards: reader.closed_board_ids(),
    })
}
