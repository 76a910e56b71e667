//! Where mail goes: a real SMTP server (lettre, rustls) or `.eml` files in a folder.

use crate::config::MailSettings;
use lettre::message::{header::ContentType, Mailbox, MultiPart, SinglePart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::path::PathBuf;
use std::time::Duration;

pub enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Files(PathBuf),
}

/// How a delivery attempt ended, as far as retrying is concerned.
#[derive(Debug)]
pub enum SendError {
    /// Try again later: 4xx replies, connection failures.
    Transient(String),
    /// Never retry: 5xx replies, an address that cannot be a mailbox.
    Permanent(String),
}

pub struct Outgoing<'a> {
    pub id: i64,
    pub to: &'a str,
    pub subject: &'a str,
    pub text: &'a str,
    pub html: &'a str,
}

impl Transport {
    pub fn from_settings(s: &MailSettings, mail_dir: PathBuf) -> Result<Self, String> {
        if s.smtp_url.0.trim().is_empty() {
            return Ok(Transport::Files(mail_dir));
        }
        let t = AsyncSmtpTransport::<Tokio1Executor>::from_url(s.smtp_url.0.trim())
            .map_err(|e| format!("mail.smtp_url: {e}"))?
            .timeout(Some(Duration::from_secs(30)))
            .build();
        Ok(Transport::Smtp(t))
    }

    pub async fn send(&self, from: &str, mail: &Outgoing<'_>) -> Result<(), SendError> {
        let message = build(from, mail)?;
        match self {
            Transport::Smtp(t) => t.send(message).await.map(|_| ()).map_err(|e| {
                let why = e.to_string();
                if e.is_permanent() {
                    SendError::Permanent(why)
                } else {
                    SendError::Transient(why)
                }
            }),
            Transport::Files(dir) => {
                let io =
                    |e: std::io::Error| SendError::Transient(format!("writing mail file: {e}"));
                tokio::fs::create_dir_all(dir).await.map_err(io)?;
                // Named by outbox id and written atomically: a retry overwrites, never duplicates.
                let path = dir.join(format!("{:08}.eml", mail.id));
                let tmp = dir.join(format!(".{:08}.eml.tmp", mail.id));
                tokio::fs::write(&tmp, message.formatted())
                    .await
                    .map_err(io)?;
                tokio::fs::rename(&tmp, &path).await.map_err(io)
            }
        }
    }
}

fn build(from: &str, mail: &Outgoing<'_>) -> Result<Message, SendError> {
    let from: Mailbox = from
        .parse()
        .map_err(|e| SendError::Permanent(format!("mail.from: {e}")))?;
    let to: Mailbox = mail
        .to
        .parse()
        .map_err(|e| SendError::Permanent(format!("recipient: {e}")))?;
    let domain = from.email.domain().to_string();
    Message::builder()
        .from(from)
        .to(to)
        .subject(mail.subject)
        // Stable per outbox row, so a receiving system can spot a repeat.
        .message_id(Some(format!("<chorus-mail-{}@{domain}>", mail.id)))
        .multipart(
            MultiPart::alternative()
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_PLAIN)
                        .body(mail.text.to_string()),
                )
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_HTML)
                        .body(mail.html.to_string()),
                ),
        )
        .map_err(|e| SendError::Permanent(format!("building message: {e}")))
}
