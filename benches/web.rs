//! The web console on the national tree (2,756 schools, 100 branches each:
//! 275,600 chats): the national notice's page as its official opens it, and
//! the overview of a province as its official opens it, each over HTTP
//! beside yardsticks from the same run: the same status read in-process, and
//! the console's smallest page (its stylesheet) over the same HTTP. Also the
//! page weight: the HTML with its stylesheet and htmx, no images.
//! Plain `fn main`: `cargo bench --bench web [-- BRANCHES_PER_SCHOOL [CALLS]]`.

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

#[path = "../tests/support/http.rs"]
mod support;

fn pct(sorted: &[Duration], p: f64) -> String {
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    format!("{:.1} ms", sorted[i].as_secs_f64() * 1e3)
}

fn line(what: &str, mut d: Vec<Duration>) -> String {
    d.sort();
    format!("{what}: p50 {} p95 {} p99 {}", pct(&d, 0.5), pct(&d, 0.95), pct(&d, 0.99))
}

/// `calls` GETs of `path` with the session cookie: their times and the last body's size.
fn timed(addr: &str, path: &str, cookie: &str, calls: usize) -> (Vec<Duration>, usize) {
    let mut size = 0;
    let times = (0..calls)
        .map(|_| {
            let t = Instant::now();
            let (status, body) = support::request(addr, "GET", path, &[("Cookie", cookie)], "");
            assert_eq!(status, 200, "{path}: {body}");
            size = body.len();
            t.elapsed()
        })
        .collect();
    (times, size)
}

/// A session for `person`, as a used sign-in link makes one: the cookie.
fn session(app: &App, person: u64) -> String {
    use treecast::web::session;
    let store = app.ctx.store();
    let link = session::new_link(store, person, app.ctx.now(), 600).unwrap();
    let (sid, _) = session::redeem_link(store, &link, app.ctx.now(), 3600).unwrap();
    format!("tc_session={sid}")
}

#[tokio::main]
async fn main() {
    let args: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let per_school = args.first().copied().unwrap_or(100);
    let calls = args.get(1).copied().unwrap_or(100);
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
    let official = |name: &str, user: &str, code: &str| {
        let p = tree.add_person(name).unwrap();
        tree.add_identity(p.id, Platform::Email, user).unwrap();
        tree.grant(p.id, &tree.require(code).unwrap(), Role::Official).unwrap();
        p.id
    };
    let national = official("全国学校部", "cn@example.test", "CN");
    let hunan = official("湖南省团委学校部", "hunan@example.test", "43");
    println!("setup: national tree, {n} branches bound, in {:.1} s", t.elapsed().as_secs_f64());

    let mut cfg = Config { data_dir: dir.path().join("db"), ..Config::default() };
    cfg.web.listen = Some("127.0.0.1:0".parse().unwrap());
    let app = App::new(tree.clone(), cfg, Clock::system()).unwrap();
    let (stop, sd) = tokio::sync::watch::channel(false);
    let mut adapters: HashMap<Platform, Arc<dyn Adapter>> = HashMap::new();
    adapters.insert(Platform::Console, Arc::new(Sink));
    let running = app.start_workers(adapters, sd.clone());
    let console = treecast::web::start(app.ctx.clone(), app.registry.clone(), sd).await.unwrap().unwrap();
    let addr = console.address.to_string();

    let draft = Draft {
        issuer_code: "CN".into(),
        title: "关于开展主题团日活动的通知".into(),
        body: "请各团支部组织开展。".into(),
        ack_required: true,
        ..Draft::default()
    };
    let notice = tree.post(national, draft, &app.ctx.rules()).unwrap();
    app.ctx.waker.wake();
    app.settle().await.unwrap();
    println!("national notice #{} delivered to {n} chats", notice.id);

    let (cn, hn) = (session(&app, national), session(&app, hunan));
    let page = format!("/notice/{}", notice.id);
    let (a, p, c) = (addr.clone(), page.clone(), cn.clone());
    let cn2 = cn.clone();
    let ((notice_t, notice_bytes), (overview_t, overview_bytes), (css_t, css_bytes), national_t) =
        tokio::task::spawn_blocking(move || {
            // One call first: the first read of each keyspace is not what an official waits for.
            timed(&a, &p, &c, 1);
            let notice = timed(&a, &p, &c, calls);
            timed(&a, "/", &hn, 1);
            let overview = timed(&a, "/", &hn, calls);
            let css = timed(&a, "/static/console.css", &c, calls);
            // The national official's overview walks all 278,387 orgs for its coverage.
            let national = timed(&a, "/", &cn2, 10).0;
            (notice, overview, css, national)
        })
        .await
        .unwrap();
    let direct: Vec<Duration> = (0..calls)
        .map(|_| {
            let t = Instant::now();
            std::hint::black_box(tree.status(Some(national), notice.id, None, 20).unwrap());
            t.elapsed()
        })
        .collect();
    let (_, htmx_bytes) = tokio::task::spawn_blocking({
        let a = addr.clone();
        move || timed(&a, "/static/htmx.min.js", "", 1)
    })
    .await
    .unwrap();
    println!("{}", line(&format!("national notice page ({n} chats), {calls} GETs"), notice_t));
    println!("{}", line("yardstick: the same status read in-process", direct));
    println!("{}", line("province overview (湖南, its official)", overview_t));
    println!("{}", line("yardstick: the stylesheet over the same HTTP", css_t));
    println!("{}", line("national overview (the national official), 10 GETs", national_t));
    let kb = |b: usize| b as f64 / 1024.0;
    println!(
        "page weight, no images: notice page {:.1} kB + stylesheet {:.1} kB + htmx {:.1} kB = {:.1} kB; overview {:.1} kB",
        kb(notice_bytes),
        kb(css_bytes),
        kb(htmx_bytes),
        kb(notice_bytes + css_bytes + htmx_bytes),
        kb(overview_bytes)
    );
    stop.send(true).unwrap();
    console.join().await;
    running.join().await.unwrap();
}
