//! The layer order of `src/` is declared once, in the `layers` block of `docs/architecture.md`.
//! This test reads every `crate::…` path in `src/` (and `chorus::…` in `main.rs`) and fails on
//! an import that points up that order, on a circle between top-level modules, and on a module
//! the block does not place.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Layers from the base up, as declared in the docs: each line names the modules of one layer.
fn declared_layers() -> BTreeMap<String, usize> {
    let doc = std::fs::read_to_string(root().join("docs/architecture.md")).unwrap();
    let block = doc
        .split("```layers\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("docs/architecture.md has a ```layers block");
    let mut layers = BTreeMap::new();
    for (n, line) in block
        .lines()
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .filter(|l| !l.is_empty())
        .enumerate()
    {
        // "N. name: mod mod ..." or just "mod mod ...".
        let mods = line.split_once(':').map(|(_, m)| m).unwrap_or(line);
        for m in mods.split_whitespace() {
            assert!(
                layers.insert(m.to_string(), n).is_none(),
                "{m} is placed twice in the layers block"
            );
        }
    }
    layers
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The top-level module a file belongs to (`main` for the binary, `lib` for the crate root).
fn top_of(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).unwrap();
    let first = rel
        .components()
        .next()
        .unwrap()
        .as_os_str()
        .to_string_lossy();
    first.trim_end_matches(".rs").to_string()
}

/// Strips `//` comments and string literals, so prose never counts as an import.
fn code_only(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '/' if chars.peek() == Some(&'/') => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        out.push('\n');
                        break;
                    }
                }
            }
            '"' => {
                let mut escaped = false;
                for c in chars.by_ref() {
                    if escaped {
                        escaped = false;
                    } else if c == '\\' {
                        escaped = true;
                    } else if c == '"' {
                        break;
                    }
                }
                out.push_str("\"\"");
            }
            _ => out.push(c),
        }
    }
    out
}

/// The first segment after every `prefix` (`crate::`), including each entry of a `{…}` group.
fn imported_modules(code: &str, prefix: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut rest = code;
    while let Some(at) = rest.find(prefix) {
        let before = rest[..at].chars().next_back();
        rest = &rest[at + prefix.len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        if let Some(group) = rest.strip_prefix('{') {
            // Top-level entries of the group: `{a::b, c, d::{e, f}}`.
            let mut depth = 0;
            let mut entry = String::new();
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        push_first(&entry, &mut found);
                        entry.clear();
                        continue;
                    }
                    _ => {}
                }
                if depth == 0 {
                    entry.push(c);
                }
            }
            push_first(&entry, &mut found);
        } else {
            push_first(rest, &mut found);
        }
    }
    found
}

fn push_first(path: &str, found: &mut BTreeSet<String>) {
    let name: String = path
        .trim_start()
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    if !name.is_empty() && name != "self" {
        found.insert(name);
    }
}

/// Every edge between top-level modules: (from, to) -> the files that make it.
fn module_edges() -> BTreeMap<(String, String), BTreeSet<String>> {
    let src = root().join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut edges: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
    for f in files {
        let top = top_of(&src, &f);
        let code = code_only(&std::fs::read_to_string(&f).unwrap());
        let prefix = if top == "main" { "chorus::" } else { "crate::" };
        for to in imported_modules(&code, prefix) {
            if to != top {
                let rel = f.strip_prefix(root()).unwrap().display().to_string();
                edges.entry((top.clone(), to)).or_default().insert(rel);
            }
        }
    }
    edges
}

