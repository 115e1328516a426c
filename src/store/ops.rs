//! A set of writes across the org, channel and count trees, applied
//! atomically: one sled batch when only orgs change (a large import), one
//! transaction otherwise (moves, cascading deletes). The typed builders are
//! in `orgs` and `channels`; the raw ones below stay inside the store.

use std::collections::BTreeMap;

use sled::Batch;

use super::keys::{counts_value, read_counts};
use super::{abort, Keyspace, Store};
use crate::error::Result;

#[derive(Default)]
pub struct Ops {
    orgs: Vec<(Vec<u8>, Option<Vec<u8>>)>,
    channels: Vec<(Vec<u8>, Option<Vec<u8>>)>,
    /// Count deltas (channels, orgs) per `counts` key, summed: a chunk of
    /// channels under one school touches each ancestor's counter once, not
    /// once per channel.
    counts: BTreeMap<Vec<u8>, (i64, i64)>,
    /// Events (time, encoded body) appended with these writes.
    events: Vec<(u64, Vec<u8>)>,
}

impl Ops {
    pub(super) fn org_put(&mut self, k: impl Into<Vec<u8>>, v: Vec<u8>) {
        self.orgs.push((k.into(), Some(v)));
    }

    pub(super) fn org_del(&mut self, k: impl Into<Vec<u8>>) {
        self.orgs.push((k.into(), None));
    }

    pub(super) fn chan_put(&mut self, k: impl Into<Vec<u8>>, v: Vec<u8>) {
        self.channels.push((k.into(), Some(v)));
    }

    pub(super) fn chan_del(&mut self, k: impl Into<Vec<u8>>) {
        self.channels.push((k.into(), None));
    }

    pub(super) fn count(&mut self, k: impl Into<Vec<u8>>, delta: (i64, i64)) {
        let d = self.counts.entry(k.into()).or_default();
        d.0 += delta.0;
        d.1 += delta.1;
    }

    /// An encoded event to append with these writes.
    pub fn event(&mut self, at_ms: u64, body: Vec<u8>) {
        self.events.push((at_ms, body));
    }

    pub fn is_empty(&self) -> bool {
        self.orgs.is_empty() && self.channels.is_empty() && self.counts.is_empty() && self.events.is_empty()
    }
}

impl Store {
    /// Applies `ops` all together or not at all.
    pub fn apply(&self, ops: Ops) -> Result<()> {
        if ops.channels.is_empty() && ops.counts.is_empty() && ops.events.is_empty() {
            let mut batch = Batch::default();
            for (k, v) in ops.orgs {
                match v {
                    Some(v) => batch.insert(k, v),
                    None => batch.remove(k),
                }
            }
            self.orgs.apply_batch(batch)?;
            return Ok(());
        }
        self.transact(&[Keyspace::Orgs, Keyspace::Channels, Keyspace::Counts], |tx| {
            for (ks, list) in [(Keyspace::Orgs, &ops.orgs), (Keyspace::Channels, &ops.channels)] {
                for (k, v) in list {
                    match v {
                        Some(v) => tx.insert(ks, k, v)?,
                        None => tx.remove(ks, k)?,
                    }
                }
            }
            for (k, (da, db)) in ops.counts.iter().filter(|(_, d)| **d != (0, 0)) {
                let (a, b) = match tx.get(Keyspace::Counts, k)? {
                    Some(v) => read_counts(Keyspace::Counts, k, &v).map_err(abort)?,
                    None => (0, 0),
                };
                tx.insert(Keyspace::Counts, k, &counts_value(a + da, b + db))?;
            }
            for (at, body) in &ops.events {
                tx.event(*at, body.clone());
            }
            Ok(())
        })
    }
}
