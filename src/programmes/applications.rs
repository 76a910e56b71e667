//! Applying to a programme, the review queue, decisions (mailed and shown in-app), leaving, and
//! removal when a tester is suspended.

use super::{Programme, ProgrammeError};
use crate::accounts::{FieldError, Locale, User};
use crate::db::schema::{group_members, notifications, products, programme_applications, users};
use crate::db::Conn;
use crate::mail::{Letter, Mailer};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::Serialize;

crate::text_enum! {
    /// Where an application stands.
    pub enum AppStatus {
        Pending = "pending",
        Approved = "approved",
        Rejected = "rejected",
        Left = "left",
        Removed = "removed",
    }
}

pub struct Apply<'a> {
    pub device: &'a str,
    pub os_version: &'a str,
    pub reason: &'a str,
    pub accept_terms: bool,
    /// The terms version the applicant read; None means the current one.
    pub terms_version: Option<i32>,
}

fn text(field: &'static str, v: &str, max: usize, errors: &mut Vec<FieldError>) -> String {
    let v = v.trim();
    if v.is_empty() || v.chars().count() > max {
        errors.push(FieldError::new(field, format!("1–{max} characters")));
    }
    v.to_string()
}

/// Files an application; a gate the person does not pass is a 422 naming it.
pub async fn apply(
    conn: &mut Conn,
    p: &Programme,
    user: &User,
    a: &Apply<'_>,
    now: DateTime<Utc>,
    l: Locale,
) -> Result<i64, ProgrammeError> {
    let mut errors = Vec::new();
    let device = text("device", a.device, 80, &mut errors);
    let os_version = text("os_version", a.os_version, 80, &mut errors);
    let reason = text("reason", a.reason, 1000, &mut errors);
    if !a.accept_terms {
        errors.push(FieldError::new(
            "accept_terms",
            "accept the programme's terms",
        ));
    }
    if a.terms_version.is_some_and(|v| v != p.terms_version) {
        errors.push(FieldError::new(
            "terms_version",
            "the terms have changed; read the current version",
        ));
    }
    if !errors.is_empty() {
        return Err(ProgrammeError::Invalid(errors));
    }
    // The row lock orders applications against the quota.
    let _: i64 = crate::db::schema::programmes::table
        .find(p.id)
        .select(crate::db::schema::programmes::id)
        .for_update()
        .first(conn)
        .await?;
    let applied: i64 = programme_applications::table
        .filter(programme_applications::programme_id.eq(p.id))
        .filter(programme_applications::user_id.eq(user.id))
        .count()
        .get_result(conn)
        .await?;
    if applied > 0 {
        return Err(ProgrammeError::Conflict(
            "you have already applied to this programme".into(),
        ));
    }
    let testers = super::tester_count(conn, p.id).await?;
    if let Some(why) = p.why_not(Some(user), testers, false, now, l) {
        return Err(ProgrammeError::Gate(why));
    }
    Ok(diesel::insert_into(programme_applications::table)
        .values((
            programme_applications::programme_id.eq(p.id),
            programme_applications::user_id.eq(user.id),
            programme_applications::device.eq(device),
            programme_applications::os_version.eq(os_version),
            programme_applications::reason.eq(reason),
            programme_applications::terms_version.eq(p.terms_version),
            programme_applications::created_at.eq(now),
        ))
        .returning(programme_applications::id)
        .get_result(conn)
        .await?)
}

/// Staff, and members of the team that owns the programme's product, review applications.
pub async fn may_review(conn: &mut Conn, p: &Programme, user: &User) -> QueryResult<bool> {
    Ok(reviewable(conn, user).await?.contains(&p.id))
}

/// The programmes `user` reviews: all of them for staff, else those whose product their team
/// owns. One query.
pub async fn reviewable(conn: &mut Conn, user: &User) -> QueryResult<Vec<i64>> {
    use crate::db::schema::{programmes, team_members};
    if user.role().is_staff() {
        return programmes::table.select(programmes::id).load(conn).await;
    }
    if !user.role().works_on_feedback() {
        return Ok(Vec::new());
    }
    programmes::table
        .inner_join(products::table)
        .filter(
            products::team_id.eq_any(
                team_members::table
                    .filter(team_members::user_id.eq(user.id))
                    .select(team_members::team_id.nullable()),
            ),
        )
        .select(programmes::id)
        .load(conn)
        .await
}

