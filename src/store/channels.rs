//! The `channels` keyspace (channels by org path ++ id, by id, by address) and the `counts` keyspace.

use std::ops::Bound;

use serde::{Deserialize, Serialize};
use treecast_wire::{Address, ChatKind};

use super::codec::{decode_at, encode};
use super::keys::{corrupt, platform_byte, read_counts, tagged, val_u64};
use super::orgs::{path_bytes, path_ids, SEG};
use super::{Keyspace, Ops, Store};
use crate::error::{Error, Result};

/// A chat bound to an org: a Telegram group, a Matrix room or a mailing
/// list (`tree/channels.rs` binds and removes them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Channel {
    pub id: u64,
    pub org: u32,
    /// The org's level, kept here so a fan-out can filter without reading orgs.
    pub level: u8,
    pub address: Address,
    /// False once the platform said the bot can no longer post there.
    pub alive: bool,
    /// Why it died, shown to officials.
    pub note: String,
    /// The bot account that is in the chat and delivers to it (see
    /// `Adapter::accounts`); empty for the platform's home account.
    pub account: String,
}

const KS: Keyspace = Keyspace::Channels;

/// org path ++ PATH_END ++ channel id -> Channel: path first, so a subtree's channels are one key range
const BY_PATH: u8 = b'p';
/// channel id -> its BY_PATH key
const BY_ID: u8 = b'i';
/// platform ++ chat kind ++ chat id -> channel id
const BY_ADDRESS: u8 = b'a';
/// Ends the org path in BY_PATH keys; org ids start at 1, so a zero
/// segment is never a child and an org's own channels sort before its subtree's.
const PATH_END: [u8; SEG] = [0; SEG];

/// A channel's place in its subtree's walk order: opaque, kept by a fan-out cursor to resume after it.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ChannelPos(Vec<u8>);

impl ChannelPos {
    /// Whether this is the start of a walk (no channel passed yet).
    pub fn is_start(&self) -> bool {
        self.0.is_empty()
    }

    /// The bytes behind the position (only `Tree::channels_in` still hands them out).
    pub fn into_bytes(self) -> Vec<u8> {
        self.0
    }
}

/// One channel found under a subtree: where it sits and its owner's path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placed {
    pub pos: ChannelPos,
    /// Ids from the root down to the channel's org.
    pub path: Vec<u32>,
    pub channel: Channel,
}

pub(super) fn key(path: &[u32], channel: u64) -> Vec<u8> {
    let mut k = prefix(path);
    k.extend_from_slice(&PATH_END);
    k.extend_from_slice(&channel.to_be_bytes());
    k
}

/// The prefix of every channel key in the subtree at `path`.
pub(super) fn prefix(path: &[u32]) -> Vec<u8> {
    tagged(BY_PATH, &path_bytes(path))
}

/// Splits a BY_PATH key into (org path, channel id).
fn split(key: &[u8]) -> Result<(Vec<u32>, u64)> {
    let n = key.len();
    let fits = n >= 1 + 2 * SEG + 8 && (n - 1 - 8).is_multiple_of(SEG) && key[0] == BY_PATH;
    if !fits || key[n - 8 - SEG..n - 8] != PATH_END {
        return Err(corrupt(KS, key, format!("not a channel key ({n} bytes)")));
    }
    let id = u64::from_be_bytes(key[n - 8..].try_into().map_err(|_| corrupt(KS, key, "no channel id"))?);
    Ok((path_ids(KS, key, &key[1..n - 8 - SEG])?, id))
}

pub(super) fn id_key(id: u64) -> Vec<u8> {
    tagged(BY_ID, &id.to_be_bytes())
}

pub(super) fn address_key(a: &Address) -> Vec<u8> {
    let kind = match a.kind {
        ChatKind::Direct => b'd',
        ChatKind::Group => b'g',
        ChatKind::List => b'l',
    };
    let mut k = vec![BY_ADDRESS, platform_byte(a.platform), kind];
    k.extend_from_slice(a.id.as_bytes());
    k
}

/// `counts` key: org id and the level of the orgs counted.
pub(super) fn counts_key(org: u32, level: u8) -> [u8; 5] {
    let mut k = [0u8; 5];
    k[..4].copy_from_slice(&org.to_be_bytes());
    k[4] = level;
    k
}

