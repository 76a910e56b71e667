//! Closed beta programmes (内测): a private board read by the programme's group (and the
//! product's team and staff), gates a fan must pass to apply, a tester quota, open and close
//! dates, and versioned terms. `applications` holds applying, review, leaving and removal.

pub mod applications;

use crate::accounts::{FieldError, Locale, User};
use crate::db::schema::{boards, groups, products, programme_applications, programmes, teams};
use crate::db::Conn;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::Serialize;

#[derive(Debug, thiserror::Error)]
pub enum ProgrammeError {
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    Conflict(String),
    /// A gate the applicant does not pass, in their language.
    #[error("{0}")]
    Gate(String),
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
    #[error(transparent)]
    Mail(#[from] crate::mail::MailError),
}

impl From<FieldError> for ProgrammeError {
    fn from(e: FieldError) -> Self {
        ProgrammeError::Invalid(vec![e])
    }
}

impl From<crate::accounts::AccountError> for ProgrammeError {
    fn from(e: crate::accounts::AccountError) -> Self {
        use crate::accounts::AccountError as A;
        match e {
            A::Invalid(f) => ProgrammeError::Invalid(f),
            A::Taken(f) => ProgrammeError::Conflict(
                f.as_slice()
                    .first()
                    .map(|f| format!("{}: {}", f.field, f.message))
                    .unwrap_or_else(|| "taken".into()),
            ),
            A::NotFound => ProgrammeError::NotFound,
            A::Db(e) => ProgrammeError::Db(e),
            other => ProgrammeError::Conflict(other.to_string()),
        }
    }
}

impl From<crate::forum::ForumError> for ProgrammeError {
    fn from(e: crate::forum::ForumError) -> Self {
        use crate::forum::ForumError as F;
        match e {
            F::Invalid(f) => ProgrammeError::Invalid(f),
            F::NotFound => ProgrammeError::NotFound,
            F::Db(e) => ProgrammeError::Db(e),
            other => ProgrammeError::Conflict(other.to_string()),
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = programmes)]
pub struct Programme {
    pub id: i64,
    pub slug: String,
    pub name_zh: String,
    pub name_en: String,
    pub board_id: i64,
    pub product_id: i64,
    pub group_id: i64,
    pub terms_md: String,
    pub terms_version: i32,
    pub min_level: i16,
    pub min_honor: i32,
    pub min_account_days: i32,
    pub quota: Option<i32>,
    pub opens_at: Option<DateTime<Utc>>,
    pub closes_at: Option<DateTime<Utc>>,
}

impl Programme {
    pub fn name(&self, l: Locale) -> &str {
        match l {
            Locale::ZhCn => &self.name_zh,
            Locale::En => &self.name_en,
        }
    }

    pub fn is_open(&self, now: DateTime<Utc>) -> bool {
        self.opens_at.is_none_or(|t| t <= now) && self.closes_at.is_none_or(|t| t > now)
    }

