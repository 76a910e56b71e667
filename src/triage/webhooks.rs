//! Team webhooks: when an item is routed to a team or its status changes, a job POSTs a JSON
//! event to the team's URL, signed `X-Chorus-Signature: sha256=<hex HMAC-SHA256 of the body>`.
//! A failure (connection, timeout, non-2xx) fails the job, which the queue retries with backoff.

use crate::db::schema::{teams, topics};
use crate::db::Conn;
use crate::jobs::{enqueue, Job};
use crate::jobs::{JobContext, JobError, JobKind};
use anyhow::Context;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use sha2::{Digest, Sha256};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// HMAC-SHA256 (RFC 2104), so the receiver can check the body came from us.
pub fn hmac_sha256(key: &[u8], msg: &[u8]) -> [u8; 32] {
    let mut k = [0u8; 64];
    if key.len() > 64 {
        k[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let pad = |b: u8| k.iter().map(|x| x ^ b).collect::<Vec<u8>>();
    let inner = Sha256::new()
        .chain_update(pad(0x36))
        .chain_update(msg)
        .finalize();
    Sha256::new()
        .chain_update(pad(0x5c))
        .chain_update(inner)
        .finalize()
        .into()
}

pub fn signature(secret: &str, body: &[u8]) -> String {
    format!(
        "sha256={}",
        hex::encode(hmac_sha256(secret.as_bytes(), body))
    )
}

/// Queues an event for the topic's team, if it has a webhook (inside the cause's transaction).
pub async fn queue_event(
    conn: &mut Conn,
    topic_id: i64,
    event: &str,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    let hooked: Option<Option<String>> = topics::table
        .inner_join(teams::table)
        .filter(topics::id.eq(topic_id))
        .select(teams::webhook_url)
        .first(conn)
        .await
        .optional()?;
    if hooked.flatten().is_none() {
        return Ok(());
    }
    enqueue(
        conn,
        &Webhook {
            topic_id,
            event: event.to_string(),
            at: now.to_rfc3339(),
        },
        None,
        now,
    )
    .await?;
    Ok(())
}

/// Builds the event from the item as it is now and delivers it.
pub async fn deliver(
    conn: &mut Conn,
    base_url: &str,
    topic_id: i64,
    event: &str,
    at: &str,
) -> anyhow::Result<()> {
    // kind, title, status, team, url, secret
    type Row = (
        String,
        String,
        String,
        String,
        Option<String>,
        Option<String>,
    );
    let row: Option<Row> = topics::table
        .inner_join(teams::table)
        .filter(topics::id.eq(topic_id))
        .select((
            topics::kind,
            topics::title,
            topics::status,
            teams::slug,
            teams::webhook_url,
            teams::webhook_secret,
        ))
        .first(conn)
        .await
        .optional()?;
    // Rerouted elsewhere or the hook removed since: nothing to send.
    let Some((kind, title, status, team, Some(url), Some(secret))) = row else {
        return Ok(());
    };
    let body = serde_json::json!({
        "event": event, "at": at, "team": team,
        "item": { "topic_id": topic_id, "kind": kind, "title": title, "status": status,
                  "url": format!("{}/t/{topic_id}", base_url.trim_end_matches('/')) },
    })
    .to_string();
    let status = post(&url, &body, &signature(&secret, body.as_bytes())).await?;
    if (200..300).contains(&status) {
        Ok(())
    } else {
        Err(anyhow::anyhow!("webhook answered {status}"))
    }
}

struct Target {
    tls: bool,
    host: String,
    port: u16,
    path: String,
}

fn parse(url: &str) -> anyhow::Result<Target> {
    let (tls, rest) = if let Some(r) = url.strip_prefix("https://") {
        (true, r)
    } else if let Some(r) = url.strip_prefix("http://") {
        (false, r)
    } else {
        anyhow::bail!("not an http(s) URL");
    };
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) if !h.ends_with(']') || authority.starts_with('[') => {
            (h.to_string(), p.parse().context("bad port")?)
        }
        _ => (authority.to_string(), if tls { 443 } else { 80 }),
    };
    if host.is_empty() {
        anyhow::bail!("no host");
    }
    Ok(Target {
        tls,
        host: host.trim_matches(['[', ']']).to_string(),
        port,
        path: path.to_string(),
    })
}

