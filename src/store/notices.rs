//! The `notices` keyspace (notice id -> Notice) and the `active` set (notices whose fan-out is unfinished).

use super::codec::{decode_at, encode};
use super::keys::key_u64;
use super::{Keyspace, Store, Writes};
use crate::error::Result;
use crate::notice::Notice;

impl Store {
    /// The notice with id `id`.
    pub fn notice(&self, id: u64) -> Result<Option<Notice>> {
        let key = id.to_be_bytes();
        match self.notices.get(key)? {
            Some(v) => Ok(Some(decode_at(Keyspace::Notices, &key, &v)?)),
            None => Ok(None),
        }
    }

    /// The last `n` notices, newest first.
    pub fn latest_notices(&self, n: usize) -> Result<Vec<Notice>> {
        self.notices
            .iter()
            .rev()
            .take(n)
            .map(|kv| {
                let (k, v) = kv?;
                decode_at(Keyspace::Notices, &k, &v)
            })
            .collect()
    }

    /// Notices created at or after `since` (unix seconds), newest first: ids
    /// grow with time, so the walk stops at the first older one.
    pub fn notices_since(&self, since: u64) -> Result<Vec<Notice>> {
        let mut out = Vec::new();
        for kv in self.notices.iter().rev() {
            let (k, v) = kv?;
            let n: Notice = decode_at(Keyspace::Notices, &k, &v)?;
            if n.created < since {
                break;
            }
            out.push(n);
        }
        Ok(out)
    }

    /// Every notice, oldest first, one at a time (a rebuild of a million
    /// must not hold them all).
    pub fn each_notice(&self, mut f: impl FnMut(Notice) -> Result<()>) -> Result<()> {
        for kv in self.notices.iter() {
            let (k, v) = kv?;
            f(decode_at(Keyspace::Notices, &k, &v)?)?;
        }
        Ok(())
    }

    /// The highest notice id stored (0: none).
    pub fn last_notice_id(&self) -> Result<u64> {
        self.notices.last()?.map(|(k, _)| key_u64(Keyspace::Notices, &k, 0)).unwrap_or(Ok(0))
    }

    /// Ids of notices whose fan-out is unfinished.
    pub fn active_notices(&self) -> Result<Vec<u64>> {
        self.active.iter().keys().map(|k| key_u64(Keyspace::Active, &k?, 0)).collect()
    }

    /// Takes a notice out of the active set at once (not with other writes).
    pub fn finish_notice(&self, notice: u64) -> Result<()> {
        self.active.remove(notice.to_be_bytes())?;
        Ok(())
    }
}

impl Writes {
    /// Writes a notice's record.
    pub fn put_notice(&mut self, n: &Notice) {
        self.put(Keyspace::Notices, n.id.to_be_bytes(), encode(n));
    }

    /// Puts a notice in the active set (its fan-out is to run).
    pub fn activate_notice(&mut self, notice: u64) {
        self.put(Keyspace::Active, notice.to_be_bytes(), Vec::new());
    }

    /// Takes a notice out of the active set (its fan-out is done).
    pub fn deactivate_notice(&mut self, notice: u64) {
        self.remove(Keyspace::Active, notice.to_be_bytes());
    }
}
