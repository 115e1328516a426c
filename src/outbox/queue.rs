//! The durable queue of private messages and command replies: written with
//! the state that caused them, delivered ahead of notice fan-outs. Stored
//! by `store/outbox.rs`.

use crate::error::Result;
pub use crate::store::{Fallback, Queued};
use crate::store::{Store, Writes};

/// Adds one message to the queue with a set of writes.
pub fn put(store: &Store, w: &mut Writes, q: &Queued) -> Result<()> {
    w.enqueue(store.next_id()?, q);
    Ok(())
}
