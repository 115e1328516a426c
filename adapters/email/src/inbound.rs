//! Reading one raw mail into an `Inbound`, or saying in one sentence why not.

use mail_parser::{HeaderValue, Message, MessageParser, MimeHeaders, PartType};
use treecast_wire::{Address, Attachment, Inbound, InboundKind, Platform, Sender};

use crate::auth;
use crate::charset::{self, REPLACEMENT};
use crate::quote::strip_quoted;
use crate::settings::{split_address, Settings};

/// A mail the adapter will not hand to the core; its sender is told why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unreadable {
    /// The MIME structure is damaged (unterminated multipart, bad encoding).
    BrokenMime,
    /// There is no text/plain or text/html part to read.
    NoText,
    /// An attachment is over `max_attachment_bytes`.
    TooLarge { name: String, bytes: usize, limit: usize },
    /// This part still has U+FFFD after decoding (unknown or damaged charset).
    Undecodable(MailPart),
}

/// The part of a mail that could not be decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailPart {
    Subject,
    Body,
    SubjectAndBody,
}

impl Unreadable {
    /// The one sentence (Chinese, then English) sent back to the sender.
    pub fn sentence(&self) -> String {
        match self {
            Unreadable::BrokenMime => "您的邮件格式已损坏，无法读取，请重新发送。\nYour mail could not be read because its MIME structure is broken; please send it again.".to_owned(),
            Unreadable::NoText => "您的邮件没有可读的正文，请在正文中写明内容后重新发送。\nYour mail has no readable text part; please write your message in the body and send it again.".to_owned(),
            Unreadable::TooLarge { name, bytes, limit } => format!(
                "您的邮件附件“{name}”大小为 {} KB，超过上限 {} KB，邮件未被处理。\nYour mail was not processed because the attachment \"{name}\" is {} KB, over the {} KB limit.",
                bytes / 1024, limit / 1024, bytes / 1024, limit / 1024
            ),
            Unreadable::Undecodable(part) => {
                let (zh, en) = match part {
                    MailPart::Subject => ("标题", "subject"),
                    MailPart::Body => ("正文", "body"),
                    MailPart::SubjectAndBody => ("标题和正文", "subject and body"),
                };
                format!("您邮件的{zh}使用了无法识别或已损坏的字符编码，邮件未被处理，请改用 UTF-8 编码后重新发送。\nYour mail was not processed because its {en} could not be read (unknown or damaged character encoding); please send it again encoded as UTF-8.")
            }
        }
    }
}

/// What one raw mail turned out to be.
#[derive(Debug)]
pub struct Reading {
    /// The event for the core, or why it cannot be one.
    pub event: Result<Inbound, Unreadable>,
    /// Lowercased From address (None when there is none).
    pub from: Option<String>,
    /// The mail's own Message-ID, without angle brackets.
    pub message_id: Option<String>,
    /// Auto-generated mail (bounces, auto-replies): never answered.
    pub automatic: bool,
}

/// Reads `raw` as the bot configured by `settings` sees it.
pub fn read(raw: &[u8], settings: &Settings) -> Reading {
    let Some(msg) = MessageParser::default().parse(raw) else {
        return Reading { event: Err(Unreadable::BrokenMime), from: None, message_id: None, automatic: false };
    };
    let from_addr = msg.from().and_then(|a| a.first());
    let from = from_addr.and_then(|m| m.address()).map(|a| a.trim().to_lowercase()).filter(|a| a.contains('@'));
    let message_id = msg.message_id().map(str::to_owned);
    let automatic = is_automatic(&msg, from.as_deref());
    let name = charset::from_name(&msg);
    let event = match from.clone() {
        Some(from) => build(&msg, raw, settings, from, name),
        None => Err(Unreadable::BrokenMime),
    };
    Reading { event, from, message_id, automatic }
}

fn build(
    msg: &Message<'_>,
    raw: &[u8],
    settings: &Settings,
    from: String,
    name: Option<String>,
) -> Result<Inbound, Unreadable> {
    if broken(msg, raw) {
        return Err(Unreadable::BrokenMime);
    }
    let subject = charset::subject(msg);
    let text = body_text(msg)?;
    decoded(&subject, &text)?;
    let attachments = attachments(msg, settings.max_attachment_bytes)?;
    let auth_values = raw_headers(msg, "Authentication-Results");
    let verified = auth::verified(auth_values.iter().map(String::as_str), &from, &settings.trusted_authserv_ids);
    let in_reply_to = ids(msg.in_reply_to()).into_iter().next().or_else(|| ids(msg.references()).pop());
    Ok(Inbound {
        kind: InboundKind::Message,
        chat: Address::direct(Platform::Email, from.clone()),
        sender: Sender { id: from, display_name: name, verified },
        message_id: msg.message_id().unwrap_or_default().to_owned(),
        text: strip_quoted(&text),
        in_reply_to,
        subject,
        sent_to: sent_to(msg, settings),
        attachments,
        account: String::new(),
        chat_title: None,
    })
}

