//! Channels: a group chat, room or mailing list bound to an org. Keyed by the
//! org's path so the fan-out walks a subtree's channels as one key range.

use treecast_wire::{Address, ChatKind};

use super::{Org, Tree};
use crate::catalogue::{msg, Msg};
use crate::error::{Error, Result};
use crate::events::{Act, Actor, Event};
pub use crate::store::Channel;
use crate::store::{encode, Ops};

impl Tree {
    /// Binds `address` to `org` (refused if bound elsewhere; a repeat is a
    /// no-op, or revives the channel if the bot had been removed).
    pub fn bind(&self, org: &Org, address: Address) -> Result<Channel> {
        self.bind_via(org, address, "", Actor::Operator)
    }

    /// Binds `address` to `org`, delivered through bot account `account`
    /// (the one that saw `/bind` there). Binding again through another
    /// account moves the channel to it: that bot is in the chat now. `by`
    /// goes into the audit log with the binding.
    pub fn bind_via(&self, org: &Org, address: Address, account: &str, by: Actor) -> Result<Channel> {
        let _g = self.lock();
        if let Some(mut ch) = self.channel_by_address(&address)? {
            if ch.org == org.id {
                // Bound here already; if the bot had been removed from the
                // chat, binding again brings the same channel back.
                if !ch.alive || ch.account != account {
                    ch.alive = true;
                    ch.note.clear();
                    ch.account = account.to_owned();
                    let mut ops = Ops::default();
                    ops.put_channel(&org.path, &ch);
                    self.channel_event(&Event::ChannelBound { channel: ch.id, org: org.id }, &mut ops);
                    self.channel_event(&Event::Acted { org: org.id, by, act: Act::Bound { channel: ch.id } }, &mut ops);
                    self.store.apply(ops)?;
                }
                return Ok(ch);
            }
            let owner = self.require_id(ch.org)?;
            return Err(Error::invalid(msg(
                Msg::AlreadyBoundElsewhere,
                &[("code", &owner.code), ("name", &owner.name)],
            )));
        }
        let first_for_org = self.channel_counts(org.id, org.level)?.0 == 0;
        let ch = self.new_channel(org, address, account)?;
        let mut ops = Ops::default();
        Self::add_ops(org, &ch, first_for_org, &mut ops);
        self.channel_event(&Event::ChannelBound { channel: ch.id, org: org.id }, &mut ops);
        self.channel_event(&Event::Acted { org: org.id, by, act: Act::Bound { channel: ch.id } }, &mut ops);
        self.store.apply(ops)?;
        Ok(ch)
    }

    /// Binds every (org, chat) at once, in one commit (an import: all or
    /// nothing); a chat bound to its org already is left as it is (a
    /// second import adds nothing). The caller has checked the rows; a
    /// chat bound to another org meanwhile stops it before anything is
    /// written. Returns (bound now, bound already).
    pub fn bind_all(&self, rows: &[(Org, Address)], by: Actor) -> Result<(usize, usize)> {
        let _g = self.lock();
        let mut ops = Ops::default();
        let mut firsts = std::collections::HashSet::new();
        let (mut added, mut had) = (0, 0);
        for (org, address) in rows {
            if let Some(mut ch) = self.channel_by_address(address)? {
                if ch.org != org.id {
                    let owner = self.require_id(ch.org)?;
                    return Err(Error::invalid(msg(
                        Msg::AlreadyBoundElsewhere,
                        &[("code", &owner.code), ("name", &owner.name)],
                    )));
                }
                if ch.alive {
                    had += 1;
                    continue;
                }
                ch.alive = true;
                ch.note.clear();
                ops.put_channel(&org.path, &ch);
                self.channel_event(&Event::ChannelBound { channel: ch.id, org: org.id }, &mut ops);
                self.channel_event(&Event::Acted { org: org.id, by, act: Act::Bound { channel: ch.id } }, &mut ops);
                added += 1;
                continue;
            }
            let first = self.channel_counts(org.id, org.level)?.0 == 0 && firsts.insert(org.id);
            let ch = self.new_channel(org, address.clone(), "")?;
            Self::add_ops(org, &ch, first, &mut ops);
            self.channel_event(&Event::ChannelBound { channel: ch.id, org: org.id }, &mut ops);
            self.channel_event(&Event::Acted { org: org.id, by, act: Act::Bound { channel: ch.id } }, &mut ops);
            added += 1;
        }
        self.store.apply(ops)?;
        Ok((added, had))
    }

    /// A channel for `address` under a fresh id (not yet written).
    fn new_channel(&self, org: &Org, address: Address, account: &str) -> Result<Channel> {
        if address.kind == ChatKind::Direct {
            return Err(Error::invalid(Msg::PrivateChatNotChannel.text()));
        }
        let id = self.store.next_id()?;
        let account = account.to_owned();
        Ok(Channel { id, org: org.id, level: org.level, address, alive: true, note: String::new(), account })
    }

    /// Writes a new channel and counts it in every counter up the org's
    /// path (`first_for_org`: the org had no channel yet).
    fn add_ops(org: &Org, ch: &Channel, first_for_org: bool, ops: &mut Ops) {
        ops.put_channel(&org.path, ch);
        for a in &org.path {
            ops.count_channels(*a, org.level, (1, i64::from(first_for_org)));
        }
    }

