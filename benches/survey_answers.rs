//! Survey answer benchmark: answers per second through the engine (parse,
//! check, state change, durable commit, every answer flushed before its reply
//! is returned) and peak RSS with 100,000 open conversations. Plain `fn main`,
//! run with `cargo bench --bench survey_answers [-- PEOPLE [BATCH]]`.

use std::time::{Duration, Instant};

use treecast::features::surveys::Surveys;
use treecast::store::Store;
use treecast::tree::people::{Person, Role};
use treecast::tree::{import, Levels, Tree};
use treecast_wire::{Address, Inbound, Platform};

/// 全国 -> 湖南/湖北 -> 两所学校 -> 每校两个支部.
const CSV: &str = include_str!("../config/sample-orgs.csv");

const BRANCHES: [&str; 4] = ["4143010533-001", "4143010533-002", "4143010534-001", "4142010486-001"];

const DEF: &str = r#"
title = "团员思想动态调查（压测）"
days = 7
[[questions]]
type = "single"
text = "本学期参加过主题团日活动吗？"
choices = ["是", "否"]
[[questions]]
type = "multi"
text = "参加过哪些活动？"
choices = ["理论学习", "志愿服务", "社会实践", "文体活动"]
max = 3
[[questions]]
type = "rating"
text = "请为活动打分"
[[questions]]
type = "number"
text = "每周志愿服务几小时？"
min = 0
max = 40
[[questions]]
type = "text"
text = "一句话说说本学期的收获"
max_len = 100
[[questions]]
type = "single"
text = "愿意参加后续访谈吗？"
choices = ["愿意", "不愿意"]
"#;

/// One typical answer per question, in the forms people type.
const ANSWERS: [&str; 6] = ["是", "A、C", "4", "１２", "学习很充实，参加了志愿服务", "b"];

fn status_mb(field: &str) -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

/// Bytes this process has caused to be written to storage so far.
fn io_written() -> u64 {
    let io = std::fs::read_to_string("/proc/self/io").unwrap_or_default();
    io.lines().find_map(|l| l.strip_prefix("write_bytes:")).and_then(|v| v.trim().parse().ok()).unwrap_or(0)
}

fn uid(i: usize) -> String {
    format!("{}", 700_000_000 + i)
}

fn ev(i: usize, text: &str) -> Inbound {
    Inbound::text(Address::direct(Platform::Telegram, uid(i)), &uid(i), text)
}

fn rate(n: usize, d: Duration) -> String {
    format!("{n} in {:.2} s = {:.0}/s", d.as_secs_f64(), n as f64 / d.as_secs_f64())
}

