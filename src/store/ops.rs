//! A set of writes across the org, channel and count trees, applied
//! atomically: one sled batch when only orgs change (a large import), one
//! transaction otherwise (moves, cascading deletes).

use std::collections::BTreeMap;

use sled::transaction::{ConflictableTransactionError, TransactionError, Transactional};
use sled::Batch;

use super::keys::{counts_value, read_counts};
use super::Store;
use crate::error::{Error, Result};

#[derive(Default)]
pub struct Ops {
    pub orgs: Vec<(Vec<u8>, Option<Vec<u8>>)>,
    pub channels: Vec<(Vec<u8>, Option<Vec<u8>>)>,
    /// Count deltas (channels, orgs) per `keys::counts` key, summed: a
    /// chunk of channels under one school touches each ancestor's counter
    /// once, not once per channel.
    pub counts: BTreeMap<Vec<u8>, (i64, i64)>,
}

impl Ops {
    pub fn org_put(&mut self, k: impl Into<Vec<u8>>, v: Vec<u8>) {
        self.orgs.push((k.into(), Some(v)));
    }

    pub fn org_del(&mut self, k: impl Into<Vec<u8>>) {
        self.orgs.push((k.into(), None));
    }

    pub fn chan_put(&mut self, k: impl Into<Vec<u8>>, v: Vec<u8>) {
        self.channels.push((k.into(), Some(v)));
    }

    pub fn chan_del(&mut self, k: impl Into<Vec<u8>>) {
        self.channels.push((k.into(), None));
    }

    pub fn count(&mut self, k: impl Into<Vec<u8>>, delta: (i64, i64)) {
        let d = self.counts.entry(k.into()).or_default();
        d.0 += delta.0;
        d.1 += delta.1;
    }

    pub fn is_empty(&self) -> bool {
        self.orgs.is_empty() && self.channels.is_empty() && self.counts.is_empty()
    }
}

impl Store {
    /// Applies `ops` all together or not at all.
    pub fn apply(&self, ops: Ops) -> Result<()> {
        if ops.channels.is_empty() && ops.counts.is_empty() {
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
        let res: Result<(), TransactionError<Error>> =
            (&self.orgs, &self.channels, &self.counts).transaction(|(o, c, n)| {
                for (k, v) in &ops.orgs {
                    match v {
                        Some(v) => o.insert(k.as_slice(), v.as_slice())?,
                        None => o.remove(k.as_slice())?,
                    };
                }
                for (k, v) in &ops.channels {
                    match v {
                        Some(v) => c.insert(k.as_slice(), v.as_slice())?,
                        None => c.remove(k.as_slice())?,
                    };
                }
                for (k, (da, db)) in ops.counts.iter().filter(|(_, d)| **d != (0, 0)) {
                    let (a, b) = n.get(k.as_slice())?.map(|v| read_counts(&v)).unwrap_or((0, 0));
                    n.insert(k.as_slice(), &counts_value(a + da, b + db)[..])?;
                }
                Ok::<(), ConflictableTransactionError<Error>>(())
            });
        res.map_err(Error::from)
    }
}
