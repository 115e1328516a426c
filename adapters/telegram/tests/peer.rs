//! The Telegram adapter against the emulator (`scripts/peers/telegram.sh start`).
//! Each test uses its own bot token, so the emulator keeps their state apart.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use tokio::sync::{mpsc, watch};
use treecast_telegram::{parse_message_ref, Settings, TelegramAdapter};
use treecast_wire::conformance::{self, Harness};
use treecast_wire::{
    Adapter, Address, Button, ButtonAction, DeliveryError, Inbound, InboundEnvelope, InboundKind, LimitScope, Outbound,
    Outcome, Platform,
};

const NEEDS_PEER: &str = "needs the telegram peer: scripts/peers/telegram.sh start";
const STUDENT: i64 = 4242;

fn api_url() -> String {
    std::env::var("TREECAST_TEST_TELEGRAM_API")
        .unwrap_or_else(|_| panic!("TREECAST_TEST_TELEGRAM_API is not set; {NEEDS_PEER}"))
}

/// The emulator's control API, for one bot.
struct Peer {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Peer {
    fn new(name: &str) -> Peer {
        static N: AtomicU64 = AtomicU64::new(0);
        // A fresh bot per test and per run: the peer keeps state between runs.
        let millis = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as u64;
        let id = (millis % 10_000_000_000) * 100 + N.fetch_add(1, Ordering::Relaxed);
        Peer { http: reqwest::Client::new(), base: api_url(), token: format!("{id}:test-{name}") }
    }

    /// Sends a request to the emulator and returns its `result`, checking `ok`.
    async fn call(&self, what: &str, req: reqwest::RequestBuilder) -> Value {
        let r: Value = req.send().await.unwrap().json().await.unwrap();
        assert_eq!(r["ok"], json!(true), "{what} failed: {r}");
        r["result"].clone()
    }

    async fn post(&self, route: &str, mut body: Value) -> Value {
        body["token"] = json!(self.token);
        self.call(route, self.http.post(format!("{}/_control/{route}", self.base)).json(&body)).await
    }

    async fn get(&self, route: &str, query: &[(&str, String)]) -> Value {
        let mut q = vec![("token", self.token.clone())];
        q.extend(query.iter().cloned());
        self.call(route, self.http.get(format!("{}/_control/{route}", self.base)).query(&q)).await
    }

    /// A Bot API method called as the bot itself.
    async fn bot(&self, method: &str) -> Value {
        self.call(method, self.http.post(format!("{}/bot{}/{method}", self.base, self.token))).await
    }

    async fn adapter(&self) -> Arc<TelegramAdapter> {
        let settings = Settings { api_url: Some(self.base.clone()), poll_timeout_secs: 2, ..Settings::default() };
        Arc::new(TelegramAdapter::with_token(settings, self.token.clone()).await.expect("adapter against the peer"))
    }

    /// A group with the bot in it.
    async fn group(&self, id: i64) -> Address {
        self.post("group", json!({"chat_id": id, "title": "一班团支部"})).await;
        Address::group(Platform::Telegram, id.to_string())
    }

    /// The student's private chat, after they pressed Start.
    async fn direct(&self) -> Address {
        self.say(None, "/start", None).await;
        Address::direct(Platform::Telegram, STUDENT.to_string())
    }

    async fn say(&self, chat: Option<&Address>, text: &str, reply_to: Option<&str>) -> Value {
        let mut body = json!({"from": {"id": STUDENT, "first_name": "小明"}, "text": text});
        if let Some(c) = chat {
            body["chat_id"] = json!(c.id.parse::<i64>().unwrap());
        }
        if let Some((_, msg)) = reply_to.and_then(parse_message_ref) {
            body["reply_to_message_id"] = json!(msg);
        }
        self.post("message", body).await
    }

