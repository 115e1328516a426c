//! History import benchmark: a Telegram Desktop export (`result.json`) of
//! MESSAGES messages (Chinese text of 10 to 120 characters from 60 members,
//! a fifth with styled runs, one in twenty a service message or a photo
//! without caption) imported into one branch's archive: reading the file,
//! checking it and storing every message with its event (what
//! `treecast org import-history` does), then the search index catching up
//! with those events. Beside it in the same run, the yardstick: parsing the
//! same file into untyped JSON and nothing else. Then the same file again
//! (every message skipped). `cargo bench --bench archive [-- MESSAGES]`,
//! default 100,000.

use std::time::Instant;

use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use treecast::app::App;
use treecast::clock::Clock;
use treecast::config::Config;
use treecast::features::archive;
use treecast::store::Store;
use treecast::tree::{import, Tree};

const WORDS: &[&str] = &[
    "同学们",
    "主题团日",
    "志愿服务",
    "青年大学习",
    "请大家",
    "准时参加",
    "图书馆报告厅",
    "团支部",
    "推优入党",
    "社会实践",
    "读书会",
    "周五下午",
    "收到",
    "辛苦了",
    "材料",
    "提交",
    "团费",
    "班会",
    "明天",
    "谢谢",
];

#[path = "support/rss.rs"]
mod rss;
use rss::peak_rss_mb as peak_mb;

/// A `result.json` as Telegram Desktop writes it.
fn export(n: usize) -> Vec<u8> {
    let mut rng = StdRng::seed_from_u64(5);
    let names: Vec<String> = (0..60).map(|i| format!("同学{i}")).collect();
    let mut messages = Vec::with_capacity(n);
    let start = 1_693_526_400u64; // 2023-09-01
    for i in 0..n {
        let at = start + i as u64 * 60;
        let len = rng.random_range(2..12);
        let text: String = (0..len).map(|_| *WORDS.choose(&mut rng).unwrap()).collect::<Vec<_>>().join("，");
        let from = names.choose(&mut rng).unwrap();
        let m = match i % 20 {
            0 => {
                serde_json::json!({"id": i, "type": "service", "date": "2023-09-01T08:00:00", "date_unixtime": at.to_string(), "actor": from, "action": "pin_message", "text": ""})
            }
            1 => {
                serde_json::json!({"id": i, "type": "message", "date": "2023-09-01T08:00:00", "date_unixtime": at.to_string(), "from": from, "from_id": format!("user{i}"), "photo": "photos/1.jpg", "text": ""})
            }
            2..=5 => {
                serde_json::json!({"id": i, "type": "message", "date": "2023-09-01T08:00:00", "date_unixtime": at.to_string(), "from": from, "from_id": format!("user{i}"), "text": [text, {"type": "bold", "text": "请准时"}]})
            }
            _ => {
                serde_json::json!({"id": i, "type": "message", "date": "2023-09-01T08:00:00", "date_unixtime": at.to_string(), "from": from, "from_id": format!("user{i}"), "text": text})
            }
        };
        messages.push(m);
    }
    serde_json::to_vec_pretty(
        &serde_json::json!({"name": "计算机2023级1班", "type": "private_supergroup", "id": 1, "messages": messages}),
    )
    .unwrap()
}

fn main() {
    let n = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(100_000);
    let tree = Tree::new(Store::temporary().unwrap(), Config::default().levels()).unwrap();
    import::import_str(&tree, "sample", include_str!("../config/sample-orgs.csv"), None).unwrap();
    let app = App::new(tree.clone(), Config::default(), Clock::system()).unwrap();
    app.catch_up().unwrap();
    let org = tree.require("4143010533-001").unwrap();
    let bytes = export(n);
    println!("archive: a Telegram export of {n} messages, {:.1} MB", bytes.len() as f64 / 1_048_576.0);

    let t = Instant::now();
    let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    let parse = t.elapsed().as_secs_f64();
    drop(v);
    println!("  yardstick, parsing the file into untyped JSON only: {parse:.2} s");

    let t = Instant::now();
    let said = archive::import(&app.ctx, &org, "result.json", &bytes, None).unwrap();
    let import = t.elapsed().as_secs_f64();
    println!("  import (read, check, store with events): {import:.2} s; peak {:.0} MB", peak_mb());
    println!("    {said}");
    let t = Instant::now();
    let handled = app.catch_up().unwrap();
    let index = t.elapsed().as_secs_f64();
    println!(
        "  search index and the other subscribers caught up ({handled} events): {index:.2} s; peak {:.0} MB",
        peak_mb()
    );
    println!("  import to searchable: {:.2} s", import + index);

    let t = Instant::now();
    let again = archive::import(&app.ctx, &org, "result.json", &bytes, None).unwrap();
    println!("  the same file again: {:.2} s ({again})", t.elapsed().as_secs_f64());
    assert!(again.contains("新增 0 条"), "{again}");
}
