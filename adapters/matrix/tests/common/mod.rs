//! Helpers for the tests against the matrix peer (scripts/peers/matrix.sh).

#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use matrix_sdk::config::SyncSettings;
use matrix_sdk::ruma::api::client::room::create_room::v3::{Request as CreateRoom, RoomPreset};
use matrix_sdk::ruma::events::reaction::ReactionEventContent;
use matrix_sdk::ruma::events::relation::{Annotation, InReplyTo, Reply};
use matrix_sdk::ruma::events::room::encryption::RoomEncryptionEventContent;
use matrix_sdk::ruma::events::room::member::{MembershipState, StrippedRoomMemberEvent};
use matrix_sdk::ruma::events::room::message::{OriginalSyncRoomMessageEvent, Relation, RoomMessageEventContent};
use matrix_sdk::ruma::events::InitialStateEvent;
use matrix_sdk::ruma::{OwnedEventId, OwnedRoomId, OwnedUserId, RoomId, UserId};
use matrix_sdk::{Client, Room, RoomState};
use tempfile::TempDir;
use tokio::sync::mpsc;
pub use treecast_matrix::{MatrixAdapter, Settings};
use treecast_wire::{Inbound, InboundEnvelope};

pub const IGNORE: &str = "needs the matrix peer: scripts/peers/matrix.sh start";

pub fn env_or(key: &str, default: &str) -> String {
    std::env::var(key).unwrap_or_else(|_| default.to_owned())
}

/// The peer with raised rate limits.
pub fn url() -> String {
    env_or("TREECAST_TEST_MATRIX_URL", "http://127.0.0.1:8008")
}

/// The peer with Synapse's shipped rate limits.
pub fn default_limits_url() -> String {
    env_or("TREECAST_TEST_MATRIX_DEFAULT_LIMITS_URL", "http://127.0.0.1:8009")
}

pub fn password(user: &str) -> String {
    let key = format!("TREECAST_TEST_MATRIX_{}_PASSWORD", user.to_uppercase());
    env_or(&key, &format!("{user}pass"))
}

pub fn uid(user: &str) -> OwnedUserId {
    UserId::parse(format!("@{user}:localhost")).unwrap()
}

pub fn unique(tag: &str) -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    format!("{tag}-{nanos}")
}

/// Bot settings for `homeserver` with a store in `dir`; the password comes
/// from the environment as in production.
pub fn bot_settings(homeserver: &str, dir: &TempDir) -> Settings {
    // Same value from every test thread; the adapter reads it only at login.
    std::env::set_var(treecast_matrix::ENV_PASSWORD, password("bot"));
    let mut s = Settings::new(homeserver, "@bot:localhost");
    s.store_dir = dir.path().join("matrix");
    s.sync_timeout_secs = 5;
    s
}

pub async fn bot(homeserver: &str, dir: &TempDir) -> MatrixAdapter {
    MatrixAdapter::connect(bot_settings(homeserver, dir)).await.expect("bot connects")
}

/// Runs `adapter` in the background; events arrive on the returned channel
/// and are confirmed as committed when `wait_for` or `drain` reads them.
pub struct Running {
    pub events: mpsc::Receiver<InboundEnvelope>,
    stop: tokio::sync::watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

pub fn run(adapter: Arc<MatrixAdapter>) -> Running {
    use treecast_wire::Adapter;
    let (tx, rx) = mpsc::channel(256);
    let (stop, stop_rx) = tokio::sync::watch::channel(false);
    let task = tokio::spawn(async move {
        adapter.run(tx, stop_rx).await.expect("run ends cleanly");
    });
    Running { events: rx, stop, task }
}

impl Running {
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }

    /// The next event that `pick` accepts, within `secs` seconds.
    pub async fn wait_for(&mut self, secs: u64, pick: impl Fn(&Inbound) -> bool) -> Inbound {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
        loop {
            let env = tokio::time::timeout_at(deadline, self.events.recv())
                .await
                .expect("the expected inbound event did not arrive in time")
                .expect("adapter stopped");
            let env = committed(env);
            if pick(&env.event) {
                return env.event;
            }
        }
    }

