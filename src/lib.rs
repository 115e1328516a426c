//! treecast: notices fan out down a very large org tree to group chats and
//! mailing lists; replies, acknowledgements and surveys come back up.
//!
//! A tour, from the bottom up: `store` owns sled and all key encoding, with
//! atomic multi-keyspace writes that append to the event log; `clock` is the
//! one source of time; `tree` holds orgs (keyed by path, so a subtree is one
//! key range), people, roles, channels and the one permission check;
//! `notice` plans fan-out, acknowledgements and status roll-ups; `conversation` runs question-by-question conversations; `outbox` is
//! the durable delivery worker; `events` is the durable event log and
//! `schedule` the durable jobs; `registry` is the seam features plug into
//! and `features/` holds one folder per feature; `gateway` dispatches every
//! adapter's inbound events to their owners; `app` wires it all once;
//! `cluster` (feature `cluster`) delivers through workers on NATS JetStream;
//! `web` is the officials' console, each feature adding its pages.
//! Platforms are reached only through `treecast_wire::Adapter`.

pub mod admin;
pub mod api;
pub mod app;
pub mod catalogue;
pub mod cli;
pub mod clock;
#[cfg(feature = "cluster")]
pub mod cluster;
pub mod codes;
pub mod config;
pub mod confirm;
pub mod context;
pub mod conversation;
pub mod demo;
pub mod error;
pub mod events;
pub mod features;
pub mod gateway;
pub mod logs;
pub mod metrics;
pub mod msgref;
pub mod notice;
pub mod outbox;
pub mod progress;
pub mod registry;
pub mod schedule;
pub mod store;
pub mod text;
pub mod tree;
pub mod web;

pub use error::{Error, Result};

/// mimalloc for every binary linking treecast (the server, benches, tests):
/// sled allocates a node copy per write, and glibc's malloc spent most of the
/// fan-out worker's time in its arena locks; with mimalloc the worker went
/// from 29k to 77k deliveries/s (benches/fanout.rs (c)).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
