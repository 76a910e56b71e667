//! `GET /api/v1/openapi.json`: the machine-readable contract. Bodies, query strings and answers
//! are the Rust types the handlers read and write (`utoipa` derives their schemas), so the
//! document cannot drift from them; this table only says which type goes where. A test checks the
//! table against the routes the handlers register, both ways, and `scripts/fuzz.sh` checks real
//! answers against it with schemathesis.

use super::{
    access, auth, feedback, forum, honor, me, moderation, notifications, programmes, search, triage,
};
use super::{ErrorBody, MeView, StatusReply};
use actix_web::{web, HttpResponse};
use serde_json::{json, Map, Value};
use std::sync::OnceLock;
use utoipa::openapi::path::{Parameter, ParameterIn};
use utoipa::openapi::{RefOr, Schema};
use utoipa::{IntoParams, ToSchema};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/openapi.json", web::get().to(serve));
}

async fn serve() -> HttpResponse {
    static DOC: OnceLock<String> = OnceLock::new();
    let doc = DOC.get_or_init(|| document().to_string());
    HttpResponse::Ok()
        .insert_header(("Cache-Control", "public, max-age=3600"))
        .content_type("application/json")
        .body(doc.as_str())
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

/// Component schemas collected while the document is built.
type Components = Vec<(String, RefOr<Schema>)>;
/// A schema for a body or an answer; registers what it refers to.
type Typed = fn(&mut Components) -> Value;
type Params = fn() -> Vec<Parameter>;

struct Op {
    method: &'static str,
    path: &'static str,
    tag: &'static str,
    who: Who,
    summary: &'static str,
    status: u16,
    body: Option<Typed>,
    query: Option<Params>,
    answer: Option<Typed>,
    /// Values a `{action}` segment takes.
    actions: &'static [&'static str],
    /// Also answers `text/csv` (`format=csv`).
    csv: bool,
}

fn op(
    method: &'static str,
    path: &'static str,
    tag: &'static str,
    who: Who,
    summary: &'static str,
    status: u16,
) -> Op {
    Op {
        method,
        path,
        tag,
        who,
        summary,
        status,
        body: None,
        query: None,
        answer: None,
        actions: &[],
        csv: false,
    }
}

impl Op {
    fn body(mut self, t: Typed) -> Self {
        self.body = Some(t);
        self
    }
    fn query(mut self, p: Params) -> Self {
        self.query = Some(p);
        self
    }
    fn answer(mut self, t: Typed) -> Self {
        self.answer = Some(t);
        self
    }
    fn actions(mut self, a: &'static [&'static str]) -> Self {
        self.actions = a;
        self
    }
    fn csv(mut self) -> Self {
        self.csv = true;
        self
    }
}

