//! People on Synapse: accounts of their own for this run (made through the
//! admin API by the peer's admin), each a full matrix-sdk client that syncs
//! in the background, joins invites and records the messages it can read.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};
use treecast_matrix::matrix_sdk::config::SyncSettings;
use treecast_matrix::matrix_sdk::deserialized_responses::TimelineEvent;
use treecast_matrix::matrix_sdk::reqwest;
use treecast_matrix::matrix_sdk::room::MessagesOptions;
use treecast_matrix::matrix_sdk::ruma::api::client::room::create_room::v3::{Request as CreateRoom, RoomPreset};
use treecast_matrix::matrix_sdk::ruma::events::reaction::ReactionEventContent;
use treecast_matrix::matrix_sdk::ruma::events::relation::Annotation;
use treecast_matrix::matrix_sdk::ruma::events::relation::{InReplyTo, Reply};
use treecast_matrix::matrix_sdk::ruma::events::room::encryption::RoomEncryptionEventContent;
use treecast_matrix::matrix_sdk::ruma::events::room::member::{MembershipState, StrippedRoomMemberEvent};
use treecast_matrix::matrix_sdk::ruma::events::room::message::{
    OriginalSyncRoomMessageEvent, Relation, RoomMessageEventContent,
};
use treecast_matrix::matrix_sdk::ruma::events::InitialStateEvent;
use treecast_matrix::matrix_sdk::ruma::{OwnedEventId, OwnedRoomId, OwnedUserId, RoomId, UserId};
use treecast_matrix::matrix_sdk::{Client, Room, RoomState};

use super::poll;

/// Creates `@name:localhost` with `password` through the admin API, logged
/// in as the peer's admin `bot` (password from `TREECAST_TEST_MATRIX_BOT_PASSWORD`).
pub async fn register(homeserver: &str, name: &str, password: &str, display: &str) -> OwnedUserId {
    let http = reqwest::Client::new();
    let call = |method: reqwest::Method, path: String, token: Option<String>, body: Value| {
        let mut req = http.request(method, format!("{homeserver}{path}")).header("content-type", "application/json");
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        let req = req.body(serde_json::to_vec(&body).unwrap());
        async move {
            let resp = req.send().await.unwrap_or_else(|e| panic!("synapse {path}: {e}"));
            let status = resp.status();
            let v: Value = serde_json::from_slice(&resp.bytes().await.unwrap()).unwrap_or(Value::Null);
            assert!(status.is_success(), "synapse {path}: {status} {v}");
            v
        }
    };
    let admin_pass = std::env::var("TREECAST_TEST_MATRIX_BOT_PASSWORD").unwrap_or_else(|_| "botpass".into());
    let login =
        json!({"type": "m.login.password", "identifier": {"type": "m.id.user", "user": "bot"}, "password": admin_pass});
    let token = call(reqwest::Method::POST, "/_matrix/client/v3/login".into(), None, login).await["access_token"]
        .as_str()
        .expect("the admin logs in")
        .to_owned();
    let user = format!("@{name}:localhost");
    let body = json!({"password": password, "admin": false, "displayname": display});
    call(reqwest::Method::PUT, format!("/_synapse/admin/v2/users/{user}"), Some(token.clone()), body).await;
    call(reqwest::Method::POST, "/_matrix/client/v3/logout".into(), Some(token), json!({})).await;
    UserId::parse(user).unwrap()
}

/// Messages others posted, per room: (event id, body), oldest first.
type Seen = Arc<Mutex<HashMap<OwnedRoomId, Vec<(OwnedEventId, String)>>>>;

/// A person's Matrix client.
pub struct User {
    pub client: Client,
    seen: Seen,
    sync: tokio::task::JoinHandle<()>,
    _dir: tempfile::TempDir,
}

impl Drop for User {
    fn drop(&mut self) {
        self.sync.abort();
    }
}

