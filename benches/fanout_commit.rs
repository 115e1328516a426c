//! The event log's cost per delivery, on the fan-out worker's commits alone
//! (no adapter, no walk): DELIVERIES delivery rows in groups of 256, each
//! group with its orgs' counters and the cursor, as the worker writes them.
//! Four ways, each on a fresh store, in turns:
//!
//! - `raw`: the yardstick, the same number of rows of the same sizes as one
//!   plain sled batch a group, no counters, no event;
//! - `plain`: the worker's writes through `Store::commit`, no event (the
//!   worker before the event log);
//! - `batch`: the same and the group's `Delivered` event, through
//!   `Store::commit`: one sled batch, the event in the log's part in the
//!   fan-out tree (what the worker does);
//! - `tx`: the same writes and event through `Store::transact`, one sled
//!   transaction across the fan-out and events trees (how the worker
//!   committed before the log had that part).
//!
//! Run: `cargo bench --bench fanout_commit [-- DELIVERIES [MODE]]` (defaults
//! 275600 and all four, twice). Seconds move with the machine's load, so
//! count instructions too, MODE `none` being the store's opening and flush
//! alone: `valgrind --tool=callgrind target/release/deps/fanout_commit-* 27560 MODE`.

use std::time::Instant;

use treecast::events::{emit, Event};
use treecast::notice::fanout::{Counts, Cursor, DeliveryRow, DeliveryState};
use treecast::store::{encode, Keyspace, Store, Writes};

/// Deliveries per commit, as the worker's `COMMIT_EVERY`.
const GROUP: u64 = 256;
/// Branches per school in the national tree: a group touches about three
/// schools, and each school's province and the root.
const PER_ORG: u64 = 100;
const NOTICE: u64 = 1;

fn row(channel: u64) -> DeliveryRow {
    DeliveryRow {
        state: DeliveryState::Sent { at: 1_764_000_000_000 + channel, message_ids: vec![format!("m{channel}")] },
        tries: 1,
        org: (channel / PER_ORG) as u32 + 100,
    }
}

/// One group of the worker's writes, with its event when `event`.
fn group(first: u64, event: bool) -> Writes {
    let mut w = Writes::default();
    let mut to = Vec::with_capacity(GROUP as usize);
    for channel in first..first + GROUP {
        let r = row(channel);
        w.put_delivery(NOTICE, channel, &r);
        to.push((channel, r.org));
    }
    let (a, b) = ((first / PER_ORG) as u32 + 100, ((first + GROUP - 1) / PER_ORG) as u32 + 100);
    for org in (a..=b).chain([2, 1]) {
        w.put_fan_counts(NOTICE, org, Counts { delivered: (first + GROUP) as i64, failed: 0 });
    }
    w.put_cursor(NOTICE, &Cursor::default());
    if event {
        emit(&mut w, first, &Event::Delivered { notice: NOTICE, to });
    }
    w
}

/// The yardstick's group: rows of the same key and value sizes, one plain batch.
fn raw_group(store: &Store, first: u64) {
    let mut batch = sled::Batch::default();
    for channel in first..first + GROUP {
        let mut k = [0u8; 17];
        k[..8].copy_from_slice(&NOTICE.to_be_bytes());
        k[8] = b'd';
        k[9..].copy_from_slice(&channel.to_be_bytes());
        batch.insert(&k[..], encode(&row(channel)));
    }
    store.tree(Keyspace::Fanout).unwrap().apply_batch(batch).unwrap();
}

/// Commits `n` deliveries one way; deliveries per second.
fn run(mode: &str, n: u64) -> f64 {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("db")).unwrap();
    let t = Instant::now();
    for first in (0..n).step_by(GROUP as usize) {
        match mode {
            "none" => {}
            "raw" => raw_group(&store, first),
            "plain" => store.commit(&group(first, false)).unwrap(),
            "batch" => store.commit(&group(first, true)).unwrap(),
            "tx" => {
                let w = group(first, true);
                store.transact(&[Keyspace::Fanout], |tx| w.apply(tx)).unwrap()
            }
            other => panic!("unknown mode {other}: none, raw, plain, batch or tx"),
        }
    }
    store.flush().unwrap();
    let s = t.elapsed().as_secs_f64();
    if mode == "batch" || mode == "tx" {
        assert_eq!(store.last_event(), n.div_ceil(GROUP), "one event a group");
    }
    n as f64 / s
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with('-')).collect();
    let n: u64 = args.first().and_then(|a| a.parse().ok()).unwrap_or(275_600);
    if let Some(mode) = args.get(1) {
        println!("{mode}: {n} deliveries, {:.0}/s", run(mode, n));
        return;
    }
    for round in 1..=2 {
        let rates: Vec<(&str, f64)> = ["raw", "plain", "batch", "tx"].into_iter().map(|m| (m, run(m, n))).collect();
        let raw = rates[0].1;
        let line: Vec<String> = rates.iter().map(|(m, r)| format!("{m} {r:.0}/s ({:.2}x of raw)", r / raw)).collect();
        println!("round {round}, {n} deliveries in groups of {GROUP}: {}", line.join(", "));
    }
}
