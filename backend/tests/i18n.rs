//! The console speaks English and Simplified Chinese (issue 15, docs/i18n.md): every text is a
//! key of the catalogue (`frontend/locales/{en,zh}.json`, read by leptos_i18n at compile time).
//! These checks fail when
//! - a key is in one language and not the other, or a sentence's placeholders differ;
//! - a Chinese text is left in English (ASCII only), except the few terms operators write the
//!   same in both languages (listed below with why);
//! - a literal user-facing text is left in the console's source (`frontend/src`) instead of the
//!   catalogue: a text node or a `title`/`aria-label`/`placeholder` in a `view!`, or a sentence
//!   anywhere (a string starting with a capitalised word). Symbols, units and address examples
//!   are allowed, each with its reason.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// `a.b.c` -> text, for every leaf of a locale file.
fn catalogue(lang: &str) -> BTreeMap<String, String> {
    let path = repo().join(format!("frontend/locales/{lang}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    let json: serde_json::Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    let mut out = BTreeMap::new();
    flatten("", &json, &mut out);
    out
}

fn flatten(prefix: &str, v: &serde_json::Value, out: &mut BTreeMap<String, String>) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, v) in m {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&key, v, out);
            }
        }
        serde_json::Value::String(s) => {
            out.insert(prefix.to_string(), s.clone());
        }
        other => panic!("{prefix}: a text is a string, not {other}"),
    }
}

/// The `{{ name }}` placeholders of a text.
fn placeholders(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = text;
    while let Some(i) = rest.find("{{") {
        let Some(j) = rest[i..].find("}}") else { break };
        out.insert(rest[i + 2..i + j].trim().to_string());
        rest = &rest[i + j + 2..];
    }
    out
}

/// Chinese texts that are rightly ASCII: what operators write the same in both languages.
const SAME_IN_BOTH: &[(&str, &str)] = &[
    (
        "overview.qps",
        "QPS: the metric's name in Codis and Redis, in Chinese docs too",
    ),
    ("proxies.qps", "QPS, as above"),
    ("stats.qps", "QPS, as above"),
    ("fleet.col_qps", "QPS, as above"),
    ("proxies.id", "ID: the proxy's id, as Codis labels it"),
    ("stats.cpu", "CPU"),
    (
        "overview.dashboard",
        "Dashboard: the codis-dashboard process, named so in Codis's Chinese docs",
    ),
    (
        "groups.slaveof",
        "SLAVEOF: the Redis command the button queues",
    ),
];

#[test]
fn every_key_is_in_both_languages_with_the_same_placeholders() {
    let en = catalogue("en");
    let zh = catalogue("zh");
    assert!(en.len() > 300, "the catalogue has {} keys", en.len());
    let only_en: Vec<_> = en.keys().filter(|k| !zh.contains_key(*k)).collect();
    let only_zh: Vec<_> = zh.keys().filter(|k| !en.contains_key(*k)).collect();
    assert!(only_en.is_empty(), "keys missing in zh.json: {only_en:?}");
    assert!(only_zh.is_empty(), "keys missing in en.json: {only_zh:?}");
    for (k, e) in &en {
        let z = &zh[k];
        assert!(
            !e.trim().is_empty() && !z.trim().is_empty(),
            "{k}: empty text"
        );
        assert_eq!(
            placeholders(e),
            placeholders(z),
            "{k}: the placeholders differ between en ({e:?}) and zh ({z:?})"
        );
    }
}

#[test]
fn chinese_texts_are_chinese() {
    let zh = catalogue("zh");
    let allowed: BTreeSet<&str> = SAME_IN_BOTH.iter().map(|(k, _)| *k).collect();
    for k in &allowed {
        assert!(
            zh.contains_key(*k),
            "SAME_IN_BOTH names {k}, which is no key"
        );
    }
    let english: Vec<_> = zh
        .iter()
        .filter(|(k, v)| !allowed.contains(k.as_str()) && v.is_ascii())
        .collect();
    assert!(
        english.is_empty(),
        "zh.json texts still in English: {english:?}"
    );
}

