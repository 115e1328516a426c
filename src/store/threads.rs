//! The `threads` keyspace: thread id -> private reply thread.

use super::codec::{decode_at, encode};
use super::{Keyspace, Store, Writes};
use crate::error::Result;
use crate::notice::reply::Thread;

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
