//! The event log: sequence -> (time, event body), and each subscriber's
//! read position. Appends happen only through `Store::transact` and
//! `Store::commit`, under one lock that hands out the sequence numbers.
//!
//! The log has two parts read as one. Most events live in the `events`
//! keyspace. A commit that writes only the `fanout` keyspace (the delivery
//! worker's) keeps its events in the fan-out tree under `fanout::LOG`, so it
//! is one sled batch on one tree: sled 0.34's transactions read every key
//! before writing it, which was a tenth of the worker's instructions
//! (docs/BENCHMARKS.md, issue 13).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::Notify;

use super::keyspace::Keyspace;
use super::Store;
use super::{fanout, keys};
use crate::error::Result;

/// The key of event `seq` in the fan-out tree.
fn in_fanout(seq: u64) -> [u8; fanout::HEAD + 8] {
    fanout::by_channel(fanout::LOG_NOTICE, fanout::LOG, seq)
}

/// Shared by every clone of the store: appends are ordered by `lock`.
#[derive(Default)]
pub struct LogState {
    pub(super) lock: Mutex<()>,
    last: AtomicU64,
    /// Woken after every commit that appended events.
    pub notify: Notify,
}

impl LogState {
    pub(super) fn last(&self) -> u64 {
        self.last.load(Ordering::Acquire)
    }

    pub(super) fn appended(&self, last: u64) {
        self.last.store(last, Ordering::Release);
        self.notify.notify_waiters();
    }
}

/// One stored event, its body still encoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawEvent {
    pub seq: u64,
    pub at_ms: u64,
    pub body: Vec<u8>,
}

impl Store {
    pub(super) fn init_log(&self) -> Result<Arc<LogState>> {
        let state = Arc::new(LogState::default());
        let mut last = 0;
        if let Some((k, _)) = self.events.last()? {
            last = keys::read_u64_at(&k, 0, "events")?;
        }
        if let Some(k) = self.fanout.scan_prefix(fanout::head(fanout::LOG_NOTICE, fanout::LOG)).keys().next_back() {
            let k = k?;
            last = last.max(keys::read_u64_at(&k, fanout::HEAD, keys::KeyName("fanout", &k))?);
        }
        state.last.store(last, Ordering::Release);
        Ok(state)
    }

    /// The sequence number of the newest event (0: none yet).
    pub fn last_event(&self) -> u64 {
        self.log.last()
    }

    /// Up to `limit` events after `seq`, oldest first, from both parts.
    /// Only events up to the last whole commit are read: a reader between
    /// the two parts never sees a later event before an earlier one.
    pub fn events_after(&self, seq: u64, limit: usize) -> Result<Vec<RawEvent>> {
        let upto = self.log.last();
        if seq >= upto || limit == 0 {
            return Ok(Vec::new());
        }
        let mut out = Vec::new();
        let main = self.events.range((seq + 1).to_be_bytes()..=upto.to_be_bytes());
        for kv in main.take(limit) {
            let (k, v) = kv?;
            out.push(raw_event(&k, 0, &v, "events")?);
        }
        let hosted = self.fanout.range(in_fanout(seq + 1)..=in_fanout(upto));
        let mut more = false;
        for kv in hosted.take(limit) {
            let (k, v) = kv?;
            out.push(raw_event(&k, fanout::HEAD, &v, "fanout")?);
            more = true;
        }
        if more {
            out.sort_unstable_by_key(|e| e.seq);
            out.truncate(limit);
        }
        Ok(out)
    }

    /// A subscriber's read position (0: it has seen nothing).
    pub fn position(&self, subscriber: &str) -> Result<u64> {
        match self.positions.get(subscriber.as_bytes())? {
            Some(v) => keys::read_u64_at(&v, 0, format_args!("positions/{subscriber}")),
            None => Ok(0),
        }
    }

    /// Deletes events every subscriber has passed (`upto` inclusive), always
    /// keeping the newest so sequence numbers never restart. Returns how many.
    pub fn compact_events(&self, upto: u64) -> Result<usize> {
        let keep = self.last_event();
        let end = upto.min(keep.saturating_sub(1)) + 1;
        let mut n = 0;
        for (tree, range) in [
            (&self.events, self.events.range(..end.to_be_bytes())),
            (&self.fanout, self.fanout.range(in_fanout(0)..in_fanout(end))),
        ] {
            let mut batch = sled::Batch::default();
            for k in range.keys() {
                batch.remove(k?);
                n += 1;
            }
            tree.apply_batch(batch)?;
        }
        Ok(n)
    }

    /// Runs `write` under the log's lock, given the sequence number its
    /// first event gets; it returns its result and how many events it
    /// appended. The one place sequence numbers are handed out, so a reader
    /// never sees a later event before an earlier one.
    pub(super) fn appending<R>(&self, write: impl FnOnce(u64) -> Result<(R, u64)>) -> Result<R> {
        let _order = self.log.lock.lock().unwrap_or_else(|e| e.into_inner());
        self.check_fault()?;
        let first = self.log.last() + 1;
        let (out, appended) = write(first)?;
        if appended > 0 {
            self.log.appended(first + appended - 1);
        }
        Ok(out)
    }

    /// Commits writes that all fall in the fan-out keyspace, with their
    /// events, as one sled batch on the fan-out tree (see the module doc).
    pub(super) fn commit_in_fanout(
        &self,
        ops: &[(Keyspace, sled::IVec, Option<sled::IVec>)],
        events: &[(u64, Vec<u8>)],
    ) -> Result<()> {
        self.appending(|first| {
            let mut batch = sled::Batch::default();
            for (ks, k, v) in ops {
                debug_assert_eq!(*ks, Keyspace::Fanout);
                match v {
                    Some(v) => batch.insert(k.clone(), v.clone()),
                    None => batch.remove(k.clone()),
                }
            }
            for (i, (at, body)) in events.iter().enumerate() {
                batch.insert(&in_fanout(first + i as u64), keys::event_value(*at, body));
            }
            self.fanout.apply_batch(batch)?;
            Ok(((), events.len() as u64))
        })
    }

    /// The keyspace a subscriber's position is written to inside `transact`.
    pub fn position_space() -> Keyspace {
        Keyspace::Positions
    }
}

/// One stored event: its sequence number at `at` in the key, its time and body in the value.
fn raw_event(k: &[u8], at: usize, v: &[u8], space: &str) -> Result<RawEvent> {
    let seq = keys::read_u64_at(k, at, keys::KeyName(space, k))?;
    let at_ms = keys::read_u64_at(v, 0, keys::KeyName(space, k))?;
    Ok(RawEvent { seq, at_ms, body: v[8..].to_vec() })
}