/// `T`'s schema, registered as a component, by reference.
fn ty<T: ToSchema>(c: &mut Components) -> Value {
    let name = T::name().to_string();
    T::schemas(c);
    c.push((name.clone(), T::schema()));
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

/// `[T]`.
fn list<T: ToSchema>(c: &mut Components) -> Value {
    json!({ "type": "array", "items": ty::<T>(c) })
}

/// The list envelope, `{items: [T], next_cursor}` (`super::Items`).
fn items<T: ToSchema>(c: &mut Components) -> Value {
    json!({
        "type": "object",
        "required": ["items", "next_cursor"],
        "properties": {
            "items": list::<T>(c),
            "next_cursor": { "type": ["string", "null"] },
        },
    })
}

fn q<T: IntoParams>() -> Vec<Parameter> {
    T::into_params(|| Some(ParameterIn::Query))
}

fn ops() -> Vec<Op> {
    use Who::*;
    vec![
        op("post", "/auth/register", "accounts", Anyone, "Create an account; a verification mail is sent. A taken address answers the same (its owner is mailed)", 201).body(ty::<auth::RegisterBody>).answer(ty::<auth::Pending>),
        op("post", "/auth/verify", "accounts", Anyone, "Verify the email address with the mailed token", 200).body(ty::<auth::TokenBody>).answer(ty::<auth::UserReply>),
        op("post", "/auth/resend-verification", "accounts", User, "Send a fresh verification link", 202).answer(ty::<StatusReply>),
        op("post", "/auth/login", "accounts", Anyone, "Log in with username or email; returns a bearer token and sets the session cookie", 200).body(ty::<auth::LoginBody>).answer(ty::<auth::LoginReply>),
        op("post", "/auth/logout", "accounts", User, "End this session", 204),
        op("post", "/auth/logout-all", "accounts", User, "End every session of this account", 204),
        op("post", "/auth/password-reset", "accounts", Anyone, "`{email}` mails a reset link (always 202); `{token, password}` sets the new password (200)", 202).body(ty::<auth::ResetBody>).answer(ty::<StatusReply>),
        op("get", "/me", "accounts", User, "The signed-in account, with `consent_required` and the current `privacy_policy_version`", 200).answer(ty::<me::MeReply>),
        op("patch", "/me", "accounts", User, "Language and notification preferences", 200).body(ty::<me::UpdateBody>).answer(ty::<MeView>),
        op("delete", "/me", "data rights", User, "Erase the account (password required): personal data removed, posts kept as \"deleted user #N\"", 204).body(ty::<me::EraseBody>),
        op("post", "/me/password", "accounts", User, "Change the password; other sessions end", 204).body(ty::<me::PasswordBody>),
        op("get", "/me/sessions", "accounts", User, "Where this account is signed in", 200).answer(items::<me::SessionView>),
        op("post", "/me/consent", "data rights", User, "Accept the current privacy policy version (needed before writing after it changes)", 200).body(ty::<me::ConsentBody>).answer(ty::<MeView>),
        op("get", "/me/export", "data rights", User, "Everything Chorus holds about the signed-in person, as JSON; 403 `export_by_mail` when large", 200).answer(|_| json!({ "type": "object" })),
        op("post", "/me/export", "data rights", User, "Build the full export in the background and mail a link that expires", 202).answer(ty::<StatusReply>),
        op("get", "/me/feedback", "feedback", User, "My bug reports and ideas with their status", 200).answer(ty::<crate::feedback::lists::Mine>),
        op("post", "/me/checkin", "honor", Verified, "Daily check-in (points once a day)", 200).answer(ty::<crate::honor::CheckIn>),
        op("get", "/boards", "forum", Anyone, "Boards with their names and the kinds of topic they take", 200).answer(list::<forum::BoardView>),
        op("get", "/boards/{slug}/topics", "forum", Anyone, "Topic summaries of a board", 200).query(q::<forum::ListQuery>).answer(items::<crate::forum::listing::TopicSummary>),
        op("put", "/boards/{slug}/follow", "forum", User, "Follow a board", 204),
        op("delete", "/boards/{slug}/follow", "forum", User, "Stop following a board", 204),
        op("get", "/topics", "forum", Anyone, "Topic summaries across boards (same filters as a board)", 200).query(q::<forum::ListQuery>).answer(items::<crate::forum::listing::TopicSummary>),
        op("post", "/topics", "forum", Verified, "Start a discussion, bug report or idea", 201).body(ty::<forum::NewTopicBody>).answer(ty::<forum::TopicCreated>),
        op("get", "/topics/{id}", "forum", Anyone, "A topic with its posts (404 if hidden from you)", 200).query(q::<forum::CursorQuery>).answer(ty::<forum::TopicView>),
        op("post", "/topics/{id}/posts", "forum", Verified, "Reply, optionally to a post", 201).body(ty::<forum::ReplyBody>).answer(ty::<crate::forum::posts::Placed>),
        op("put", "/topics/{id}/subscription", "forum", User, "Subscribe to a topic", 204),
        op("delete", "/topics/{id}/subscription", "forum", User, "Unsubscribe", 204),
        op("patch", "/posts/{id}", "forum", Verified, "Edit your post; the history is kept (staff use the moderator edit)", 200).body(ty::<forum::EditBody>).answer(ty::<forum::EditedPost>),
        op("delete", "/posts/{id}", "forum", Verified, "Delete your own post (an opening post only while nobody else has replied; not while moderators hold it)", 204),
        op("get", "/posts/{id}/revisions", "forum", Anyone, "Edit history of a visible post", 200).answer(items::<crate::forum::posts::Revision>),
        op("put", "/posts/{id}/like", "forum", Verified, "Like a post", 200).answer(ty::<forum::LikeCount>),
        op("delete", "/posts/{id}/like", "forum", Verified, "Take a like back", 200).answer(ty::<forum::LikeCount>),
        op("post", "/admin/boards", "forum", Admin, "Create or update a board", 201).body(ty::<forum::BoardBody>).answer(ty::<forum::BoardView>),
        op("get", "/programmes", "programmes", Anyone, "Beta programmes, with whether you may apply and why not", 200).answer(items::<crate::programmes::View>),
        op("post", "/admin/programmes", "programmes", Admin, "Create a beta programme: its group, and its board closed to the group, the product's team and staff", 201).body(ty::<programmes::ProgrammeBody>).answer(ty::<programmes::ProgrammeCreated>),
        op("post", "/programmes/{slug}/applications", "programmes", User, "Apply (422 naming the unmet gate; 409 when you already applied)", 201).body(ty::<programmes::ApplyBody>).answer(ty::<programmes::Applied>),
        op("get", "/programmes/{slug}/applications", "programmes", Team, "Applications, for staff and the product's team", 200).query(q::<programmes::StatusQuery>).answer(items::<crate::programmes::applications::Item>),
        op("post", "/programmes/{slug}/applications/{id}", "programmes", Team, "Approve or reject (mailed and shown in-app; 409 when already decided)", 200).body(ty::<programmes::DecisionBody>).answer(ty::<programmes::Decided>),
        op("delete", "/programmes/{slug}/membership", "programmes", User, "Leave the programme", 204),
        op("get", "/programmes/{slug}/testers", "programmes", Team, "The approved testers", 200).csv(),
        op("patch", "/admin/boards/{slug}", "access", Admin, "Who may read and who may post on a board (audited)", 200).body(ty::<access::BoardAccessBody>).answer(ty::<crate::access::BoardRule>),
        op("get", "/admin/groups", "access", Admin, "Named groups with their member counts", 200).answer(items::<crate::accounts::groups::Group>),
        op("post", "/admin/groups", "access", Admin, "Create a named group", 201).body(ty::<access::GroupBody>).answer(ty::<crate::accounts::groups::Group>),
        op("delete", "/admin/groups/{slug}", "access", Admin, "Delete a group no board rule names (409 otherwise)", 204),
        op("get", "/admin/groups/{slug}/members", "access", Admin, "A group's members", 200).answer(items::<crate::accounts::groups::GroupMember>),
        op("post", "/admin/groups/{slug}/members", "access", Admin, "Add someone to a group, or take them out (`remove`); effective at their next request", 200).body(ty::<access::MemberBody>).answer(ty::<crate::accounts::groups::Membership>),
        op("put", "/topics/{id}/vote", "feedback", Verified, "Vote for an idea (one per person)", 200).answer(ty::<feedback::Counted>),
        op("delete", "/topics/{id}/vote", "feedback", Verified, "Take a vote back", 200).answer(ty::<feedback::Counted>),
        op("put", "/topics/{id}/me-too", "feedback", Verified, "\"Me too\" on a bug report", 200).answer(ty::<feedback::Counted>),
        op("delete", "/topics/{id}/me-too", "feedback", Verified, "Take a \"me too\" back", 200).answer(ty::<feedback::Counted>),
        op("post", "/topics/{id}/status", "feedback", Team, "Change the status; everyone behind the topic hears about it", 200).body(ty::<feedback::StatusBody>).answer(ty::<feedback::StatusChanged>),
        op("get", "/topics/{id}/status-history", "feedback", Anyone, "Every status change of a topic", 200).answer(items::<crate::feedback::changes::ChangeView>),
        op("post", "/topics/{id}/merge", "feedback", Team, "Merge into another topic; votes, me-too and subscribers move without double counting", 200).body(ty::<feedback::MergeBody>).answer(ty::<feedback::MergedReply>),
        op("put", "/topics/{id}/satisfaction", "feedback", Verified, "Was the fix or delivery satisfying? (reporter and voters)", 204).body(ty::<feedback::AnswerBody>),
        op("get", "/topics/{id}/satisfaction", "feedback", Team, "Satisfaction answers for a topic", 200).answer(items::<crate::feedback::satisfaction::Answer>),
        op("post", "/topics/{id}/attachments", "feedback", Verified, "Attach a log or screenshot (multipart: `file`, `private`)", 201).answer(ty::<feedback::AttachmentReply>),
        op("get", "/topics/{id}/internal-notes", "feedback", Team, "Internal notes on a bug or idea: staff and the routed team (404 for everyone else)", 200).answer(items::<crate::feedback::notes::Note>),
        op("post", "/topics/{id}/internal-notes", "feedback", Team, "Add an internal note (markdown; audited)", 201).body(ty::<feedback::NoteBody>).answer(ty::<crate::feedback::notes::Note>),
        op("get", "/products", "feedback", Anyone, "Products bug reports can name", 200).answer(list::<feedback::ProductView>),
        op("post", "/admin/products", "feedback", Admin, "Create or update a product", 201).body(ty::<feedback::ProductBody>).answer(ty::<feedback::ProductSaved>),
        op("get", "/notifications", "notifications", User, "The bell: newest first", 200).query(q::<notifications::ListQuery>).answer(ty::<notifications::Bell>),
        op("post", "/notifications/read", "notifications", User, "Mark notifications read (all, or the given ids)", 200).body(ty::<notifications::ReadBody>).answer(ty::<notifications::Unread>),
        op("get", "/search", "search", Anyone, "Search posts: words in Chinese or English, with filters", 200).query(q::<search::SearchQuery>).answer(ty::<crate::search::query::Results>),
        op("get", "/search/similar", "search", Anyone, "Up to 5 likely duplicates while composing", 200).query(q::<search::SimilarQuery>).answer(items::<crate::search::query::Similar>),
        op("post", "/admin/reindex", "search", Admin, "Rebuild the search index beside the live one and swap it in", 200).answer(ty::<search::Reindexed>),
        op("post", "/posts/{id}/flags", "moderation", Verified, "Flag a post", 201).body(ty::<moderation::FlagBody>).answer(ty::<crate::moderation::flags::Flagged>),
        op("get", "/mod/queue", "moderation", Staff, "The review queue", 200).answer(items::<crate::moderation::reviews::QueueItem>),
        op("post", "/mod/queue/{id}", "moderation", Staff, "Decide a review item", 200).body(ty::<moderation::DecideBody>).answer(ty::<moderation::Decided>),
        op("post", "/mod/posts/{id}/{action}", "moderation", Staff, "Hide, unhide, delete or edit a post (reason required)", 200).actions(moderation::POST_ACTIONS).body(ty::<moderation::ActionBody>).answer(ty::<moderation::PostActed>),
        op("post", "/mod/topics/{id}/{action}", "moderation", Staff, "Lock, unlock, pin, unpin, feature, unfeature or move a topic", 200).actions(moderation::TOPIC_ACTIONS).body(ty::<moderation::ActionBody>).answer(ty::<moderation::TopicActed>),
        op("get", "/mod/users/{username}", "moderation", Staff, "A person's record, with personal data (each look is logged)", 200).answer(ty::<crate::moderation::people::PersonView>),
        op("post", "/mod/users/{username}/{action}", "moderation", Staff, "Silence, suspend or restore someone", 200).actions(moderation::USER_ACTIONS).body(ty::<moderation::SanctionBody>).answer(ty::<moderation::Sanctioned>),
        op("get", "/mod/log", "moderation", Staff, "The audit log", 200).query(q::<moderation::LogQuery>).answer(items::<crate::audit::Item>),
        op("get", "/admin/access-log", "moderation", Admin, "Who looked at whose personal data", 200).query(q::<moderation::CursorQuery>).answer(items::<crate::audit::access_log::Item>),
        op("post", "/admin/users/{username}/erase", "data rights", Admin, "Erase someone's account on request (audited, reason required)", 200).body(ty::<me::AdminEraseBody>).answer(ty::<me::Erased>),
        op("get", "/users/{username}", "honor", Anyone, "A public profile: level, honor, medals, counts", 200).answer(ty::<crate::honor::profile::Profile>),
        op("get", "/honor/leaderboard", "honor", Anyone, "Leaderboards by period, optionally for one board", 200).query(q::<honor::BoardQuery>).answer(ty::<honor::Leaderboard>),
        op("get", "/honor/medals", "honor", Anyone, "Every medal and how to earn it", 200).answer(items::<crate::honor::medals::Medal>),
        op("post", "/admin/users/{username}/title", "honor", Admin, "Grant or clear a title (empty clears)", 200).body(ty::<honor::TitleBody>).answer(ty::<honor::Titled>),
        op("get", "/admin/teams", "triage", Admin, "Product teams", 200).answer(items::<crate::triage::teams::TeamView>),
        op("post", "/admin/teams", "triage", Admin, "Create or update a team", 200).body(ty::<triage::TeamBody>).answer(ty::<crate::triage::teams::Team>),
        op("get", "/admin/webhooks", "triage", Admin, "Recent webhook deliveries: event, team, status, attempts, last error", 200).query(q::<triage::LimitQuery>).answer(items::<crate::triage::webhooks::Delivery>),
        op("post", "/admin/teams/{slug}/members", "triage", Admin, "Add or remove a team member", 200).body(ty::<triage::MemberBody>).answer(ty::<triage::Membership>),
        op("post", "/admin/products/{slug}/team", "triage", Admin, "Which team owns a product (null: none)", 200).body(ty::<triage::ProductTeamBody>).answer(ty::<triage::ProductTeam>),
        op("get", "/triage/rules", "triage", Team, "Routing rules", 200).answer(items::<crate::triage::rules::Rule>),
        op("post", "/triage/rules", "triage", Admin, "Replace the routing rules", 200).body(ty::<triage::RulesBody>).answer(items::<crate::triage::rules::Rule>),
        op("post", "/triage/items/{id}/route", "triage", Team, "Send an item to another team (audited)", 200).body(ty::<triage::RouteBody>).answer(ty::<triage::Routed>),
        op("get", "/triage/unrouted", "triage", Admin, "Items no rule could route", 200).answer(items::<crate::triage::queue::Unrouted>),
        op("get", "/triage/queue", "triage", Team, "The queue: search, filters, a view, and a sort (priority by default)", 200).query(q::<triage::QueueQuery>).answer(items::<crate::triage::queue::Item>),
        op("get", "/triage/stats", "triage", Team, "Analytics (`format=csv` for a CSV download)", 200).query(q::<triage::StatsQuery>).answer(ty::<crate::triage::stats::Stats>).csv(),
        op("get", "/triage/items/{id}/similar", "triage", Team, "Merge candidates for an item", 200).answer(items::<crate::search::query::Similar>),
        op("post", "/triage/items/{id}/assign", "triage", Team, "Assign an item to a team member (empty: unassign)", 200).body(ty::<triage::AssignBody>).answer(ty::<triage::Assigned>),
        op("get", "/triage/views", "triage", Team, "The built-in queue views and the caller's saved ones", 200).answer(items::<crate::triage::views::View>),
        op("post", "/triage/views", "triage", Team, "Save a queue view (a name and its filters)", 201).body(ty::<triage::ViewBody>).answer(ty::<crate::triage::views::View>),
        op("delete", "/triage/views/{id}", "triage", Team, "Delete one of the caller's saved views", 204),
    ]
}

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

fn error(description: &str) -> Value {
    json!({ "description": description, "content": { "application/json": {
        "schema": { "$ref": "#/components/schemas/ErrorBody" } } } })
}

fn path_params(op: &Op) -> Vec<Value> {
    op.path
        .split('/')
        .filter_map(|seg| seg.strip_prefix('{')?.strip_suffix('}'))
        .map(|name| {
            let schema = match name {
                "id" => json!({ "type": "integer", "format": "int64", "minimum": 1 }),
                "action" => json!({ "type": "string", "enum": op.actions }),
                "username" => json!({ "type": "string", "minLength": 1, "maxLength": 64 }),
                _ => json!({ "type": "string", "minLength": 1, "maxLength": 64,
                             "pattern": "^[a-z0-9][a-z0-9-]*$" }),
            };
            // What the demo data holds, so generated calls can reach real rows.
            let example = match name {
                "id" => json!(1),
                "action" => json!(op.actions.first()),
                "username" => json!("mifan"),
                _ => json!("phones"),
            };
            json!({ "name": name, "in": "path", "required": true, "schema": schema,
                    "example": example })
        })
        .collect()
}

pub fn document() -> Value {
    let mut components: Components = Vec::new();
    let mut paths = Map::new();
    for op in ops() {
        let mut params = path_params(&op);
        if let Some(query) = op.query {
            params.extend(query().iter().filter_map(|p| serde_json::to_value(p).ok()));
        }
        let mut success = json!({ "description": "success" });
        if let Some(answer) = op.answer {
            success["content"] =
                json!({ "application/json": { "schema": answer(&mut components) } });
        }
        if op.csv {
            success["content"]["text/csv"] = json!({ "schema": { "type": "string" } });
        }
        let mut o = json!({
            "tags": [op.tag],
            "summary": op.summary,
            "description": format!("Who: {}.", who_text(op.who)),
            "parameters": params,
            "responses": {
                op.status.to_string(): success,
                "400": error("unreadable body or query (`malformed_json`, `nul_byte`, ...)"),
                "401": error("not signed in"),
                "403": error("not allowed (`email_unverified`, `consent_required`, `csrf_failed`, ...)"),
                "404": error("not found or not visible to you"),
                "409": error("conflicts with the current state (taken name, already decided, ...)"),
                "413": error("body too large"),
                "415": error("not JSON"),
                "422": error("invalid fields; `fields` names each"),
                "429": error("rate limited; see Retry-After"),
                "503": error("the database or the index is unavailable; see Retry-After"),
            },
        });
        if !matches!(op.who, Who::Anyone) {
            o["security"] = json!([{ "bearer": [] }, { "cookie": [] }]);
        }
        if let Some(body) = op.body {
            o["requestBody"] = json!({ "required": true, "content": {
                "application/json": { "schema": body(&mut components) } } });
        }
        let entry = paths
            .entry(format!("/api/v1{}", op.path))
            .or_insert_with(|| json!({}));
        entry[op.method] = o;
    }
    paths.insert(
        "/api/v1/openapi.json".into(),
        json!({ "get": { "tags": ["meta"], "summary": "This document",
                         "responses": { "200": { "description": "OpenAPI 3.1",
                            "content": { "application/json": { "schema": { "type": "object" } } } } } } }),
    );
    ty::<ErrorBody>(&mut components);
    let schemas = schema_map(components).unwrap_or_else(|clash| {
        // Two types with one schema name would overwrite each other; `schema(as = …)` tells
        // them apart. The unit test below fails first.
        tracing::error!(name = clash, "two API types share a schema name");
        Map::new()
    });
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
            "schemas": schemas,
        }
    })
}

