//! Fan-out benchmarks on the national tree, each beside its yardstick:
//! (a) posting a national notice until durable vs a raw sled batch of one
//! row per channel; (b) post to first delivery; (c) worker throughput with
//! limits off (state and its events recorded) vs raw sled writes of the same state;
//! (d) Telegram's default limits: achieved rate as a share of the limit and
//! violations; (e) `notice status` mid-fan-out.
//! Run: `cargo bench --bench fanout [-- BRANCHES [TELEGRAM_GROUPS]]`
//! (defaults 100 and 2000; BRANCHES = 0 runs (d) alone, TELEGRAM_GROUPS = 0
//! leaves (d) out).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::watch;
use treecast::app::App;
use treecast::config::{Config, Limits};
use treecast::notice::{Draft, NoticeRules};
use treecast::store::Store;
use treecast::tree::people::Role;
use treecast::tree::{generate, import, Levels, Tree};
use treecast_wire::{
    Adapter, AdapterError, Address, Delivered, DeliveryError, InboundEnvelope, Outbound, Platform, Shutdown,
};

/// Records when each delivery left, per chat; answers at once.
struct Clock {
    platform: Platform,
    sent: Mutex<Vec<(Instant, String)>>,
}

#[async_trait::async_trait]
impl Adapter for Clock {
    fn platform(&self) -> Platform {
        self.platform
    }
    fn capabilities(&self) -> treecast_wire::Capabilities {
        treecast_wire::Capabilities::default()
    }
    async fn deliver(&self, m: &Outbound) -> Result<Delivered, DeliveryError> {
        let mut s = self.sent.lock().unwrap();
        s.push((Instant::now(), m.to.id.clone()));
        Ok(Delivered { message_ids: vec![format!("m{}", s.len())] })
    }
    async fn run(&self, _: tokio::sync::mpsc::Sender<InboundEnvelope>, mut sd: Shutdown) -> Result<(), AdapterError> {
        treecast_wire::shutdown_signalled(&mut sd).await;
        Ok(())
    }
}

