//! `GET /api/v1/openapi.json`: the machine-readable contract, built from one table. A test
//! checks the table against the routes the handlers register, both ways.

use actix_web::{web, HttpResponse};
use serde_json::{json, Map, Value};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/openapi.json", web::get().to(serve));
}

async fn serve() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(("Cache-Control", "public, max-age=3600"))
        .json(document())
}

/// Who may call an operation.
#[derive(Clone, Copy)]
enum Who {
    Anyone,
    User,
    /// Signed in with a verified email (writing).
    Verified,
    Staff,
    Admin,
    /// Team members and staff (triage).
    Team,
}

/// (method, path, tag, who, summary, JSON body fields (`name?` = optional), success status).
type Op = (
    &'static str,
    &'static str,
    &'static str,
    Who,
    &'static str,
    &'static str,
    u16,
);

#[rustfmt::skip]
const OPS: &[Op] = &[
    ("post", "/auth/register", "accounts", Who::Anyone, "Create an account; a verification mail is sent", "username, email, password, accept_privacy, locale?", 201),
    ("post", "/auth/verify", "accounts", Who::Anyone, "Verify the email address with the mailed token", "token", 200),
    ("post", "/auth/resend-verification", "accounts", Who::User, "Send a fresh verification link", "", 202),
    ("post", "/auth/login", "accounts", Who::Anyone, "Log in with username or email; returns a bearer token and sets the session cookie", "login, password", 200),
    ("post", "/auth/logout", "accounts", Who::User, "End this session", "", 204),
    ("post", "/auth/logout-all", "accounts", Who::User, "End every session of this account", "", 204),
    ("post", "/auth/password-reset", "accounts", Who::Anyone, "`{email}` mails a reset link (always 202); `{token, password}` sets the new password (200)", "email?, token?, password?", 202),
    ("get", "/me", "accounts", Who::User, "The signed-in account, with `consent_required` and the current `privacy_policy_version`", "", 200),
    ("patch", "/me", "accounts", Who::User, "Language and notification preferences", "locale?, notify_reply?, notify_mention?, notify_subscribed?, notify_status?, digest_weekly?", 200),
    ("delete", "/me", "data rights", Who::User, "Erase the account (password required): personal data removed, posts kept as \"deleted user #N\"", "password", 204),
    ("post", "/me/password", "accounts", Who::User, "Change the password; other sessions end", "current_password, new_password", 204),
    ("get", "/me/sessions", "accounts", Who::User, "Where this account is signed in", "", 200),
    ("post", "/me/consent", "data rights", Who::User, "Accept the current privacy policy version (needed before writing after it changes)", "version", 200),
    ("get", "/me/export", "data rights", Who::User, "Everything Chorus holds about the signed-in person, as JSON; 403 `export_by_mail` when large", "", 200),
    ("post", "/me/export", "data rights", Who::User, "Build the full export in the background and mail a link that expires", "", 202),
    ("get", "/me/feedback", "feedback", Who::User, "My bug reports and ideas with their status", "", 200),
    ("post", "/me/checkin", "honor", Who::Verified, "Daily check-in (points once a day)", "", 200),
    ("get", "/boards", "forum", Who::Anyone, "Boards with their names and the kinds of topic they take", "", 200),
    ("get", "/boards/{slug}/topics", "forum", Who::Anyone, "Topic summaries of a board: `?kind=&status=&sort=hot|new|top|votes&cursor=`", "", 200),
    ("put", "/boards/{slug}/follow", "forum", Who::User, "Follow a board", "", 204),
    ("delete", "/boards/{slug}/follow", "forum", Who::User, "Stop following a board", "", 204),
    ("get", "/topics", "forum", Who::Anyone, "Topic summaries across boards (same filters as a board)", "", 200),
    ("post", "/topics", "forum", Who::Verified, "Start a discussion, bug report or idea", "board, kind, title, body, tags?, bug?, product?", 201),
    ("get", "/topics/{id}", "forum", Who::Anyone, "A topic with its posts (404 if hidden from you)", "", 200),
    ("post", "/topics/{id}/posts", "forum", Who::Verified, "Reply, optionally to a post", "body, parent_id?", 201),
    ("put", "/topics/{id}/subscription", "forum", Who::User, "Subscribe to a topic", "", 204),
    ("delete", "/topics/{id}/subscription", "forum", Who::User, "Unsubscribe", "", 204),
    ("patch", "/posts/{id}", "forum", Who::Verified, "Edit a post; the history is kept", "body", 200),
    ("delete", "/posts/{id}", "forum", Who::Verified, "Delete your own post (an opening post only while nobody else has replied; not while moderators hold it)", "", 204),
    ("get", "/posts/{id}/revisions", "forum", Who::Anyone, "Edit history of a visible post", "", 200),
    ("put", "/posts/{id}/like", "forum", Who::Verified, "Like a post", "", 200),
    ("delete", "/posts/{id}/like", "forum", Who::Verified, "Take a like back", "", 200),
    ("post", "/admin/boards", "forum", Who::Admin, "Create or update a board", "slug, name_zh, name_en, description_zh?, description_en?, kinds, position?, product_line?", 201),
    ("put", "/topics/{id}/vote", "feedback", Who::Verified, "Vote for an idea (one per person)", "", 200),
    ("delete", "/topics/{id}/vote", "feedback", Who::Verified, "Take a vote back", "", 200),
    ("put", "/topics/{id}/me-too", "feedback", Who::Verified, "\"Me too\" on a bug report", "", 200),
    ("delete", "/topics/{id}/me-too", "feedback", Who::Verified, "Take a \"me too\" back", "", 200),
    ("post", "/topics/{id}/status", "feedback", Who::Team, "Change the status; everyone behind the topic hears about it", "status, note?, fixed_in?, duplicate_of?", 200),
    ("get", "/topics/{id}/status-history", "feedback", Who::Anyone, "Every status change of a topic", "", 200),
    ("post", "/topics/{id}/merge", "feedback", Who::Team, "Merge into another topic; votes, me-too and subscribers move without double counting", "into, note?", 200),
    ("put", "/topics/{id}/satisfaction", "feedback", Who::Verified, "Was the fix or delivery satisfying? (reporter and voters)", "satisfied, comment?", 204),
    ("get", "/topics/{id}/satisfaction", "feedback", Who::Team, "Satisfaction answers for a topic", "", 200),
    ("post", "/topics/{id}/attachments", "feedback", Who::Verified, "Attach a log or screenshot (multipart: `file`, `private`)", "", 201),
    ("get", "/products", "feedback", Who::Anyone, "Products bug reports can name", "", 200),
    ("post", "/admin/products", "feedback", Who::Admin, "Create or update a product", "slug, name_zh, name_en, line", 201),
    ("get", "/notifications", "notifications", Who::User, "The bell: newest first, `?cursor=`", "", 200),
    ("post", "/notifications/read", "notifications", Who::User, "Mark notifications read (all, or the given ids)", "ids?", 200),
    ("get", "/search", "search", Who::Anyone, "Search: `?q=&kind=&board=&product=&status=&author=&sort=relevance|new|votes&page=`", "", 200),
    ("get", "/search/similar", "search", Who::Anyone, "Up to 5 likely duplicates while composing: `?title=&body=&board=&product=`", "", 200),
    ("post", "/admin/reindex", "search", Who::Admin, "Rebuild the search index beside the live one and swap it in", "", 200),
    ("post", "/posts/{id}/flags", "moderation", Who::Verified, "Flag a post", "reason, note?", 201),
    ("get", "/mod/queue", "moderation", Who::Staff, "The review queue", "", 200),
    ("post", "/mod/queue/{id}", "moderation", Who::Staff, "Decide a review item", "decision, note?", 200),
    ("post", "/mod/posts/{id}/{action}", "moderation", Who::Staff, "hide | unhide | delete | edit a post", "reason, body?", 200),
    ("post", "/mod/topics/{id}/{action}", "moderation", Who::Staff, "lock | unlock | pin | unpin | feature | unfeature | move a topic", "reason, board?", 200),
    ("get", "/mod/users/{username}", "moderation", Who::Staff, "A person's record, with personal data (each look is logged)", "", 200),
    ("post", "/mod/users/{username}/{action}", "moderation", Who::Staff, "silence | suspend | restore", "reason, days?", 200),
    ("get", "/mod/log", "moderation", Who::Staff, "The audit log: `?cursor=&user=`", "", 200),
    ("get", "/admin/access-log", "moderation", Who::Admin, "Who looked at whose personal data", "", 200),
    ("post", "/admin/users/{username}/erase", "data rights", Who::Admin, "Erase someone's account on request (audited, reason required)", "reason", 200),
    ("get", "/users/{username}", "honor", Who::Anyone, "A public profile: level, honor, medals, counts", "", 200),
    ("get", "/honor/leaderboard", "honor", Who::Anyone, "Leaderboards: `?period=week|month|all&board=`", "", 200),
    ("get", "/honor/medals", "honor", Who::Anyone, "Every medal and how to earn it", "", 200),
    ("post", "/admin/users/{username}/title", "honor", Who::Admin, "Grant or clear a title (empty clears)", "title?", 200),
    ("get", "/admin/teams", "triage", Who::Admin, "Product teams", "", 200),
    ("post", "/admin/teams", "triage", Who::Admin, "Create or update a team", "slug, name_zh, name_en, sla_crash_hours?, sla_major_hours?, sla_minor_hours?, sla_idea_hours?, webhook_url?, webhook_secret?", 200),
    ("get", "/admin/webhooks", "triage", Who::Admin, "Recent webhook deliveries (`?limit=`, at most 200): event, team, status, attempts, last error", "", 200),
    ("post", "/admin/teams/{slug}/members", "triage", Who::Admin, "Add or remove a team member", "username, remove?", 200),
    ("post", "/admin/products/{slug}/team", "triage", Who::Admin, "Which team owns a product (null: none)", "team?", 200),
    ("get", "/triage/rules", "triage", Who::Team, "Routing rules", "", 200),
    ("post", "/triage/rules", "triage", Who::Admin, "Replace the routing rules", "rules", 200),
    ("post", "/triage/items/{id}/route", "triage", Who::Team, "Send an item to another team (audited)", "team", 200),
    ("get", "/triage/unrouted", "triage", Who::Admin, "Items no rule could route", "", 200),
    ("get", "/triage/queue", "triage", Who::Team, "A team's queue by priority: `?team=&kind=&status=&product=&assignee=&overdue=&cursor=`", "", 200),
    ("get", "/triage/stats", "triage", Who::Team, "Analytics: `?days=&format=csv`", "", 200),
    ("get", "/triage/items/{id}/similar", "triage", Who::Team, "Merge candidates for an item", "", 200),
    ("post", "/triage/items/{id}/assign", "triage", Who::Team, "Assign an item to a team member (empty: unassign)", "username?", 200),
];

