//! Delivering an [`Outbound`]: finding the room, rendering, sending with a
//! transaction id derived from the delivery id.

use matrix_sdk::ruma::api::error::ErrorKind;
use matrix_sdk::ruma::events::relation::{InReplyTo, Reply};
use matrix_sdk::ruma::events::room::member::MembershipState;
use matrix_sdk::ruma::events::room::message::{Relation, ReplacementMetadata, RoomMessageEventContent};
use matrix_sdk::ruma::{EventId, OwnedTransactionId, RoomId, UserId};
use matrix_sdk::{EncryptionState, Room, RoomState};
use treecast_wire::{Address, ChatKind, Delivered, DeliveryError, Outbound, OutboundKind, Platform};

use crate::appservice::AppService;
use crate::errors::classify;
use crate::render::{render, txn_id};
use crate::MatrixAdapter;

/// What a room's admins must grant the bot before it can brand the room.
pub const BRAND_RIGHT: &str = "请在房间设置中提高机器人的权限等级，使其可以修改房间头像和主题（m.room.avatar、m.room.topic，默认需要 50 版主）。 Raise the bot's power level in the room so it may change the room avatar and topic (m.room.avatar, m.room.topic; moderator, 50, by default).";

impl MatrixAdapter {
    pub(crate) async fn deliver_inner(&self, msg: &Outbound) -> Result<Delivered, DeliveryError> {
        let room = self.room_for(&msg.to).await?;
        let room_name = room.room_id().to_string();
        let reply_to = match &msg.in_reply_to {
            Some(id) => Some(
                EventId::parse(id)
                    .map_err(|_| DeliveryError::permanent(format!("in_reply_to `{id}` is not a Matrix event id")))?,
            ),
            None => None,
        };
        if msg.kind == OutboundKind::Brand {
            return self.brand(&room, msg).await;
        }
        if matches!(msg.kind, OutboundKind::Edit | OutboundKind::Delete) {
            let Some(target) = reply_to else {
                return Err(DeliveryError::permanent("no event to change: in_reply_to is empty"));
            };
            return self.revise(&room, msg, &target).await;
        }
        let service = self.service_for(&room).await?;
        let mut ids = Vec::new();
        for (i, part) in render(msg, self.user_id.as_str()).into_iter().enumerate() {
            let mut content = if part.notice {
                RoomMessageEventContent::notice_html(part.plain, part.html)
            } else {
                RoomMessageEventContent::text_html(part.plain, part.html)
            };
            if let (0, Some(event_id)) = (i, &reply_to) {
                content.relates_to = Some(Relation::Reply(Reply::new(InReplyTo::new(event_id.clone()))));
            }
            let txn = OwnedTransactionId::from(txn_id(&msg.id, i));
            if let Some(a) = service {
                let body = serde_json::to_value(&content)
                    .map_err(|e| DeliveryError::permanent(format!("cannot encode the message: {e}")))?;
                ids.push(a.send_message(&room_name, txn.as_str(), &body).await?);
                continue;
            }
            let sent = room.send(content).with_transaction_id(txn).await.map_err(|e| classify(&e, &room_name))?;
            ids.push(sent.response.event_id.to_string());
        }
        Ok(Delivered { message_ids: ids })
    }

    /// Sets the room's avatar (the first attachment, uploaded) and topic
    /// (the body). State events: setting them again is no change.
    async fn brand(&self, room: &Room, msg: &Outbound) -> Result<Delivered, DeliveryError> {
        let room_name = room.room_id().to_string();
        let refused = |e: matrix_sdk::Error| match e.client_api_error_kind() {
            Some(ErrorKind::Forbidden) => DeliveryError::permanent(BRAND_RIGHT),
            _ => classify(&e, &room_name),
        };
        if let Some(photo) = msg.attachments.first() {
            let mime: mime::Mime = photo.content_type.parse().unwrap_or(mime::IMAGE_PNG);
            room.upload_avatar(&mime, photo.data.clone(), None).await.map_err(refused)?;
        }
        room.set_room_topic(&msg.body).await.map_err(refused)?;
        Ok(Delivered { message_ids: Vec::new() })
    }

