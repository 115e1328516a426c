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
use matrix_sdk::ruma::events::room::redaction::OriginalSyncRoomRedactionEvent;
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
        let pending = Pending::default();
        let _guards = self.install_handlers(&inbound, &pending);
        for room in self.client.invited_rooms() {
            if let Some(inviter) = inviter_of(&room).await {
                consider_invite(room, &inviter, &self.policy, self.appservice.clone());
            }
        }
        let settings = SyncSettings::default().timeout(self.settings.sync_timeout()).filter(timeline_filter().into());
        let position = self.settings.store_dir.join(SYNC_POSITION);
        let mut since = match saved_position(&self.settings.store_dir) {
            Some(token) => Some(token),
            None => self.first_position(&position).await,
        };
        let mut backoff = Duration::from_secs(1);
        loop {
            let request = match &since {
                Some(token) => settings.clone().token(token.clone()),
                None => settings.clone(),
            };
            let sync = self.client.sync_once(request);
            tokio::pin!(sync);
            let mut stopping = false;
            let result = tokio::select! {
                r = &mut sync => r,
                _ = shutdown_signalled(&mut shutdown) => {
                    // A sync whose events were handed out already is let
                    // finish (a little while), so its position is saved and
                    // a clean stop replays nothing.
                    if pending.lock().unwrap_or_else(|e| e.into_inner()).is_empty() {
                        return Ok(());
                    }
                    stopping = true;
                    match tokio::time::timeout(Duration::from_secs(10), &mut sync).await {
                        Ok(r) => r,
                        Err(_) => return Ok(()),
                    }
                }
            };
            {
                match result {
                    Ok(response) => {
                        backoff = Duration::from_secs(1);
                        // The handlers have run; the position moves on only
                        // once the core has committed what they sent, so a
                        // crash before that syncs those events again.
                        let sent = std::mem::take(&mut *pending.lock().unwrap_or_else(|e| e.into_inner()));
                        let mut committed = true;
                        for mut rx in sent {
                            // A commit not told within a while (the core is
                            // stopping): the position stays, the events come again.
                            let told = if stopping {
                                tokio::time::timeout(STOPPING_WAIT, rx).await
                            } else {
                                tokio::select! {
                                    // A commit already told wins over a stop
                                    // that came at the same moment (unbiased,
                                    // a clean stop replayed it now and then).
                                    biased;
                                    r = tokio::time::timeout(Duration::from_secs(600), &mut rx) => r,
                                    _ = shutdown_signalled(&mut shutdown) => {
                                        stopping = true;
                                        tokio::time::timeout(STOPPING_WAIT, &mut rx).await
                                    }
                                }
                            };
                            committed &= matches!(told, Ok(Ok(_)));
                            if !committed {
                                break;
                            }
                        }
                        if committed {
                            save_position(&position, &response.next_batch);
                            since = Some(response.next_batch);
                        }
                        if stopping {
                            return Ok(());
                        }
                    }
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
                }
            }
        }
    }

    /// Where a store without a saved position starts: the token the client
    /// holds now (the session's first sync, or where a version that kept no
    /// position stopped), saved at once. Syncing with no token would reuse
    /// the client's own, which moves on as soon as a sync is processed,
    /// before the core has committed its events: a crash then lost them.
    async fn first_position(&self, path: &std::path::Path) -> Option<String> {
        use matrix_sdk::store::{StateStoreDataKey, StateStoreDataValue};
        let held = self.client.state_store().get_kv_data(StateStoreDataKey::SyncToken).await;
        let token = held.ok().flatten().and_then(StateStoreDataValue::into_sync_token)?;
        save_position(path, &token);
        Some(token)
    }

    /// Registers the event handlers for one `run`; dropping the guards
    /// removes them again.
    fn install_handlers(
        &self,
        inbound: &mpsc::Sender<InboundEnvelope>,
        pending: &Pending,
    ) -> Vec<EventHandlerDropGuard> {
        let c = &self.client;
        let tx = inbound.clone();
        let dms = self.dms.clone();
        let waiting = pending.clone();
        let messages = c.add_event_handler(move |ev: OriginalSyncRoomMessageEvent, room: Room| {
            let (tx, dms, waiting) = (tx.clone(), dms.clone(), waiting.clone());
            async move {
                if let Some(event) = message_inbound(&ev, &room).await {
                    if event.chat.kind == ChatKind::Direct {
                        dms.lock().await.insert(ev.sender.clone(), room.room_id().to_owned());
                    }
                    send_committed(&tx, &waiting, event).await;
                }
            }
        });
        let tx = inbound.clone();
        // Raw: `reaction::read` checks the relation, which ruma does not.
        let waiting = pending.clone();
        let reactions = c.add_event_handler(move |raw: Raw<OriginalSyncReactionEvent>, room: Room| {
            let (tx, waiting) = (tx.clone(), waiting.clone());
            async move {
                if let Some(event) = reaction_inbound(&raw, &room).await {
                    send_committed(&tx, &waiting, event).await;
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
        let tx = inbound.clone();
        let waiting = pending.clone();
        let redactions = c.add_event_handler(move |ev: OriginalSyncRoomRedactionEvent, room: Room| {
            let (tx, waiting) = (tx.clone(), waiting.clone());
            async move {
                if let Some(event) = convert::redaction(&ev, &view_of(&room).await) {
                    send_committed(&tx, &waiting, with_display_name(event, &room).await).await;
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
        [messages, reactions, removals, redactions, invites]
            .into_iter()
            .map(|h| c.event_handler_drop_guard(h))
            .collect()
    }
}

/// How long a stopping adapter still waits for each commit of the sync it
/// handed out: a clean stop saves its position, a stuck core does not hold it.
const STOPPING_WAIT: Duration = Duration::from_secs(5);

/// Commits the core has yet to confirm for the current sync.
type Pending = Arc<std::sync::Mutex<Vec<tokio::sync::oneshot::Receiver<treecast_wire::Outcome>>>>;

/// The file (in the store directory) holding the sync token up to which
/// every event is committed: treecast's read position on Matrix.
const SYNC_POSITION: &str = "treecast-sync-position";

/// The read position saved in `store_dir`, if any.
pub(crate) fn saved_position(store_dir: &std::path::Path) -> Option<String> {
    let text = std::fs::read_to_string(store_dir.join(SYNC_POSITION)).ok()?;
    Some(text.trim().to_owned()).filter(|t| !t.is_empty())
}

/// Sends `event` to the core, keeping the receipt of its commit.
async fn send_committed(tx: &mpsc::Sender<InboundEnvelope>, pending: &Pending, event: Inbound) {
    let (envelope, committed) = InboundEnvelope::with_commit(event);
    pending.lock().unwrap_or_else(|e| e.into_inner()).push(committed);
    let _ = tx.send(envelope).await;
}

/// Writes the position whole (a new file renamed over the old), so a crash
/// leaves the old one or the new one.
fn save_position(path: &std::path::Path, token: &str) {
    let tmp = path.with_extension("new");
    let written = std::fs::write(&tmp, token).and_then(|_| std::fs::rename(&tmp, path));
    if let Err(e) = written {
        tracing::warn!(error = %e, path = %path.display(), "could not save the Matrix read position");
    }
}

/// Up to 100 events a room per sync, so a burst while treecast was down
/// comes whole after a restart (the server's default is 10).
fn timeline_filter() -> matrix_sdk::ruma::api::client::filter::FilterDefinition {
    use matrix_sdk::ruma::api::client::filter::{FilterDefinition, RoomEventFilter, RoomFilter};
    let mut timeline = RoomEventFilter::default();
    timeline.limit = Some(100u32.into());
    let mut room = RoomFilter::default();
    room.timeline = timeline;
    let mut f = FilterDefinition::default();
    f.room = room;
    f
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
    event.chat_title = room.name();
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
