//! Topics and their posts in the store, with the event each change appends.

use serde::{Deserialize, Serialize};
use treecast_wire::Platform;

use crate::error::Result;
use crate::events::{self, Event};
use crate::store::keys::read_u64_at;
use crate::store::{decode_at, encode, Keyspace, Store, Writes};

/// topic id -> Topic
const TOPICS: Keyspace = Keyspace::Named("topics.topics");
/// normal-form tag ++ 0 ++ topic id -> ()
const BY_TAG: Keyspace = Keyspace::Named("topics.by_tag");
/// topic id ++ post id -> Post
const POSTS: Keyspace = Keyspace::Named("topics.posts");
/// topic id ++ day (China time, days since 1970) -> Day: what the hot list
/// reads, kept from the event log (`Stats`).
const DAYS: Keyspace = Keyspace::Named("topics.days");

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Topic {
    pub id: u64,
    /// As the official wrote it, without the #s.
    pub tag: String,
    pub about: String,
    /// The org whose subtree takes part.
    pub org: u32,
    pub opened_by: u64,
    /// Unix seconds.
    pub opened: u64,
    pub until: u64,
    /// The announcement.
    pub notice: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Post {
    pub id: u64,
    /// The org of the chat it was written in (or the writer's, privately).
    pub org: u32,
    pub person: Option<u64>,
    /// A stable name for whoever wrote it: the person, or the platform's
    /// user in a chat (counts once an hour however much they write).
    pub who: String,
    pub name: String,
    pub text: String,
    pub via: Platform,
    /// Unix seconds.
    pub at: u64,
}

/// One topic's posts of one day, as the hot list counts them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Day {
    /// Orgs that posted and how often, sorted by org.
    pub orgs: Vec<(u32, u32)>,
    /// (writer, hour) pairs, sorted: each writer counts once an hour.
    pub seen: Vec<(u64, u32)>,
    pub posts: u32,
}

impl Day {
    pub fn add(&mut self, p: &Post) {
        match self.orgs.binary_search_by_key(&p.org, |(o, _)| *o) {
            Ok(i) => self.orgs[i].1 += 1,
            Err(i) => self.orgs.insert(i, (p.org, 1)),
        }
        let pair = (writer_hash(&p.who), (p.at / 3600) as u32);
        if let Err(i) = self.seen.binary_search(&pair) {
            self.seen.insert(i, pair);
        }
        self.posts += 1;
    }
}

/// A writer's stable name as a number (their name itself is not kept here).
fn writer_hash(who: &str) -> u64 {
    u64::from_be_bytes(blake3::hash(who.as_bytes()).as_bytes()[..8].try_into().expect("8 bytes"))
}

pub fn day_of(at: u64) -> u32 {
    ((at as i64 + crate::clock::CHINA).div_euclid(86_400)) as u32
}

fn day_key(topic: u64, day: u32) -> Vec<u8> {
    [&topic.to_be_bytes()[..], &day.to_be_bytes()].concat()
}

pub fn day(store: &Store, topic: u64, day: u32) -> Result<Day> {
    let key = day_key(topic, day);
    match store.tree(DAYS)?.get(&key)? {
        Some(v) => decode_at(DAYS, &key, &v),
        None => Ok(Day::default()),
    }
}

/// Every day of `topic` from `from` on (all of them with 0).
pub fn days_from(store: &Store, topic: u64, from: u32) -> Result<Vec<Day>> {
    let mut out = Vec::new();
    let t = store.tree(DAYS)?;
    for kv in t.range(day_key(topic, from)..day_key(topic, u32::MAX)) {
        let (k, v) = kv?;
        out.push(decode_at(DAYS, &k, &v)?);
    }
    Ok(out)
}

pub fn put_day(w: &mut Writes, topic: u64, d: u32, day: &Day) {
    w.put(DAYS, day_key(topic, d), encode(day));
}

fn tag_key(tag: &str, id: u64) -> Vec<u8> {
    [crate::text::normalize(tag).as_bytes(), &[0], &id.to_be_bytes()].concat()
}

pub fn put_topic(w: &mut Writes, t: &Topic, at_ms: u64) {
    w.put(TOPICS, t.id.to_be_bytes(), encode(t));
    w.put(BY_TAG, tag_key(&t.tag, t.id), Vec::new());
    events::emit(w, at_ms, &Event::TopicOpened { topic: t.id, org: t.org, by: t.opened_by });
}

pub fn put_post(w: &mut Writes, topic: u64, p: &Post, at_ms: u64) {
    w.put(POSTS, [&topic.to_be_bytes()[..], &p.id.to_be_bytes()].concat(), encode(p));
    events::emit(w, at_ms, &Event::TopicPosted { topic, post: p.id, org: p.org, person: p.person });
}

pub fn topic(store: &Store, id: u64) -> Result<Option<Topic>> {
    let key = id.to_be_bytes();
    match store.tree(TOPICS)?.get(key)? {
        Some(v) => Ok(Some(decode_at(TOPICS, &key, &v)?)),
        None => Ok(None),
    }
}

/// Every topic with this tag (in its normal form), oldest first.
pub fn with_tag(store: &Store, tag: &str) -> Result<Vec<Topic>> {
    let mut prefix = crate::text::normalize(tag).into_bytes();
    prefix.push(0);
    let mut out = Vec::new();
    for k in store.tree(BY_TAG)?.scan_prefix(&prefix).keys() {
        let k = k?;
        let id = read_u64_at(&k, prefix.len(), "topics.by_tag")?;
        out.extend(topic(store, id)?);
    }
    Ok(out)
}

pub fn each_topic(store: &Store, mut f: impl FnMut(Topic) -> Result<()>) -> Result<()> {
    for kv in store.tree(TOPICS)?.iter() {
        let (k, v) = kv?;
        f(decode_at(TOPICS, &k, &v)?)?;
    }
    Ok(())
}

/// The newest `n` posts of `topic`, newest first.
pub fn latest_posts(store: &Store, topic: u64, n: usize) -> Result<Vec<Post>> {
    let mut out = Vec::new();
    for kv in store.tree(POSTS)?.scan_prefix(topic.to_be_bytes()).rev().take(n) {
        let (k, v) = kv?;
        out.push(decode_at(POSTS, &k, &v)?);
    }
    Ok(out)
}

/// Posts of `topic`, oldest first.
pub fn posts(store: &Store, topic: u64) -> Result<Vec<Post>> {
    let mut out = Vec::new();
    for kv in store.tree(POSTS)?.scan_prefix(topic.to_be_bytes()) {
        let (k, v) = kv?;
        out.push(decode_at(POSTS, &k, &v)?);
    }
    Ok(out)
}

/// Rewrites post `p` of `topic` (no event: nothing new was said).
pub fn put_post_row(w: &mut Writes, topic: u64, p: &Post) {
    w.put(POSTS, [&topic.to_be_bytes()[..], &p.id.to_be_bytes()].concat(), encode(p));
}

pub fn post(store: &Store, topic: u64, id: u64) -> Result<Option<Post>> {
    let key = [&topic.to_be_bytes()[..], &id.to_be_bytes()].concat();
    match store.tree(POSTS)?.get(&key)? {
        Some(v) => Ok(Some(decode_at(POSTS, &key, &v)?)),
        None => Ok(None),
    }
}
