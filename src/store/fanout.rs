//! The `fanout` keyspace, per notice: walk cursor, delivery rows, retry/failure marks, counters and acks.

use super::codec::{decode_at, encode};
use super::keys::{counts_value, key_u64, read_counts};
use super::tx::{abort, Abort};
use super::{Keyspace, Store, Tx, Writes};
use serde::{Deserialize, Serialize};
use treecast_wire::Platform;

use super::ChannelPos;
use crate::error::Result;

/// Where a notice's walk stands: all channels up to `key` in walk order
/// (root `root` of the target) have a delivery row.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    pub root: u32,
    /// The last resolved channel within that root's subtree (the start: none yet).
    pub key: ChannelPos,
    /// The walk has passed every channel; only retries may remain.
    pub walked: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum DeliveryState {
    Sent { at: u64, message_ids: Vec<String> },
    Retry { next_at_ms: u64, reason: String },
    Failed { reason: String },
}

/// One channel's copy of one notice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryRow {
    pub state: DeliveryState,
    pub tries: u32,
    /// The org the channel belongs to (for roll-ups and listings).
    pub org: u32,
}

/// Delivered and failed channel counts of one org's subtree.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub delivered: i64,
    pub failed: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AckRow {
    /// The person, when known.
    pub person: Option<u64>,
    /// How they were named on the platform.
    pub by: String,
    pub via: Platform,
    pub at: u64,
    pub how: AckHow,
}

/// How an acknowledgement was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AckHow {
    Button,
    Reaction,
    /// A reply such as 收到 to the notice's copy (in chat or by mail).
    Reply,
    /// `/ack`.
    Command,
    /// Recorded before treecast kept how.
    Unknown,
}

/// An `AckRow` as stored before `how` was kept; read back as `Unknown`.
#[derive(Deserialize)]
pub(crate) struct AckRowV1 {
    person: Option<u64>,
    by: String,
    via: Platform,
    at: u64,
}

impl From<AckRowV1> for AckRow {
    fn from(o: AckRowV1) -> AckRow {
        AckRow { person: o.person, by: o.by, via: o.via, at: o.at, how: AckHow::Unknown }
    }
}

const KS: Keyspace = Keyspace::Fanout;

// Every key is the notice id, a tag, then (but for CURSOR) a channel or org id.
/// -> Cursor
pub(super) const CURSOR: u8 = b'c';
/// ++ channel id -> DeliveryRow
pub(super) const DELIVERY: u8 = b'd';
/// ++ channel id -> () while a retry is scheduled
pub(super) const RETRY: u8 = b'r';
/// ++ org id -> delivered/failed counters for its subtree
pub(super) const COUNTS: u8 = b'k';
/// ++ org id -> AckRow
pub(super) const ACK: u8 = b'a';
/// ++ org id -> acknowledged-org counter for its subtree
pub(super) const ACK_COUNT: u8 = b'x';
/// ++ channel id -> () for each permanently failed delivery
pub(super) const FAILED: u8 = b'f';
/// -> the highest id any channel could have when the notice was posted:
/// channels bound later are not part of it
pub(super) const HORIZON: u8 = b'h';
/// Under notice `LOG_NOTICE` only, ++ sequence number -> an event of the
/// log's part in this tree (`store/log.rs`)
pub(super) const LOG: u8 = b'e';
/// The notice the log's part is kept under: notice numbers count up from 1
/// and never reach it.
pub(super) const LOG_NOTICE: u64 = u64::MAX;

/// Bytes before the channel or org id.
pub(super) const HEAD: usize = 9;

pub(super) fn head(notice: u64, tag: u8) -> [u8; HEAD] {
    let mut k = [0u8; HEAD];
    k[..8].copy_from_slice(&notice.to_be_bytes());
    k[8] = tag;
    k
}

pub(super) fn by_channel(notice: u64, tag: u8, channel: u64) -> [u8; HEAD + 8] {
    let mut k = [0u8; HEAD + 8];
    k[..HEAD].copy_from_slice(&head(notice, tag));
    k[HEAD..].copy_from_slice(&channel.to_be_bytes());
    k
}

