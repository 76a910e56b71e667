//! What a person can do with an account. Each function is one transaction; the mail it causes is
//! written to the outbox inside that transaction.

use super::fields::{Email, FieldError, Locale, Password, Role, Username};
use super::tokens::{self, Consumed, Purpose};
use super::users::{self, NewUser, User};
use super::{passwords, sessions, AccountError};
use crate::config::{Limit, Settings};
use crate::db::Conn;
use crate::mail::{Letter, Mailer};
use crate::rate_limits;
use chrono::{DateTime, Duration, Utc};
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel_async::AsyncConnection;

/// What every account operation needs besides the connection.
pub struct Ctx<'a> {
    pub settings: &'a Settings,
    pub mailer: &'a Mailer,
    pub now: DateTime<Utc>,
}

impl Ctx<'_> {
    async fn limit(&self, conn: &mut Conn, key: &str, limit: Limit) -> Result<(), AccountError> {
        rate_limits::hit(conn, key, limit, self.now)
            .await?
            .map_err(AccountError::RateLimited)
    }
}

pub struct Registration {
    pub username: Username,
    pub email: Email,
    pub password: Password,
    pub locale: Option<Locale>,
}

impl Registration {
    /// Parses every field and reports all problems at once.
    pub fn parse(
        username: &str,
        email: &str,
        password: &str,
        accept_privacy: bool,
    ) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let username = Username::parse(username).map_err(|e| errors.push(e)).ok();
        let email = Email::parse(email).map_err(|e| errors.push(e)).ok();
        let personal: Vec<&str> = [
            username.as_ref().map(Username::as_str),
            email.as_ref().map(Email::as_str),
        ]
        .into_iter()
        .flatten()
        .collect();
        let password = Password::parse_for(password, &personal)
            .map_err(|e| errors.push(e))
            .ok();
        if !accept_privacy {
            errors.push(FieldError::new(
                "accept_privacy",
                "you must accept the privacy policy",
            ));
        }
        match (username, email, password) {
            (Some(username), Some(email), Some(password)) if errors.is_empty() => {
                Ok(Registration {
                    username,
                    email,
                    password,
                    locale: None,
                })
            }
            _ => Err(errors),
        }
    }
}

/// Creates an unverified member and mails a verification link.
/// What a registration did. Callers answer both alike, so registering never tells which addresses
/// have accounts; the owner of a taken address hears about the attempt by mail instead.
#[derive(Debug)]
pub enum Registered {
    New { user_id: i64 },
    EmailInUse,
}

pub async fn register(
    conn: &mut Conn,
    ctx: &Ctx<'_>,
    reg: Registration,
    ip: &str,
) -> Result<Registered, AccountError> {
    ctx.limit(
        conn,
        &format!("register:ip:{ip}"),
        ctx.settings.rate_limits.register_per_ip,
    )
    .await?;
    // Hashed whether or not the address is taken, so both answers take as long.
    let hash = passwords::hash(reg.password.expose().to_string())
        .await
        .map_err(AccountError::Hash)?;
    let result = conn
        .transaction::<_, AccountError, _>(async |conn| {
            let (name_taken, email_taken) =
                users::taken(conn, &reg.username, &reg.email, ctx.now).await?;
            // Names are public (profiles), so a taken one may be said; addresses are not.
            if name_taken {
                return Err(AccountError::Taken(vec![FieldError::new(
                    "username",
                    "is already taken",
                )]));
            }
            if email_taken {
                send_attempt_notice(conn, ctx, &reg.email).await?;
                return Ok(Registered::EmailInUse);
            }
            let user = users::insert(
                conn,
                NewUser {
                    username: &reg.username,
                    email: &reg.email,
                    password_hash: &hash,
                    role: Role::Member,
                    locale: reg.locale,
                    verified: false,
                    privacy_version: &ctx.settings.privacy_policy_version,
                },
                ctx.now,
            )
            .await?;
            send_verification(conn, ctx, &user).await?;
            Ok(Registered::New { user_id: user.id })
        })
        .await;
    match result {
        // Two registrations racing: the unique indexes decide. A lost race for an address answers
        // like any taken address (the winner's mail is the notice); for a name, the loser hears why.
        Err(AccountError::Db(DieselError::DatabaseError(
            DatabaseErrorKind::UniqueViolation,
            info,
        ))) if info.constraint_name() == Some("users_email") => Ok(Registered::EmailInUse),
        Err(AccountError::Db(DieselError::DatabaseError(
            DatabaseErrorKind::UniqueViolation,
            _,
        ))) => Err(AccountError::Taken(vec![FieldError::new(
            "username",
            "is already taken",
        )])),
        other => other,
    }
}

