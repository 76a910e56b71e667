//! Where mail goes: a real SMTP server or `.eml` files in a folder.
//!
//! The SMTP conversation is driven step by step (lettre's connection, our sequence) so that a
//! failure can be placed: before the message content was sent nothing was delivered and a
//! retry is safe; after it, a lost reply means the server may have accepted the message, and
//! the caller records the outcome as unknown rather than sending it again blindly.

use crate::config::MailSettings;
use lettre::message::{header::ContentType, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{AsyncSmtpConnection, TlsParameters};
use lettre::transport::smtp::commands::{Data, Mail, Rcpt};
use lettre::transport::smtp::extension::ClientId;
use lettre::Message;
use std::path::PathBuf;
use std::time::Duration;

pub enum Transport {
    Smtp(Smtp),
    Files(PathBuf),
}

pub struct Smtp {
    host: String,
    port: u16,
    tls: Tls,
    credentials: Option<Credentials>,
    hello: ClientId,
    /// The whole conversation, connect to the reply after the content.
    deadline: Duration,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tls {
    /// `smtps://`: TLS from the first byte.
    Wrapper,
    /// `smtp://` (default): STARTTLS when the server offers it.
    Opportunistic,
    /// `smtp://…?tls=required`.
    Required,
    /// `smtp://…?tls=none`: plain, for local catchers.
    None,
}

/// How a delivery attempt ended, as far as retrying is concerned.
#[derive(Debug)]
pub enum SendError {
    /// Nothing was delivered; try again later: 4xx replies, connection failures before the
    /// content was sent.
    Transient(String),
    /// Never retry: 5xx replies, an address that cannot be a mailbox.
    Permanent(String),
    /// The content was sent but its reply never came: the server may have taken it.
    Unknown(String),
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
        let raw = s.smtp_url.0.trim();
        if raw.is_empty() {
            return Ok(Transport::Files(mail_dir));
        }
        let bad = |why: &str| format!("mail.smtp_url: {why}");
        let url = url::Url::parse(raw).map_err(|e| bad(&e.to_string()))?;
        let host = url.host_str().ok_or_else(|| bad("no host"))?.to_string();
        let tls_param = url
            .query_pairs()
            .find(|(k, _)| k == "tls")
            .map(|(_, v)| v.to_string());
        let (tls, default_port) = match (url.scheme(), tls_param.as_deref()) {
            ("smtps", _) => (Tls::Wrapper, 465),
            ("smtp", None | Some("opportunistic")) => (Tls::Opportunistic, 587),
            ("smtp", Some("required")) => (Tls::Required, 587),
            ("smtp", Some("none")) => (Tls::None, 25),
            _ => {
                return Err(bad(
                    "use smtp:// or smtps://, tls=none|opportunistic|required",
                ))
            }
        };
        let decode = |s: &str| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8_lossy()
                .into_owned()
        };
        let credentials = url
            .password()
            .map(|p| Credentials::new(decode(url.username()), decode(p)));
        Ok(Transport::Smtp(Smtp {
            port: url.port().unwrap_or(default_port),
            host,
            tls,
            credentials,
            hello: ClientId::default(),
            deadline: Duration::from_secs(s.send_timeout_secs.max(1)),
        }))
    }

    /// Delivers one message. `content_starts` is awaited just before the message content is
    /// sent, so the caller can record that from here on the outcome may be unknown.
    pub async fn send(
        &self,
        from: &str,
        mail: &Outgoing<'_>,
        content_starts: impl AsyncFnOnce(),
    ) -> Result<(), SendError> {
        let message = build(from, mail)?;
        match self {
            Transport::Smtp(smtp) => smtp.send(&message, content_starts).await,
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

/// A reply the server sent is an answer; anything else (I/O, timeout, TLS) before the content
/// means nothing was delivered.
fn before_content(e: lettre::transport::smtp::Error) -> SendError {
    if e.is_permanent() {
        SendError::Permanent(e.to_string())
    } else {
        SendError::Transient(e.to_string())
    }
}

impl Smtp {
    async fn send(
        &self,
        message: &Message,
        content_starts: impl AsyncFnOnce(),
    ) -> Result<(), SendError> {
        let mut content_sent = false;
        let conversation = self.converse(message, content_starts, &mut content_sent);
        match tokio::time::timeout(self.deadline, conversation).await {
            Ok(r) => r,
            Err(_) if content_sent => Err(SendError::Unknown(format!(
                "no reply to the message within {} s",
                self.deadline.as_secs()
            ))),
            Err(_) => Err(SendError::Transient(format!(
                "the SMTP server did not answer within {} s",
                self.deadline.as_secs()
            ))),
        }
    }

    async fn converse(
        &self,
        message: &Message,
        content_starts: impl AsyncFnOnce(),
        content_sent: &mut bool,
    ) -> Result<(), SendError> {
        let params = || {
            TlsParameters::new(self.host.clone()).map_err(|e| SendError::Transient(e.to_string()))
        };
        let wrapper = match self.tls {
            Tls::Wrapper => Some(params()?),
            _ => None,
        };
        let step = Some(self.deadline);
        let mut conn = AsyncSmtpConnection::connect_tokio1(
            (self.host.as_str(), self.port),
            step,
            &self.hello,
            wrapper,
            None,
        )
        .await
        .map_err(before_content)?;
        match self.tls {
            Tls::Required | Tls::Opportunistic if conn.can_starttls() => {
                conn.starttls(params()?, &self.hello)
                    .await
                    .map_err(before_content)?;
            }
            Tls::Required => {
                return Err(SendError::Transient(
                    "the server does not offer STARTTLS (tls=required)".into(),
                ))
            }
            _ => {}
        }
        if let Some(c) = &self.credentials {
            conn.auth(&[Mechanism::Plain, Mechanism::Login], c)
                .await
                .map_err(before_content)?;
        }
        let envelope = message.envelope();
        conn.command(Mail::new(envelope.from().cloned(), vec![]))
            .await
            .map_err(before_content)?;
        for to in envelope.to() {
            conn.command(Rcpt::new(to.clone(), vec![]))
                .await
                .map_err(before_content)?;
        }
        conn.command(Data).await.map_err(before_content)?;
        content_starts().await;
        *content_sent = true;
        match conn.message(&message.formatted()).await {
            Ok(_) => {
                let _ = conn.quit().await;
                Ok(())
            }
            // The server answered the content: that answer is the outcome.
            Err(e) if e.is_permanent() => Err(SendError::Permanent(e.to_string())),
            Err(e) if e.is_transient() => Err(SendError::Transient(e.to_string())),
            Err(e) => Err(SendError::Unknown(e.to_string())),
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
