//! docs/guide/*.md (the Chinese user guide) names only what exists: every
//! `/command` is in the registry (by name or alias), every config key
//! (`[section] key`, `section.key`, and every key of a ```toml block) is in
//! config/treecast.example.toml, every `treecast …` subcommand is in the
//! command line, every `TREECAST_…` variable is read somewhere, and every
//! line of a ```log block is a sentence the program prints (a string of its
//! sources, placeholders filled in).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use regex::Regex;

use super::app;
use crate::registry::{Parsed, Registry};

/// The command line's words, as the binary parses them.
#[allow(dead_code)]
#[path = "../../bin/treecast/args/mod.rs"]
mod cli_args;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn guide_pages() -> Vec<(String, String)> {
    let dir = Path::new(ROOT).join("docs/guide");
    let mut pages: Vec<(String, String)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read_to_string(&p).unwrap()))
        .collect();
    pages.sort();
    assert!(pages.len() >= 7, "docs/guide has its pages: {:?}", pages.iter().map(|p| &p.0).collect::<Vec<_>>());
    pages
}

/// A page's fenced blocks (info string, text), its inline code spans, and
/// everything else.
struct Parts {
    blocks: Vec<(String, String)>,
    spans: Vec<String>,
    prose: String,
}

fn parts(page: &str) -> Parts {
    let (mut blocks, mut spans, mut prose) = (Vec::new(), Vec::new(), String::new());
    let mut fence: Option<(String, String)> = None;
    for line in page.lines() {
        let t = line.trim_start();
        match (&mut fence, t.strip_prefix("```")) {
            (None, Some(info)) => fence = Some((info.trim().to_owned(), String::new())),
            (Some(_), Some(_)) => blocks.push(fence.take().unwrap()),
            (Some((_, text)), None) => {
                text.push_str(line);
                text.push('\n');
            }
            (None, None) => {
                // Inline spans: `x` (a table cell's `\|` is a `|`).
                let mut rest = line;
                while let Some(open) = rest.find('`') {
                    prose.push_str(&rest[..open]);
                    let after = &rest[open + 1..];
                    match after.find('`') {
                        Some(close) => {
                            spans.push(after[..close].replace("\\|", "|"));
                            prose.push(' ');
                            rest = &after[close + 1..];
                        }
                        None => {
                            rest = after;
                        }
                    }
                }
                prose.push_str(rest);
                prose.push('\n');
            }
        }
    }
    assert!(fence.is_none(), "a ``` block is not closed");
    Parts { blocks, spans, prose }
}

/// Commands of other bots the guide names: @BotFather's.
const OTHER_BOTS: &[&str] = &["newbot", "setprivacy"];

/// Every `/name` (or `!name` at the start of a span or a line) that reads as
/// a command: not inside a path or a URL (`/etc/x`, `t.me/bot`), not
/// `和/或`, starting with a letter.
fn commands_in(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    for i in 0..chars.len() {
        let c = chars[i];
        let before = if i == 0 { None } else { Some(chars[i - 1]) };
        let starts = match c {
            '/' | '／' => before.is_none_or(|b| !(b.is_alphanumeric() || "/.:-_~<>])=\\".contains(b))),
            '!' => before.is_none_or(|b| b == '\n' || b == '`'),
            _ => false,
        };
        if !starts {
            continue;
        }
        let name: String = chars[i + 1..].iter().take_while(|c| c.is_alphanumeric() || **c == '_').collect();
        if !name.chars().next().is_some_and(|c| c.is_alphabetic()) {
            continue;
        }
        let next = chars.get(i + 1 + name.chars().count()).copied();
        let after_next = chars.get(i + 2 + name.chars().count()).copied();
        if next == Some('/') || next == Some('.') && after_next.is_some_and(|c| c.is_alphanumeric()) {
            continue;
        }
        out.push(name);
    }
    out
}