/// A minimal HTTP/1.1 POST (one request per connection); returns the status code.
async fn post(url: &str, body: &str, signature: &str) -> anyhow::Result<u16> {
    let t = parse(url)?;
    let request = format!(
        "POST {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: Chorus-Webhook\r\nContent-Type: application/json\r\n\
         X-Chorus-Signature: {signature}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        t.path,
        t.host,
        body.len()
    );
    let io = async {
        let tcp = tokio::net::TcpStream::connect((t.host.as_str(), t.port))
            .await
            .context("connect")?;
        if t.tls {
            use tokio_rustls::rustls;
            let mut roots = rustls::RootCertStore::empty();
            roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
            let config = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
                rustls::crypto::ring::default_provider(),
            ))
            .with_safe_default_protocol_versions()?
            .with_root_certificates(roots)
            .with_no_client_auth();
            let name = rustls::pki_types::ServerName::try_from(t.host.clone())?;
            let stream = tokio_rustls::TlsConnector::from(std::sync::Arc::new(config))
                .connect(name, tcp)
                .await
                .context("tls")?;
            exchange(stream, &request).await
        } else {
            exchange(tcp, &request).await
        }
    };
    tokio::time::timeout(Duration::from_secs(10), io)
        .await
        .context("timed out")?
}

async fn exchange<S: AsyncRead + AsyncWrite + Unpin>(
    mut s: S,
    request: &str,
) -> anyhow::Result<u16> {
    s.write_all(request.as_bytes()).await?;
    let mut head = Vec::new();
    let mut buf = [0u8; 512];
    // The status line is all we need.
    while !head.windows(2).any(|w| w == b"\r\n") && head.len() < 4096 {
        let n = s.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        head.extend_from_slice(&buf[..n]);
    }
    let line = String::from_utf8_lossy(&head);
    line.split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .context("no HTTP status line")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_rfc_4231() {
        // Test case 2.
        assert_eq!(
            hex::encode(hmac_sha256(b"Jefe", b"what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn urls_parse() {
        let t = parse("https://hooks.example.com/in/123?x=1").unwrap();
        assert!(t.tls && t.host == "hooks.example.com" && t.port == 443 && t.path == "/in/123?x=1");
        let t = parse("http://127.0.0.1:8099").unwrap();
        assert!(!t.tls && t.port == 8099 && t.path == "/");
        assert!(parse("ftp://x").is_err());
        assert!(parse("http://:80/").is_err());
    }
}

/// One delivery as admins see it: what was sent where, and how it went.
#[derive(Debug, Clone, serde::Serialize, diesel::QueryableByName, utoipa::ToSchema)]
#[schema(as = WebhookDelivery)]
pub struct Delivery {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub id: i64,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::BigInt>)]
    pub topic_id: Option<i64>,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub event: String,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    pub team: Option<String>,
    /// `delivered`, `retrying`, `failed` (gave up) or `queued`.
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub status: String,
    #[diesel(sql_type = diesel::sql_types::Integer)]
    pub attempts: i32,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    pub last_error: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Timestamptz)]
    pub created_at: DateTime<Utc>,
    /// Delivered, given up, or the next attempt.
    #[diesel(sql_type = diesel::sql_types::Timestamptz)]
    pub at: DateTime<Utc>,
}

/// The newest deliveries (the job table keeps finished ones for 7 days), newest first.
pub async fn recent(conn: &mut Conn, limit: i64) -> QueryResult<Vec<Delivery>> {
    diesel::sql_query(
        "SELECT j.id, (j.payload->>'topic_id')::int8 AS topic_id, \
                coalesce(j.payload->>'event', '') AS event, tm.slug AS team, \
                CASE WHEN j.done_at IS NOT NULL THEN 'delivered' \
                     WHEN j.failed_at IS NOT NULL THEN 'failed' \
                     WHEN j.attempts > 0 THEN 'retrying' ELSE 'queued' END AS status, \
                j.attempts, j.last_error, j.created_at, \
                coalesce(j.done_at, j.failed_at, j.run_at) AS at \
         FROM jobs j \
         LEFT JOIN topics t ON t.id = (j.payload->>'topic_id')::int8 \
         LEFT JOIN teams tm ON tm.id = t.team_id \
         WHERE j.kind = 'webhook' ORDER BY j.id DESC LIMIT $1",
    )
    .bind::<diesel::sql_types::BigInt, _>(limit.clamp(1, 200))
    .load(conn)
    .await
}

/// Delivers a team webhook event (`routed`, `status_changed`); retried on failure.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Webhook {
    pub topic_id: i64,
    pub event: String,
    pub at: String,
}

impl Job for Webhook {
    const KIND: JobKind = JobKind::Webhook;

    async fn run(self, ctx: &JobContext, _now: DateTime<Utc>) -> Result<(), JobError> {
        let mut conn = crate::db::get(&ctx.pool).await?;
        deliver(
            &mut conn,
            &ctx.settings.base_url,
            self.topic_id,
            &self.event,
            &self.at,
        )
        .await
    }
}
