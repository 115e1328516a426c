//! The matrix adapter against a real Synapse (scripts/peers/matrix.sh start).
//! Run with `cargo test -p treecast-matrix -- --include-ignored`.

#![recursion_limit = "256"]

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use matrix_sdk::ruma::api::client::message::get_message_events;
use matrix_sdk::ruma::api::client::room::get_room_event;
use matrix_sdk::ruma::{EventId, RoomId};
use tokio::sync::OnceCell;
use treecast_wire::conformance::{self, Harness};
use treecast_wire::{Adapter, Address, DeliveryError, InboundKind, LimitScope, Outbound, OutboundKind, Platform};

fn notice(to: Address, body: &str) -> Outbound {
    Outbound {
        kind: OutboundKind::Notice,
        title: Some("关于开展团日活动的通知".into()),
        footer: Some("精彩微博团，青春心连心".into()),
        ..Outbound::reply(unique("t"), to, body)
    }
}

// ---- (a) the conformance suite -------------------------------------------

struct MatrixHarness {
    adapter: Arc<MatrixAdapter>,
    user: User,
    group: OnceCell<String>,
}

#[async_trait::async_trait]
impl Harness for MatrixHarness {
    fn adapter(&self) -> Arc<dyn Adapter> {
        self.adapter.clone()
    }

    async fn group(&self) -> Address {
        let id = self
            .group
            .get_or_init(|| async {
                let room = create_room(self.adapter.client(), &[uid("student1")], false).await;
                self.user.joined(room.room_id().as_str()).await;
                room.room_id().to_string()
            })
            .await;
        Address::group(Platform::Matrix, id.clone())
    }

    async fn direct(&self) -> Address {
        Address::direct(Platform::Matrix, "@student1:localhost")
    }

    async fn seen_in(&self, chat: &Address) -> Vec<String> {
        match chat.kind {
            treecast_wire::ChatKind::Direct => match self.adapter.direct_room_id(&chat.id).await {
                Some(room) => {
                    self.user.retry_decryption(&room).await;
                    self.user.bodies(&room)
                }
                None => Vec::new(),
            },
            _ => self.user.bodies(&chat.id),
        }
    }

    async fn user_says(&self, chat: &Address, text: &str, reply_to: Option<&str>) {
        let room = match chat.kind {
            treecast_wire::ChatKind::Direct => self.adapter.direct_room_id(&chat.id).await.expect("a DM exists"),
            _ => chat.id.clone(),
        };
        self.user.say(&room, text, reply_to).await;
    }

    fn dedupes(&self) -> bool {
        true
    }

