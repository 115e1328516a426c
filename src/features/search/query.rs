//! A search box's query: words that must all match, `"a phrase"` kept
//! whole, `-word` left out. Bad input is one sentence, never a panic.

use crate::catalogue::{msg, Msg};
use crate::error::{Error, Result};

/// The longest query taken, in characters.
pub const MAX_CHARS: usize = 200;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Parsed {
    pub must: Vec<String>,
    pub not: Vec<String>,
}

pub fn parse(q: &str) -> Result<Parsed> {
    if q.chars().any(|c| c.is_control() && !c.is_whitespace()) {
        return Err(Error::invalid(Msg::SearchControl.text()));
    }
    let n = q.chars().count();
    if n > MAX_CHARS {
        return Err(Error::invalid(msg(Msg::SearchTooLong, &[("n", &n), ("max", &MAX_CHARS)])));
    }
    let mut out = Parsed::default();
    let mut rest = q.trim();
    while !rest.is_empty() {
        let negate = rest.starts_with(['-', '－']);
        if negate {
            rest = rest[rest.chars().next().map_or(1, char::len_utf8)..].trim_start();
        }
        let quote = rest.chars().next().filter(|c| matches!(c, '"' | '“' | '”' | '「'));
        let (word, after) = match quote {
            Some(open) => {
                let body = &rest[open.len_utf8()..];
                let close =
                    body.find(['"', '“', '”', '」']).ok_or_else(|| Error::invalid(Msg::SearchUnclosedQuote.text()))?;
                let close_len = body[close..].chars().next().map_or(1, char::len_utf8);
                (&body[..close], &body[close + close_len..])
            }
            None => {
                let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
                (&rest[..end], &rest[end..])
            }
        };
        let word = word.trim();
        if !word.is_empty() && word.chars().any(char::is_alphanumeric) {
            if negate { &mut out.not } else { &mut out.must }.push(word.to_owned());
        }
        rest = after.trim_start();
    }
    if out.must.is_empty() {
        return Err(Error::invalid(Msg::SearchEmpty.text()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_phrases_and_exclusions() {
        let p = parse("团委  \"主题团日活动\" -湖北 招聘").unwrap();
        assert_eq!(p.must, ["团委", "主题团日活动", "招聘"]);
        assert_eq!(p.not, ["湖北"]);
        assert_eq!(parse("“青春 心连心”").unwrap().must, ["青春 心连心"]);
    }

    #[test]
    fn bad_queries_are_one_sentence() {
        for (q, want) in [
            ("", "请输入要搜索的词"),
            ("  -团委 ", "请输入要搜索的词"),
            ("\"unclosed", "引号没有配对"),
            ("团委\u{7}", "控制字符"),
        ] {
            let e = parse(q).unwrap_err().to_string();
            assert!(e.contains(want), "{q:?}: {e}");
        }
        let e = parse(&"团".repeat(2000)).unwrap_err().to_string();
        assert!(e.contains("2000") && e.contains("too long"), "{e}");
    }
}
