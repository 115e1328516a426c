//! Micro-topic hot list benchmark. The national tree (2,756 schools,
//! BRANCHES class branches each), 232 topics (one national, one per
//! province, 200 schools'), POSTS posts over 30 days, each from a random
//! branch under its topic's org and one of 200,000 writers. The topics'
//! daily figures are kept from the event log (timed: the catch-up of that
//! one subscriber). Then 1,000 `/topics` hot lists for random students, as
//! the feature answers them (from the daily figures), and beside them in
//! the same run the yardstick: the same list from every post of each topic
//! (the first design). `cargo bench --bench topics [-- POSTS [BRANCHES]]`,
//! default 1,000,000 posts and 20 branches a school.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use treecast::app::App;
use treecast::clock::Clock;
use treecast::config::Config;
use treecast::features::topics::store::{self, Post, Topic};
use treecast::features::topics::{view, Topics};
use treecast::registry::Feature;
use treecast::store::{Store, Writes};
use treecast::tree::people::{Person, Role};
use treecast::tree::{generate, import, Org, Tree};
use treecast_wire::Platform;

const QUERIES: usize = 1_000;
const DAY: u64 = 86_400;

fn pct(sorted: &[Duration], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize].as_secs_f64() * 1000.0
}

/// The yardstick: the standing of every topic `p` takes part in, from all of its posts.
fn hot_from_posts(app: &App, p: &Person, now: u64) -> Vec<(u64, usize, usize)> {
    let orgs: Vec<Org> = app.tree().roles_of(p.id).unwrap().into_iter().map(|(o, _)| o).collect();
    let from = store::day_of(now) - (view::WINDOW_DAYS - 1);
    let mut out = Vec::new();
    store::each_topic(app.ctx.store(), |t| {
        let host = app.tree().get(t.org)?.unwrap();
        if orgs.iter().any(|o| o.is_within(&host)) {
            let posts = store::posts(app.ctx.store(), t.id)?;
            let recent: Vec<&Post> = posts.iter().filter(|p| store::day_of(p.at) >= from).collect();
            let branches: HashSet<u32> = recent.iter().map(|p| p.org).collect();
            let seen: HashSet<(&str, u64)> = recent.iter().map(|p| (p.who.as_str(), p.at / 3600)).collect();
            out.push((t.id, branches.len(), seen.len()));
        }
        Ok(())
    })
    .unwrap();
    out.sort_by_key(|(id, b, a)| (std::cmp::Reverse((*b, *a)), *id));
    out
}

fn main() {
    let args: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let posts = args.first().copied().unwrap_or(1_000_000);
    let branches = args.get(1).copied().unwrap_or(20);
    let now = 1_800_000_000;
    let tree = Tree::new(Store::temporary().unwrap(), Config::default().levels()).unwrap();
    let schools = generate::schools(None).unwrap();
    import::import_string(&tree, "bench", generate::national_csv(&schools, branches), None).unwrap();
    let app = App::new(tree.clone(), Config::default(), Clock::fixed(now)).unwrap();
    let cn = tree.require("CN").unwrap();
    let all: Vec<Org> = tree.subtree(&cn).map(Result::unwrap).collect();
    let leaves: Vec<Org> = all.iter().filter(|o| o.level == 3).cloned().collect();
    let provinces: Vec<Org> = all.iter().filter(|o| o.level == 1).cloned().collect();
    let school_orgs: Vec<Org> = all.iter().filter(|o| o.level == 2).cloned().collect();
    let mut rng = StdRng::seed_from_u64(7);
    let mut hosts = vec![cn.clone()];
    hosts.extend(provinces.iter().cloned());
    hosts.extend(school_orgs.choose_multiple(&mut rng, 200).cloned());
    // Each topic's branches, to post from.
    let under: Vec<Vec<u32>> =
        hosts.iter().map(|h| leaves.iter().filter(|l| l.is_within(h)).map(|l| l.id).collect()).collect();
    let mut w = Writes::default();
    let topics: Vec<Topic> = hosts
        .iter()
        .enumerate()
        .map(|(i, h)| Topic {
            id: 1 + i as u64,
            tag: format!("话题{i}"),
            about: String::new(),
            org: h.id,
            opened_by: 0,
            opened: now - 30 * DAY,
            until: now + DAY,
            notice: None,
        })
        .collect();
    for t in &topics {
        store::put_topic(&mut w, t, (now - 30 * DAY) * 1000);
    }
    app.ctx.store().commit(&w).unwrap();

    println!("topics: {} topics, {posts} posts over 30 days, {} branches", topics.len(), leaves.len());
    let t0 = Instant::now();
    let mut w = Writes::default();
    for i in 0..posts {
        // A third national, a third provincial, a third a school's.
        let k = match i % 3 {
            0 => 0,
            1 => rng.random_range(1..=provinces.len()),
            _ => rng.random_range(provinces.len() + 1..topics.len()),
        };
        let at = now - rng.random_range(0..30 * DAY);
        let p = Post {
            id: 1_000_000 + i as u64,
            org: *under[k].choose(&mut rng).unwrap(),
            person: None,
            who: format!("p{}", rng.random_range(0..200_000)),
            name: String::new(),
            text: "我们班参加了 #话题#".into(),
            via: Platform::Telegram,
            at,
        };
        store::put_post(&mut w, topics[k].id, &p, at * 1000);
        if (i + 1) % 2_000 == 0 {
            app.ctx.store().commit(&std::mem::take(&mut w)).unwrap();
        }
    }
    app.ctx.store().commit(&w).unwrap();
    println!("  posts written in {:.1} s", t0.elapsed().as_secs_f64());

    // The daily figures, from the log: that subscriber alone.
    let stats = Topics.subscribers().remove(0);
    let t1 = Instant::now();
    let handled =
        treecast::events::catch_up(app.ctx.store(), stats.name(), |batch| stats.handle(&app.ctx, batch)).unwrap();
    println!("  daily figures kept from {handled} events in {:.1} s", t1.elapsed().as_secs_f64());

    // Students of random branches.
    let students: Vec<Person> = (0..100)
        .map(|i| {
            let p = tree.add_person(&format!("学生{i}")).unwrap();
            tree.grant(p.id, leaves.choose(&mut rng).unwrap(), Role::Member).unwrap();
            p
        })
        .collect();
    for p in &students {
        view::hot_list(&app.ctx, p).unwrap();
    }
    let mut ours = Vec::with_capacity(QUERIES);
    let mut yard = Vec::with_capacity(QUERIES);
    for q in 0..QUERIES {
        let p = &students[q % students.len()];
        let t = Instant::now();
        let text = view::hot_list(&app.ctx, p).unwrap();
        ours.push(t.elapsed());
        let list = view::hot(&app.ctx, p, now).unwrap();
        let t = Instant::now();
        let naive = hot_from_posts(&app, p, now);
        yard.push(t.elapsed());
        // Same answer both ways.
        let mine: Vec<(u64, usize, usize)> = list.iter().map(|(t, _, s)| (t.id, s.branches, s.activity)).collect();
        assert_eq!(mine, naive, "the daily figures and the posts disagree");
        assert!(!text.is_empty());
    }
    ours.sort();
    yard.sort();
    println!(
        "  hot list from daily figures: p50 {:.2} ms, p99 {:.2} ms; from every post (yardstick): p50 {:.2} ms, p99 {:.2} ms ({QUERIES} queries, {} students)",
        pct(&ours, 0.5),
        pct(&ours, 0.99),
        pct(&yard, 0.5),
        pct(&yard, 0.99),
        students.len()
    );
}
