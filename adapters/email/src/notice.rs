//! The one-sentence answer to a mail the adapter could not read.

use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, SinglePart};
use treecast_wire::DeliveryError;

use crate::compose::message_id;
use crate::inbound::Unreadable;
use crate::settings::Settings;
use crate::Inner;

/// Subject of the answer (Chinese, then English).
pub const SUBJECT: &str = "无法处理您的邮件 / Your mail could not be processed";

/// Mails `to` the sentence for `why`, threaded under the original mail.
/// Its Message-ID derives from the original's, so a repeat is recognisable.
pub(crate) async fn send_unreadable(
    inner: &Inner,
    to: &str,
    original_id: Option<&str>,
    why: &Unreadable,
) -> Result<(), DeliveryError> {
    let (from, to, bytes) = compose_unreadable(&inner.settings, to, original_id, why)?;
    inner.smtp.send_once(from, to, &bytes).await
}

/// The answer as bytes, with its envelope sender and recipient.
pub(crate) fn compose_unreadable(
    s: &Settings,
    to: &str,
    original_id: Option<&str>,
    why: &Unreadable,
) -> Result<(lettre::Address, lettre::Address, Vec<u8>), DeliveryError> {
    let bad = |e: String| DeliveryError::permanent(e);
    let from: lettre::Address = s.address.parse().map_err(|e| bad(format!("bot address: {e}")))?;
    let to: lettre::Address = to.parse().map_err(|e| bad(format!("sender address {to:?}: {e}")))?;
    let seed = format!("unreadable-{}", original_id.unwrap_or(to.as_ref()));
    let mut b = lettre::Message::builder()
        .from(Mailbox::new(s.display_name.clone(), from.clone()))
        .to(Mailbox::new(None, to.clone()))
        .subject(SUBJECT)
        .message_id(Some(format!("<{}>", message_id(&seed, s.domain()))))
        .date_now()
        .raw_header(HeaderValue::new(HeaderName::new_from_ascii_str("Auto-Submitted"), "auto-replied".to_owned()));
    if let Some(id) = original_id {
        let id = format!("<{id}>");
        b = b.in_reply_to(id.clone()).references(id);
    }
    // A singlepart (not `body`) so the answer carries MIME-Version and
    // Content-Type: text/plain; charset=utf-8 next to its transfer encoding.
    let text = SinglePart::plain(format!("{}\n", why.sentence()));
    let mail = b.singlepart(text).map_err(|e| bad(format!("cannot build the answer: {e}")))?;
    Ok((from, to, mail.formatted()))
}
