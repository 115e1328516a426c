//! Bridge latency (issue 21) against the real peers: how long a message in
//! a bridged Telegram group takes to appear in the org's Matrix room, and
//! the other way, on the whole path (emulator -> `TelegramAdapter` -> the
//! gateway and the bridge's commit -> the outbox -> `MatrixAdapter` ->
//! Synapse -> a Matrix user's sync, and back).
//!
//! Telegram -> Matrix: from the return of the emulator's `POST
//! /_control/message` (李明 says a line in the group) to the copy's arrival
//! in the Matrix user's sync. Matrix -> Telegram: from the return of the
//! Matrix user's send to the copy being visible in the emulator's
//! `/_control/sent` (polled every 5 ms). N messages each way, one at a time.
//! Yardsticks from the same run, interleaved with it: the same platform
//! round trips without treecast: a user's group message to a bare bot
//! (long-polling `getUpdates`, answering with `sendMessage`) whose answer is
//! visible in `/_control/sent`, and one Matrix user's send to the other's sync.
//!
//! The messages go round PAIRS org chats (a Telegram group and a Matrix
//! room each) and a chat is not used again within 1.1 s, so the outbox's
//! per-chat pacing (1 a second) and the bridge's burst holding (15 a minute
//! into a Telegram group) stay out of the figures: they are limits, not latency.
//!
//! Needs the peers (`scripts/peers/telegram.sh start; scripts/peers/matrix.sh
//! start`, their env loaded). Run:
//! `cargo bench --features telegram,matrix --bench bridge [-- N [PAIRS]]`
//! (defaults 200 and max(20, N/12)); `BRIDGE_BENCH_ENCRYPTED=1` makes the
//! rooms encrypted (megolm).

// matrix-sdk's sync future, spawned by the scenario's Matrix users, is deep.
#![recursion_limit = "256"]

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tokio::sync::watch;
use treecast::app::App;
use treecast::config::Config;
use treecast::features::bridge::store::{put_switch, Switch};
use treecast::store::{Store, Writes};
use treecast::tree::{import, Tree};
use treecast_matrix::matrix_sdk::reqwest;
use treecast_matrix::matrix_sdk::ruma::events::room::message::OriginalSyncRoomMessageEvent;
use treecast_matrix::matrix_sdk::ruma::{OwnedRoomId, OwnedUserId};
use treecast_matrix::matrix_sdk::{Client, RoomState};
use treecast_matrix::MatrixAdapter;
use treecast_telegram::TelegramAdapter;
use treecast_wire::{Adapter, Address, Platform};

#[allow(dead_code)]
#[path = "../tests/scenario/matrix.rs"]
mod matrix;
#[allow(dead_code)]
#[path = "../tests/scenario/telegram.rs"]
mod telegram;

use telegram::{text, Emulator, TgUser};

const LI: TgUser = TgUser { id: 7001, name: "李明" };
/// A chat is used again only this long after its last copy.
const CHAT_REST: Duration = Duration::from_millis(1100);
/// How often `/_control/sent` is asked.
const SENT_POLL: Duration = Duration::from_millis(5);
const PATIENCE: Duration = Duration::from_secs(60);

#[path = "../tests/scenario/wait.rs"]
mod wait;
pub use wait::poll;

/// When each message body first reached a client's sync; a bridged copy
/// (`[李明 · Telegram] x`) is filed under its text `x`.
type Arrivals = Arc<Mutex<HashMap<String, Instant>>>;

fn record_arrivals(client: &Client) -> Arrivals {
    let arrivals = Arrivals::default();
    let log = arrivals.clone();
    client.add_event_handler(move |ev: OriginalSyncRoomMessageEvent| {
        let at = Instant::now();
        let log = log.clone();
        async move {
            let body = ev.content.body();
            let key = body.strip_prefix('[').and_then(|b| b.split_once("] ")).map_or(body, |(_, t)| t);
            log.lock().unwrap().entry(key.to_owned()).or_insert(at);
        }
    });
    arrivals
}