    /// Replaces (`m.replace`) or redacts the bot's event `target`, with the
    /// delivery id as transaction id (a retry is the same change). Sent as
    /// the bot's device user, the sender of every event it changes.
    async fn revise(&self, room: &Room, msg: &Outbound, target: &EventId) -> Result<Delivered, DeliveryError> {
        let room_name = room.room_id().to_string();
        let txn = OwnedTransactionId::from(txn_id(&msg.id, 0));
        if msg.kind == OutboundKind::Delete {
            let done = room.redact(target, None, Some(txn)).await;
            done.map_err(|e| classify(&matrix_sdk::Error::Http(Box::new(e)), &room_name))?;
            return Ok(Delivered { message_ids: Vec::new() });
        }
        let Some(part) = render(msg, self.user_id.as_str()).into_iter().next() else {
            return Err(DeliveryError::permanent("the message is empty"));
        };
        let content = RoomMessageEventContent::text_html(part.plain, part.html)
            .make_replacement(ReplacementMetadata::new(target.to_owned(), None));
        room.send(content).with_transaction_id(txn).await.map_err(|e| classify(&e, &room_name))?;
        // The original's id: replies and later edits name it, not the edit event.
        Ok(Delivered { message_ids: vec![target.to_string()] })
    }

    /// The application service to send into `room` with: only where the
    /// room is known not to be encrypted (never plaintext into an encrypted
    /// room). The state is asked of the server once per room if the sync has
    /// not told it yet; if it cannot be learned the send waits, since a
    /// retry must take the path its first try took (the homeserver keeps the
    /// service's transaction ids apart from the device's).
    async fn service_for(&self, room: &Room) -> Result<Option<&AppService>, DeliveryError> {
        let Some(a) = self.appservice.as_deref() else { return Ok(None) };
        match room.latest_encryption_state().await {
            Ok(EncryptionState::NotEncrypted) => Ok(Some(a)),
            Ok(_) => Ok(None),
            Err(e) => {
                Err(DeliveryError::transient(format!("cannot learn whether {} is encrypted: {e}", room.room_id())))
            }
        }
    }

    /// The joined room an address names; for `Direct`, the DM with that
    /// user, created (encrypted) when there is none.
    async fn room_for(&self, to: &Address) -> Result<Room, DeliveryError> {
        if to.platform != Platform::Matrix {
            return Err(DeliveryError::permanent(format!("{to} is not a Matrix address")));
        }
        match to.kind {
            ChatKind::Group => self.group_room(&to.id),
            ChatKind::Direct => self.direct_room(&to.id).await,
            ChatKind::List => Err(DeliveryError::permanent(format!("{to}: Matrix has no mailing lists"))),
        }
    }

    fn group_room(&self, id: &str) -> Result<Room, DeliveryError> {
        let room_id = RoomId::parse(id)
            .map_err(|_| DeliveryError::permanent(format!("`{id}` is not a Matrix room id like !abc:server")))?;
        let Some(room) = self.client.get_room(&room_id) else {
            return Err(DeliveryError::permanent(format!("the bot is not in room {id}")));
        };
        match room.state() {
            RoomState::Joined => Ok(room),
            RoomState::Invited => Err(DeliveryError::permanent(format!(
                "the bot is invited to {id} but has not joined (invite not allowed by matrix.invite_from?)"
            ))),
            RoomState::Banned => Err(DeliveryError::permanent(format!("the bot was banned from room {id}"))),
            _ => Err(DeliveryError::permanent(format!("the bot has left or was removed from room {id}"))),
        }
    }

    async fn direct_room(&self, id: &str) -> Result<Room, DeliveryError> {
        let user = UserId::parse(id)
            .map_err(|_| DeliveryError::permanent(format!("`{id}` is not a Matrix user id like @name:server")))?;
        if user == self.user_id {
            return Err(DeliveryError::permanent("the bot cannot send a direct message to itself"));
        }
        // One DM per person, even when several deliveries race to create it.
        let mut created = self.dms.lock().await;
        if let Some(room) = created.get(&user).and_then(|r| self.client.get_room(r)) {
            if room.state() == RoomState::Joined && member_is_present(&room, &user).await {
                return Ok(room);
            }
        }
        for room in self.client.get_dm_rooms(&user) {
            if member_is_present(&room, &user).await {
                created.insert(user.clone(), room.room_id().to_owned());
                return Ok(room);
            }
        }
        let room = self.client.create_dm(&user).await.map_err(|e| classify(&e, id))?;
        created.insert(user.clone(), room.room_id().to_owned());
        Ok(room)
    }
}

/// Whether `user` is joined or invited in `room` (as far as the store knows;
/// unknown counts as present).
async fn member_is_present(room: &Room, user: &UserId) -> bool {
    match room.get_member_no_sync(user).await {
        Ok(Some(m)) => matches!(m.membership(), MembershipState::Join | MembershipState::Invite),
        Ok(None) => true,
        Err(_) => true,
    }
}
