//! Rendering an `Outbound` as one MIME message plus its envelope recipients.

use email_encoding::headers::{quoted_string, writer::EmailWriter};
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Attachment as MimeAttachment, Mailbox, MultiPart};
use treecast_wire::{ButtonAction, ChatKind, DeliveryError, Outbound};

use crate::settings::Settings;

/// A rendered message: what to send and to whom.
#[derive(Debug)]
pub struct Composed {
    /// Message-ID without angle brackets, as returned in `Delivered`.
    pub message_id: String,
    pub bytes: Vec<u8>,
    pub from: lettre::Address,
    pub recipients: Vec<lettre::Address>,
}

/// The Message-ID for a delivery id: `<encoded id>@<bot domain>`, where the
/// id keeps `A-Z a-z 0-9 _ -` and writes every other byte as `=HH`. The same
/// delivery id always gives the same Message-ID, so a retry is recognisable
/// and replies (In-Reply-To) lead back to the delivery.
pub fn message_id(delivery_id: &str, domain: &str) -> String {
    let mut local = String::with_capacity(delivery_id.len() + 8);
    for b in delivery_id.bytes() {
        if b.is_ascii_alphanumeric() || b == b'_' || b == b'-' {
            local.push(b as char);
        } else {
            local.push_str(&format!("={b:02X}"));
        }
    }
    if local.is_empty() {
        local.push_str("=00");
    }
    format!("{local}@{domain}")
}

/// Builds the message for `msg` (one message even for a large list).
pub fn compose(msg: &Outbound, settings: &Settings) -> Result<Composed, DeliveryError> {
    let bad = |what: String| DeliveryError::permanent(what);
    let from_addr: lettre::Address = settings.address.parse().map_err(|e| bad(format!("bot address: {e}")))?;
    let from = Mailbox::new(settings.display_name.clone(), from_addr.clone());
    let recipients = recipients(msg)?;
    let id = message_id(&msg.id, settings.domain());
    let to_header = msg.to.id.parse::<lettre::Address>().ok();

    let mut b = lettre::Message::builder()
        .from(from)
        .subject(msg.title.as_deref().map(str::trim).filter(|t| !t.is_empty()).unwrap_or(default_subject(msg)))
        .message_id(Some(format!("<{id}>")))
        .date_now();
    b = match to_header {
        Some(a) => b.to(Mailbox::new(None, a)),
        None => b.to(Mailbox::new(None, recipients[0].clone())),
    };
    if let Some(parent) = msg.in_reply_to.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
        let parent = format!("<{}>", parent.trim_matches(['<', '>']));
        b = b.in_reply_to(parent.clone()).references(parent);
    }
    if let Some(token) = msg.unsubscribe.as_deref() {
        // One subscriber's own links: a mail to `unsubscribe+TOKEN@` the bot
        // (RFC 2369), and the one-click URL where one is configured (RFC 8058).
        let mut parts = vec![format!("<mailto:unsubscribe+{token}@{}>", settings.domain())];
        if let Some(u) = &settings.unsubscribe_url {
            let sep = if u.contains('?') { '&' } else { '?' };
            parts.insert(0, format!("<{u}{sep}token={token}>"));
            b = b.raw_header(raw("List-Unsubscribe-Post", "List-Unsubscribe=One-Click".to_owned()));
        }
        b = b.raw_header(raw("List-Unsubscribe", parts.join(", ")));
    } else if matches!(msg.to.kind, ChatKind::List) {
        b = b.raw_header(list_id_header(msg.list_name.as_deref(), &msg.to.id));
        b = b.raw_header(raw("Precedence", "list".to_owned()));
        if let Some(v) = unsubscribe(settings) {
            b = b.raw_header(raw("List-Unsubscribe", v));
        }
    }
    let body = MultiPart::alternative_plain_html(render_text(msg), render_html(msg));
    let mime = if msg.attachments.is_empty() {
        b.multipart(body)
    } else {
        let mut mixed = MultiPart::mixed().multipart(body);
        for a in msg.attachments.iter() {
            if a.data.len() > settings.max_attachment_bytes {
                return Err(bad(format!(
                    "attachment {:?} is {} bytes, over email.max_attachment_bytes",
                    a.name,
                    a.data.len()
                )));
            }
            let ct = ContentType::parse(&a.content_type)
                .unwrap_or(ContentType::parse("application/octet-stream").expect("valid"));
            mixed = mixed.singlepart(MimeAttachment::new(a.name.clone()).body(a.data.clone(), ct));
        }
        b.multipart(mixed)
    }
    .map_err(|e| bad(format!("cannot build the message: {e}")))?;
    Ok(Composed { message_id: id, bytes: mime.formatted(), from: from_addr, recipients })
}

