//! Charset labels mail-parser does not know, and text that would not decode.
//!
//! mail-parser resolves labels with its own table and reads anything else as
//! UTF-8, so a subject in Python's `=?eucgb2312_cn?b?...?=` comes out as
//! U+FFFD. Where its text has U+FFFD, the text is decoded again from the raw
//! bytes with [`encoding_for`]; whatever still has U+FFFD is unreadable.

use encoding_rs::{Encoding, BIG5, GB18030, GBK};
use mail_parser::decoders::base64::base64_decode;
use mail_parser::decoders::quoted_printable::quoted_printable_decode;
use mail_parser::{Message, MessagePart, MimeHeaders};

/// What a decoder writes for bytes it cannot read.
pub const REPLACEMENT: char = '\u{FFFD}';

/// The encoding a MIME charset label names: a WHATWG label, or one of the
/// aliases below. Quotes and an RFC 2231 language (`gb2312*zh`) are ignored.
pub fn encoding_for(label: &str) -> Option<&'static Encoding> {
    let label = label.trim().trim_matches('"');
    let label = label.split('*').next().unwrap_or_default().trim();
    Encoding::for_label(label.as_bytes()).or_else(|| alias(&label.to_ascii_lowercase().replace('_', "-")))
}

/// A table because encoding_rs knows only the labels of the WHATWG Encoding
/// Standard, and mail carries others: Python's codec names (its email
/// package writes `eucgb2312_cn` and `big5_tw` into encoded words, and
/// scripts pass `euc_cn`, `gb2312_1980`, `cp936`, `big5hkscs` ...) and
/// Microsoft code page names. GB2312 and CP936 text is read as GBK (WHATWG's
/// superset); HKSCS and CP950 text as Big5, which in WHATWG includes HKSCS.
fn alias(label: &str) -> Option<&'static Encoding> {
    Some(match label {
        "eucgb2312-cn" | "euc-cn" | "euccn" | "x-euc-cn" | "gb2312-1980" | "gb2312-80" | "cp936" | "ms936"
        | "windows-936" | "936" => GBK,
        "gb18030-2000" | "gb18030-2005" => GB18030,
        "big5-tw" | "big5tw" | "big5hkscs" | "hkscs" | "cp950" | "ms950" | "windows-950" | "x-windows-950" => BIG5,
        _ => return None,
    })
}

/// The Subject as the reader should see it (trimmed).
pub(crate) fn subject(msg: &Message<'_>) -> String {
    let parsed = msg.subject().unwrap_or_default().trim();
    if !parsed.contains(REPLACEMENT) {
        return parsed.to_owned();
    }
    raw_header(msg, "Subject").map(|v| decode_words(&v).trim().to_owned()).unwrap_or_else(|| parsed.to_owned())
}

/// The From display name; None when there is none or it does not decode.
pub(crate) fn from_name(msg: &Message<'_>) -> Option<String> {
    let parsed = msg.from()?.first()?.name()?;
    let name = if parsed.contains(REPLACEMENT) {
        let raw = raw_header(msg, "From")?;
        let phrase = raw.rsplit_once('<').map_or(raw.as_str(), |(name, _)| name);
        decode_words(phrase).trim().trim_matches('"').trim().to_owned()
    } else {
        parsed.to_owned()
    };
    (!name.is_empty() && !name.contains(REPLACEMENT)).then_some(name)
}

/// A text part's text: mail-parser's, or where that has U+FFFD, the part's
/// raw bytes decoded again in its charset through [`encoding_for`].
pub(crate) fn part_text(msg: &Message<'_>, part: &MessagePart<'_>, parsed: &str) -> String {
    if !parsed.contains(REPLACEMENT) {
        return parsed.to_owned();
    }
    let again = || {
        let encoding = encoding_for(part.content_type()?.attribute("charset")?)?;
        let raw = msg.raw_message.get(part.offset_body as usize..part.offset_end as usize)?;
        let bytes = match part.encoding {
            mail_parser::Encoding::Base64 => base64_decode(raw)?,
            mail_parser::Encoding::QuotedPrintable => quoted_printable_decode(raw)?,
            mail_parser::Encoding::None => raw.to_vec(),
        };
        Some(encoding.decode_without_bom_handling(&bytes).0.into_owned())
    };
    again().unwrap_or_else(|| parsed.to_owned())
}

/// The raw value of the first header `name`, unfolded. Raw 8-bit bytes
/// (old clients send unencoded GBK subjects) are read in the charset of the
/// first text part, as mail readers do.
fn raw_header(msg: &Message<'_>, name: &str) -> Option<String> {
    let h = msg.parts.first()?.headers.iter().find(|h| h.name.as_str().eq_ignore_ascii_case(name))?;
    let bytes = msg.raw_message.get(h.offset_start as usize..h.offset_end as usize)?;
    let text = match std::str::from_utf8(bytes) {
        Ok(s) => s.to_owned(),
        Err(_) => match body_encoding(msg) {
            Some(e) => e.decode_without_bom_handling(bytes).0.into_owned(),
            None => String::from_utf8_lossy(bytes).into_owned(),
        },
    };
    Some(text.replace(['\r', '\n'], ""))
}

