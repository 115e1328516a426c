//! Campaign compliance benchmark (issue 20). The national tree (2,756
//! schools, BRANCHES class branches each), an official at every school,
//! and the shipped sample `config/campaigns/weibo-jianshe.toml` (4 steps:
//! form, bind, manual, follow) launched from the national root to every
//! school through the `campaign.launch` admin operation. Then 16 days of
//! progress as the log tells it, kept by the feature's subscriber: forms
//! submitted (85% of schools), Telegram groups bound (65%), profiles marked
//! by hand (45%), officials following (25%), a sixth of each past step's
//! completions after its deadline. At day 16 the first three deadlines have
//! passed and the fourth is still to come, so every state shows (done, done
//! late, late, open). Timed, RUNS times each, interleaved: the compliance
//! table (`status::compute`) for the national scope and for the province
//! with the most schools, its chat text, and the whole `campaign.status`
//! admin operation; beside them the yardstick from the same run: the reads
//! `compute` cannot do without, with nothing counted (the campaign's done
//! rows scanned, and the org record of each of the 2,756 targets read with
//! `tree.get`). The counts are checked against what was written.
//! `cargo bench --bench campaigns [-- BRANCHES [RUNS]]`, default 2 branches
//! a school and 200 runs.

use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use treecast::app::App;
use treecast::clock::Clock;
use treecast::config::Config;
use treecast::events::{self, Event};
use treecast::features::campaigns::status::{self, Counts};
use treecast::features::campaigns::{store, Campaigns};
use treecast::registry::Feature;
use treecast::store::{Store, Writes};
use treecast::tree::people::Role;
use treecast::tree::{generate, import, Org, Tree};
use treecast_wire::{Address, Platform};

#[path = "support/rss.rs"]
mod rss;
use rss::peak_rss_mb;

/// 2026-11-16 09:00 China time: the launch.
const LAUNCH: u64 = 1_794_790_800;
const DAY: u64 = 86_400;
/// Shares of schools done with each step by day 16 (a school done with a
/// later step has done the earlier ones).
const SHARE: [f64; 4] = [0.85, 0.65, 0.45, 0.25];
/// Of the completions of a step whose deadline has passed, the share after it.
const LATE: f64 = 1.0 / 6.0;
const WARM_UP: usize = 10;

fn pct(sorted: &[Duration], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize].as_secs_f64() * 1000.0
}

fn sorted(d: &[Duration]) -> Vec<Duration> {
    let mut d = d.to_vec();
    d.sort();
    d
}

fn p50(d: &[Duration]) -> f64 {
    pct(&sorted(d), 0.5)
}

fn p99(d: &[Duration]) -> f64 {
    pct(&sorted(d), 0.99)
}

fn show(name: &str, d: &[Duration]) -> String {
    let mean = d.iter().sum::<Duration>().as_secs_f64() * 1000.0 / d.len() as f64;
    let min = d.iter().min().unwrap().as_secs_f64() * 1000.0;
    format!("{name} min {min:.2} ms, p50 {:.2} ms, p99 {:.2} ms, mean {mean:.2} ms", p50(d), p99(d))
}