/// Envelope recipients: a list's members, else the address itself.
fn recipients(msg: &Outbound) -> Result<Vec<lettre::Address>, DeliveryError> {
    let raw: Vec<&str> = if msg.to.kind == ChatKind::List && !msg.to.members.is_empty() {
        msg.to.members.iter().map(String::as_str).collect()
    } else {
        vec![msg.to.id.as_str()]
    };
    let mut out = Vec::with_capacity(raw.len());
    for r in raw {
        let a = r
            .trim()
            .parse::<lettre::Address>()
            .map_err(|e| DeliveryError::permanent(format!("bad recipient {r:?}: {e}")))?;
        if !out.contains(&a) {
            out.push(a);
        }
    }
    Ok(out)
}

/// Splits recipients into envelopes of at most `max` (Postfix refuses >1000).
pub fn chunks<T>(recipients: &[T], max: usize) -> std::slice::Chunks<'_, T> {
    recipients.chunks(max.max(1))
}

fn default_subject(msg: &Outbound) -> &'static str {
    match msg.kind {
        treecast_wire::OutboundKind::Notice => "通知",
        treecast_wire::OutboundKind::Reminder => "提醒",
        _ => "消息",
    }
}

fn raw(name: &'static str, value: String) -> HeaderValue {
    HeaderValue::new(HeaderName::new_from_ascii_str(name), value)
}

/// `List-Id: DESCRIPTION <list id>` (RFC 2919). The description is the
/// list's name from the core (`Outbound::list_name`), written the way lettre
/// writes a display name in `From:`: bare, as a quoted string, or RFC 2047
/// encoded words when it holds anything else (Chinese, `<`, `>`, line
/// breaks), so no name can break the header. Without a name, only the id.
fn list_id_header(name: Option<&str>, address: &str) -> HeaderValue {
    use std::fmt::Write;
    const NAME: &str = "List-Id";
    let id = format!("<{}>", list_id(address));
    let Some(name) = name.map(str::trim).filter(|n| !n.is_empty()) else { return raw(NAME, id) };
    let mut encoded = String::new();
    {
        let mut w = EmailWriter::new(&mut encoded, NAME.len() + ": ".len(), 0, false);
        quoted_string::encode(name, &mut w).expect("writing to a String");
        w.space();
        w.folding().write_str(&id).expect("writing to a String");
    }
    // Pre-encoded: `encoded` is ASCII and folded by the writer above.
    HeaderValue::dangerous_new_pre_encoded(HeaderName::new_from_ascii_str(NAME), format!("{name} {id}"), encoded)
}

/// RFC 2919 list id from a list address: `branch@lists.x` -> `branch.lists.x`.
fn list_id(id: &str) -> String {
    let cleaned: String =
        id.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '.' { c } else { '.' }).collect();
    cleaned.trim_matches('.').to_owned()
}

fn unsubscribe(settings: &Settings) -> Option<String> {
    let mut parts = Vec::new();
    if let Some(m) = &settings.unsubscribe_mailto {
        parts.push(format!("<mailto:{}>", m.trim_start_matches("mailto:")));
    }
    if let Some(u) = &settings.unsubscribe_url {
        parts.push(format!("<{u}>"));
    }
    (!parts.is_empty()).then(|| parts.join(", "))
}