fn body_encoding(msg: &Message<'_>) -> Option<&'static Encoding> {
    let first_text = msg.text_body.iter().chain(&msg.html_body).next().and_then(|i| msg.parts.get(*i as usize));
    first_text.into_iter().chain(msg.parts.first()).find_map(|p| encoding_for(p.content_type()?.attribute("charset")?))
}

/// Decodes the RFC 2047 encoded words in an unfolded header value. Space
/// between two encoded words is dropped (RFC 2047 section 6.2), and adjacent
/// words in one charset are decoded together, since some clients split a
/// character across two words. A word in an unknown charset that is not
/// UTF-8, or whose base64 is damaged, decodes to U+FFFD.
pub fn decode_words(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut pending: Option<(&str, Vec<u8>)> = None;
    let mut rest = value;
    while let Some((before, label, bytes, after)) = next_word(rest) {
        let joins = pending.is_some() && before.trim().is_empty();
        if !joins {
            flush(&mut out, pending.take());
            out.push_str(before);
        }
        match (&mut pending, bytes) {
            (Some((l, acc)), Some(b)) if l.eq_ignore_ascii_case(label) => acc.extend(b),
            (_, Some(b)) => {
                flush(&mut out, pending.take());
                pending = Some((label, b));
            }
            (_, None) => {
                flush(&mut out, pending.take());
                out.push(REPLACEMENT);
            }
        }
        rest = after;
    }
    flush(&mut out, pending);
    out.push_str(rest);
    out
}

fn flush(out: &mut String, word: Option<(&str, Vec<u8>)>) {
    let Some((label, bytes)) = word else {
        return;
    };
    match encoding_for(label) {
        Some(e) => out.push_str(&e.decode_without_bom_handling(&bytes).0),
        None => out.push_str(&String::from_utf8_lossy(&bytes)),
    }
}

/// The next encoded word: text before it, its charset label, its bytes
/// (None when they do not decode) and the text after it.
fn next_word(s: &str) -> Option<(&str, &str, Option<Vec<u8>>, &str)> {
    let mut from = 0;
    while let Some(i) = s[from..].find("=?").map(|i| i + from) {
        if let Some((label, bytes, len)) = parse_word(&s[i..]) {
            return Some((&s[..i], label, bytes, &s[i + len..]));
        }
        from = i + 2;
    }
    None
}

/// `=?label?B|Q?text?=` at the start of `s`: label, bytes, length in `s`.
fn parse_word(s: &str) -> Option<(&str, Option<Vec<u8>>, usize)> {
    let inner = s.strip_prefix("=?")?;
    let (label, inner) = inner.split_once('?')?;
    let (kind, inner) = inner.split_once('?')?;
    let end = inner.find("?=")?;
    let text = &inner[..end];
    if label.is_empty() || label.contains(char::is_whitespace) || text.contains(char::is_whitespace) {
        return None;
    }
    let bytes = match kind {
        "B" | "b" => base64_decode(text.as_bytes()),
        "Q" | "q" => q_decode(text),
        _ => return None,
    };
    Some((label, bytes, 2 + label.len() + 1 + kind.len() + 1 + end + 2))
}

/// RFC 2047 "Q": `_` is a space, `=HH` a byte.
fn q_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len());
    let mut bytes = text.bytes();
    while let Some(b) = bytes.next() {
        match b {
            b'_' => out.push(b' '),
            b'=' => {
                let hex = [bytes.next()?, bytes.next()?];
                out.push(u8::from_str_radix(std::str::from_utf8(&hex).ok()?, 16).ok()?);
            }
            _ => out.push(b),
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_join_and_keep_plain_text() {
        assert_eq!(decode_words("=?eucgb2312_cn?b?udjT2g==?= =?eucgb2312_cn?b?zcXI1Q==?="), "关于团日");
        assert_eq!(decode_words("Re: =?big5_tw?q?=B4=FA=B8=D5?= ok"), "Re: 測試 ok");
        assert_eq!(decode_words("no words, a =? b"), "no words, a =? b");
        assert_eq!(decode_words("=?utf-8?q?a_b?= =?gbk?b?suLK1A==?="), "a b测试");
    }

    #[test]
    fn damaged_or_unknown_words_show_replacement() {
        assert!(decode_words("=?gbk?b?@@@@?=").contains(REPLACEMENT));
        assert!(decode_words("=?x-unknown?b?suLK1A==?=").contains(REPLACEMENT));
        assert_eq!(decode_words("=?x-unknown?q?plain?="), "plain");
    }
}
