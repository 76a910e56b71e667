//! Forum input parsed once: titles, bodies, tags, kinds, sorts, cursors.

use crate::accounts::FieldError;
use crate::content::{MAX_BODY_CHARS, MAX_TITLE_CHARS};
use serde::Serialize;

/// Plain text, one line, 1–150 characters after trimming.
#[derive(Debug, Clone)]
pub struct Title(String);

impl Title {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let one_line: String = raw
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        let t = one_line.split_whitespace().collect::<Vec<_>>().join(" ");
        if t.is_empty() {
            return Err(FieldError::new("title", "must not be empty"));
        }
        if t.chars().count() > MAX_TITLE_CHARS {
            return Err(FieldError::new("title", "must be at most 150 characters"));
        }
        Ok(Title(t))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Markdown, 1–50,000 characters, not only whitespace; NUL removed (PostgreSQL cannot store it).
#[derive(Debug, Clone)]
pub struct Body(String);

impl Body {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let b: String = raw
            .replace("\r\n", "\n")
            .chars()
            .filter(|c| *c != '\0')
            .collect();
        if b.trim().is_empty() {
            return Err(FieldError::new("body", "must not be empty"));
        }
        if b.chars().count() > MAX_BODY_CHARS {
            return Err(FieldError::new("body", "must be at most 50000 characters"));
        }
        Ok(Body(b))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Up to 5 tags, each 1–30 letters, digits, `-` or `_`, lowercased, no repeats.
#[derive(Debug, Clone, Default)]
pub struct Tags(Vec<String>);

impl Tags {
    pub fn parse(raw: &[String]) -> Result<Self, FieldError> {
        let mut out: Vec<String> = Vec::new();
        for t in raw {
            let t = crate::accounts::Username::key_of(t.trim().trim_start_matches('#'));
            if t.is_empty() {
                continue;
            }
            if t.chars().count() > 30
                || !t
                    .chars()
                    .all(|c| c.is_alphanumeric() || c == '-' || c == '_')
            {
                return Err(FieldError::new(
                    "tags",
                    "each tag is 1–30 letters, digits, '-' or '_'",
                ));
            }
            if !out.contains(&t) {
                out.push(t);
            }
        }
        if out.len() > 5 {
            return Err(FieldError::new("tags", "at most 5 tags"));
        }
        Ok(Tags(out))
    }

    /// Tags typed into one form field, separated by commas or spaces.
    pub fn parse_line(line: &str) -> Result<Self, FieldError> {
        let parts: Vec<String> = line.split([',', ' ', '，']).map(str::to_string).collect();
        Self::parse(&parts)
    }

    pub fn into_vec(self) -> Vec<String> {
        self.0
    }
}

pub use crate::fields::Kind;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Sort {
    #[default]
    Hot,
    New,
    Top,
    /// Ideas by votes.
    Votes,
    /// Votes in the last 7 days.
    Trending,
}

impl Sort {
    pub fn parse(raw: Option<&str>) -> Result<Self, FieldError> {
        match raw.unwrap_or("hot") {
            "" | "hot" => Ok(Sort::Hot),
            "new" => Ok(Sort::New),
            "top" => Ok(Sort::Top),
            "votes" => Ok(Sort::Votes),
            "trending" => Ok(Sort::Trending),
            _ => Err(FieldError::new(
                "sort",
                "must be hot, new, top, votes or trending",
            )),
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Sort::Hot => "hot",
            Sort::New => "new",
            Sort::Top => "top",
            Sort::Votes => "votes",
            Sort::Trending => "trending",
        }
    }
}

/// Where the previous page ended: the sort key of its last row and that row's id.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cursor {
    Hot(f64, i64),
    New(i64, i64),
    Top(i32, i64),
    Votes(i32, i64),
    Trending(i32, i64),
}

impl Cursor {
    pub fn encode(&self) -> String {
        match self {
            Cursor::Hot(r, id) => format!("h{}_{id}", r.to_bits()),
            Cursor::New(t, id) => format!("n{t}_{id}"),
            Cursor::Top(l, id) => format!("t{l}_{id}"),
            Cursor::Votes(v, id) => format!("v{v}_{id}"),
            Cursor::Trending(v, id) => format!("r{v}_{id}"),
        }
    }

    pub fn parse(raw: &str, sort: Sort) -> Result<Self, FieldError> {
        let bad = || FieldError::new("cursor", "is not a cursor from this listing");
        let (key, id) = raw
            .get(1..)
            .and_then(|r| r.split_once('_'))
            .ok_or_else(bad)?;
        let id: i64 = id.parse().map_err(|_| bad())?;
        match (raw.as_bytes()[0], sort) {
            (b'h', Sort::Hot) => Ok(Cursor::Hot(
                f64::from_bits(key.parse().map_err(|_| bad())?),
                id,
            )),
            (b'n', Sort::New) => Ok(Cursor::New(key.parse().map_err(|_| bad())?, id)),
            (b't', Sort::Top) => Ok(Cursor::Top(key.parse().map_err(|_| bad())?, id)),
            (b'v', Sort::Votes) => Ok(Cursor::Votes(key.parse().map_err(|_| bad())?, id)),
            (b'r', Sort::Trending) => Ok(Cursor::Trending(key.parse().map_err(|_| bad())?, id)),
            _ => Err(bad()),
        }
    }
}

/// A position in a thread: the materialized path of the last post shown.
pub fn parse_path_cursor(raw: &str) -> Result<Vec<i64>, FieldError> {
    let bad = || FieldError::new("cursor", "is not a cursor from this thread");
    let path: Vec<i64> = raw
        .split('.')
        .map(|p| p.parse().map_err(|_| bad()))
        .collect::<Result<_, _>>()?;
    if path.is_empty() || path.len() > 64 {
        return Err(bad());
    }
    Ok(path)
}

pub fn encode_path_cursor(path: &[i64]) -> String {
    path.iter()
        .map(|p| p.to_string())
        .collect::<Vec<_>>()
        .join(".")
}
