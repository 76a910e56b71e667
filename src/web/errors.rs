//! One error type for every handler, mapped to HTTP in one place. Clients see a code and a
//! human message; unexpected failures are logged with their cause and answered with the request
//! id only.

use crate::accounts::{AccountError, FieldError, Locale};
use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use std::collections::BTreeMap;
use std::fmt;

tokio::task_local! {
    /// Set by the request middleware for the duration of one request.
    pub static REQUEST: RequestInfo;
}

#[derive(Clone)]
pub struct RequestInfo {
    pub id: String,
    /// API requests get JSON errors; pages get an HTML page.
    pub api: bool,
    pub locale: Locale,
    pub state: Option<super::AppState>,
}

#[derive(Debug)]
pub enum AppError {
    /// 400: the body could not be read as JSON/form at all.
    BadRequest {
        code: &'static str,
        message: String,
    },
    /// 422: readable, but some fields are wrong.
    Invalid {
        message: String,
        fields: BTreeMap<String, String>,
    },
    Unauthorized,
    /// A page that needs a signed-in person: pages redirect to the login form, which returns
    /// to `next`; the API answers 401 like `Unauthorized`.
    SignIn {
        next: String,
    },
    /// 401 for a failed login; says nothing about which part was wrong.
    InvalidCredentials,
    Forbidden {
        code: &'static str,
        message: String,
    },
    NotFound,
    Conflict {
        message: String,
        fields: BTreeMap<String, String>,
    },
    PayloadTooLarge,
    RateLimited {
        retry_after_secs: i64,
    },
    /// 503: the database (or, for search, the index) cannot answer now; try again shortly.
    Unavailable {
        what: &'static str,
        retry_after_secs: i64,
    },
    /// Anything unexpected: logged with its whole cause chain, shown as a request id.
    Internal(anyhow::Error),
}

impl AppError {
    pub fn invalid(fields: Vec<FieldError>) -> Self {
        AppError::Invalid {
            message: "Some fields are not valid.".into(),
            fields: fields
                .into_iter()
                .map(|f| (f.field.to_string(), f.message))
                .collect(),
        }
    }

    pub fn field(field: &'static str, message: &str) -> Self {
        Self::invalid(vec![FieldError::new(field, message)])
    }

    pub fn internal(e: impl Into<anyhow::Error>) -> Self {
        AppError::Internal(e.into())
    }

    pub fn code(&self) -> &'static str {
        match self {
            AppError::BadRequest { code, .. } => code,
            AppError::Invalid { .. } => "validation_failed",
            AppError::Unauthorized | AppError::SignIn { .. } => "not_logged_in",
            AppError::InvalidCredentials => "invalid_credentials",
            AppError::Forbidden { code, .. } => code,
            AppError::NotFound => "not_found",
            AppError::Conflict { .. } => "conflict",
            AppError::PayloadTooLarge => "payload_too_large",
            AppError::RateLimited { .. } => "rate_limited",
            AppError::Unavailable { what, .. } => what,
            AppError::Internal(_) => "internal_error",
        }
    }

    pub fn message(&self) -> String {
        match self {
            AppError::BadRequest { message, .. }
            | AppError::Invalid { message, .. }
            | AppError::Forbidden { message, .. }
            | AppError::Conflict { message, .. } => message.clone(),
            AppError::Unauthorized | AppError::SignIn { .. } => "You need to log in.".into(),
            AppError::InvalidCredentials => "Wrong username, email or password.".into(),
            AppError::NotFound => "Not found.".into(),
            AppError::PayloadTooLarge => "The request body is too large.".into(),
            AppError::RateLimited { retry_after_secs } => {
                format!("Too many attempts; try again in {retry_after_secs} seconds.")
            }
            AppError::Unavailable {
                retry_after_secs, ..
            } => format!("Temporarily unavailable; try again in {retry_after_secs} seconds."),
            AppError::Internal(_) => "Something went wrong on our side.".into(),
        }
    }

    pub fn fields(&self) -> Option<&BTreeMap<String, String>> {
        match self {
            AppError::Invalid { fields, .. } | AppError::Conflict { fields, .. } => Some(fields),
            _ => None,
        }
    }
}