/// "Someone tried to sign up with your address": at most as often as reset mails, then silence.
async fn send_attempt_notice(
    conn: &mut Conn,
    ctx: &Ctx<'_>,
    email: &Email,
) -> Result<(), AccountError> {
    let key = format!("register-notice:email:{}", email.as_str());
    let limit = ctx.settings.rate_limits.reset_per_email;
    if rate_limits::hit(conn, &key, limit, ctx.now).await?.is_err() {
        return Ok(());
    }
    let Some(user) = users::by_email(conn, email.as_str()).await? else {
        return Ok(());
    };
    let base = ctx.mailer.base_url();
    ctx.mailer
        .enqueue(
            conn,
            Letter {
                event_key: format!("register-attempt:{}:{}", user.id, ctx.now.timestamp()),
                user_id: Some(user.id),
                to: &user.email,
                locale: user.locale().unwrap_or(Locale::ZhCn),
                template: "register_attempt",
                subject_args: &[],
                ctx: minijinja::context! {
                    username => &user.username,
                    login_link => format!("{base}/login"),
                    reset_link => format!("{base}/reset-password"),
                },
                post_id: None,
            },
            ctx.now,
        )
        .await?;
    Ok(())
}

async fn send_verification(
    conn: &mut Conn,
    ctx: &Ctx<'_>,
    user: &User,
) -> Result<(), AccountError> {
    let token = tokens::issue(conn, user.id, Purpose::Verify, ctx.now).await?;
    let link = format!("{}/verify?token={token}", ctx.mailer.base_url());
    let locale = user.locale().unwrap_or(Locale::ZhCn);
    ctx.mailer
        .enqueue(
            conn,
            Letter {
                event_key: format!(
                    "verify:{}:{}",
                    user.id,
                    &hex::encode(tokens::digest(&token))[..16]
                ),
                user_id: Some(user.id),
                to: &user.email,
                locale,
                template: "verify",
                subject_args: &[],
                ctx: minijinja::context! { username => &user.username, link => link },
                post_id: None,
            },
            ctx.now,
        )
        .await?;
    Ok(())
}

/// Sends a fresh verification link (the previous one stops working).
pub async fn resend_verification(
    conn: &mut Conn,
    ctx: &Ctx<'_>,
    user: &User,
) -> Result<(), AccountError> {
    if user.is_verified() {
        return Err(AccountError::AlreadyVerified);
    }
    ctx.limit(
        conn,
        &format!("resend:user:{}", user.id),
        ctx.settings.rate_limits.resend_per_account,
    )
    .await?;
    conn.transaction::<_, AccountError, _>(async |conn| send_verification(conn, ctx, user).await)
        .await
}

/// Consumes a verification token; the account may write from now on.
pub async fn verify_email(
    conn: &mut Conn,
    ctx: &Ctx<'_>,
    token: &str,
) -> Result<User, AccountError> {
    conn.transaction::<_, AccountError, _>(async |conn| {
        match tokens::consume(conn, token, Purpose::Verify, ctx.now).await? {
            Consumed::Ok(user_id) => {
                users::mark_verified(conn, user_id, ctx.now).await?;
                users::by_id(conn, user_id)
                    .await?
                    .ok_or(AccountError::InvalidToken)
            }
            Consumed::Expired => Err(AccountError::ExpiredToken),
            Consumed::Invalid => Err(AccountError::InvalidToken),
        }
    })
    .await
}