/// Literals in the console's source that are not words: symbols, units, address examples.
const NOT_WORDS: &[(&str, &str)] = &[
    ("Codis", "the product's name, the same in every language"),
    ("µs", "the SI unit, the same in every language"),
    ("host:6379", "an address example (placeholder)"),
    ("host:11080", "an address example (placeholder)"),
    ("host:26379", "an address example (placeholder)"),
    // Browser and HTTP names the code compares with or sends, never shown.
    ("Escape", "KeyboardEvent.key"),
    ("Tab", "KeyboardEvent.key"),
    ("Content-Type", "an HTTP header"),
    ("X-CSRF-Token", "an HTTP header"),
    (
        "NO:ONE",
        "Codis's master_addr for a group master (compared, not shown)",
    ),
    (
        "English",
        "the switcher names each language in itself (codis_model::ui::prefs::Lang)",
    ),
];

/// A string literal of a source file, with its line and whether it sits in a `view!` and
/// right after an attribute (`title=`) or as a text node.
struct Literal {
    line: usize,
    text: String,
    in_view: bool,
    attribute: Option<String>,
    text_node: bool,
}

/// The string literals of Rust source `src`, outside comments.
fn literals(src: &str) -> Vec<Literal> {
    let b: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let (mut i, mut line) = (0, 1);
    // Brace depth at which each open `view!` body started.
    let mut views: Vec<usize> = Vec::new();
    let mut depth = 0usize;
    while i < b.len() {
        let c = b[i];
        if c == '\n' {
            line += 1;
        }
        if c == '/' && b.get(i + 1) == Some(&'/') {
            while i < b.len() && b[i] != '\n' {
                i += 1;
            }
            continue;
        }
        if c == '/' && b.get(i + 1) == Some(&'*') {
            while i + 1 < b.len() && !(b[i] == '*' && b[i + 1] == '/') {
                if b[i] == '\n' {
                    line += 1;
                }
                i += 1;
            }
            i += 2;
            continue;
        }
        // Char literals ('"', '\'', 'x'); a lifetime ('a) has no closing quote two on.
        if c == '\'' {
            if b.get(i + 1) == Some(&'\\') {
                i += 1;
                while i < b.len() && b[i] != '\'' {
                    i += 1;
                }
                i += 1;
                continue;
            }
            if b.get(i + 2) == Some(&'\'') {
                i += 3;
                continue;
            }
        }
        if src_at(&b, i, "view!") {
            let mut j = i + 5;
            while j < b.len() && b[j].is_whitespace() {
                j += 1;
            }
            if b.get(j) == Some(&'{') {
                views.push(depth + 1);
            }
            i += 5;
            continue;
        }
        match c {
            '{' => depth += 1,
            '}' => {
                if views.last() == Some(&depth) {
                    views.pop();
                }
                depth = depth.saturating_sub(1);
            }
            _ => {}
        }
        let raw = c == 'r'
            && matches!(b.get(i + 1), Some('"') | Some('#'))
            && !ident(b.get(i.wrapping_sub(1)));
        if c == '"' || raw {
            let start_line = line;
            let before: String = b[..i]
                .iter()
                .rev()
                .take(40)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            let mut hashes = 0;
            let mut j = i;
            if raw {
                j += 1;
                while b.get(j) == Some(&'#') {
                    hashes += 1;
                    j += 1;
                }
            }
            j += 1; // the opening quote
            let mut text = String::new();
            while j < b.len() {
                if !raw && b[j] == '\\' {
                    text.push(b[j]);
                    if let Some(n) = b.get(j + 1) {
                        text.push(*n);
                    }
                    j += 2;
                    continue;
                }
                if b[j] == '"' && (0..hashes).all(|h| b.get(j + 1 + h) == Some(&'#')) {
                    break;
                }
                if b[j] == '\n' {
                    line += 1;
                }
                text.push(b[j]);
                j += 1;
            }
            let after: String = b[(j + 1 + hashes).min(b.len())..].iter().take(10).collect();
            let trimmed_before = before.trim_end();
            let attribute = trimmed_before.strip_suffix('=').map(|s| {
                s.rsplit(|c: char| c.is_whitespace() || c == '<')
                    .next()
                    .unwrap_or("")
                    .to_string()
            });
            // After a tag (`>"text"`), not after a match arm or a return type (`=>`, `->`).
            let after_tag = trimmed_before.ends_with('>')
                && !trimmed_before.ends_with("=>")
                && !trimmed_before.ends_with("->");
            let text_node =
                attribute.is_none() && (after_tag || after.trim_start().starts_with('<'));
            out.push(Literal {
                line: start_line,
                text,
                in_view: !views.is_empty(),
                attribute,
                text_node,
            });
            i = j + 1 + hashes;
            continue;
        }
        i += 1;
    }
    out
}

