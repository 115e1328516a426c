//! What a platform message the bot sent was, so a reply or reaction to it
//! reaches the feature that sent it. Stored by `store/msgref.rs`.

use serde::{Deserialize, Serialize};

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

/// An unguessable part for the id of a message someone may reply to: the
/// id becomes the Message-ID a reply quotes, and a guessed one would let a
/// forged reply confirm, acknowledge or join a thread.
pub fn nonce() -> String {
    let mut s = String::with_capacity(16);
    push_nonce(&mut s);
    s
}

/// Appends a nonce (see `nonce`) to `out`.
pub fn push_nonce(out: &mut String) {
    use std::fmt::Write;
    let n: u64 = rand::random();
    let _ = write!(out, "{n:016x}");
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