impl fmt::Display for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AppError::Internal(why) => write!(f, "internal: {why:#}"),
            other => write!(f, "{}: {}", other.code(), other.message()),
        }
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            AppError::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Unauthorized | AppError::SignIn { .. } | AppError::InvalidCredentials => {
                StatusCode::UNAUTHORIZED
            }
            AppError::Forbidden { .. } => StatusCode::FORBIDDEN,
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Conflict { .. } => StatusCode::CONFLICT,
            AppError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let info = REQUEST.try_with(|r| r.clone()).ok();
        let request_id = info.as_ref().map(|i| i.id.clone()).unwrap_or_default();
        if let AppError::Internal(why) = self {
            tracing::error!(request_id = %request_id, error = format!("{why:#}"), "request failed");
        }
        let mut resp = HttpResponse::build(self.status_code());
        if let AppError::RateLimited { retry_after_secs }
        | AppError::Unavailable {
            retry_after_secs, ..
        } = self
        {
            resp.insert_header((header::RETRY_AFTER, retry_after_secs.to_string()));
        }
        resp.insert_header((header::CACHE_CONTROL, "no-store"));
        let api = info.as_ref().is_none_or(|i| i.api);
        if let (false, AppError::SignIn { next }) = (api, self) {
            let to = format!("/login?next={}", crate::content::percent_encode(next));
            return HttpResponse::SeeOther()
                .insert_header((header::LOCATION, to))
                .insert_header((header::CACHE_CONTROL, "no-store"))
                .finish();
        }
        if !api {
            if let Some(html) = info.as_ref().and_then(|i| error_page(i, self, &request_id)) {
                return resp.content_type("text/html; charset=utf-8").body(html);
            }
        }
        resp.json(ErrorBody {
            error: ErrorDetail {
                code: self.code().to_string(),
                message: self.message().to_string(),
                fields: self.fields().cloned(),
                request_id: matches!(self, AppError::Internal(_)).then_some(request_id),
            },
        })
    }
}

fn error_page(info: &RequestInfo, err: &AppError, request_id: &str) -> Option<String> {
    let state = info.state.as_ref()?;
    let status = err.status_code().as_u16();
    let ctx = minijinja::context! {
        status => status,
        code => err.code(),
        request_id => request_id,
        retry_after => match err { AppError::RateLimited { retry_after_secs } | AppError::Unavailable { retry_after_secs, .. } => Some(*retry_after_secs), _ => None },
    };
    state.theme.render("error.html", info.locale, ctx).ok()
}

impl From<AccountError> for AppError {
    fn from(e: AccountError) -> Self {
        match e {
            AccountError::Invalid(fields) => AppError::invalid(fields),
            AccountError::Taken(fields) => AppError::Conflict {
                message: "Already in use.".into(),
                fields: fields
                    .into_iter()
                    .map(|f| (f.field.to_string(), f.message))
                    .collect(),
            },
            AccountError::BadCredentials => AppError::InvalidCredentials,
            AccountError::InvalidToken => AppError::BadRequest {
                code: "invalid_token",
                message: "This link is not valid or was already used.".into(),
            },
            AccountError::ExpiredToken => AppError::BadRequest {
                code: "expired_token",
                message: "This link has expired; ask for a new one.".into(),
            },
            AccountError::RateLimited(r) => AppError::RateLimited {
                retry_after_secs: r.retry_after_secs,
            },
            AccountError::NotFound => AppError::NotFound,
            AccountError::AlreadyVerified => AppError::Conflict {
                message: "Your email address is already verified.".into(),
                fields: BTreeMap::new(),
            },
            AccountError::Suspended { until, reason } => AppError::Forbidden {
                code: "suspended",
                message: format!(
                    "Your account is suspended until {}: {reason}",
                    until.format("%Y-%m-%d %H:%M UTC")
                ),
            },
            AccountError::Db(e) => e.into(),
            AccountError::Pool(e) => e.into(),
            AccountError::Mail(e) => AppError::internal(e),
            AccountError::Hash(e) => AppError::internal(anyhow::Error::msg(e)),
        }
    }
}