    fn patience(&self) -> Duration {
        Duration::from_secs(20)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the matrix peer: scripts/peers/matrix.sh start"]
async fn conformance_suite() {
    let dir = tempfile::tempdir().unwrap();
    // The user's new device first, so the bot's first key query sees it.
    let user = User::login(&url(), "student1").await;
    let adapter = Arc::new(bot(&url(), &dir).await);
    let h = MatrixHarness { adapter, user, group: OnceCell::new() };
    tokio::time::timeout(Duration::from_secs(180), conformance::run_all(&h)).await.expect("suite finishes in time");
}

// ---- (b) invites and binding ---------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the matrix peer: scripts/peers/matrix.sh start"]
async fn invite_from_known_user_is_joined_and_bind_arrives() {
    let dir = tempfile::tempdir().unwrap();
    let mut settings = bot_settings(&url(), &dir);
    settings.invite_from = vec!["@official:localhost".to_owned()];
    let adapter = Arc::new(MatrixAdapter::connect(settings).await.unwrap());
    let mut running = run(adapter.clone());
    let official = User::login(&url(), "official").await;
    let stranger = User::login(&url(), "student2").await;

    let room = create_room(&official.client, &[uid("bot")], false).await;
    let refused = create_room(&stranger.client, &[uid("bot")], false).await;
    assert!(bot_joined(&adapter, room.room_id(), 20).await, "the bot should join the official's room");

    official.say(room.room_id().as_str(), "!bind ABC123", None).await;
    let got = running.wait_for(20, |e| e.text == "!bind ABC123").await;
    assert_eq!(got.kind, InboundKind::Message);
    assert_eq!(got.chat, Address::group(Platform::Matrix, room.room_id().as_str()));
    assert_eq!(got.sender.id, "@official:localhost");
    assert!(got.sender.verified);
    assert!(got.message_id.starts_with('$'), "message id is the event id: {}", got.message_id);

    // The stranger's invite is declined, so the bot never joins.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let state = adapter.client().get_room(refused.room_id()).map(|r| r.state());
    assert_ne!(state, Some(matrix_sdk::RoomState::Joined), "invite from student2 must not be accepted");
    running.stop().await;
}

// ---- (c) reactions ---------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the matrix peer: scripts/peers/matrix.sh start"]
async fn reaction_to_a_notice_arrives_as_reaction() {
    let dir = tempfile::tempdir().unwrap();
    let adapter = Arc::new(bot(&url(), &dir).await);
    let user = User::login(&url(), "student1").await;
    let room = create_room(adapter.client(), &[uid("student1")], false).await;
    let room_id = room.room_id().to_string();
    user.joined(&room_id).await;
    let mut running = run(adapter.clone());

    let done = adapter.deliver(&notice(Address::group(Platform::Matrix, &room_id), &unique("请确认"))).await.unwrap();
    let notice_id = done.message_ids[0].clone();
    user.react(&room_id, &notice_id, "✅").await;
    let got = running.wait_for(20, |e| matches!(e.kind, InboundKind::Reaction { .. })).await;
    assert_eq!(got.kind, InboundKind::Reaction { key: "✅".into() });
    assert_eq!(got.in_reply_to.as_deref(), Some(notice_id.as_str()));
    assert_eq!(got.sender.id, "@student1:localhost");
    assert_eq!(got.chat, Address::group(Platform::Matrix, &room_id));

    // A reply to the notice names it too, without the quoted fallback.
    let reply = "> <@bot:localhost> 关于开展团日活动的通知\n\n收到";
    user.say(&room_id, reply, Some(&notice_id)).await;
    let got = running.wait_for(20, |e| e.kind == InboundKind::Message).await;
    assert_eq!(got.text, "收到");
    assert_eq!(got.in_reply_to.as_deref(), Some(notice_id.as_str()));
    running.stop().await;
}

// ---- (d) encryption --------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the matrix peer: scripts/peers/matrix.sh start"]
async fn encrypted_room_notice_is_readable_by_a_member() {
    let dir = tempfile::tempdir().unwrap();
    let adapter = Arc::new(bot(&url(), &dir).await);
    let user = User::login(&url(), "student1").await;
    // As in a deployment: a member creates the branch's encrypted room and
    // invites the bot, which joins by itself.
    let mut running = run(adapter.clone());
    let room = create_room(&user.client, &[uid("bot")], true).await;
    let room_id = room.room_id().to_string();
    assert!(bot_joined(&adapter, room.room_id(), 30).await, "the bot joins the encrypted room it is invited to");

    let marker = unique("加密通知");
    let done = adapter.deliver(&notice(Address::group(Platform::Matrix, &room_id), &marker)).await.unwrap();
    let seen = user.wait_for_text(&room_id, &marker, 30).await;
    assert_eq!(seen.event_id.as_str(), done.message_ids[0]);
    assert!(seen.body.contains("精彩微博团，青春心连心"));

    // On the wire the event is m.room.encrypted.
    let raw = user
        .client
        .send(get_room_event::v3::Request::new(
            RoomId::parse(&room_id).unwrap(),
            EventId::parse(&done.message_ids[0]).unwrap(),
        ))
        .await
        .unwrap();
    assert_eq!(raw.event.get_field::<String>("type").unwrap().as_deref(), Some("m.room.encrypted"));

    // And the bot reads the member's encrypted answer.
    user.say(&room_id, "收到，已转达", Some(&done.message_ids[0])).await;
    let got = running.wait_for(30, |e| e.text == "收到，已转达").await;
    assert_eq!(got.in_reply_to.as_deref(), Some(done.message_ids[0].as_str()));
    running.stop().await;
}

// ---- (e) restart -------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the matrix peer: scripts/peers/matrix.sh start"]
async fn restart_resumes_without_replay_or_loss() {
    let dir = tempfile::tempdir().unwrap();
    let user = User::login(&url(), "student1").await;
    let (room_id, device) = {
        let adapter = Arc::new(bot(&url(), &dir).await);
        let room = create_room(adapter.client(), &[uid("student1")], false).await;
        let room_id = room.room_id().to_string();
        user.joined(&room_id).await;
        let mut running = run(adapter.clone());
        user.say(&room_id, "before-restart", None).await;
        running.wait_for(20, |e| e.text == "before-restart").await;
        running.stop().await;
        (room_id, adapter.device_id())
    };
    let session_before = std::fs::read(dir.path().join("matrix/session.json")).unwrap();
    user.say(&room_id, "while-down-1", None).await;
    user.say(&room_id, "while-down-2", None).await;

    let adapter = Arc::new(MatrixAdapter::connect(bot_settings_without_password(&dir)).await.expect("restores"));
    assert_eq!(adapter.device_id(), device, "a restart keeps the device");
    assert_eq!(std::fs::read(dir.path().join("matrix/session.json")).unwrap(), session_before, "no new login");
    let mut running = run(adapter.clone());
    let events = running.drain(8).await;
    let texts: Vec<&str> = events.iter().map(|e| e.text.as_str()).collect();
    assert_eq!(texts.iter().filter(|t| **t == "while-down-1").count(), 1, "{texts:?}");
    assert_eq!(texts.iter().filter(|t| **t == "while-down-2").count(), 1, "{texts:?}");
    assert!(!texts.contains(&"before-restart"), "old message replayed: {texts:?}");
    running.stop().await;
}

/// A crash while the core commits a sync's events: the events are offered
/// again after the restart. The client itself stored that sync's token at
/// once, and drops a response ending at the token it holds, so the restart
/// must set its token back to treecast's read position first.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the matrix peer: scripts/peers/matrix.sh start"]
async fn an_event_the_core_never_committed_is_offered_again_after_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let user = User::login(&url(), "student1").await;
    let room_id = {
        let adapter = Arc::new(bot(&url(), &dir).await);
        let room = create_room(adapter.client(), &[uid("student1")], false).await;
        let room_id = room.room_id().to_string();
        user.joined(&room_id).await;
        let (tx, mut rx) = tokio::sync::mpsc::channel(256);
        let (_stop, stop_rx) = tokio::sync::watch::channel(false);
        let a = adapter.clone();
        let task = tokio::spawn(async move {
            let _ = a.run(tx, stop_rx).await;
        });
        user.say(&room_id, "committed", None).await;
        loop {
            let env = rx.recv().await.expect("adapter runs");
            let done = env.event.text == "committed";
            if let Some(c) = env.committed {
                let _ = c.send(treecast_wire::Outcome::Done);
            }
            if done {
                break;
            }
        }
        user.say(&room_id, "not-committed", None).await;
        let mut held = Vec::new(); // the core has them and never answers
        while !held.iter().any(|e: &treecast_wire::InboundEnvelope| e.event.text == "not-committed") {
            held.push(rx.recv().await.expect("adapter runs"));
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
        task.abort(); // the crash
        let _ = task.await;
        room_id
    };
    let adapter = Arc::new(MatrixAdapter::connect(bot_settings_without_password(&dir)).await.expect("restores"));
    let mut running = run(adapter.clone());
    let events = running.drain(6).await;
    let texts: Vec<&str> = events.iter().map(|e| e.text.as_str()).collect();
    assert_eq!(texts.iter().filter(|t| **t == "not-committed").count(), 1, "in {room_id}: {texts:?}");
    assert!(!texts.contains(&"committed"), "a committed event came again: {texts:?}");
    running.stop().await;
}

fn bot_settings_without_password(dir: &tempfile::TempDir) -> treecast_matrix::Settings {
    let mut s = treecast_matrix::Settings::new(url(), "@bot:localhost");
    s.store_dir = dir.path().join("matrix");
    s.sync_timeout_secs = 5;
    s
}

// ---- (f) Synapse's default rc_message --------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the matrix peer: scripts/peers/matrix.sh start"]
async fn default_rate_limit_is_honoured_and_nothing_is_posted_twice() {
    let dir = tempfile::tempdir().unwrap();
    let adapter = Arc::new(bot(&default_limits_url(), &dir).await);
    let room = create_room(adapter.client(), &[], false).await;
    let room_id = room.room_id().to_string();
    let to = Address::group(Platform::Matrix, &room_id);
    let run_tag = unique("限速");
    let mut transients = 0;
    let started = std::time::Instant::now();
    for i in 0..20 {
        let msg = Outbound { id: format!("{run_tag}-{i}"), ..notice(to.clone(), &format!("{run_tag} 第{i}条")) };
        loop {
            match adapter.deliver(&msg).await {
                Ok(_) => break,
                Err(DeliveryError::RateLimited { retry_after: wait, scope, reason }) => {
                    transients += 1;
                    assert_eq!(scope, LimitScope::Account, "Synapse's rc_message is per user");
                    assert!(wait <= Duration::from_secs(60), "{reason}: {wait:?}");
                    tokio::time::sleep(wait).await;
                }
                Err(e) => panic!("unexpected failure: {e}"),
            }
        }
    }
    eprintln!("20 deliveries in {:?} with {transients} rate-limit answers", started.elapsed());
    assert!(transients > 0, "the default limit (burst 10) must have answered M_LIMIT_EXCEEDED");

    let mut req = get_message_events::v3::Request::backward(RoomId::parse(&room_id).unwrap());
    req.limit = 100u32.into();
    let resp = adapter.client().send(req).await.unwrap();
    let bodies: Vec<String> = resp
        .chunk
        .iter()
        .filter_map(|e| e.get_field::<serde_json::Value>("content").ok().flatten())
        .filter_map(|c| c.get("body").and_then(|b| b.as_str()).map(str::to_owned))
        .collect();
    for i in 0..20 {
        let needle = format!("{run_tag} 第{i}条");
        assert_eq!(bodies.iter().filter(|b| b.contains(&needle)).count(), 1, "message {i} not exactly once");
    }
}

// ---- direct messages in, and removal -----------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the matrix peer: scripts/peers/matrix.sh start"]
async fn student_dm_is_direct_and_kick_is_removed() {
    let dir = tempfile::tempdir().unwrap();
    let adapter = Arc::new(bot(&url(), &dir).await);
    let mut running = run(adapter.clone());
    let student = User::login(&url(), "student2").await;

    // The student opens an encrypted DM with the bot and starts a survey.
    let dm = student.client.create_dm(&uid("bot")).await.unwrap();
    assert!(bot_joined(&adapter, dm.room_id(), 20).await, "the bot joins the student's DM");
    student.say(dm.room_id().as_str(), "/start survey-1", None).await;
    let got = running.wait_for(30, |e| e.text == "/start survey-1").await;
    assert_eq!(got.chat, Address::direct(Platform::Matrix, "@student2:localhost"));
    assert_eq!(got.sender.id, "@student2:localhost");

    // The answer to that address lands in the same room.
    let answer = unique("第1题");
    adapter.deliver(&Outbound::reply(unique("r"), got.chat.clone(), answer.as_str())).await.unwrap();
    student.wait_for_text(dm.room_id().as_str(), &answer, 30).await;

    // Kicked from a room: Removed.
    let room = create_room(&student.client, &[uid("bot")], false).await;
    assert!(bot_joined(&adapter, room.room_id(), 20).await);
    let r = student.joined(room.room_id().as_str()).await;
    r.kick_user(&uid("bot"), Some("团支部已撤销")).await.unwrap();
    let got = running.wait_for(20, |e| e.kind == InboundKind::Removed).await;
    assert_eq!(got.chat, Address::group(Platform::Matrix, room.room_id().as_str()));
    assert!(got.text.contains("团支部已撤销"), "{}", got.text);
    running.stop().await;
}

/// A file sent in an encrypted DM with a caption arrives with the caption
/// as its text and the file's bytes, fetched and decrypted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the matrix peer: scripts/peers/matrix.sh start"]
async fn a_file_in_an_encrypted_dm_arrives_with_its_bytes_and_caption() {
    let dir = tempfile::tempdir().unwrap();
    let adapter = Arc::new(bot(&url(), &dir).await);
    let mut running = run(adapter.clone());
    let official = User::login(&url(), "student1").await;
    let dm = official.client.create_dm(&uid("bot")).await.unwrap();
    assert!(bot_joined(&adapter, dm.room_id(), 20).await, "the bot joins the DM");
    assert!(dm.latest_encryption_state().await.unwrap().is_encrypted(), "Element-style DMs are encrypted");
    let data: Vec<u8> = "编号,姓名\n1,李明\n".bytes().chain((0..50_000u32).map(|i| (i % 251) as u8)).collect();
    let caption = unique("/msg 43 见附件");
    let room = official.joined(dm.room_id().as_str()).await;
    let config = matrix_sdk::attachment::AttachmentConfig::new()
        .caption(Some(matrix_sdk::ruma::events::room::message::TextMessageEventContent::plain(&caption)));
    room.send_attachment("团员名单.csv", &mime::TEXT_CSV, data.clone(), config).await.expect("the file is sent");
    let got = running.wait_for(30, |e| e.text == caption).await;
    assert_eq!(got.chat, Address::direct(Platform::Matrix, "@student1:localhost"));
    assert_eq!(got.attachments.len(), 1, "{:?}", got.attachments.iter().map(|a| &a.name).collect::<Vec<_>>());
    let a = &got.attachments[0];
    assert_eq!((a.name.as_str(), a.content_type.as_str()), ("团员名单.csv", "text/csv"));
    assert!(a.data == data, "the bytes as sent ({} received, {} sent)", a.data.len(), data.len());
    running.stop().await;
}

// ---- (g) branding --------------------------------------------------------------

/// The emblem becomes the room avatar (its very bytes) and the description
/// the topic, as a member reads them; in a room where the bot has no power
/// to change them the failure names what to grant.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the matrix peer: scripts/peers/matrix.sh start"]
async fn a_room_is_branded_and_a_missing_power_level_is_named() {
    use matrix_sdk::media::{MediaFormat, MediaRequestParameters};
    use matrix_sdk::ruma::api::client::state::get_state_event_for_key;
    use matrix_sdk::ruma::events::room::MediaSource;
    use matrix_sdk::ruma::events::StateEventType;
    use matrix_sdk::ruma::OwnedMxcUri;

    let dir = tempfile::tempdir().unwrap();
    let adapter = Arc::new(bot(&url(), &dir).await);
    let user = User::login(&url(), "student1").await;
    let running = run(adapter.clone());
    // A member's encrypted room the bot is invited to (it joins while the rest runs).
    let theirs = create_room(&user.client, &[uid("bot")], true).await;
    // A room the bot created: it may change its state.
    let own = create_room(adapter.client(), &[], false).await;
    let room_id = own.room_id().to_owned();
    let emblem = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../../config/emblem.png")).unwrap();
    let to = Address::group(Platform::Matrix, room_id.as_str());
    let mut m = Outbound::reply("brand-1", to, "湖南大学团委（高校团委）\n精彩微博团，青春心连心");
    m.kind = OutboundKind::Brand;
    let png =
        treecast_wire::Attachment { name: "emblem.png".into(), content_type: "image/png".into(), data: emblem.clone() };
    m.attachments = vec![png].into();
    adapter.deliver(&m).await.expect("branded");
    // Read back from the homeserver, as any member's client would get them.
    let client = adapter.client().clone();
    let state = |kind: StateEventType| {
        let req = get_state_event_for_key::v3::Request::new(room_id.clone(), kind, String::new());
        let client = client.clone();
        async move {
            let raw = client.send(req).await.expect("the state event").event_or_content;
            serde_json::from_str::<serde_json::Value>(raw.get()).unwrap()
        }
    };
    let topic = state(StateEventType::RoomTopic).await;
    assert_eq!(topic["topic"].as_str(), Some(&*m.body), "{topic}");
    let avatar = state(StateEventType::RoomAvatar).await;
    let mxc: OwnedMxcUri = avatar["url"].as_str().expect("an avatar url").into();
    let request = MediaRequestParameters { source: MediaSource::Plain(mxc), format: MediaFormat::File };
    let bytes = user.client.media().get_media_content(&request, false).await.expect("the avatar downloads");
    assert_eq!(bytes, emblem, "the avatar is the emblem");

    // The member's encrypted room: the bot has no power to change it.
    assert!(bot_joined(&adapter, theirs.room_id(), 90).await, "the bot joins the member's room");
    let mut m2 = m.clone();
    m2.id = "brand-2".into();
    m2.to = Address::group(Platform::Matrix, theirs.room_id().as_str());
    match adapter.deliver(&m2).await {
        Err(DeliveryError::Permanent { reason }) => {
            assert!(reason.contains("权限等级") && reason.contains("power level"), "{reason}")
        }
        other => panic!("expected a permanent failure naming the power level, got {other:?}"),
    }
    running.stop().await;
}
