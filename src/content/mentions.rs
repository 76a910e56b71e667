//! `@name` mentions: found in text (never inside code), linked when the user exists.

use pulldown_cmark::{CowStr, Event, Tag, TagEnd};
use std::collections::HashSet;

pub const MENTION_CLASS: &str = "mention";

fn is_name_char(c: char) -> bool {
    c.is_alphabetic() || c.is_ascii_digit() || c == '_' || c == '-'
}

/// Splits text into plain runs and mention names, in order.
fn scan(text: &str) -> Vec<(bool, &str)> {
    let mut out = Vec::new();
    let mut plain_start = 0;
    let mut prev: Option<char> = None;
    let mut iter = text.char_indices().peekable();
    while let Some((i, c)) = iter.next() {
        let starts = c == '@' && prev.is_none_or(|p| !is_name_char(p) && p != '@' && p != '.');
        if starts {
            let name_start = i + 1;
            let mut end = name_start;
            let mut count = 0;
            while let Some(&(j, d)) = iter.peek() {
                if is_name_char(d) && count < 32 {
                    end = j + d.len_utf8();
                    count += 1;
                    iter.next();
                } else {
                    break;
                }
            }
            // `name@example.com` is an address, not a mention.
            let followed_by_at = text[end..].starts_with('@');
            if count >= 3 && !followed_by_at {
                out.push((false, &text[plain_start..i]));
                out.push((true, &text[name_start..end]));
                plain_start = end;
            }
            prev = text[..end].chars().next_back();
            continue;
        }
        prev = Some(c);
    }
    out.push((false, &text[plain_start..]));
    out.retain(|(m, s)| *m || !s.is_empty());
    out
}

/// Every distinct mentioned name (lowercase key), outside code.
pub fn candidates(markdown: &str) -> Vec<String> {
    let mut seen = Vec::new();
    let mut in_code = 0;
    let mut in_link = 0;
    for ev in pulldown_cmark::Parser::new(markdown) {
        match ev {
            Event::Start(Tag::CodeBlock(_)) => in_code += 1,
            Event::End(TagEnd::CodeBlock) => in_code -= 1,
            Event::Start(Tag::Link { .. }) => in_link += 1,
            Event::End(TagEnd::Link) => in_link -= 1,
            Event::Text(t) if in_code == 0 && in_link == 0 => {
                for (is_mention, s) in scan(&t) {
                    let key = crate::accounts::Username::key_of(s);
                    if is_mention && !seen.contains(&key) {
                        seen.push(key);
                    }
                }
            }
            _ => {}
        }
    }
    seen.truncate(20);
    seen
}

/// Replaces known mentions in text events with links to the profile.
pub fn link<'a>(
    events: impl Iterator<Item = Event<'a>>,
    known: &'a HashSet<String>,
) -> impl Iterator<Item = Event<'a>> {
    let mut in_code = 0;
    let mut in_link = 0;
    events.flat_map(move |ev| {
        match &ev {
            Event::Start(Tag::CodeBlock(_)) => in_code += 1,
            Event::End(TagEnd::CodeBlock) => in_code -= 1,
            Event::Start(Tag::Link { .. }) => in_link += 1,
            Event::End(TagEnd::Link) => in_link -= 1,
            _ => {}
        }
        let Event::Text(text) = &ev else {
            return vec![ev];
        };
        if in_code > 0 || in_link > 0 || known.is_empty() || !text.contains('@') {
            return vec![ev];
        }
        let mut out = Vec::new();
        for (is_mention, s) in scan(text) {
            if is_mention && known.contains(&crate::accounts::Username::key_of(s)) {
                out.push(Event::InlineHtml(CowStr::from(format!(
                    "<a class=\"{MENTION_CLASS}\" href=\"/u/{}\">@{}</a>",
                    percent_encode(s),
                    escape(s)
                ))));
            } else if is_mention {
                out.push(Event::Text(CowStr::from(format!("@{s}"))));
            } else {
                out.push(Event::Text(CowStr::from(s.to_string())));
            }
        }
        out
    })
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

pub fn percent_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b == b'_' || b == b'-' {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_mentions_but_not_addresses_or_code() {
        let c = candidates(
            "hi @Alice and @米粉小王, mail bob@example.com\n\n```\n@notme\n```\n`@inline` @ab",
        );
        assert_eq!(c, vec!["alice".to_string(), "米粉小王".to_string()]);
    }
}
