//! treecast: notices fan out down a very large org tree to group chats and
//! mailing lists; replies, acknowledgements and surveys come back up.
//!
//! A tour: `store` owns sled and all key encoding; `tree` holds orgs (keyed
//! by path, so a subtree is one key range), people, roles, channels and the
//! one permission check; `notice` plans fan-out, acknowledgements and status
//! roll-ups; `outbox` is the durable delivery worker with rate limits and
//! retries; `survey` runs micro-surveys as conversations; `commands` parses
//! chat commands into one enum; `gateway` routes every adapter's inbound
//! events. Platforms are reached only through `treecast_wire::Adapter`.

pub mod config;
pub mod conversation;
pub mod error;
pub mod store;
pub mod tree;

pub use error::{Error, Result};
pub mod cli;
pub mod commands;
pub mod demo;
pub mod gateway;
pub mod notice;
pub mod outbox;
pub mod server;
pub mod survey;

/// mimalloc for every binary linking treecast (the server, benches, tests):
/// sled allocates a node copy per write, and glibc's malloc spent most of the
/// fan-out worker's time in its arena locks; with mimalloc the worker went
/// from 29k to 77k deliveries/s (benches/fanout.rs (c)).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
