//! kill -9 during a Telegram fan-out (issue 16, (d)): the real binary
//! (`treecast serve` with several bot tokens) against the Telegram emulator
//! with its flood limits on and a round trip of 100 ms, killed at random
//! moments and restarted until every group has the notice.
//!
//! Telegram cannot de-duplicate: a send whose answer the killed process
//! never heard posts once more after the restart. The emulator counts such
//! sends (the sender's connection was gone when it answered): they are the
//! yardstick, the sends in flight at each kill. A send answered but not yet
//! recorded on disk is a duplicate beyond them; group commit keeps that
//! window to a few milliseconds.
//!
//! Needs the emulator (`scripts/peers/telegram.sh start`). Run:
//! `eval "$(scripts/peers/telegram.sh env)" && cargo bench --features telegram --bench telegram_crash [-- BOTS GROUPS KILLS]`
//! (defaults 3 bots, 1,000 groups each, 6 kills).

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rand::Rng;
use serde_json::json;
use treecast::config::Config;
use treecast::notice::Draft;
use treecast::tree::people::Role;
use treecast_wire::{Address, Platform};

#[path = "support/emulator.rs"]
mod emulator;
use emulator::{control, national_in, NEEDS_PEER};

/// Copies in every group: (groups with at least one, extra copies).
async fn copies(api: &str, tokens: &[String], chats: &[Vec<i64>]) -> (usize, usize) {
    let (mut reached, mut extra) = (0, 0);
    for (token, chats) in tokens.iter().zip(chats) {
        let counts = control(api, "GET", &format!("sent_counts?token={token}"), None).await;
        for chat in chats {
            let n = counts[chat.to_string()].as_u64().unwrap_or(0) as usize;
            reached += usize::from(n > 0);
            extra += n.saturating_sub(1);
        }
    }
    (reached, extra)
}

fn serve(cfg: &Path, tokens: &[String]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_treecast"))
        .arg("--config")
        .arg(cfg)
        .arg("serve")
        .env("TREECAST_TELEGRAM_TOKENS", tokens.join(","))
        .env_remove("TREECAST_TELEGRAM_TOKEN")
        .env_remove("TREECAST_ADMIN_TOKEN")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start treecast serve")
}

fn main() {
    let args: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let bots = args.first().copied().unwrap_or(3);
    let per_bot = args.get(1).copied().unwrap_or(1000);
    let kills = args.get(2).copied().unwrap_or(6);
    let api = std::env::var("TREECAST_TEST_TELEGRAM_API")
        .unwrap_or_else(|_| panic!("TREECAST_TEST_TELEGRAM_API is not set; {NEEDS_PEER}"));
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    rt.block_on(bench(api, bots, per_bot, kills));
}