impl From<crate::forum::ForumError> for AppError {
    fn from(e: crate::forum::ForumError) -> Self {
        use crate::forum::ForumError as F;
        match e {
            F::Invalid(fields) => AppError::invalid(fields),
            F::NotFound => AppError::NotFound,
            F::Locked => AppError::Forbidden {
                code: "topic_locked",
                message: "This topic is locked.".into(),
            },
            F::OwnPost => AppError::Forbidden {
                code: "own_post",
                message: "You cannot like your own post.".into(),
            },
            F::Forbidden => AppError::Forbidden {
                code: "forbidden",
                message: "You may not do that.".into(),
            },
            F::NoPosting => AppError::Forbidden {
                code: "board_read_only",
                message: "You may read this board but not post on it.".into(),
            },
            F::Conflict(message) => AppError::Conflict {
                message: message.into(),
                fields: BTreeMap::new(),
            },
            F::Silenced { until } => AppError::Forbidden {
                code: "silenced",
                message: format!(
                    "You are silenced until {} and cannot post.",
                    until.format("%Y-%m-%d %H:%M UTC")
                ),
            },
            F::RateLimited(r) => AppError::RateLimited {
                retry_after_secs: r.retry_after_secs,
            },
            F::Db(e) => e.into(),
        }
    }
}

impl From<crate::programmes::ProgrammeError> for AppError {
    fn from(e: crate::programmes::ProgrammeError) -> Self {
        use crate::programmes::ProgrammeError as P;
        match e {
            P::Invalid(fields) => AppError::invalid(fields),
            P::NotFound => AppError::NotFound,
            P::Conflict(message) => AppError::Conflict {
                message,
                fields: BTreeMap::new(),
            },
            // A gate the applicant does not pass: named, in their language.
            P::Gate(why) => AppError::invalid(vec![crate::accounts::FieldError::new("gate", why)]),
            P::Db(e) => e.into(),
            P::Mail(e) => AppError::internal(e),
        }
    }
}

impl From<crate::feedback::FeedbackError> for AppError {
    fn from(e: crate::feedback::FeedbackError) -> Self {
        match e {
            crate::feedback::FeedbackError::Invalid(f) => AppError::invalid(f),
            crate::feedback::FeedbackError::NotFound => AppError::NotFound,
            crate::feedback::FeedbackError::Forbidden => AppError::Forbidden {
                code: "forbidden",
                message: "Only product teams, moderators and admins may do that.".into(),
            },
            crate::feedback::FeedbackError::OwnTopic => AppError::Forbidden {
                code: "own_topic",
                message: "You cannot vote on your own topic.".into(),
            },
            crate::feedback::FeedbackError::WrongKind => AppError::Conflict {
                message: "This does not apply to this kind of topic.".into(),
                fields: Default::default(),
            },
            crate::feedback::FeedbackError::Db(e) => e.into(),
            crate::feedback::FeedbackError::Storage(e) => AppError::internal(e),
        }
    }
}

impl From<crate::triage::TriageError> for AppError {
    fn from(e: crate::triage::TriageError) -> Self {
        match e {
            crate::triage::TriageError::Invalid(f) => AppError::invalid(f),
            crate::triage::TriageError::NotFound => AppError::NotFound,
            crate::triage::TriageError::Conflict(message) => AppError::Conflict {
                message,
                fields: Default::default(),
            },
            crate::triage::TriageError::NotYourTeam => AppError::Forbidden {
                code: "not_your_team",
                message: "This item belongs to another team.".into(),
            },
            crate::triage::TriageError::Search(e) => e.into(),
            crate::triage::TriageError::Db(e) => e.into(),
        }
    }
}

impl From<crate::moderation::ModError> for AppError {
    fn from(e: crate::moderation::ModError) -> Self {
        use crate::moderation::ModError as M;
        match e {
            M::Invalid(fields) => AppError::invalid(fields),
            M::NotFound => AppError::NotFound,
            M::Forbidden { code, message } => AppError::Forbidden { code, message },
            M::Conflict(message) => AppError::Conflict {
                message,
                fields: BTreeMap::new(),
            },
            M::RateLimited(r) => AppError::RateLimited {
                retry_after_secs: r.retry_after_secs,
            },
            M::Mail(e) => AppError::internal(e),
            M::Db(e) => e.into(),
        }
    }
}

/// The database is down or too slow: a 503 with a short Retry-After; the cause goes to the log
/// (at most once a second, so an outage cannot flood it).
fn database_unavailable(cause: &dyn fmt::Display) -> AppError {
    if crate::clock::log_allowed(&UNAVAILABLE_LOGGED) {
        tracing::warn!(error = %cause, "database unavailable: answering 503");
    }
    AppError::Unavailable {
        what: "database_unavailable",
        retry_after_secs: 5,
    }
}

