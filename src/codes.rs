//! One-time codes: bind a chat, link a second identity, confirm what an
//! unproven mail sender asked for. Each works once and expires; the codes
//! themselves are issued and redeemed by the store (`store/codes.rs`).

use serde::{Deserialize, Serialize};

use crate::notice::Draft;

/// What a one-time code grants. Stored by variant index: new ones go at the end.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Grant {
    /// `/bind CODE` in a group binds it to this org.
    Bind { org: u32, by: u64 },
    /// `/link CODE` from another platform adds that identity to this person.
    Link { person: u64 },
    /// A notice posted by mail whose sender was not proven: posted when the
    /// sender answers the bot's confirmation mail.
    ConfirmPost { person: u64, draft: Draft },
    /// A command mailed by a sender the mail system did not prove, run when
    /// the sender answers the bot's confirmation mail.
    ConfirmCommand { person: u64, text: String },
    /// Anything else a feature holds back until an unproven mail sender
    /// answers: the feature's name and its own data.
    ConfirmFor { feature: String, person: u64, data: Vec<u8> },
}
