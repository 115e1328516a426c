//! Services, their subscribers, items and bundles in the store.

use std::ops::Bound;

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::store::keys::read_u64_at;
use crate::store::{decode_at, encode, Keyspace, Store, Writes};

/// service id -> Service
const SERVICES: Keyspace = Keyspace::Named("services.services");
/// service ++ person -> Sub; `p` ++ person ++ service -> () (a person's subscriptions)
const SUBS: Keyspace = Keyspace::Named("services.subs");
/// token -> service ++ person: the unsubscribe links
const TOKENS: Keyspace = Keyspace::Named("services.tokens");
/// item id -> Item
const ITEMS: Keyspace = Keyspace::Named("services.items");
/// person ++ item -> (): items waiting for a person's daily bundle
const BUNDLES: Keyspace = Keyspace::Named("services.bundles");
/// service -> Counts
const COUNTS: Keyspace = Keyspace::Named("services.counts");
/// item id -> Progress: how far the send of an item has gone
const SENDING: Keyspace = Keyspace::Named("services.sending");

/// An information service (资讯服务) an org runs for its subtree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Service {
    pub id: u64,
    pub org: u32,
    /// What people subscribe by (`就业招聘`), unique within the org.
    pub name: String,
    pub about: String,
    /// People who may publish besides the org's officials.
    pub editors: Vec<u64>,
    pub created_by: u64,
}

/// How a subscriber receives items.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Mode {
    /// Each item as its own message (waiting out quiet hours).
    Each,
    /// All of a day's items in one message each morning.
    Daily,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sub {
    pub mode: Mode,
    pub since: u64,
    /// The unguessable part of the unsubscribe link.
    pub token: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item {
    pub id: u64,
    pub service: u64,
    pub by: u64,
    pub text: String,
    /// When it was published (or is to be).
    pub at: u64,
    /// Handed to the outbox (or to the bundles).
    pub sent: bool,
    /// Subscribers it went to.
    pub reached: u64,
}

/// A service's counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub items: u64,
    /// Messages handed to the outbox (bundles count once each).
    pub delivered: u64,
    pub unsubscribed: u64,
    /// Unsubscribed within a day of an item.
    pub unsubscribed_after_item: u64,
    /// When its last item went out.
    pub last_item_at: u64,
}

/// How far the send of an item has gone: each slice of its subscribers
/// commits with this, so a send cut short goes on where it stopped.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Progress {
    /// The last subscriber (person id) handled; None before the first.
    pub after: Option<u64>,
    /// Subscribers handled so far.
    pub reached: u64,
    /// Messages queued so far.
    pub delivered: u64,
}

fn sub_key(service: u64, person: u64) -> Vec<u8> {
    [service.to_be_bytes(), person.to_be_bytes()].concat()
}

fn mine_key(person: u64, service: u64) -> Vec<u8> {
    [&b"p"[..], &person.to_be_bytes(), &service.to_be_bytes()].concat()
}

pub fn service(store: &Store, id: u64) -> Result<Option<Service>> {
    match store.tree(SERVICES)?.get(id.to_be_bytes())? {
        Some(v) => Ok(Some(decode_at(SERVICES, &id.to_be_bytes(), &v)?)),
        None => Ok(None),
    }
}

pub fn services(store: &Store) -> Result<Vec<Service>> {
    let mut out = Vec::new();
    for kv in store.tree(SERVICES)?.iter() {
        let (k, v) = kv?;
        out.push(decode_at(SERVICES, &k, &v)?);
    }
    Ok(out)
}

pub fn put_service(w: &mut Writes, s: &Service) {
    w.put(SERVICES, s.id.to_be_bytes(), encode(s));
}

pub fn sub(store: &Store, service: u64, person: u64) -> Result<Option<Sub>> {
    let k = sub_key(service, person);
    match store.tree(SUBS)?.get(&k)? {
        Some(v) => Ok(Some(decode_at(SUBS, &k, &v)?)),
        None => Ok(None),
    }
}

pub fn put_sub(w: &mut Writes, service: u64, person: u64, s: &Sub) {
    w.put(SUBS, sub_key(service, person), encode(s));
    w.put(SUBS, mine_key(person, service), Vec::new());
    w.put(TOKENS, s.token.as_bytes(), sub_key(service, person));
}

pub fn remove_sub(w: &mut Writes, service: u64, person: u64, s: &Sub) {
    w.remove(SUBS, sub_key(service, person));
    w.remove(SUBS, mine_key(person, service));
    w.remove(TOKENS, s.token.as_bytes());
}

