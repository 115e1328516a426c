//! A national notice to 2,000 bound Telegram groups under Telegram's default
//! limits (30 msg/s per bot, 1/s per chat, 20/min per group), on the real
//! path: treecast's outbox -> `TelegramAdapter` (teloxide) -> the Telegram
//! emulator behind our compatibility layer (`peers/telegram/server.js`).
//! It prints deliveries, elapsed time, the achieved rate as a share of
//! 30/s, and limit violations counted from the emulator's own record (the
//! receipt time of every `sendMessage` in its log, ms resolution), with the
//! same counts from a thin wrapper that stamps each `deliver()` start.
//! Yardstick: the same messages straight through a fresh adapter with no
//! limits, 30 in flight, to show what the emulator itself can take.
//!
//! Needs the emulator (`scripts/peers/telegram.sh start`). Run:
//! `eval "$(scripts/peers/telegram.sh env)" && cargo bench --features telegram --bench telegram_groups [-- GROUPS [NOTICES]]`
//! (defaults 2000 groups, 1 notice; a second notice exercises the per-chat limits).
//! The emulator's log is read from `.peers/telegram/server.log` unless
//! `TREECAST_TEST_TELEGRAM_LOG` names another file.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use futures::stream::{self, StreamExt};
use serde_json::{json, Value};
use tokio::sync::{mpsc, watch};
use treecast::app::App;
use treecast::config::Config;
use treecast::notice::{Draft, NoticeRules};
use treecast::tree::people::Role;
use treecast_telegram::{Settings, TelegramAdapter, TOKEN_ENV};
use treecast_wire::{
    Adapter, AdapterError, Address, Delivered, DeliveryError, InboundEnvelope, Outbound, Platform, Shutdown,
};

#[path = "support/emulator.rs"]
mod emulator;
use emulator::{control, national, NEEDS_PEER};

/// Deliveries in flight for the yardstick: the outbox's Telegram default.
const YARDSTICK_IN_FLIGHT: usize = 30;

/// A fresh bot token per run, as the peer tests make them: the emulator
/// keeps every bot's state between runs.
fn fresh_token(name: &str) -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    let millis = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis() as u64;
    let id = (millis % 10_000_000_000) * 100 + N.fetch_add(1, Ordering::Relaxed);
    format!("{id}:bench-{name}")
}

/// Supergroup ids unique to this run (`-100` and ten digits), so the
/// emulator's log can be filtered to our chats.
fn chat_ids(run_tag: u64, from: usize, count: usize) -> Vec<i64> {
    (from..from + count).map(|i| -(1_000_000_000_000 + (run_tag * 10_000 + i as u64) as i64)).collect()
}

/// One bot's side of the emulator's control API.
struct Control {
    api: String,
    token: String,
}

impl Control {
    fn new(api: &str, token: &str) -> Control {
        Control { api: api.to_owned(), token: token.to_owned() }
    }

    /// Puts the bot in a group (a supergroup, as real branch chats are).
    async fn group(&self, chat_id: i64) {
        let body = json!({"token": self.token, "chat_id": chat_id, "title": format!("团支部 {chat_id}")});
        control(&self.api, "POST", "group", Some(body)).await;
    }

    /// What the bot sent to a chat, as the emulator stored it.
    async fn sent(&self, chat_id: i64) -> Vec<Value> {
        let path = format!("sent?token={}&chat_id={chat_id}", self.token);
        control(&self.api, "GET", &path, None).await.as_array().cloned().unwrap_or_default()
    }
}

/// One `deliver()` call as the wrapper saw it.
struct Call {
    start: Instant,
    took: Duration,
    chat: i64,
    ok: bool,
    msg: Outbound,
}

/// The real adapter, with each `deliver()` call's start time recorded.
struct Stamped {
    inner: Arc<TelegramAdapter>,
    calls: Mutex<Vec<Call>>,
}

