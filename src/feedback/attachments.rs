//! Attachments on bug reports: log files (.txt, .log, .zip) and screenshots (png, jpeg, webp).
//! The type comes from the bytes, never from the name; executables, HTML and SVG are refused.
//! Files are stored under `data/uploads/` with random names and served as downloads.

use super::FeedbackError;
use crate::access::Reader;
use crate::accounts::{FieldError, User};
use crate::db::schema::attachments;
use crate::db::Conn;
use crate::fields::Kind;
use crate::forum::topics::Topic;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::Serialize;
use std::path::{Path, PathBuf};

pub const MAX_BYTES: usize = 10 * 1024 * 1024;
pub const MAX_PER_TOPIC: i64 = 5;

crate::text_enum! {
    /// Images are shown inline; logs are downloaded and may be private to staff.
    pub enum AttachmentKind {
        Log = "log",
        Image = "image",
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sniffed {
    pub kind: AttachmentKind,
    pub mime: &'static str,
    pub ext: &'static str,
}

/// What the bytes are, if they are something we accept.
pub fn sniff(bytes: &[u8]) -> Option<Sniffed> {
    let s = |kind, mime, ext| Some(Sniffed { kind, mime, ext });
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        return s(AttachmentKind::Image, "image/png", "png");
    }
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return s(AttachmentKind::Image, "image/jpeg", "jpg");
    }
    if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        return s(AttachmentKind::Image, "image/webp", "webp");
    }
    if bytes.starts_with(b"PK\x03\x04") {
        return s(AttachmentKind::Log, "application/zip", "zip");
    }
    // Text logs: valid UTF-8, no NUL, and not markup a browser might run.
    let text = std::str::from_utf8(bytes).ok()?;
    if text.contains('\0') {
        return None;
    }
    let head = text
        .trim_start()
        .chars()
        .take(512)
        .collect::<String>()
        .to_ascii_lowercase();
    let markup = [
        "<!doctype",
        "<html",
        "<script",
        "<svg",
        "<?xml",
        "<body",
        "<iframe",
    ];
    if markup.iter().any(|m| head.contains(m)) {
        return None;
    }
    s(AttachmentKind::Log, "text/plain; charset=utf-8", "txt")
}

#[derive(Debug, Clone, Serialize, Queryable, Selectable, utoipa::ToSchema)]
#[diesel(table_name = attachments)]
pub struct Attachment {
    pub id: i64,
    pub topic_id: i64,
    pub uploader_id: i64,
    pub kind: AttachmentKind,
    pub mime: String,
    pub size_bytes: i32,
    pub original_name: String,
    #[serde(skip)]
    pub stored_name: String,
    pub private: bool,
    pub created_at: DateTime<Utc>,
}

/// Who reads a topic's files, with what the private-log rule needs to know about them.
struct FileReader<'a> {
    reader: crate::access::Reader,
    item_team: Option<i64>,
    my_teams: &'a [i64],
}

impl FileReader<'_> {
    fn may_read(&self, a: &Attachment) -> bool {
        !a.private
            || self
                .reader
                .may_read_private_log(a.uploader_id, self.item_team, self.my_teams)
    }
}

/// Whether `user` may download this attachment (the topic's own visibility is asked separately).
pub async fn may_read(conn: &mut Conn, a: &Attachment, user: Option<&User>) -> QueryResult<bool> {
    if !a.private {
        return Ok(true);
    }
    let (item_team, my_teams) = super::route_teams(conn, a.topic_id, user).await?;
    Ok(FileReader {
        reader: crate::access::Reader::of(conn, user).await?,
        item_team,
        my_teams: &my_teams,
    }
    .may_read(a))
}

/// A file name that is safe in a header and on a page: no path, no control characters.
fn clean_name(raw: &str, ext: &str) -> String {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = base
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '"' | '<' | '>' | ';'))
        .take(120)
        .collect();
    let stem = cleaned
        .rsplit_once('.')
        .map(|(s, _)| s)
        .unwrap_or(&cleaned)
        .trim();
    let stem = if stem.is_empty() { "attachment" } else { stem };
    format!("{stem}.{ext}")
}

/// Stores a file for the topic's reporter (or staff). The topic must be a bug the uploader sees.
/// A file as received: its claimed name, its bytes, and whether the uploader wants it private.
pub struct Upload {
    pub name: String,
    pub bytes: Vec<u8>,
    pub private: bool,
}