async fn arrived(arrivals: &Arrivals, key: &str) -> Instant {
    let deadline = Instant::now() + PATIENCE;
    loop {
        if let Some(at) = arrivals.lock().unwrap().get(key) {
            return *at;
        }
        assert!(Instant::now() < deadline, "{key:?} never reached the Matrix user");
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

/// When a message of the bot ending in `tail` was first seen in `chat`.
async fn sent(tg: &Emulator, chat: i64, tail: &str) -> Instant {
    let deadline = Instant::now() + PATIENCE;
    loop {
        if tg.sent(chat).await.iter().any(|m| text(m).ends_with(tail)) {
            return Instant::now();
        }
        assert!(Instant::now() < deadline, "{tail:?} never appeared in Telegram chat {chat}");
        tokio::time::sleep(SENT_POLL).await;
    }
}

/// The yardstick bot: long-polls `getUpdates` and answers every group
/// message with `echo <text>`, straight through the Bot API.
async fn echo_bot(api: String, token: String, mut stop: watch::Receiver<bool>) {
    let http = reqwest::Client::new();
    let call = |method: &str, body: Value| {
        let req = http
            .post(format!("{api}/bot{token}/{method}"))
            .header("content-type", "application/json")
            .body(serde_json::to_vec(&body).unwrap());
        async move {
            let bytes = req.send().await.expect("the emulator answers").bytes().await.unwrap();
            serde_json::from_slice::<Value>(&bytes).unwrap()["result"].clone()
        }
    };
    let mut offset = 0;
    loop {
        let updates = tokio::select! {
            _ = stop.changed() => return,
            u = call("getUpdates", json!({"offset": offset, "timeout": 10})) => u,
        };
        for u in updates.as_array().into_iter().flatten() {
            offset = offset.max(u["update_id"].as_i64().unwrap_or(0) + 1);
            let m = &u["message"];
            if let (Some(chat), Some(t)) = (m["chat"]["id"].as_i64(), m["text"].as_str()) {
                call("sendMessage", json!({"chat_id": chat, "text": format!("echo {t}")})).await;
            }
        }
    }
}

/// p50 / p95 / max in ms.
fn summary(name: &str, d: &mut [Duration]) -> String {
    d.sort();
    let at = |p: f64| d[((d.len() - 1) as f64 * p).round() as usize].as_secs_f64() * 1000.0;
    format!("{name:<48} p50 {:7.1} ms   p95 {:7.1} ms   max {:7.1} ms", at(0.5), at(0.95), at(1.0))
}

/// 湖南大学 with `n` class branches (codes 4143010532-001 ...).
fn tree_of(n: usize, db: &Path) -> Tree {
    let mut csv = "code,name,level,parent_code\nCN,共青团中央学校部,national,\n43,共青团湖南省委学校部,province,CN\n\
                   4143010532,湖南大学团委,school,43\n"
        .to_owned();
    for i in 1..=n {
        csv.push_str(&format!("4143010532-{i:03},计算机2023级{i}班团支部,branch,4143010532\n"));
    }
    let tree = Tree::new(Store::open(db).unwrap(), Config::default().levels()).unwrap();
    import::import_str(&tree, "bench", &csv, None).unwrap();
    tree
}

struct Pair {
    chat: i64,
    room: OwnedRoomId,
    rested: Instant,
}

fn main() {
    let args: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let n = args.first().copied().unwrap_or(200).max(1);
    let pairs = args.get(1).copied().unwrap_or(20.max(n.div_ceil(12)));
    let encrypted = std::env::var("BRIDGE_BENCH_ENCRYPTED").is_ok_and(|v| v == "1");
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    rt.block_on(run(n, pairs, encrypted));
}

async fn run(n: usize, pairs: usize, encrypted: bool) {
    let t0 = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let run = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as u64;
    let api = std::env::var("TREECAST_TEST_TELEGRAM_API")
        .expect("TREECAST_TEST_TELEGRAM_API (scripts/peers/telegram.sh env)");
    let hs = std::env::var("TREECAST_TEST_MATRIX_URL").unwrap_or_else(|_| "http://127.0.0.1:8008".into());

    // Telegram: treecast's bot and the yardstick's, both in every group.
    let tg = Emulator::new(api.clone(), run);
    let yard = Emulator::new(api.clone(), run + 1);
    tg.privacy(false).await;
    yard.privacy(false).await;
    let chats: Vec<i64> =
        (0..pairs).map(|i| -(1_000_000_000_000 + (run % 10_000_000) as i64 * 100 + i as i64)).collect();
    for (i, c) in chats.iter().enumerate() {
        tg.group(*c, &format!("{}班团支部", i + 1)).await;
        yard.group(*c, &format!("{}班团支部", i + 1)).await;
    }

    // Matrix: the bot, 赵敏 (who writes and reads in the rooms) and 王芳 (the yardstick's other end).
    let pw = format!("pw{run}");
    let bot = matrix::register(&hs, &format!("treecast-bench-{run}"), &pw, "团委通知").await;
    let zhao_id = matrix::register(&hs, &format!("zhao-bench-{run}"), &pw, "赵敏").await;
    let wang_id = matrix::register(&hs, &format!("wang-bench-{run}"), &pw, "王芳").await;
    let zhao = matrix::User::login(&hs, &zhao_id, &pw).await;
    let wang = matrix::User::login(&hs, &wang_id, &pw).await;
    let arrivals = record_arrivals(&zhao.client);

    std::env::set_var(treecast_telegram::TOKEN_ENV, &tg.token);
    std::env::set_var(treecast_matrix::ENV_PASSWORD, &pw);
    let tg_settings =
        treecast_telegram::Settings { api_url: Some(api.clone()), poll_timeout_secs: 10, ..Default::default() };
    let telegram = TelegramAdapter::new(tg_settings).await.expect("telegram adapter");
    let mut mx_settings = treecast_matrix::Settings::new(hs.clone(), bot.as_str());
    mx_settings.store_dir = dir.path().join("matrix");
    mx_settings.sync_timeout_secs = 10;
    let mx = Arc::new(MatrixAdapter::connect(mx_settings).await.expect("matrix adapter"));

    // The tree of the orgs whose chats are bridged; the server with both adapters.
    let tree = tree_of(pairs, &dir.path().join("db"));
    let cfg = Config {
        surveys_dir: dir.path().join("surveys"),
        campaigns_dir: dir.path().join("campaigns"),
        ..Config::default()
    };
    let adapters: HashMap<Platform, Arc<dyn Adapter>> = HashMap::from([
        (Platform::Telegram, Arc::new(telegram) as Arc<dyn Adapter>),
        (Platform::Matrix, mx.clone() as Arc<dyn Adapter>),
    ]);
    let (stop, stop_rx) = watch::channel(false);
    let app = App::new(tree.clone(), cfg, treecast::clock::Clock::system()).expect("the app");
    let server = app.start(adapters, stop_rx.clone());

    // 赵敏 makes a room per pair and invites the bot, which joins (as in the scenario).
    let invite = |who: &OwnedUserId| vec![who.clone()];
    let create = |name: String, with: Vec<OwnedUserId>| {
        let zhao = &zhao;
        async move {
            match encrypted {
                true => zhao.create_encrypted_room(&name, &with).await,
                false => zhao.create_room(&name, &with).await,
            }
        }
    };
    let mut rooms = Vec::new();
    for i in 0..pairs {
        rooms.push(create(format!("{}班团支部", i + 1), invite(&bot)).await);
    }
    let yard_room = create("对照".into(), invite(&wang_id)).await;
    let (mxr, rs) = (&mx, &rooms);
    poll("the bot joins every room", Duration::from_secs(60), || async move {
        rs.iter().all(|r| mxr.client().get_room(r).is_some_and(|r| r.state() == RoomState::Joined)).then_some(())
    })
    .await;

    // Once the bot is in the rooms: one branch per pair, its group and room bound, bridging on.
    let mut w = Writes::default();
    for (i, (chat, room)) in chats.iter().zip(&rooms).enumerate() {
        let org = tree.require(&format!("4143010532-{:03}", i + 1)).unwrap();
        tree.bind(&org, Address::group(Platform::Telegram, chat.to_string())).unwrap();
        tree.bind(&org, Address::group(Platform::Matrix, room.as_str())).unwrap();
        put_switch(&mut w, org.id, &Switch { on: true, by: 0, at: run / 1000 });
    }
    tree.store.commit(&w).unwrap();
    tree.store.flush().unwrap();
    let echo = tokio::spawn(echo_bot(api.clone(), yard.token.clone(), stop_rx));

    let mut pairs: Vec<Pair> =
        chats.iter().zip(rooms).map(|(chat, room)| Pair { chat: *chat, room, rested: Instant::now() }).collect();
    // One message each way in every pair first (the rooms' first sends
    // share keys when encrypted); not counted.
    for (i, p) in pairs.iter_mut().enumerate() {
        let line = format!("warm-up t2m {i} {run}");
        tg.say(LI, Some(p.chat), &line, None).await;
        arrived(&arrivals, &line).await;
        let line = format!("warm-up m2t {i} {run}");
        zhao.say(&p.room, &line).await;
        sent(&tg, p.chat, &line).await;
        p.rested = Instant::now() + CHAT_REST;
    }
    wang.say(&yard_room, &format!("warm-up {run}")).await;
    arrived(&arrivals, &format!("warm-up {run}")).await;
    println!(
        "bridge latency: {n} messages each way over {} pairs (Telegram group + {} Matrix room), set up in {:.1} s",
        pairs.len(),
        if encrypted { "encrypted" } else { "unencrypted" },
        t0.elapsed().as_secs_f64()
    );

    let (mut t2m, mut m2t, mut yard_tg, mut yard_mx) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut waited = 0;
    let count = pairs.len();
    let started = Instant::now();
    for i in 0..n {
        let p = &mut pairs[i % count];
        if let Some(rest) = p.rested.checked_duration_since(Instant::now()) {
            waited += 1;
            tokio::time::sleep(rest).await;
        }
        let line = format!("t2m {i} {run}");
        tg.say(LI, Some(p.chat), &line, None).await;
        let at = Instant::now();
        t2m.push(arrived(&arrivals, &line).await - at);

        let line = format!("m2t {i} {run}");
        zhao.say(&p.room, &line).await;
        let at = Instant::now();
        m2t.push(sent(&tg, p.chat, &line).await - at);
        p.rested = Instant::now() + CHAT_REST;

        let line = format!("yard {i} {run}");
        yard.say(LI, Some(p.chat), &line, None).await;
        let at = Instant::now();
        yard_tg.push(sent(&yard, p.chat, &format!("echo {line}")).await - at);

        let line = format!("yard-mx {i} {run}");
        wang.say(&yard_room, &line).await;
        let at = Instant::now();
        yard_mx.push(arrived(&arrivals, &line).await - at);
    }
    let took = started.elapsed();

    // Each copy once: as many in every group as were carried there.
    let mut copies = 0;
    for p in &pairs {
        copies += tg.sent(p.chat).await.iter().filter(|m| text(m).starts_with("[赵敏 · Matrix] ")).count();
    }
    let _ = stop.send(true);
    server.join().await.expect("the server stops cleanly");
    let _ = echo.await;

    println!("{}", summary("Telegram -> Matrix (bridged)", &mut t2m));
    println!("{}", summary("Matrix -> Telegram (bridged)", &mut m2t));
    println!("{}", summary("yardstick Telegram: user -> bare bot's answer", &mut yard_tg));
    println!("{}", summary("yardstick Matrix: user send -> other's sync", &mut yard_mx));
    println!(
        "{:.1} s for the loop; {waited} waits for a chat's 1.1 s rest; {copies} copies in Telegram for {} sent (warm-up included)",
        took.as_secs_f64(),
        n + count
    );
    assert_eq!(copies, n + count, "each Matrix message carried to Telegram once");
}