async fn bench(api: String, bots: usize, per_bot: usize, kills: usize) {
    let tag = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() % 1_000_000;
    let tokens: Vec<String> = (0..bots).map(|i| format!("{}:crash-bench", tag * 100 + i as u64 + 1)).collect();
    let chats: Vec<Vec<i64>> = (0..bots)
        .map(|b| {
            (0..per_bot).map(|g| -(2_000_000_000_000 + (tag * 100_000 + (b * 10_000 + g) as u64) as i64)).collect()
        })
        .collect();
    for (token, chats) in tokens.iter().zip(&chats) {
        control(&api, "POST", "groups", Some(json!({"token": token, "chat_ids": chats}))).await;
    }

    // The store, set up before serve starts: the national tree, each bot's
    // groups bound to one province's schools through that bot, a notice.
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let cfg_path = dir.path().join("treecast.toml");
    std::fs::write(&cfg_path, format!("data_dir = {data:?}\n[telegram]\napi_url = {api:?}\npoll_timeout_secs = 1\n"))
        .unwrap();
    {
        let tree = national_in(&data);
        let root = tree.require("CN").unwrap();
        let provinces = tree.children(root.id).unwrap();
        let mut pairs = Vec::new();
        for (b, province) in provinces.iter().take(bots).enumerate() {
            let schools: Vec<_> = tree.subtree(province).map(|o| o.unwrap()).filter(|o| o.level == 2).collect();
            let account = (tag * 100 + b as u64 + 1).to_string();
            for (g, chat) in chats[b].iter().enumerate() {
                let a = Address::group(Platform::Telegram, chat.to_string());
                pairs.push((schools[g % schools.len()].clone(), a, account.clone()));
            }
        }
        tree.bind_bulk_via(pairs).unwrap();
        let admin = tree.add_person("admin").unwrap();
        tree.grant(admin.id, &root, Role::Official).unwrap();
        let draft = Draft {
            issuer_code: "CN".into(),
            title: "崩溃测试通知".into(),
            body: "请各团支部组织开展。".into(),
            levels: vec!["school".into()],
            ..Draft::default()
        };
        tree.post(admin.id, draft, &Config::default().notice_rules()).unwrap();
        tree.store.flush().unwrap();
    }
    let total = bots * per_bot;
    control(&api, "POST", "quota", Some(json!({"latency_ms": 100}))).await;
    println!(
        "telegram crash: {bots} bots x {per_bot} groups = {total}, flood limits on, 100 ms per call, {kills} kills"
    );

    let mut rng = rand::rng();
    let mut rows: Vec<(usize, u64, usize)> = Vec::new(); // (reached at kill, in flight, duplicates after)
    let mut last_extra = 0usize;
    let mut kill_times: Vec<u128> = Vec::new();
    let started = Instant::now();
    let mut child = serve(&cfg_path, &tokens);
    for _ in 0..kills {
        tokio::time::sleep(Duration::from_millis(rng.random_range(500..2500))).await;
        let kill_ms = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis();
        kill_times.push(kill_ms);
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        // Sends that had reached the emulator and were not answered at the
        // kill: the killed process never learnt their outcome.
        tokio::time::sleep(Duration::from_millis(300)).await;
        let q = control(&api, "GET", &format!("quota?in_flight_at={kill_ms}"), None).await;
        let in_flight = q["in_flight_at"].as_u64().unwrap_or(0);
        let (reached, _) = copies(&api, &tokens, &chats).await;
        child = serve(&cfg_path, &tokens);
        // The restart (about a second) re-sends what it has no outcome for
        // first; count the copies that made.
        tokio::time::sleep(Duration::from_millis(3000)).await;
        let (_, extra) = copies(&api, &tokens, &chats).await;
        rows.push((reached, in_flight, extra - last_extra));
        last_extra = extra;
        if reached >= total {
            break;
        }
    }
    let deadline = Instant::now() + Duration::from_secs(600);
    let (reached, extra) = loop {
        let (reached, extra) = copies(&api, &tokens, &chats).await;
        if reached >= total || Instant::now() > deadline {
            break (reached, extra);
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    // Where each repeated chat's first copy arrived, relative to the kill
    // before it (negative: before the kill).
    let mut before_kill: Vec<i64> = Vec::new();
    for token in &tokens {
        let r = control(&api, "GET", &format!("repeats?token={token}"), None).await;
        for times in r.as_object().into_iter().flat_map(|m| m.values()) {
            let times: Vec<u128> = times.as_array().unwrap().iter().map(|t| t.as_u64().unwrap() as u128).collect();
            let first = times[0];
            match kill_times.iter().find(|k| **k + 1000 >= first) {
                Some(k) => before_kill.push(first as i64 - *k as i64),
                None => println!("a repeat not near a kill: {times:?} (kills {kill_times:?})"),
            }
            if times.len() > 2 {
                println!("{} copies: {times:?} (kills {kill_times:?})", times.len());
            }
        }
    }
    before_kill.sort();
    println!("first copies of repeated chats, ms relative to the kill: {before_kill:?}");
    // A clean stop.
    Command::new("kill").arg("-TERM").arg(child.id().to_string()).status().unwrap();
    child.wait().unwrap();
    control(&api, "POST", "quota", Some(json!({"off": true}))).await;

    println!("| kill | groups reached at the kill | sends in flight (emulator) | duplicates it caused |");
    println!("|---|---|---|---|");
    for (i, (reached, inflight, dups)) in rows.iter().enumerate() {
        println!("| {} | {reached} | {inflight} | {dups} |", i + 1);
    }
    let over: usize = rows.iter().map(|(_, f, d)| d.saturating_sub(*f as usize)).sum();
    println!(
        "end: {reached}/{total} groups reached in {:.1} s, {extra} extra copies in all; duplicates beyond the sends in flight: {over}",
        started.elapsed().as_secs_f64()
    );
}