    /// Every event arriving within `secs` seconds.
    pub async fn drain(&mut self, secs: u64) -> Vec<Inbound> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
        let mut out = Vec::new();
        while let Ok(Some(env)) = tokio::time::timeout_at(deadline, self.events.recv()).await {
            out.push(committed(env).event);
        }
        out
    }
}

/// An event as the core takes it: its commit is confirmed, so the adapter
/// moves its read position past it (one left unconfirmed is offered again).
fn committed(mut env: InboundEnvelope) -> InboundEnvelope {
    if let Some(c) = env.committed.take() {
        let _ = c.send(treecast_wire::Outcome::Done);
    }
    env
}

/// A message a test user saw.
#[derive(Debug, Clone)]
pub struct Seen {
    pub event_id: OwnedEventId,
    pub sender: OwnedUserId,
    pub body: String,
}

/// A person on the other side: a full matrix-sdk client with its own
/// SQLite state and crypto store, syncing in the background, joining every
/// invite and recording every message it can read (decrypted).
pub struct User {
    pub client: Client,
    pub seen: Arc<Mutex<HashMap<OwnedRoomId, Vec<Seen>>>>,
    /// Events that arrived before their room key (the key comes by
    /// to-device message, possibly in a later sync); retried while waiting.
    undecrypted: Arc<Mutex<Vec<(OwnedRoomId, OwnedEventId)>>>,
    _dir: TempDir,
    sync: tokio::task::JoinHandle<()>,
}

impl Drop for User {
    fn drop(&mut self) {
        self.sync.abort();
    }
}

impl User {
    pub async fn login(homeserver: &str, name: &str) -> User {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_test_writer()
            .try_init();
        let dir = tempfile::tempdir().unwrap();
        let client = Client::builder()
            .homeserver_url(homeserver)
            .sqlite_store(dir.path().join("store"), None)
            .build()
            .await
            .unwrap();
        client
            .matrix_auth()
            .login_username(uid(name), &password(name))
            .initial_device_display_name("treecast test user")
            .send()
            .await
            .expect("test user logs in");
        // Two rounds: the device keys go up with the requests that follow
        // the first sync; a bot that looks the user up before that would
        // not share room keys with this device.
        for _ in 0..2 {
            client.sync_once(SyncSettings::default().timeout(Duration::ZERO)).await.unwrap();
        }
        tracing::info!(device = ?client.device_id(), user = name, "test user logged in");
        let seen: Arc<Mutex<HashMap<OwnedRoomId, Vec<Seen>>>> = Arc::default();
        let log = seen.clone();
        client.add_event_handler(move |ev: OriginalSyncRoomMessageEvent, room: Room| {
            let log = log.clone();
            async move {
                let s = Seen {
                    event_id: ev.event_id.clone(),
                    sender: ev.sender.clone(),
                    body: ev.content.body().to_owned(),
                };
                log.lock().unwrap().entry(room.room_id().to_owned()).or_default().push(s);
            }
        });
        let undecrypted: Arc<Mutex<Vec<(OwnedRoomId, OwnedEventId)>>> = Arc::default();
        let late = undecrypted.clone();
        client.add_event_handler(
            move |ev: matrix_sdk::ruma::events::room::encrypted::OriginalSyncRoomEncryptedEvent, room: Room| {
                let late = late.clone();
                async move {
                    tracing::info!(event = %ev.event_id, "test user has no key yet; will retry");
                    late.lock().unwrap().push((room.room_id().to_owned(), ev.event_id.clone()));
                }
            },
        );
        client.add_event_handler(|ev: StrippedRoomMemberEvent, room: Room, client: Client| async move {
            if Some(ev.state_key.as_ref()) == client.user_id() && ev.content.membership == MembershipState::Invite {
                tokio::spawn(async move {
                    for _ in 0..20 {
                        if room.join().await.is_ok() {
                            return;
                        }
                        tokio::time::sleep(Duration::from_millis(300)).await;
                    }
                });
            }
        });
        for room in client.invited_rooms() {
            let _ = room.join().await;
        }
        let c = client.clone();
        let sync = tokio::spawn(async move {
            let _ = c.sync(SyncSettings::default().timeout(Duration::from_secs(2))).await;
        });
        User { client, seen, undecrypted, _dir: dir, sync }
    }