fn button_line(label: &str, action: &ButtonAction) -> String {
    match action {
        ButtonAction::Callback(_) => format!("回复「{label}」 (reply with {label})"),
        ButtonAction::StartPrivate(p) => {
            format!("{label}：回复本邮件 /start {p} (reply to this mail with: /start {p})")
        }
        ButtonAction::Url(u) => format!("{label}: {u}"),
    }
}

/// The text/plain part: body, buttons, then the footer after `-- `.
pub fn render_text(msg: &Outbound) -> String {
    let mut out = msg.body.trim_end().to_owned();
    if !msg.buttons.is_empty() {
        out.push('\n');
        for b in &msg.buttons {
            out.push_str("\n* ");
            out.push_str(&button_line(&b.label, &b.action));
        }
    }
    if let Some(f) = &msg.footer {
        out.push_str("\n\n-- \n");
        out.push_str(f);
    }
    out.push('\n');
    out
}

/// The text/html part: the same content, escaped, with real links.
pub fn render_html(msg: &Outbound) -> String {
    let mut out = String::from("<!DOCTYPE html><html><head><meta charset=\"utf-8\"></head><body>");
    if let Some(t) = &msg.title {
        out.push_str(&format!("<h2>{}</h2>", escape(t)));
    }
    for para in msg.body.trim_end().split("\n\n") {
        out.push_str(&format!("<p>{}</p>", escape(para).replace('\n', "<br>")));
    }
    if !msg.buttons.is_empty() {
        out.push_str("<ul>");
        for b in &msg.buttons {
            let item = match &b.action {
                ButtonAction::Url(u) => format!("<a href=\"{}\">{}</a>", escape(u), escape(&b.label)),
                other => escape(&button_line(&b.label, other)),
            };
            out.push_str(&format!("<li>{item}</li>"));
        }
        out.push_str("</ul>");
    }
    if let Some(f) = &msg.footer {
        out.push_str(&format!("<hr><p style=\"color:#666\">{}</p>", escape(f).replace('\n', "<br>")));
    }
    out.push_str("</body></html>");
    out
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The `List-Id` line as it is written, unfolded.
    fn header(name: Option<&str>) -> String {
        let v = list_id_header(name, "branch-a@lists.example.test");
        let mut h = lettre::message::header::Headers::new();
        h.insert_raw(v);
        h.to_string().trim_end().replace("\r\n", "")
    }

    #[test]
    fn list_id_carries_the_list_name_as_its_description() {
        assert_eq!(header(None), "List-Id: <branch-a.lists.example.test>");
        assert_eq!(header(Some("  ")), "List-Id: <branch-a.lists.example.test>");
        assert_eq!(header(Some("Hunan University")), "List-Id: \"Hunan University\" <branch-a.lists.example.test>");
        // Chinese: RFC 2047 encoded words, base64 of the UTF-8.
        let chinese = header(Some("湖南大学团委"));
        assert_eq!(chinese, "List-Id: =?utf-8?b?5rmW5Y2X5aSn5a2m5Zui5aeU?= <branch-a.lists.example.test>");
        // Angle brackets, quotes and line breaks in a name stay inside the
        // description: the id is the only `<...>` in the line.
        for name in ["a <b@c> \"d\"", "x\" <evil.example> \"y", "行一\r\nBcc: x@example.test"] {
            let line = header(Some(name));
            assert!(line.is_ascii(), "{line}");
            assert!(line.ends_with(" <branch-a.lists.example.test>"), "{line}");
            let description = &line["List-Id: ".len()..line.len() - " <branch-a.lists.example.test>".len()];
            assert!(!description.contains(['<', '>', '\r', '\n']), "{line}");
        }
    }
}