/// The sections and keys of the example config, commented-out ones included
/// (`# [cluster]`, `# nats = …`): section ("" at the top) -> keys.
fn example_keys() -> BTreeMap<String, BTreeSet<String>> {
    let text = std::fs::read_to_string(Path::new(ROOT).join("config/treecast.example.toml")).unwrap();
    toml_keys(&text, true).into_iter().fold(BTreeMap::new(), |mut m, (section, key)| {
        let mut parts: Vec<&str> = section.split('.').collect();
        while !parts.is_empty() {
            m.entry(parts.join(".")).or_default();
            parts.pop();
        }
        if let Some(k) = key {
            m.entry(section).or_default().insert(k);
        }
        m
    })
}

/// (section, key) for each key of TOML text, (section, None) for each
/// header; with `commented`, `#`-commented headers and keys count too.
fn toml_keys(text: &str, commented: bool) -> Vec<(String, Option<String>)> {
    let header = Regex::new(r"^\[\[?([A-Za-z0-9_.]+)\]\]?\s*(#.*)?$").unwrap();
    let key = Regex::new(r"^([A-Za-z_][A-Za-z0-9_]*)\s*=").unwrap();
    let mut section = String::new();
    let mut out = Vec::new();
    for line in text.lines() {
        let mut l = line.trim();
        if commented {
            l = l.trim_start_matches('#').trim_start();
        } else if l.starts_with('#') {
            continue;
        }
        if let Some(h) = header.captures(l) {
            section = h[1].to_owned();
            out.push((section.clone(), None));
        } else if let Some(k) = key.captures(l) {
            out.push((section.clone(), Some(k[1].to_owned())));
        }
    }
    out
}

/// The config keys a page names: `[section]`, `[section] key`,
/// `section.key` in spans (not file names such as `admin.sock`), and every
/// header and key of its ```toml blocks.
fn config_keys_in(p: &Parts) -> Vec<(String, Option<String>)> {
    let bracketed = Regex::new(r"^\[\[?([a-z0-9_.]+)\]\]?(?:\s+([a-z_][a-z0-9_]*))?(?:\s*=.*)?$").unwrap();
    let dotted = Regex::new(r"^([a-z_]+(?:\.[a-z_]+)*)\.([a-z_]+)(?:\s*=.*)?$").unwrap();
    let files = ["sock", "addr", "toml", "md", "csv", "json", "png", "txt", "rs", "mbox", "tsv", "xlsx", "env", "log"];
    let sections = example_keys();
    let mut out = Vec::new();
    for s in &p.spans {
        if let Some(c) = bracketed.captures(s) {
            out.push((c[1].to_owned(), c.get(2).map(|k| k.as_str().to_owned())));
        } else if let Some(c) = dotted.captures(s) {
            let top = c[1].split('.').next().unwrap();
            if sections.contains_key(top) && !files.contains(&&c[2]) && !sections.contains_key(&c[0]) {
                out.push((c[1].to_owned(), Some(c[2].to_owned())));
            }
        }
    }
    for (info, text) in &p.blocks {
        if info == "toml" {
            out.extend(toml_keys(text, false));
        }
    }
    out
}

/// `treecast WORD [WORD]` in code: the subcommand words after the program's
/// name, or after `treecast-admin` (the guide's wrapper that runs it as the
/// service's user); not a path, `User=treecast`, `treecast.toml` or `-u treecast`.
fn subcommands_in(code: &str) -> Vec<(String, Option<String>)> {
    let re = Regex::new(r"(?:^|[\s`$(])treecast(?:-admin)?((?:[ \t]+[^\s|;&]+){0,2})").unwrap();
    let word = Regex::new(r"^[a-z][a-z-]*$").unwrap();
    let mut out = Vec::new();
    for line in code.lines() {
        let mut at = 0;
        while let Some(c) = re.captures_at(line, at) {
            at = c.get(0).unwrap().start() + 1;
            let words: Vec<&str> = c[1].split_whitespace().collect();
            match words.first() {
                Some(&"treecast") | None => continue,
                Some(w) if word.is_match(w) => {
                    let second = words.get(1).filter(|w| word.is_match(w)).map(|w| w.to_string());
                    out.push((w.to_string(), second));
                }
                Some(_) => {}
            }
        }
    }
    out
}