static UNAVAILABLE_LOGGED: std::sync::atomic::AtomicI64 = std::sync::atomic::AtomicI64::new(0);

impl From<crate::db::DbError> for AppError {
    fn from(e: crate::db::DbError) -> Self {
        match e {
            crate::db::DbError::Unavailable(_) | crate::db::DbError::Connect(_) => {
                database_unavailable(&e)
            }
            crate::db::DbError::Query(q) => q.into(),
            other => AppError::internal(other),
        }
    }
}

impl From<diesel::result::Error> for AppError {
    fn from(e: diesel::result::Error) -> Self {
        if crate::db::is_unavailable(&e) {
            database_unavailable(&e)
        } else {
            AppError::internal(e)
        }
    }
}

impl From<crate::search::SearchError> for AppError {
    fn from(e: crate::search::SearchError) -> Self {
        use crate::search::SearchError as S;
        match e {
            S::Db(e) => e.into(),
            S::Pool(e) => e.into(),
            // The index is derived data: a damaged one is repaired in the background (see
            // `search::generations`), and only search answers 503 meanwhile.
            other => {
                if crate::clock::log_allowed(&SEARCH_LOGGED) {
                    tracing::error!(
                        error = format!("{:#}", anyhow::Error::from(other)),
                        "search failed: answering 503"
                    );
                }
                AppError::Unavailable {
                    what: "search_unavailable",
                    retry_after_secs: 30,
                }
            }
        }
    }
}

static SEARCH_LOGGED: std::sync::atomic::AtomicI64 = std::sync::atomic::AtomicI64::new(0);

impl From<minijinja::Error> for AppError {
    fn from(e: minijinja::Error) -> Self {
        // The template chain stays in the source chain: a broken theme is easy to find in the log.
        AppError::internal(e)
    }
}

/// Turns actix's JSON extractor errors into the API error shape.
pub fn json_error(err: actix_web::error::JsonPayloadError) -> AppError {
    use actix_web::error::JsonPayloadError as J;
    match err {
        J::OverflowKnownLength { .. } | J::Overflow { .. } => AppError::PayloadTooLarge,
        J::ContentType => AppError::BadRequest {
            code: "unsupported_content_type",
            message: "Send the body as application/json.".into(),
        },
        J::Deserialize(e) if e.is_data() => serde_field_error(&e.to_string()),
        J::Deserialize(e) => AppError::BadRequest {
            code: "malformed_json",
            message: format!("The body is not valid JSON ({}).", e),
        },
        _ => AppError::BadRequest {
            code: "bad_body",
            message: "The request body could not be read.".into(),
        },
    }
}

/// Form posts (pages) get the same treatment.
pub fn form_error(err: actix_web::error::UrlencodedError) -> AppError {
    use actix_web::error::UrlencodedError as U;
    match err {
        U::Overflow { .. } => AppError::PayloadTooLarge,
        U::Parse(e) => serde_field_error(&e.to_string()),
        _ => AppError::BadRequest {
            code: "bad_body",
            message: "The form could not be read.".into(),
        },
    }
}

pub fn query_error(err: actix_web::error::QueryPayloadError) -> AppError {
    serde_field_error(&err.to_string())
}

/// serde says "missing field `email`" or "unknown field `x`, expected ...": keep the message and
/// name the field so a client can show it in place.
fn serde_field_error(msg: &str) -> AppError {
    let clean = msg.split(" at line ").next().unwrap_or(msg).to_string();
    let names_field = clean.starts_with("missing field") || clean.starts_with("unknown field");
    let field = names_field
        .then(|| clean.split('`').nth(1).map(str::to_string))
        .flatten();
    let mut fields = BTreeMap::new();
    if let Some(f) = field.filter(|f| f.len() <= 64) {
        fields.insert(f, clean.clone());
    }
    AppError::Invalid {
        message: clean,
        fields,
    }
}

/// The one error shape: `{error: {code, message, fields?, request_id?}}`.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    pub code: String,
    pub message: String,
    /// Field name to message, for `validation_failed`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fields: Option<std::collections::BTreeMap<String, String>>,
    /// Only on a 500: quote it when reporting the problem.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}