#[derive(Debug, Clone, Queryable, Serialize, utoipa::ToSchema)]
#[schema(as = ProgrammeApplication)]
pub struct Item {
    pub id: i64,
    pub username: String,
    pub level: i16,
    pub device: String,
    pub os_version: String,
    pub reason: String,
    pub terms_version: i32,
    pub status: AppStatus,
    pub note: String,
    pub created_at: DateTime<Utc>,
}

/// Applications, oldest first, optionally of one status.
pub async fn list(
    conn: &mut Conn,
    p: &Programme,
    status: Option<AppStatus>,
) -> QueryResult<Vec<Item>> {
    let mut q = programme_applications::table
        .inner_join(users::table)
        .filter(programme_applications::programme_id.eq(p.id))
        .order(programme_applications::id)
        .limit(500)
        .select((
            programme_applications::id,
            users::username,
            users::level,
            programme_applications::device,
            programme_applications::os_version,
            programme_applications::reason,
            programme_applications::terms_version,
            programme_applications::status,
            programme_applications::note,
            programme_applications::created_at,
        ))
        .into_boxed();
    if let Some(s) = status {
        q = q.filter(programme_applications::status.eq(s));
    }
    q.load(conn).await
}

/// Who applied: id, the application's status, email, name, locale, verified at.
type Applicant = (
    i64,
    AppStatus,
    String,
    String,
    Option<String>,
    Option<DateTime<Utc>>,
);

/// The decision on an application: approval puts the applicant in the programme's group and
/// awards 内测先锋 once; either way they hear it in-app and by mail.
pub async fn decide(
    conn: &mut Conn,
    mailer: &Mailer,
    p: &Programme,
    actor: &User,
    application_id: i64,
    (approve, note): (bool, &str),
    now: DateTime<Utc>,
) -> Result<AppStatus, ProgrammeError> {
    if note.chars().count() > 1000 {
        return Err(FieldError::new("note", "at most 1000 characters").into());
    }
    let row: Option<Applicant> = programme_applications::table
        .inner_join(users::table)
        .filter(programme_applications::id.eq(application_id))
        .filter(programme_applications::programme_id.eq(p.id))
        .select((
            users::id,
            programme_applications::status,
            users::email,
            users::username,
            users::locale,
            users::email_verified_at,
        ))
        .for_update()
        .first(conn)
        .await
        .optional()?;
    let (user_id, status, email, _username, locale, verified) =
        row.ok_or(ProgrammeError::NotFound)?;
    if status != AppStatus::Pending {
        return Err(ProgrammeError::Conflict(format!(
            "this application was already decided: {status}"
        )));
    }
    if approve {
        let testers = super::tester_count(conn, p.id).await?;
        if p.quota.is_some_and(|q| testers >= q as i64) {
            return Err(ProgrammeError::Conflict("all places are taken".into()));
        }
    }
    let to = if approve {
        AppStatus::Approved
    } else {
        AppStatus::Rejected
    };
    diesel::update(programme_applications::table.find(application_id))
        .set((
            programme_applications::status.eq(to),
            programme_applications::note.eq(note.trim()),
            programme_applications::decided_by.eq(actor.id),
            programme_applications::decided_at.eq(now),
        ))
        .execute(conn)
        .await?;
    if approve {
        diesel::insert_into(group_members::table)
            .values((
                group_members::group_id.eq(p.group_id),
                group_members::user_id.eq(user_id),
                group_members::created_at.eq(now),
            ))
            .on_conflict_do_nothing()
            .execute(conn)
            .await?;
        crate::honor::medals::award_once(conn, user_id, "beta_pioneer", now).await?;
    }
    let locale = locale
        .as_deref()
        .and_then(Locale::parse)
        .unwrap_or(Locale::ZhCn);
    let name = p.name(locale).to_string();
    diesel::insert_into(notifications::table)
        .values((
            notifications::user_id.eq(user_id),
            notifications::kind.eq(format!("programme_{}", to.as_str())),
            notifications::actor_id.eq(actor.id),
            notifications::detail.eq(&name),
            notifications::created_at.eq(now),
        ))
        .execute(conn)
        .await?;
    crate::audit::record(
        conn,
        crate::audit::Entry {
            actor_id: Some(actor.id),
            action: if approve {
                "programme_approve"
            } else {
                "programme_reject"
            },
            target_user_id: Some(user_id),
            reason: note.trim(),
            after: Some(serde_json::json!({ "programme": p.slug })),
            ..Default::default()
        },
        now,
    )
    .await?;
    if verified.is_some() {
        mailer
            .enqueue(
                conn,
                Letter {
                    event_key: format!("programme:{application_id}"),
                    user_id: Some(user_id),
                    to: &email,
                    locale,
                    template: "programme_decision",
                    subject_args: &[("programme", &name)],
                    ctx: minijinja::context! {
                        programme => &name, approved => approve, note => note.trim(),
                        link => format!("{}/programmes", mailer.base_url()),
                    },
                    post_id: None,
                },
                now,
            )
            .await?;
    }
    Ok(to)
}

