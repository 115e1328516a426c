//! The leaderboard's rows: each org's figures per day (kept from the event
//! log), what a figure needs to count once, and the scores of the last run.

use serde::{Deserialize, Serialize};

use super::score::Score;
use crate::error::Result;
use crate::store::keys::{key_u32, read_u32_at, read_u64_at};
use crate::store::{decode_at, encode, Keyspace, Store, Writes};

/// day (China time, days since 1970) ++ org -> Day
const DAYS: Keyspace = Keyspace::Named("leaderboard.days");
/// `r` ++ notice ++ org -> day: the org has received the notice (counted once
/// however many of its chats got it); `p` ++ post -> org: the author's org of
/// a column post, for crediting its featuring
const SEEN: Keyspace = Keyspace::Named("leaderboard.seen");
/// org -> Standing; `at` -> unix seconds of the run
const SCORES: Keyspace = Keyspace::Named("leaderboard.scores");

/// One org's figures of one day.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Day {
    pub received: u32,
    pub acked: u32,
    pub answers: u32,
    pub topic_posts: u32,
    pub submitted: u32,
    pub featured: u32,
    pub reports: u32,
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

fn day_key(day: u32, org: u32) -> Vec<u8> {
    [day.to_be_bytes(), org.to_be_bytes()].concat()
}

pub fn day(store: &Store, day: u32, org: u32) -> Result<Day> {
    let k = day_key(day, org);
    match store.tree(DAYS)?.get(&k)? {
        Some(v) => decode_at(DAYS, &k, &v),
        None => Ok(Day::default()),
    }
}

pub fn put_day(w: &mut Writes, day: u32, org: u32, d: &Day) {
    w.put(DAYS, day_key(day, org), encode(d));
}

/// Every (day, org, figures) from day `from` on.
pub fn days_from(store: &Store, from: u32, mut f: impl FnMut(u32, u32, Day)) -> Result<()> {
    for kv in store.tree(DAYS)?.range(from.to_be_bytes().to_vec()..) {
        let (k, v) = kv?;
        f(read_u32_at(&k, 0, "leaderboard.days")?, key_u32(DAYS, &k, 4)?, decode_at(DAYS, &k, &v)?);
    }
    Ok(())
}

/// Removes the days before `from` and what counted once for them.
pub fn prune(store: &Store, from: u32, w: &mut Writes) -> Result<usize> {
    let mut n = 0;
    for k in store.tree(DAYS)?.range(..from.to_be_bytes().to_vec()).keys() {
        w.remove(DAYS, k?.to_vec());
        n += 1;
    }
    for kv in store.tree(SEEN)?.scan_prefix(b"r") {
        let (k, v) = kv?;
        if decode_at::<u32>(SEEN, &k, &v)? < from {
            w.remove(SEEN, k.to_vec());
        }
    }
    Ok(n)
}

fn received_key(notice: u64, org: u32) -> Vec<u8> {
    [&b"r"[..], &notice.to_be_bytes(), &org.to_be_bytes()].concat()
}

pub fn was_received(store: &Store, notice: u64, org: u32) -> Result<bool> {
    Ok(store.tree(SEEN)?.contains_key(received_key(notice, org))?)
}

pub fn put_received(w: &mut Writes, notice: u64, org: u32, day: u32) {
    w.put(SEEN, received_key(notice, org), encode(&day));
}

fn post_key(post: u64) -> Vec<u8> {
    [&b"p"[..], &post.to_be_bytes()].concat()
}

pub fn put_post_org(w: &mut Writes, post: u64, org: u32) {
    w.put(SEEN, post_key(post), org.to_be_bytes().to_vec());
}

pub fn post_org(store: &Store, post: u64) -> Result<Option<u32>> {
    let k = post_key(post);
    match store.tree(SEEN)?.get(&k)? {
        Some(v) => Ok(Some(key_u32(SEEN, &v, 0)?)),
        None => Ok(None),
    }
}

pub fn standing(store: &Store, org: u32) -> Result<Option<Standing>> {
    let k = org.to_be_bytes();
    match store.tree(SCORES)?.get(k)? {
        Some(v) => Ok(Some(decode_at(SCORES, &k, &v)?)),
        None => Ok(None),
    }
}

pub fn put_standing(w: &mut Writes, org: u32, s: &Standing) {
    w.put(SCORES, org.to_be_bytes().to_vec(), encode(s));
}

/// When the scores were last computed (unix seconds).
pub fn computed_at(store: &Store) -> Result<Option<u64>> {
    match store.tree(SCORES)?.get(b"at")? {
        Some(v) => Ok(Some(read_u64_at(&v, 0, "leaderboard.scores/at")?)),
        None => Ok(None),
    }
}

pub fn put_computed_at(w: &mut Writes, at: u64) {
    w.put(SCORES, b"at".to_vec(), at.to_be_bytes().to_vec());
}
