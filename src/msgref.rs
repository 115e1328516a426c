//! What a platform message the bot sent was, so a reply or reaction to it
//! reaches the feature that sent it.

use serde::{Deserialize, Serialize};
use treecast_wire::Platform;

use crate::error::Result;
use crate::store::{decode, encode, keys, Store};

/// Stored by variant index: new variants go at the end.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum MsgRef {
    /// A copy of a notice in a channel.
    Delivery { notice: u64, channel: u64 },
    /// A relayed message in a reply thread; `to_author` says who received it.
    Thread { thread: u64, to_author: bool },
    /// A "reply to confirm" mail for something awaiting its sender's proof.
    Confirm { code: String },
    /// Any other feature's message: the feature's name and its own data.
    Owned { feature: String, data: Vec<u8> },
}

impl MsgRef {
    /// The name features declare to own replies to this kind of message.
    pub fn kind(&self) -> &str {
        match self {
            MsgRef::Delivery { .. } => "delivery",
            MsgRef::Thread { .. } => "thread",
            MsgRef::Confirm { .. } => "confirm",
            MsgRef::Owned { feature, .. } => feature,
        }
    }
}

impl Store {
    /// Remembers what the platform messages `ids` were.
    pub fn record_msgref(&self, platform: Platform, ids: &[String], r: &MsgRef) -> Result<()> {
        let v = encode(r);
        for id in ids {
            self.msgref.insert(keys::msgref(platform, id), v.clone())?;
        }
        Ok(())
    }

    pub fn msgref(&self, platform: Platform, id: &str) -> Result<Option<MsgRef>> {
        match self.msgref.get(keys::msgref(platform, id))? {
            Some(v) => Ok(Some(decode(&v)?)),
            None => Ok(None),
        }
    }
}