/// The components by name; `Err(name)` when two different schemas claim one name.
fn schema_map(components: Components) -> Result<Map<String, Value>, String> {
    let mut out = Map::new();
    for (name, schema) in components {
        let value = serde_json::to_value(schema).map_err(|_| name.clone())?;
        match out.get(&name) {
            Some(seen) if *seen != value => return Err(name),
            _ => {
                out.insert(name, value);
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_csv_download_is_documented() {
        let doc = document();
        let ok = &doc["paths"]["/api/v1/triage/stats"]["get"]["responses"]["200"]["content"];
        assert!(ok["text/csv"].is_object(), "{ok}");
        assert!(ok["application/json"].is_object(), "{ok}");
    }

    #[test]
    fn every_schema_name_is_one_type_and_every_reference_resolves() {
        let mut components = Components::new();
        let mut refs = Vec::new();
        for op in ops() {
            for t in [op.body, op.answer].into_iter().flatten() {
                refs.push(t(&mut components).to_string());
            }
            if let Some(q) = op.query {
                refs.extend(q().iter().map(|p| serde_json::to_string(p).unwrap()));
            }
        }
        ty::<ErrorBody>(&mut components);
        let map = schema_map(components).expect("schema names clash");
        refs.extend(map.values().map(Value::to_string));
        for text in refs {
            for r in text.split("\"#/components/schemas/").skip(1) {
                let name = r.split('"').next().unwrap();
                assert!(map.contains_key(name), "unresolvable reference to {name}");
            }
        }
    }
}
