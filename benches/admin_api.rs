//! The admin API on the national tree: bind codes for every branch in one
//! call (beside raw sled inserts of as many keys), and the status of a
//! national notice through the API (beside the same status read in-process).
//! Plain `fn main`: `cargo bench --bench admin_api [-- BRANCHES_PER_SCHOOL [STATUS_CALLS]]`.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use treecast::app::App;
use treecast::clock::Clock;
use treecast::config::Config;
use treecast::notice::Draft;
use treecast::store::Store;
use treecast::tree::people::Role;
use treecast::tree::{generate, import, Levels, Tree};
use treecast_wire::{Adapter, Address, Platform};

#[path = "support/sink.rs"]
mod sink;
use sink::Sink;

const TOKEN: &str = "bench-token";

#[path = "../tests/support/http.rs"]
mod support;

fn post(addr: &str, path: &str, body: &str) -> (u16, String) {
    support::request(addr, "POST", path, &[("Authorization", &format!("Bearer {TOKEN}"))], body)
}

fn pct(sorted: &[Duration], p: f64) -> String {
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    format!("{:.1} ms", sorted[i].as_secs_f64() * 1e3)
}

#[tokio::main]
async fn main() {
    let args: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let per_school = args.first().copied().unwrap_or(100);
    let calls = args.get(1).copied().unwrap_or(200);
    let dir = tempfile::tempdir().unwrap();
    let t = Instant::now();
    let tree = Tree::new(Store::open(&dir.path().join("db")).unwrap(), Levels::default_levels()).unwrap();
    let schools = generate::schools(None).unwrap();
    import::import_string(&tree, "national", generate::national_csv(&schools, per_school), None).unwrap();
    let root = tree.require("CN").unwrap();
    let branches: Vec<_> = tree.subtree(&root).map(|o| o.unwrap()).filter(|o| o.level == 3).collect();
    let n = branches.len();
    let pairs = branches.iter().map(|o| (o.clone(), Address::group(Platform::Console, o.code.clone()))).collect();
    tree.bind_bulk(pairs).unwrap();
    let official = tree.add_person("全国学校部").unwrap();
    tree.add_identity(official.id, Platform::Email, "cn@example.test").unwrap();
    tree.grant(official.id, &root, Role::Official).unwrap();
    println!("setup: national tree, {n} branches bound, in {:.1} s", t.elapsed().as_secs_f64());

    // SAFETY of set_var: single-threaded here, before the server starts.
    std::env::set_var("TREECAST_ADMIN_TOKEN", TOKEN);
    let admin = treecast::config::AdminConfig { listen: Some("127.0.0.1:0".parse().unwrap()), socket: false };
    let cfg = Config { data_dir: dir.path().join("db"), admin, ..Config::default() };
    let app = App::new(tree.clone(), cfg, Clock::system()).unwrap();
    let (stop, sd) = tokio::sync::watch::channel(false);
    let mut adapters: HashMap<Platform, Arc<dyn Adapter>> = HashMap::new();
    adapters.insert(Platform::Console, Arc::new(Sink));
    let running = app.start_workers(adapters, sd.clone());
    let api = treecast::api::server::start(app.ctx.clone(), app.registry.clone(), sd).await.unwrap().unwrap();
    let addr = api.tcp.unwrap().to_string();

    // Bind codes: one call for every branch, beside raw sled inserts of as many 8-byte keys.
    let a = addr.clone();
    let (codes, codes_t) = tokio::task::spawn_blocking(move || {
        let t = Instant::now();
        let r = post(&a, "/api/v1/org/invite", r#"{"under": "CN", "level": "branch", "csv": "codes.csv"}"#);
        (r, t.elapsed())
    })
    .await
    .unwrap();
    assert_eq!(codes.0, 200, "{}", codes.1);
    let raw = sled::Config::new().temporary(true).open().unwrap();
    let t = Instant::now();
    for i in 0..n as u64 {
        raw.insert(i.to_be_bytes(), &b"bind code row, about this long"[..]).unwrap();
    }
    raw.flush().unwrap();
    let raw_t = t.elapsed();
    println!(
        "bind codes for {n} branches, one API call (CSV back): {:.2} s; yardstick, {n} raw sled inserts: {:.2} s",
        codes_t.as_secs_f64(),
        raw_t.as_secs_f64()
    );

    // A national notice, delivered, then its status: through the API and in-process.
    let draft = Draft {
        issuer_code: "CN".into(),
        title: "关于开展主题团日活动的通知".into(),
        body: "请各团支部组织开展。".into(),
        ack_required: true,
        ..Draft::default()
    };
    let t = Instant::now();
    let notice = tree.post(official.id, draft, &app.ctx.rules()).unwrap();
    println!(
        "posting the national notice (with its unreached orgs per level): {:.0} ms",
        t.elapsed().as_secs_f64() * 1e3
    );
    app.ctx.waker.wake();
    let t = Instant::now();
    app.settle().await.unwrap();
    println!("national notice #{} delivered to {n} chats in {:.1} s", notice.id, t.elapsed().as_secs_f64());
    let body = format!("{{\"id\": {}}}", notice.id);
    let a = addr.clone();
    let mut via_api = tokio::task::spawn_blocking(move || {
        (0..calls)
            .map(|_| {
                let t = Instant::now();
                let (status, text) = post(&a, "/api/v1/notice/status", &body);
                assert_eq!(status, 200, "{text}");
                t.elapsed()
            })
            .collect::<Vec<_>>()
    })
    .await
    .unwrap();
    let mut direct: Vec<Duration> = (0..calls)
        .map(|_| {
            let t = Instant::now();
            let st = tree.status(None, notice.id, None, 20).unwrap();
            std::hint::black_box(st.to_text(&tree));
            t.elapsed()
        })
        .collect();
    via_api.sort();
    direct.sort();
    println!(
        "status of the national notice, {calls} calls: through the API p50 {} p95 {} p99 {}; yardstick in-process p50 {} p95 {} p99 {}",
        pct(&via_api, 0.5),
        pct(&via_api, 0.95),
        pct(&via_api, 0.99),
        pct(&direct, 0.5),
        pct(&direct, 0.95),
        pct(&direct, 0.99)
    );
    stop.send(true).unwrap();
    api.join().await;
    running.join().await.unwrap();
}
