//! The export: one query per category, each filtered by the person's id, so nothing of anyone
//! else can slip in. Secrets (password hash, token digests) are never part of it.

use crate::db::Conn;
use chrono::{DateTime, Utc};
use diesel::sql_types::{BigInt, Jsonb};
use diesel_async::RunQueryDsl;
use serde_json::{json, Value};

#[derive(diesel::QueryableByName)]
struct Doc {
    #[diesel(sql_type = Jsonb)]
    doc: Value,
}

/// (category, SQL returning one JSON array for user `$1`).
const CATEGORIES: &[(&str, &str)] = &[
    ("profile", "SELECT to_jsonb(x) AS doc FROM (SELECT id, username, email, email_verified_at, role, locale, \
        privacy_version, privacy_accepted_at, created_at, notify_reply, notify_mention, notify_subscribed, \
        notify_status, digest_weekly, honor, level, title, silenced_until, suspended_until \
        FROM users WHERE id = $1) x"),
    ("consents", "SELECT coalesce(jsonb_agg(to_jsonb(x) ORDER BY x.accepted_at), '[]') AS doc FROM \
        (SELECT policy_version, accepted_at FROM consents WHERE user_id = $1) x"),
    ("topics", "SELECT coalesce(jsonb_agg(to_jsonb(x) ORDER BY x.id), '[]') AS doc FROM \
        (SELECT t.id, b.slug AS board, t.kind, t.title, t.tags, t.status, t.created_at, \
         t.hidden_at IS NOT NULL AS hidden, t.deleted_at IS NOT NULL AS deleted \
         FROM topics t JOIN boards b ON b.id = t.board_id WHERE t.author_id = $1) x"),
    ("posts", "SELECT coalesce(jsonb_agg(to_jsonb(x) ORDER BY x.id), '[]') AS doc FROM \
        (SELECT p.id, p.topic_id, p.parent_id, p.body_md, p.created_at, p.edited_at, \
         p.hidden_at IS NOT NULL AS hidden, p.deleted_at IS NOT NULL AS deleted, \
         coalesce((SELECT jsonb_agg(jsonb_build_object('body_md', r.body_md, 'replaced_at', r.created_at) \
                  ORDER BY r.id) FROM post_revisions r WHERE r.post_id = p.id), '[]') AS history \
         FROM posts p WHERE p.author_id = $1) x"),
    ("votes", "SELECT coalesce(jsonb_agg(to_jsonb(x) ORDER BY x.created_at), '[]') AS doc FROM \
        (SELECT topic_id, kind, created_at FROM topic_votes WHERE user_id = $1) x"),
    ("likes", "SELECT coalesce(jsonb_agg(to_jsonb(x) ORDER BY x.created_at), '[]') AS doc FROM \
        (SELECT post_id, created_at FROM post_likes WHERE user_id = $1) x"),
    ("subscriptions", "SELECT coalesce(jsonb_agg(to_jsonb(x) ORDER BY x.created_at), '[]') AS doc FROM \
        (SELECT topic_id, created_at FROM subscriptions WHERE user_id = $1) x"),
    ("board_follows", "SELECT coalesce(jsonb_agg(to_jsonb(x) ORDER BY x.created_at), '[]') AS doc FROM \
        (SELECT b.slug AS board, f.created_at FROM board_follows f JOIN boards b ON b.id = f.board_id \
         WHERE f.user_id = $1) x"),
    ("notifications", "SELECT coalesce(jsonb_agg(to_jsonb(x) ORDER BY x.id), '[]') AS doc FROM \
        (SELECT id, kind, topic_id, post_id, detail, created_at, read_at FROM notifications WHERE user_id = $1) x"),
    ("honor_ledger", "SELECT coalesce(jsonb_agg(to_jsonb(x) ORDER BY x.id), '[]') AS doc FROM \
        (SELECT id, reason, points, source, board_id, created_at FROM honor_ledger WHERE user_id = $1) x"),
    ("medals", "SELECT coalesce(jsonb_agg(to_jsonb(x) ORDER BY x.awarded_at), '[]') AS doc FROM \
        (SELECT medal, scope, awarded_at FROM user_medals WHERE user_id = $1) x"),
    ("sanctions", "SELECT coalesce(jsonb_agg(to_jsonb(x) ORDER BY x.starts_at), '[]') AS doc FROM \
        (SELECT kind, reason, starts_at, ends_at, lifted_at FROM sanctions WHERE user_id = $1) x"),
    ("flags", "SELECT coalesce(jsonb_agg(to_jsonb(x) ORDER BY x.created_at), '[]') AS doc FROM \
        (SELECT post_id, reason, note, outcome, created_at FROM flags WHERE flagger_id = $1) x"),
    ("satisfaction", "SELECT coalesce(jsonb_agg(to_jsonb(x) ORDER BY x.created_at), '[]') AS doc FROM \
        (SELECT topic_id, satisfied, comment, created_at FROM satisfaction WHERE user_id = $1) x"),
    ("attachments", "SELECT coalesce(jsonb_agg(to_jsonb(x) ORDER BY x.id), '[]') AS doc FROM \
        (SELECT id, topic_id, kind, mime, size_bytes, original_name, private, created_at \
         FROM attachments WHERE uploader_id = $1) x"),
    ("groups", "SELECT coalesce(jsonb_agg(to_jsonb(x) ORDER BY x.created_at), '[]') AS doc FROM \
        (SELECT g.slug AS group, m.created_at FROM group_members m JOIN groups g ON g.id = m.group_id \
         WHERE m.user_id = $1) x"),
    ("programme_applications", "SELECT coalesce(jsonb_agg(to_jsonb(x) ORDER BY x.id), '[]') AS doc FROM \
        (SELECT a.id, p.slug AS programme, a.device, a.os_version, a.reason, a.terms_version, \
         a.status, a.note, a.created_at, a.decided_at FROM programme_applications a \
         JOIN programmes p ON p.id = a.programme_id WHERE a.user_id = $1) x"),
    ("triage_views", "SELECT coalesce(jsonb_agg(to_jsonb(x) ORDER BY x.id), '[]') AS doc FROM \
        (SELECT id, name, filters, created_at FROM triage_views WHERE user_id = $1) x"),
    // Only the author's: notes are staff work about other people's reports.
    ("internal_notes", "SELECT coalesce(jsonb_agg(to_jsonb(x) ORDER BY x.id), '[]') AS doc FROM \
        (SELECT id, topic_id, body_md AS body, created_at FROM internal_notes WHERE author_id = $1) x"),
    ("sessions", "SELECT coalesce(jsonb_agg(to_jsonb(x) ORDER BY x.created_at), '[]') AS doc FROM \
        (SELECT user_agent, ip, created_at, last_seen_at, expires_at FROM sessions WHERE user_id = $1) x"),
];

pub async fn export(
    conn: &mut Conn,
    user_id: i64,
    now: DateTime<Utc>,
) -> diesel::QueryResult<Value> {
    let mut out = serde_json::Map::new();
    out.insert("exported_at".into(), json!(now));
    out.insert("format".into(), json!("chorus-export-1"));
    for (name, sql) in CATEGORIES {
        let doc: Doc = diesel::sql_query(*sql)
            .bind::<BigInt, _>(user_id)
            .get_result(conn)
            .await?;
        out.insert((*name).into(), doc.doc);
    }
    Ok(Value::Object(out))
}
