//! Reading one raw mail into an `Inbound`, or saying in one sentence why not.

use mail_parser::{DecodeProblems, Message, MessageParser, MessagePart, PartFlags};
use treecast_wire::{Address, Attachment, Inbound, InboundKind, Platform, Sender};

use crate::auth;
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
    let Some(msg) = MessageParser::new().parse(raw) else {
        return Reading { event: Err(Unreadable::BrokenMime), from: None, message_id: None, automatic: false };
    };
    let from_box = msg.from().and_then(|l| l.first());
    let from = from_box.and_then(|m| m.address()).map(|a| a.trim().to_lowercase());
    let message_id = msg.message_id().map(str::to_owned);
    let automatic = is_automatic(&msg, from.as_deref());
    let event = from
        .clone()
        .ok_or(Unreadable::BrokenMime)
        .and_then(|from| build(&msg, settings, from, from_box.and_then(|m| m.name()).map(str::to_owned)));
    Reading { event, from, message_id, automatic }
}

fn build(msg: &Message<'_>, settings: &Settings, from: String, name: Option<String>) -> Result<Inbound, Unreadable> {
    if msg.parts().any(|p| broken(&p)) {
        return Err(Unreadable::BrokenMime);
    }
    let text = body_text(msg)?;
    let attachments = attachments(msg, settings.max_attachment_bytes)?;
    let auth_values: Vec<String> = msg
        .headers()
        .all("Authentication-Results")
        .map(|h| String::from_utf8_lossy(h.raw_value()).into_owned())
        .collect();
    let verified = auth::verified(auth_values.iter().map(String::as_str), &from, &settings.trusted_authserv_ids);
    let in_reply_to = msg
        .in_reply_to()
        .and_then(|l| l.first().map(str::to_owned))
        .or_else(|| msg.references().and_then(|l| l.last().map(str::to_owned)));
    Ok(Inbound {
        kind: InboundKind::Message,
        chat: Address::direct(Platform::Email, from.clone()),
        sender: Sender { id: from, display_name: name, verified },
        message_id: msg.message_id().unwrap_or_default().to_owned(),
        text: strip_quoted(&text),
        in_reply_to,
        subject: msg.subject().unwrap_or_default().trim().to_owned(),
        sent_to: sent_to(msg, settings),
        attachments,
    })
}

fn broken(p: &MessagePart<'_>) -> bool {
    let f = p.flags();
    f.intersects(PartFlags::UNTERMINATED | PartFlags::MISSING_DELIMITER | PartFlags::NO_BLANK_LINE)
        || (p.is_text()
            && p.text_checked().is_some_and(|(_, problems)| {
                problems.intersects(DecodeProblems::MALFORMED_TRANSFER_ENCODING | DecodeProblems::UNKNOWN_TRANSFER_ENCODING)
            }))
}

/// text/plain if there is one, else the HTML part as readable text.
fn body_text(msg: &Message<'_>) -> Result<String, Unreadable> {
    let root = msg.root();
    let plain = root.text_body().find(|p| p.is_content_type("text", "plain") || p.content_type().is_none());
    if let Some(t) = plain.and_then(|p| p.text()) {
        return Ok(normalize(&t));
    }
    if let Some(h) = root.html_body().find(|p| p.is_content_type("text", "html")).and_then(|p| p.text()) {
        return Ok(normalize(&html_to_text(&h)));
    }
    Err(Unreadable::NoText)
}

/// HTML as plain text: paragraphs and breaks kept, tags and entities resolved.
pub fn html_to_text(html: &str) -> String {
    let text = mail_parser::html_to_text(html);
    let lines: Vec<&str> = text.lines().map(str::trim_end).collect();
    let mut out = String::new();
    let mut blank = 0;
    for l in lines {
        if l.trim().is_empty() {
            blank += 1;
            if blank > 1 {
                continue;
            }
        } else {
            blank = 0;
        }
        out.push_str(l);
        out.push('\n');
    }
    out.trim().to_owned()
}

fn normalize(t: &str) -> String {
    t.replace("\r\n", "\n").trim_end().to_owned()
}

fn attachments(msg: &Message<'_>, limit: usize) -> Result<Vec<Attachment>, Unreadable> {
    let mut out = Vec::new();
    for part in msg.root().attachments() {
        if part.is_multipart() {
            continue;
        }
        let name = part.attachment_name().unwrap_or("attachment").to_owned();
        let bytes = part.decoded_len();
        if bytes > limit {
            return Err(Unreadable::TooLarge { name, bytes, limit });
        }
        let content_type = part
            .content_type()
            .map(|c| format!("{}/{}", c.ctype(), c.subtype().unwrap_or("octet-stream")))
            .unwrap_or_else(|| "application/octet-stream".to_owned());
        out.push(Attachment { name, content_type, data: part.decoded().into_owned() });
    }
    Ok(out)
}

/// The bot address the mail reached: Delivered-To, X-Original-To, then To/Cc,
/// the first one in the bot's domain.
fn sent_to(msg: &Message<'_>, settings: &Settings) -> Option<String> {
    let domain = settings.domain().to_ascii_lowercase();
    let headers = msg.headers();
    let mut candidates: Vec<String> = Vec::new();
    for name in ["Delivered-To", "X-Original-To"] {
        for h in headers.all(name) {
            candidates.push(String::from_utf8_lossy(h.raw_value()).trim().trim_matches(['<', '>']).to_owned());
        }
    }
    for list in msg.to().into_iter().chain(msg.cc()) {
        candidates.extend(list.mailboxes().filter_map(|m| m.address().map(str::to_owned)));
    }
    candidates
        .into_iter()
        .map(|c| c.to_lowercase())
        .find(|c| split_address(c).is_some_and(|(_, d)| d == domain))
}

fn is_automatic(msg: &Message<'_>, from: Option<&str>) -> bool {
    let headers = msg.headers();
    let auto_submitted = headers
        .get("Auto-Submitted")
        .map(|h| String::from_utf8_lossy(h.raw_value()).trim().to_ascii_lowercase())
        .is_some_and(|v| v != "no");
    let precedence = headers
        .get("Precedence")
        .map(|h| String::from_utf8_lossy(h.raw_value()).trim().to_ascii_lowercase())
        .is_some_and(|v| matches!(v.as_str(), "bulk" | "junk" | "list"));
    let daemon = from.is_none_or(|f| {
        let local = f.split('@').next().unwrap_or_default();
        matches!(local, "mailer-daemon" | "postmaster" | "noreply" | "no-reply")
    });
    let null_path = msg.return_path().and_then(|p| p.first().map(str::trim)).is_some_and(|p| p.is_empty() || p == "<>");
    auto_submitted || precedence || daemon || null_path
}
