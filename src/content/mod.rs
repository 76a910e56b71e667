//! User content: markdown rendered once at write time and cleaned by an allowlist, mentions,
//! plain-text excerpts. The only way to get a [`SafeHtml`] is through [`render`].

pub mod mentions;
mod sanitize;

pub use mentions::{candidates as mention_candidates, percent_encode, MENTION_CLASS};

use pulldown_cmark::{html, Options, Parser};
use serde::Serialize;
use std::collections::HashSet;

/// HTML that went through the sanitizer; safe to put in a page unescaped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct SafeHtml(String);

impl SafeHtml {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }

    /// Trusts HTML read back from the database, which only ever holds `render` output.
    pub fn from_stored(html: String) -> Self {
        SafeHtml(html)
    }
}

pub const MAX_TITLE_CHARS: usize = 150;
pub const MAX_BODY_CHARS: usize = 50_000;

/// Renders markdown (CommonMark + tables, strikethrough, task lists) to sanitized HTML.
/// `known_users` holds the lowercase keys of mentioned names that exist: only they become links.
pub fn render(markdown: &str, known_users: &HashSet<String>) -> SafeHtml {
    let mut options = Options::empty();
    options.insert(Options::ENABLE_TABLES);
    options.insert(Options::ENABLE_STRIKETHROUGH);
    options.insert(Options::ENABLE_TASKLISTS);
    let parser = Parser::new_ext(markdown, options);
    let events = mentions::link(parser, known_users);
    let mut raw = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut raw, events);
    SafeHtml(sanitize::clean(&raw))
}

/// Plain text of the markdown, whitespace folded, at most `max` characters.
pub fn excerpt(markdown: &str, max: usize) -> String {
    use pulldown_cmark::{Event, TagEnd};
    let mut out = String::new();
    for ev in Parser::new(markdown) {
        match ev {
            Event::Text(t) | Event::Code(t) => out.push_str(&t),
            Event::SoftBreak | Event::HardBreak | Event::End(TagEnd::Paragraph) => out.push(' '),
            _ => {}
        }
        if out.chars().count() > max * 2 {
            break;
        }
    }
    let folded = out.split_whitespace().collect::<Vec<_>>().join(" ");
    if folded.chars().count() <= max {
        folded
    } else {
        let mut s: String = folded.chars().take(max.saturating_sub(1)).collect();
        s.push('…');
        s
    }
}
