//! The sync loop: room messages, reactions, invites and removals become
//! [`Inbound`] events for the core.

use std::time::Duration;

use matrix_sdk::config::SyncSettings;
use matrix_sdk::event_handler::EventHandlerDropGuard;
use matrix_sdk::ruma::api::error::ErrorKind;
use matrix_sdk::ruma::events::reaction::OriginalSyncReactionEvent;
use matrix_sdk::ruma::events::room::member::{MembershipState, OriginalSyncRoomMemberEvent, StrippedRoomMemberEvent};
use matrix_sdk::ruma::events::room::message::{
    sanitize::remove_plain_reply_fallback, MessageType, OriginalSyncRoomMessageEvent, Relation,
};
use matrix_sdk::ruma::serde::Raw;
use matrix_sdk::ruma::{OwnedUserId, UserId};
use matrix_sdk::{Client, Room, RoomState};
use tokio::sync::mpsc;
use treecast_wire::{
    shutdown_signalled, AdapterError, Address, ChatKind, Inbound, InboundEnvelope, InboundKind, Platform, Sender,
    Shutdown,
};

use crate::reaction::{self, Meaning};
use crate::settings::InvitePolicy;
use crate::MatrixAdapter;

impl MatrixAdapter {
    pub(crate) async fn run_inner(
        &self,
        inbound: mpsc::Sender<InboundEnvelope>,
        mut shutdown: Shutdown,
    ) -> Result<(), AdapterError> {
        let _guards = self.install_handlers(&inbound);
        for room in self.client.invited_rooms() {
            if let Some(inviter) = inviter_of(&room).await {
                consider_invite(room, &inviter, &self.policy);
            }
        }
        let settings = SyncSettings::default().timeout(self.settings.sync_timeout());
        let mut backoff = Duration::from_secs(1);
        loop {
            tokio::select! {
                _ = shutdown_signalled(&mut shutdown) => return Ok(()),
                result = self.client.sync_once(settings.clone()) => match result {
                    Ok(_) => backoff = Duration::from_secs(1),
                    Err(e) => {
                        if matches!(e.client_api_error_kind(), Some(ErrorKind::UnknownToken(_))) {
                            return Err(AdapterError::new(Platform::Matrix, format!(
                                "the homeserver no longer accepts the bot's session (logged out?); remove {} and log in again",
                                self.settings.store_dir.join("session.json").display()
                            )));
                        }
                        tracing::warn!(error = %e, "matrix sync failed; retrying in {backoff:?}");
                        tokio::select! {
                            _ = shutdown_signalled(&mut shutdown) => return Ok(()),
                            _ = tokio::time::sleep(backoff) => {}
                        }
                        backoff = (backoff * 2).min(Duration::from_secs(60));
                    }
                },
            }
        }
    }

    /// Registers the event handlers for one `run`; dropping the guards
    /// removes them again.
    fn install_handlers(&self, inbound: &mpsc::Sender<InboundEnvelope>) -> Vec<EventHandlerDropGuard> {
        let c = &self.client;
        let tx = inbound.clone();
        let dms = self.dms.clone();
        let messages = c.add_event_handler(move |ev: OriginalSyncRoomMessageEvent, room: Room| {
            let (tx, dms) = (tx.clone(), dms.clone());
            async move {
                if let Some(event) = message_inbound(&ev, &room).await {
                    if event.chat.kind == ChatKind::Direct {
                        dms.lock().await.insert(ev.sender.clone(), room.room_id().to_owned());
                    }
                    let _ = tx.send(InboundEnvelope::new(event)).await;
                }
            }
        });
        let tx = inbound.clone();
        // Raw: `reaction::read` checks the relation, which ruma does not.
        let reactions = c.add_event_handler(move |raw: Raw<OriginalSyncReactionEvent>, room: Room| {
            let tx = tx.clone();
            async move {
                if let Some(event) = reaction_inbound(&raw, &room).await {
                    let _ = tx.send(InboundEnvelope::new(event)).await;
                }
            }
        });
        let tx = inbound.clone();
        let removals = c.add_event_handler(move |ev: OriginalSyncRoomMemberEvent, room: Room| {
            let tx = tx.clone();
            async move {
                if let Some(event) = removal_inbound(&ev, &room).await {
                    let _ = tx.send(InboundEnvelope::new(event)).await;
                }
            }
        });
        let policy = self.policy.clone();
        let invites = c.add_event_handler(move |ev: StrippedRoomMemberEvent, room: Room, client: Client| {
            let policy = policy.clone();
            async move {
                if Some(ev.state_key.as_ref()) == client.user_id() && ev.content.membership == MembershipState::Invite {
                    consider_invite(room, &ev.sender, &policy);
                }
            }
        });
        [messages, reactions, removals, invites].into_iter().map(|h| c.event_handler_drop_guard(h)).collect()
    }
}

async fn inviter_of(room: &Room) -> Option<OwnedUserId> {
    let invite = room.invite_details().await.ok()?;
    invite.inviter.map(|m| m.user_id().to_owned())
}

