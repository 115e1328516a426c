//! The sync loop: room messages, reactions, invites and removals become
//! [`Inbound`] events for the core.

use std::sync::Arc;
use std::time::Duration;

use matrix_sdk::config::SyncSettings;
use matrix_sdk::event_handler::EventHandlerDropGuard;
use matrix_sdk::media::{MediaFormat, MediaRequestParameters};
use matrix_sdk::ruma::api::error::ErrorKind;
use matrix_sdk::ruma::events::reaction::OriginalSyncReactionEvent;
use matrix_sdk::ruma::events::room::member::{MembershipState, OriginalSyncRoomMemberEvent, StrippedRoomMemberEvent};
use matrix_sdk::ruma::events::room::message::OriginalSyncRoomMessageEvent;
use matrix_sdk::ruma::serde::Raw;
use matrix_sdk::ruma::{OwnedUserId, UserId};
use matrix_sdk::{Client, Room, RoomState};
use tokio::sync::mpsc;
use treecast_wire::{
    shutdown_signalled, AdapterError, Attachment, ChatKind, Inbound, InboundEnvelope, Platform, Shutdown,
    MAX_FETCH_BYTES,
};

use crate::appservice::AppService;
use crate::convert::{self, RoomView};
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
                consider_invite(room, &inviter, &self.policy, self.appservice.clone());
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
        let appservice = self.appservice.clone();
        let invites = c.add_event_handler(move |ev: StrippedRoomMemberEvent, room: Room, client: Client| {
            let (policy, appservice) = (policy.clone(), appservice.clone());
            async move {
                if Some(ev.state_key.as_ref()) == client.user_id() && ev.content.membership == MembershipState::Invite {
                    consider_invite(room, &ev.sender, &policy, appservice);
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
/// With an application service, the join uses its token (not rate
/// limited); the next sync shows the room as joined either way.
fn consider_invite(room: Room, inviter: &UserId, policy: &InvitePolicy, appservice: Option<Arc<AppService>>) {
    let allowed = policy.allows(inviter.as_str());
    let inviter = inviter.to_owned();
    tokio::spawn(async move {
        if !allowed {
            tracing::info!(room = %room.room_id(), %inviter, "declining a matrix invite (not in matrix.invite_from)");
            let _ = room.leave().await;
            return;
        }
        let mut delay = Duration::from_millis(500);
        loop {
            let joined = match &appservice {
                Some(a) => a.join(room.room_id().as_str()).await,
                None => room.join().await.map_err(|e| e.to_string()),
            };
            let Err(e) = joined else { break };
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

/// What the conversion needs to know about `room`.
async fn view_of(room: &Room) -> RoomView {
    RoomView {
        own_user: room.own_user_id().to_string(),
        room_id: room.room_id().to_string(),
        joined: room.state() == RoomState::Joined,
        direct: room.is_direct().await.unwrap_or(false),
    }
}

/// Fills in the sender's display name in this room, when it has one.
async fn with_display_name(mut event: Inbound, room: &Room) -> Inbound {
    let Ok(sender) = UserId::parse(event.sender.id.as_str()) else { return event };
    if let Ok(Some(m)) = room.get_member_no_sync(&sender).await {
        event.sender.display_name = m.display_name().map(str::to_owned);
    }
    event
}

async fn message_inbound(ev: &OriginalSyncRoomMessageEvent, room: &Room) -> Option<Inbound> {
    let mut event = convert::message(ev, &view_of(room).await)?;
    if let Some(f) = convert::file_of(&ev.content.msgtype) {
        event.attachments.extend(fetch(room, &f).await);
    }
    Some(with_display_name(event, room).await)
}

/// A message's file, fetched (and decrypted in encrypted rooms) by the
/// client; one larger than the platforms' fetch limit is not fetched but
/// comes with its declared size, so the core refuses it by size. A failed
/// fetch is logged and the message goes on without it.
async fn fetch(room: &Room, f: &convert::FileRef<'_>) -> Option<Attachment> {
    if let Some(size) = f.size.filter(|s| *s > MAX_FETCH_BYTES) {
        return Some(Attachment::too_large(f.name, size));
    }
    let request = MediaRequestParameters { source: f.source.clone(), format: MediaFormat::File };
    match room.client().media().get_media_content(&request, false).await {
        Ok(data) if data.len() as u64 > MAX_FETCH_BYTES => Some(Attachment::too_large(f.name, data.len() as u64)),
        Ok(data) => Some(Attachment {
            name: f.name.to_owned(),
            content_type: f.mimetype.unwrap_or("application/octet-stream").to_owned(),
            data,
        }),
        Err(e) => {
            tracing::warn!(room = %room.room_id(), file = f.name, error = %e, "could not fetch a file from the homeserver");
            None
        }
    }
}

async fn reaction_inbound(raw: &Raw<OriginalSyncReactionEvent>, room: &Room) -> Option<Inbound> {
    let event = convert::reaction(raw, &view_of(room).await)?;
    Some(with_display_name(event, room).await)
}

async fn removal_inbound(ev: &OriginalSyncRoomMemberEvent, room: &Room) -> Option<Inbound> {
    let event = convert::removal(ev, &view_of(room).await)?;
    Some(with_display_name(event, room).await)
}
