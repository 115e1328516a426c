//! The leaderboard's rows: each org's figures per day (kept from the event
//! log), what a figure needs to count once, and the scores of the last run.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::score::Score;
use crate::error::Result;
use crate::store::keys::{key_u32, read_u64_at};
use crate::store::{decode_at, encode, Keyspace, Store, Writes};

/// first event seq of a batch -> Batch: the figures that batch of the log
/// held, in a few bytes each (the log itself is compacted once every
/// subscriber has passed it)
const FACTS: Keyspace = Keyspace::Named("leaderboard.facts");
/// `p` ++ post -> org: the author's org of a column post, for crediting its
/// featuring
const SEEN: Keyspace = Keyspace::Named("leaderboard.seen");
/// parent org (`ROOTS` for the roots) -> Vec<(child, Standing)>: what one
/// `/rank` reads; `at` -> unix seconds of the run
const SCORES: Keyspace = Keyspace::Named("leaderboard.scores");

/// What a figure counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum What {
    Received,
    Acked,
    Answers,
    TopicPosts,
    Submitted,
    Featured,
    Reports,
}

/// `n` of `what` for `org` on `day` (China time, days since 1970).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fact {
    pub org: u32,
    pub day: u32,
    pub what: What,
    pub n: u32,
}

/// One batch of the log's figures.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Batch {
    /// The latest day in it: a batch wholly before the windows is removed.
    pub last_day: u32,
    pub facts: Vec<Fact>,
}

/// An org's score in the last 30 days and in the 30 before.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Standing {
    pub now: Score,
    pub before: Score,
}

pub fn day_of(unix: u64) -> u32 {
    ((unix as i64 + crate::clock::CHINA).div_euclid(86_400)) as u32
}

/// Stores the figures of the batch of the log that begins at `seq` (a
/// batch handled again replaces its row: nothing counts twice).
pub fn put_batch(w: &mut Writes, seq: u64, b: &Batch) {
    w.put(FACTS, seq.to_be_bytes(), encode(b));
}

/// Every fact of every batch, with the keys of batches whose last day is
/// before `keep_from` (to remove).
pub fn facts(store: &Store, keep_from: u32, mut f: impl FnMut(&Fact)) -> Result<Vec<Vec<u8>>> {
    let mut old = Vec::new();
    for kv in store.tree(FACTS)?.iter() {
        let (k, v) = kv?;
        let b: Batch = decode_at(FACTS, &k, &v)?;
        if b.last_day < keep_from {
            old.push(k.to_vec());
            continue;
        }
        b.facts.iter().for_each(&mut f);
    }
    Ok(old)
}

/// Removes batches (by key) no window reads any more.
pub fn prune(store: &Store, keys: Vec<Vec<u8>>) -> Result<usize> {
    let n = keys.len();
    let mut w = Writes::default();
    for k in keys {
        w.remove(FACTS, k);
    }
    store.commit(&w)?;
    Ok(n)
}

fn post_key(post: u64) -> Vec<u8> {
    [&b"p"[..], &post.to_be_bytes()].concat()
}

pub fn put_post_org(w: &mut Writes, post: u64, org: u32) {
    w.put(SEEN, post_key(post), org.to_be_bytes());
}

pub fn post_org(store: &Store, post: u64) -> Result<Option<u32>> {
    let k = post_key(post);
    match store.tree(SEEN)?.get(&k)? {
        Some(v) => Ok(Some(key_u32(SEEN, &v, 0)?)),
        None => Ok(None),
    }
}

/// The key the roots' standings are kept under.
const ROOTS: u32 = u32::MAX;

/// The standings of `parent`'s children (`None`: of the roots).
pub fn standings_under(store: &Store, parent: Option<u32>) -> Result<HashMap<u32, Standing>> {
    let k = parent.unwrap_or(ROOTS).to_be_bytes();
    match store.tree(SCORES)?.get(k)? {
        Some(v) => Ok(decode_at::<Vec<(u32, Standing)>>(SCORES, &k, &v)?.into_iter().collect()),
        None => Ok(HashMap::new()),
    }
}

/// One org's standing.
pub fn standing(store: &Store, org: &crate::tree::Org) -> Result<Option<Standing>> {
    Ok(standings_under(store, org.parent)?.remove(&org.id))
}

/// Replaces the standings and the time of the run, one row per parent, in
/// one batch (the run is derived: a crash before it lands leaves the
/// day before's). One row per org costs sled a gigabyte for the nation.
pub fn put_standings(store: &Store, all: impl Iterator<Item = (Option<u32>, u32, Standing)>, at: u64) -> Result<()> {
    let mut by_parent: HashMap<u32, Vec<(u32, Standing)>> = HashMap::new();
    for (parent, org, s) in all {
        by_parent.entry(parent.unwrap_or(ROOTS)).or_default().push((org, s));
    }
    let mut b = sled::Batch::default();
    for (parent, kids) in by_parent {
        b.insert(&parent.to_be_bytes(), encode(&kids));
    }
    b.insert(b"at", &at.to_be_bytes());
    store.tree(SCORES)?.apply_batch(b)?;
    Ok(())
}

/// When the scores were last computed (unix seconds).
pub fn computed_at(store: &Store) -> Result<Option<u64>> {
    match store.tree(SCORES)?.get(b"at")? {
        Some(v) => Ok(Some(read_u64_at(&v, 0, "leaderboard.scores/at")?)),
        None => Ok(None),
    }
}