fn rust_files(dir: &Path, tests: bool, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        if p.is_dir() {
            if tests || name != "tests" {
                rust_files(&p, tests, out);
            }
        } else if name.ends_with(".rs") && (tests || !name.starts_with("tests")) {
            out.push(p);
        }
    }
}

/// The Rust sources of the core and of every adapter; with `tests`, their
/// tests too (but not this file).
fn sources(tests: bool) -> Vec<String> {
    let mut files = Vec::new();
    rust_files(&Path::new(ROOT).join("src"), tests, &mut files);
    for a in std::fs::read_dir(Path::new(ROOT).join("adapters")).unwrap() {
        rust_files(&a.unwrap().path().join("src"), tests, &mut files);
    }
    assert!(files.len() > 50, "the sources were found");
    files.retain(|f| !f.ends_with("src/registry/tests/guide.rs"));
    files.iter().map(|f| std::fs::read_to_string(f).unwrap()).collect()
}

/// Every line of every string literal of the sources, as a pattern whose
/// `{…}` are any text; only those with at least 12 characters of their own.
fn printed_sentences(sources: &[String]) -> Vec<Regex> {
    let literal = Regex::new(r#""((?:[^"\\]|\\.)*)""#).unwrap();
    let continuation = Regex::new(r"\\\n\s*").unwrap();
    let placeholder = Regex::new(r"\{[^{}]*\}").unwrap();
    let mut out = Vec::new();
    for src in sources {
        // A quote as a char literal, or in a comment, would pair with the wrong quote.
        let code: String = src
            .lines()
            .filter(|l| !l.trim_start().starts_with("//"))
            .map(|l| l.replace("'\\\"'", "'q'").replace("'\"'", "'q'") + "\n")
            .collect();
        for c in literal.captures_iter(&code) {
            let s = continuation.replace_all(&c[1], "").replace("\\\"", "\"").replace("\\\\", "\\");
            for line in s.split("\\n").flat_map(|l| l.split('\n')).map(str::trim).filter(|l| !l.is_empty()) {
                let mut pattern = String::from("^");
                let mut own = 0;
                let mut last = 0;
                for m in placeholder.find_iter(line) {
                    own += line[last..m.start()].chars().count();
                    pattern.push_str(&regex::escape(&line[last..m.start()]));
                    pattern.push_str(".+?");
                    last = m.end();
                }
                own += line[last..].chars().count();
                pattern.push_str(&regex::escape(&line[last..]));
                if own >= 12 {
                    if let Ok(re) = Regex::new(&pattern) {
                        out.push(re);
                    }
                }
            }
        }
    }
    out
}

/// Whether a quoted line is printed by the program: after a log line's
/// time, level and target (or a `name: ` before the sentence, as
/// `treecast: ` or `telegram adapter: `), a sentence of the sources starts it.
fn printed(line: &str, sentences: &[Regex]) -> bool {
    let log = Regex::new(r"^\S+\s+(?:TRACE|DEBUG|INFO|WARN|ERROR)\s+[\w:]+:\s+").unwrap();
    let mut rest = log.replace(line.trim(), "").into_owned();
    for _ in 0..3 {
        if sentences.iter().any(|re| re.is_match(&rest)) {
            return true;
        }
        match rest.split_once(": ") {
            Some((_, r)) => rest = r.to_owned(),
            None => return false,
        }
    }
    false
}

/// Everything of `pages` that does not exist, one line each.
fn missing(r: &Registry, pages: &[(String, String)]) -> Vec<String> {
    let sections = example_keys();
    let cli = <cli_args::Args as clap::CommandFactory>::command();
    let sentences = printed_sentences(&sources(false));
    let sources = sources(true);
    let env_var = Regex::new(r"TREECAST_[A-Z0-9_]*[A-Z0-9]").unwrap();
    let mut bad = Vec::new();
    for (name, page) in pages {
        let p = parts(page);
        let mut texts: Vec<&str> = vec![&p.prose];
        texts.extend(p.spans.iter().map(String::as_str));
        texts.extend(p.blocks.iter().filter(|(info, _)| info != "log").map(|(_, t)| t.as_str()));
        for text in &texts {
            for cmd in commands_in(text).into_iter().filter(|c| !OTHER_BOTS.contains(&c.as_str())) {
                if !matches!(r.parse(&format!("/{cmd}")), Some(Parsed::Known { .. })) {
                    bad.push(format!("{name}: /{cmd} is not a command (bot-commands.md lists them)"));
                }
            }
        }
        for (section, key) in config_keys_in(&p) {
            match (sections.get(&section), key) {
                (None, _) => bad.push(format!("{name}: [{section}] is not a section of config/treecast.example.toml")),
                (Some(keys), Some(k)) if !keys.contains(&k) => {
                    bad.push(format!("{name}: [{section}] {k} is not a key of config/treecast.example.toml"))
                }
                _ => {}
            }
        }
        // Code the reader types (a ```log block is what the program prints).
        let typed = p.blocks.iter().filter(|(info, _)| info != "log").map(|(_, t)| t.as_str());
        let code = p.spans.iter().map(String::as_str).chain(typed);
        for c in code {
            for (first, second) in subcommands_in(c) {
                let Some(sub) = cli.find_subcommand(&first).filter(|_| first != "help") else {
                    bad.push(format!("{name}: `treecast {first}` is not a subcommand"));
                    continue;
                };
                if let Some(second) = second.filter(|_| sub.has_subcommands()) {
                    if sub.find_subcommand(&second).is_none() {
                        bad.push(format!("{name}: `treecast {first} {second}` is not a subcommand"));
                    }
                }
            }
        }
        for var in env_var.find_iter(page) {
            let var = var.as_str();
            if !sources.iter().any(|s| s.contains(var)) {
                bad.push(format!("{name}: {var} is read nowhere in the sources"));
            }
        }
        for (info, text) in &p.blocks {
            if info == "log" {
                for line in text.lines().filter(|l| !l.trim().is_empty()) {
                    if !printed(line, &sentences) {
                        bad.push(format!("{name}: the program prints no such line: {line}"));
                    }
                }
            }
        }
    }
    bad
}

#[test]
fn the_checks_find_what_does_not_exist() {
    let a = app();
    let page = "发送 `/frobnicate`，或 /通知 标题，和/或 /etc/treecast/x，t.me/bot，`!bind CODE`\n\n\
                `[email] password`、`[nosuch]`、`matrix.user_id`、`matrix.nokey`、`admin.sock`\n\n\
                ```toml\n[telegram]\nmode = \"polling\"\ntoken = \"x\"\n```\n\n\
                ```sh\nsudo -u treecast treecast tree stats\ntreecast frob now\ntreecast org nosuch X\n\
                journalctl -u treecast -f\nUser=treecast\ntreecast search rebuild\ntreecast-admin tree stats\n```\n\n\
                `TREECAST_NO_SUCH_VARIABLE`、`TREECAST_ADMIN_TOKEN`\n\n\
                ```log\n2026-01-01T00:00:00Z  WARN treecast::outbox::finish: private message could not be delivered to=x\n\
                treecast: 没有代码为 99 的组织。 No org has the code 99.\n这句话程序里没有，是编的。 Made up.\n```\n";
    let bad = missing(&a.registry, &[("x.md".into(), page.into())]);
    let expected = [
        "x.md: /frobnicate is not a command (bot-commands.md lists them)",
        "x.md: [email] password is not a key of config/treecast.example.toml",
        "x.md: [nosuch] is not a section of config/treecast.example.toml",
        "x.md: [matrix] nokey is not a key of config/treecast.example.toml",
        "x.md: [telegram] token is not a key of config/treecast.example.toml",
        "x.md: `treecast frob` is not a subcommand",
        "x.md: `treecast org nosuch` is not a subcommand",
        "x.md: TREECAST_NO_SUCH_VARIABLE is read nowhere in the sources",
        "x.md: the program prints no such line: 这句话程序里没有，是编的。 Made up.",
    ];
    assert_eq!(bad, expected);
}

#[test]
fn the_guide_names_only_commands_keys_subcommands_and_sentences_that_exist() {
    let bad = missing(&app().registry, &guide_pages());
    assert!(bad.is_empty(), "docs/guide names what does not exist:\n{}", bad.join("\n"));
}
