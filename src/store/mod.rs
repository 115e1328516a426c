//! The sled store: one module per keyspace; key encoding lives here alone.

mod channels;
mod codec;
pub mod codes;
pub mod fanout;
pub mod keys;
mod keyspace;
mod log;
mod migrate;
mod msgref;
pub mod notices;
mod ops;
pub mod orgs;
mod outbox;
pub mod people;
pub mod survey_keys;
pub mod threads;
mod tx;
mod writes;

#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use crate::error::{Error, Result};

pub use channels::{Channel, ChannelPos, ChannelWalk, Placed};
pub use codec::{decode, decode_at, encode};
pub use keyspace::Keyspace;
pub use log::{LogState, RawEvent};
pub use ops::Ops;
pub use outbox::{Fallback, Queued};
pub use tx::{abort, Abort, Tx};
pub use writes::Writes;

/// Bumped when the on-disk layout changes incompatibly.
pub const SCHEMA_VERSION: u32 = 5;

const SCHEMA_KEY: &[u8] = b"schema_version";

/// Records (an org, a channel: three or four keys each) per batch in bulk
/// writes. sled 0.34's memory grows steeply with the keys in one batch:
/// importing the national tree peaked at 0.9-2.1 GB with 1,000 orgs a batch
/// and about 160 MB with 100 (a bare sled program, same keys), and walks
/// after large batches were 5-10x slower.
pub const BULK_BATCH: usize = 100;

/// sled's page cache (its default is 1 GiB): the national tree's hot pages
/// fit, and a full walk stays near 130 ms (docs/BENCHMARKS.md).
const CACHE_BYTES: u64 = 64 * 1024 * 1024;

/// A cheap handle on the open database and its trees.
#[derive(Clone)]
pub struct Store {
    pub(crate) db: sled::Db,
    /// Orgs, one tree so an import is one atomic batch (`orgs`).
    pub(crate) orgs: sled::Tree,
    /// org id ++ level -> channels and channelled orgs of that level below it (`channels`)
    pub(crate) counts: sled::Tree,
    /// Channels by subtree path, by id, by address (`channels`).
    pub(crate) channels: sled::Tree,
    /// People, identities and roles (`people`).
    pub(crate) people: sled::Tree,
    /// one-time code -> what it grants
    pub(crate) codes: sled::Tree,
    /// notice id -> Notice
    pub(crate) notices: sled::Tree,
    /// notice id -> () while its fan-out is unfinished
    pub(crate) active: sled::Tree,
    /// per-notice fan-out state (`fanout`): cursor, deliveries, counters, acks
    pub(crate) fanout: sled::Tree,
    /// platform ++ platform message id -> what that message was
    pub(crate) msgref: sled::Tree,
    /// sequence -> queued private message or command reply
    pub(crate) outbox: sled::Tree,
    /// thread id -> private reply thread
    pub(crate) threads: sled::Tree,
    /// survey definitions, conversations and answers
    pub(crate) surveys: sled::Tree,
    /// sequence -> (time, event): the durable event log (`log`)
    pub(crate) events: sled::Tree,
    /// subscriber name -> the last event sequence it has handled
    pub(crate) positions: sled::Tree,
    /// due time ++ id -> scheduled job (`crate::schedule`)
    pub(crate) schedule: sled::Tree,
    pub(crate) log: Arc<LogState>,
    /// Commits still to fail on purpose (tests of the failure paths).
    faults: Arc<AtomicU32>,
    /// The secret behind the unguessable part of delivery ids.
    id_key: Arc<[u8; 32]>,
    path: PathBuf,
}

impl Store {
    /// Opens (creating if needed, mode 0700) the store in `dir`.
    pub fn open(dir: &Path) -> Result<Store> {
        create_private_dir(dir)?;
        let config = sled::Config::new().path(dir).cache_capacity(CACHE_BYTES).flush_every_ms(Some(500));
        // sled's background threads let go of the lock file a moment after
        // the last handle is dropped: a store reopened at once (a restart,
        // a test) waits up to a second for it rather than failing.
        let mut tries = 0;
        let db = loop {
            match config.open() {
                // sled wraps the OS's WouldBlock in an error of kind Other.
                Err(sled::Error::Io(e)) if e.to_string().contains("could not acquire lock") && tries < 20 => {
                    tries += 1;
                    std::thread::sleep(std::time::Duration::from_millis(50));
                }
                other => break other?,
            }
        };
        Self::from_db(db, dir.to_owned())
    }

