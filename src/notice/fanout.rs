//! Per-notice fan-out state in the `fanout` tree: the walk cursor, one row
//! per channel as it is resolved, retry markers, and delivered/failed
//! counters per ancestor org. The outbox worker is their only writer and
//! writes each group of them in one atomic batch.

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::events::{emit, Event};
use crate::store::keys::{self, fan};
use crate::store::{decode, encode, ChannelPos, Keyspace, Store, Writes};

/// Where a notice's walk stands: all channels up to `key` in walk order
/// (root `root` of the target) have a delivery row.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    pub root: u32,
    /// The last resolved channel within that root's subtree (the start: none yet).
    pub key: ChannelPos,
    /// The walk has passed every channel; only retries may remain.
    pub walked: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum DeliveryState {
    Sent { at: u64, message_ids: Vec<String> },
    Retry { next_at_ms: u64, reason: String },
    Failed { reason: String },
}

/// One channel's copy of one notice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryRow {
    pub state: DeliveryState,
    pub tries: u32,
    /// The org the channel belongs to (for roll-ups and listings).
    pub org: u32,
}

/// Delivered and failed channel counts of one org's subtree.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub delivered: i64,
    pub failed: i64,
}

impl Store {
    pub fn cursor(&self, notice: u64) -> Result<Cursor> {
        match self.fanout.get(keys::fan(notice, fan::CURSOR))? {
            Some(v) => decode(&v),
            None => Ok(Cursor::default()),
        }
    }

    pub fn delivery(&self, notice: u64, channel: u64) -> Result<Option<DeliveryRow>> {
        match self.fanout.get(keys::fan_u64(notice, fan::DELIVERY, channel))? {
            Some(v) => Ok(Some(decode(&v)?)),
            None => Ok(None),
        }
    }

    pub fn has_delivery(&self, notice: u64, channel: u64) -> Result<bool> {
        Ok(self.fanout.contains_key(keys::fan_u64(notice, fan::DELIVERY, channel))?)
    }

    pub fn counts(&self, notice: u64, org: u32) -> Result<Counts> {
        Ok(match self.fanout.get(keys::fan_u32(notice, fan::COUNTS, org))? {
            Some(v) => {
                let (delivered, failed) = keys::unpack_counts(&v).unwrap_or((0, 0));
                Counts { delivered, failed }
            }
            None => Counts::default(),
        })
    }

    /// Channels with a retry pending, for a restart.
    pub fn retries(&self, notice: u64) -> Result<Vec<u64>> {
        let prefix = keys::fan(notice, fan::RETRY);
        self.fanout.scan_prefix(prefix).keys().map(|k| Ok(keys::read_u64(&k?[9..]))).collect()
    }

    /// Channels whose delivery failed for good.
    pub fn failed_channels(&self, notice: u64) -> Result<Vec<u64>> {
        self.fanout.scan_prefix(keys::fan(notice, fan::FAILED)).keys().map(|k| Ok(keys::read_u64(&k?[9..]))).collect()
    }

    /// Every delivery row of a notice (channel id, row), in channel id order.
    pub fn deliveries(&self, notice: u64) -> impl Iterator<Item = Result<(u64, DeliveryRow)>> {
        self.fanout.scan_prefix(keys::fan(notice, fan::DELIVERY)).map(|kv| {
            let (k, v) = kv?;
            Ok((keys::read_u64(&k[9..]), decode(&v)?))
        })
    }

    /// Ids of notices whose fan-out is unfinished.
    pub fn active_notices(&self) -> Result<Vec<u64>> {
        self.active.iter().keys().map(|k| Ok(keys::read_u64(&k?))).collect()
    }

    pub fn finish_notice(&self, notice: u64) -> Result<()> {
        self.active.remove(notice.to_be_bytes())?;
        Ok(())
    }
}

/// A group of fan-out writes the worker commits at once, with one event
/// per resolved delivery in the same transaction.
#[derive(Default)]
pub struct FanBatch {
    writes: Writes,
    pub len: usize,
}

impl FanBatch {
    pub fn row(&mut self, notice: u64, channel: u64, row: &DeliveryRow, at_ms: u64) {
        let fan = Keyspace::Fanout;
        self.writes.put(fan, keys::fan_u64(notice, fan::DELIVERY, channel), encode(row));
        let retry = keys::fan_u64(notice, fan::RETRY, channel);
        if matches!(row.state, DeliveryState::Retry { .. }) {
            self.writes.put(fan, retry, Vec::new());
        } else if row.tries > 1 {
            // Only an earlier try can have left a retry mark; removing an
            // absent key still costs sled a write.
            self.writes.remove(fan, retry);
        }
        let org = row.org;
        match &row.state {
            DeliveryState::Sent { .. } => emit(&mut self.writes, at_ms, &Event::Delivered { notice, channel, org }),
            DeliveryState::Failed { reason } => {
                self.writes.put(fan, keys::fan_u64(notice, fan::FAILED, channel), Vec::new());
                let e = Event::DeliveryFailed { notice, channel, org, reason: reason.clone() };
                emit(&mut self.writes, at_ms, &e);
            }
            DeliveryState::Retry { .. } => {}
        }
        self.len += 1;
    }

    pub fn counts(&mut self, notice: u64, org: u32, c: Counts) {
        let v = keys::counts_value(c.delivered, c.failed);
        self.writes.put(Keyspace::Fanout, keys::fan_u32(notice, fan::COUNTS, org), v.to_vec());
    }

    pub fn cursor(&mut self, notice: u64, c: &Cursor) {
        self.writes.put(Keyspace::Fanout, keys::fan(notice, fan::CURSOR), encode(c));
    }

    pub fn commit(self, store: &Store) -> Result<()> {
        store.commit(&self.writes)
    }
}

impl Store {
    /// Ends a notice's fan-out: out of the active set, with its event.
    pub fn finish_fanout(&self, notice: u64, at_ms: u64) -> Result<()> {
        let mut w = Writes::default();
        w.remove(Keyspace::Active, notice.to_be_bytes());
        emit(&mut w, at_ms, &Event::FanoutFinished { notice });
        self.commit(&w)
    }
}
