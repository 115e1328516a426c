//! treecast's Matrix adapter: delivers notices and replies into rooms and
//! DMs through matrix-sdk, and turns room messages, reactions, invites and
//! removals into [`treecast_wire::Inbound`] events.
//!
//! The session, the sync token, the room state and the end-to-end crypto
//! keys live in [`Settings::store_dir`]; a restart restores them (same
//! device, no new login) and resumes syncing where it stopped.

mod appservice;
pub mod convert;
mod errors;
mod inbound;
mod outbound;
mod private_dir;
mod ratelimit;
mod reaction;
pub mod render;
mod session;
mod settings;

use std::collections::HashMap;
use std::sync::Arc;

use matrix_sdk::ruma::{OwnedRoomId, OwnedUserId};
use matrix_sdk::Client;
use tokio::sync::{mpsc, Mutex};
use treecast_wire::{
    Adapter, AdapterError, Capabilities, Delivered, DeliveryError, InboundEnvelope, Outbound, Platform, Shutdown,
};

pub use convert::{strip_quotes, RoomView};
pub use errors::{classify, classify_api};
pub use matrix_sdk;
pub use ratelimit::RateLimitInfo;
pub use settings::{InvitePolicy, Settings, ENV_ACCESS_TOKEN, ENV_AS_TOKEN, ENV_PASSWORD, ENV_STORE_PASSPHRASE};

/// What this adapter does on Matrix (`docs/adapters/matrix.md`).
pub const CAPABILITIES: Capabilities = Capabilities {
    // Matrix has no buttons: they are written out as "react ✅ or reply 收到".
    buttons: false,
    // `m.reaction` annotations come back as `InboundKind::Reaction`.
    reactions: true,
    subjects: false,
    // `m.in_reply_to` both ways (thread replies count as replies too).
    threads: true,
    // `StartPrivate` is written out as "send `!start <payload>` to @bot".
    deep_links: false,
    // `m.replace` edits and redactions, both ways.
    edits: true,
    // `Direct` opens (or reuses) an encrypted DM room.
    private_chats: true,
    max_message_chars: render::MAX_CHARS,
    // Synapse limits the bot's sends per second, not per room (`rc_message`).
    group_messages_per_minute: 0,
    // `m.room.avatar` and `m.room.topic` (the bot needs the power level to send them).
    branding: true,
};

/// The Matrix adapter. Cheap to share behind an `Arc`; `deliver` may run
/// concurrently with itself and with `run`.
pub struct MatrixAdapter {
    client: Client,
    settings: Settings,
    user_id: OwnedUserId,
    policy: InvitePolicy,
    /// The DM to use per person: the one they last wrote in, else one found
    /// or created by this process. (A person may have several DM rooms with
    /// the bot; answers go where they spoke.)
    dms: Arc<Mutex<HashMap<OwnedUserId, OwnedRoomId>>>,
    /// The message rate limit the homeserver applies to the bot, as learned at start.
    rate_limit: RateLimitInfo,
    /// The application service the bot is a user of, if configured.
    appservice: Option<Arc<appservice::AppService>>,
}

impl MatrixAdapter {
    /// Opens the store in `settings.store_dir`, restores the saved session
    /// or logs in (password or token from the environment), and on a new
    /// session runs a first sync whose history is not reported.
    pub async fn connect(settings: Settings) -> Result<Self, AdapterError> {
        let client = session::open(&settings).await?;
        let user_id = client
            .user_id()
            .ok_or_else(|| AdapterError::new(Platform::Matrix, "logged in but the client has no user id"))?
            .to_owned();
        let appservice = appservice::AppService::from_env(&settings.homeserver, &user_id).map(Arc::new);
        let rate_limit = ratelimit::learn(&client, &user_id, appservice.is_some()).await;
        Ok(MatrixAdapter {
            appservice,
            policy: settings.invite_policy(),
            client,
            settings,
            user_id,
            dms: Arc::new(Mutex::new(HashMap::new())),
            rate_limit,
        })
    }

    /// The bot's user id.
    pub fn user_id(&self) -> &str {
        self.user_id.as_str()
    }

    /// The bot's device id (stable across restarts).
    pub fn device_id(&self) -> Option<String> {
        self.client.device_id().map(|d| d.to_string())
    }

    /// The DM room this adapter uses for `user_id`, if it has one.
    pub async fn direct_room_id(&self, user_id: &str) -> Option<String> {
        let user = matrix_sdk::ruma::UserId::parse(user_id).ok()?;
        if let Some(room) = self.dms.lock().await.get(&user) {
            return Some(room.to_string());
        }
        self.client.get_dm_room(&user).map(|r| r.room_id().to_string())
    }

    /// The message rate limit the homeserver applies to the bot, as learned
    /// at start (see [`RateLimitInfo`]); the outbox may pace sends by it.
    pub fn rate_limit(&self) -> RateLimitInfo {
        self.rate_limit
    }

    /// The underlying matrix-sdk client (for tests and tools: creating
    /// rooms, admin calls).
    pub fn client(&self) -> &Client {
        &self.client
    }
}

#[async_trait::async_trait]
impl Adapter for MatrixAdapter {
    fn platform(&self) -> Platform {
        Platform::Matrix
    }

    fn capabilities(&self) -> Capabilities {
        CAPABILITIES
    }

    async fn deliver(&self, msg: &Outbound) -> Result<Delivered, DeliveryError> {
        self.deliver_inner(msg).await
    }

    async fn run(&self, inbound: mpsc::Sender<InboundEnvelope>, shutdown: Shutdown) -> Result<(), AdapterError> {
        self.run_inner(inbound, shutdown).await
    }
}