#[async_trait::async_trait]
impl Adapter for Stamped {
    fn platform(&self) -> Platform {
        self.inner.platform()
    }
    fn capabilities(&self) -> treecast_wire::Capabilities {
        self.inner.capabilities()
    }
    async fn deliver(&self, m: &Outbound) -> Result<Delivered, DeliveryError> {
        let start = Instant::now();
        let r = self.inner.deliver(m).await;
        let call =
            Call { start, took: start.elapsed(), chat: m.to.id.parse().unwrap_or(0), ok: r.is_ok(), msg: m.clone() };
        self.calls.lock().unwrap().push(call);
        r
    }
    async fn run(&self, inbound: mpsc::Sender<InboundEnvelope>, sd: Shutdown) -> Result<(), AdapterError> {
        self.inner.run(inbound, sd).await
    }
}

/// Breaches of Telegram's limits in a time-ordered record of (seconds, chat).
#[derive(Debug, Default)]
struct Violations {
    /// Sends that close a window shorter than 1 s holding more than the platform limit.
    platform: usize,
    /// Sends to a chat less than 1 s after the previous one there.
    per_chat: usize,
    /// Sends opening a 60 s window with more than the per-group limit in one chat.
    per_group: usize,
    /// Most sends seen in any window shorter than 1 s.
    busiest_second: usize,
    /// Shortest time holding one send more than the platform limit: just
    /// under 1 s is jitter at the edge, well under it a burst.
    tightest_over: Option<f64>,
}

