//! Room events as the core's [`Inbound`] events, without a client: what
//! the conversion needs to know about the room comes in a [`RoomView`],
//! so it can be tested and fuzzed on raw JSON alone.

use matrix_sdk::ruma::events::reaction::OriginalSyncReactionEvent;
use matrix_sdk::ruma::events::room::member::{MembershipState, OriginalSyncRoomMemberEvent};
use matrix_sdk::ruma::events::room::message::{
    sanitize::remove_plain_reply_fallback, MessageType, OriginalSyncRoomMessageEvent, Relation,
};
use matrix_sdk::ruma::events::room::redaction::OriginalSyncRoomRedactionEvent;
use matrix_sdk::ruma::events::room::MediaSource;
use matrix_sdk::ruma::serde::Raw;
use matrix_sdk::ruma::UserId;
use treecast_wire::{Address, Inbound, InboundKind, Platform, Sender};

use crate::reaction::{self, Meaning};

/// The room an event came from, as far as the conversion cares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoomView {
    /// The bot's own user id: its own events are not for the core.
    pub own_user: String,
    pub room_id: String,
    /// Joined rooms only: events seen while invited or after leaving are dropped.
    pub joined: bool,
    /// A DM: events are addressed as the other person, not the room.
    pub direct: bool,
}

impl RoomView {
    /// A DM is the other person's address, any other room its id.
    fn chat_of(&self, sender: &UserId) -> Address {
        if self.direct && sender.as_str() != self.own_user {
            Address::direct(Platform::Matrix, sender.as_str())
        } else {
            Address::group(Platform::Matrix, &self.room_id)
        }
    }

    fn base(&self, kind: InboundKind, sender: &UserId, event_id: &str, text: String) -> Inbound {
        Inbound {
            kind,
            chat: self.chat_of(sender),
            // The display name is the room's, looked up by the caller.
            sender: Sender { id: sender.to_string(), display_name: None, verified: true },
            message_id: event_id.to_owned(),
            text,
            in_reply_to: None,
            subject: String::new(),
            sent_to: None,
            attachments: Vec::new(),
            account: String::new(),
            chat_title: None,
        }
    }
}

/// A room message: its text without reply fallbacks, and what it answers.
/// Edits and the bot's own messages are not events for the core.
pub fn message(ev: &OriginalSyncRoomMessageEvent, room: &RoomView) -> Option<Inbound> {
    if ev.sender.as_str() == room.own_user || !room.joined {
        return None;
    }
    let in_reply_to = match &ev.content.relates_to {
        Some(Relation::Replacement(r)) => {
            // An edit: the new text, naming the original (the event's own
            // body is the "* ..." fallback for old clients).
            let text = body_of(&r.new_content.msgtype).to_owned();
            let original = r.event_id.to_string();
            return Some(room.base(InboundKind::Edited { original }, &ev.sender, ev.event_id.as_str(), text));
        }
        Some(Relation::Reply(reply)) => Some(reply.in_reply_to.event_id.to_string()),
        Some(Relation::Thread(t)) => {
            Some(t.in_reply_to.as_ref().map(|r| &r.event_id).unwrap_or(&t.event_id).to_string())
        }
        _ => None,
    };
    let text = strip_quotes(body_of(&ev.content.msgtype), in_reply_to.is_some());
    let mut event = room.base(InboundKind::Message, &ev.sender, ev.event_id.as_str(), text);
    event.in_reply_to = in_reply_to;
    Some(event)
}

/// The text of a message: its body, or a file's caption (a file's body is its name).
fn body_of(msgtype: &MessageType) -> &str {
    match msgtype {
        MessageType::Text(t) => &t.body,
        MessageType::Notice(n) => &n.body,
        MessageType::Emote(e) => &e.body,
        other => match file_of(other) {
            Some(f) => f.caption.unwrap_or(""),
            None => other.body(),
        },
    }
}

/// A removed (redacted) event, by anyone but the bot.
pub fn redaction(ev: &OriginalSyncRoomRedactionEvent, room: &RoomView) -> Option<Inbound> {
    if ev.sender.as_str() == room.own_user || !room.joined {
        return None;
    }
    let original = ev.content.redacts.as_ref().or(ev.redacts.as_ref())?.to_string();
    Some(room.base(InboundKind::Deleted { original }, &ev.sender, ev.event_id.as_str(), String::new()))
}

/// A file in a message (m.file, m.image, m.video, m.audio), to fetch.
#[derive(Debug, Clone)]
pub struct FileRef<'a> {
    pub name: &'a str,
    pub caption: Option<&'a str>,
    pub source: &'a MediaSource,
    pub mimetype: Option<&'a str>,
    /// As the sender's client declared it.
    pub size: Option<u64>,
}

/// The same fields under four content types (each with its own info type).
macro_rules! file_ref {
    ($f:expr) => {{
        let info = $f.info.as_deref();
        FileRef {
            name: $f.filename(),
            caption: $f.caption(),
            source: &$f.source,
            mimetype: info.and_then(|i| i.mimetype.as_deref()),
            size: info.and_then(|i| i.size).map(u64::from),
        }
    }};
}

pub fn file_of(m: &MessageType) -> Option<FileRef<'_>> {
    Some(match m {
        MessageType::File(f) => file_ref!(f),
        MessageType::Image(f) => file_ref!(f),
        MessageType::Video(f) => file_ref!(f),
        MessageType::Audio(f) => file_ref!(f),
        _ => return None,
    })
}

/// An `m.reaction`: an annotation is a reaction, a reply relation a reply.
pub fn reaction(raw: &Raw<OriginalSyncReactionEvent>, room: &RoomView) -> Option<Inbound> {
    let reacted = reaction::read(raw)?;
    if reacted.sender.as_str() == room.own_user {
        return None;
    }
    let (kind, text, to) = match reacted.meaning {
        Meaning::Reaction { key, to } => (InboundKind::Reaction { key: key.clone() }, key, to),
        Meaning::Reply { text, to } => (InboundKind::Message, strip_quotes(&text, true), to),
    };
    let mut event = room.base(kind, &reacted.sender, reacted.event_id.as_str(), text);
    event.in_reply_to = Some(to);
    Some(event)
}

/// The bot removed or banned from a room by someone else.
pub fn removal(ev: &OriginalSyncRoomMemberEvent, room: &RoomView) -> Option<Inbound> {
    if ev.state_key.as_str() != room.own_user || ev.sender.as_str() == room.own_user {
        return None;
    }
    let verb = match ev.content.membership {
        MembershipState::Leave => "removed",
        MembershipState::Ban => "banned",
        _ => return None,
    };
    let reason = ev.content.reason.clone().unwrap_or_default();
    let text = format!("{verb} by {}{}{reason}", ev.sender, if reason.is_empty() { "" } else { ": " });
    let mut event = room.base(InboundKind::Removed, &ev.sender, ev.event_id.as_str(), text);
    event.chat = Address::group(Platform::Matrix, &room.room_id);
    Some(event)
}

/// The sender's own words: a reply fallback (`> <@a:b> ...` lines, then a
/// blank line) and, in replies, any leading quoted lines are dropped.
pub fn strip_quotes(body: &str, is_reply: bool) -> String {
    let mut s = remove_plain_reply_fallback(body);
    if is_reply {
        while s.starts_with('>') {
            s = s.split_once('\n').map(|(_, rest)| rest).unwrap_or("");
        }
    }
    s.trim().to_owned()
}

#[cfg(test)]
#[path = "convert_tests.rs"]
mod tests;