/// Strongly connected components of more than one module (Tarjan).
fn circles(edges: &BTreeMap<(String, String), BTreeSet<String>>) -> Vec<Vec<String>> {
    let mut next: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (from, to) in edges.keys() {
        next.entry(from).or_default().push(to);
        next.entry(to).or_default();
    }
    struct T<'a> {
        next: &'a BTreeMap<&'a str, Vec<&'a str>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        counter: usize,
        out: Vec<Vec<String>>,
    }
    fn visit<'a>(t: &mut T<'a>, v: &'a str) {
        t.index.insert(v, t.counter);
        t.low.insert(v, t.counter);
        t.counter += 1;
        t.stack.push(v);
        for &w in &t.next[v] {
            if !t.index.contains_key(w) {
                visit(t, w);
                let lw = t.low[w];
                let lv = t.low.get_mut(v).unwrap();
                *lv = (*lv).min(lw);
            } else if t.stack.contains(&w) {
                let iw = t.index[w];
                let lv = t.low.get_mut(v).unwrap();
                *lv = (*lv).min(iw);
            }
        }
        if t.low[v] == t.index[v] {
            let mut comp = Vec::new();
            while let Some(w) = t.stack.pop() {
                comp.push(w.to_string());
                if w == v {
                    break;
                }
            }
            if comp.len() > 1 {
                comp.sort();
                t.out.push(comp);
            }
        }
    }
    let mut t = T {
        next: &next,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        counter: 0,
        out: Vec::new(),
    };
    for &v in next.keys() {
        if !t.index.contains_key(v) {
            visit(&mut t, v);
        }
    }
    t.out
}

#[test]
fn no_module_imports_up_the_declared_layers_or_in_a_circle() {
    let layers = declared_layers();
    let edges = module_edges();
    let src = root().join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let unplaced: BTreeSet<String> = files
        .iter()
        .map(|f| top_of(&src, f))
        .filter(|m| m != "lib" && !layers.contains_key(m))
        .collect();
    assert!(
        unplaced.is_empty(),
        "modules missing from the layers block of docs/architecture.md: {unplaced:?}"
    );
    let upward: Vec<String> = edges
        .iter()
        .filter(|((from, to), _)| from != "lib" && layers.get(to) > layers.get(from))
        .map(|((from, to), why)| format!("{from} -> {to} (in {})", join(why)))
        .collect();
    let circles = circles(&edges);
    println!(
        "layers: {} edges between top-level modules, {} upward, largest circle {}",
        edges.len(),
        upward.len(),
        circles.iter().map(Vec::len).max().unwrap_or(0)
    );
    assert!(
        upward.is_empty(),
        "{} imports point up the layer order:\n{}",
        upward.len(),
        upward.join("\n")
    );
    assert!(
        circles.is_empty(),
        "top-level modules import each other in a circle: {circles:?}"
    );
}

fn join(files: &BTreeSet<String>) -> String {
    files.iter().cloned().collect::<Vec<_>>().join(", ")
}

#[test]
fn the_import_reader_sees_groups_and_skips_prose() {
    let code = code_only(
        "use crate::{a::b, c, d::{e, f}};\n// crate::comment\nlet s = \"crate::string\";\nx = crate::g::h;\nnotcrate::i;",
    );
    let found = imported_modules(&code, "crate::");
    assert_eq!(
        found,
        ["a", "c", "d", "g"].iter().map(|s| s.to_string()).collect()
    );
}

/// SQL inside diesel queries goes through `db::fixed_sql` (`docs/architecture.md`): diesel's
/// `sql()` takes any string, so a query holding it is never kept prepared.
#[test]
fn no_query_uses_diesels_unchecked_sql() {
    let mut files = Vec::new();
    rust_files(&root().join("src"), &mut files);
    let found: Vec<String> = files
        .iter()
        .filter(|f| !f.ends_with("db/fixed_sql.rs"))
        .flat_map(|f| {
            let text = std::fs::read_to_string(f).unwrap();
            text.lines()
                .enumerate()
                .filter(|(_, l)| {
                    // `dsl::sql` itself, not `dsl::sql_query` (whole statements are fine).
                    let unchecked = l.match_indices("dsl::sql").any(|(i, m)| {
                        !l[i + m.len()..].starts_with(|c: char| c == '_' || c.is_alphanumeric())
                    });
                    unchecked || l.contains("SqlLiteral")
                })
                .map(|(n, l)| format!("{}:{}: {}", f.display(), n + 1, l.trim()))
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(
        found.is_empty(),
        "use db::fixed_sql::fixed instead:\n{}",
        found.join("\n")
    );
}