/// Joins (in the background, retrying) or declines an invite by policy.
fn consider_invite(room: Room, inviter: &UserId, policy: &InvitePolicy) {
    let allowed = policy.allows(inviter.as_str());
    let inviter = inviter.to_owned();
    tokio::spawn(async move {
        if !allowed {
            tracing::info!(room = %room.room_id(), %inviter, "declining a matrix invite (not in matrix.invite_from)");
            let _ = room.leave().await;
            return;
        }
        let mut delay = Duration::from_millis(500);
        while let Err(e) = room.join().await {
            if delay > Duration::from_secs(300) {
                tracing::warn!(room = %room.room_id(), error = %e, "giving up joining a matrix room");
                return;
            }
            tokio::time::sleep(delay).await;
            delay *= 2;
        }
        tracing::info!(room = %room.room_id(), %inviter, "joined a matrix room on invite");
    });
}

/// Where an event in `room` happened, as the core names it: a DM is the
/// other person's address, any other room its id.
async fn chat_of(room: &Room, sender: &UserId) -> Address {
    if room.is_direct().await.unwrap_or(false) && sender != room.own_user_id() {
        Address::direct(Platform::Matrix, sender.as_str())
    } else {
        Address::group(Platform::Matrix, room.room_id().as_str())
    }
}

async fn base_inbound(room: &Room, sender: &UserId, event_id: &str, text: String) -> Inbound {
    let display_name = match room.get_member_no_sync(sender).await {
        Ok(Some(m)) => m.display_name().map(str::to_owned),
        _ => None,
    };
    Inbound {
        kind: InboundKind::Message,
        chat: chat_of(room, sender).await,
        sender: Sender { id: sender.to_string(), display_name, verified: true },
        message_id: event_id.to_owned(),
        text,
        in_reply_to: None,
        subject: String::new(),
        sent_to: None,
        attachments: Vec::new(),
    }
}

async fn message_inbound(ev: &OriginalSyncRoomMessageEvent, room: &Room) -> Option<Inbound> {
    if ev.sender == room.own_user_id() || room.state() != RoomState::Joined {
        return None;
    }
    let in_reply_to = match &ev.content.relates_to {
        Some(Relation::Replacement(_)) => return None, // an edit; the original already came
        Some(Relation::Reply(reply)) => Some(reply.in_reply_to.event_id.to_string()),
        Some(Relation::Thread(t)) => {
            Some(t.in_reply_to.as_ref().map(|r| &r.event_id).unwrap_or(&t.event_id).to_string())
        }
        _ => None,
    };
    let body = match &ev.content.msgtype {
        MessageType::Text(t) => &t.body,
        MessageType::Notice(n) => &n.body,
        MessageType::Emote(e) => &e.body,
        other => other.body(),
    };
    let text = strip_quotes(body, in_reply_to.is_some());
    let mut event = base_inbound(room, &ev.sender, ev.event_id.as_str(), text).await;
    event.in_reply_to = in_reply_to;
    Some(event)
}

async fn reaction_inbound(raw: &Raw<OriginalSyncReactionEvent>, room: &Room) -> Option<Inbound> {
    let reacted = reaction::read(raw)?;
    if reacted.sender == room.own_user_id() {
        return None;
    }
    let (kind, text, to) = match reacted.meaning {
        Meaning::Reaction { key, to } => (InboundKind::Reaction { key: key.clone() }, key, to),
        Meaning::Reply { text, to } => (InboundKind::Message, strip_quotes(&text, true), to),
    };
    let mut event = base_inbound(room, &reacted.sender, reacted.event_id.as_str(), text).await;
    event.kind = kind;
    event.in_reply_to = Some(to);
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

async fn removal_inbound(ev: &OriginalSyncRoomMemberEvent, room: &Room) -> Option<Inbound> {
    let me = room.own_user_id();
    if ev.state_key.as_str() != me.as_str() || ev.sender == me {
        return None;
    }
    let verb = match ev.content.membership {
        MembershipState::Leave => "removed",
        MembershipState::Ban => "banned",
        _ => return None,
    };
    let reason = ev.content.reason.clone().unwrap_or_default();
    let text = format!("{verb} by {}{}{reason}", ev.sender, if reason.is_empty() { "" } else { ": " });
    let mut event = base_inbound(room, &ev.sender, ev.event_id.as_str(), text).await;
    event.kind = InboundKind::Removed;
    event.chat = Address::group(Platform::Matrix, room.room_id().as_str());
    Some(event)
}

#[cfg(test)]
mod tests {
    use super::strip_quotes;

    #[test]
    fn reply_fallback_is_removed() {
        let body = "> <@bot:localhost> 关于开展团日活动的通知\n> 请各团支部按时参加。\n\n已收到，谢谢";
        assert_eq!(strip_quotes(body, true), "已收到，谢谢");
        assert_eq!(strip_quotes(body, false), "已收到，谢谢");
    }

    #[test]
    fn leading_quotes_in_a_reply_are_dropped_but_plain_text_is_kept() {
        assert_eq!(strip_quotes("> 原文\n收到", true), "收到");
        assert_eq!(strip_quotes("> 原文\n收到", false), "> 原文\n收到");
        assert_eq!(strip_quotes("!bind ABC123", false), "!bind ABC123");
        assert_eq!(strip_quotes("  /bind ABC123 \n", false), "/bind ABC123");
    }
}