fn national(dir: &std::path::Path, branches: usize) -> Tree {
    let tree = Tree::new(Store::open(&dir.join("db")).unwrap(), Levels::default_levels()).unwrap();
    let schools =
        generate::read_schools(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config/universities.csv"))
            .unwrap();
    import::import_str(&tree, "national", &generate::national_csv(&schools, branches), None).unwrap();
    tree
}

fn bind(tree: &Tree, platform: Platform, level: u8, limit: usize) -> usize {
    let root = tree.require("CN").unwrap();
    let pairs: Vec<_> = tree
        .subtree(&root)
        .map(|o| o.unwrap())
        .filter(|o| o.level == level)
        .take(limit)
        .map(|o| {
            let id = if platform == Platform::Telegram { format!("-100{}", o.id) } else { o.code.clone() };
            (o, Address::group(platform, id))
        })
        .collect();
    tree.bind_bulk(pairs).unwrap()
}

fn draft(org: &str) -> Draft {
    Draft {
        issuer_code: org.into(),
        title: "关于开展主题团日活动的通知".into(),
        body: "请各团支部组织开展。".repeat(10),
        ack_required: true,
        ..Draft::default()
    }
}

/// Peak and current RSS of this process so far, in MB.
fn mem() -> String {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kb = |name: &str| {
        status.lines().find(|l| l.starts_with(name)).and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
    };
    format!(
        "peak RSS {:.0} MB, now {:.0} MB",
        kb("VmHWM:").unwrap_or(0.0) / 1024.0,
        kb("VmRSS:").unwrap_or(0.0) / 1024.0
    )
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1e3)
}

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt().with_env_filter(tracing_subscriber::EnvFilter::from_env("TREECAST_LOG")).init();
    let args: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let branches = args.first().copied().unwrap_or(100);
    let tg_groups = args.get(1).copied().unwrap_or(2000);
    let dir = tempfile::tempdir().unwrap();
    let rules = NoticeRules {
        footer: "精彩微博团，青春心连心".into(),
        max_attachment_bytes: 1 << 20,
        remind_before: Default::default(),
    };
    // BRANCHES = 0 runs (d) alone.
    if branches > 0 {
        let tree = national(dir.path(), branches);
        let channels = bind(&tree, Platform::Console, 3, usize::MAX);
        let admin = tree.add_person("admin").unwrap();
        tree.add_identity(admin.id, Platform::Console, "admin").unwrap();
        tree.grant(admin.id, &tree.require("CN").unwrap(), Role::Official).unwrap();
        tree.store.flush().unwrap();
        println!("national tree: 2756 schools x {branches} branches, {channels} channels ({})", mem());

        // (a) durable post vs a raw sled batch of one row per channel.
        let t = Instant::now();
        let n = tree.post(admin.id, draft("CN"), &rules).unwrap();
        tree.store.flush().unwrap();
        let post = t.elapsed();
        let mem_post = mem();
        let raw_db = sled::open(dir.path().join("raw")).unwrap();
        let raw = raw_db.open_tree("rows").unwrap();
        let t = Instant::now();
        let mut batch = sled::Batch::default();
        for c in 0..channels as u64 {
            let mut k = n.id.to_be_bytes().to_vec();
            k.extend_from_slice(&c.to_be_bytes());
            batch.insert(k, &[0u8; 24][..]);
        }
        raw.apply_batch(batch).unwrap();
        raw_db.flush().unwrap();
        let raw_rows = t.elapsed();
        println!(
            "(a) post national notice until durable: {} ({mem_post})   yardstick raw sled batch of {channels} rows + flush: {} ({})",
            ms(post),
            ms(raw_rows),
            mem()
        );
        // The walk the post no longer makes: the `notices.unreached`
        // subscriber keeps the targeted orgs without a channel just after.
        let t = Instant::now();
        let horizon = tree.store.horizon(n.id).unwrap().unwrap();
        let u = tree.unreached(&n.target, horizon).unwrap();
        println!(
            "(a') after posting, the notices.unreached subscriber's walk of the target: {} ({} orgs without a channel)",
            ms(t.elapsed()),
            u.levels.iter().map(|(_, ids)| ids.len()).sum::<usize>()
        );

        // (b), (c), (e): the worker with limits off.
        let mut cfg = Config::default();
        for p in Platform::ALL {
            cfg.limits.insert(p, Limits { max_in_flight: 512, ..Limits::OFF });
        }
        let clock = Arc::new(Clock { platform: Platform::Console, sent: Mutex::new(Vec::with_capacity(channels)) });
        let mut adapters: HashMap<Platform, Arc<dyn Adapter>> = HashMap::new();
        adapters.insert(Platform::Console, clock.clone());
        let outbox = App::new(tree.clone(), cfg.clone(), treecast::clock::Clock::system()).unwrap().outbox(adapters);
        let stats = outbox.stats();
        let (stop, rx) = watch::channel(false);
        let start = Instant::now();
        let worker = tokio::spawn(outbox.run(rx));
        let mut status_times = Vec::new();
        while !tree.store.active_notices().unwrap().is_empty() {
            let delivered = stats.delivered.load(std::sync::atomic::Ordering::Relaxed) as usize;
            if delivered > channels / 4 && status_times.len() < 5 {
                let t = Instant::now();
                let st = tree.status(None, n.id, None, 20).unwrap();
                status_times.push((t.elapsed(), st.rows[0].delivered));
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let all = start.elapsed();
        stop.send(true).unwrap();
        worker.await.unwrap().unwrap();
        let sent = clock.sent.lock().unwrap();
        let first = sent.first().map(|(t, _)| t.duration_since(start)).unwrap_or_default();
        let last = sent.last().map(|(t, _)| t.duration_since(start)).unwrap_or_default();
        println!("(b) worker start to first delivery: {}", ms(first));
        let st = tree.status(None, n.id, None, 5).unwrap();
        assert_eq!(st.rows[0].delivered as usize, channels, "every channel recorded");
        let rate = channels as f64 / all.as_secs_f64();
        let mem_worker = mem();
        // Yardstick: raw sled writes of the same state (a row per channel, one
        // msgref per channel, batches of 256 like the worker's, flush at the end).
        // With the event log, each batch also appends one event row listing
        // its 256 (channel, org) pairs, as the worker does.
        let fan = raw_db.open_tree("fan").unwrap();
        let refs = raw_db.open_tree("refs").unwrap();
        let events = raw_db.open_tree("events").unwrap();
        let t = Instant::now();
        let (mut b1, mut b2) = (sled::Batch::default(), sled::Batch::default());
        for c in 0..channels as u64 {
            let mut k = n.id.to_be_bytes().to_vec();
            k.push(b'd');
            k.extend_from_slice(&c.to_be_bytes());
            b1.insert(k, &[1u8; 40][..]);
            b2.insert(format!("cm{c}").into_bytes(), &[2u8; 17][..]);
            if c % 256 == 255 {
                fan.apply_batch(std::mem::take(&mut b1)).unwrap();
                refs.apply_batch(std::mem::take(&mut b2)).unwrap();
                events.insert(c.to_be_bytes(), &[3u8; 256 * 12][..]).unwrap();
            }
        }
        fan.apply_batch(b1).unwrap();
        refs.apply_batch(b2).unwrap();
        raw_db.flush().unwrap();
        let raw_state = t.elapsed();
        println!(
            "(c) worker, limits off: {channels} delivered and recorded in {:.2} s = {:.0}/s (last send at {:.2} s; {mem_worker})   yardstick raw sled writes of the same state: {:.2} s = {:.0}/s; ratio {:.2}x",
            all.as_secs_f64(),
            rate,
            last.as_secs_f64(),
            raw_state.as_secs_f64(),
            channels as f64 / raw_state.as_secs_f64(),
            all.as_secs_f64() / raw_state.as_secs_f64()
        );
        for (t, d) in &status_times {
            println!("(e) notice status mid-fan-out ({d} delivered so far): {}", ms(*t));
        }
        drop(sent);
    }

    // (d) Telegram's default limits on a school-notice-sized fan-out to `tg_groups` groups.
    if tg_groups == 0 {
        return;
    }
    let tree2 = national(&dir.path().join("tg"), 1);
    let groups = bind(&tree2, Platform::Telegram, 2, tg_groups);
    let admin = tree2.add_person("admin").unwrap();
    tree2.grant(admin.id, &tree2.require("CN").unwrap(), Role::Official).unwrap();
    let cfg = Config::default();
    let limits = cfg.limits[&Platform::Telegram];
    let clock = Arc::new(Clock { platform: Platform::Telegram, sent: Mutex::new(Vec::new()) });
    let mut adapters: HashMap<Platform, Arc<dyn Adapter>> = HashMap::new();
    adapters.insert(Platform::Telegram, clock.clone());
    let outbox = App::new(tree2.clone(), cfg.clone(), treecast::clock::Clock::system()).unwrap().outbox(adapters);
    let waker = outbox.waker();
    let (stop, rx) = watch::channel(false);
    let worker = tokio::spawn(outbox.run(rx));
    // Two notices to the same groups: per-chat limits matter too.
    let n1 = tree2.post(admin.id, Draft { levels: vec!["school".into()], ..draft("CN") }, &rules).unwrap();
    let n2 = tree2.post(admin.id, Draft { levels: vec!["school".into()], ..draft("CN") }, &rules).unwrap();
    let _ = (n1, n2);
    waker.wake();
    let t = Instant::now();
    while !tree2.store.active_notices().unwrap().is_empty() {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _ = t;
    stop.send(true).unwrap();
    worker.await.unwrap().unwrap();
    let sent = clock.sent.lock().unwrap();
    let times: Vec<Instant> = sent.iter().map(|(t, _)| *t).collect();
    let span = times.last().unwrap().duration_since(times[0]).as_secs_f64();
    let achieved = (times.len() - 1) as f64 / span;
    // Where time goes: the steady middle, and the longest gaps between sends.
    let (a, b) = (times.len() / 10, times.len() * 9 / 10);
    let middle = (b - a) as f64 / times[b].duration_since(times[a]).as_secs_f64();
    let mut gaps: Vec<(Duration, usize)> = times.windows(2).enumerate().map(|(i, w)| (w[1] - w[0], i)).collect();
    gaps.sort_by(|x, y| y.cmp(x));
    eprintln!(
        "(d) middle 80% of sends: {middle:.2}/s; longest gaps: {:?}",
        gaps.iter().take(5).map(|(d, i)| format!("{} ms after send {i}", d.as_millis())).collect::<Vec<_>>()
    );
    // Violations: any 1 s window with more than the platform limit; any chat
    // twice within 1 s; any group more than 20 times in 60 s.
    let mut over_platform = 0;
    let mut j = 0;
    for i in 0..times.len() {
        while times[i].duration_since(times[j]) >= Duration::from_secs(1) {
            j += 1;
        }
        if i - j + 1 > limits.per_second as usize {
            over_platform += 1;
        }
    }
    let mut per_chat: HashMap<&str, Vec<Instant>> = HashMap::new();
    for (t, c) in sent.iter() {
        per_chat.entry(c.as_str()).or_default().push(*t);
    }
    let mut chat_violations = 0;
    let mut group_violations = 0;
    for ts in per_chat.values() {
        for w in ts.windows(2) {
            if w[1].duration_since(w[0]) < Duration::from_secs(1) {
                chat_violations += 1;
            }
        }
        for (i, t) in ts.iter().enumerate() {
            let in_min = ts[i..].iter().take_while(|u| u.duration_since(*t) < Duration::from_secs(60)).count();
            if in_min > limits.per_group_per_minute as usize {
                group_violations += 1;
            }
        }
    }
    println!(
        "(d) telegram limits ({} msg/s, 1/s per chat, 20/min per group): {} deliveries to {groups} groups in {:.1} s = {:.2}/s, {:.1}% of the limit; violations: platform {over_platform}, per chat {chat_violations}, per group {group_violations}",
        limits.per_second,
        times.len(),
        span,
        achieved,
        100.0 * achieved / limits.per_second
    );
}