impl User {
    pub async fn login(homeserver: &str, user: &UserId, password: &str) -> User {
        let dir = tempfile::tempdir().unwrap();
        let client = Client::builder()
            .homeserver_url(homeserver)
            .sqlite_store(dir.path().join("store"), None)
            .build()
            .await
            .unwrap();
        client.matrix_auth().login_username(user, password).send().await.expect("a test user logs in");
        client.sync_once(SyncSettings::default().timeout(Duration::ZERO)).await.unwrap();
        let seen = Seen::default();
        let log = seen.clone();
        // Only what others post: the bot's notices, questions and answers.
        client.add_event_handler(move |ev: OriginalSyncRoomMessageEvent, room: Room| {
            let log = log.clone();
            async move {
                if ev.sender != room.own_user_id() {
                    let body = ev.content.body().to_owned();
                    log.lock().unwrap().entry(room.room_id().to_owned()).or_default().push((ev.event_id, body));
                }
            }
        });
        client.add_event_handler(|ev: StrippedRoomMemberEvent, room: Room, client: Client| async move {
            if Some(ev.state_key.as_ref()) == client.user_id() && ev.content.membership == MembershipState::Invite {
                let _ = room.join().await;
            }
        });
        let c = client.clone();
        // One sync after another, as the bot's adapter syncs: `Client::sync`
        // pauses a second after a sync that came back within a second of the
        // last, which can hold what a person sees back by up to a second.
        let sync = tokio::spawn(async move {
            let settings = SyncSettings::default().timeout(Duration::from_secs(2));
            loop {
                if c.sync_once(settings.clone()).await.is_err() {
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
            }
        });
        User { client, seen, sync, _dir: dir }
    }

    /// A private room named `name` with `invite`d people.
    pub async fn create_room(&self, name: &str, invite: &[OwnedUserId]) -> OwnedRoomId {
        let mut req = CreateRoom::new();
        req.invite = invite.to_vec();
        req.name = Some(name.to_owned());
        req.preset = Some(RoomPreset::PrivateChat);
        self.client.create_room(req).await.expect("a room is created").room_id().to_owned()
    }

    /// As `create_room`, encrypted (megolm) from its first event, as
    /// Element makes a private room.
    pub async fn create_encrypted_room(&self, name: &str, invite: &[OwnedUserId]) -> OwnedRoomId {
        let mut req = CreateRoom::new();
        req.invite = invite.to_vec();
        req.name = Some(name.to_owned());
        req.preset = Some(RoomPreset::PrivateChat);
        let encryption = RoomEncryptionEventContent::with_recommended_defaults();
        req.initial_state = vec![InitialStateEvent::with_empty_state_key(encryption).to_raw_any()];
        self.client.create_room(req).await.expect("an encrypted room is created").room_id().to_owned()
    }

    /// A direct chat with `with` (encrypted, as Element makes them).
    pub async fn create_dm(&self, with: &UserId) -> OwnedRoomId {
        self.client.create_dm(with).await.expect("a DM is created").room_id().to_owned()
    }

    async fn joined(&self, room: &RoomId) -> Room {
        let me = self.client.user_id().unwrap().to_owned();
        poll(&format!("{me} joined {room}"), Duration::from_secs(20), || async move {
            self.client.get_room(room).filter(|r| r.state() == RoomState::Joined)
        })
        .await
    }

    pub async fn say(&self, room: &RoomId, text: &str) {
        let r = self.joined(room).await;
        r.send(RoomMessageEventContent::text_plain(text)).await.expect("a message is sent");
    }

    /// Answers `to` in `room` as a Matrix reply (what Element sends when you press Reply).
    pub async fn reply(&self, room: &RoomId, to: &OwnedEventId, text: &str) {
        let r = self.joined(room).await;
        let mut content = RoomMessageEventContent::text_plain(text);
        content.relates_to = Some(Relation::Reply(Reply::new(InReplyTo::new(to.clone()))));
        r.send(content).await.expect("a reply is sent");
    }

    pub async fn react(&self, room: &RoomId, event: &OwnedEventId, key: &str) {
        let r = self.joined(room).await;
        r.send(ReactionEventContent::new(Annotation::new(event.clone(), key.to_owned())))
            .await
            .expect("a reaction is sent");
    }

    /// The last `limit` events of `room` as the server's timeline gives
    /// them (`/messages`), newest first: each as JSON (decrypted where this
    /// client holds the keys) and whether it came encrypted and was decrypted.
    pub async fn timeline(&self, room: &RoomId, limit: u32) -> Vec<(Value, bool)> {
        let r = self.joined(room).await;
        let mut options = MessagesOptions::backward();
        options.limit = limit.into();
        let page = r.messages(options).await.expect("the room's timeline");
        let json = |e: &TimelineEvent| serde_json::from_str(e.raw().json().get()).expect("an event is JSON");
        page.chunk.iter().map(|e| (json(e), e.encryption_info().is_some())).collect()
    }

    /// Messages others posted in `room`, oldest first: (event id, body).
    pub fn seen(&self, room: &RoomId) -> Vec<(OwnedEventId, String)> {
        self.seen.lock().unwrap().get(room).cloned().unwrap_or_default()
    }

    /// Waits for a message in `room` whose body `pick` accepts.
    pub async fn wait_for(&self, room: &RoomId, what: &str, pick: impl Fn(&str) -> bool) -> (OwnedEventId, String) {
        let pick = &pick;
        poll(what, Duration::from_secs(30), || async move { self.seen(room).into_iter().find(|(_, b)| pick(b)) }).await
    }

    /// Waits for the `n`th message (0-based) others posted in `room`.
    pub async fn nth(&self, room: &RoomId, n: usize, what: &str) -> String {
        poll(what, Duration::from_secs(30), || async move { self.seen(room).into_iter().nth(n).map(|(_, b)| b) }).await
    }
}
