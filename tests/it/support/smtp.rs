//! A real SMTP server on 127.0.0.1 inside the test process. It can be told to answer the next
//! transactions with a given reply (e.g. `421` or `550`) at MAIL FROM, to test retries.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

#[derive(Debug, Clone)]
pub struct Received {
    pub from: String,
    pub to: Vec<String>,
    pub data: String,
}

#[derive(Clone, Default)]
pub struct SmtpServer {
    pub port: u16,
    received: Arc<Mutex<Vec<Received>>>,
    /// Replies to use instead of `250` at MAIL FROM, one per transaction.
    mail_replies: Arc<Mutex<VecDeque<String>>>,
    /// Faults for the next sessions, one per session.
    faults: Arc<Mutex<VecDeque<Fault>>>,
}

/// How a session misbehaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Takes the whole message, then closes the connection without a reply.
    DropAfterData,
    /// Accepts the connection and never says anything.
    Stall,
}

impl SmtpServer {
    pub async fn start() -> SmtpServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let server = SmtpServer {
            port: listener.local_addr().unwrap().port(),
            ..Default::default()
        };
        let s = server.clone();
        tokio::spawn(async move {
            while let Ok((sock, _)) = listener.accept().await {
                let s = s.clone();
                tokio::spawn(async move { s.session(sock).await });
            }
        });
        server
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    pub fn fail_next_mail_from(&self, reply: &str) {
        self.mail_replies
            .lock()
            .unwrap()
            .push_back(reply.to_string());
    }

    pub fn fault_next_session(&self, f: Fault) {
        self.faults.lock().unwrap().push_back(f);
    }

    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    async fn session(&self, sock: tokio::net::TcpStream) {
        let fault = self.faults.lock().unwrap().pop_front();
        if fault == Some(Fault::Stall) {
            tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
            return;
        }
        let (r, mut w) = sock.into_split();
        let mut lines = BufReader::new(r).lines();
        let _ = w.write_all(b"220 chorus-test ESMTP\r\n").await;
        let mut current = Received {
            from: String::new(),
            to: vec![],
            data: String::new(),
        };
        while let Ok(Some(line)) = lines.next_line().await {
            let upper = line.to_ascii_uppercase();
            let reply = if upper.starts_with("EHLO") {
                "250-chorus-test\r\n250 8BITMIME".to_string()
            } else if upper.starts_with("HELO") {
                "250 chorus-test".into()
            } else if upper.starts_with("MAIL FROM") {
                match self.mail_replies.lock().unwrap().pop_front() {
                    Some(r) => r,
                    None => {
                        current = Received {
                            from: line[10..].trim().to_string(),
                            to: vec![],
                            data: String::new(),
                        };
                        "250 OK".into()
                    }
                }
            } else if upper.starts_with("RCPT TO") {
                current.to.push(line[8..].trim().to_string());
                "250 OK".into()
            } else if upper == "DATA" {
                let _ = w.write_all(b"354 go ahead\r\n").await;
                let mut data = String::new();
                while let Ok(Some(l)) = lines.next_line().await {
                    if l == "." {
                        break;
                    }
                    data.push_str(
                        l.strip_prefix('.')
                            .filter(|_| l.starts_with(".."))
                            .unwrap_or(&l),
                    );
                    data.push('\n');
                }
                current.data = data;
                self.received.lock().unwrap().push(current.clone());
                if fault == Some(Fault::DropAfterData) {
                    break;
                }
                "250 queued".into()
            } else if upper == "QUIT" {
                let _ = w.write_all(b"221 bye\r\n").await;
                break;
            } else {
                "250 OK".into()
            };
            if w.write_all(format!("{reply}\r\n").as_bytes())
                .await
                .is_err()
            {
                break;
            }
        }
    }
}

/// Decodes a quoted-printable text part enough to find links in it.
pub fn decode_qp(s: &str) -> String {
    let joined = s.replace("=\n", "");
    let mut out = Vec::new();
    let b = joined.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'=' && i + 2 < b.len() {
            if let Ok(v) = u8::from_str_radix(&joined[i + 1..i + 3], 16) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The decoded bodies of every part of a received message (base64 and quoted-printable),
/// concatenated: enough for tests to read links and text whatever encoding lettre chose.
pub fn decode_parts(data: &str) -> String {
    let mut out = String::new();
    let mut encoding = "";
    let mut in_body = false;
    let mut body = String::new();
    let flush = |encoding: &str, body: &mut String, out: &mut String| {
        match encoding {
            "base64" => out.push_str(&String::from_utf8_lossy(&base64_decode(body))),
            "quoted-printable" => out.push_str(&decode_qp(body)),
            _ => out.push_str(body),
        }
        out.push('\n');
        body.clear();
    };
    for line in data.lines() {
        if line.starts_with("--") {
            if in_body {
                flush(encoding, &mut body, &mut out);
            }
            in_body = false;
            encoding = "";
            continue;
        }
        let lower = line.to_ascii_lowercase();
        if !in_body {
            if let Some(e) = lower.strip_prefix("content-transfer-encoding:") {
                encoding = if e.trim() == "base64" {
                    "base64"
                } else if e.trim() == "quoted-printable" {
                    "quoted-printable"
                } else {
                    ""
                };
            }
            if line.is_empty() {
                in_body = true;
            }
            continue;
        }
        body.push_str(line);
        body.push('\n');
    }
    if in_body {
        flush(encoding, &mut body, &mut out);
    }
    out
}

fn base64_decode(s: &str) -> Vec<u8> {
    let val = |c: u8| -> Option<u32> {
        match c {
            b'A'..=b'Z' => Some((c - b'A') as u32),
            b'a'..=b'z' => Some((c - b'a' + 26) as u32),
            b'0'..=b'9' => Some((c - b'0' + 52) as u32),
            b'+' => Some(62),
            b'/' => Some(63),
            _ => None,
        }
    };
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0);
    for v in s.bytes().filter_map(val) {
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    out
}
