//! Themes: minijinja templates and zh-CN/en translations read at run time from
//! `themes/<name>/`, so a theme can change without a rebuild. A theme may hold only the files it
//! changes; anything missing comes from `themes/default/`.

use crate::fields::Locale;
use minijinja::value::Kwargs;
use minijinja::{Environment, State, Value};
use std::collections::{BTreeSet, HashMap};
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex};

pub struct Theme {
    env: Environment<'static>,
    strings: Arc<Translations>,
    /// Keys asked for that a language lacks (`zh-CN:sort.votes`): a page would show the raw key.
    /// Logged once each; the i18n test renders every page and wants none.
    missing: Arc<Mutex<BTreeSet<String>>>,
    /// Theme folders, most specific first.
    dirs: Vec<PathBuf>,
}

type Translations = HashMap<Locale, HashMap<String, String>>;

#[derive(Debug, thiserror::Error)]
pub enum ThemeError {
    #[error("theme folder {0} not found")]
    Missing(PathBuf),
    #[error("{path}: {why}")]
    Translations { path: PathBuf, why: String },
}

impl Theme {
    pub fn load(themes_dir: &Path, name: &str) -> Result<Theme, ThemeError> {
        let mut dirs = vec![themes_dir.join(name)];
        if name != "default" {
            dirs.push(themes_dir.join("default"));
        }
        for d in &dirs {
            if !d.is_dir() {
                return Err(ThemeError::Missing(d.clone()));
            }
        }
        let mut strings: Translations = HashMap::new();
        // Fallback first, so the specific theme's strings win.
        for dir in dirs.iter().rev() {
            for locale in Locale::ALL {
                let path = dir.join("i18n").join(format!("{}.toml", locale.as_str()));
                let Ok(text) = std::fs::read_to_string(&path) else {
                    continue;
                };
                let table: toml::Table =
                    text.parse()
                        .map_err(|e: toml::de::Error| ThemeError::Translations {
                            path: path.clone(),
                            why: e.message().to_string(),
                        })?;
                let map = strings.entry(locale).or_default();
                flatten("", &table, map);
            }
        }
        let strings = Arc::new(strings);
        let mut env = Environment::new();
        let template_dirs: Vec<PathBuf> = dirs.iter().map(|d| d.join("templates")).collect();
        env.set_loader(move |name| {
            let rel = Path::new(name);
            if rel.components().any(|c| !matches!(c, Component::Normal(_))) {
                return Ok(None);
            }
            for d in &template_dirs {
                match std::fs::read_to_string(d.join(rel)) {
                    Ok(s) => return Ok(Some(s)),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                    Err(e) => {
                        return Err(minijinja::Error::new(
                            minijinja::ErrorKind::InvalidOperation,
                            format!("reading template {name}: {e}"),
                        ))
                    }
                }
            }
            Ok(None)
        });
        // `.txt` (mail bodies) is not escaped; `.html` is, by minijinja's default.
        let missing: Arc<Mutex<BTreeSet<String>>> = Arc::default();
        let (s, m) = (strings.clone(), missing.clone());
        env.add_function("t", move |state: &State, key: &str, kwargs: Kwargs| {
            let text = translate(&s, &m, page_locale(state), key, &kwargs);
            kwargs.assert_all_used().ok();
            Ok::<_, minijinja::Error>(text)
        });
        // A person's shown name: an erased account's placeholder reads as "deleted user #N" in
        // the page's language.
        let (s, m) = (strings.clone(), missing.clone());
        env.add_filter(
            "who",
            move |state: &State, name: String| match crate::fields::erased_number(&name) {
                None => name,
                Some(n) => {
                    let kw = Kwargs::from_iter([("n".to_string(), Value::from(n))]);
                    translate(&s, &m, page_locale(state), "people.deleted", &kw)
                }
            },
        );
        env.add_filter("file_size", file_size);
        // The language of a piece of people's text, for `lang` on mixed zh/en pages: any Han
        // character reads as Chinese, anything else as English.
        env.add_filter("text_lang", |text: String| {
            if text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)) {
                "zh-CN"
            } else {
                "en"
            }
        });
        // Times in the reader's zone (`tz` in the context, else their language's default):
        // `local` is absolute with the offset; `ago` is relative in a <time> carrying both.
        env.add_filter("local", |state: &State, value: String| {
            match parse_time(&value) {
                Some(t) => crate::local_time::absolute(t, page_zone(state)),
                None => value,
            }
        });
        let (s, m) = (strings.clone(), missing.clone());
        env.add_filter("ago", move |state: &State, value: String| {
            let Some(t) = parse_time(&value) else {
                return Value::from(value);
            };
            let zone = page_zone(state);
            let now = state
                .lookup("now")
                .and_then(|v| v.as_str().and_then(parse_time))
                .unwrap_or_else(chrono::Utc::now);
            let shown = match crate::local_time::relative(t, now) {
                Some((key, n)) => {
                    let kw = Kwargs::from_iter([("n".to_string(), Value::from(n))]);
                    translate(&s, &m, page_locale(state), key, &kw)
                }
                None => t.with_timezone(&zone).format("%Y-%m-%d").to_string(),
            };
            // Only text this filter made: a parsed time re-formatted, and a strings entry.
            Value::from_safe_string(format!(
                "<time datetime=\"{}\" title=\"{}\">{}</time>",
                t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                crate::local_time::absolute(t, zone),
                minijinja::HtmlEscape(&shown)
            ))
        });
        // A deadline: "due in 3 h" or "overdue by 2 d", in a <time> carrying the absolute time.
        let (s, m) = (strings.clone(), missing.clone());
        env.add_filter("due", move |state: &State, value: String| {
            let Some(t) = parse_time(&value) else {
                return Value::from(value);
            };
            let now = state
                .lookup("now")
                .and_then(|v| v.as_str().and_then(parse_time))
                .unwrap_or_else(chrono::Utc::now);
            let (key, n) = crate::local_time::deadline(t, now);
            let kw = Kwargs::from_iter([("n".to_string(), Value::from(n))]);
            let shown = translate(&s, &m, page_locale(state), key, &kw);
            Value::from_safe_string(format!(
                "<time datetime=\"{}\" title=\"{}\">{}</time>",
                t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                crate::local_time::absolute(t, page_zone(state)),
                minijinja::HtmlEscape(&shown)
            ))
        });
        Ok(Theme {
            env,
            strings,
            missing,
            dirs,
        })
    }

    pub fn render(
        &self,
        template: &str,
        locale: Locale,
        ctx: Value,
    ) -> Result<String, minijinja::Error> {
        let tmpl = self.env.get_template(template)?;
        let ctx = minijinja::context! { lang => locale.as_str(), ..ctx };
        tmpl.render(ctx)
    }

    /// A translated string with `{name}` placeholders filled in.
    pub fn t(&self, locale: Locale, key: &str, args: &[(&str, &str)]) -> String {
        let kw = Kwargs::from_iter(args.iter().map(|(k, v)| (k.to_string(), Value::from(*v))));
        translate(&self.strings, &self.missing, locale, key, &kw)
    }

    /// Keys pages or mail asked for that their language lacks, as `locale:key`, since start.
    pub fn missing_keys(&self) -> Vec<String> {
        self.missing
            .lock()
            .map(|m| m.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// A static file of the theme (falling back to the default theme), if present.
    pub fn static_file(&self, rel: &str) -> Option<PathBuf> {
        let rel = Path::new(rel);
        if rel.components().any(|c| !matches!(c, Component::Normal(_))) {
            return None;
        }
        self.dirs
            .iter()
            .map(|d| d.join("static").join(rel))
            .find(|p| p.is_file())
    }
}

/// The language the template is rendering in (`lang`, set by `render`).
/// A file's size as people read it: bytes below a kilobyte (a 40-byte log is not "0.0 KB").
fn file_size(n: u64) -> String {
    const K: f64 = 1024.0;
    match n {
        0..1024 => format!("{n} B"),
        1024..1_048_576 => format!("{:.1} KB", n as f64 / K),
        _ => format!("{:.1} MB", n as f64 / (K * K)),
    }
}

fn parse_time(v: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    chrono::DateTime::parse_from_rfc3339(v)
        .ok()
        .map(|t| t.with_timezone(&chrono::Utc))
}

fn page_zone(state: &State) -> chrono_tz::Tz {
    let name = state.lookup("tz");
    crate::local_time::zone(name.as_ref().and_then(|v| v.as_str()), page_locale(state))
}

fn page_locale(state: &State) -> Locale {
    state
        .lookup("lang")
        .and_then(|v| v.as_str().and_then(Locale::parse))
        .unwrap_or(Locale::ZhCn)
}

fn translate(
    strings: &Translations,
    missing: &Mutex<BTreeSet<String>>,
    locale: Locale,
    key: &str,
    kwargs: &Kwargs,
) -> String {
    let found = strings.get(&locale).and_then(|m| m.get(key));
    // English field messages are their own keys (`msg.is required`); only zh-CN lists them.
    let english_message = locale == Locale::En && key.starts_with("msg.");
    if found.is_none() && !english_message {
        if let Ok(mut m) = missing.lock() {
            if m.insert(format!("{}:{key}", locale.as_str())) {
                tracing::warn!(locale = locale.as_str(), key, "translation missing");
            }
        }
    }
    let raw = found
        .or_else(|| strings.get(&Locale::En).and_then(|m| m.get(key)))
        .cloned()
        // An English field message is its own text; anything else shows the key (and is listed).
        .unwrap_or_else(|| key.strip_prefix("msg.").unwrap_or(key).to_string());
    let mut out = raw;
    for name in kwargs.args() {
        if let Ok(v) = kwargs.get::<Value>(name) {
            out = out.replace(&format!("{{{name}}}"), &v.to_string());
        }
    }
    out
}

fn flatten(prefix: &str, table: &toml::Table, out: &mut HashMap<String, String>) {
    for (k, v) in table {
        let key = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        match v {
            toml::Value::Table(t) => flatten(&key, t, out),
            toml::Value::String(s) => {
                out.insert(key, s.clone());
            }
            other => {
                out.insert(key, other.to_string());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn file_sizes_read_in_the_unit_that_fits() {
        assert_eq!(super::file_size(40), "40 B");
        assert_eq!(super::file_size(1023), "1023 B");
        assert_eq!(super::file_size(1536), "1.5 KB");
        assert_eq!(super::file_size(5 * 1024 * 1024), "5.0 MB");
    }
}
