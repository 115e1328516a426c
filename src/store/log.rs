//! The event log's keyspace: sequence -> (time, event body), and each
//! subscriber's read position. Appends happen only through `Store::transact`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::Notify;

use super::keys;
use super::keyspace::Keyspace;
use super::Store;
use crate::error::Result;

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
        if let Some((k, _)) = self.events.last()? {
            state.last.store(keys::read_u64_at(&k, 0, "events")?, Ordering::Release);
        }
        Ok(state)
    }

    /// The sequence number of the newest event (0: none yet).
    pub fn last_event(&self) -> u64 {
        self.log.last()
    }

    /// Up to `limit` events after `seq`, oldest first.
    pub fn events_after(&self, seq: u64, limit: usize) -> Result<Vec<RawEvent>> {
        let mut out = Vec::new();
        for kv in self.events.range((seq + 1).to_be_bytes()..).take(limit) {
            let (k, v) = kv?;
            let seq = keys::read_u64_at(&k, 0, "events")?;
            let (at_ms, body) = keys::split_event_value(&v, &k)?;
            out.push(RawEvent { seq, at_ms, body: body.to_vec() });
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
        let mut batch = sled::Batch::default();
        let mut n = 0;
        for k in self.events.range(..(upto.min(keep.saturating_sub(1)) + 1).to_be_bytes()).keys() {
            batch.remove(k?);
            n += 1;
        }
        self.events.apply_batch(batch)?;
        Ok(n)
    }

    /// The keyspace a subscriber's position is written to inside `transact`.
    pub fn position_space() -> Keyspace {
        Keyspace::Positions
    }
}