pub(super) fn by_org(notice: u64, tag: u8, org: u32) -> [u8; HEAD + 4] {
    let mut k = [0u8; HEAD + 4];
    k[..HEAD].copy_from_slice(&head(notice, tag));
    k[HEAD..].copy_from_slice(&org.to_be_bytes());
    k
}

impl Store {
    /// Where `notice`'s walk stands (the start if it has not begun).
    /// The highest channel id `notice` was posted to (None: posted before
    /// horizons were kept; then every channel counts).
    pub fn horizon(&self, notice: u64) -> Result<Option<u64>> {
        let key = head(notice, HORIZON);
        self.fanout.get(key)?.map(|v| super::keys::val_u64(KS, &key, &v)).transpose()
    }

    pub fn cursor(&self, notice: u64) -> Result<Cursor> {
        let key = head(notice, CURSOR);
        match self.fanout.get(key)? {
            Some(v) => decode_at(KS, &key, &v),
            None => Ok(Cursor::default()),
        }
    }

    /// The delivery row of `notice` in `channel`, once resolved.
    pub fn delivery(&self, notice: u64, channel: u64) -> Result<Option<DeliveryRow>> {
        let key = by_channel(notice, DELIVERY, channel);
        match self.fanout.get(key)? {
            Some(v) => Ok(Some(decode_at(KS, &key, &v)?)),
            None => Ok(None),
        }
    }

    /// Whether `channel` has a delivery row for `notice`.
    pub fn has_delivery(&self, notice: u64, channel: u64) -> Result<bool> {
        Ok(self.fanout.contains_key(by_channel(notice, DELIVERY, channel))?)
    }

    /// Whether `notice` has any delivery row yet (a fan-out starting afresh has none).
    pub fn any_delivery(&self, notice: u64) -> Result<bool> {
        Ok(self.fanout.scan_prefix(head(notice, DELIVERY)).next().transpose()?.is_some())
    }

    /// Delivered and failed channels of `notice` in `org`'s subtree.
    pub fn counts(&self, notice: u64, org: u32) -> Result<Counts> {
        let key = by_org(notice, COUNTS, org);
        Ok(match self.fanout.get(key)? {
            Some(v) => {
                let (delivered, failed) = read_counts(KS, &key, &v)?;
                Counts { delivered, failed }
            }
            None => Counts::default(),
        })
    }

    /// Channels with a retry pending, for a restart.
    pub fn retries(&self, notice: u64) -> Result<Vec<u64>> {
        self.channels_tagged(notice, RETRY)
    }

    /// Channels whose delivery failed for good.
    pub fn failed_channels(&self, notice: u64) -> Result<Vec<u64>> {
        self.channels_tagged(notice, FAILED)
    }

    fn channels_tagged(&self, notice: u64, tag: u8) -> Result<Vec<u64>> {
        self.fanout.scan_prefix(head(notice, tag)).keys().map(|k| key_u64(KS, &k?, HEAD)).collect()
    }

    /// Every delivery row of a notice (channel id, row), in channel id order.
    pub fn deliveries(&self, notice: u64) -> impl Iterator<Item = Result<(u64, DeliveryRow)>> {
        self.fanout.scan_prefix(head(notice, DELIVERY)).map(|kv| {
            let (k, v) = kv?;
            Ok((key_u64(KS, &k, HEAD)?, decode_at(KS, &k, &v)?))
        })
    }

    /// `org`'s acknowledgement of `notice`.
    pub fn ack(&self, notice: u64, org: u32) -> Result<Option<AckRow>> {
        let key = by_org(notice, ACK, org);
        match self.fanout.get(key)? {
            Some(v) => Ok(Some(ack_row(&key, &v)?)),
            None => Ok(None),
        }
    }

