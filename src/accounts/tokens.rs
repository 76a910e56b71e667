//! Random secrets: session tokens and single-use mail tokens. Only their SHA-256 is stored.

use crate::db::schema::account_tokens;
use crate::db::Conn;
use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use sha2::{Digest, Sha256};

/// 256 random bits as 64 hex characters, and the digest to store.
pub fn generate() -> (String, Vec<u8>) {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the OS random source is available");
    let raw = hex::encode(bytes);
    let digest = digest(&raw);
    (raw, digest)
}

/// The shape every token we hand out has (64 hex characters): anything else is refused before
/// it reaches the database.
pub fn well_formed(raw: &str) -> bool {
    raw.len() == 64 && raw.bytes().all(|b| b.is_ascii_hexdigit())
}

pub fn digest(raw: &str) -> Vec<u8> {
    Sha256::digest(raw.trim().as_bytes()).to_vec()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Verify,
    Reset,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Purpose::Verify => "verify",
            Purpose::Reset => "reset",
        }
    }

    pub fn lifetime(self) -> Duration {
        match self {
            Purpose::Verify => Duration::hours(24),
            Purpose::Reset => Duration::minutes(30),
        }
    }
}

/// Issues a new token for `user_id`, replacing any unused one of the same purpose.
pub async fn issue(
    conn: &mut Conn,
    user_id: i64,
    purpose: Purpose,
    now: DateTime<Utc>,
) -> QueryResult<String> {
    diesel::delete(
        account_tokens::table
            .filter(account_tokens::user_id.eq(user_id))
            .filter(account_tokens::purpose.eq(purpose.as_str()))
            .filter(account_tokens::used_at.is_null()),
    )
    .execute(conn)
    .await?;
    let (raw, hash) = generate();
    diesel::insert_into(account_tokens::table)
        .values((
            account_tokens::user_id.eq(user_id),
            account_tokens::purpose.eq(purpose.as_str()),
            account_tokens::token_hash.eq(hash),
            account_tokens::created_at.eq(now),
            account_tokens::expires_at.eq(now + purpose.lifetime()),
        ))
        .execute(conn)
        .await?;
    Ok(raw)
}

#[derive(Debug, PartialEq, Eq)]
pub enum Consumed {
    /// The token was valid and is now used; here is its user.
    Ok(i64),
    Expired,
    Invalid,
}

/// Marks the token used, once: a second call with the same token gets `Invalid`.
pub async fn consume(
    conn: &mut Conn,
    raw: &str,
    purpose: Purpose,
    now: DateTime<Utc>,
) -> QueryResult<Consumed> {
    if !well_formed(raw) {
        return Ok(Consumed::Invalid);
    }
    let row: Option<(i64, i64, DateTime<Utc>)> = account_tokens::table
        .filter(account_tokens::token_hash.eq(digest(raw)))
        .filter(account_tokens::purpose.eq(purpose.as_str()))
        .filter(account_tokens::used_at.is_null())
        .select((
            account_tokens::id,
            account_tokens::user_id,
            account_tokens::expires_at,
        ))
        .for_update()
        .first(conn)
        .await
        .optional()?;
    let Some((id, user_id, expires_at)) = row else {
        return Ok(Consumed::Invalid);
    };
    if expires_at <= now {
        return Ok(Consumed::Expired);
    }
    diesel::update(account_tokens::table.find(id))
        .set(account_tokens::used_at.eq(now))
        .execute(conn)
        .await?;
    Ok(Consumed::Ok(user_id))
}

/// Deletes tokens that expired before `before` (the hourly cleanup).
pub async fn delete_expired(conn: &mut Conn, before: DateTime<Utc>) -> QueryResult<usize> {
    diesel::delete(account_tokens::table.filter(account_tokens::expires_at.lt(before)))
        .execute(conn)
        .await
}
