//! Per-notice fan-out state: the walk cursor, one row per channel as it is
//! resolved, retry markers, and delivered/failed counters per ancestor org
//! (stored by `store/fanout.rs`). The outbox worker is their only writer and
//! writes each group of them in one atomic batch.

use crate::error::Result;
use crate::events::{emit, Event};
use crate::store::{Store, Writes};

pub use crate::store::fanout::{Counts, Cursor, DeliveryRow, DeliveryState};

/// A group of fan-out writes the worker commits at once, with the events of
/// the deliveries it resolves (one per notice and outcome) in the same
/// transaction.
#[derive(Default)]
pub struct FanBatch {
    writes: Writes,
    sent: std::collections::BTreeMap<u64, Vec<(u64, u32)>>,
    failed: std::collections::BTreeMap<u64, Vec<(u64, u32, String)>>,
    pub len: usize,
}

impl FanBatch {
    /// Records a delivery's state. `retried`: the attempt came from a
    /// retry, so a retry mark may be there to remove (a rate-limited retry
    /// keeps its try count, so the count cannot tell; removing an absent
    /// key still costs sled a write, so a first attempt leaves it alone).
    pub fn row(&mut self, notice: u64, channel: u64, row: &DeliveryRow, retried: bool) {
        self.writes.put_delivery(notice, channel, row);
        if matches!(row.state, DeliveryState::Retry { .. }) {
            self.writes.set_retry(notice, channel, true);
        } else if retried {
            self.writes.set_retry(notice, channel, false);
        }
        match &row.state {
            DeliveryState::Sent { .. } => self.sent.entry(notice).or_default().push((channel, row.org)),
            DeliveryState::Failed { reason } => {
                self.writes.mark_failed(notice, channel);
                self.failed.entry(notice).or_default().push((channel, row.org, reason.clone()));
            }
            DeliveryState::Retry { .. } => {}
        }
        self.len += 1;
    }

    pub fn counts(&mut self, notice: u64, org: u32, c: Counts) {
        self.writes.put_fan_counts(notice, org, c);
    }

    pub fn cursor(&mut self, notice: u64, c: &Cursor) {
        self.writes.put_cursor(notice, c);
    }

    /// Commits the rows with their events, stamped `at_ms`.
    pub fn commit(mut self, store: &Store, at_ms: u64) -> Result<()> {
        for (notice, to) in std::mem::take(&mut self.sent) {
            emit(&mut self.writes, at_ms, &Event::Delivered { notice, to });
        }
        for (notice, failed) in std::mem::take(&mut self.failed) {
            emit(&mut self.writes, at_ms, &Event::DeliveryFailed { notice, failed });
        }
        store.commit(&self.writes)
    }
}

impl Store {
    /// Ends a notice's fan-out: out of the active set, with its event.
    pub fn finish_fanout(&self, notice: u64, at_ms: u64) -> Result<()> {
        let mut w = Writes::default();
        w.deactivate_notice(notice);
        emit(&mut w, at_ms, &Event::FanoutFinished { notice });
        self.commit(&w)
    }
}
