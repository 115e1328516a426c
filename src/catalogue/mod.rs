//! Every sentence a user can read from the core, in one plain table (kept
//! in three files by area: `system.rs`, `notices.rs`, `microblog.rs`):
//! Chinese first, then English, in one string. `{name}` marks a value filled in by
//! [`msg`]; an entry without values is used as `Msg::X.text()`.
//!
//! Users read the Chinese first, so each entry starts with a Chinese sentence
//! and repeats it in English; the tests below walk every entry and check both.

use std::fmt::Display;

/// Declares the table once: the `Msg` enum, `Msg::ALL` (for the tests) and
/// `Msg::text`, so an entry cannot be listed without its text or vice versa.
/// The entries are kept in three files by area, each a macro that adds its
/// part and hands the list on (`[next, …]`); the last hands it here.
macro_rules! catalogue {
    ([] $($name:ident => $text:literal,)*) => {
        /// One user-facing sentence (or a few that always go together).
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Msg {
            $($name,)*
        }

        impl Msg {
            /// Every entry, in table order.
            pub const ALL: &'static [Msg] = &[$(Msg::$name,)*];

            /// The entry's text, placeholders unfilled (`const`, so it can name a `const`).
            pub const fn text(self) -> &'static str {
                match self {
                    $(Msg::$name => $text,)*
                }
            }
        }
    };
}

#[macro_use]
mod microblog;
#[macro_use]
mod notices;
#[macro_use]
mod system;

system_texts! { [notices_texts, microblog_texts, catalogue] }

/// The text of `m` with each `{key}` replaced by its value, in one pass (a
/// value that itself contains `{…}` is left alone). A key with no value is
/// kept as written, which the tests catch.
pub fn msg(m: Msg, args: &[(&str, &dyn Display)]) -> String {
    let text = m.text();
    let mut out = String::with_capacity(text.len() + 32);
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}').map(|close| (&after[..close], close)) {
            Some((key, close)) if push_value(args, key, &mut out) => rest = &after[close + 1..],
            _ => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Appends the value of `key` to `out`; false when `args` has none.
fn push_value(args: &[(&str, &dyn Display)], key: &str, out: &mut String) -> bool {
    use std::fmt::Write;
    match args.iter().find(|(k, _)| *k == key) {
        Some((_, v)) => {
            let _ = write!(out, "{v}");
            true
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn is_cjk(c: char) -> bool {
        matches!(c, '\u{4e00}'..='\u{9fff}' | '\u{3400}'..='\u{4dbf}')
    }

    /// The text with `{placeholders}` and `/commands` blanked: both are ASCII
    /// in either language, so they say nothing about which language comes first.
    fn prose(text: &str) -> String {
        let mut out = String::new();
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '{' => {
                    for d in chars.by_ref() {
                        if d == '}' {
                            break;
                        }
                    }
                    out.push(' ');
                }
                '/' if chars.peek().is_some_and(|d| d.is_ascii_alphabetic()) => {
                    while chars.peek().is_some_and(|d| d.is_ascii_alphanumeric()) {
                        chars.next();
                    }
                    out.push(' ');
                }
                _ => out.push(c),
            }
        }
        out
    }

    /// Every entry has Chinese, then English: the first Chinese character
    /// comes before the first English letter, and there is an English word after it.
    #[test]
    fn every_entry_is_chinese_first_then_english() {
        for m in Msg::ALL {
            let p = prose(m.text());
            let cjk = p.find(is_cjk).unwrap_or_else(|| panic!("{m:?} has no Chinese: {:?}", m.text()));
            let latin = p.find(|c: char| c.is_ascii_alphabetic());
            let latin = latin.unwrap_or_else(|| panic!("{m:?} has no English: {:?}", m.text()));
            assert!(cjk < latin, "{m:?} does not start in Chinese: {:?}", m.text());
            let english_word = p[cjk..].split(|c: char| !c.is_ascii_alphabetic()).any(|w| w.len() >= 2);
            assert!(english_word, "{m:?} has no English word after its Chinese: {:?}", m.text());
        }
    }

    /// Every `{` of an entry is closed, so [`msg`] sees each placeholder whole.
    #[test]
    fn placeholders_are_closed() {
        for m in Msg::ALL {
            let t = m.text();
            assert_eq!(t.matches('{').count(), t.matches('}').count(), "{m:?}: {t:?}");
        }
    }

    #[test]
    fn msg_fills_values_once() {
        let s = msg(Msg::NoNotice, &[("id", &999)]);
        assert_eq!(s, "没有编号为 #999 的通知。 There is no notice #999.");
        // A value that looks like a placeholder stays as it is.
        let s = msg(Msg::NotANoticeId, &[("text", &"{text}")]);
        assert_eq!(s, "{text} 不是通知编号。 {text} is not a notice number.");
        // A missing value leaves the placeholder visible.
        assert_eq!(msg(Msg::NoNotice, &[]), Msg::NoNotice.text());
    }
}

