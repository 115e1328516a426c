//! Information services benchmark: one item of a national service to
//! SUBSCRIBERS subscribers (default 100,000) spread over every school's
//! branches, 10% on the daily bundle: the send job built and queued,
//! durable, as the scheduler runs it, one slice of subscribers a run, until
//! the item is sent (each subscriber's private message, or their bundle
//! row). The yardsticks, from the same run: the same number of ready-made
//! messages of the same size queued in one batch, and in as many batches as
//! the job took runs, each in a store of its own built the same way and
//! flushed after setup. Each is the first large write into its store's queue:
//! sled's first commit of this size costs more than a later one (measured
//! at about 1.6x), so all are measured in that state.
//! Plain `fn main`, run with `cargo bench --bench services [-- SUBSCRIBERS [SLICE]]`
//! (SLICE: subscribers a run of the send job, 10,000 unless given).

use std::path::Path;
use std::time::{Duration, Instant};

use treecast::app::App;
use treecast::clock::Clock;
use treecast::config::Config;
use treecast::features::services::store::{self, Mode, Service, Sub};
use treecast::outbox::queue::{self, Queued};
use treecast::store::{Store, Writes};
use treecast::tree::people::Role;
use treecast::tree::{generate, import, Tree};
use treecast_wire::{Address, Outbound, OutboundKind, Platform};

#[path = "support/rss.rs"]
mod rss;
use rss::peak_rss_mb;

const TEXT: &str = "【就业招聘】2027 届全国高校毕业生网络招聘月：12月1日至12月31日，登录国家大学生就业服务平台参加。";

/// A national tree with 2 branches a school and `n` students on Telegram
/// across the branches; their person ids.
fn world(dir: &Path, n: usize) -> (Tree, Vec<u64>) {
    let tree = Tree::new(Store::open(&dir.join("db")).unwrap(), Config::default().levels()).unwrap();
    let list = generate::read_schools(&Path::new(env!("CARGO_MANIFEST_DIR")).join("config/universities.csv")).unwrap();
    import::import_string(&tree, "national", generate::national_csv(&list, 2), None).unwrap();
    let cn = tree.require("CN").unwrap();
    let branches: Vec<_> = tree.subtree(&cn).map(Result::unwrap).filter(|o| o.level == 3).collect();
    let mut people = Vec::with_capacity(n);
    for i in 0..n {
        let org = &branches[i % branches.len()];
        let p = tree.add_person(&format!("学生{i}")).unwrap();
        tree.add_identity(p.id, Platform::Telegram, &format!("{}", 100_000_000 + i)).unwrap();
        tree.grant(p.id, org, Role::Member).unwrap();
        people.push(p.id);
    }
    (tree, people)
}

/// Service 1 of `org` with every one of `people` subscribed, a tenth daily.
fn subscribe(tree: &Tree, org: u32, by: u64, people: &[u64]) {
    let service =
        Service { id: 1, org, name: "就业招聘".into(), about: String::new(), editors: Vec::new(), created_by: by };
    let mut w = Writes::default();
    store::put_service(&mut w, &service);
    for (i, p) in people.iter().enumerate() {
        let mode = if i % 10 == 0 { Mode::Daily } else { Mode::Each };
        store::put_sub(&mut w, 1, *p, &Sub { mode, since: 0, token: store::new_token() });
        if i % 10_000 == 9_999 {
            tree.store.commit(&std::mem::take(&mut w)).unwrap();
        }
    }
    tree.store.commit(&w).unwrap();
    // Setup's writes reach the disk before anything is timed.
    tree.store.flush().unwrap();
}

