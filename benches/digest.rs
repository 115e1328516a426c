//! Daily digest benchmark: the national broadcast of the morning digest to
//! OFFICIALS officials (default 10,000) across every province and school,
//! each with unread letters waiting and the provinces with open notices:
//! the digest job built and queued, durable, as the scheduler runs it.
//! Beside it the yardstick from the same run: queueing the same number of
//! ready-made messages of the same size in one batch.
//! Plain `fn main`, run with `cargo bench --bench digest [-- OFFICIALS]`.

use std::path::Path;
use std::time::Instant;

use treecast::app::App;
use treecast::clock::Clock;
use treecast::config::Config;
use treecast::features::mailbox::letters::{Kind, Party};
use treecast::features::mailbox::send::{send, Outgoing};
use treecast::notice::Draft;
use treecast::outbox::queue::{self, Queued};
use treecast::store::{Store, Writes};
use treecast::tree::people::Role;
use treecast::tree::{generate, import, Tree};
use treecast_wire::{Address, Outbound, OutboundKind, Platform};

#[path = "support/rss.rs"]
mod rss;
use rss::peak_rss_mb;

fn main() {
    let officials: usize = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(10_000);
    let dir = tempfile::tempdir().unwrap();
    let cfg = Config::default();
    let tree = Tree::new(Store::open(&dir.path().join("db")).unwrap(), cfg.levels()).unwrap();
    let list = generate::read_schools(&Path::new(env!("CARGO_MANIFEST_DIR")).join("config/universities.csv")).unwrap();
    import::import_string(&tree, "national", generate::national_csv(&list, 1), None).unwrap();

    // Officials spread over the provinces and schools; every school has a chat.
    let cn = tree.require("CN").unwrap();
    let orgs: Vec<_> = tree.subtree(&cn).map(Result::unwrap).filter(|o| o.level == 1 || o.level == 2).collect();
    let chats: Vec<_> = orgs
        .iter()
        .filter(|o| o.level == 2)
        .map(|o| (o.clone(), Address::group(Platform::Console, o.code.clone())))
        .collect();
    tree.bind_bulk(chats).unwrap();
    let t = Instant::now();
    let mut first_of = std::collections::HashMap::new();
    for i in 0..officials {
        let org = &orgs[i % orgs.len()];
        let p = tree.add_person(&format!("{}干部{}", org.name, i / orgs.len() + 1)).unwrap();
        tree.add_identity(p.id, Platform::Console, &format!("official-{i}")).unwrap();
        tree.grant(p.id, org, Role::Official).unwrap();
        first_of.entry(org.id).or_insert(p.id);
    }
    let people = t.elapsed();

    let app = App::new(tree.clone(), cfg, Clock::system()).unwrap();
    let ctx = &app.ctx;
    // Each province writes to all its schools, and each school reports up:
    // every org has an unread letter. Each province has an open notice.
    let t = Instant::now();
    let mut letters = 0;
    let deadline = ctx.now() + 40 * 3600;
    for prov in orgs.iter().filter(|o| o.level == 1) {
        let author = first_of[&prov.id];
        let children = tree.children(prov.id).unwrap();
        for child in &children {
            let (school, s) = (&Party::Org(child.id), &child.id);
            let prov_org = std::slice::from_ref(prov);
            let body = "本周完成团员教育评议。".to_owned();
            let out = Outgoing::letter(*school, prov_org, Kind::Report, "本周工作信息".into(), body, first_of[s]);
            letters += send(ctx, out).unwrap().letters.len();
        }
        let body = "请于周五前报送。".to_owned();
        let title = "关于报送团员发展计划的通知".to_owned();
        let out = Outgoing::letter(Party::Org(prov.id), &children, Kind::Message, title, body, author);
        letters += send(ctx, out).unwrap().letters.len();
        let draft = Draft {
            issuer_code: prov.code.clone(),
            title: "关于开展团员教育评议的通知".into(),
            body: "请各高校团委按时完成。".into(),
            ack_required: true,
            ack_deadline: Some(deadline),
            ..Draft::default()
        };
        tree.post(author, draft, &ctx.rules()).unwrap();
    }
    let setup = t.elapsed();
    let before = tree.store.queued().unwrap().len();

    // The digest job, brought forward to now and run by the scheduler.
    treecast::features::digest::bring_forward(ctx).unwrap();
    let t = Instant::now();
    let ran = app.run_due_jobs().unwrap();
    let digest = t.elapsed();
    let queued: Vec<Queued> = tree.store.queued().unwrap().into_iter().map(|(_, q)| q).collect();
    let digests: Vec<&Queued> = queued.iter().filter(|q| q.msg.id.starts_with("digest-")).collect();
    let bytes: usize = digests.iter().map(|q| q.msg.body.len()).sum();
    assert_eq!(ran, 1, "the digest job ran");
    assert_eq!(queued.len() - before, digests.len());

    // The half-hourly check for items due within a day walks every official the same way.
    treecast::features::digest::bring_forward_check(ctx).unwrap();
    let t = Instant::now();
    assert_eq!(app.run_due_jobs().unwrap(), 1, "the check ran");
    let check = t.elapsed();

    // Yardstick: the same number of ready messages of the same size, queued in one batch.
    let body = "字".repeat(bytes / digests.len().max(1) / 3);
    let t = Instant::now();
    let mut w = Writes::default();
    for i in 0..digests.len() {
        let mut m = Outbound::reply(
            format!("plain-{i}"),
            Address::direct(Platform::Console, format!("official-{i}")),
            body.clone(),
        );
        m.kind = OutboundKind::Private;
        queue::put(&tree.store, &mut w, &Queued::new(m)).unwrap();
    }
    tree.store.commit(&w).unwrap();
    tree.store.flush().unwrap();
    let plain = t.elapsed();

    println!(
        "officials {officials} over {} provinces and schools ({:.2} s to register)",
        orgs.len(),
        people.as_secs_f64()
    );
    println!("letters {letters}, 31 open notices ({:.2} s to send)", setup.as_secs_f64());
    println!(
        "digest built and queued   {:>7.3} s  {} digests, {:.0} bytes of text each on average",
        digest.as_secs_f64(),
        digests.len(),
        bytes as f64 / digests.len().max(1) as f64
    );
    println!("half-hourly due check     {:>7.3} s  (nothing due within a day: nothing sent)", check.as_secs_f64());
    println!("yardstick: queue as many  {:>7.3} s  ready messages of that size, one batch", plain.as_secs_f64());
    println!("peak RSS                  {:>7.1} MB", peak_rss_mb());
}