    /// Removes a channel and its counts.
    pub fn unbind(&self, channel: u64, by: Actor) -> Result<Channel> {
        let _g = self.lock();
        let ch = self.channel(channel)?.ok_or_else(|| Error::not_found(msg(Msg::NoChannel, &[("id", &channel)])))?;
        let org = self.require_id(ch.org)?;
        let last = self.channels_of(&org)?.len() == 1;
        let mut ops = Ops::default();
        ops.del_channel(&org.path, &ch);
        for a in &org.path {
            ops.count_channels(*a, org.level, (-1, -i64::from(last)));
        }
        self.channel_event(&Event::ChannelRemoved { channel: ch.id, org: org.id }, &mut ops);
        self.channel_event(&Event::Acted { org: org.id, by, act: Act::Unbound { channel: ch.id } }, &mut ops);
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
        ops.del_address(&ch.address);
        ch.address.id = new_id.to_owned();
        ch.alive = true;
        ch.note = String::new();
        ops.put_channel(&org.path, &ch);
        self.store.apply(ops)?;
        Ok(Some(ch))
    }

    /// Adds and removes members of `org`'s bound mailing list `list`
    /// (addresses compared lowercased; adding one already there is a no-op).
    pub fn edit_list_members(&self, org: &Org, list: &str, add: &[String], remove: &[String]) -> Result<Channel> {
        let key = Address::list(list, Vec::new());
        let ch = self
            .channel_by_address(&key)?
            .filter(|c| c.org == org.id)
            .ok_or_else(|| Error::not_found(msg(Msg::NoBoundList, &[("org", &org.name), ("list", &list)])))?;
        let updated = self.update_channel(ch.id, |c| {
            let drop: std::collections::HashSet<String> = remove.iter().map(|a| a.trim().to_lowercase()).collect();
            c.address.members.retain(|m| !drop.contains(&m.to_lowercase()));
            let mut have: std::collections::HashSet<String> =
                c.address.members.iter().map(|m| m.to_lowercase()).collect();
            for a in add {
                let a = a.trim().to_lowercase();
                if have.insert(a.clone()) {
                    c.address.members.push(a);
                }
            }
        })?;
        updated.ok_or_else(|| Error::not_found(Msg::ListChannelGone.text()))
    }

    fn update_channel(&self, channel: u64, f: impl FnOnce(&mut Channel)) -> Result<Option<Channel>> {
        let _g = self.lock();
        let Some(mut ch) = self.channel(channel)? else { return Ok(None) };
        let org = self.require_id(ch.org)?;
        let was_alive = ch.alive;
        f(&mut ch);
        let mut ops = Ops::default();
        ops.update_channel(&org.path, &ch);
        if was_alive && !ch.alive {
            self.channel_event(&Event::ChannelRemoved { channel: ch.id, org: org.id }, &mut ops);
        }
        self.store.apply(ops)?;
        Ok(Some(ch))
    }

    pub fn channel(&self, id: u64) -> Result<Option<Channel>> {
        self.store.channel(id)
    }

    pub fn channel_by_address(&self, a: &Address) -> Result<Option<Channel>> {
        match self.store.channel_id_by_address(a)? {
            Some(id) => self.channel(id),
            None => Ok(None),
        }
    }

    /// Channels bound to `org` itself.
    pub fn channels_of(&self, org: &Org) -> Result<Vec<Channel>> {
        self.store.channels_at(&org.path)
    }

    /// Channels in the whole subtree of `org`, in key order, each with its
    /// place in that order (opaque bytes; `Store::channels_under` gives paths).
    pub fn channels_in(&self, org: &Org) -> Result<Vec<(Vec<u8>, Channel)>> {
        Ok(self.store.channels_under(&org.path)?.into_iter().map(|p| (p.pos.into_bytes(), p.channel)).collect())
    }

    /// Orgs with at least one channel in the subtree, counted per level.
    pub(crate) fn channelled_orgs_by_level(&self, org: &Org) -> Result<Vec<(u8, i64)>> {
        let mut seen = std::collections::HashSet::new();
        let mut per = std::collections::BTreeMap::<u8, i64>::new();
        for placed in self.store.channels_under(&org.path)? {
            let ch = placed.channel;
            if seen.insert(ch.org) {
                let o = self.require_id(ch.org)?;
                *per.entry(o.level).or_default() += 1;
            }
        }
        Ok(per.into_iter().collect())
    }

    /// (channels, orgs with channels) of `level` in the subtree of `org`.
    pub fn channel_counts(&self, org: u32, level: u8) -> Result<(i64, i64)> {
        self.store.level_counts(org, level)
    }
}

impl Tree {
    /// Binds many (org, address) pairs, skipping addresses already bound
    /// (set-up scripts, the demo, benchmarks). Written in small atomic
    /// chunks (`store::BULK_BATCH` channels with their count deltas): one
    /// batch for 275,600 channels, or a recount of every counter in one
    /// batch, took sled to 1.8 GB.
    pub fn bind_bulk(&self, pairs: Vec<(Org, Address)>) -> Result<usize> {
        self.bind_bulk_via(pairs.into_iter().map(|(o, a)| (o, a, String::new())).collect())
    }

    /// `bind_bulk`, each chat delivered through the bot account given with it.
    pub fn bind_bulk_via(&self, pairs: Vec<(Org, Address, String)>) -> Result<usize> {
        let _g = self.lock();
        let mut n = 0;
        let mut seen = std::collections::HashSet::new();
        let mut orgs_seen = std::collections::HashSet::new();
        let mut ops = Ops::default();
        for (org, address, account) in pairs {
            // Addresses are keyed by platform, kind and id (not list members).
            let akey = (address.platform, address.kind, address.id.clone());
            if !seen.insert(akey) || self.store.channel_id_by_address(&address)?.is_some() {
                continue;
            }
            // Counters are written per chunk: an org seen earlier in this
            // call may not be counted yet.
            let first_for_org = orgs_seen.insert(org.id) && self.channel_counts(org.id, org.level)?.0 == 0;
            let ch = self.new_channel(&org, address, &account)?;
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