fn violations(record: &[(f64, i64)], per_second: usize, per_group_per_minute: usize) -> Violations {
    let mut v = Violations::default();
    let mut j = 0;
    for i in 0..record.len() {
        while record[i].0 - record[j].0 >= 1.0 {
            j += 1;
        }
        v.busiest_second = v.busiest_second.max(i - j + 1);
        if i - j + 1 > per_second {
            v.platform += 1;
        }
        if i >= per_second {
            let d = record[i].0 - record[i - per_second].0;
            v.tightest_over = Some(v.tightest_over.map_or(d, |x: f64| x.min(d)));
        }
    }
    let mut per_chat: HashMap<i64, Vec<f64>> = HashMap::new();
    for &(t, c) in record {
        per_chat.entry(c).or_default().push(t);
    }
    for ts in per_chat.values() {
        v.per_chat += ts.windows(2).filter(|w| w[1] - w[0] < 1.0).count();
        for (i, t) in ts.iter().enumerate() {
            if ts[i..].iter().take_while(|u| **u - t < 60.0).count() > per_group_per_minute {
                v.per_group += 1;
            }
        }
    }
    v
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `2026-11-24T17:42:47.496Z` as Unix seconds.
fn iso_seconds(ts: &str) -> Option<f64> {
    let n = |r: std::ops::Range<usize>| ts.get(r)?.parse::<i64>().ok();
    if ts.len() != 24 || !ts.ends_with('Z') {
        return None;
    }
    let days = days_from_civil(n(0..4)?, n(5..7)?, n(8..10)?);
    let secs = days * 86_400 + n(11..13)? * 3600 + n(14..16)? * 60 + n(17..19)?;
    Some(secs as f64 + n(20..23)? as f64 / 1e3)
}

/// The emulator's own record: each `sendMessage` it received for one of
/// `chats`, with the time (Unix seconds, ms resolution) its log line was
/// written, from `offset` on; and how many other requests it logged
/// meanwhile (other bots: tests running beside us).
/// Lines look like `<ISO time> bot SendMessage {"chat_id":-100…,…}`.
fn emulator_record(log: &Path, offset: u64, chats: &HashSet<i64>) -> Option<(Vec<(f64, i64)>, usize)> {
    let text = std::fs::read(log).ok()?;
    let text = String::from_utf8_lossy(text.get(offset as usize..)?);
    let (mut out, mut others) = (Vec::new(), 0);
    for line in text.lines() {
        let mut f = line.splitn(4, ' ');
        let (Some(ts), Some("bot"), Some(method), Some(params)) = (f.next(), f.next(), f.next(), f.next()) else {
            continue;
        };
        let chat = params.split_once("\"chat_id\":").map(|(_, r)| r.trim_start_matches('"')).and_then(|rest| {
            let end = rest.find(|c: char| c != '-' && !c.is_ascii_digit()).unwrap_or(rest.len());
            rest[..end].parse::<i64>().ok()
        });
        match (method.eq_ignore_ascii_case("sendMessage"), chat, iso_seconds(ts)) {
            (true, Some(chat), Some(t)) if chats.contains(&chat) => out.push((t, chat)),
            _ => others += 1,
        }
    }
    out.sort_by(|a, b| a.0.total_cmp(&b.0));
    Some((out, others))
}

fn draft(org: &str) -> Draft {
    Draft {
        issuer_code: org.into(),
        title: "关于开展主题团日活动的通知".into(),
        body: "请各团支部组织开展。".repeat(10),
        levels: vec!["school".into()],
        ack_required: true,
        ..Draft::default()
    }
}

fn quantile(sorted: &[Duration], q: f64) -> f64 {
    sorted.get(((sorted.len() as f64 - 1.0) * q).round() as usize).map_or(0.0, |d| d.as_secs_f64() * 1e3)
}

fn main() {
    tracing_subscriber::fmt().with_env_filter(tracing_subscriber::EnvFilter::from_env("TREECAST_LOG")).init();
    let args: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let groups = args.first().copied().unwrap_or(2000);
    let notices = args.get(1).copied().unwrap_or(1).max(1);
    assert!(groups >= 1 && 2 * groups <= 10_000, "GROUPS must be 1..=5000");
    let api = std::env::var("TREECAST_TEST_TELEGRAM_API")
        .unwrap_or_else(|_| panic!("TREECAST_TEST_TELEGRAM_API is not set; {NEEDS_PEER}"));
    // The adapter reads its token from the environment, as in production;
    // set it before any thread exists.
    let token = fresh_token("groups");
    std::env::set_var(TOKEN_ENV, &token);
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    rt.block_on(bench(api, token, groups, notices));
}

async fn bench(api: String, token: String, groups: usize, notices: usize) {
    let log_path = std::env::var_os("TREECAST_TEST_TELEGRAM_LOG")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join(".peers/telegram/server.log"));
    let run_tag = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() % 1_000_000;
    let ids = chat_ids(run_tag, 0, groups);
    let our_chats: HashSet<i64> = ids.iter().copied().collect();

    // The bot and its groups in the emulator.
    let control = Control::new(&api, &token);
    let t = Instant::now();
    stream::iter(&ids).for_each_concurrent(16, |&id| control.group(id)).await;
    let made_groups = t.elapsed();
    let settings = Settings { api_url: Some(api.clone()), ..Settings::default() };
    let real = Arc::new(TelegramAdapter::new(settings.clone()).await.unwrap_or_else(|e| panic!("{e}; {NEEDS_PEER}")));

    // The national tree; the first `groups` schools bound to those groups.
    let dir = tempfile::tempdir().unwrap();
    let tree = national(dir.path());
    let root = tree.require("CN").unwrap();
    let schools: Vec<_> = tree.subtree(&root).map(|o| o.unwrap()).filter(|o| o.level == 2).take(groups).collect();
    assert_eq!(schools.len(), groups, "the national tree has fewer schools");
    let pairs = schools.into_iter().zip(&ids).map(|(o, id)| (o, Address::group(Platform::Telegram, id.to_string())));
    let bound = tree.bind_bulk(pairs.collect()).unwrap();
    let admin = tree.add_person("admin").unwrap();
    tree.grant(admin.id, &root, Role::Official).unwrap();
    tree.store.flush().unwrap();
    println!(
        "telegram groups: {bound} schools bound to {groups} emulator groups (made in {:.1} s), {notices} notice(s), emulator {api}",
        made_groups.as_secs_f64()
    );

    // The run: default config, so Telegram's default limits.
    let cfg = Config::default();
    let limits = cfg.limits[&Platform::Telegram];
    let rules = NoticeRules { max_attachment_bytes: 1 << 20, ..cfg.notice_rules() };
    let stamped = Arc::new(Stamped { inner: real.clone(), calls: Mutex::new(Vec::with_capacity(groups * notices)) });
    let mut adapters: HashMap<Platform, Arc<dyn Adapter>> = HashMap::new();
    adapters.insert(Platform::Telegram, stamped.clone());
    let outbox = App::new(tree.clone(), cfg.clone(), treecast::clock::Clock::system()).unwrap().outbox(adapters);
    let stats = outbox.stats();
    let waker = outbox.waker();
    let log_offset = std::fs::metadata(&log_path).map(|m| m.len()).unwrap_or(0);
    let (stop, rx) = watch::channel(false);
    let worker = tokio::spawn(outbox.run(rx));
    let start = Instant::now();
    let start_wall = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs_f64();
    for _ in 0..notices {
        tree.post(admin.id, draft("CN"), &rules).unwrap();
        // As the gateway does after a post commits.
        waker.wake();
    }
    while !tree.store.active_notices().unwrap().is_empty() {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let elapsed = start.elapsed();
    stop.send(true).unwrap();
    worker.await.unwrap().unwrap();

    let calls = std::mem::take(&mut *stamped.calls.lock().unwrap());
    let delivered = stats.delivered.load(Ordering::Relaxed) as usize;
    let failed_calls = calls.iter().filter(|c| !c.ok).count();
    let mut took: Vec<Duration> = calls.iter().map(|c| c.took).collect();
    took.sort();
    let per_second = limits.per_second as usize;
    let per_group = limits.per_group_per_minute as usize;
    let mut wrapper: Vec<(f64, i64)> =
        calls.iter().map(|c| (c.start.duration_since(start).as_secs_f64(), c.chat)).collect();
    wrapper.sort_by(|a, b| a.0.total_cmp(&b.0));
    let (emulator, others) = match emulator_record(&log_path, log_offset, &our_chats) {
        Some((r, others)) if !r.is_empty() => (Some(r), others),
        _ => (None, 0),
    };
    // Send-to-receipt delay: each chat's k-th deliver() start against the
    // emulator's k-th receipt there (same machine, same wall clock).
    let mut delays: Vec<Duration> = Vec::new();
    if let Some(r) = &emulator {
        let mut starts: HashMap<i64, std::collections::VecDeque<f64>> = HashMap::new();
        for (t, c) in &wrapper {
            starts.entry(*c).or_default().push_back(start_wall + t);
        }
        for (t, c) in r {
            if let Some(s) = starts.get_mut(c).and_then(|q| q.pop_front()) {
                delays.push(Duration::from_secs_f64((t - s).max(0.0)));
            }
        }
        delays.sort();
    }

    // What the emulator stored for this bot: every delivery, once.
    let stored: Vec<Vec<Value>> = stream::iter(&ids).map(|&id| control.sent(id)).buffered(16).collect().await;
    let stored_total: usize = stored.iter().map(Vec::len).sum();
    let mut per_date: HashMap<i64, usize> = HashMap::new();
    for m in stored.iter().flatten() {
        *per_date.entry(m["date"].as_i64().unwrap_or(0)).or_default() += 1;
    }
    let busiest_date = per_date.values().copied().max().unwrap_or(0);

    // Rate: sends over the span from first to last, as the emulator received them.
    let (source, record) = match &emulator {
        Some(r) => ("emulator's log, receipt times (ms)", r),
        None => ("wrapper, deliver() start times (the emulator's log was not readable)", &wrapper),
    };
    let span = record.last().map_or(0.0, |l| l.0 - record[0].0);
    let achieved = if span > 0.0 { (record.len() - 1) as f64 / span } else { 0.0 };
    println!(
        "limits: {} msg/s per bot, {} msg/s per chat, {} msg/min per group, {} in flight (config defaults)",
        limits.per_second, limits.per_chat_per_second, limits.per_group_per_minute, limits.max_in_flight
    );
    println!(
        "deliveries: {delivered} recorded ({} deliver() calls, {failed_calls} failed; emulator stored {stored_total} messages in {groups} chats)",
        calls.len()
    );
    println!(
        "elapsed: {:.2} s from post to every delivery recorded = {:.2}/s; first send {:.1} ms after the post; first to last send {:.2} s",
        elapsed.as_secs_f64(),
        delivered as f64 / elapsed.as_secs_f64(),
        wrapper.first().map_or(0.0, |f| f.0 * 1e3),
        span
    );
    println!(
        "achieved rate: {achieved:.2}/s = {:.1}% of the {} msg/s limit ({source})",
        100.0 * achieved / limits.per_second,
        limits.per_second
    );
    for (name, r) in
        [("emulator's log, receipt times", emulator.as_ref()), ("wrapper, deliver() starts", Some(&wrapper))]
    {
        let Some(r) = r else {
            println!(
                "violations ({name}): not available, the emulator's log {} had no lines for our chats",
                log_path.display()
            );
            continue;
        };
        let v = violations(r, per_second, per_group);
        println!(
            "violations ({name}, {} sends): >{per_second} in 1 s: {}, a chat twice within 1 s: {}, a group >{per_group} in 60 s: {}; busiest 1 s window {}, shortest span holding {} sends {}",
            r.len(),
            v.platform,
            v.per_chat,
            v.per_group,
            v.busiest_second,
            per_second + 1,
            v.tightest_over.map_or("-".into(), |d| format!("{:.0} ms", d * 1e3))
        );
    }
    println!("emulator's stored `date` (whole seconds): at most {busiest_date} messages in one calendar second");
    if !delays.is_empty() {
        println!(
            "deliver() start to the emulator's receipt (its log has 1 ms resolution): p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms; {others} other requests in the emulator's log meanwhile",
            quantile(&delays, 0.5),
            quantile(&delays, 0.9),
            quantile(&delays, 0.99),
            quantile(&delays, 1.0)
        );
    }
    println!(
        "deliver() latency through the adapter: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        quantile(&took, 0.5),
        quantile(&took, 0.99),
        quantile(&took, 1.0)
    );

    // Yardstick: the same messages straight through a fresh adapter, no limits.
    let token2 = fresh_token("groups-yardstick");
    let control2 = Control::new(&api, &token2);
    let ids2 = chat_ids(run_tag, groups, groups);
    stream::iter(&ids2).for_each_concurrent(16, |&id| control2.group(id)).await;
    let bare = Arc::new(TelegramAdapter::with_token(settings, token2).await.unwrap());
    let msgs: Vec<Outbound> = calls
        .iter()
        .filter(|c| c.ok)
        .map(|c| {
            let i = ids.iter().position(|id| *id == c.chat).unwrap();
            Outbound {
                id: format!("y-{}", c.msg.id),
                to: Address::group(Platform::Telegram, ids2[i].to_string()),
                ..c.msg.clone()
            }
        })
        .collect();
    let t = Instant::now();
    let results: Vec<Result<Delivered, DeliveryError>> = stream::iter(&msgs)
        .map(|m| {
            let bare = bare.clone();
            async move { bare.deliver(m).await }
        })
        .buffer_unordered(YARDSTICK_IN_FLIGHT)
        .collect()
        .await;
    let burst = t.elapsed();
    let ok = results.iter().filter(|r| r.is_ok()).count();
    println!(
        "yardstick, emulator alone: the same {} messages straight through TelegramAdapter, no limits, {YARDSTICK_IN_FLIGHT} in flight: {ok} ok in {:.2} s = {:.0}/s ({:.1}x the 30/s limit)",
        msgs.len(),
        burst.as_secs_f64(),
        ok as f64 / burst.as_secs_f64(),
        ok as f64 / burst.as_secs_f64() / limits.per_second
    );
}
