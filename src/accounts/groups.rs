//! Named groups an admin manages (beta testers, a region's helpers) and their members. Board
//! rules name groups by slug; `access` reads membership, this module writes it.

use super::{AccountError, FieldError};
use crate::audit;
use crate::db::schema::{boards, group_members, groups, users};
use crate::db::Conn;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::Serialize;

#[derive(Debug, Clone, Queryable, Serialize, utoipa::ToSchema)]
pub struct Group {
    pub slug: String,
    pub name_zh: String,
    pub name_en: String,
    pub members: i64,
    pub created_at: DateTime<Utc>,
}

pub struct NewGroup {
    pub slug: String,
    pub name_zh: String,
    pub name_en: String,
}

impl NewGroup {
    /// Checks every field and reports all problems at once.
    pub fn parse(slug: &str, name_zh: &str, name_en: &str) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let slug = slug.trim().to_ascii_lowercase();
        let ok = (2..=40).contains(&slug.len())
            && slug
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && !slug.starts_with('-');
        if !ok {
            errors.push(FieldError::new(
                "slug",
                "2–40 lowercase letters, digits or '-'",
            ));
        } else if slug == crate::access::STAFF_GROUP {
            errors.push(FieldError::new("slug", "staff is the implied staff group"));
        }
        let mut name = |field: &'static str, v: &str| {
            let v = v.trim();
            if v.is_empty() || v.chars().count() > 60 {
                errors.push(FieldError::new(field, "1–60 characters"));
            }
            v.to_string()
        };
        let name_zh = name("name_zh", name_zh);
        let name_en = name("name_en", name_en);
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(NewGroup {
            slug,
            name_zh,
            name_en,
        })
    }
}

/// Every named group with its member count, by slug.
pub async fn all(conn: &mut Conn) -> QueryResult<Vec<Group>> {
    groups::table
        .order(groups::slug)
        .select((
            groups::slug,
            groups::name_zh,
            groups::name_en,
            crate::db::fixed_sql::fixed::<diesel::sql_types::BigInt>(
                "(SELECT count(*) FROM group_members m WHERE m.group_id = groups.id)",
            ),
            groups::created_at,
        ))
        .load(conn)
        .await
}

/// Does a group with this slug exist?
pub async fn exists(conn: &mut Conn, slug: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        groups::table.filter(groups::slug.eq(slug)),
    ))
    .get_result(conn)
    .await
}

fn audit_entry<'a>(actor_id: i64, action: &'a str, after: serde_json::Value) -> audit::Entry<'a> {
    audit::Entry {
        actor_id: Some(actor_id),
        action,
        after: Some(after),
        ..Default::default()
    }
}

/// Creates a group; 409 when the slug is taken.
pub async fn create(
    conn: &mut Conn,
    actor_id: i64,
    g: &NewGroup,
    now: DateTime<Utc>,
) -> Result<Group, AccountError> {
    let n = diesel::insert_into(groups::table)
        .values((
            groups::slug.eq(&g.slug),
            groups::name_zh.eq(&g.name_zh),
            groups::name_en.eq(&g.name_en),
            groups::created_at.eq(now),
        ))
        .on_conflict_do_nothing()
        .execute(conn)
        .await?;
    if n == 0 {
        return Err(AccountError::Taken(vec![FieldError::new(
            "slug",
            "a group with this slug exists",
        )]));
    }
    let after = serde_json::json!({"group": g.slug, "name_zh": g.name_zh, "name_en": g.name_en});
    audit::record(conn, audit_entry(actor_id, "group_create", after), now).await?;
    Ok(Group {
        slug: g.slug.clone(),
        name_zh: g.name_zh.clone(),
        name_en: g.name_en.clone(),
        members: 0,
        created_at: now,
    })
}

