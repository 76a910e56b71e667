//! The allowlist every piece of user HTML passes through: no script, style, iframe, object, svg or
//! math; no event handlers or inline styles; links only http/https/mailto (or site-relative) with
//! `rel="nofollow ugc noopener"`; images only over http(s).

use ammonia::{Builder, UrlRelative};
use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

fn builder() -> &'static Builder<'static> {
    static B: OnceLock<Builder<'static>> = OnceLock::new();
    B.get_or_init(|| {
        let tags: HashSet<&str> = [
            "p",
            "br",
            "hr",
            "h1",
            "h2",
            "h3",
            "h4",
            "h5",
            "h6",
            "blockquote",
            "ul",
            "ol",
            "li",
            "strong",
            "em",
            "del",
            "code",
            "pre",
            "a",
            "img",
            "table",
            "thead",
            "tbody",
            "tr",
            "th",
            "td",
            "input",
            "sup",
            "sub",
        ]
        .into_iter()
        .collect();
        let mut attrs: HashMap<&str, HashSet<&str>> = HashMap::new();
        attrs.insert("a", ["href", "title"].into_iter().collect());
        attrs.insert("img", ["src", "alt", "title"].into_iter().collect());
        attrs.insert("ol", ["start"].into_iter().collect());
        attrs.insert(
            "input",
            ["type", "checked", "disabled"].into_iter().collect(),
        );
        let mut classes: HashMap<&str, HashSet<&str>> = HashMap::new();
        classes.insert("a", [super::MENTION_CLASS].into_iter().collect());
        let mut b = Builder::empty();
        b.tags(tags)
            .tag_attributes(attrs)
            .allowed_classes(classes)
            .url_schemes(["http", "https", "mailto"].into_iter().collect())
            .url_relative(UrlRelative::PassThrough)
            .link_rel(Some("nofollow ugc noopener"))
            .strip_comments(true)
            .attribute_filter(|element, attribute, value| match (element, attribute) {
                ("img", "src") => {
                    let v = value.trim().to_ascii_lowercase();
                    (v.starts_with("https://") || v.starts_with("http://")).then(|| value.into())
                }
                // Task-list boxes are shown, never edited.
                ("input", "type") => (value == "checkbox").then(|| value.into()),
                _ => Some(value.into()),
            });
        b
    })
}

pub fn clean(html: &str) -> String {
    let cleaned = builder().clean(html).to_string();
    // A task-list input whose type was dropped would render as a text box; keep only checkboxes.
    if cleaned.contains("<input") && !cleaned.contains("type=\"checkbox\"") {
        return builder()
            .clean(&cleaned.replace("<input", "<span"))
            .to_string();
    }
    cleaned
}