/// A tester leaves (or staff remove them): out of the group, the application marked.
pub async fn end_membership(
    conn: &mut Conn,
    p: &Programme,
    user_id: i64,
    to: AppStatus,
) -> Result<(), ProgrammeError> {
    let n = diesel::update(
        programme_applications::table
            .filter(programme_applications::programme_id.eq(p.id))
            .filter(programme_applications::user_id.eq(user_id))
            .filter(
                programme_applications::status.eq_any([AppStatus::Approved, AppStatus::Pending]),
            ),
    )
    .set(programme_applications::status.eq(to))
    .execute(conn)
    .await?;
    if n == 0 {
        return Err(ProgrammeError::NotFound);
    }
    diesel::delete(
        group_members::table
            .filter(group_members::group_id.eq(p.group_id))
            .filter(group_members::user_id.eq(user_id)),
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Suspension takes a person out of every programme they test in or applied to.
pub async fn remove_suspended(conn: &mut Conn, user_id: i64) -> QueryResult<usize> {
    use crate::db::schema::programmes;
    let groups: Vec<i64> = programme_applications::table
        .inner_join(programmes::table)
        .filter(programme_applications::user_id.eq(user_id))
        .filter(programme_applications::status.eq_any([AppStatus::Approved, AppStatus::Pending]))
        .select(programmes::group_id)
        .load(conn)
        .await?;
    diesel::update(
        programme_applications::table
            .filter(programme_applications::user_id.eq(user_id))
            .filter(
                programme_applications::status.eq_any([AppStatus::Approved, AppStatus::Pending]),
            ),
    )
    .set(programme_applications::status.eq(AppStatus::Removed))
    .execute(conn)
    .await?;
    diesel::delete(
        group_members::table
            .filter(group_members::user_id.eq(user_id))
            .filter(group_members::group_id.eq_any(&groups)),
    )
    .execute(conn)
    .await?;
    Ok(groups.len())
}

/// The approved testers as CSV (username, device, OS version, approved at).
pub async fn testers_csv(conn: &mut Conn, p: &Programme) -> QueryResult<String> {
    let rows: Vec<(String, String, String, Option<DateTime<Utc>>)> = programme_applications::table
        .inner_join(users::table)
        .filter(programme_applications::programme_id.eq(p.id))
        .filter(programme_applications::status.eq(AppStatus::Approved))
        .order(users::username)
        .select((
            users::username,
            programme_applications::device,
            programme_applications::os_version,
            programme_applications::decided_at,
        ))
        .load(conn)
        .await?;
    let cell = |s: &str| {
        // A leading = + - @ would be a formula in a spreadsheet.
        let s = if s.starts_with(['=', '+', '-', '@']) {
            format!("'{s}")
        } else {
            s.to_string()
        };
        format!("\"{}\"", s.replace('"', "\"\""))
    };
    let mut out = String::from("username,device,os_version,approved_at\n");
    for (u, d, o, at) in rows {
        out.push_str(&format!(
            "{},{},{},{}\n",
            cell(&u),
            cell(&d),
            cell(&o),
            at.map(|t| t.to_rfc3339()).unwrap_or_default()
        ));
    }
    Ok(out)
}
