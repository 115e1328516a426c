//! Channels: a group chat, room or mailing list bound to an org. Keyed by the
//! org's path so the fan-out walks a subtree's channels as one key range.

use serde::{Deserialize, Serialize};
use treecast_wire::{Address, ChatKind};

use super::{Org, Tree};
use crate::error::{Error, Result};
use crate::events::Event;
use crate::store::keys::{self, chan as tag};
use crate::store::{decode, encode, Ops};

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
}

impl Tree {
    /// Binds `address` to `org` (refused if bound elsewhere; a repeat is a
    /// no-op, or revives the channel if the bot had been removed).
    pub fn bind(&self, org: &Org, address: Address) -> Result<Channel> {
        let _g = self.lock();
        if let Some(mut ch) = self.channel_by_address(&address)? {
            if ch.org == org.id {
                // Bound here already; if the bot had been removed from the
                // chat, binding again brings the same channel back.
                if !ch.alive {
                    ch.alive = true;
                    ch.note.clear();
                    let mut ops = Ops::default();
                    Self::chan_ops(org, &ch, &mut ops);
                    self.channel_event(&Event::ChannelBound { channel: ch.id, org: org.id }, &mut ops);
                    self.store.apply(ops)?;
                }
                return Ok(ch);
            }
            let owner = self.require_id(ch.org)?;
            return Err(Error::invalid(format!(
                "this chat is already bound to {} {}; unbind it there first",
                owner.code, owner.name
            )));
        }
        let first_for_org = self.channel_counts(org.id, org.level)?.0 == 0;
        let ch = self.new_channel(org, address)?;
        let mut ops = Ops::default();
        Self::add_ops(org, &ch, first_for_org, &mut ops);
        self.channel_event(&Event::ChannelBound { channel: ch.id, org: org.id }, &mut ops);
        self.store.apply(ops)?;
        Ok(ch)
    }

    /// A channel for `address` under a fresh id (not yet written).
    fn new_channel(&self, org: &Org, address: Address) -> Result<Channel> {
        if address.kind == ChatKind::Direct {
            return Err(Error::invalid("私聊不能作为组织的渠道，请绑定群、房间或邮件列表。 A private chat cannot be an org's channel; bind a group, room or list."));
        }
        let id = self.store.next_id()?;
        Ok(Channel { id, org: org.id, level: org.level, address, alive: true, note: String::new() })
    }

    /// Writes a new channel and counts it in every counter up the org's
    /// path (`first_for_org`: the org had no channel yet).
    fn add_ops(org: &Org, ch: &Channel, first_for_org: bool, ops: &mut Ops) {
        Self::chan_ops(org, ch, ops);
        for a in &org.path {
            ops.count(keys::counts(*a, org.level).to_vec(), (1, i64::from(first_for_org)));
        }
    }

    fn chan_ops(org: &Org, ch: &Channel, ops: &mut Ops) {
        let key = keys::channel_key(&org.path_key(), ch.id);
        ops.chan_put(key.clone(), encode(ch));
        ops.chan_put(keys::tagged(tag::BY_ID, &ch.id.to_be_bytes()), key);
        ops.chan_put(keys::tagged(tag::BY_ADDRESS, &keys::address(&ch.address)), ch.id.to_be_bytes().to_vec());
    }

    /// Removes a channel and its counts.
    pub fn unbind(&self, channel: u64) -> Result<Channel> {
        let _g = self.lock();
        let ch = self.channel(channel)?.ok_or_else(|| Error::not_found(format!("no channel #{channel}")))?;
        let org = self.require_id(ch.org)?;
        let last = self.channels_of(&org)?.len() == 1;
        let mut ops = Ops::default();
        ops.chan_del(keys::channel_key(&org.path_key(), ch.id));
        ops.chan_del(keys::tagged(tag::BY_ID, &ch.id.to_be_bytes()));
        ops.chan_del(keys::tagged(tag::BY_ADDRESS, &keys::address(&ch.address)));
        for a in &org.path {
            ops.count(keys::counts(*a, org.level).to_vec(), (-1, -i64::from(last)));
        }
        self.channel_event(&Event::ChannelRemoved { channel: ch.id, org: org.id }, &mut ops);
        self.store.apply(ops)?;
        Ok(ch)
    }

    /// Records that the bot can no longer post to a channel.
    pub fn mark_dead(&self, channel: u64, why: &str) -> Result<Option<Channel>> {
        self.update_channel(channel, |ch| {
            ch.alive = false;
            ch.note = why.to_owned();
        })
    }

    fn channel_event(&self, e: &Event, ops: &mut Ops) {
        ops.event(self.clock.now_ms(), encode(e));
    }

