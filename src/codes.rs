//! One-time codes: bind a chat, link a second identity, confirm what an
//! unproven mail sender asked for. Each works once and expires; the codes
//! themselves are issued and redeemed by the store (`store/codes.rs`).

pub use crate::store::codes::Grant;