fn main() {
    let mut args = std::env::args().skip(1).filter_map(|a| a.parse::<usize>().ok());
    let people: usize = args.next().unwrap_or(100_000);
    let batch: usize = args.next().unwrap_or(512);
    let dir = tempfile::tempdir().unwrap();
    let tree = Tree::new(Store::open(&dir.path().join("db")).unwrap(), Levels::default_levels()).unwrap();
    import::import_str(&tree, "small.csv", CSV, None).unwrap();
    let official = tree.add_person("王老师").unwrap();
    tree.grant(official.id, &tree.require("CN").unwrap(), Role::Official).unwrap();

    let t = Instant::now();
    let branches: Vec<_> = BRANCHES.iter().map(|c| tree.require(c).unwrap()).collect();
    for i in 0..people {
        let p = tree.add_person(&format!("学生{i}")).unwrap();
        tree.add_identity(p.id, Platform::Telegram, &uid(i)).unwrap();
        tree.grant(p.id, &branches[i % branches.len()], Role::Member).unwrap();
    }
    tree.store.flush().unwrap();
    println!(
        "setup: {people} members registered in {:.2} s; VmHWM {:.0} MB",
        t.elapsed().as_secs_f64(),
        status_mb("VmHWM:")
    );

    let sv = Surveys::new(tree.clone());
    // Telegram as its adapter describes it: answers carry buttons.
    let caps = treecast::context::Caps::default();
    caps.set(Platform::Telegram, treecast_wire::Capabilities { buttons: true, ..Default::default() });
    sv.set_caps(caps);
    let l = sv.launch_text(official.id, "bench.toml", DEF, Some("CN")).unwrap();
    let lookup = |events: Vec<Inbound>| -> Vec<(Inbound, Option<Person>)> {
        events
            .into_iter()
            .map(|e| {
                let p = tree.person_by_identity(e.chat.platform, &e.sender.id).unwrap();
                (e, p)
            })
            .collect()
    };

    // Every member opens the survey: 100,000 open conversations.
    let t = Instant::now();
    for chunk in (0..people).collect::<Vec<_>>().chunks(batch) {
        let events = lookup(chunk.iter().map(|i| ev(*i, &format!("/start {}", l.payload))).collect());
        let out = sv.answer_batch(&events).unwrap();
        assert!(out.iter().all(|h| h.rejected.is_none()));
    }
    println!("starts (permission check, new conversation, first question): {}", rate(people, t.elapsed()));
    println!("open conversations: {people}; VmHWM {:.0} MB, VmRSS {:.0} MB", status_mb("VmHWM:"), status_mb("VmRSS:"));

    // Questions 1-5 by everyone (conversations stay open), then the last one
    // finishes every response. Person lookup is inside the timing, as in the gateway.
    let mut total = 0;
    let mut busy = Duration::ZERO;
    for (q, answer) in ANSWERS.iter().enumerate() {
        let t = Instant::now();
        for chunk in (0..people).collect::<Vec<_>>().chunks(batch) {
            let events = lookup(chunk.iter().map(|i| ev(*i, answer)).collect());
            let out = sv.answer_batch(&events).unwrap();
            debug_assert!(out.iter().all(|h| h.replies.len() == 1));
        }
        let d = t.elapsed();
        busy += d;
        total += people;
        let what = if q + 1 == ANSWERS.len() { " (finishing: response rows written)" } else { "" };
        println!("question {}{what}: {}", q + 1, rate(people, d));
        if q + 1 == ANSWERS.len() - 1 {
            println!(
                "after {total} answers, {people} conversations open: VmHWM {:.0} MB, VmRSS {:.0} MB",
                status_mb("VmHWM:"),
                status_mb("VmRSS:")
            );
        }
    }
    println!("answers, group commit of {batch}: {}", rate(total, busy));

    // The gateway's path: each answer's replies enqueued in the outbox, one
    // flush per batch (Gateway::handle_batch does exactly this).
    let l2 = sv.launch_text(official.id, "bench2.toml", DEF, Some("CN")).unwrap();
    let n = people.min(50_000);
    for chunk in (0..n).collect::<Vec<_>>().chunks(batch) {
        sv.answer_batch(&lookup(chunk.iter().map(|i| ev(*i, &format!("/start {}", l2.payload))).collect())).unwrap();
    }
    let t = Instant::now();
    let (mut in_flush, written) = (Duration::ZERO, io_written());
    for chunk in (0..n).collect::<Vec<_>>().chunks(batch) {
        let mut replies = Vec::new();
        for (e, p) in lookup(chunk.iter().map(|i| ev(*i, ANSWERS[0])).collect()) {
            replies.extend(sv.answer_text(&e, &p).unwrap().unwrap().replies);
        }
        tree.store.enqueue(replies).unwrap();
        let f = Instant::now();
        tree.store.flush().unwrap();
        in_flush += f.elapsed();
    }
    println!(
        "answers with replies enqueued in the outbox, one flush per {batch}: {} ({:.2} s of it in flush; {:.0} bytes written to disk per answer)",
        rate(n, t.elapsed()),
        in_flush.as_secs_f64(),
        (io_written() - written) as f64 / n as f64
    );

    let t = Instant::now();
    let r = sv.results(None, l.id).unwrap();
    println!(
        "results over {} responses: {:.2} s ({}/{} answered)",
        r.responses.len(),
        t.elapsed().as_secs_f64(),
        r.total().responses,
        r.total().members
    );
    println!("peak RSS (VmHWM) overall: {:.0} MB", status_mb("VmHWM:"));
}
