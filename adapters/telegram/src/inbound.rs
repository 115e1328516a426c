//! Telegram updates as the wire's `Inbound` events.

use teloxide::types::{CallbackQuery, Chat, ChatMemberUpdated, Message, Update, UpdateKind, User};
use treecast_wire::{Address, Inbound, InboundKind, Platform, Sender};

/// Who the bot is, for spotting its own messages and `/cmd@bot` commands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BotIdentity {
    pub id: u64,
    pub username: String,
}

/// The platform id of a message: `"<chat_id>:<message_id>"`.
pub fn message_ref(chat_id: i64, message_id: i32) -> String {
    format!("{chat_id}:{message_id}")
}

/// The file a message carries (a document, or a photo's largest size), to fetch:
/// (file id, name, declared size, content type).
pub fn file_of(m: &Message) -> Option<(teloxide::types::FileId, String, u64, String)> {
    if let Some(d) = m.document() {
        let name = d.file_name.clone().unwrap_or_else(|| "file".to_owned());
        let mime = d.mime_type.as_ref().map_or("application/octet-stream".to_owned(), |t| t.to_string());
        return Some((d.file.id.clone(), name, u64::from(d.file.size), mime));
    }
    let photo = m.photo()?.iter().max_by_key(|p| p.width * p.height)?;
    Some((photo.file.id.clone(), "photo.jpg".to_owned(), u64::from(photo.file.size), "image/jpeg".to_owned()))
}

/// Splits `"<chat_id>:<message_id>"` back apart.
pub fn parse_message_ref(s: &str) -> Option<(i64, i32)> {
    let (chat, msg) = s.rsplit_once(':')?;
    Some((chat.parse().ok()?, msg.parse().ok()?))
}

/// The event an update means for the core, if any.
pub fn to_inbound(update: &Update, me: &BotIdentity) -> Option<Inbound> {
    match &update.kind {
        UpdateKind::Message(m) => message(m, me),
        UpdateKind::EditedMessage(m) => edited(m, me),
        UpdateKind::CallbackQuery(q) => button(q, me),
        UpdateKind::MyChatMember(u) => membership(u, me),
        _ => None,
    }
}

fn address(chat: &Chat) -> Option<Address> {
    let id = chat.id.0.to_string();
    if chat.is_private() {
        Some(Address::direct(Platform::Telegram, id))
    } else if chat.is_group() || chat.is_supergroup() {
        Some(Address::group(Platform::Telegram, id))
    } else {
        None // channels: the bot only posts there
    }
}

fn sender(user: &User) -> Sender {
    let name = user.full_name();
    Sender { id: user.id.0.to_string(), display_name: (!name.trim().is_empty()).then_some(name), verified: true }
}

fn event(kind: InboundKind, chat: Address, from: Sender, message_id: String, text: String) -> Inbound {
    Inbound {
        kind,
        chat,
        sender: from,
        message_id,
        text,
        in_reply_to: None,
        subject: String::new(),
        sent_to: None,
        attachments: Vec::new(),
        account: String::new(),
        chat_title: None,
    }
}

fn message(m: &Message, me: &BotIdentity) -> Option<Inbound> {
    let chat = address(&m.chat)?;
    let from = m.from.as_ref()?;
    let id = message_ref(m.chat.id.0, m.id.0);
    if let Some(new) = m.migrate_to_chat_id() {
        return Some(event(InboundKind::Migrated { new_id: new.0.to_string() }, chat, sender(from), id, String::new()));
    }
    if from.id.0 == me.id || from.is_bot {
        return None;
    }
    // A file without a caption is a message with no text (the file comes with it).
    let file_only = (m.document().is_some() || m.photo().is_some()).then_some("");
    let text = strip_bot_mention(m.text().or_else(|| m.caption()).or(file_only)?, &me.username)?;
    let mut ev = event(InboundKind::Message, chat, sender(from), id, text);
    ev.in_reply_to = m.reply_to_message().map(|r| message_ref(r.chat.id.0, r.id.0));
    ev.chat_title = m.chat.title().map(str::to_owned);
    Some(ev)
}

/// A person changed their message: the new text, naming the original; the
/// edit's own id carries its time, so each edit is told apart and the same
/// edit offered twice is one.
fn edited(m: &Message, me: &BotIdentity) -> Option<Inbound> {
    let mut ev = message(m, me)?;
    if ev.kind != InboundKind::Message {
        return None;
    }
    let at = m.edit_date().map_or(0, |d| d.timestamp());
    ev.kind = InboundKind::Edited { original: ev.message_id.clone() };
    ev.message_id = format!("{}@{at}", ev.message_id);
    ev.in_reply_to = None;
    Some(ev)
}

/// `/cmd@thisbot args` becomes `/cmd args`; a command for another bot is
/// not ours (None); anything else is kept as it is.
pub fn strip_bot_mention(text: &str, username: &str) -> Option<String> {
    let Some(rest) = text.strip_prefix('/') else { return Some(text.to_owned()) };
    let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
    let Some((cmd, bot)) = rest[..end].split_once('@') else { return Some(text.to_owned()) };
    if !bot.eq_ignore_ascii_case(username) {
        return None;
    }
    Some(format!("/{cmd}{}", &rest[end..]))
}

fn button(q: &CallbackQuery, me: &BotIdentity) -> Option<Inbound> {
    let data = q.data.clone()?;
    let on = q.message.as_ref()?;
    let chat = address(on.chat())?;
    if q.from.id.0 == me.id {
        return None;
    }
    let mut ev =
        event(InboundKind::Button { data }, chat, sender(&q.from), format!("callback:{}", q.id.0), String::new());
    ev.in_reply_to = Some(message_ref(on.chat().id.0, on.id().0));
    Some(ev)
}

fn membership(u: &ChatMemberUpdated, me: &BotIdentity) -> Option<Inbound> {
    if u.new_chat_member.user.id.0 != me.id {
        return None;
    }
    let gone = !u.new_chat_member.kind.is_present() && u.old_chat_member.kind.is_present();
    if !gone {
        return None;
    }
    let chat = address(&u.chat)?;
    let id = format!("member:{}:{}", u.chat.id.0, u.date.timestamp());
    Some(event(InboundKind::Removed, chat, sender(&u.from), id, String::new()))
}

#[cfg(test)]
#[path = "inbound_tests.rs"]
mod tests;
