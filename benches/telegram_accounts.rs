//! A national notice through many Telegram bots (issue 16): the real path
//! (outbox -> `TelegramAdapter` with several tokens -> the Telegram emulator
//! behind our compatibility layer) with the emulator's flood limits on
//! (30 msg/s per bot, 1/s per chat, 20/min per group, each answered with
//! 429 as Telegram does) and a round trip of LATENCY_MS on every call.
//!
//! Two runs in one process: the yardstick, one bot with GROUPS groups, then
//! BOTS bots with GROUPS groups each (one bot per province, each province's
//! schools bound to its bot's groups). Each prints the deliveries, the rate
//! from the post to the last delivery recorded, the 429s the emulator gave
//! by limit, and what every group got (exactly one copy each).
//!
//! With `cluster` (and `--features telegram,cluster`), the same notice goes
//! through delivery workers on the three-node JetStream cluster of
//! `scripts/peers/nats.sh`: 1 worker, 3 workers, and 3 workers of which one
//! is killed (its task aborted, nothing acked) together with one NATS node
//! (kill -9) a third of the way through.
//!
//! Needs the emulator (`scripts/peers/telegram.sh start`), and for
//! `cluster` the NATS peer (`scripts/peers/nats.sh start`). Run:
//! `eval "$(scripts/peers/telegram.sh env)" && cargo bench --features telegram --bench telegram_accounts [-- BOTS GROUPS LATENCY_MS]`
//! (defaults 31 bots, 1,000 groups each, 100 ms), or
//! `eval "$(scripts/peers/nats.sh env)" && cargo bench --features telegram,cluster --bench telegram_accounts -- 31 1000 100 cluster`.

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};
use tokio::sync::watch;
use treecast::app::App;
use treecast::config::Config;
use treecast::notice::Draft;
use treecast::tree::people::Role;
use treecast_telegram::{Settings, TelegramAdapter};
use treecast_wire::{
    Adapter, AdapterError, Address, Capabilities, Delivered, DeliveryError, InboundEnvelope, Outbound, Platform,
    Shutdown,
};

/// The real adapter, each `deliver()` start stamped per bot, so limits can
/// be checked at our end as well as at the emulator's.
struct Stamped {
    inner: Arc<TelegramAdapter>,
    starts: Arc<std::sync::Mutex<Vec<(String, Instant)>>>,
    /// deliver() calls begun and ended, to count what is in flight.
    begun: std::sync::atomic::AtomicU64,
    ended: std::sync::atomic::AtomicU64,
}

impl Stamped {
    fn new(inner: Arc<TelegramAdapter>, starts: Arc<std::sync::Mutex<Vec<(String, Instant)>>>) -> Stamped {
        Stamped { inner, starts, begun: Default::default(), ended: Default::default() }
    }
}

#[async_trait::async_trait]
impl Adapter for Stamped {
    fn platform(&self) -> Platform {
        self.inner.platform()
    }
    fn capabilities(&self) -> Capabilities {
        self.inner.capabilities()
    }
    fn accounts(&self) -> Vec<String> {
        self.inner.accounts()
    }
    async fn deliver(&self, m: &Outbound) -> Result<Delivered, DeliveryError> {
        self.starts.lock().unwrap().push((m.via.clone(), Instant::now()));
        self.begun.fetch_add(1, Ordering::Relaxed);
        let r = self.inner.deliver(m).await;
        self.ended.fetch_add(1, Ordering::Relaxed);
        r
    }
    async fn run(&self, inbound: tokio::sync::mpsc::Sender<InboundEnvelope>, sd: Shutdown) -> Result<(), AdapterError> {
        self.inner.run(inbound, sd).await
    }
}

/// The most sends any one bot started within one second, at our end.
fn busiest_second(starts: &[(String, Instant)]) -> usize {
    let mut per: HashMap<&str, Vec<Instant>> = HashMap::new();
    for (via, t) in starts {
        per.entry(via).or_default().push(*t);
    }
    let mut most = 0;
    for ts in per.values_mut() {
        ts.sort();
        let mut j = 0;
        for i in 0..ts.len() {
            while ts[i] - ts[j] >= Duration::from_secs(1) {
                j += 1;
            }
            most = most.max(i - j + 1);
        }
    }
    most
}