    /// Why `user` may not apply now, in their language; None when they may.
    pub fn why_not(
        &self,
        user: Option<&User>,
        testers: i64,
        applied: bool,
        now: DateTime<Utc>,
        l: Locale,
    ) -> Option<String> {
        let zh = l == Locale::ZhCn;
        let say = |z: String, e: String| Some(if zh { z } else { e });
        if self.opens_at.is_some_and(|t| t > now) {
            return say(
                "尚未开放报名".into(),
                "Not open for applications yet".into(),
            );
        }
        if self.closes_at.is_some_and(|t| t <= now) {
            return say("报名已结束".into(), "Applications have closed".into());
        }
        let Some(u) = user else {
            return say("登录后才能报名".into(), "Sign in to apply".into());
        };
        if applied {
            return say("你已经报名过了".into(), "You have already applied".into());
        }
        if self.quota.is_some_and(|q| testers >= q as i64) {
            return say("名额已满".into(), "All places are taken".into());
        }
        if u.is_suspended(now) || u.is_silenced(now) {
            return say(
                "账号处于禁言或封禁中".into(),
                "Your account is silenced or suspended".into(),
            );
        }
        if u.level < self.min_level {
            return say(
                format!("需要 Lv{}，你现在是 Lv{}", self.min_level, u.level),
                format!("Needs Lv{}; you are Lv{}", self.min_level, u.level),
            );
        }
        if u.honor < self.min_honor {
            return say(
                format!("需要 {} 荣誉值，你现在有 {}", self.min_honor, u.honor),
                format!("Needs {} honor; you have {}", self.min_honor, u.honor),
            );
        }
        let days = (now - u.created_at).num_days();
        if days < self.min_account_days as i64 {
            return say(
                format!(
                    "账号需注册满 {} 天，你的账号已注册 {} 天",
                    self.min_account_days, days
                ),
                format!(
                    "Your account must be {} days old; it is {days}",
                    self.min_account_days
                ),
            );
        }
        None
    }
}

pub async fn by_slug(conn: &mut Conn, slug: &str) -> QueryResult<Option<Programme>> {
    programmes::table
        .filter(programmes::slug.eq(slug))
        .select(Programme::as_select())
        .first(conn)
        .await
        .optional()
}

/// The slugs of these programmes.
pub async fn slugs_of(conn: &mut Conn, ids: &[i64]) -> QueryResult<Vec<String>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    programmes::table
        .filter(programmes::id.eq_any(ids))
        .select(programmes::slug)
        .load(conn)
        .await
}

/// Approved testers of a programme now.
pub async fn tester_count(conn: &mut Conn, programme_id: i64) -> QueryResult<i64> {
    programme_applications::table
        .filter(programme_applications::programme_id.eq(programme_id))
        .filter(programme_applications::status.eq(applications::AppStatus::Approved))
        .count()
        .get_result(conn)
        .await
}

/// What an admin creates.
pub struct NewProgramme {
    pub slug: String,
    pub name_zh: String,
    pub name_en: String,
    pub board: String,
    pub product: String,
    pub terms_md: String,
    pub min_level: i16,
    pub min_honor: i32,
    pub min_account_days: i32,
    pub quota: Option<i32>,
    pub opens_at: Option<DateTime<Utc>>,
    pub closes_at: Option<DateTime<Utc>>,
}

impl NewProgramme {
    /// Checks the fields that need no database; reports all problems at once.
    pub fn check(&self) -> Result<(), Vec<FieldError>> {
        let mut errors = Vec::new();
        if crate::accounts::groups::NewGroup::parse(&self.slug, &self.name_zh, &self.name_en)
            .is_err()
        {
            errors.push(FieldError::new(
                "slug",
                "2–40 lowercase letters, digits or '-', with zh and en names of 1–60 characters",
            ));
        }
        if self.terms_md.trim().is_empty() || self.terms_md.chars().count() > 20_000 {
            errors.push(FieldError::new("terms_md", "1–20000 characters"));
        }
        if !(1..=10).contains(&self.min_level) {
            errors.push(FieldError::new("min_level", "a level from 1 to 10"));
        }
        if self.min_honor < 0 || self.min_account_days < 0 {
            errors.push(FieldError::new("min_honor", "gates are never negative"));
        }
        if self.quota.is_some_and(|q| q < 1) {
            errors.push(FieldError::new("quota", "at least 1"));
        }
        if let (Some(o), Some(c)) = (self.opens_at, self.closes_at) {
            if c <= o {
                errors.push(FieldError::new("closes_at", "after opens_at"));
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

/// Creates the programme with its group (same slug), and closes its board to everyone but the
/// group, the product's team and staff. In the caller's transaction.
pub async fn create(
    conn: &mut Conn,
    actor_id: i64,
    p: &NewProgramme,
    now: DateTime<Utc>,
) -> Result<Programme, ProgrammeError> {
    p.check().map_err(ProgrammeError::Invalid)?;
    let board_id: i64 = boards::table
        .filter(boards::slug.eq(&p.board))
        .select(boards::id)
        .first(conn)
        .await
        .optional()?
        .ok_or_else(|| FieldError::new("board", "no such board"))?;
    let (product_id, team): (i64, Option<String>) = products::table
        .left_join(teams::table.on(products::team_id.eq(teams::id.nullable())))
        .filter(products::slug.eq(&p.product))
        .select((products::id, teams::slug.nullable()))
        .first(conn)
        .await
        .optional()?
        .ok_or_else(|| FieldError::new("product", "no such product"))?;
    let taken: i64 = programmes::table
        .filter(programmes::board_id.eq(board_id))
        .count()
        .get_result(conn)
        .await?;
    if taken > 0 {
        return Err(ProgrammeError::Conflict(
            "this board already belongs to a programme".into(),
        ));
    }
    let group = crate::accounts::groups::NewGroup::parse(&p.slug, &p.name_zh, &p.name_en)
        .map_err(ProgrammeError::Invalid)?;
    crate::accounts::groups::create(conn, actor_id, &group, now).await?;
    let group_id: i64 = groups::table
        .filter(groups::slug.eq(&p.slug))
        .select(groups::id)
        .first(conn)
        .await?;
    let mut who = vec![p.slug.clone(), crate::access::STAFF_GROUP.to_string()];
    if let Some(t) = team {
        who.push(format!("{}{t}", crate::access::TEAM_GROUP_PREFIX));
    }
    let rule = crate::forum::boards::AccessInput {
        read: crate::access::ReadRule::Groups,
        post: crate::access::PostRule::Groups,
        groups: who,
        min_level_read: 0,
        min_level_post: 0,
    };
    crate::forum::boards::set_access(conn, actor_id, &p.board, &rule, now).await?;
    let created = diesel::insert_into(programmes::table)
        .values((
            programmes::slug.eq(&p.slug),
            programmes::name_zh.eq(&p.name_zh),
            programmes::name_en.eq(&p.name_en),
            programmes::board_id.eq(board_id),
            programmes::product_id.eq(product_id),
            programmes::group_id.eq(group_id),
            programmes::terms_md.eq(&p.terms_md),
            programmes::min_level.eq(p.min_level),
            programmes::min_honor.eq(p.min_honor),
            programmes::min_account_days.eq(p.min_account_days),
            programmes::quota.eq(p.quota),
            programmes::opens_at.eq(p.opens_at),
            programmes::closes_at.eq(p.closes_at),
            programmes::created_at.eq(now),
        ))
        .returning(Programme::as_returning())
        .get_result(conn)
        .await?;
    crate::audit::record(
        conn,
        crate::audit::Entry {
            actor_id: Some(actor_id),
            action: "programme_create",
            after: Some(
                serde_json::json!({"programme": p.slug, "board": p.board, "product": p.product}),
            ),
            ..Default::default()
        },
        now,
    )
    .await?;
    Ok(created)
}

/// One programme as a viewer sees it in the list.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = ProgrammeView)]
pub struct View {
    pub slug: String,
    pub name: String,
    pub board: String,
    pub product: String,
    pub open: bool,
    pub can_apply: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub why_not: Option<String>,
    pub quota: Option<i32>,
    pub testers: i64,
    pub terms_md: String,
    pub terms_version: i32,
    /// This viewer's application, if any.
    pub my_status: Option<applications::AppStatus>,
}

/// Every programme, with whether this viewer may apply and why not.
pub async fn list(
    conn: &mut Conn,
    user: Option<&User>,
    now: DateTime<Utc>,
    l: Locale,
) -> QueryResult<Vec<View>> {
    let rows: Vec<(Programme, String, String)> = programmes::table
        .inner_join(boards::table)
        .inner_join(products::table)
        .order(programmes::id.desc())
        .select((Programme::as_select(), boards::slug, products::slug))
        .load(conn)
        .await?;
    // Tester counts and this viewer's applications for every programme: two queries.
    let counts: Vec<(i64, i64)> = programme_applications::table
        .filter(programme_applications::status.eq(applications::AppStatus::Approved))
        .group_by(programme_applications::programme_id)
        .select((
            programme_applications::programme_id,
            diesel::dsl::count_star(),
        ))
        .load(conn)
        .await?;
    let mine: Vec<(i64, applications::AppStatus)> = match user {
        Some(u) => {
            programme_applications::table
                .filter(programme_applications::user_id.eq(u.id))
                .select((
                    programme_applications::programme_id,
                    programme_applications::status,
                ))
                .load(conn)
                .await?
        }
        None => Vec::new(),
    };
    let mut out = Vec::with_capacity(rows.len());
    for (p, board, product) in rows {
        let testers = counts
            .iter()
            .find(|(id, _)| *id == p.id)
            .map_or(0, |(_, n)| *n);
        let my_status = mine.iter().find(|(id, _)| *id == p.id).map(|(_, s)| *s);
        let why_not = p.why_not(user, testers, my_status.is_some(), now, l);
        out.push(View {
            slug: p.slug.clone(),
            name: p.name(l).to_string(),
            board,
            product,
            open: p.is_open(now),
            can_apply: why_not.is_none(),
            why_not,
            quota: p.quota,
            testers,
            terms_md: p.terms_md.clone(),
            terms_version: p.terms_version,
            my_status,
        });
    }
    Ok(out)
}
