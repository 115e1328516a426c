//! The names of the store's keyspaces (sled trees).

/// Every keyspace (sled tree) of the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Keyspace {
    Orgs,
    Counts,
    Channels,
    People,
    Codes,
    Notices,
    Active,
    Fanout,
    Msgref,
    Outbox,
    Threads,
    Surveys,
    Events,
    Positions,
    Schedule,
    /// A feature's own keyspace, opened by name on first use (`feature.what`):
    /// a new feature needs no change here.
    Named(&'static str),
}

impl Keyspace {
    pub fn name(self) -> &'static str {
        match self {
            Keyspace::Orgs => "orgs",
            Keyspace::Counts => "counts",
            Keyspace::Channels => "channels",
            Keyspace::People => "people",
            Keyspace::Codes => "codes",
            Keyspace::Notices => "notices",
            Keyspace::Active => "active",
            Keyspace::Fanout => "fanout",
            Keyspace::Msgref => "msgref",
            Keyspace::Outbox => "outbox",
            Keyspace::Threads => "threads",
            Keyspace::Surveys => "surveys",
            Keyspace::Events => "events",
            Keyspace::Positions => "positions",
            Keyspace::Schedule => "schedule",
            Keyspace::Named(name) => name,
        }
    }
}
