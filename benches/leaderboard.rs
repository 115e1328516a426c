//! Activity leaderboard benchmark. The national tree (2,756 schools,
//! BRANCHES class branches each), a chat bound to 80% of the branches,
//! 50,000 members, 300 ack-required notices each to a random province
//! (their delivery rows, `Delivered` events of 50 copies and the fan-out's
//! end), and in all EVENTS synthetic events over 30 days in the log:
//! those, acknowledgements (on time or late by each notice's deadline),
//! survey responses (10 each), topic posts, column posts
//! submitted and featured, reports upward. Timed: the daily figures kept
//! from the log (the feature's subscriber), then the daily run scoring
//! every org for both windows (what runs at 03:00). Beside them in the same
//! run, the yardstick: the same scores straight from the raw events (the
//! design that keeps 60 days of log), checked equal. Peak memory is the
//! process's high-water mark after each step.
//! `cargo bench --bench leaderboard [-- EVENTS [BRANCHES]]`, default
//! 1,000,000 events and 100 branches a school.

use std::collections::{HashMap, HashSet};
use std::time::Instant;

use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use treecast::app::App;
use treecast::clock::Clock;
use treecast::config::Config;
use treecast::events::{self, Event, Record};
use treecast::features::leaderboard::score::{self, InUse, Own, Tally};
use treecast::features::leaderboard::store::day_of;
use treecast::features::leaderboard::{self as lb, Leaderboard};
use treecast::notice::fanout::{DeliveryRow, DeliveryState};
use treecast::notice::Target;
use treecast::notice::{Notice, NoticeKind};
use treecast::registry::Feature;
use treecast::store::{Store, Writes};
use treecast::tree::people::Role;
use treecast::tree::{generate, import, Org, Tree};
use treecast_wire::{Address, Platform};

const DAY: u64 = 86_400;
const NOTICES: u64 = 300;

#[path = "support/rss.rs"]
mod rss;
use rss::peak_rss_mb as peak_mb;

/// The yardstick: every org's score straight from the raw events of the
/// window, in memory (needs the log kept for 60 days).
fn from_raw(
    app: &App,
    orgs: &[(u32, Option<u32>, usize)],
    members: &HashMap<u32, u32>,
    live: &HashSet<u32>,
    now: u64,
) -> HashMap<u32, score::Score> {
    let from = day_of(now) - (lb::WINDOW_DAYS - 1);
    let mut rules: HashMap<u64, (bool, Option<u64>)> = HashMap::new();
    let mut seen: HashSet<(u64, u32)> = HashSet::new();
    let mut post_org: HashMap<u64, u32> = HashMap::new();
    let mut t: HashMap<u32, Tally> = HashMap::new();
    let mut weeks: HashSet<(u32, u32)> = HashSet::new();
    let mut seq = 0;
    loop {
        let batch: Vec<Record> = events::read(app.ctx.store(), seq, 4096).unwrap();
        let Some(last) = batch.last() else { break };
        seq = last.seq;
        for r in &batch {
            let at = r.at_ms / 1000;
            let d = day_of(at);
            let recent = d >= from;
            let mut rule = |n: u64| {
                *rules.entry(n).or_insert_with(|| {
                    let x = app.ctx.store().notice(n).unwrap().unwrap();
                    (x.ack_required, x.ack_deadline)
                })
            };
            match &r.event {
                Event::Delivered { notice, to } if rule(*notice).0 => {
                    for (_, o) in to {
                        if seen.insert((*notice, *o)) && recent {
                            t.entry(*o).or_default().received += 1;
                        }
                    }
                }
                Event::Acknowledged { notice, org, .. } => {
                    let (req, dl) = rule(*notice);
                    if recent && req && dl.is_none_or(|dl| at <= dl) {
                        t.entry(*org).or_default().acked += 1;
                    }
                }
                Event::SurveyAnswered { answered, .. } if recent => {
                    for (o, _) in answered {
                        t.entry(*o).or_default().answers += 1;
                    }
                }
                Event::TopicPosted { org, .. } if recent => t.entry(*org).or_default().topic_posts += 1,
                Event::ShowcaseSubmitted { post, from: o, .. } => {
                    post_org.insert(*post, *o);
                    if recent {
                        t.entry(*o).or_default().submitted += 1;
                    }
                }
                Event::ShowcaseFeatured { post, .. } if recent => {
                    if let Some(o) = post_org.get(post) {
                        t.entry(*o).or_default().featured += 1;
                    }
                }
                Event::LetterSent { from: o, report: true, .. } if recent => {
                    weeks.insert((*o, (d + 3) / 7));
                }
                _ => {}
            }
        }
    }
    for (o, _) in weeks {
        t.entry(o).or_default().report_weeks += 1;
    }
    let own: HashMap<u32, Own> = orgs
        .iter()
        .map(|(id, _, _)| {
            let tally = t.get(id).copied().unwrap_or_default();
            (*id, Own { tally, members: members.get(id).copied().unwrap_or(0), live_chat: live.contains(id) })
        })
        .collect();
    score::all(orgs, &own, InUse::of(t.values()))
}