/// The smallest key greater than every key starting with `prefix`.
fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < u8::MAX {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

fn placed(kv: sled::Result<(sled::IVec, sled::IVec)>) -> Result<Placed> {
    let (k, v) = kv?;
    let (path, id) = split(&k)?;
    let channel: Channel = decode_at(KS, &k, &v)?;
    if channel.id != id {
        return Err(corrupt(KS, &k, format!("holds channel #{} under the key of #{id}", channel.id)));
    }
    Ok(Placed { pos: ChannelPos(k.to_vec()), path, channel })
}

/// The channels of one subtree in key order (a fan-out walk).
pub struct ChannelWalk(sled::Iter);

impl Iterator for ChannelWalk {
    type Item = Result<Placed>;

    fn next(&mut self) -> Option<Result<Placed>> {
        self.0.next().map(placed)
    }
}

impl Store {
    /// The channel with id `id`.
    pub fn channel(&self, id: u64) -> Result<Option<Channel>> {
        let ik = id_key(id);
        let Some(key) = self.channels.get(&ik)? else { return Ok(None) };
        if split(&key).map_err(|_| corrupt(KS, &ik, "the index holds no channel key"))?.1 != id {
            return Err(corrupt(KS, &ik, "the index points at another channel"));
        }
        match self.channels.get(&key)? {
            Some(v) => Ok(Some(decode_at(KS, &key, &v)?)),
            None => Ok(None),
        }
    }

    /// The id of the channel bound to the chat at `a`.
    pub fn channel_id_by_address(&self, a: &Address) -> Result<Option<u64>> {
        let key = address_key(a);
        self.channels.get(&key)?.map(|v| val_u64(KS, &key, &v)).transpose()
    }

    /// Channels bound to the org at `path` itself.
    pub fn channels_at(&self, path: &[u32]) -> Result<Vec<Channel>> {
        let mut p = prefix(path);
        p.extend_from_slice(&PATH_END);
        self.channels.scan_prefix(p).map(|kv| Ok(placed(kv)?.channel)).collect()
    }

    /// Channels in the whole subtree at `path`, in key order.
    pub fn channels_under(&self, path: &[u32]) -> Result<Vec<Placed>> {
        self.channels.scan_prefix(prefix(path)).map(placed).collect()
    }

    /// Walks the subtree at `path` in key order, from just after `after` if given.
    pub fn channel_walk(&self, path: &[u32], after: Option<&ChannelPos>) -> ChannelWalk {
        let p = prefix(path);
        let start = match after {
            Some(pos) if !pos.is_start() => Bound::Excluded(pos.0.clone()),
            _ => Bound::Included(p.clone()),
        };
        let end = prefix_end(&p).map_or(Bound::Unbounded, Bound::Excluded);
        ChannelWalk(self.channels.range::<Vec<u8>, _>((start, end)))
    }

    /// The channels with an id above `id` (bound after it was handed out), in id order.
    pub fn channels_after(&self, id: u64) -> Result<Vec<Placed>> {
        let start = Bound::Included(id_key(id.saturating_add(1)));
        let end = prefix_end(&[BY_ID]).map_or(Bound::Unbounded, Bound::Excluded);
        let mut out = Vec::new();
        for kv in self.channels.range::<Vec<u8>, _>((start, end)) {
            let (_, key) = kv?;
            if let Some(v) = self.channels.get(&key)? {
                out.push(placed(Ok((key, v)))?);
            }
        }
        Ok(out)
    }

    /// The org id of each channel in the subtree at `path`, in key order (keys only).
    pub fn channel_owners(&self, path: &[u32]) -> impl Iterator<Item = Result<u32>> {
        self.channel_owners_upto(path, u64::MAX)
    }

    /// Like `channel_owners`, counting only channels with an id up to
    /// `horizon` (those a notice posted then could reach).
    pub fn channel_owners_upto(&self, path: &[u32], horizon: u64) -> impl Iterator<Item = Result<u32>> {
        self.channels.scan_prefix(prefix(path)).keys().filter_map(move |k| {
            let owner = k.map_err(Error::from).and_then(|k| {
                let (path, id) = split(&k)?;
                let owner = path.last().copied().ok_or_else(|| corrupt(KS, &k, "an empty org path"))?;
                Ok((id <= horizon).then_some(owner))
            });
            owner.transpose()
        })
    }

    /// (channels, orgs with channels) of `level` in the subtree of `org`.
    pub fn level_counts(&self, org: u32, level: u8) -> Result<(i64, i64)> {
        let key = counts_key(org, level);
        match self.counts.get(key)? {
            Some(v) => read_counts(Keyspace::Counts, &key, &v),
            None => Ok((0, 0)),
        }
    }
}

impl Ops {
    /// Writes `ch` (of the org at `path`) under all its keys.
    pub fn put_channel(&mut self, path: &[u32], ch: &Channel) {
        let k = key(path, ch.id);
        self.chan_put(k.clone(), encode(ch));
        self.chan_put(id_key(ch.id), k);
        self.chan_put(address_key(&ch.address), ch.id.to_be_bytes().to_vec());
    }

    /// Rewrites `ch`'s record only (same org, same address).
    pub fn update_channel(&mut self, path: &[u32], ch: &Channel) {
        self.chan_put(key(path, ch.id), encode(ch));
    }

    /// Moves `ch` from the org path `from` to `to` (its org moved).
    pub fn move_channel(&mut self, from: &[u32], to: &[u32], ch: &Channel) {
        self.chan_del(key(from, ch.id));
        let k = key(to, ch.id);
        self.chan_put(k.clone(), encode(ch));
        self.chan_put(id_key(ch.id), k);
    }

    /// Removes every key of `ch` (of the org at `path`).
    pub fn del_channel(&mut self, path: &[u32], ch: &Channel) {
        self.chan_del(key(path, ch.id));
        self.chan_del(id_key(ch.id));
        self.del_address(&ch.address);
    }

    /// Unbinds the chat at `a` (the channel is about to get a new address).
    pub fn del_address(&mut self, a: &Address) {
        self.chan_del(address_key(a));
    }

    /// Adds (channels, channelled orgs) to `org`'s counter for `level`.
    pub fn count_channels(&mut self, org: u32, level: u8, delta: (i64, i64)) {
        self.count(counts_key(org, level).to_vec(), delta);
    }
}