/// The (service, person) an unsubscribe token names.
pub fn token(store: &Store, token: &str) -> Result<Option<(u64, u64)>> {
    match store.tree(TOKENS)?.get(token.as_bytes())? {
        Some(v) => Ok(Some((read_u64_at(&v, 0, "services.tokens")?, read_u64_at(&v, 8, "services.tokens")?))),
        None => Ok(None),
    }
}

/// The subscribers of a service after person `after` (all of them for
/// None), in person order, until `f` returns false for one: that one is not
/// taken and the answer is true (more remain).
pub fn subscribers_after(
    store: &Store,
    service: u64,
    after: Option<u64>,
    mut f: impl FnMut(u64, Sub) -> Result<bool>,
) -> Result<bool> {
    let prefix = service.to_be_bytes();
    let from = match after {
        Some(p) => Bound::Excluded(sub_key(service, p)),
        None => Bound::Included(prefix.to_vec()),
    };
    for kv in store.tree(SUBS)?.range((from, Bound::Unbounded)) {
        let (k, v) = kv?;
        if !k.starts_with(&prefix) {
            break;
        }
        if k.len() == 16 && !f(read_u64_at(&k, 8, "services.subs")?, decode_at(SUBS, &k, &v)?)? {
            return Ok(true);
        }
    }
    Ok(false)
}

pub fn subscriber_count(store: &Store, service: u64) -> Result<usize> {
    Ok(store
        .tree(SUBS)?
        .scan_prefix(service.to_be_bytes())
        .keys()
        .filter(|k| k.as_ref().is_ok_and(|k| k.len() == 16))
        .count())
}

/// The services a person subscribes to.
pub fn subscriptions(store: &Store, person: u64) -> Result<Vec<u64>> {
    let mut out = Vec::new();
    for k in store.tree(SUBS)?.scan_prefix([&b"p"[..], &person.to_be_bytes()].concat()).keys() {
        out.push(read_u64_at(&k?, 9, "services.subs")?);
    }
    Ok(out)
}

pub fn item(store: &Store, id: u64) -> Result<Option<Item>> {
    match store.tree(ITEMS)?.get(id.to_be_bytes())? {
        Some(v) => Ok(Some(decode_at(ITEMS, &id.to_be_bytes(), &v)?)),
        None => Ok(None),
    }
}

pub fn put_item(w: &mut Writes, i: &Item) {
    w.put(ITEMS, i.id.to_be_bytes(), encode(i));
}

pub fn progress(store: &Store, item: u64) -> Result<Option<Progress>> {
    match store.tree(SENDING)?.get(item.to_be_bytes())? {
        Some(v) => Ok(Some(decode_at(SENDING, &item.to_be_bytes(), &v)?)),
        None => Ok(None),
    }
}

pub fn put_progress(w: &mut Writes, item: u64, p: &Progress) {
    w.put(SENDING, item.to_be_bytes(), encode(p));
}

pub fn remove_progress(w: &mut Writes, item: u64) {
    w.remove(SENDING, item.to_be_bytes());
}

pub fn bundle(w: &mut Writes, person: u64, item: u64) {
    w.put(BUNDLES, [person.to_be_bytes(), item.to_be_bytes()].concat(), Vec::new());
}

/// Every person's waiting items, person by person.
pub fn bundles(store: &Store) -> Result<Vec<(u64, Vec<u64>)>> {
    let mut out: Vec<(u64, Vec<u64>)> = Vec::new();
    for k in store.tree(BUNDLES)?.iter().keys() {
        let k = k?;
        let (p, i) = (read_u64_at(&k, 0, "services.bundles")?, read_u64_at(&k, 8, "services.bundles")?);
        match out.last_mut() {
            Some((q, items)) if *q == p => items.push(i),
            _ => out.push((p, vec![i])),
        }
    }
    Ok(out)
}

pub fn unbundle(w: &mut Writes, person: u64, item: u64) {
    w.remove(BUNDLES, [person.to_be_bytes(), item.to_be_bytes()].concat());
}

pub fn counts(store: &Store, service: u64) -> Result<Counts> {
    match store.tree(COUNTS)?.get(service.to_be_bytes())? {
        Some(v) => decode_at(COUNTS, &service.to_be_bytes(), &v),
        None => Ok(Counts::default()),
    }
}

pub fn put_counts(w: &mut Writes, service: u64, c: &Counts) {
    w.put(COUNTS, service.to_be_bytes(), encode(c));
}

/// A fresh unsubscribe token: 16 hex digits from the system's randomness.
pub fn new_token() -> String {
    format!("{:016x}", rand::random::<u64>())
}