pub async fn save(
    conn: &mut Conn,
    uploads: &Path,
    user: &User,
    topic_id: i64,
    upload: &Upload,
    now: DateTime<Utc>,
) -> Result<Attachment, FeedbackError> {
    let (name, bytes, private) = (
        upload.name.as_str(),
        upload.bytes.as_slice(),
        upload.private,
    );
    let reader = Reader::of(conn, Some(user)).await?;
    let topic: Topic = crate::forum::topics::visible(conn, topic_id, &reader)
        .await?
        .ok_or(FeedbackError::NotFound)?;
    if topic.kind != Kind::Bug {
        return Err(FeedbackError::WrongKind);
    }
    if topic.author_id != user.id && !reader.works_on_feedback() {
        return Err(FeedbackError::Forbidden);
    }
    if bytes.is_empty() {
        return Err(FieldError::new("file", "is empty").into());
    }
    if bytes.len() > MAX_BYTES {
        return Err(FieldError::new("file", "is larger than 10 MB").into());
    }
    let kind = sniff(bytes).ok_or_else(|| {
        FieldError::new(
            "file",
            "must be a text log, a zip, or a png, jpeg or webp image",
        )
    })?;
    let count: i64 = attachments::table
        .filter(attachments::topic_id.eq(topic_id))
        .count()
        .get_result(conn)
        .await?;
    if count >= MAX_PER_TOPIC {
        return Err(FieldError::new("file", "a report takes at most 5 attachments").into());
    }
    let (stored, _) = crate::accounts::tokens::generate();
    let stored = format!("{}.{}", &stored[..32], kind.ext);
    write_file(uploads, &stored, bytes)
        .await
        .map_err(FeedbackError::Storage)?;
    Ok(diesel::insert_into(attachments::table)
        .values((
            attachments::topic_id.eq(topic_id),
            attachments::uploader_id.eq(user.id),
            attachments::kind.eq(kind.kind),
            attachments::mime.eq(kind.mime),
            attachments::size_bytes.eq(bytes.len() as i32),
            attachments::original_name.eq(clean_name(name, kind.ext)),
            attachments::stored_name.eq(&stored),
            // Only logs can be private; screenshots are what others need to see.
            attachments::private.eq(private && kind.kind == AttachmentKind::Log),
            attachments::created_at.eq(now),
        ))
        .returning(Attachment::as_returning())
        .get_result(conn)
        .await?)
}

async fn write_file(dir: &Path, name: &str, bytes: &[u8]) -> std::io::Result<()> {
    tokio::fs::create_dir_all(dir).await?;
    let tmp = dir.join(format!(".{name}.tmp"));
    tokio::fs::write(&tmp, bytes).await?;
    tokio::fs::rename(&tmp, dir.join(name)).await
}

pub fn path_of(uploads: &Path, a: &Attachment) -> PathBuf {
    uploads.join(&a.stored_name)
}

pub async fn by_id(conn: &mut Conn, id: i64) -> QueryResult<Option<Attachment>> {
    attachments::table
        .find(id)
        .select(Attachment::as_select())
        .first(conn)
        .await
        .optional()
}

/// The topic's attachments this user may see.
pub async fn for_topic(
    conn: &mut Conn,
    topic_id: i64,
    user: Option<&User>,
) -> QueryResult<Vec<Attachment>> {
    let all: Vec<Attachment> = attachments::table
        .filter(attachments::topic_id.eq(topic_id))
        .order(attachments::id)
        .select(Attachment::as_select())
        .load(conn)
        .await?;
    let (item_team, my_teams) = super::route_teams(conn, topic_id, user).await?;
    let files = FileReader {
        reader: crate::access::Reader::of(conn, user).await?,
        item_team,
        my_teams: &my_teams,
    };
    Ok(all.into_iter().filter(|a| files.may_read(a)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_content_decides_the_type() {
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\nrest").unwrap().mime, "image/png");
        assert_eq!(
            sniff(b"2026-11-24 09:00 E/camera: crash\n").unwrap().kind,
            AttachmentKind::Log
        );
        assert!(
            sniff(b"\x7fELF\x02\x01\x01\0\0\0").is_none(),
            "an executable"
        );
        assert!(
            sniff(b"MZ\x90\0\x03\0\0\0").is_none(),
            "a Windows executable"
        );
        assert!(
            sniff(b"  <!DOCTYPE html><script>alert(1)</script>").is_none(),
            "HTML"
        );
        assert!(sniff(b"<svg onload=alert(1)>").is_none(), "SVG");
        assert_eq!(clean_name("../../etc/evil\".png", "txt"), "evil.txt");
    }
}