    /// Rewrites `org`'s acknowledgement row of `notice` (the org's ack stands).
    pub fn put_ack_row(&self, w: &mut Writes, notice: u64, org: u32, row: &AckRow) {
        w.put(KS, by_org(notice, ACK, org), encode(row));
    }

    /// Orgs in `org`'s subtree that have acknowledged `notice`.
    pub fn ack_count(&self, notice: u64, org: u32) -> Result<i64> {
        let key = by_org(notice, ACK_COUNT, org);
        match self.fanout.get(key)? {
            Some(v) => Ok(read_counts(KS, &key, &v)?.0),
            None => Ok(0),
        }
    }
}

impl Writes {
    /// Writes `notice`'s delivery row for `channel`.
    pub fn put_delivery(&mut self, notice: u64, channel: u64, row: &DeliveryRow) {
        self.put(KS, by_channel(notice, DELIVERY, channel), encode(row));
    }

    /// Marks (or clears) a pending retry of `notice` in `channel`.
    pub fn set_retry(&mut self, notice: u64, channel: u64, pending: bool) {
        match pending {
            true => self.put(KS, by_channel(notice, RETRY, channel), Vec::new()),
            false => self.remove(KS, by_channel(notice, RETRY, channel)),
        }
    }

    /// Marks `notice`'s delivery to `channel` as failed for good.
    pub fn mark_failed(&mut self, notice: u64, channel: u64) {
        self.put(KS, by_channel(notice, FAILED, channel), Vec::new());
    }

    /// Writes `notice`'s delivered/failed counters for `org`'s subtree.
    pub fn put_fan_counts(&mut self, notice: u64, org: u32, c: Counts) {
        self.put(KS, by_org(notice, COUNTS, org), counts_value(c.delivered, c.failed));
    }

    /// Writes where `notice`'s walk stands.
    /// Fixes `notice`'s audience: channels with a higher id came later.
    pub fn put_horizon(&mut self, notice: u64, horizon: u64) {
        self.put(KS, head(notice, HORIZON), horizon.to_be_bytes());
    }

    pub fn put_cursor(&mut self, notice: u64, c: &Cursor) {
        self.put(KS, head(notice, CURSOR), encode(c));
    }
}

/// An ack row, as stored now or before it kept how it was given.
fn ack_row(key: &[u8], v: &[u8]) -> Result<AckRow> {
    match decode_at::<AckRow>(KS, key, v) {
        Ok(row) => Ok(row),
        Err(e) => decode_at::<AckRowV1>(KS, key, v).map(AckRow::from).map_err(|_| e),
    }
}

impl Store {
    /// Acknowledgements of `notice` in org-id order: (org, row).
    pub fn acks(&self, notice: u64) -> impl Iterator<Item = Result<(u32, AckRow)>> + '_ {
        let prefix = head(notice, ACK);
        self.fanout.scan_prefix(prefix).map(|kv| {
            let (k, v) = kv?;
            let org = k.get(HEAD..).and_then(|b| <[u8; 4]>::try_from(b).ok()).map(u32::from_be_bytes);
            let org = org.ok_or_else(|| crate::error::Error::Corrupt(format!("fanout: ack key {k:?}")))?;
            Ok((org, ack_row(&k, &v)?))
        })
    }
}

impl Tx<'_> {
    /// Records `org`'s first ack of `notice`, counted at each org on `path`; false (no writes) if it had one.
    pub fn add_ack(&mut self, notice: u64, org: u32, path: &[u32], row: &AckRow) -> Result<bool, Abort> {
        let key = by_org(notice, ACK, org);
        if self.get(KS, &key)?.is_some() {
            return Ok(false);
        }
        self.insert(KS, &key, &encode(row))?;
        for a in path {
            let k = by_org(notice, ACK_COUNT, *a);
            let n = match self.get(KS, &k)? {
                Some(v) => read_counts(KS, &k, &v).map_err(abort)?.0,
                None => 0,
            };
            self.insert(KS, &k, &counts_value(n + 1, 0))?;
        }
        Ok(true)
    }
}