fn main() {
    let args: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let n_events = args.first().copied().unwrap_or(1_000_000);
    let branches = args.get(1).copied().unwrap_or(100);
    let now = 1_800_000_000;
    let tree = Tree::new(Store::temporary().unwrap(), Config::default().levels()).unwrap();
    let schools = generate::schools(None).unwrap();
    let t = Instant::now();
    import::import_string(&tree, "bench", generate::national_csv(&schools, branches), None).unwrap();
    let app = App::new(tree.clone(), Config::default(), Clock::fixed(now)).unwrap();
    let cn = tree.require("CN").unwrap();
    let all: Vec<Org> = tree.subtree(&cn).map(Result::unwrap).collect();
    let leaves: Vec<Org> = all.iter().filter(|o| o.level == 3).cloned().collect();
    let mut rng = StdRng::seed_from_u64(11);
    for (i, o) in leaves.iter().enumerate() {
        if i % 5 != 0 {
            tree.bind(o, Address::group(Platform::Telegram, format!("-100{i}"))).unwrap();
        }
    }
    for i in 0..50_000 {
        let p = tree.add_person(&format!("团员{i}")).unwrap();
        tree.grant(p.id, leaves.choose(&mut rng).unwrap(), Role::Member).unwrap();
    }
    // Each province's chats, for the notices' copies.
    let mut chats: HashMap<u32, Vec<(u64, u32)>> = HashMap::new();
    for p in app.ctx.store().channels_under(&cn.path).unwrap() {
        chats.entry(p.path[1]).or_default().push((p.channel.id, p.channel.org));
    }
    let provinces: Vec<u32> = chats.keys().copied().collect();
    let t0 = Instant::now();
    let mut w = Writes::default();
    let mut written = 0;
    for n in 1..=NOTICES {
        let created = now - rng.random_range(0..30 * DAY);
        let copies = &chats[provinces.choose(&mut rng).unwrap()];
        for (ch, org) in copies {
            let state = DeliveryState::Sent { at: created, message_ids: Vec::new() };
            w.put_delivery(n, *ch, &DeliveryRow { state, tries: 1, org: *org });
        }
        for part in copies.chunks(50) {
            events::emit(&mut w, (created + 3600) * 1000, &Event::Delivered { notice: n, to: part.to_vec() });
            written += 1;
        }
        events::emit(&mut w, (created + 3600) * 1000, &Event::FanoutFinished { notice: n });
        written += 1;
        w.put_notice(&Notice {
            id: n,
            kind: NoticeKind::Notice,
            issuer: cn.id,
            author: 0,
            title: format!("通知{n}"),
            body: String::new(),
            attachments: Vec::new(),
            target: Target { roots: vec![cn.id], include_roots: false, levels: None, exclude: Vec::new() },
            ack_required: true,
            ack_deadline: Some(created + 3 * DAY),
            created,
            auto_reminded: false,
            buttons: Vec::new(),
        });
        app.ctx.store().commit(&std::mem::take(&mut w)).unwrap();
    }
    println!(
        "leaderboard: {} orgs ({} branches, {} with a chat), 50,000 members; set up in {:.1} s",
        all.len(),
        leaves.len(),
        leaves.len() * 4 / 5,
        t.elapsed().as_secs_f64()
    );

    let pick = |rng: &mut StdRng| leaves.choose(rng).unwrap().id;
    for i in 0..n_events.saturating_sub(written) {
        let at = now - rng.random_range(0..30 * DAY);
        let notice = rng.random_range(1..=NOTICES);
        let e = match rng.random_range(0..100) {
            0..60 => Event::Acknowledged { notice, org: pick(&mut rng), person: None, via: Platform::Telegram },
            60..75 => Event::SurveyAnswered { survey: 1, answered: (0..10).map(|_| (pick(&mut rng), None)).collect() },
            75..90 => Event::TopicPosted { topic: 1, post: i as u64, org: pick(&mut rng), person: None },
            90..94 => Event::ShowcaseSubmitted { post: i as u64, org: pick(&mut rng), from: pick(&mut rng), author: 0 },
            94..96 => Event::ShowcaseFeatured { post: rng.random_range(0..i as u64 + 1), org: cn.id, by: 0, from: 0 },
            _ => Event::LetterSent { letter: i as u64, from: pick(&mut rng), to: 0, report: true },
        };
        events::emit(&mut w, at * 1000, &e);
        if (i + 1) % 5_000 == 0 {
            app.ctx.store().commit(&std::mem::take(&mut w)).unwrap();
        }
    }
    app.ctx.store().commit(&w).unwrap();
    println!("  {n_events} events written in {:.1} s; peak {:.0} MB", t0.elapsed().as_secs_f64(), peak_mb());

    let figures = Leaderboard.subscribers().remove(0);
    let t1 = Instant::now();
    let mut in_handle = 0.0;
    let handled = events::catch_up(app.ctx.store(), figures.name(), |batch| {
        let t = Instant::now();
        let w = figures.handle(&app.ctx, batch);
        in_handle += t.elapsed().as_secs_f64();
        w
    })
    .unwrap();
    let keep = t1.elapsed().as_secs_f64();
    println!(
        "  daily figures kept from {handled} events in {keep:.1} s ({in_handle:.1} s reading and adding, the rest committing); peak {:.0} MB",
        peak_mb()
    );
    let t2 = Instant::now();
    let scored = lb::recompute(&app.ctx).unwrap();
    let run = t2.elapsed().as_secs_f64();
    println!("  daily run: {scored} orgs scored (two windows) in {run:.1} s; peak {:.0} MB", peak_mb());
    println!("  from the log to the scores: {:.1} s", keep + run);

    // The yardstick, and the check that both give the same scores.
    let orgs: Vec<(u32, Option<u32>, usize)> = all.iter().map(|o| (o.id, o.parent, o.path.len())).collect();
    let members = app.ctx.store().member_counts().unwrap();
    let live: HashSet<u32> =
        app.ctx.store().channels_under(&cn.path).unwrap().into_iter().map(|p| p.channel.org).collect();
    let t3 = Instant::now();
    let raw = from_raw(&app, &orgs, &members, &live, now);
    println!("  yardstick, the scores straight from the raw events: {:.1} s", t3.elapsed().as_secs_f64());
    let mut differ = 0;
    let mut kept = lb::store::standings_under(app.ctx.store(), None).unwrap();
    for o in &all {
        kept.extend(lb::store::standings_under(app.ctx.store(), Some(o.id)).unwrap());
    }
    assert_eq!(kept.len(), all.len(), "every org has its standing");
    for o in &all {
        if (kept[&o.id].now.total - raw[&o.id].total).abs() > 0.001 {
            differ += 1;
        }
    }
    assert_eq!(differ, 0, "the daily figures and the raw events give the same scores");
    let top = lb::store::standing(app.ctx.store(), &cn).unwrap().unwrap().now;
    println!("  the same scores both ways; the national median {:.1}", top.total);
}