    /// Points a channel at its chat's new id (Telegram supergroup upgrade).
    pub fn migrate(&self, channel: u64, new_id: &str) -> Result<Option<Channel>> {
        let _g = self.lock();
        let Some(mut ch) = self.channel(channel)? else { return Ok(None) };
        let org = self.require_id(ch.org)?;
        let mut ops = Ops::default();
        ops.chan_del(keys::tagged(tag::BY_ADDRESS, &keys::address(&ch.address)));
        ch.address.id = new_id.to_owned();
        ch.alive = true;
        ch.note = String::new();
        Self::chan_ops(&org, &ch, &mut ops);
        self.store.apply(ops)?;
        Ok(Some(ch))
    }

    fn update_channel(&self, channel: u64, f: impl FnOnce(&mut Channel)) -> Result<Option<Channel>> {
        let _g = self.lock();
        let Some(mut ch) = self.channel(channel)? else { return Ok(None) };
        let org = self.require_id(ch.org)?;
        let was_alive = ch.alive;
        f(&mut ch);
        let mut ops = Ops::default();
        ops.chan_put(keys::channel_key(&org.path_key(), ch.id), encode(&ch));
        if was_alive && !ch.alive {
            self.channel_event(&Event::ChannelRemoved { channel: ch.id, org: org.id }, &mut ops);
        }
        self.store.apply(ops)?;
        Ok(Some(ch))
    }

    pub fn channel(&self, id: u64) -> Result<Option<Channel>> {
        let Some(key) = self.store.channels.get(keys::tagged(tag::BY_ID, &id.to_be_bytes()))? else {
            return Ok(None);
        };
        match self.store.channels.get(key)? {
            Some(v) => Ok(Some(decode(&v)?)),
            None => Ok(None),
        }
    }

    pub fn channel_by_address(&self, a: &Address) -> Result<Option<Channel>> {
        match self.store.channels.get(keys::tagged(tag::BY_ADDRESS, &keys::address(a)))? {
            Some(id) => self.channel(keys::read_u64(&id)),
            None => Ok(None),
        }
    }

    /// Channels bound to `org` itself.
    pub fn channels_of(&self, org: &Org) -> Result<Vec<Channel>> {
        let mut prefix = keys::channel_prefix(&org.path_key());
        prefix.extend_from_slice(&keys::PATH_END);
        self.store.channels.scan_prefix(prefix).map(|kv| decode(&kv?.1)).collect()
    }

    /// Channels in the whole subtree of `org`, with their keys, in key order.
    pub fn channels_in(&self, org: &Org) -> Result<Vec<(Vec<u8>, Channel)>> {
        self.store
            .channels
            .scan_prefix(keys::channel_prefix(&org.path_key()))
            .map(|kv| {
                let (k, v) = kv?;
                Ok((k.to_vec(), decode(&v)?))
            })
            .collect()
    }

    /// Orgs with at least one channel in the subtree, counted per level.
    pub(crate) fn channelled_orgs_by_level(&self, org: &Org) -> Result<Vec<(u8, i64)>> {
        let mut seen = std::collections::HashSet::new();
        let mut per = std::collections::BTreeMap::<u8, i64>::new();
        for (_, ch) in self.channels_in(org)? {
            if seen.insert(ch.org) {
                let o = self.require_id(ch.org)?;
                *per.entry(o.level).or_default() += 1;
            }
        }
        Ok(per.into_iter().collect())
    }

    /// (channels, orgs with channels) of `level` in the subtree of `org`.
    pub fn channel_counts(&self, org: u32, level: u8) -> Result<(i64, i64)> {
        Ok(self.store.counts.get(keys::counts(org, level))?.map(|v| keys::unpack_counts(&v).unwrap_or((0, 0))).unwrap_or((0, 0)))
    }
}

impl Tree {
    /// Binds many (org, address) pairs, skipping addresses already bound
    /// (set-up scripts, the demo, benchmarks). Written in small atomic
    /// chunks (`store::BULK_BATCH` channels with their count deltas): one
    /// batch for 275,600 channels, or a recount of every counter in one
    /// batch, took sled to 1.8 GB.
    pub fn bind_bulk(&self, pairs: Vec<(Org, Address)>) -> Result<usize> {
        let _g = self.lock();
        let mut n = 0;
        let mut seen = std::collections::HashSet::new();
        let mut orgs_seen = std::collections::HashSet::new();
        let mut ops = Ops::default();
        for (org, address) in pairs {
            let akey = keys::address(&address);
            if !seen.insert(akey.clone()) || self.store.channels.contains_key(keys::tagged(tag::BY_ADDRESS, &akey))? {
                continue;
            }
            // Counters are written per chunk: an org seen earlier in this
            // call may not be counted yet.
            let first_for_org = orgs_seen.insert(org.id) && self.channel_counts(org.id, org.level)?.0 == 0;
            let ch = self.new_channel(&org, address)?;
            Self::add_ops(&org, &ch, first_for_org, &mut ops);
            self.channel_event(&Event::ChannelBound { channel: ch.id, org: org.id }, &mut ops);
            n += 1;
            if n % crate::store::BULK_BATCH == 0 {
                self.store.apply(std::mem::take(&mut ops))?;
            }
        }
        if !ops.is_empty() {
            self.store.apply(ops)?;
        }
        Ok(n)
    }
}
