//! The `users` table: rows, lookups and updates.

use super::fields::{Email, Locale, Role, Username};
use crate::db::schema::{consents, held_usernames, users};
use crate::db::Conn;
use crate::fields::ColorScheme;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub email: String,
    pub email_verified_at: Option<DateTime<Utc>>,
    pub password_hash: String,
    pub role: Role,
    pub locale: Option<String>,
    pub privacy_version: String,
    pub created_at: DateTime<Utc>,
    pub notify_reply: String,
    pub notify_mention: String,
    pub notify_subscribed: String,
    pub digest_weekly: bool,
    pub notify_status: String,
    pub silenced_until: Option<DateTime<Utc>>,
    pub suspended_until: Option<DateTime<Utc>>,
    pub flags_agreed: i32,
    pub flags_disagreed: i32,
    pub honor: i32,
    pub level: i16,
    pub title: Option<String>,
    pub erased_at: Option<DateTime<Utc>>,
    pub color_scheme: ColorScheme,
    pub time_zone: Option<String>,
}

impl User {
    pub fn is_silenced(&self, now: DateTime<Utc>) -> bool {
        self.silenced_until.is_some_and(|t| t > now)
    }

    pub fn is_suspended(&self, now: DateTime<Utc>) -> bool {
        self.suspended_until.is_some_and(|t| t > now)
    }
    pub fn role(&self) -> Role {
        self.role
    }

    pub fn locale(&self) -> Option<Locale> {
        self.locale.as_deref().and_then(Locale::parse)
    }

    pub fn is_erased(&self) -> bool {
        self.erased_at.is_some()
    }

    pub fn is_verified(&self) -> bool {
        self.email_verified_at.is_some()
    }
}

pub struct NewUser<'a> {
    pub username: &'a Username,
    pub email: &'a Email,
    pub password_hash: &'a str,
    pub role: Role,
    pub locale: Option<Locale>,
    pub verified: bool,
    pub privacy_version: &'a str,
}

/// Inserts the user and its first consent record.
pub async fn insert(conn: &mut Conn, new: NewUser<'_>, now: DateTime<Utc>) -> QueryResult<User> {
    let user: User = diesel::insert_into(users::table)
        .values((
            users::username.eq(new.username.as_str()),
            users::username_key.eq(new.username.key()),
            users::username_skeleton.eq(new.username.skeleton()),
            users::email.eq(new.email.as_str()),
            users::email_verified_at.eq(new.verified.then_some(now)),
            users::password_hash.eq(new.password_hash),
            users::role.eq(new.role.as_str()),
            users::locale.eq(new.locale.map(Locale::as_str)),
            users::privacy_version.eq(new.privacy_version),
            users::privacy_accepted_at.eq(now),
            users::created_at.eq(now),
            users::updated_at.eq(now),
        ))
        .returning(User::as_returning())
        .get_result(conn)
        .await?;
    diesel::insert_into(consents::table)
        .values((
            consents::user_id.eq(user.id),
            consents::policy_version.eq(new.privacy_version),
            consents::accepted_at.eq(now),
        ))
        .execute(conn)
        .await?;
    Ok(user)
}

pub async fn by_id(conn: &mut Conn, id: i64) -> QueryResult<Option<User>> {
    users::table
        .find(id)
        .select(User::as_select())
        .first(conn)
        .await
        .optional()
}

/// Whether `name` could be a username at all: no control characters (PostgreSQL text cannot
/// hold NUL) and a bounded length. Lookups answer "nobody" for anything else.
pub fn plausible_name(name: &str) -> bool {
    !name.chars().any(char::is_control) && name.len() <= 200
}

pub async fn by_username(conn: &mut Conn, name: &str) -> QueryResult<Option<User>> {
    if !plausible_name(name) {
        return Ok(None);
    }
    users::table
        .filter(users::username_key.eq(Username::key_of(name)))
        .select(User::as_select())
        .first(conn)
        .await
        .optional()
}

/// Erased accounts are never found by address (their placeholder must not receive mail).
pub async fn by_email(conn: &mut Conn, email: &str) -> QueryResult<Option<User>> {
    users::table
        .filter(users::email.eq(email.trim().to_lowercase()))
        .filter(users::erased_at.is_null())
        .select(User::as_select())
        .first(conn)
        .await
        .optional()
}

/// Login accepts either a username or an email address.
pub async fn by_login(conn: &mut Conn, login: &str) -> QueryResult<Option<User>> {
    if login.contains('@') {
        by_email(conn, login).await
    } else {
        by_username(conn, login).await
    }
}

