//! What every page shares: the language, the frame around it (navigation,
//! the viewer, the CSRF token for forms), zh-CN numbers and dates, and the
//! pages that say an error.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

use crate::error::Error;

/// Chinese first; English when the viewer switched (`?lang=en`, kept in a cookie).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Zh,
    En,
}

impl Lang {
    pub fn code(&self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    /// One of two words: the Chinese, or the English.
    pub fn t<'a>(&self, zh: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }

    /// The other language's switch: its code and its name.
    pub fn other(&self) -> (&'static str, &'static str) {
        match self {
            Lang::Zh => ("en", "English"),
            Lang::En => ("zh", "中文"),
        }
    }

    /// A catalogue sentence ("中文。 English.") in this language: the part
    /// before the English for Chinese, the part from it for English.
    pub fn sentence(&self, s: &str) -> String {
        split_sentence(s, *self)
    }
}

/// Catalogue entries are "Chinese. English." in one string: the English part
/// starts at the first ASCII capital letter after the last CJK character run.
fn split_sentence(s: &str, lang: Lang) -> String {
    let is_cjk = |c: char| ('\u{3000}'..='\u{9fff}').contains(&c) || ('\u{ff00}'..='\u{ffef}').contains(&c);
    // Where the Chinese ends: the first " X" (space then an ASCII capital)
    // after which no CJK character follows on that line.
    let bytes: Vec<(usize, char)> = s.char_indices().collect();
    let mut cut = None;
    for w in 0..bytes.len().saturating_sub(1) {
        let (i, c) = bytes[w];
        let next = bytes[w + 1].1;
        if c == ' ' && next.is_ascii_uppercase() && !s[i..].chars().any(is_cjk) {
            cut = Some(i);
            break;
        }
    }
    match (cut, lang) {
        (Some(i), Lang::Zh) => s[..i].trim().to_owned(),
        (Some(i), Lang::En) => s[i..].trim().to_owned(),
        (None, _) => s.to_owned(),
    }
}

/// One link in the navigation bar.
#[derive(Debug, Clone)]
pub struct Nav {
    pub href: &'static str,
    pub label: String,
    pub here: bool,
}

/// The frame of a page: language, who is signed in, navigation, the CSRF token.
#[derive(Debug, Clone, Default)]
pub struct Chrome {
    pub lang: Lang,
    pub who: String,
    pub csrf: String,
    pub nav: Vec<Nav>,
    pub operator: bool,
    /// A one-line notice on top (after an action).
    pub flash: String,
}

impl Chrome {
    pub fn t<'a>(&self, zh: &'a str, en: &'a str) -> &'a str {
        self.lang.t(zh, en)
    }

    /// A number as zh-CN writes it: 275,600.
    pub fn num(&self, n: &i64) -> String {
        num(*n)
    }

    /// Unix seconds as a China-time date and time (2026年11月30日 08:00, or 2026-11-30 08:00).
    pub fn time(&self, unix: &u64) -> String {
        time(self.lang, *unix)
    }

    pub fn pct(&self, part: &i64, whole: &i64) -> String {
        pct(*part, *whole)
    }
}

pub fn num(n: i64) -> String {
    let s = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3 + 1);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 {
        out.insert(0, '-');
    }
    out
}

pub fn pct(part: i64, whole: i64) -> String {
    if whole <= 0 {
        return "–".to_owned();
    }
    format!("{:.0}%", part as f64 * 100.0 / whole as f64)
}

pub fn time(lang: Lang, unix: u64) -> String {
    if unix == 0 {
        return "–".to_owned();
    }
    let s = crate::clock::show(unix);
    match lang {
        // "2026-11-30 08:00" -> "2026年11月30日 08:00"
        Lang::Zh => match (s.get(0..4), s.get(5..7), s.get(8..10), s.get(11..)) {
            (Some(y), Some(m), Some(d), Some(hm)) => format!("{y}年{m}月{d}日 {hm}"),
            _ => s,
        },
        Lang::En => s,
    }
}

#[derive(Template)]
#[template(path = "web/templates/error.html")]
struct ErrorPage {
    c: Chrome,
    status: u16,
    text: String,
}

/// The page for an error: its status and the one sentence, in the viewer's language.
pub fn error_page(lang: Lang, e: &Error) -> Response {
    let status = e.http_status();
    if status == StatusCode::INTERNAL_SERVER_ERROR {
        tracing::error!(error = %e, "web console page failed");
    }
    error_with(lang, status, &e.to_string())
}

pub fn error_with(lang: Lang, status: StatusCode, sentence: &str) -> Response {
    let c = Chrome { lang, ..Chrome::default() };
    let page = ErrorPage { text: lang.sentence(sentence), status: status.as_u16(), c };
    (status, render(&page)).into_response()
}

/// A template as HTML to put inside a page (a feature's overview panel).
pub fn fragment<T: Template>(t: &T) -> crate::error::Result<String> {
    t.render().map_err(|e| Error::invalid(e.to_string()))
}

/// A template as an HTML response (a template that fails to render is a bug: 500, logged).
pub fn render<T: Template>(t: &T) -> Response {
    match t.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "a web template failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "template error").into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::Msg;

    #[test]
    fn numbers_and_times_as_zh_cn_writes_them() {
        assert_eq!(num(275_600), "275,600");
        assert_eq!(num(0), "0");
        assert_eq!(num(-1234), "-1,234");
        assert_eq!(pct(1, 3), "33%");
        assert_eq!(pct(1, 0), "–");
        // 2026-11-30 00:00 UTC is 08:00 in China.
        assert_eq!(time(Lang::Zh, 1_795_996_800), "2026年11月30日 08:00");
        assert_eq!(time(Lang::En, 1_795_996_800), "2026-11-30 08:00");
    }

    #[test]
    fn catalogue_sentences_split_by_language() {
        let s = Msg::WebLinkUsed.text();
        let zh = Lang::Zh.sentence(s);
        let en = Lang::En.sentence(s);
        assert!(!zh.is_empty() && !en.is_empty());
        assert!(!zh.chars().any(|c| c.is_ascii_alphabetic()), "{zh}");
        assert!(en.starts_with("This sign-in link"), "{en}");
        // Every web sentence splits into a Chinese and an English half.
        for m in [Msg::WebLinkUnknown, Msg::WebLinkExpired, Msg::WebLinkRevoked, Msg::WebLinkSent, Msg::WebCsrf] {
            let (zh, en) = (Lang::Zh.sentence(m.text()), Lang::En.sentence(m.text()));
            assert_ne!(zh, en, "{m:?}");
            assert!(en.is_ascii(), "{m:?}: {en}");
        }
    }
}
