//! A declared set of writes (rows, events) that commits as one transaction:
//! what subscribers and scheduled jobs hand back to be made durable together
//! with their read position or the removal of their job.

use sled::IVec;

use super::keyspace::Keyspace;
use super::tx::{Abort, Tx};
use super::Store;
use crate::error::Result;

/// Keys and values are held as sled's own `IVec`, copied once when they are
/// declared and handed to sled without another copy (the fan-out worker
/// declares a few hundred a commit).
#[derive(Debug, Default, Clone)]
pub struct Writes {
    ops: Vec<(Keyspace, IVec, Option<IVec>)>,
    events: Vec<(u64, Vec<u8>)>,
}

impl Writes {
    pub fn put(&mut self, ks: Keyspace, key: impl AsRef<[u8]>, value: impl AsRef<[u8]>) {
        self.ops.push((ks, IVec::from(key.as_ref()), Some(IVec::from(value.as_ref()))));
    }

    pub fn remove(&mut self, ks: Keyspace, key: impl AsRef<[u8]>) {
        self.ops.push((ks, IVec::from(key.as_ref()), None));
    }

    /// An encoded event to append with these writes.
    pub fn event_raw(&mut self, at_ms: u64, body: Vec<u8>) {
        self.events.push((at_ms, body));
    }

    /// Whether these writes put `key` into `ks`.
    pub fn has_put(&self, ks: Keyspace, key: &[u8]) -> bool {
        self.ops.iter().any(|(s, k, v)| *s == ks && k.as_ref() == key && v.is_some())
    }

    pub fn is_empty(&self) -> bool {
        self.ops.is_empty() && self.events.is_empty()
    }

    /// Adds everything `other` holds.
    pub fn extend(&mut self, other: Writes) {
        self.ops.extend(other.ops);
        self.events.extend(other.events);
    }

    /// The keyspaces these writes touch.
    pub fn spaces(&self) -> Vec<Keyspace> {
        let mut s: Vec<Keyspace> = self.ops.iter().map(|(k, _, _)| *k).collect();
        s.sort();
        s.dedup();
        s
    }

    /// Applies them inside a running transaction.
    pub fn apply(&self, tx: &mut Tx) -> std::result::Result<(), Abort> {
        for (ks, k, v) in &self.ops {
            match v {
                Some(v) => tx.put_ivec(*ks, k.clone(), v.clone())?,
                None => tx.remove(*ks, k)?,
            }
        }
        for (at, body) in &self.events {
            tx.event(*at, body.clone());
        }
        Ok(())
    }
}

impl Store {
    /// Commits `w` only while `key` in `ks` still holds `expected` (None:
    /// absent): two runners racing for the same job or the same events
    /// commit once. Returns whether it committed.
    pub fn commit_if(&self, w: &Writes, ks: Keyspace, key: &[u8], expected: Option<&[u8]>) -> Result<bool> {
        let mut spaces = w.spaces();
        if !spaces.contains(&ks) {
            spaces.push(ks);
        }
        self.transact(&spaces, |tx| {
            if tx.get(ks, key)?.as_deref() != expected {
                return Ok(false);
            }
            w.apply(tx)?;
            Ok(true)
        })
    }

    /// Commits `w` as one transaction. Writes that all fall in the fan-out
    /// keyspace (the delivery worker's) are one sled batch instead, their
    /// events in the log's part in that tree (`store/log.rs`).
    pub fn commit(&self, w: &Writes) -> Result<()> {
        if w.is_empty() {
            return Ok(());
        }
        if !w.ops.is_empty() && w.ops.iter().all(|(ks, _, _)| *ks == Keyspace::Fanout) {
            return self.commit_in_fanout(&w.ops, &w.events);
        }
        self.transact(&w.spaces(), |tx| w.apply(tx))
    }
}