/// Which of the two unique identities are already used: (username, email). A name an erased
/// account held is used until its hold ends.
pub async fn taken(
    conn: &mut Conn,
    username: &Username,
    email: &Email,
    now: DateTime<Utc>,
) -> QueryResult<(bool, bool)> {
    let skeleton = username.skeleton();
    // Serialises registrations of look-alike names; the skeleton index is not unique.
    diesel::sql_query("SELECT pg_advisory_xact_lock(hashtext('username:' || $1))")
        .bind::<diesel::sql_types::Text, _>(&skeleton)
        .execute(conn)
        .await?;
    let name = users::table
        .filter(
            users::username_key
                .eq(username.key())
                .or(users::username_skeleton.eq(&skeleton)),
        )
        .select(users::id)
        .first::<i64>(conn)
        .await
        .optional()?;
    let held = held_usernames::table
        .filter(held_usernames::key_hash.eq_any(hold_digests(username.as_str())))
        .filter(held_usernames::held_until.gt(now))
        .count()
        .get_result::<i64>(conn)
        .await?;
    let mail = users::table
        .filter(users::email.eq(email.as_str()))
        .select(users::id)
        .first::<i64>(conn)
        .await
        .optional()?;
    Ok((name.is_some() || held > 0, mail.is_some()))
}

/// What `held_usernames` stores for a name given up: its key and its skeleton, hashed, so neither
/// the name nor a look-alike of it can be registered while it is held.
pub fn hold_digests(name: &str) -> [Vec<u8>; 2] {
    [
        super::tokens::digest(&Username::key_of(name)),
        super::tokens::digest(&format!("skeleton:{}", Username::skeleton_of(name))),
    ]
}

/// Fills `username_skeleton` where it is missing (rows from before the column, bulk seeding), in
/// batches; erased accounts keep none, their placeholder names cannot be chosen.
pub async fn fill_skeletons(conn: &mut Conn) -> QueryResult<usize> {
    let mut filled = 0;
    loop {
        let rows: Vec<(i64, String)> = users::table
            .filter(users::username_skeleton.is_null())
            .filter(users::erased_at.is_null())
            .select((users::id, users::username))
            .order(users::id)
            .limit(1000)
            .load(conn)
            .await?;
        if rows.is_empty() {
            return Ok(filled);
        }
        let (ids, skeletons): (Vec<i64>, Vec<String>) = rows
            .iter()
            .map(|(id, name)| (*id, Username::skeleton_of(name)))
            .unzip();
        diesel::sql_query(
            "UPDATE users SET username_skeleton = x.s \
             FROM unnest($1::bigint[], $2::text[]) AS x(id, s) WHERE users.id = x.id",
        )
        .bind::<diesel::sql_types::Array<diesel::sql_types::BigInt>, _>(&ids)
        .bind::<diesel::sql_types::Array<diesel::sql_types::Text>, _>(&skeletons)
        .execute(conn)
        .await?;
        filled += rows.len();
    }
}

pub async fn mark_verified(conn: &mut Conn, id: i64, now: DateTime<Utc>) -> QueryResult<()> {
    diesel::update(
        users::table
            .find(id)
            .filter(users::email_verified_at.is_null()),
    )
    .set((users::email_verified_at.eq(now), users::updated_at.eq(now)))
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn set_password_hash(
    conn: &mut Conn,
    id: i64,
    hash: &str,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::update(users::table.find(id))
        .set((users::password_hash.eq(hash), users::updated_at.eq(now)))
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn set_role(conn: &mut Conn, id: i64, role: Role, now: DateTime<Utc>) -> QueryResult<()> {
    diesel::update(users::table.find(id))
        .set((users::role.eq(role.as_str()), users::updated_at.eq(now)))
        .execute(conn)
        .await?;
    Ok(())
}

/// Colour scheme and time zone (None: the default for the person's language).
pub async fn set_appearance(
    conn: &mut Conn,
    id: i64,
    scheme: ColorScheme,
    time_zone: Option<&str>,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::update(users::table.find(id))
        .set((
            users::color_scheme.eq(scheme),
            users::time_zone.eq(time_zone),
            users::updated_at.eq(now),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn set_locale(
    conn: &mut Conn,
    id: i64,
    locale: Option<Locale>,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::update(users::table.find(id))
        .set((
            users::locale.eq(locale.map(Locale::as_str)),
            users::updated_at.eq(now),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// Notification preferences; `None` leaves a setting as it is.
#[derive(Debug, Default)]
pub struct Preferences {
    pub notify_reply: Option<&'static str>,
    pub notify_mention: Option<&'static str>,
    pub notify_subscribed: Option<&'static str>,
    pub notify_status: Option<&'static str>,
    pub digest_weekly: Option<bool>,
}

pub async fn set_preferences(
    conn: &mut Conn,
    id: i64,
    p: &Preferences,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::update(users::table.find(id))
        .set((
            p.notify_reply.map(|v| users::notify_reply.eq(v)),
            p.notify_mention.map(|v| users::notify_mention.eq(v)),
            p.notify_subscribed.map(|v| users::notify_subscribed.eq(v)),
            p.notify_status.map(|v| users::notify_status.eq(v)),
            p.digest_weekly.map(|v| users::digest_weekly.eq(v)),
            users::updated_at.eq(now),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

impl User {
    /// The facts board rules read about this person.
    pub fn person(&self) -> crate::access::Person {
        crate::access::Person {
            id: self.id,
            role: self.role(),
            level: self.level,
        }
    }
}

impl crate::access::Reader {
    /// The reader a signed-in person (or nobody) is, as of now.
    pub async fn of(conn: &mut Conn, user: Option<&User>) -> QueryResult<crate::access::Reader> {
        crate::access::Reader::load(conn, user.map(User::person)).await
    }
}