fn main() {
    let args: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let branches = args.first().copied().unwrap_or(2);
    let runs = args.get(1).copied().unwrap_or(200);
    let t = Instant::now();
    let tree = Tree::new(Store::temporary().unwrap(), Config::default().levels()).unwrap();
    let schools = generate::schools(None).unwrap();
    import::import_string(&tree, "bench", generate::national_csv(&schools, branches), None).unwrap();
    let app = App::new(tree, Config::default(), Clock::fixed(LAUNCH)).unwrap();
    let tree = app.tree().clone();
    let cn = tree.require("CN").unwrap();
    let n_orgs = tree.subtree(&cn).count();
    let official = tree.add_person("全国学校部").unwrap();
    tree.add_identity(official.id, Platform::Console, "cn").unwrap();
    tree.grant(official.id, &cn, Role::Official).unwrap();
    let school_orgs: Vec<Org> = tree.subtree(&cn).map(Result::unwrap).filter(|o| o.level == 2).collect();
    let mut school_official = HashMap::new();
    for s in &school_orgs {
        let p = tree.add_person(&format!("{}团委书记", s.name)).unwrap();
        tree.grant(p.id, s, Role::Official).unwrap();
        school_official.insert(s.id, p.id);
    }
    println!(
        "campaigns: {n_orgs} orgs ({} schools, {branches} branches each), an official at each school; set up in {:.1} s",
        school_orgs.len(),
        t.elapsed().as_secs_f64()
    );

    // The shipped sample, launched from the national root to every school.
    let text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("config/campaigns/weibo-jianshe.toml"))
            .unwrap();
    let launch = serde_json::json!({ "name": "weibo-jianshe.toml", "text": text, "org": "CN", "by": "console:cn" });
    let t = Instant::now();
    let r = app.registry.admin(&app.ctx, "campaign.launch", launch).unwrap();
    let launch_t = t.elapsed();
    let c = store::campaigns(app.ctx.store()).unwrap().pop().unwrap();
    assert_eq!(c.targets.len(), school_orgs.len(), "{}", r.text);
    assert_eq!(c.def.steps.len(), 4);
    println!(
        "  campaign #{} launched (announcement posted, {} targets, jobs scheduled) in {:.0} ms",
        c.id,
        c.targets.len(),
        launch_t.as_secs_f64() * 1000.0
    );

    // Progress over 16 days, as the log tells it.
    let now = LAUNCH + 16 * DAY;
    assert!(c.dues[2] < now && now < c.dues[3], "three deadlines passed, the fourth to come: {:?}", c.dues);
    let mut rng = StdRng::seed_from_u64(20);
    let mut expected = [Counts::default(); 4];
    let mut w = Writes::default();
    let mut binds = Vec::new();
    let mut n_events = 0;
    for s in &school_orgs {
        let diligence: f64 = rng.random();
        for (i, due) in c.dues.iter().copied().enumerate() {
            if diligence >= SHARE[i] {
                if now > due {
                    expected[i].late += 1;
                } else {
                    expected[i].open += 1;
                }
                continue;
            }
            let late = now > due && rng.random::<f64>() < LATE;
            let at = if late { rng.random_range(due + 1..=now) } else { rng.random_range(LAUNCH + 60..=due.min(now)) };
            expected[i].done += 1;
            expected[i].done_late += usize::from(late);
            let e = match i {
                0 => {
                    Event::CampaignFormSubmitted { campaign: c.id, step: 0, org: s.id, person: school_official[&s.id] }
                }
                1 => {
                    binds.push((at, s.clone()));
                    continue;
                }
                2 => Event::CampaignMarked { campaign: c.id, step: 2, org: s.id, by: official.id, done: true },
                _ => Event::Following { person: school_official[&s.id], digest: true },
            };
            events::emit(&mut w, at * 1000, &e);
            n_events += 1;
            if n_events % 512 == 0 {
                app.ctx.store().commit(&std::mem::take(&mut w)).unwrap();
            }
        }
    }
    app.ctx.store().commit(&w).unwrap();
    // The groups bound as /bind does, each at its time (the event carries the clock's time).
    binds.sort_by_key(|(at, _)| *at);
    for (k, (at, s)) in binds.iter().enumerate() {
        app.ctx.clock.set(Some(*at));
        tree.bind(s, Address::group(Platform::Telegram, format!("-100{k}"))).unwrap();
    }
    app.ctx.clock.set(Some(now));
    let progress = Campaigns.subscribers().remove(0);
    let t = Instant::now();
    let handled = events::catch_up(app.ctx.store(), progress.name(), |b| progress.handle(&app.ctx, b)).unwrap();
    let done_rows = store::done(app.ctx.store(), c.id).unwrap().len();
    println!(
        "  {} completions told by the log ({n_events} events and {} bindings); the subscriber read {handled} events and wrote {done_rows} done rows in {:.2} s",
        expected.iter().map(|k| k.done).sum::<usize>(),
        binds.len(),
        t.elapsed().as_secs_f64()
    );

    // The scopes: the nation, and the province with the most schools.
    let mut per_province: HashMap<u32, usize> = HashMap::new();
    for s in &school_orgs {
        *per_province.entry(s.path[1]).or_default() += 1;
    }
    let (&prov_id, &prov_n) = per_province.iter().max_by_key(|(id, n)| (**n, std::cmp::Reverse(**id))).unwrap();
    let province = tree.get(prov_id).unwrap().unwrap();

    // Checked once: the table counts what was written.
    let national = status::compute(&app.ctx, &c, &cn).unwrap();
    assert_eq!(national.steps, expected, "the compliance counts and the progress written disagree");
    assert_eq!(national.targets.len(), school_orgs.len());
    assert_eq!(national.rows.len(), per_province.len());
    let prov = status::compute(&app.ctx, &c, &province).unwrap();
    assert_eq!(prov.targets.len(), prov_n);
    assert_eq!(prov.rows.len(), prov_n, "a province's rows are its schools");
    let national_text = national.to_text();
    let prov_text = prov.to_text();
    let status_args = serde_json::json!({ "id": c.id });
    for (i, k) in expected.iter().enumerate() {
        println!(
            "  step {} ({}): done {} (late {}), late {}, open {}",
            i + 1,
            c.def.steps[i].id,
            k.done,
            k.done_late,
            k.late,
            k.open
        );
    }

    // Timed, interleaved so that load on the machine falls on all alike.
    let (mut yard, mut yard_done, mut yard_get) = (Vec::new(), Vec::new(), Vec::new());
    let (mut nat, mut nat_text, mut op) = (Vec::new(), Vec::new(), Vec::new());
    let (mut pro, mut pro_text) = (Vec::new(), Vec::new());
    for run in 0..WARM_UP + runs {
        let keep = run >= WARM_UP;
        let time = |v: &mut Vec<Duration>, f: &mut dyn FnMut()| {
            let t = Instant::now();
            f();
            if keep {
                v.push(t.elapsed());
            }
        };
        // The yardstick: the reads alone.
        let mut rows = 0;
        let mut got = 0;
        let t = Instant::now();
        time(&mut yard_done, &mut || rows = store::done(app.ctx.store(), c.id).unwrap().len());
        time(&mut yard_get, &mut || {
            got = c.targets.iter().filter_map(|id| tree.get(*id).unwrap()).map(|o| o.path.len()).sum::<usize>()
        });
        if keep {
            yard.push(t.elapsed());
        }
        assert_eq!((rows, got), (done_rows, 3 * c.targets.len()));
        let mut s = None;
        time(&mut nat, &mut || s = Some(status::compute(&app.ctx, &c, &cn).unwrap()));
        time(&mut nat_text, &mut || assert_eq!(s.as_ref().unwrap().to_text().len(), national_text.len()));
        time(&mut pro, &mut || s = Some(status::compute(&app.ctx, &c, &province).unwrap()));
        time(&mut pro_text, &mut || assert_eq!(s.as_ref().unwrap().to_text().len(), prov_text.len()));
        time(&mut op, &mut || {
            let r = app.registry.admin(&app.ctx, "campaign.status", status_args.clone()).unwrap();
            assert_eq!(r.text.len(), national_text.len());
        });
    }
    let (nat50, nat99) = (p50(&nat), p99(&nat));
    let yard50 = p50(&yard);
    let targets = c.targets.len();
    println!("  {runs} runs each after {WARM_UP} warm-up, interleaved:");
    println!("  {}", show(&format!("national compliance (status::compute, {targets} targets x 4 steps):"), &nat));
    println!("  {}", show(&format!("  its chat text (to_text, {} bytes):", national_text.len()), &nat_text));
    println!("  {}", show("  the campaign.status admin operation, national (read, compute, text):", &op));
    println!("  {}", show(&format!("{} {} ({prov_n} targets), compute:", province.code, province.name), &pro));
    println!("  {}", show(&format!("  its chat text ({} bytes):", prov_text.len()), &pro_text));
    println!("  {}", show("yardstick, the reads alone (done rows + every target's org):", &yard));
    println!("  {}", show(&format!("  the {done_rows} done rows scanned (store::done):"), &yard_done));
    println!("  {}", show(&format!("  the {targets} targets' orgs read (tree.get):"), &yard_get));
    let verdict = if nat99 < 50.0 { "met" } else { "MISSED" };
    println!(
        "  national compute p50 {:.2}x the yardstick's; target < 50 ms: {verdict} (p99 {nat99:.2} ms)",
        nat50 / yard50
    );
    println!("  peak RSS {:.0} MB", peak_rss_mb());
}