    pub fn bodies(&self, room: &str) -> Vec<String> {
        let id = RoomId::parse(room).unwrap();
        self.seen.lock().unwrap().get(&id).map(|v| v.iter().map(|s| s.body.clone()).collect()).unwrap_or_default()
    }

    pub fn seen_in(&self, room: &str) -> Vec<Seen> {
        let id = RoomId::parse(room).unwrap();
        self.seen.lock().unwrap().get(&id).cloned().unwrap_or_default()
    }

    /// Waits until this user is joined to `room`.
    pub async fn joined(&self, room: &str) -> Room {
        let id = RoomId::parse(room).unwrap();
        for _ in 0..150 {
            if let Some(r) = self.client.get_room(&id) {
                if r.state() == RoomState::Joined {
                    return r;
                }
                if r.state() == RoomState::Invited {
                    let _ = r.join().await;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("{} did not join {room}", self.client.user_id().unwrap());
    }

    /// Posts `text` in `room`, as a reply to `reply_to` if given.
    pub async fn say(&self, room: &str, text: &str, reply_to: Option<&str>) -> OwnedEventId {
        let r = self.joined(room).await;
        let mut content = RoomMessageEventContent::text_plain(text);
        if let Some(id) = reply_to {
            let event_id = OwnedEventId::try_from(id).unwrap();
            content.relates_to = Some(Relation::Reply(Reply::new(InReplyTo::new(event_id))));
        }
        r.send(content).await.expect("user message is sent").response.event_id
    }

    pub async fn react(&self, room: &str, event_id: &str, key: &str) -> OwnedEventId {
        let r = self.joined(room).await;
        let annotation = Annotation::new(OwnedEventId::try_from(event_id).unwrap(), key.to_owned());
        r.send(ReactionEventContent::new(annotation)).await.expect("reaction is sent").response.event_id
    }

    /// Decrypts, now that their keys may have come, the events of `room`
    /// that arrived undecryptable, and records the messages among them.
    pub async fn retry_decryption(&self, room: &str) {
        let id = RoomId::parse(room).unwrap();
        let pending: Vec<OwnedEventId> =
            self.undecrypted.lock().unwrap().iter().filter(|(r, _)| *r == id).map(|(_, e)| e.clone()).collect();
        let Some(r) = self.client.get_room(&id) else { return };
        for event_id in pending {
            let Ok(ev) = r.event(&event_id, None).await else { continue };
            let Ok(json) = ev.raw().deserialize_as::<serde_json::Value>() else { continue };
            if json["type"] != "m.room.message" {
                continue;
            }
            let s = Seen {
                event_id: event_id.clone(),
                sender: UserId::parse(json["sender"].as_str().unwrap_or_default()).unwrap(),
                body: json["content"]["body"].as_str().unwrap_or_default().to_owned(),
            };
            self.seen.lock().unwrap().entry(id.clone()).or_default().push(s);
            self.undecrypted.lock().unwrap().retain(|(_, e)| *e != event_id);
        }
    }

    /// Waits until a message containing `needle` shows up in `room`.
    pub async fn wait_for_text(&self, room: &str, needle: &str, secs: u64) -> Seen {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
        loop {
            self.retry_decryption(room).await;
            if let Some(s) = self.seen_in(room).into_iter().find(|s| s.body.contains(needle)) {
                return s;
            }
            assert!(tokio::time::Instant::now() < deadline, "`{needle}` not seen in {room}: {:?}", self.bodies(room));
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// A room created by `creator` with `invite`d users, optionally encrypted.
pub async fn create_room(creator: &Client, invite: &[OwnedUserId], encrypted: bool) -> Room {
    let mut req = CreateRoom::new();
    req.invite = invite.to_vec();
    req.name = Some(unique("团支部"));
    req.preset = Some(RoomPreset::PrivateChat);
    if encrypted {
        req.initial_state =
            vec![InitialStateEvent::with_empty_state_key(RoomEncryptionEventContent::with_recommended_defaults())
                .to_raw_any()];
    }
    creator.create_room(req).await.expect("room is created")
}

/// Waits until the bot's store shows it joined to `room`.
pub async fn bot_joined(adapter: &MatrixAdapter, room: &RoomId, secs: u64) -> bool {
    for _ in 0..secs * 10 {
        if adapter.client().get_room(room).is_some_and(|r| r.state() == RoomState::Joined) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}