    /// A throwaway store for tests and the demo.
    pub fn temporary() -> Result<Store> {
        let db = sled::Config::new().temporary(true).cache_capacity(CACHE_BYTES).open()?;
        Self::from_db(db, PathBuf::from("<temporary>"))
    }

    /// Bytes the store takes on disk.
    pub fn size_on_disk(&self) -> Result<u64> {
        Ok(self.db.size_on_disk()?)
    }

    fn from_db(db: sled::Db, path: PathBuf) -> Result<Store> {
        let meta = db.open_tree("meta")?;
        let found = check_schema(&meta, &path)?;
        if found == 1 {
            migrate::v1_to_v2(&db, &meta, SCHEMA_KEY)?;
        }
        if found <= 2 {
            migrate::v2_to_v3(&db, &meta, SCHEMA_KEY)?;
        }
        if found <= 3 {
            migrate::v3_to_v4(&db, &meta, SCHEMA_KEY)?;
        }
        if found <= 4 {
            migrate::v4_to_v5(&db, &meta, SCHEMA_KEY)?;
        }
        let t = |name: &str| db.open_tree(name);
        let store = Store {
            orgs: t("orgs")?,
            counts: t("counts")?,
            channels: t("channels")?,
            people: t("people")?,
            codes: t("codes")?,
            notices: t("notices")?,
            active: t("active")?,
            fanout: t("fanout")?,
            msgref: t("msgref")?,
            outbox: t("outbox")?,
            threads: t("threads")?,
            surveys: t("surveys")?,
            events: t("events")?,
            positions: t("positions")?,
            schedule: t("schedule")?,
            log: Arc::default(),
            faults: Arc::default(),
            id_key: Arc::new(id_key(&meta)?),
            db,
            path,
        };
        let store = Store { log: store.init_log()?, ..store };
        store.counts.set_merge_operator(keys::add_counts);
        store.fanout.set_merge_operator(keys::add_counts);
        Ok(store)
    }

    /// An unguessable tag for the copy of notice `notice` in `channel`: it
    /// goes into the delivery id (and so into the Message-ID a reply quotes),
    /// so nobody can forge a reply or an acknowledgement to a copy they never
    /// received. The same for every retry (ids stay idempotency keys).
    pub fn delivery_tag(&self, notice: u64, channel: u64) -> String {
        let mut data = [0u8; 16];
        data[..8].copy_from_slice(&notice.to_be_bytes());
        data[8..].copy_from_slice(&channel.to_be_bytes());
        // The first 8 bytes in lowercase hex (one `format!` a byte was a
        // fifth of the worker's dispatch, counted with callgrind).
        blake3::keyed_hash(&self.id_key, &data).to_hex()[..16].to_owned()
    }

    /// The sled tree behind a keyspace (a cheap handle; a named one is
    /// created on first use, prefixed `f:` so it never meets a core tree).
    pub fn tree(&self, ks: Keyspace) -> Result<sled::Tree> {
        Ok(match ks {
            Keyspace::Orgs => self.orgs.clone(),
            Keyspace::Counts => self.counts.clone(),
            Keyspace::Channels => self.channels.clone(),
            Keyspace::People => self.people.clone(),
            Keyspace::Codes => self.codes.clone(),
            Keyspace::Notices => self.notices.clone(),
            Keyspace::Active => self.active.clone(),
            Keyspace::Fanout => self.fanout.clone(),
            Keyspace::Msgref => self.msgref.clone(),
            Keyspace::Outbox => self.outbox.clone(),
            Keyspace::Threads => self.threads.clone(),
            Keyspace::Surveys => self.surveys.clone(),
            Keyspace::Events => self.events.clone(),
            Keyspace::Positions => self.positions.clone(),
            Keyspace::Schedule => self.schedule.clone(),
            Keyspace::Named(name) => self.db.open_tree(format!("f:{name}"))?,
        })
    }