#[path = "support/emulator.rs"]
mod emulator;
use emulator::{control, national, NEEDS_PEER};

fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kb = status.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| l.split_whitespace().nth(1));
    kb.and_then(|k| k.parse::<f64>().ok()).unwrap_or(0.0) / 1024.0
}

/// How the notice is delivered.
#[derive(Clone, Copy, PartialEq)]
enum Mode {
    /// The planner's own outbox, as `serve` without `[cluster]`.
    Local,
    /// Through `workers` delivery workers on JetStream; with `kill`, one
    /// worker and one NATS node die a third of the way through.
    #[cfg_attr(not(feature = "cluster"), allow(dead_code))]
    Workers { workers: usize, kill: bool },
}

struct Outcome {
    /// The killed worker's sends in flight at its death: (the emulator's
    /// count, its deliver() calls begun and not ended, and the jobs
    /// JetStream had handed it and not had acknowledged).
    killed_in_flight: Option<(u64, u64, u64)>,
    delivered: u64,
    elapsed: Duration,
    quota: Value,
    once: usize,
    missing: usize,
    extra: usize,
    /// The most sends one bot started within one second, at our end.
    busiest: usize,
}

/// One notice to `bots` x `per_bot` groups, each bot's groups bound to one
/// province's schools through that bot.
async fn run(api: &str, bots: usize, per_bot: usize, latency_ms: u64, tag: u64, mode: Mode) -> Outcome {
    let tokens: Vec<String> = (0..bots).map(|i| format!("{}:accounts-bench", tag * 100 + i as u64 + 1)).collect();
    let chats = |b: usize| -> Vec<i64> {
        (0..per_bot)
            .map(|g| -(1_000_000_000_000 + ((tag % 10_000) * 100_000_000 + (b * 100_000 + g) as u64) as i64))
            .collect()
    };
    for (b, token) in tokens.iter().enumerate() {
        control(api, "POST", "groups", Some(json!({"token": token, "chat_ids": chats(b)}))).await;
    }
    let settings = Settings { api_url: Some(api.to_owned()), ..Settings::default() };
    let adapter = Arc::new(TelegramAdapter::with_tokens(settings, tokens.clone()).await.unwrap());
    let accounts = adapter.accounts();

    let dir = tempfile::tempdir().unwrap();
    let tree = national(dir.path());
    let root = tree.require("CN").unwrap();
    let provinces: Vec<_> = tree.children(root.id).unwrap();
    assert!(provinces.len() >= bots, "{} provinces for {bots} bots", provinces.len());
    let mut pairs = Vec::with_capacity(bots * per_bot);
    for (b, province) in provinces.iter().take(bots).enumerate() {
        let schools: Vec<_> = tree.subtree(province).map(|o| o.unwrap()).filter(|o| o.level == 2).collect();
        for (g, chat) in chats(b).into_iter().enumerate() {
            let school = schools[g % schools.len()].clone();
            pairs.push((school, Address::group(Platform::Telegram, chat.to_string()), accounts[b].clone()));
        }
    }
    let bound = tree.bind_bulk_via(pairs).unwrap();
    assert_eq!(bound, bots * per_bot);
    let admin = tree.add_person("admin").unwrap();
    tree.grant(admin.id, &root, Role::Official).unwrap();
    tree.store.flush().unwrap();

    let cfg = match mode {
        Mode::Local => Config::default(),
        Mode::Workers { .. } => {
            let urls = std::env::var("TREECAST_TEST_NATS_CLUSTER")
                .expect("TREECAST_TEST_NATS_CLUSTER is not set: scripts/peers/nats.sh start, then eval its env");
            let text = format!(
                "[cluster]\nnats = {urls:?}\nreplicas = 3\nlease_secs = 4\nack_wait_secs = 10\nplatforms = [\"telegram\"]\n"
            );
            Config::parse(&text, Path::new("bench.toml")).unwrap()
        }
    };
    let rules = cfg.notice_rules();
    let starts: Arc<std::sync::Mutex<Vec<(String, Instant)>>> = Arc::default();
    let stamped = Arc::new(Stamped::new(adapter.clone(), starts.clone()));
    let mut adapters: HashMap<Platform, Arc<dyn Adapter>> = HashMap::new();
    adapters.insert(Platform::Telegram, stamped.clone());
    #[cfg(feature = "cluster")]
    let mut workers = Vec::new();
    #[cfg(feature = "cluster")]
    let mut nats = None;
    #[cfg(feature = "cluster")]
    if let Mode::Workers { workers: n, .. } = mode {
        let c = cfg.cluster.clone().unwrap();
        nats = Some(treecast::cluster::Nats::connect(&c).await.unwrap());
        adapters = treecast::cluster::planner::wrap(adapters, &c).await.unwrap();
        for _ in 0..n {
            // Each worker its own adapter (clients, sent log), as on its own machine.
            let settings = Settings { api_url: Some(api.to_owned()), ..Settings::default() };
            let own = Arc::new(TelegramAdapter::with_tokens(settings, tokens.clone()).await.unwrap());
            let w = Arc::new(Stamped::new(own, starts.clone()));
            let adapter: Arc<dyn Adapter> = w.clone();
            let worker = treecast::cluster::worker::Worker::new(&cfg, HashMap::from([(Platform::Telegram, adapter)]))
                .await
                .unwrap();
            let id = worker.id.clone();
            let (stop, rx) = watch::channel(false);
            workers.push((id, stop, tokio::spawn(worker.run(rx)), w));
        }
        // Let the workers share the accounts out before the notice.
        let nats = nats.as_ref().unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let owners = treecast::cluster::worker::owners(nats).await.unwrap();
            let held = owners.keys().filter(|k| accounts.iter().any(|a| **k == format!("telegram.{a}"))).count();
            if held == bots || Instant::now() > deadline {
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    #[cfg(not(feature = "cluster"))]
    assert!(mode == Mode::Local, "cluster mode needs --features telegram,cluster");
    let outbox = App::new(tree.clone(), cfg, treecast::clock::Clock::system()).unwrap().outbox(adapters);
    let (stats, waker) = (outbox.stats(), outbox.waker());
    control(api, "POST", "quota", Some(json!({"latency_ms": latency_ms}))).await;
    let (stop, rx) = watch::channel(false);
    let worker = tokio::spawn(outbox.run(rx));
    let start = Instant::now();
    let draft = Draft {
        issuer_code: "CN".into(),
        title: "关于开展主题团日活动的通知".into(),
        body: "请各团支部组织开展。".repeat(10),
        levels: vec!["school".into()],
        ack_required: true,
        ..Draft::default()
    };
    tree.post(admin.id, draft, &rules).unwrap();
    waker.wake();
    #[allow(unused_mut)]
    let mut killed_in_flight = None;
    // A run that stops moving for three minutes is reported, not waited on.
    let (mut last, mut moved) = (0u64, Instant::now());
    while !tree.store.active_notices().unwrap().is_empty() {
        tokio::time::sleep(Duration::from_millis(20)).await;
        let now = stats.delivered.load(Ordering::Relaxed);
        if now != last {
            (last, moved) = (now, Instant::now());
        } else if moved.elapsed() > Duration::from_secs(180) {
            println!("  STALLED: {now} of {} delivered, nothing moved for 3 minutes", bots * per_bot);
            break;
        }
        #[cfg(feature = "cluster")]
        if let (Mode::Workers { kill: true, .. }, None) = (mode, killed_in_flight) {
            if stats.delivered.load(Ordering::Relaxed) as usize >= bots * per_bot / 3 {
                killed_in_flight = Some(kill_one(api, nats.as_ref().unwrap(), &mut workers, &tokens).await);
            }
        }
    }
    let elapsed = start.elapsed();
    stop.send(true).unwrap();
    worker.await.unwrap().unwrap();
    #[cfg(feature = "cluster")]
    {
        for (_, stop, task, _) in workers {
            let _ = stop.send(true);
            let _ = task.await;
        }
        if killed_in_flight.is_some() {
            nats_script(&["start-node", "2"]);
        }
    }
    let quota = control(api, "GET", "quota", None).await;
    control(api, "POST", "quota", Some(json!({"off": true}))).await;

    // What every group got, from the emulator's store.
    let (mut once, mut missing, mut extra) = (0, 0, 0);
    for (b, token) in tokens.iter().enumerate() {
        let counts = control(api, "GET", &format!("sent_counts?token={token}"), None).await;
        for chat in chats(b) {
            match counts[chat.to_string()].as_u64().unwrap_or(0) {
                0 => missing += 1,
                1 => once += 1,
                n => extra += n as usize - 1,
            }
        }
    }
    let busiest = busiest_second(&starts.lock().unwrap());
    let delivered = stats.delivered.load(Ordering::Relaxed);
    Outcome { killed_in_flight, delivered, elapsed, quota, once, missing, extra, busiest }
}

fn report(name: &str, bots: usize, per_bot: usize, o: &Outcome) {
    let rate = o.delivered as f64 / o.elapsed.as_secs_f64();
    let limited = &o.quota["limited"];
    println!(
        "{name}: {bots} bot(s) x {per_bot} groups: {} delivered in {:.2} s = {rate:.1}/s = {:.1}% of {bots} x 30/s; \
         emulator: {} sendMessage calls, 429s per bot {} / per chat {} / per group {}; \
         groups with exactly one copy {}, missing {}, extra copies {}",
        o.delivered,
        o.elapsed.as_secs_f64(),
        100.0 * rate / (bots as f64 * 30.0),
        o.quota["sends"],
        limited["bot"],
        limited["chat"],
        limited["group"],
        o.once,
        o.missing,
        o.extra,
    );
    println!("  at our end: at most {} sends of one bot started within one second", o.busiest);
    if let Some((at_emulator, calls, unacked)) = o.killed_in_flight {
        println!(
            "  the killed worker held {unacked} jobs unacknowledged at its death (JetStream's ack-pending count, \
             bounded by max_ack_pending: the in-flight bound); {calls} of them were inside deliver() \
             ({at_emulator} had reached the emulator)"
        );
        println!(
            "  extra copies {} {} the killed worker's in-flight jobs {unacked}",
            o.extra,
            if o.extra as u64 <= unacked { "<=" } else { "> (OVER THE BOUND)" }
        );
    }
    println!(
        "  the emulator's event loop ran late by p99 {} ms, at most {} ms",
        o.quota["loop_delay_ms"]["p99"], o.quota["loop_delay_ms"]["max"]
    );
    if o.quota["limited_by_second"].as_object().is_some_and(|m| !m.is_empty()) {
        println!("  429s by second since the first send: {}", o.quota["limited_by_second"]);
    }
}

fn main() {
    tracing_subscriber::fmt().with_env_filter(tracing_subscriber::EnvFilter::from_env("TREECAST_LOG")).init();
    let args: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let bots = args.first().copied().unwrap_or(31);
    let per_bot = args.get(1).copied().unwrap_or(1000);
    let latency = args.get(2).copied().unwrap_or(100) as u64;
    let cluster = std::env::args().any(|a| a == "cluster" || a == "cluster-kill");
    assert!((1..=31).contains(&bots) && (1..=50_000).contains(&per_bot), "BOTS 1..=31, GROUPS 1..=50000");
    let api = std::env::var("TREECAST_TEST_TELEGRAM_API")
        .unwrap_or_else(|_| panic!("TREECAST_TEST_TELEGRAM_API is not set; {NEEDS_PEER}"));
    let tag = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() % 1_000_000;
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    rt.block_on(async {
        println!("telegram accounts: emulator {api}, flood limits on (30/s per bot, 1/s per chat, 20/min per group), {latency} ms per call");
        let target = 0.95 * bots as f64 * 30.0;
        if cluster {
            let runs = [
                ("1 worker", Mode::Workers { workers: 1, kill: false }),
                ("3 workers", Mode::Workers { workers: 3, kill: false }),
                ("3 workers, one killed with a NATS node", Mode::Workers { workers: 3, kill: true }),
            ];
            // `cluster-kill`: the third run alone.
            let only_kill = std::env::args().any(|a| a == "cluster-kill");
            for (i, (name, mode)) in runs.into_iter().enumerate().filter(|(i, _)| !only_kill || *i == 2) {
                let o = run(&api, bots, per_bot, latency, tag + 2 + i as u64, mode).await;
                report(name, bots, per_bot, &o);
                println!(
                    "  target: >= {target:.0}/s; achieved {:.1}/s",
                    o.delivered as f64 / o.elapsed.as_secs_f64()
                );
            }
            println!("peak RSS {:.0} MiB (planner and workers in one process)", peak_rss_mib());
            return;
        }
        let one = run(&api, 1, per_bot, latency, tag, Mode::Local).await;
        report("yardstick", 1, per_bot, &one);
        let many = run(&api, bots, per_bot, latency, tag + 1, Mode::Local).await;
        report("accounts", bots, per_bot, &many);
        println!(
            "target: >= {target:.0}/s; achieved {:.1}/s; peak RSS {:.0} MiB",
            many.delivered as f64 / many.elapsed.as_secs_f64(),
            peak_rss_mib()
        );
    });
}

/// A worker in this process: its id, its stop, its task, its adapter.
#[cfg(feature = "cluster")]
type RunningWorker = (String, watch::Sender<bool>, tokio::task::JoinHandle<treecast::Result<()>>, Arc<Stamped>);

/// Runs `scripts/peers/nats.sh` with `args`.
#[cfg(feature = "cluster")]
fn nats_script(args: &[&str]) {
    let script = std::env::var("TREECAST_TEST_NATS_SCRIPT")
        .unwrap_or_else(|_| format!("{}/scripts/peers/nats.sh", env!("CARGO_MANIFEST_DIR")));
    let ok = std::process::Command::new(script).args(args).status().map(|s| s.success()).unwrap_or(false);
    assert!(ok, "nats.sh {args:?} failed");
}

/// Kills the first worker (its task aborted: nothing in flight is acked or
/// recorded) and NATS node 2 (kill -9); returns the worker's sends in
/// flight at that moment, as the emulator saw them.
#[cfg(feature = "cluster")]
async fn kill_one(
    api: &str,
    nats: &treecast::cluster::Nats,
    workers: &mut [RunningWorker],
    tokens: &[String],
) -> (u64, u64, u64) {
    let owners = treecast::cluster::worker::owners(nats).await.unwrap();
    let victim = &workers[0];
    let mine: Vec<&String> = tokens
        .iter()
        .filter(|t| owners.get(&format!("telegram.{}", t.split(':').next().unwrap())) == Some(&victim.0))
        .collect();
    let kill_ms = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis();
    victim.2.abort();
    let calls = victim.3.begun.load(Ordering::Relaxed) - victim.3.ended.load(Ordering::Relaxed);
    // In flight as JetStream counts it: handed to the worker, not acked.
    // A send that returned but whose outcome was not yet recorded is in it
    // (it comes back, and goes out again), which deliver() calls begun and
    // not ended miss: that undercount was run 6's "one over the bound".
    let mut unacked = 0u64;
    for t in &mine {
        let name = format!("acct-telegram-{}", treecast::cluster::token(t.split(':').next().unwrap()));
        let consumer = nats.jobs.get_consumer::<async_nats::jetstream::consumer::pull::Config>(&name).await;
        if let Ok(mut c) = consumer {
            if let Ok(info) = c.info().await {
                unacked += info.num_ack_pending as u64;
            }
        }
    }
    nats_script(&["kill-node", "2"]);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let list = mine.iter().map(|t| t.as_str()).collect::<Vec<_>>().join(",");
    let q = control(api, "GET", &format!("quota?in_flight_at={kill_ms}&tokens={list}"), None).await;
    println!("  killed worker {} ({} bots) and NATS node 2", victim.0, mine.len());
    (q["in_flight_at"].as_u64().unwrap_or(0), calls, unacked)
}
