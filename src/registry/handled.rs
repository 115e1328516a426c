//! What handling an event produces: the replies (threaded under the
//! event, through the bot account it came to) and a refusal, if any.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};

use treecast_wire::{Inbound, Outbound};

use crate::outbox::queue::Queued;
use crate::tree::people::Person;

/// What handling one event produced.
#[derive(Debug, Default)]
pub struct Handled {
    pub replies: Vec<Queued>,
    /// Set when the event could not be acted on (email quarantines it).
    pub rejected: Option<String>,
}

impl Handled {
    pub fn say(to: &Inbound, text: impl Into<String>) -> Handled {
        Handled { replies: vec![reply_to(to, text)], rejected: None }
    }

    pub fn reject(to: &Inbound, text: impl Into<String>) -> Handled {
        let text = text.into();
        Handled { replies: vec![reply_to(to, text.clone())], rejected: Some(text) }
    }

    /// The conversation engine's answer (its text and, where the chat shows
    /// them, its buttons) as the reply to `to`.
    pub fn engine(to: &Inbound, r: crate::conversation::Reply) -> Handled {
        let mut q = reply_to(to, r.text);
        q.msg.buttons = r.buttons;
        Handled::queued(vec![q])
    }

    pub fn queued(replies: Vec<Queued>) -> Handled {
        Handled { replies, rejected: None }
    }

    pub fn none() -> Handled {
        Handled::default()
    }
}

static REPLY_SEQ: AtomicU64 = AtomicU64::new(0);

/// A bot answer in the chat the event came from, threaded under it; on
/// platforms with subjects it carries "Re: <subject>" as mail clients do.
pub fn reply_to(ev: &Inbound, text: impl Into<String>) -> Queued {
    let n = REPLY_SEQ.fetch_add(1, Ordering::Relaxed);
    // `r{unix}-{n}-{nonce}`, written into one string.
    let mut id = String::with_capacity(48);
    let _ = write!(id, "r{}-{n}-", crate::clock::now_unix());
    crate::msgref::push_nonce(&mut id);
    let mut out = Outbound::reply(id, ev.chat.clone(), text.into());
    // Through the bot account the event came to: that bot is in the chat.
    out.via = ev.account.clone();
    out.in_reply_to = Some(ev.message_id.clone()).filter(|m| !m.is_empty());
    let s = ev.subject.trim();
    if !s.is_empty() {
        out.title = Some(if s.starts_with("Re:") { s.to_owned() } else { format!("Re: {s}") }.into());
    }
    Queued::new(out)
}

/// A private message to `p` (None if they have no account to reach):
/// `key` names it, made unique here, so a retry never sends it twice and
/// two messages never collide.
pub fn tell(p: &Person, key: &str, text: impl Into<String>) -> Option<Queued> {
    let mut m = Outbound::reply(format!("{key}-{}", crate::msgref::nonce()), p.private_address()?, text.into());
    m.kind = treecast_wire::OutboundKind::Private;
    Some(Queued::new(m))
}