    /// What the bot sent to `chat`, as Telegram stores it.
    async fn sent(&self, chat: &Address) -> Vec<Value> {
        self.get("sent", &[("chat_id", chat.id.clone())]).await.as_array().cloned().unwrap_or_default()
    }
}

/// The conformance harness over the emulator.
struct TelegramHarness {
    peer: Peer,
    adapter: Arc<TelegramAdapter>,
    group: Address,
}

#[async_trait::async_trait]
impl Harness for TelegramHarness {
    fn adapter(&self) -> Arc<dyn Adapter> {
        self.adapter.clone()
    }
    async fn group(&self) -> Address {
        self.group.clone()
    }
    async fn direct(&self) -> Address {
        self.peer.direct().await
    }
    async fn seen_in(&self, chat: &Address) -> Vec<String> {
        self.peer.sent(chat).await.iter().map(|m| m["text"].as_str().unwrap_or_default().to_owned()).collect()
    }
    async fn user_says(&self, chat: &Address, text: &str, reply_to: Option<&str>) {
        self.peer.say(Some(chat).filter(|c| c.kind == treecast_wire::ChatKind::Group), text, reply_to).await;
    }
    fn dedupes(&self) -> bool {
        false // Telegram cannot tell a retried send from a new one
    }
}

fn notice(id: &str, to: &Address, body: &str) -> Outbound {
    let mut m = Outbound::reply(id, to.clone(), body);
    m.kind = treecast_wire::OutboundKind::Notice;
    m.title = Some("关于开展团日活动的通知".into());
    m.footer = Some("精彩微博团，青春心连心".into());
    m
}

/// Runs the adapter's receiver; returns the event channel and the stop switch.
fn run(
    adapter: &Arc<TelegramAdapter>,
) -> (mpsc::Receiver<InboundEnvelope>, watch::Sender<bool>, tokio::task::JoinHandle<()>) {
    let (tx, rx) = mpsc::channel(64);
    let (stop_tx, stop_rx) = watch::channel(false);
    let a = adapter.clone();
    let task = tokio::spawn(async move { a.run(tx, stop_rx).await.expect("run") });
    (rx, stop_tx, task)
}

/// The next event `want` accepts. Every message is committed as the core
/// would (the adapter offers an uncommitted one again); button presses are
/// left to the test, which answers them.
async fn next_event(rx: &mut mpsc::Receiver<InboundEnvelope>, want: impl Fn(&Inbound) -> bool) -> InboundEnvelope {
    loop {
        let mut env = raw_event(rx).await;
        if !matches!(env.event.kind, InboundKind::Button { .. }) {
            if let Some(c) = env.committed.take() {
                let _ = c.send(Outcome::Done);
            }
        }
        if want(&env.event) {
            return env;
        }
    }
}

async fn raw_event(rx: &mut mpsc::Receiver<InboundEnvelope>) -> InboundEnvelope {
    tokio::time::timeout(Duration::from_secs(15), rx.recv()).await.expect("event in time").expect("adapter running")
}

/// A message the core did not commit (its receipt dropped, as when the core
/// died first) comes again with the next poll; once committed, never again.
#[tokio::test]
#[ignore = "needs the telegram peer: scripts/peers/telegram.sh start"]
async fn a_message_the_core_did_not_commit_is_offered_again() {
    let peer = Peer::new("uncommitted");
    let group = peer.group(-2013).await;
    let adapter = peer.adapter().await;
    let (mut rx, stop, task) = run(&adapter);
    peer.say(Some(&group), "第一条", None).await;
    let first = raw_event(&mut rx).await;
    assert_eq!(first.event.text, "第一条");
    drop(first);
    let again = next_event(&mut rx, |_| true).await.event;
    assert_eq!(again.text, "第一条", "offered again");
    peer.say(Some(&group), "第二条", None).await;
    assert_eq!(next_event(&mut rx, |_| true).await.event.text, "第二条", "the first is not offered a third time");
    let _ = stop.send(true);
    task.await.unwrap();
}

#[tokio::test]
#[ignore = "needs the telegram peer: scripts/peers/telegram.sh start"]
async fn conformance_suite_passes() {
    let peer = Peer::new("conformance");
    let group = peer.group(-2001).await;
    let adapter = peer.adapter().await;
    let h = TelegramHarness { peer, adapter, group };
    conformance::run_all(&h).await;
}

#[tokio::test]
#[ignore = "needs the telegram peer: scripts/peers/telegram.sh start"]
async fn group_message_and_bind_command_arrive() {
    let peer = Peer::new("inbound");
    let group = peer.group(-2002).await;
    let adapter = peer.adapter().await;
    let (mut rx, stop, task) = run(&adapter);
    peer.say(Some(&group), "大家好", None).await;
    let bind = format!("/bind@{} ABC123", adapter.username());
    let said = peer.say(Some(&group), &bind, None).await;

    let hello = next_event(&mut rx, |e| e.text == "大家好").await.event;
    assert_eq!(hello.kind, InboundKind::Message);
    assert_eq!(hello.chat, group);
    assert_eq!(hello.sender.id, STUDENT.to_string());
    assert_eq!(hello.sender.display_name.as_deref(), Some("小明"));
    assert!(hello.sender.verified);
    let cmd = next_event(&mut rx, |e| e.text.starts_with("/bind")).await.event;
    assert_eq!(cmd.text, "/bind ABC123");
    assert_eq!(cmd.message_id, format!("-2002:{}", said["message"]["message_id"]));
    let _ = stop.send(true);
    task.await.unwrap();
}

#[tokio::test]
#[ignore = "needs the telegram peer: scripts/peers/telegram.sh start"]
async fn ack_button_press_arrives_and_is_answered() {
    let peer = Peer::new("button");
    let group = peer.group(-2003).await;
    let adapter = peer.adapter().await;
    let (mut rx, stop, task) = run(&adapter);
    let mut msg = notice("btn-1", &group, "请确认收到。");
    msg.buttons = vec![
        Button { label: "确认收到".into(), action: ButtonAction::Callback("ack:btn-1".into()) },
        Button { label: "私聊填写问卷".into(), action: ButtonAction::StartPrivate("survey-7".into()) },
    ];
    let done = adapter.deliver(&msg).await.expect("delivered");
    let (chat, id) = parse_message_ref(&done.message_ids[0]).unwrap();
    let sent = &peer.sent(&group).await[0];
    let deep = &sent["reply_markup"]["inline_keyboard"][1][0]["url"];
    assert_eq!(deep, &json!(format!("https://t.me/{}?start=survey-7", adapter.username())));

    peer.post("press", json!({"chat_id": chat, "message_id": id, "from": {"id": STUDENT}, "data": "ack:btn-1"})).await;
    let env = next_event(&mut rx, |e| matches!(e.kind, InboundKind::Button { .. })).await;
    assert_eq!(env.event.kind, InboundKind::Button { data: "ack:btn-1".into() });
    assert_eq!(env.event.in_reply_to.as_deref(), Some(done.message_ids[0].as_str()));
    assert_eq!(env.event.sender.id, STUDENT.to_string());
    env.committed.expect("a press waits for the core").send(Outcome::Done).unwrap();

    let mut answered = Value::Null;
    for _ in 0..50 {
        answered = peer.get("callbacks", &[]).await[0].clone();
        if answered["answered"] == json!(true) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(answered["answered"], json!(true), "{answered}");
    assert_eq!(answered["text"], json!("已确认收到 / Acknowledged"));
    let _ = stop.send(true);
    task.await.unwrap();
}

#[tokio::test]
#[ignore = "needs the telegram peer: scripts/peers/telegram.sh start"]
async fn injected_429_is_a_chat_rate_limit_then_next_try_succeeds() {
    let peer = Peer::new("ratelimit");
    let group = peer.group(-2004).await;
    let adapter = peer.adapter().await;
    peer.post("fail", json!({"method": "sendMessage", "count": 1, "status": 429, "retry_after": 2})).await;
    let msg = notice("rl-1", &group, "限流测试");
    match adapter.deliver(&msg).await {
        Err(DeliveryError::RateLimited { retry_after, scope, .. }) => {
            assert_eq!((retry_after, scope), (Duration::from_secs(2), LimitScope::Chat))
        }
        other => panic!("expected RateLimited with retry_after, got {other:?}"),
    }
    assert!(peer.sent(&group).await.is_empty());
    let done = adapter.deliver(&msg).await.expect("the retry succeeds");
    assert_eq!(done.message_ids.len(), 1);
    // A second retry in the same process does not post again.
    assert_eq!(adapter.deliver(&msg).await.unwrap(), done);
    assert_eq!(peer.sent(&group).await.len(), 1);
}

#[tokio::test]
#[ignore = "needs the telegram peer: scripts/peers/telegram.sh start"]
async fn long_chinese_notice_is_split_and_arrives_whole() {
    let peer = Peer::new("long");
    let group = peer.group(-2005).await;
    let adapter = peer.adapter().await;
    let body = format!("开头 <b>不是标签</b> & *_[原样]\n\n{}\n\n结尾", "青年志愿服务活动安排。".repeat(1000));
    let mut msg = notice("long-1", &group, &body);
    msg.buttons = vec![Button { label: "确认收到".into(), action: ButtonAction::Callback("ack:long-1".into()) }];
    let done = adapter.deliver(&msg).await.expect("long delivery");
    let sent = peer.sent(&group).await;
    assert_eq!(done.message_ids.len(), 3);
    assert_eq!(sent.len(), 3);
    let texts: Vec<&str> = sent.iter().map(|m| m["text"].as_str().unwrap()).collect();
    assert!(texts.iter().all(|t| t.encode_utf16().count() <= 4096));
    assert!(texts[0].starts_with("关于开展团日活动的通知\n\n开头 <b>不是标签</b> & *_[原样]"), "{}", &texts[0][..80]);
    assert_eq!(sent[0]["entities"][0]["type"], json!("bold"));
    assert!(texts[2].ends_with("结尾\n\n精彩微博团，青春心连心"));
    assert_eq!(texts.concat().matches("青年志愿服务活动安排。").count(), 1000);
    assert!(sent[0]["reply_markup"].is_null() && sent[1]["reply_markup"].is_null());
    assert_eq!(sent[2]["reply_markup"]["inline_keyboard"][0][0]["callback_data"], json!("ack:long-1"));
}

#[tokio::test]
#[ignore = "needs the telegram peer: scripts/peers/telegram.sh start"]
async fn reply_to_a_message_is_threaded() {
    let peer = Peer::new("thread");
    let group = peer.group(-2006).await;
    let adapter = peer.adapter().await;
    let said = peer.say(Some(&group), "请问怎么报名？", None).await;
    let mut msg = Outbound::reply("thr-1", group.clone(), "请私聊机器人报名。");
    msg.in_reply_to = Some(format!("-2006:{}", said["message"]["message_id"]));
    adapter.deliver(&msg).await.expect("reply delivered");
    let sent = peer.sent(&group).await;
    assert_eq!(sent[0]["reply_to_message"]["message_id"], said["message"]["message_id"]);
}

#[tokio::test]
#[ignore = "needs the telegram peer: scripts/peers/telegram.sh start"]
async fn unreachable_chats_are_permanent_and_moved_chats_are_moved() {
    let peer = Peer::new("gone");
    let adapter = peer.adapter().await;
    let stranger = Address::direct(Platform::Telegram, "999001");
    match adapter.deliver(&Outbound::reply("dm-1", stranger, "你好")).await {
        Err(DeliveryError::Permanent { reason }) => assert!(reason.contains("Start"), "{reason}"),
        other => panic!("DM to someone who never started the bot: {other:?}"),
    }
    let nowhere = Address::group(Platform::Telegram, "-2999");
    let err = adapter.deliver(&Outbound::reply("ng-1", nowhere, "你好")).await.unwrap_err();
    assert!(matches!(&err, DeliveryError::Permanent { reason } if reason.contains("chat not found")), "{err:?}");

    let kicked = peer.group(-2007).await;
    peer.post("kick", json!({"chat_id": -2007})).await;
    let err = adapter.deliver(&Outbound::reply("k-1", kicked, "你好")).await.unwrap_err();
    assert!(matches!(&err, DeliveryError::Permanent { reason } if reason.contains("removed")), "{err:?}");

    let old = peer.group(-2008).await;
    let moved = peer.post("migrate", json!({"chat_id": -2008})).await;
    let err = adapter.deliver(&Outbound::reply("m-1", old, "你好")).await.unwrap_err();
    assert_eq!(err, DeliveryError::Moved { new_id: moved["new_chat_id"].to_string() });
    let new = Address::group(Platform::Telegram, moved["new_chat_id"].to_string());
    adapter.deliver(&Outbound::reply("m-1", new, "你好")).await.expect("delivered at the new id");
}

#[tokio::test]
#[ignore = "needs the telegram peer: scripts/peers/telegram.sh start"]
async fn kicked_and_migrated_updates_map_to_removed_and_migrated() {
    let peer = Peer::new("membership");
    let kicked = peer.group(-2009).await;
    let old = peer.group(-2010).await;
    let adapter = peer.adapter().await;
    let (mut rx, stop, task) = run(&adapter);
    peer.post("kick", json!({"chat_id": -2009})).await;
    let moved = peer.post("migrate", json!({"chat_id": -2010})).await;

    let removed = next_event(&mut rx, |e| e.kind == InboundKind::Removed).await.event;
    assert_eq!(removed.chat, kicked);
    let migrated = next_event(&mut rx, |e| matches!(e.kind, InboundKind::Migrated { .. })).await.event;
    assert_eq!(migrated.chat, old);
    assert_eq!(migrated.kind, InboundKind::Migrated { new_id: moved["new_chat_id"].to_string() });
    let _ = stop.send(true);
    task.await.unwrap();
}

#[tokio::test]
#[ignore = "needs the telegram peer: scripts/peers/telegram.sh start"]
async fn webhook_mode_receives_updates() {
    let peer = Peer::new("webhook");
    let group = peer.group(-2011).await;
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let settings = Settings {
        api_url: Some(peer.base.clone()),
        mode: treecast_telegram::Mode::Webhook,
        webhook_listen: Some(format!("127.0.0.1:{port}").parse().unwrap()),
        webhook_url: Some(format!("http://127.0.0.1:{port}/telegram")),
        ..Settings::default()
    };
    let adapter = Arc::new(TelegramAdapter::with_token(settings, peer.token.clone()).await.unwrap());
    let (mut rx, stop, task) = run(&adapter);
    let mut info = Value::Null;
    for _ in 0..50 {
        info = peer.bot("getWebhookInfo").await;
        if info["url"] != json!("") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(info["url"], json!(format!("http://127.0.0.1:{port}/telegram")));
    peer.say(Some(&group), "/bind ABC123", None).await;
    let got = next_event(&mut rx, |e| e.text.starts_with("/bind")).await.event;
    assert_eq!(got.chat, group);
    let _ = stop.send(true);
    task.await.unwrap();
    assert_eq!(peer.bot("getWebhookInfo").await["url"], json!(""), "the webhook is removed on shutdown");
}

#[tokio::test]
#[ignore = "needs the telegram peer: scripts/peers/telegram.sh start"]
async fn privacy_mode_still_shows_commands_and_replies_to_notices() {
    let peer = Peer::new("privacy");
    peer.post("bot", json!({"privacy": true})).await;
    let group = peer.group(-2012).await;
    let adapter = peer.adapter().await;
    let (mut rx, stop, task) = run(&adapter);
    let done = adapter.deliver(&notice("pv-1", &group, "周五团日活动。")).await.unwrap();
    peer.say(Some(&group), "闲聊，机器人看不到", None).await;
    peer.say(Some(&group), "收到，我们班参加", Some(&done.message_ids[0])).await;
    peer.say(Some(&group), "/bind ABC123", None).await;
    let reply = next_event(&mut rx, |_| true).await.event;
    assert_eq!(reply.text, "收到，我们班参加", "the chatter must not arrive");
    assert_eq!(reply.in_reply_to.as_deref(), Some(done.message_ids[0].as_str()));
    assert_eq!(next_event(&mut rx, |_| true).await.event.text, "/bind ABC123");
    let _ = stop.send(true);
    task.await.unwrap();
}

#[tokio::test]
#[ignore = "needs the telegram peer: scripts/peers/telegram.sh start"]
async fn blocked_bot_is_removed_and_permanent() {
    let peer = Peer::new("blocked");
    let dm = peer.direct().await;
    let adapter = peer.adapter().await;
    adapter.deliver(&Outbound::reply("b-1", dm.clone(), "问卷第一题")).await.expect("started chat works");
    let (mut rx, stop, task) = run(&adapter);
    peer.post("block", json!({"user_id": STUDENT})).await;
    let removed = next_event(&mut rx, |e| e.kind == InboundKind::Removed).await.event;
    assert_eq!(removed.chat, dm);
    let err = adapter.deliver(&Outbound::reply("b-2", dm, "问卷第二题")).await.unwrap_err();
    assert!(matches!(&err, DeliveryError::Permanent { reason } if reason.contains("blocked")), "{err:?}");
    let _ = stop.send(true);
    task.await.unwrap();
}

#[tokio::test]
#[ignore = "needs the telegram peer: scripts/peers/telegram.sh start"]
async fn retry_after_a_failed_part_posts_only_the_rest() {
    let peer = Peer::new("partial");
    let group = peer.group(-2013).await;
    let adapter = peer.adapter().await;
    let body = "青年志愿服务活动安排。".repeat(1000);
    let msg = notice("part-1", &group, &body);
    peer.post(
        "fail",
        json!({"method": "sendMessage", "token": peer.token, "skip": 1, "status": 429, "retry_after": 1}),
    )
    .await;
    assert!(adapter.deliver(&msg).await.unwrap_err().is_transient());
    assert_eq!(peer.sent(&group).await.len(), 1, "the first part went out");
    let done = adapter.deliver(&msg).await.expect("the retry finishes");
    let sent = peer.sent(&group).await;
    assert_eq!(sent.len(), 3, "no part posted twice");
    let ids: Vec<String> = sent.iter().map(|m| format!("-2013:{}", m["message_id"])).collect();
    assert_eq!(done.message_ids, ids);
}

/// A document sent in a private chat, with a command as its caption, arrives
/// with the caption as its text and the file's bytes (getFile, then the
/// download); one without a caption arrives with empty text.
#[tokio::test]
#[ignore = "needs the telegram peer: scripts/peers/telegram.sh start"]
async fn a_document_arrives_with_its_bytes_and_caption() {
    use base64::Engine;
    let peer = Peer::new("document");
    let adapter = peer.adapter().await;
    let (mut rx, stop, task) = run(&adapter);
    let data: Vec<u8> = "编号,姓名\n1,李明\n".bytes().chain((0..40_000u32).map(|i| (i % 253) as u8)).collect();
    let document = json!({
        "file_name": "团员名单.xlsx",
        "mime_type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "base64": base64::engine::general_purpose::STANDARD.encode(&data),
    });
    let from = json!({"id": STUDENT, "first_name": "小明"});
    peer.post("message", json!({"from": from, "text": "/msg 43 见附件", "document": document})).await;
    let got = next_event(&mut rx, |e| e.text == "/msg 43 见附件").await.event;
    assert_eq!(got.chat, Address::direct(Platform::Telegram, STUDENT.to_string()));
    assert_eq!(got.attachments.len(), 1);
    let a = &got.attachments[0];
    assert_eq!(a.name, "团员名单.xlsx");
    assert_eq!(a.content_type, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
    assert!(a.data == data, "the bytes as sent ({} received, {} sent)", a.data.len(), data.len());
    peer.post("message", json!({"from": from, "document": {"file_name": "照片.zip", "base64": "UEsDBA=="}})).await;
    let bare = next_event(&mut rx, |e| e.attachments.iter().any(|a| a.name == "照片.zip")).await.event;
    assert_eq!((bare.text.as_str(), bare.attachments[0].data.as_slice()), ("", &b"PK\x03\x04"[..]));
    let _ = stop.send(true);
    task.await.unwrap();
}

/// The emblem and description go on the group as members see them; a bot
/// without "Change Group Info" gets a permanent failure naming that right.
#[tokio::test]
#[ignore = "needs the telegram peer: scripts/peers/telegram.sh start"]
async fn a_group_is_branded_and_a_missing_right_is_named() {
    let peer = Peer::new("brand");
    let group = peer.group(-2010).await;
    let adapter = peer.adapter().await;
    let png = b"\x89PNG\r\n\x1a\n emblem bytes".to_vec();
    let mut m = Outbound::reply(
        "brand-1",
        group.clone(),
        "湖南大学团委 · 计算机2023级1班团支部（团支部）\n精彩微博团，青春心连心",
    );
    m.kind = treecast_wire::OutboundKind::Brand;
    m.attachments = vec![treecast_wire::Attachment {
        name: "emblem.png".into(),
        content_type: "image/png".into(),
        data: png.clone(),
    }]
    .into();
    adapter.deliver(&m).await.expect("branded");
    let chat = peer.get("chat", &[("chat_id", group.id.clone())]).await;
    assert_eq!(chat["description"], json!(&*m.body));
    assert_eq!(chat["photo"]["size"], json!(png.len()));
    let hex: String = png.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(chat["photo"]["hex"], json!(hex), "the emblem's very bytes");
    // The same again: no change, no error.
    let mut again = m.clone();
    again.id = "brand-2".into();
    adapter.deliver(&again).await.expect("branding again is no change");

    let other = Address::group(Platform::Telegram, "-2011");
    peer.post("group", json!({"chat_id": -2011, "title": "二班团支部", "can_change_info": false})).await;
    let mut m3 = m.clone();
    m3.id = "brand-3".into();
    m3.to = other;
    match adapter.deliver(&m3).await {
        Err(DeliveryError::Permanent { reason }) => {
            assert!(reason.contains("修改群组信息") && reason.contains("Change Group Info"), "{reason}")
        }
        other => panic!("expected a permanent failure naming the right, got {other:?}"),
    }
}
