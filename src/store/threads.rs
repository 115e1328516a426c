//! The `threads` keyspace: thread id -> private reply thread.

use super::codec::{decode_at, encode};
use super::{Keyspace, Store, Writes};
use serde::{Deserialize, Serialize};
use treecast_wire::{Address, Platform};

use crate::error::Result;

/// Someone who replied, as their platform names them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Replier {
    pub platform: Platform,
    pub user: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Thread {
    pub id: u64,
    pub notice: u64,
    pub org: u32,
    pub author: u64,
    pub replier: Replier,
    /// The chat the reply was posted in, and the reply itself, for the
    /// fallback when the replier cannot be reached privately.
    pub origin: Address,
    pub origin_message: String,
}

impl Store {
    /// The reply thread with id `id`.
    pub fn thread(&self, id: u64) -> Result<Option<Thread>> {
        let key = id.to_be_bytes();
        match self.threads.get(key)? {
            Some(v) => Ok(Some(decode_at(Keyspace::Threads, &key, &v)?)),
            None => Ok(None),
        }
    }

    /// Every reply thread, one at a time.
    pub fn each_thread(&self, mut f: impl FnMut(Thread) -> Result<()>) -> Result<()> {
        for kv in self.threads.iter() {
            let (k, v) = kv?;
            f(decode_at(Keyspace::Threads, &k, &v)?)?;
        }
        Ok(())
    }
}

impl Writes {
    /// Writes a reply thread.
    pub fn put_thread(&mut self, t: &Thread) {
        self.put(Keyspace::Threads, t.id.to_be_bytes(), encode(t));
    }
}
