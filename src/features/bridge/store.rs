//! The bridge's state in the store: which orgs bridge their chats, the
//! message map (each platform message <-> one bridge id), and the per-chat
//! minute counters and held-back messages of burst merging.

use serde::{Deserialize, Serialize};
use treecast_wire::Platform;

use crate::error::Result;
use crate::store::keys::{platform_byte, read_u64_at};
use crate::store::{decode_at, encode, Keyspace, Store, Writes};

/// org -> Switch
const ORGS: Keyspace = Keyspace::Named("bridge.orgs");
/// platform ++ chat ++ 0 ++ message id -> bridge id: every message (and
/// edit) carried, so one offered again after a restart is carried once.
const SEEN: Keyspace = Keyspace::Named("bridge.seen");
/// bridge id -> Carried
const CARRIED: Keyspace = Keyspace::Named("bridge.carried");
/// channel -> Window: messages sent to the chat in the current minute
const WINDOWS: Keyspace = Keyspace::Named("bridge.windows");
/// channel ++ bridge id -> the line held back for the chat's next merged message
const HELD: Keyspace = Keyspace::Named("bridge.held");

/// An org's bridge switch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Switch {
    pub on: bool,
    pub by: u64,
    pub at: u64,
}

/// One message carried across an org's chats.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Carried {
    pub id: u64,
    pub org: u32,
    /// The chat it was written in, and its id there.
    pub from_channel: u64,
    pub from_message: String,
    /// The writer's platform id: only they edit it.
    pub from_sender: String,
    /// `[李明 · Telegram]`: who wrote it, where.
    pub label: String,
    pub text: String,
    /// The channels a copy went (or is going) to.
    pub copies: Vec<u64>,
    /// How many edits were carried (each names its copies apart).
    pub edits: u32,
    pub deleted: bool,
}

/// Messages sent to one chat within the minute starting at `from`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    pub from: u64,
    pub sent: u32,
}

pub fn switch(store: &Store, org: u32) -> Result<Option<Switch>> {
    let k = org.to_be_bytes();
    match store.tree(ORGS)?.get(k)? {
        Some(v) => Ok(Some(decode_at(ORGS, &k, &v)?)),
        None => Ok(None),
    }
}

pub fn is_on(store: &Store, org: u32) -> Result<bool> {
    Ok(switch(store, org)?.is_some_and(|s| s.on))
}

pub fn put_switch(w: &mut Writes, org: u32, s: &Switch) {
    w.put(ORGS, org.to_be_bytes(), encode(s));
}

fn seen_key(platform: Platform, chat: &str, message: &str) -> Vec<u8> {
    [&[platform_byte(platform)][..], chat.as_bytes(), &[0], message.as_bytes()].concat()
}

/// The bridge id of a platform message (an original or an edit), if carried.
pub fn seen(store: &Store, platform: Platform, chat: &str, message: &str) -> Result<Option<u64>> {
    let k = seen_key(platform, chat, message);
    match store.tree(SEEN)?.get(&k)? {
        Some(v) => Ok(Some(read_u64_at(&v, 0, "bridge.seen")?)),
        None => Ok(None),
    }
}

pub fn put_seen(w: &mut Writes, platform: Platform, chat: &str, message: &str, id: u64) {
    w.put(SEEN, seen_key(platform, chat, message), id.to_be_bytes());
}

pub fn carried(store: &Store, id: u64) -> Result<Option<Carried>> {
    let k = id.to_be_bytes();
    match store.tree(CARRIED)?.get(k)? {
        Some(v) => Ok(Some(decode_at(CARRIED, &k, &v)?)),
        None => Ok(None),
    }
}

pub fn put_carried(w: &mut Writes, c: &Carried) {
    w.put(CARRIED, c.id.to_be_bytes(), encode(c));
}

pub fn window(store: &Store, channel: u64) -> Result<Window> {
    let k = channel.to_be_bytes();
    match store.tree(WINDOWS)?.get(k)? {
        Some(v) => decode_at(WINDOWS, &k, &v),
        None => Ok(Window::default()),
    }
}

pub fn put_window(w: &mut Writes, channel: u64, win: Window) {
    w.put(WINDOWS, channel.to_be_bytes(), encode(&win));
}

pub fn hold(w: &mut Writes, channel: u64, id: u64, line: &str) {
    w.put(HELD, [channel.to_be_bytes(), id.to_be_bytes()].concat(), line.as_bytes());
}

/// The lines held back for `channel`, oldest first, with their bridge ids.
pub fn held(store: &Store, channel: u64) -> Result<Vec<(u64, String)>> {
    let mut out = Vec::new();
    for kv in store.tree(HELD)?.scan_prefix(channel.to_be_bytes()) {
        let (k, v) = kv?;
        out.push((read_u64_at(&k, 8, "bridge.held")?, String::from_utf8_lossy(&v).into_owned()));
    }
    Ok(out)
}

pub fn unhold(w: &mut Writes, channel: u64, id: u64) {
    w.remove(HELD, [channel.to_be_bytes(), id.to_be_bytes()].concat());
}