    /// Makes the next `n` commits fail as a full disk would (tests only:
    /// the failure paths must keep every event for a retry).
    pub fn inject_commit_failures(&self, n: u32) {
        self.faults.store(n, Ordering::SeqCst);
    }

    /// Fails if a test asked for a failed commit.
    pub(crate) fn check_fault(&self) -> Result<()> {
        let failing = self.faults.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok();
        if failing {
            return Err(Error::Io(std::io::Error::other("injected commit failure (test)")));
        }
        Ok(())
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Makes everything written so far durable.
    pub fn flush(&self) -> Result<()> {
        self.db.flush()?;
        Ok(())
    }

    pub async fn flush_async(&self) -> Result<()> {
        self.check_fault()?;
        self.db.flush_async().await?;
        Ok(())
    }

    /// A new id, unique in this store and never reused (sled keeps the
    /// counter across restarts). Starts at 1.
    pub fn next_id(&self) -> Result<u64> {
        Ok(self.db.generate_id()? + 1)
    }

    /// The next number of a user-facing sequence (`notice`, `survey`):
    /// 1, 2, 3… so officials type `/status 12`, not an internal id.
    pub fn next_number(&self, sequence: &str) -> Result<u64> {
        let key = [b"seq:".as_slice(), sequence.as_bytes()].concat();
        // A damaged counter is left as it is (and reported below), not reset.
        let next = self.db.open_tree("meta")?.update_and_fetch(&key, |old| match old {
            None => Some(1u64.to_be_bytes().to_vec()),
            Some(v) => match <[u8; 8]>::try_from(v) {
                Ok(n) => Some((u64::from_be_bytes(n) + 1).to_be_bytes().to_vec()),
                Err(_) => Some(v.to_vec()),
            },
        })?;
        match next {
            Some(v) => <[u8; 8]>::try_from(v.as_ref()).map(u64::from_be_bytes).map_err(|_| {
                Error::Corrupt(format!(
                    "meta/{}: a sequence of {} bytes where 8 were expected",
                    keys::hex(&key),
                    v.len()
                ))
            }),
            None => Ok(1),
        }
    }
}

const ID_KEY: &[u8] = b"delivery_id_key";

/// The store's secret for delivery ids: made once, kept in `meta`.
fn id_key(meta: &sled::Tree) -> Result<[u8; 32]> {
    if let Some(v) = meta.get(ID_KEY)? {
        return id_key_from(Some(v));
    }
    let fresh: [u8; 32] = rand::random();
    // Two opens racing: whoever wrote first wins, both use that key.
    match meta.compare_and_swap(ID_KEY, None as Option<&[u8]>, Some(&fresh[..]))? {
        Ok(()) => Ok(fresh),
        Err(e) => id_key_from(e.current),
    }
}

fn id_key_from(v: Option<sled::IVec>) -> Result<[u8; 32]> {
    v.and_then(|v| <[u8; 32]>::try_from(v.as_ref()).ok())
        .ok_or_else(|| Error::Corrupt(format!("meta/{}: the delivery id key is not 32 bytes", keys::hex(ID_KEY))))
}

/// The store's version (a new store gets the current one).
fn check_schema(meta: &sled::Tree, path: &Path) -> Result<u32> {
    match meta.get(SCHEMA_KEY)? {
        None => {
            meta.insert(SCHEMA_KEY, &SCHEMA_VERSION.to_be_bytes())?;
            Ok(SCHEMA_VERSION)
        }
        Some(v) => {
            let found = <[u8; 4]>::try_from(v.as_ref()).map(u32::from_be_bytes).map_err(|_| {
                Error::Corrupt(format!("meta/{}: a schema version of {} bytes", keys::hex(SCHEMA_KEY), v.len()))
            })?;
            if found > SCHEMA_VERSION {
                return Err(Error::SchemaTooNew { path: path.to_owned(), found, supported: SCHEMA_VERSION });
            }
            Ok(found)
        }
    }
}

fn create_private_dir(dir: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
        if !dir.exists() {
            std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir)?;
        }
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    #[cfg(not(unix))]
    std::fs::create_dir_all(dir)?;
    Ok(())
}