/// No sentence for a user is written outside the table: a plain text search
/// of the sources for the ways a sentence reaches a user, each followed
/// (after any line break) by a string literal or a `format!` of one.
#[cfg(test)]
mod no_sentences_elsewhere {
    use std::path::{Path, PathBuf};

    /// The calls whose text a user reads, and whether the text is their
    /// second argument (after the event answered) rather than their first.
    const CALLS: &[(&str, bool)] = &[
        ("Error::invalid(", false),
        ("Error::denied(", false),
        ("Error::not_found(", false),
        ("Error::Invalid(", false),
        ("Error::Denied(", false),
        ("Error::NotFound(", false),
        ("Handled::say(", true),
        ("Handled::reject(", true),
        ("reply_to(", true),
        // The surveys' own shorthand for `Handled::say`.
        (" say(", true),
        ("(say(", true),
    ];

    /// What a sentence written in place starts with.
    const LITERALS: &[&str] = &["\"", "r\"", "r#\"", "format!("];

    fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                rust_files(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }

    /// Test files, this table, and operator-only output (the CLI and the
    /// binary), which may stay as it is.
    fn skipped(rel: &str) -> bool {
        let name = rel.rsplit('/').next().unwrap_or(rel);
        name == "tests.rs"
            || name.starts_with("tests_")
            || rel.contains("/tests/")
            || rel.starts_with("catalogue/")
            || rel == "cli.rs"
            || rel.starts_with("bin/")
    }

    /// Every `file:line: call` with a literal sentence in `text` (the part
    /// before an inline `#[cfg(test)] mod`, whose sentences are tests').
    fn literal_calls(rel: &str, text: &str) -> Vec<String> {
        let code = text.find("#[cfg(test)]\nmod ").map_or(text, |i| &text[..i]);
        let mut found = Vec::new();
        for &(call, second) in CALLS {
            for (at, _) in code.match_indices(call) {
                let mut rest = code[at + call.len()..].trim_start();
                if second {
                    // Past the event argument (`ev`, `&ev`, `to`), formatted on one line or several.
                    let arg = rest.find(|c: char| !(c == '&' || c == '_' || c.is_ascii_alphanumeric()));
                    rest = match arg.map(|i| rest[i..].trim_start()) {
                        Some(r) if r.starts_with(',') => r[1..].trim_start(),
                        _ => continue,
                    };
                }
                if LITERALS.iter().any(|l| rest.starts_with(l)) {
                    let line = code[..at].matches('\n').count() + 1;
                    found.push(format!("{rel}:{line}: {}", call.trim()));
                }
            }
        }
        found
    }

    #[test]
    fn the_search_finds_a_sentence_written_in_place() {
        let hits = literal_calls("x.rs", "fn f() {\n    Err(Error::invalid(\n        \"no\"))\n}\n");
        assert_eq!(hits, ["x.rs:2: Error::invalid("]);
        let hits = literal_calls("x.rs", "Ok(Handled::say(ev, format!(\"{n}\")))");
        assert_eq!(hits, ["x.rs:1: Handled::say("]);
        let hits = literal_calls("x.rs", "Ok(Handled::say(\n    ev,\n    \"hi\",\n))");
        assert_eq!(hits, ["x.rs:1: Handled::say("]);
        assert!(literal_calls("x.rs", "pub fn reply_to(ev: &Inbound, text: impl Into<String>)").is_empty());
        assert!(literal_calls("x.rs", "Err(Error::invalid(Msg::NoNotice.text()))").is_empty());
        assert!(literal_calls("x.rs", "#[cfg(test)]\nmod tests { Error::invalid(\"t\") }").is_empty());
    }

    #[test]
    fn every_user_sentence_comes_from_the_catalogue() {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut files = Vec::new();
        rust_files(&src, &mut files);
        assert!(files.len() > 20, "the sources were found");
        let mut found = Vec::new();
        for path in files {
            let rel = path.strip_prefix(&src).unwrap().to_string_lossy().replace('\\', "/");
            if !skipped(&rel) {
                found.extend(literal_calls(&rel, &std::fs::read_to_string(&path).unwrap()));
            }
        }
        assert!(found.is_empty(), "sentences written in place, not in src/catalogue/:\n{}", found.join("\n"));
    }
}
