//! The `outbox` keyspace: sequence -> queued private message or command reply.

use serde::{Deserialize, Serialize};
use treecast_wire::{Address, Outbound};

use super::codec::{decode_at, encode};
use super::keys::key_u64;
use super::{Keyspace, Store, Writes};
use crate::error::Result;
use crate::msgref::MsgRef;

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

const KS: Keyspace = Keyspace::Outbox;

impl Store {
    /// Adds messages to the queue (one batch); returns their sequence keys.
    pub fn enqueue(&self, items: Vec<Queued>) -> Result<Vec<u64>> {
        let mut batch = sled::Batch::default();
        let mut seqs = Vec::with_capacity(items.len());
        for q in items {
            let seq = self.next_id()?;
            batch.insert(&seq.to_be_bytes()[..], encode(&q));
            seqs.push(seq);
        }
        self.outbox.apply_batch(batch)?;
        Ok(seqs)
    }

    /// Every queued message with its sequence, oldest first.
    pub fn queued(&self) -> Result<Vec<(u64, Queued)>> {
        self.outbox
            .iter()
            .map(|kv| {
                let (k, v) = kv?;
                Ok((key_u64(KS, &k, 0)?, decode_at(KS, &k, &v)?))
            })
            .collect()
    }

    /// Rewrites a queued message (after a failed try).
    pub fn update_queued(&self, seq: u64, q: &Queued) -> Result<()> {
        self.outbox.insert(seq.to_be_bytes(), encode(q))?;
        Ok(())
    }

    /// Drops a message from the queue.
    pub fn dequeue(&self, seq: u64) -> Result<()> {
        self.outbox.remove(seq.to_be_bytes())?;
        Ok(())
    }
}

impl Writes {
    /// Queues `q` under the sequence `seq` with these writes.
    pub fn enqueue(&mut self, seq: u64, q: &Queued) {
        self.put(KS, seq.to_be_bytes(), encode(q));
    }
}