/// Subject and body must decode: U+FFFD means a charset that is unknown or
/// bytes that do not fit it, and the core must not act on such text.
fn decoded(subject: &str, text: &str) -> Result<(), Unreadable> {
    match (subject.contains(REPLACEMENT), text.contains(REPLACEMENT)) {
        (false, false) => Ok(()),
        (true, false) => Err(Unreadable::Undecodable(MailPart::Subject)),
        (false, true) => Err(Unreadable::Undecodable(MailPart::Body)),
        (true, true) => Err(Unreadable::Undecodable(MailPart::SubjectAndBody)),
    }
}

fn ids(v: &HeaderValue<'_>) -> Vec<String> {
    if let Some(list) = v.as_text_list() {
        return list.iter().map(|s| s.trim_matches(['<', '>', ' ']).to_owned()).collect();
    }
    v.as_text().map(|t| vec![t.trim_matches(['<', '>', ' ']).to_owned()]).unwrap_or_default()
}

/// Every raw value of header `name`, unfolded.
fn raw_headers(msg: &Message<'_>, name: &str) -> Vec<String> {
    msg.headers_raw()
        .filter(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.replace(['\r', '\n'], " ").trim().to_owned())
        .collect()
}

/// Damaged structure: a part the parser flagged, or a multipart whose
/// closing delimiter never comes.
fn broken(msg: &Message<'_>, raw: &[u8]) -> bool {
    msg.parts.iter().any(|p| {
        if p.is_encoding_problem {
            return true;
        }
        if !matches!(p.body, PartType::Multipart(_)) {
            return false;
        }
        let Some(boundary) = p.content_type().and_then(|c| c.attribute("boundary")) else {
            return true;
        };
        let close = format!("--{boundary}--");
        !raw.windows(close.len()).any(|w| w == close.as_bytes())
    })
}

/// text/plain if there is one, else the HTML part as readable text.
fn body_text(msg: &Message<'_>) -> Result<String, Unreadable> {
    let parts = || msg.text_body.iter().chain(&msg.html_body).filter_map(|id| msg.parts.get(*id as usize));
    if let Some(t) = parts().find_map(|p| match &p.body {
        PartType::Text(t) => Some(charset::part_text(msg, p, t)),
        _ => None,
    }) {
        return Ok(normalize(&t));
    }
    if let Some(h) = parts().find_map(|p| match &p.body {
        PartType::Html(h) => Some(charset::part_text(msg, p, h)),
        _ => None,
    }) {
        return Ok(normalize(&html_to_text(&h)));
    }
    Err(Unreadable::NoText)
}

pub use crate::html::html_to_text;

fn normalize(t: &str) -> String {
    t.replace("\r\n", "\n").trim_end().to_owned()
}

fn attachments(msg: &Message<'_>, limit: usize) -> Result<Vec<Attachment>, Unreadable> {
    let mut out = Vec::new();
    for part in msg.attachments() {
        let name = part.attachment_name().unwrap_or("attachment").to_owned();
        let data = part.contents();
        if data.len() > limit {
            return Err(Unreadable::TooLarge { name, bytes: data.len(), limit });
        }
        let content_type = part
            .content_type()
            .map(|c| format!("{}/{}", c.ctype(), c.subtype().unwrap_or("octet-stream")))
            .unwrap_or_else(|| "application/octet-stream".to_owned());
        out.push(Attachment { name, content_type, data: data.to_vec() });
    }
    Ok(out)
}

/// The bot address the mail reached: Delivered-To, X-Original-To, the
/// envelope recipient in Received headers, then To/Cc,
/// the first one in the bot's domain.
fn sent_to(msg: &Message<'_>, settings: &Settings) -> Option<String> {
    let domain = settings.domain().to_ascii_lowercase();
    let mut candidates: Vec<String> = Vec::new();
    for name in ["Delivered-To", "X-Original-To"] {
        candidates.extend(raw_headers(msg, name).into_iter().map(|v| v.trim_matches(['<', '>', ' ']).to_owned()));
    }
    // Dovecot's LMTP and Postfix write the envelope recipient into
    // `Received: ... for <notice+4143010533@example.test>`.
    for received in raw_headers(msg, "Received") {
        let received = received.split_whitespace().collect::<Vec<_>>().join(" ");
        if let Some((_, rest)) = received.rsplit_once(" for <") {
            candidates.extend(rest.split_once('>').map(|(a, _)| a.trim().to_owned()));
        }
    }
    for list in msg.to().into_iter().chain(msg.cc()) {
        candidates.extend(list.iter().filter_map(|m| m.address().map(str::to_owned)));
    }
    candidates.into_iter().map(|c| c.to_lowercase()).find(|c| split_address(c).is_some_and(|(_, d)| d == domain))
}

fn is_automatic(msg: &Message<'_>, from: Option<&str>) -> bool {
    let first = |name: &str| raw_headers(msg, name).into_iter().next().map(|v| v.to_ascii_lowercase());
    let auto_submitted = first("Auto-Submitted").is_some_and(|v| v != "no");
    let precedence = first("Precedence").is_some_and(|v| matches!(v.as_str(), "bulk" | "junk" | "list"));
    let daemon = from.is_none_or(|f| {
        let local = f.split('@').next().unwrap_or_default();
        matches!(local, "mailer-daemon" | "postmaster" | "noreply" | "no-reply")
    });
    let null_path = first("Return-Path").is_some_and(|p| p.trim() == "<>");
    auto_submitted || precedence || daemon || null_path
}
