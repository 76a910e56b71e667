//! Mail: rendered from theme templates and written to the outbox inside the caller's
//! transaction; `worker` delivers it later. Nothing here talks to a mail server.

pub mod transport;
pub mod worker;

use crate::db::schema::mail_outbox;
use crate::db::Conn;
use crate::fields::Locale;
use crate::theme::Theme;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use std::sync::Arc;

pub const WAKE_CHANNEL: &str = "chorus_mail";

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("rendering mail template {template}: {source}")]
    Render {
        template: String,
        source: minijinja::Error,
    },
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
}

/// One message to one person about one event.
pub struct Letter<'a> {
    /// Identifies the event, e.g. `verify:42:7`; with the recipient it is unique.
    pub event_key: String,
    pub user_id: Option<i64>,
    pub to: &'a str,
    pub locale: Locale,
    /// Name under `templates/mail/`, without extension; the subject is `mail.<name>.subject`.
    pub template: &'a str,
    pub subject_args: &'a [(&'a str, &'a str)],
    pub ctx: minijinja::Value,
    /// The post this mail is about: delivery is cancelled if it is no longer visible.
    pub post_id: Option<i64>,
}

#[derive(Clone)]
pub struct Mailer {
    theme: Arc<Theme>,
    base_url: String,
}

impl Mailer {
    pub fn new(theme: Arc<Theme>, base_url: &str) -> Self {
        Mailer {
            theme,
            base_url: base_url.trim_end_matches('/').to_string(),
        }
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Queues the letter; returns false when this event already mailed this recipient.
    pub async fn enqueue(
        &self,
        conn: &mut Conn,
        letter: Letter<'_>,
        now: DateTime<Utc>,
    ) -> Result<bool, MailError> {
        let ctx = minijinja::context! { base_url => &self.base_url, ..letter.ctx };
        let render = |ext: &str| {
            let name = format!("mail/{}.{ext}", letter.template);
            self.theme
                .render(&name, letter.locale, ctx.clone())
                .map_err(|source| MailError::Render {
                    template: name,
                    source,
                })
        };
        let text = render("txt")?;
        let html = render("html")?;
        let subject = header_safe(&self.theme.t(
            letter.locale,
            &format!("mail.{}.subject", letter.template),
            letter.subject_args,
        ));
        let inserted = diesel::insert_into(mail_outbox::table)
            .values((
                mail_outbox::event_key.eq(&letter.event_key),
                mail_outbox::user_id.eq(letter.user_id),
                mail_outbox::recipient.eq(letter.to),
                mail_outbox::subject.eq(subject),
                mail_outbox::body_text.eq(text),
                mail_outbox::body_html.eq(html),
                mail_outbox::next_attempt_at.eq(now),
                mail_outbox::post_id.eq(letter.post_id),
            ))
            .on_conflict_do_nothing()
            .execute(conn)
            .await?;
        // Delivered on commit; only a hint, the worker polls as well.
        diesel::sql_query(format!("NOTIFY {WAKE_CHANNEL}"))
            .execute(conn)
            .await?;
        Ok(inserted == 1)
    }
}

/// Subjects carry user text (titles, names): no line breaks or control characters, bounded.
pub fn header_safe(s: &str) -> String {
    let cleaned: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    cleaned
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .take(200)
        .collect()
}