/// Deletes a group no board rule names and no programme owns (a rule must never point at
/// nothing); 409 otherwise.
pub async fn delete(
    conn: &mut Conn,
    actor_id: i64,
    slug: &str,
    now: DateTime<Utc>,
) -> Result<(), AccountError> {
    let naming: Vec<String> = boards::table
        .filter(
            boards::read_groups
                .contains(vec![slug.to_string()])
                .or(boards::post_groups.contains(vec![slug.to_string()])),
        )
        .select(boards::slug)
        .load(conn)
        .await?;
    if let Some(b) = naming.as_slice().first() {
        return Err(AccountError::Taken(vec![FieldError::new(
            "slug",
            format!("board {b} names this group; change its rule first"),
        )]));
    }
    let owned: Vec<String> = crate::db::schema::programmes::table
        .inner_join(groups::table)
        .filter(groups::slug.eq(slug))
        .select(crate::db::schema::programmes::slug)
        .load(conn)
        .await?;
    if let Some(p) = owned.as_slice().first() {
        return Err(AccountError::Taken(vec![FieldError::new(
            "slug",
            format!("beta programme {p} owns this group"),
        )]));
    }
    let n = diesel::delete(groups::table.filter(groups::slug.eq(slug)))
        .execute(conn)
        .await?;
    if n == 0 {
        return Err(AccountError::NotFound);
    }
    let after = serde_json::json!({ "group": slug });
    audit::record(conn, audit_entry(actor_id, "group_delete", after), now).await?;
    Ok(())
}

/// What a membership change did.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = GroupMembership)]
pub struct Membership {
    pub group: String,
    pub username: String,
    pub member: bool,
    /// False when the person already was (or was not) a member.
    pub changed: bool,
}

/// Adds `user_id` to the group, or takes them out (`remove`). Taking out someone who was never
/// in is refused: it is almost always a typo for someone else.
pub async fn set_member(
    conn: &mut Conn,
    actor_id: i64,
    group_slug: &str,
    username: &str,
    remove: bool,
    now: DateTime<Utc>,
) -> Result<Membership, AccountError> {
    let group_id: i64 = groups::table
        .filter(groups::slug.eq(group_slug))
        .select(groups::id)
        .first(conn)
        .await
        .optional()?
        .ok_or(AccountError::NotFound)?;
    let user = super::users::by_username(conn, username)
        .await?
        .filter(|u| u.erased_at.is_none())
        .ok_or_else(|| FieldError::new("username", "no such user"))?;
    let changed = if remove {
        let n = diesel::delete(
            group_members::table
                .filter(group_members::group_id.eq(group_id))
                .filter(group_members::user_id.eq(user.id)),
        )
        .execute(conn)
        .await?;
        if n == 0 {
            return Err(FieldError::new("username", "is not a member of this group").into());
        }
        true
    } else {
        diesel::insert_into(group_members::table)
            .values((
                group_members::group_id.eq(group_id),
                group_members::user_id.eq(user.id),
                group_members::created_at.eq(now),
            ))
            .on_conflict_do_nothing()
            .execute(conn)
            .await?
            == 1
    };
    if changed {
        let action = if remove {
            "group_member_remove"
        } else {
            "group_member_add"
        };
        let mut e = audit_entry(actor_id, action, serde_json::json!({ "group": group_slug }));
        e.target_user_id = Some(user.id);
        audit::record(conn, e, now).await?;
    }
    Ok(Membership {
        group: group_slug.to_string(),
        username: user.username,
        member: !remove,
        changed,
    })
}

#[derive(Debug, Clone, Queryable, Serialize, utoipa::ToSchema)]
pub struct GroupMember {
    #[serde(skip)]
    pub group: String,
    pub username: String,
    pub level: i16,
    pub added_at: DateTime<Utc>,
}

/// Members of one group (or of every group, for the admin page), by group then name.
pub async fn members(conn: &mut Conn, group: Option<&str>) -> QueryResult<Vec<GroupMember>> {
    let mut q = group_members::table
        .inner_join(groups::table)
        .inner_join(users::table)
        .order((groups::slug, users::username))
        .select((
            groups::slug,
            users::username,
            users::level,
            group_members::created_at,
        ))
        .into_boxed();
    if let Some(g) = group {
        q = q.filter(groups::slug.eq(g.to_string()));
    }
    q.load(conn).await
}

/// Takes a person out of every group (suspension, erasure).
pub async fn leave_all(conn: &mut Conn, user_id: i64) -> QueryResult<usize> {
    diesel::delete(group_members::table.filter(group_members::user_id.eq(user_id)))
        .execute(conn)
        .await
}