/// A store built as the job's was (the subscriptions too), then `each`
/// ready private messages of `bytes` bytes queued `batch` at a time, each
/// batch committed and flushed: how long the queueing took.
fn yardstick(subscribers: usize, each: usize, bytes: usize, batch: usize) -> Duration {
    let dir = tempfile::tempdir().unwrap();
    let (tree, people) = world(dir.path(), subscribers);
    let cn = tree.require("CN").unwrap();
    subscribe(&tree, cn.id, people[0], &people);
    let body = "字".repeat(bytes / 3);
    let t = Instant::now();
    let mut w = Writes::default();
    for i in 0..each {
        let mut m =
            Outbound::reply(format!("plain-{i}"), Address::direct(Platform::Telegram, format!("{i}")), body.clone());
        m.kind = OutboundKind::Private;
        queue::put(&tree.store, &mut w, &Queued::new(m)).unwrap();
        if (i + 1) % batch == 0 || i + 1 == each {
            tree.store.commit(&std::mem::take(&mut w)).unwrap();
            tree.store.flush().unwrap();
        }
    }
    t.elapsed()
}

fn main() {
    let numbers: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let subscribers = numbers.first().copied().unwrap_or(100_000);
    let mut config = Config::default();
    // A second number sets the send job's slice (subscribers a run).
    if let Some(&n) = numbers.get(1) {
        config.services.send_slice = n;
    }
    let slice = config.services.send_slice;
    let dir = tempfile::tempdir().unwrap();
    let t = Instant::now();
    let (tree, people) = world(dir.path(), subscribers);
    let registered = t.elapsed();
    let cn = tree.require("CN").unwrap();
    let official = tree.add_person("王老师").unwrap();
    tree.add_identity(official.id, Platform::Console, "wang").unwrap();
    tree.grant(official.id, &cn, Role::Official).unwrap();
    // 10:00 China time on a weekday: outside the quiet hours; the other
    // features' daily jobs fall due later.
    let app = App::new(tree.clone(), config, Clock::fixed(1_796_090_400)).unwrap();
    let ctx = &app.ctx;
    subscribe(&tree, cn.id, official.id, &people);
    let args = serde_json::json!({ "service": 1, "by": "console:wang", "text": TEXT });
    app.registry.admin(ctx, "service.publish", args).unwrap();
    let before = tree.store.queued().unwrap().len();

    // The send job, due now, run by the scheduler slice after slice (each
    // run commits one slice and flushes) until the item is sent.
    let t = Instant::now();
    let mut runs = 0;
    while !store::item(&tree.store, 1).unwrap().expect("item 1").sent {
        assert_eq!(app.run_due_jobs().unwrap(), 1, "one slice of the send job a run");
        runs += 1;
    }
    let send = t.elapsed();
    let queued: Vec<Queued> = tree.store.queued().unwrap().into_iter().map(|(_, q)| q).collect();
    let items: Vec<&Queued> = queued.iter().filter(|q| q.msg.id.starts_with("sv")).collect();
    assert_eq!(queued.len() - before, items.len());
    let each = people.len() - people.len().div_ceil(10);
    assert_eq!(items.len(), each, "one message per subscriber on each item");
    let bytes = items.first().map(|q| q.msg.body.len()).unwrap_or(0);
    drop(queued);
    drop(app);
    drop(tree);

    // Yardsticks, each in a store of its own built the same way: as many
    // ready messages in one batch, and in as many batches as the job's runs.
    let plain = yardstick(subscribers, each, bytes, each);
    let sliced = yardstick(subscribers, each, bytes, each.div_ceil(runs));

    println!("subscribers {subscribers} over 5,512 branches ({:.1} s to register)", registered.as_secs_f64());
    println!(
        "item sent and queued      {:>7.3} s  {each} private messages ({bytes} bytes each) + {} bundle rows, {runs} runs of {slice}",
        send.as_secs_f64(),
        people.len() - each
    );
    println!(
        "yardstick: queue as many  {:>7.3} s  ready messages of that size, one batch, a fresh store",
        plain.as_secs_f64()
    );
    println!(
        "  the same in {runs} batches   {:>7.3} s  each committed and flushed, a fresh store",
        sliced.as_secs_f64()
    );
    println!("peak RSS                  {:>7.1} MB", peak_rss_mb());
}
