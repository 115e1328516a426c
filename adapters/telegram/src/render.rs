//! Outbound rendering: HTML escaping, splitting past Telegram's size limit,
//! inline keyboards and deep links.

use treecast_wire::{Button, ButtonAction, Outbound};

use crate::settings::ParseMode;

/// Telegram's limit on one message's text after entity parsing, in UTF-16 units.
pub const MAX_UTF16: usize = 4096;

/// Characters sure to fit in one message, whatever they are: a character
/// outside the BMP (emoji, rare hanzi like 𠮷) takes two UTF-16 units.
/// Text in the BMP, Chinese included, fits [`MAX_UTF16`] characters.
pub const MAX_CHARS: usize = MAX_UTF16 / 2;

/// Longest `callback_data` Telegram accepts, in bytes.
const MAX_CALLBACK_BYTES: usize = 64;

/// Escapes text for `parse_mode=HTML`: only `<`, `>` and `&` are special.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            _ => out.push(c),
        }
    }
    out
}

/// Length as Telegram counts it.
pub fn utf16_len(s: &str) -> usize {
    s.encode_utf16().count()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Style {
    Plain,
    Bold,
    Italic,
}

/// The message as styled runs of plain text (title, body, footer).
fn runs(msg: &Outbound) -> Vec<(Style, String)> {
    let mut out = Vec::new();
    if let Some(t) = msg.title.as_deref().filter(|t| !t.trim().is_empty()) {
        out.push((Style::Bold, t.trim().to_owned()));
        out.push((Style::Plain, "\n\n".to_owned()));
    }
    out.push((Style::Plain, msg.body.trim_end().to_owned()));
    if let Some(f) = msg.footer.as_deref().filter(|f| !f.trim().is_empty()) {
        out.push((Style::Plain, "\n\n".to_owned()));
        out.push((Style::Italic, f.trim().to_owned()));
    }
    out
}

/// Renders a message into the texts of one or more Telegram messages, each at
/// most [`MAX_UTF16`] units once parsed. Splits fall on paragraph, then line,
/// then sentence, then word, then character boundaries; the plain text is cut
/// before escaping, so no escape or tag is ever cut in two.
pub fn render(msg: &Outbound, mode: ParseMode) -> Vec<String> {
    render_with_limit(msg, mode, MAX_UTF16)
}

pub(crate) fn render_with_limit(msg: &Outbound, mode: ParseMode, limit: usize) -> Vec<String> {
    let runs = runs(msg);
    let plain: String = runs.iter().map(|(_, t)| t.as_str()).collect();
    split_points(&plain, limit)
        .into_iter()
        .map(|(start, end)| render_range(&runs, start, end, mode))
        .filter(|t| !t.trim().is_empty())
        .collect()
}

/// Renders the byte range `start..end` of the runs' concatenation.
fn render_range(runs: &[(Style, String)], start: usize, end: usize, mode: ParseMode) -> String {
    let mut out = String::new();
    let mut pos = 0;
    for (style, text) in runs {
        let (a, b) = (start.max(pos), end.min(pos + text.len()));
        pos += text.len();
        if a >= b {
            continue;
        }
        let piece = &text[a - (pos - text.len())..b - (pos - text.len())];
        match (mode, style) {
            (ParseMode::Plain, _) | (_, Style::Plain) => {
                out.push_str(&if mode == ParseMode::Html { escape_html(piece) } else { piece.to_owned() })
            }
            (ParseMode::Html, Style::Bold) => out.push_str(&format!("<b>{}</b>", escape_html(piece))),
            (ParseMode::Html, Style::Italic) => out.push_str(&format!("<i>{}</i>", escape_html(piece))),
        }
    }
    out
}

/// Byte ranges of `text`, each within `limit` UTF-16 units, whitespace at the
/// seams dropped.
pub(crate) fn split_points(text: &str, limit: usize) -> Vec<(usize, usize)> {
    let mut parts = Vec::new();
    let mut start = skip_space(text, 0);
    while start < text.len() {
        let rest = &text[start..];
        let end = if utf16_len(rest) <= limit { text.len() } else { start + cut(rest, limit) };
        let trimmed = start + text[start..end].trim_end().len();
        if trimmed > start {
            parts.push((start, trimmed));
        }
        start = skip_space(text, end);
    }
    parts
}

fn skip_space(text: &str, from: usize) -> usize {
    from + (text[from..].len() - text[from..].trim_start().len())
}

/// Where to end the first part of `s` (a byte offset > 0): the last good
/// boundary inside the first `limit` units, preferring bigger breaks, but
/// never leaving the part less than half full for a smaller one's sake.
fn cut(s: &str, limit: usize) -> usize {
    let mut units = 0;
    let mut hard = 0; // last char boundary within the limit
    let mut best: [Option<usize>; 4] = [None; 4]; // paragraph, line, sentence, word
    let mut prev = '\0';
    for (i, c) in s.char_indices() {
        units += c.len_utf16();
        if units > limit {
            break;
        }
        let end = i + c.len_utf8();
        hard = end;
        if units * 2 < limit {
            prev = c;
            continue;
        }
        if c == '\n' && prev == '\n' {
            best[0] = Some(end);
        } else if c == '\n' {
            best[1] = Some(end);
        } else if is_sentence_end(c) {
            best[2] = Some(end);
        } else if c.is_whitespace() {
            best[3] = Some(end);
        }
        prev = c;
    }
    best.into_iter().flatten().next().unwrap_or(hard.max(first_char_len(s)))
}

fn first_char_len(s: &str) -> usize {
    s.chars().next().map_or(s.len(), char::len_utf8)
}

fn is_sentence_end(c: char) -> bool {
    matches!(c, '。' | '！' | '？' | '；' | '…' | '.' | '!' | '?' | ';')
}

/// `https://t.me/<bot>?start=<payload>`, when the payload is one Telegram takes
/// (1-64 of `A-Z a-z 0-9 _ -`).
pub fn deep_link(bot_username: &str, payload: &str) -> Result<String, String> {
    let ok = (1..=64).contains(&payload.len())
        && payload.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if !ok {
        return Err(format!(
            "start payload `{payload}` cannot be a Telegram deep link (1-64 of A-Z, a-z, 0-9, _ and -)"
        ));
    }
    Ok(format!("https://t.me/{bot_username}?start={payload}"))
}

/// One inline keyboard button, in the wire's terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyboardButton {
    Callback { label: String, data: String },
    Url { label: String, url: url::Url },
}

/// Checks and translates buttons: one per row, in order.
pub fn keyboard(buttons: &[Button], bot_username: &str) -> Result<Vec<KeyboardButton>, String> {
    buttons.iter().map(|b| button(b, bot_username)).collect()
}

fn button(b: &Button, bot_username: &str) -> Result<KeyboardButton, String> {
    let label = b.label.clone();
    match &b.action {
        ButtonAction::Callback(data) => {
            if data.is_empty() || data.len() > MAX_CALLBACK_BYTES {
                return Err(format!("button `{label}`: callback data must be 1-64 bytes"));
            }
            Ok(KeyboardButton::Callback { label, data: data.clone() })
        }
        ButtonAction::Url(u) => url::Url::parse(u)
            .map(|url| KeyboardButton::Url { label: label.clone(), url })
            .map_err(|e| format!("button `{label}`: `{u}` is not a valid URL ({e})")),
        ButtonAction::StartPrivate(payload) => {
            let link = deep_link(bot_username, payload)?;
            let url = url::Url::parse(&link).map_err(|e| format!("button `{label}`: {e}"))?;
            Ok(KeyboardButton::Url { label, url })
        }
    }
}

#[cfg(test)]
#[path = "render_tests.rs"]
mod tests;