/// Checks the password and opens a session. Failure never says whether the account exists.
pub async fn login(
    conn: &mut Conn,
    ctx: &Ctx<'_>,
    login: &str,
    password: &str,
    ip: &str,
    user_agent: &str,
) -> Result<(User, String), AccountError> {
    let limits = &ctx.settings.rate_limits;
    ctx.limit(conn, &format!("login:ip:{ip}"), limits.login_per_ip)
        .await?;
    let login = login.trim();
    // PostgreSQL text cannot hold NUL, and no real login contains control characters.
    let key: String = Username::key_of(login)
        .chars()
        .filter(|c| !c.is_control())
        .take(254)
        .collect();
    ctx.limit(
        conn,
        &format!("login:account:{key}"),
        limits.login_per_account,
    )
    .await?;
    let plausible =
        !login.is_empty() && login.chars().count() <= 254 && !login.chars().any(char::is_control);
    let user = if !plausible {
        None
    } else {
        users::by_login(conn, login).await?
    };
    let ok = passwords::verify(
        password.to_string(),
        user.as_ref().map(|u| u.password_hash.clone()),
    )
    .await;
    let user = match (ok, user) {
        (true, Some(u)) => u,
        _ => return Err(AccountError::BadCredentials),
    };
    if let Some(until) = user.suspended_until.filter(|t| *t > ctx.now) {
        // Told only after the right password: the reason is the account holder's to read.
        let reason =
            super::sanctions::current(conn, user.id, super::sanctions::Kind::Suspend, ctx.now)
                .await?
                .map(|s| s.reason)
                .unwrap_or_default();
        return Err(AccountError::Suspended { until, reason });
    }
    let token = sessions::create_from(
        conn,
        user.id,
        user_agent,
        Some(ip),
        Duration::days(ctx.settings.session_days),
        ctx.now,
    )
    .await?;
    Ok((user, token))
}

/// Mails a reset link if the address belongs to an account; answers the same either way.
pub async fn request_password_reset(
    conn: &mut Conn,
    ctx: &Ctx<'_>,
    email: &str,
    ip: &str,
) -> Result<(), AccountError> {
    let limits = &ctx.settings.rate_limits;
    ctx.limit(conn, &format!("reset:ip:{ip}"), limits.reset_per_ip)
        .await?;
    let email = Email::parse(email)?;
    ctx.limit(
        conn,
        &format!("reset:email:{}", email.as_str()),
        limits.reset_per_email,
    )
    .await?;
    conn.transaction::<_, AccountError, _>(async |conn| {
        let Some(user) = users::by_email(conn, email.as_str()).await? else {
            return Ok(());
        };
        let token = tokens::issue(conn, user.id, Purpose::Reset, ctx.now).await?;
        let link = format!("{}/reset-password?token={token}", ctx.mailer.base_url());
        ctx.mailer
            .enqueue(
                conn,
                Letter {
                    event_key: format!(
                        "reset:{}:{}",
                        user.id,
                        &hex::encode(tokens::digest(&token))[..16]
                    ),
                    user_id: Some(user.id),
                    to: &user.email,
                    locale: user.locale().unwrap_or(Locale::ZhCn),
                    template: "reset",
                    subject_args: &[],
                    ctx: minijinja::context! { username => &user.username, link => link },
                    post_id: None,
                },
                ctx.now,
            )
            .await?;
        Ok(())
    })
    .await
}

