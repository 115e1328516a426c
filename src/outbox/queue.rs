//! The durable queue of private messages and command replies: written with
//! the state that caused them, delivered ahead of notice fan-outs. Stored
//! by `store/outbox.rs`.

use serde::{Deserialize, Serialize};
use treecast_wire::{Address, Outbound};

use crate::error::Result;
use crate::msgref::MsgRef;
use crate::store::{Store, Writes};

/// Where a private message goes when the person cannot be reached privately
/// (a Telegram user who never started the bot), and whom to tell.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fallback {
    pub to: Address,
    pub in_reply_to: Option<String>,
    /// `{reason}` in it becomes the adapter's reason for the failure.
    pub body: String,
    pub tell: Option<(Address, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Queued {
    pub msg: Outbound,
    pub tries: u32,
    pub next_at_ms: u64,
    /// Recorded against the platform message ids once delivered.
    pub on_sent: Option<MsgRef>,
    pub fallback: Option<Fallback>,
}

impl Queued {
    pub fn new(msg: Outbound) -> Queued {
        Queued { msg, tries: 0, next_at_ms: 0, on_sent: None, fallback: None }
    }

    pub fn on_sent(mut self, r: MsgRef) -> Queued {
        self.on_sent = Some(r);
        self
    }

    pub fn with_fallback(mut self, f: Fallback) -> Queued {
        self.fallback = Some(f);
        self
    }
}

/// Adds one message to the queue with a set of writes.
pub fn put(store: &Store, w: &mut Writes, q: &Queued) -> Result<()> {
    w.enqueue(store.next_id()?, q);
    Ok(())
}
