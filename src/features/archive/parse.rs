//! Reading an org's old chat history: a Telegram Desktop export
//! (`result.json`), a Matrix room export (Element's JSON, or a plain array
//! of events) and a mailing list's mbox. Each reads the whole file before
//! anything is stored, and names the line of what it cannot read.

use serde::Deserialize;

use crate::catalogue::{msg, Msg};
use crate::error::{Error, Result};

/// One message as the export tells it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Old {
    /// Its id in the source (Telegram message id, Matrix event id,
    /// Message-ID): what makes a second import skip it.
    pub id: String,
    /// Unix seconds.
    pub at: u64,
    pub author: String,
    pub text: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Telegram,
    Matrix,
    Mbox,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::Telegram => "telegram",
            Format::Matrix => "matrix",
            Format::Mbox => "mbox",
        }
    }

    /// What the bytes look like: an mbox begins `From `; a Telegram export
    /// has `date_unixtime` or `from_id`, a Matrix one `origin_server_ts`.
    pub fn sniff(bytes: &[u8]) -> Option<Format> {
        if bytes.starts_with(b"From ") {
            return Some(Format::Mbox);
        }
        let head = &bytes[..bytes.len().min(64 * 1024)];
        let has = |s: &[u8]| head.windows(s.len()).any(|w| w == s);
        if has(b"\"origin_server_ts\"") {
            Some(Format::Matrix)
        } else if has(b"\"messages\"") {
            Some(Format::Telegram)
        } else {
            None
        }
    }
}

fn bad_json(file: &str, e: &serde_json::Error, what: Format) -> Error {
    Error::invalid(msg(
        Msg::ArchiveUnreadable,
        &[("file", &file), ("line", &e.line()), ("format", &what.name()), ("error", e)],
    ))
}

/// Telegram's text: a string, or runs of strings and styled pieces.
#[derive(Deserialize)]
#[serde(untagged)]
enum TgText {
    Plain(String),
    Runs(Vec<TgRun>),
}

#[derive(Deserialize)]
#[serde(untagged)]
enum TgRun {
    Plain(String),
    Styled { text: String },
}

impl TgText {
    fn flat(self) -> String {
        match self {
            TgText::Plain(s) => s,
            TgText::Runs(runs) => runs
                .into_iter()
                .map(|r| match r {
                    TgRun::Plain(s) | TgRun::Styled { text: s } => s,
                })
                .collect(),
        }
    }
}

#[derive(Deserialize)]
struct TgExport {
    messages: Vec<TgMessage>,
}

#[derive(Deserialize)]
struct TgMessage {
    id: i64,
    #[serde(rename = "type", default)]
    kind: String,
    /// Newer exports; older ones only have `date` (local time, read as China time).
    date_unixtime: Option<String>,
    date: String,
    from: Option<String>,
    from_id: Option<String>,
    #[serde(default)]
    text: Option<TgText>,
}

pub fn telegram(file: &str, bytes: &[u8]) -> Result<Vec<Old>> {
    let export: TgExport = serde_json::from_slice(bytes).map_err(|e| bad_json(file, &e, Format::Telegram))?;
    let mut out = Vec::with_capacity(export.messages.len());
    for m in export.messages {
        // Joins, pins and calls are not messages anyone wrote.
        if m.kind != "message" {
            continue;
        }
        let at = match m.date_unixtime.as_deref().and_then(|d| d.parse().ok()) {
            Some(t) => t,
            None => crate::clock::parse_china(&m.date.replacen('T', " ", 1).chars().take(16).collect::<String>())
                .ok_or_else(|| {
                    Error::invalid(msg(Msg::ArchiveBadDate, &[("file", &file), ("id", &m.id), ("date", &m.date)]))
                })?,
        };
        let text = m.text.map(TgText::flat).unwrap_or_default();
        if text.trim().is_empty() {
            continue; // a photo or sticker without a caption
        }
        let author = m.from.or(m.from_id).unwrap_or_default();
        out.push(Old { id: m.id.to_string(), at, author, text });
    }
    Ok(out)
}

#[derive(Deserialize)]
#[serde(untagged)]
enum MxExport {
    Element { messages: Vec<MxEvent> },
    Events(Vec<MxEvent>),
}

#[derive(Deserialize)]
struct MxEvent {
    #[serde(rename = "type")]
    kind: String,
    event_id: String,
    sender: String,
    origin_server_ts: u64,
    #[serde(default)]
    content: serde_json::Map<String, serde_json::Value>,
}

pub fn matrix(file: &str, bytes: &[u8]) -> Result<Vec<Old>> {
    let export: MxExport = serde_json::from_slice(bytes).map_err(|e| bad_json(file, &e, Format::Matrix))?;
    let events = match export {
        MxExport::Element { messages } | MxExport::Events(messages) => messages,
    };
    Ok(events
        .into_iter()
        .filter(|e| e.kind == "m.room.message")
        .filter_map(|e| {
            let body = e.content.get("body")?.as_str()?.to_owned();
            let author = e.content.get("displayname").and_then(|d| d.as_str()).map_or(e.sender, str::to_owned);
            Some(Old { id: e.event_id, at: e.origin_server_ts / 1000, author, text: body })
        })
        .collect())
}

/// An mbox (mboxrd: `>From ` unquoted): each message from its `From ` line.
pub fn mbox(file: &str, bytes: &[u8]) -> Result<Vec<Old>> {
    let mut out = Vec::new();
    let mut current: Option<(usize, Vec<u8>)> = None;
    let mut finish = |start: usize, raw: &[u8]| -> Result<()> {
        let parsed = mail_parser::MessageParser::default().parse(raw);
        let Some(m) = parsed else {
            return Err(Error::invalid(msg(Msg::ArchiveBadMail, &[("file", &file), ("line", &start)])));
        };
        let Some(at) = m.date().map(|d| d.to_timestamp()).filter(|t| *t > 0) else {
            return Err(Error::invalid(msg(Msg::ArchiveBadMail, &[("file", &file), ("line", &start)])));
        };
        let author = m
            .from()
            .and_then(|f| f.first())
            .map(|a| a.name().or(a.address()).unwrap_or_default().to_owned())
            .unwrap_or_default();
        let subject = m.subject().unwrap_or_default();
        let body = m.body_text(0).map(|b| b.into_owned()).unwrap_or_default();
        let text = if subject.is_empty() { body } else { format!("{subject}\n{body}") };
        let id = m.message_id().map_or_else(|| format!("{start}:{at}"), str::to_owned);
        out.push(Old { id, at: at as u64, author, text });
        Ok(())
    };
    for (i, line) in bytes.split_inclusive(|b| *b == b'\n').enumerate() {
        if line.starts_with(b"From ") {
            if let Some((start, raw)) = current.take() {
                finish(start, &raw)?;
            }
            current = Some((i + 1, Vec::new()));
            continue;
        }
        let Some((_, raw)) = current.as_mut() else {
            return Err(Error::invalid(msg(Msg::ArchiveBadMail, &[("file", &file), ("line", &(i + 1))])));
        };
        // mboxrd: a body line `>From ` (any number of >) was quoted once.
        let quoted = line.iter().position(|b| *b != b'>').is_some_and(|n| n > 0 && line[n..].starts_with(b"From "));
        raw.extend_from_slice(if quoted { &line[1..] } else { line });
    }
    if let Some((start, raw)) = current.take() {
        finish(start, &raw)?;
    }
    Ok(out)
}