/// Sets a new password from a reset token and ends every session of the account.
pub async fn reset_password(
    conn: &mut Conn,
    ctx: &Ctx<'_>,
    token: &str,
    new_password: &str,
) -> Result<User, AccountError> {
    conn.transaction::<_, AccountError, _>(async |conn| {
        let user_id = match tokens::consume(conn, token, Purpose::Reset, ctx.now).await? {
            Consumed::Ok(id) => id,
            Consumed::Expired => return Err(AccountError::ExpiredToken),
            Consumed::Invalid => return Err(AccountError::InvalidToken),
        };
        let user = users::by_id(conn, user_id)
            .await?
            .ok_or(AccountError::InvalidToken)?;
        // A refused password rolls the transaction back, so the token stays usable.
        let password = Password::parse_for(new_password, &[&user.username, &user.email])?;
        let hash = passwords::hash(password.expose().to_string())
            .await
            .map_err(AccountError::Hash)?;
        users::set_password_hash(conn, user.id, &hash, ctx.now).await?;
        // The link arrived by mail, so the address is proven.
        users::mark_verified(conn, user.id, ctx.now).await?;
        sessions::delete_all_for_user(conn, user.id, None).await?;
        Ok(user)
    })
    .await
}

/// Checks a signed-in person's password before a grave step; rate-limited like login.
pub async fn confirm_password(
    conn: &mut Conn,
    ctx: &Ctx<'_>,
    user: &User,
    password: &str,
    field: &'static str,
) -> Result<(), AccountError> {
    ctx.limit(
        conn,
        &format!("login:account:{}", Username::key_of(&user.username)),
        ctx.settings.rate_limits.login_per_account,
    )
    .await?;
    if !passwords::verify(password.to_string(), Some(user.password_hash.clone())).await {
        return Err(AccountError::Invalid(vec![FieldError::new(
            field,
            "is not correct",
        )]));
    }
    Ok(())
}

/// Changes the password after checking the current one; other sessions end.
pub async fn change_password(
    conn: &mut Conn,
    ctx: &Ctx<'_>,
    user: &User,
    current_session: i64,
    current: &str,
    new_password: &str,
) -> Result<(), AccountError> {
    confirm_password(conn, ctx, user, current, "current_password").await?;
    let password =
        Password::parse_for(new_password, &[&user.username, &user.email]).map_err(|mut e| {
            e.field = "new_password";
            e
        })?;
    let hash = passwords::hash(password.expose().to_string())
        .await
        .map_err(AccountError::Hash)?;
    conn.transaction::<_, AccountError, _>(async |conn| {
        users::set_password_hash(conn, user.id, &hash, ctx.now).await?;
        sessions::delete_all_for_user(conn, user.id, Some(current_session)).await?;
        Ok(())
    })
    .await
}

/// For `chorus admin create-user`: a verified account with the given role, no mail.
pub async fn create_verified(
    conn: &mut Conn,
    settings: &Settings,
    username: &str,
    email: &str,
    password: &str,
    role: Role,
    now: DateTime<Utc>,
) -> Result<User, AccountError> {
    let reg =
        Registration::parse(username, email, password, true).map_err(AccountError::Invalid)?;
    let (name_taken, email_taken) = users::taken(conn, &reg.username, &reg.email, now).await?;
    if name_taken || email_taken {
        return Err(AccountError::Taken(vec![FieldError::new(
            if name_taken { "username" } else { "email" },
            "is already in use",
        )]));
    }
    let hash = passwords::hash(reg.password.expose().to_string())
        .await
        .map_err(AccountError::Hash)?;
    Ok(users::insert(
        conn,
        NewUser {
            username: &reg.username,
            email: &reg.email,
            password_hash: &hash,
            role,
            locale: None,
            verified: true,
            privacy_version: &settings.privacy_policy_version,
        },
        now,
    )
    .await?)
}

pub async fn set_role(
    conn: &mut Conn,
    username: &str,
    role: Role,
    now: DateTime<Utc>,
) -> Result<User, AccountError> {
    let user = users::by_username(conn, username)
        .await?
        .ok_or(AccountError::NotFound)?;
    users::set_role(conn, user.id, role, now).await?;
    Ok(User { role, ..user })
}