fn src_at(b: &[char], i: usize, word: &str) -> bool {
    word.chars()
        .enumerate()
        .all(|(k, w)| b.get(i + k) == Some(&w))
        && !ident(b.get(i.wrapping_sub(1)))
}

fn ident(c: Option<&char>) -> bool {
    c.is_some_and(|c| c.is_alphanumeric() || *c == '_')
}

/// Whether `s` starts like a sentence or a label: a capital letter, then a small one.
fn capitalised(s: &str) -> bool {
    let mut c = s.trim_start().chars();
    matches!((c.next(), c.next()), (Some(a), Some(b)) if a.is_ascii_uppercase() && b.is_ascii_lowercase())
}

/// Why `lit` is a text for people that belongs in the catalogue, if it is one.
fn user_facing(lit: &Literal) -> Option<&'static str> {
    let t = lit.text.trim();
    let has_letters = t.chars().any(char::is_alphabetic);
    if !has_letters || NOT_WORDS.iter().any(|(w, _)| *w == t) {
        return None;
    }
    if lit.in_view && lit.text_node {
        return Some("a text node in view!");
    }
    if lit.in_view
        && lit
            .attribute
            .as_deref()
            .is_some_and(|a| ["title", "aria-label", "placeholder", "alt", "label"].contains(&a))
    {
        return Some("a text attribute in view!");
    }
    // Anywhere: a capitalised word (a sentence, a label, a header) in a literal. Format strings
    // of data (`{}:{}`), CSS classes and paths start otherwise.
    if capitalised(t) {
        return Some("a capitalised text");
    }
    None
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{dir:?}: {e}")) {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn no_user_facing_text_is_left_in_the_source() {
    let mut files = Vec::new();
    rust_files(&repo().join("frontend/src"), &mut files);
    assert!(files.len() > 20, "frontend/src has {} files", files.len());
    // The whole directory is read, the newest views with it: the fleet page and its alert
    // centre (issue 16), and the pages that show Pika's fork (issue 18: the slot grid, the
    // servers' checks and elections, the failover built in, the latency percentiles).
    for newer in [
        "frontend/src/pages/fleet.rs",
        "frontend/src/components/alerts.rs",
        "frontend/src/pages/slots.rs",
        "frontend/src/pages/groups.rs",
        "frontend/src/pages/sentinels.rs",
        "frontend/src/pages/proxy_stats.rs",
    ] {
        assert!(
            files.iter().any(|f| f.ends_with(newer)),
            "{newer} is not scanned"
        );
    }
    let mut left = Vec::new();
    for f in &files {
        let src = std::fs::read_to_string(f).unwrap_or_else(|e| panic!("{f:?}: {e}"));
        for lit in literals(&src) {
            if let Some(why) = user_facing(&lit) {
                let rel = f.strip_prefix(repo()).unwrap_or(f).display().to_string();
                left.push(format!("{rel}:{}: {:?} ({why})", lit.line, lit.text));
            }
        }
    }
    assert!(
        left.is_empty(),
        "texts to move into frontend/locales (docs/i18n.md):\n{}",
        left.join("\n")
    );
}

#[test]
fn the_scanner_finds_what_it_must() {
    // The check above is only as good as this: it must see each kind of leftover.
    let src = r##"
        // "Commented out" is not code.
        fn f() -> impl IntoView {
            let class = "badge ok";
            view! {
                <h2>"Recent activity"</h2>
                <button title="Close the dialog" aria-label="close">"×"</button>
                <span class="unit">"µs"</span>
                {move || if x { "Close" } else { "ok-text" }}
                <p>{tr!(key)}</p>
            }
        }
        fn g() -> String { format!("Group {gid}: keys") }
        fn h(ok: bool) -> &'static str { match ok { true => "dot-ok", false => "dot-bad" } }
    "##;
    let found: Vec<String> = literals(src)
        .iter()
        .filter(|l| user_facing(l).is_some())
        .map(|l| l.text.clone())
        .collect();
    assert_eq!(
        found,
        [
            "Recent activity",
            "Close the dialog",
            "close",
            "Close",
            "Group {gid}: keys"
        ]
    );
}