fn who_text(w: Who) -> &'static str {
    match w {
        Who::Anyone => "anyone (what is hidden from you is a 404)",
        Who::User => "signed in",
        Who::Verified => "signed in, email verified, current privacy policy accepted",
        Who::Staff => "moderators and admins",
        Who::Admin => "admins",
        Who::Team => "team members and staff",
    }
}

fn body_schema(fields: &str) -> Value {
    let mut props = Map::new();
    let mut required = Vec::new();
    for f in fields.split(',').map(str::trim).filter(|f| !f.is_empty()) {
        let name = f.trim_end_matches('?');
        if name == f {
            required.push(json!(name));
        }
        props.insert(name.to_string(), json!({}));
    }
    json!({ "type": "object", "properties": props, "required": required })
}

fn error(description: &str) -> Value {
    json!({ "description": description, "content": { "application/json": {
        "schema": { "$ref": "#/components/schemas/Error" } } } })
}

pub fn document() -> Value {
    let mut paths = Map::new();
    for &(method, path, tag, who, summary, fields, status) in OPS {
        let params: Vec<Value> = path
            .split('/')
            .filter_map(|seg| seg.strip_prefix('{')?.strip_suffix('}'))
            .map(|name| {
                let schema = if name == "id" {
                    json!({"type": "integer"})
                } else {
                    json!({"type": "string"})
                };
                json!({ "name": name, "in": "path", "required": true, "schema": schema })
            })
            .collect();
        let mut op = json!({
            "tags": [tag],
            "summary": summary,
            "description": format!("Who: {}.", who_text(who)),
            "parameters": params,
            "responses": {
                status.to_string(): { "description": "success" },
                "400": error("unreadable body"),
                "401": error("not signed in"),
                "403": error("not allowed (`email_unverified`, `consent_required`, `csrf_failed`, ...)"),
                "404": error("not found or not visible to you"),
                "422": error("invalid fields"),
                "429": error("rate limited; see Retry-After"),
            },
        });
        if !matches!(who, Who::Anyone) {
            op["security"] = json!([{ "bearer": [] }, { "cookie": [] }]);
        }
        if !fields.is_empty() {
            op["requestBody"] = json!({ "required": true, "content": {
                "application/json": { "schema": body_schema(fields) } } });
        }
        let entry = paths
            .entry(format!("/api/v1{path}"))
            .or_insert_with(|| json!({}));
        entry[method] = op;
    }
    paths.insert(
        "/api/v1/openapi.json".into(),
        json!({ "get": { "tags": ["meta"], "summary": "This document",
                         "responses": { "200": { "description": "OpenAPI 3.1" } } } }),
    );
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Chorus API",
            "version": "1",
            "description": "Community forum and product feedback. JSON in and out; times are RFC 3339 UTC; lists are `{items, next_cursor}`. Unsafe requests with the session cookie need the CSRF token in `X-CSRF-Token`; bearer calls do not."
        },
        "servers": [{ "url": "/" }],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearer": { "type": "http", "scheme": "bearer" },
                "cookie": { "type": "apiKey", "in": "cookie", "name": "chorus_session" }
            },
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "properties": { "error": {
                        "type": "object",
                        "required": ["code", "message"],
                        "properties": {
                            "code": { "type": "string" },
                            "message": { "type": "string" },
                            "fields": { "type": "object", "additionalProperties": { "type": "string" } }
                        }
                    } }
                }
            }
        }
    })
}
