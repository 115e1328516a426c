//! Atomic writes across keyspaces, with events appended to the durable log in
//! the same transaction as the change they record.

use sled::transaction::{ConflictableTransactionError, TransactionError, Transactional, TransactionalTree};

use super::keyspace::Keyspace;
use super::Store;
use crate::catalogue::{msg, Msg};
use crate::error::{Error, Result};

/// One transaction's view of the keyspaces it named.
pub struct Tx<'a> {
    spaces: &'a [Keyspace],
    trees: &'a [TransactionalTree],
    events: Vec<(u64, Vec<u8>)>,
}

/// How a step inside `transact` fails: a conflict (retried) or an abort with an error.
pub type Abort = ConflictableTransactionError<Error>;

impl Tx<'_> {
    fn tree(&self, ks: Keyspace) -> std::result::Result<&TransactionalTree, Abort> {
        match self.spaces.iter().position(|s| *s == ks) {
            Some(i) => Ok(&self.trees[i]),
            None => Err(Abort::Abort(Error::invalid(msg(Msg::KeyspaceNotInWrite, &[("keyspace", &ks.name())])))),
        }
    }

    pub fn get(&self, ks: Keyspace, key: &[u8]) -> std::result::Result<Option<sled::IVec>, Abort> {
        Ok(self.tree(ks)?.get(key)?)
    }

    pub fn insert(&self, ks: Keyspace, key: &[u8], value: &[u8]) -> std::result::Result<(), Abort> {
        self.tree(ks)?.insert(key, value)?;
        Ok(())
    }

    /// `insert` of values already held as `IVec` (no copy; see `Writes`).
    pub(super) fn put_ivec(&self, ks: Keyspace, key: sled::IVec, value: sled::IVec) -> std::result::Result<(), Abort> {
        self.tree(ks)?.insert(key, value)?;
        Ok(())
    }

    pub fn remove(&self, ks: Keyspace, key: &[u8]) -> std::result::Result<(), Abort> {
        self.tree(ks)?.remove(key)?;
        Ok(())
    }

    /// Appends an event (its time and encoded body) to the log with this transaction.
    pub fn event(&mut self, at_ms: u64, body: Vec<u8>) {
        self.events.push((at_ms, body));
    }
}

/// What callers of `transact` may return to abort with an error.
pub fn abort(e: Error) -> Abort {
    Abort::Abort(e)
}

impl Store {
    /// Runs `f` in one transaction over `spaces` (and the event log): every
    /// write and event it makes lands together or not at all. Events get
    /// consecutive sequence numbers under the log's lock (`Store::appending`).
    pub fn transact<R>(&self, spaces: &[Keyspace], f: impl Fn(&mut Tx) -> std::result::Result<R, Abort>) -> Result<R> {
        let mut all: Vec<Keyspace> = spaces.to_vec();
        if !all.contains(&Keyspace::Events) {
            all.push(Keyspace::Events);
        }
        let owned: Vec<sled::Tree> = all.iter().map(|ks| self.tree(*ks)).collect::<Result<_>>()?;
        let trees: Vec<&sled::Tree> = owned.iter().collect();
        self.appending(|first| {
            let appended = std::cell::Cell::new(0u64);
            let res: std::result::Result<R, TransactionError<Error>> = trees.as_slice().transaction(|txs| {
                let mut tx = Tx { spaces: &all, trees: txs, events: Vec::new() };
                let out = f(&mut tx)?;
                let log = tx.tree(Keyspace::Events)?;
                for (i, (at, body)) in tx.events.iter().enumerate() {
                    let seq = first + i as u64;
                    log.insert(&seq.to_be_bytes(), super::keys::event_value(*at, body))?;
                }
                appended.set(tx.events.len() as u64);
                Ok(out)
            });
            Ok((res.map_err(Error::from)?, appended.get()))
        })
    }
}
