//! The `orgs` keyspace: orgs by path, id and code, the child index, the id sequence and the import journal.

use super::codec::{decode_at, encode};
use super::keys::{corrupt, key_u32, tagged, val_u32};
use super::{Keyspace, Ops, Store};
use serde::{Deserialize, Serialize};

use crate::error::Result;

/// Any node of the tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Org {
    pub id: u32,
    /// Stable code from the organisation's own lists (a school's ministry code).
    pub code: String,
    pub name: String,
    /// Index into `Levels`.
    pub level: u8,
    pub parent: Option<u32>,
    /// Ids from the root down to this org, inclusive.
    pub path: Vec<u32>,
}

impl Org {
    /// Whether `self` is `other` or lies below it.
    pub fn is_within(&self, other: &Org) -> bool {
        self.path.starts_with(&other.path)
    }
}

const KS: Keyspace = Keyspace::Orgs;

/// Bytes of one path segment (an org id).
pub(super) const SEG: usize = 4;

/// org id -> path
const BY_ID: u8 = b'i';
/// code -> path
pub(super) const BY_CODE: u8 = b'c';
/// path -> Org (a subtree is a prefix)
const BY_PATH: u8 = b'p';
/// parent id ++ child id -> () (leaves are not indexed: see `Tree::children`)
pub(super) const CHILD: u8 = b'h';
/// -> the next unused org id
pub(super) const SEQ: &[u8] = b"#seq";
/// While an import is being written: the first org id it creates.
pub(super) const IMPORT: &[u8] = b"#import";
/// While an import is being written: org id -> the org before the import.
pub(super) const IMPORT_OLD: u8 = b'o';

/// An org's path (ids from the root down to it) as key bytes: big-endian
/// segments, so path order is key order and a subtree is a prefix.
pub(super) fn path_bytes(ids: &[u32]) -> Vec<u8> {
    ids.iter().flat_map(|id| id.to_be_bytes()).collect()
}

/// The ids of a stored path (`b`, found at `key` in `ks`): whole segments, at least one.
pub(super) fn path_ids(ks: Keyspace, key: &[u8], b: &[u8]) -> Result<Vec<u32>> {
    if b.is_empty() || !b.len().is_multiple_of(SEG) {
        return Err(corrupt(ks, key, format!("an org path of {} bytes, not a whole number of ids", b.len())));
    }
    Ok(b.chunks_exact(SEG).map(|s| u32::from_be_bytes([s[0], s[1], s[2], s[3]])).collect())
}

pub(super) fn id_key(id: u32) -> Vec<u8> {
    tagged(BY_ID, &id.to_be_bytes())
}

pub(super) fn path_key(path: &[u32]) -> Vec<u8> {
    tagged(BY_PATH, &path_bytes(path))
}

fn child_key(parent: u32, child: u32) -> Vec<u8> {
    tagged(CHILD, &[parent.to_be_bytes(), child.to_be_bytes()].concat())
}

impl Store {
    /// The org with id `id`.
    pub fn org(&self, id: u32) -> Result<Option<Org>> {
        let key = id_key(id);
        match self.orgs.get(&key)? {
            Some(path) => {
                let ids = path_ids(KS, &key, &path)?;
                if ids.last() != Some(&id) {
                    return Err(corrupt(KS, &key, "the indexed path ends at another org"));
                }
                self.org_at(&ids)
            }
            None => Ok(None),
        }
    }

    /// The org with `code` (trimmed).
    pub fn org_by_code(&self, code: &str) -> Result<Option<Org>> {
        let key = tagged(BY_CODE, code.trim().as_bytes());
        match self.orgs.get(&key)? {
            Some(path) => self.org_at(&path_ids(KS, &key, &path)?),
            None => Ok(None),
        }
    }

    /// The org stored at `path`.
    pub(super) fn org_at(&self, path: &[u32]) -> Result<Option<Org>> {
        let key = path_key(path);
        match self.orgs.get(&key)? {
            Some(v) => Ok(Some(decode_at(KS, &key, &v)?)),
            None => Ok(None),
        }
    }

    /// Every org at or below `path` (empty: all orgs), in path order, streamed.
    pub fn orgs_under(&self, path: &[u32]) -> impl Iterator<Item = Result<Org>> {
        self.orgs.scan_prefix(path_key(path)).map(|kv| {
            let (k, v) = kv?;
            decode_at(KS, &k, &v)
        })
    }

    /// (level, id) of every org at or below `path`, in path order, read
    /// from the keys alone (nothing decoded): counting a subtree by level.
    pub fn org_levels_under(&self, path: &[u32]) -> impl Iterator<Item = Result<(u8, u32)>> {
        self.orgs.scan_prefix(path_key(path)).keys().map(|k| {
            let k = k?;
            let ids = path_ids(KS, &k, &k[1..])?;
            Ok(((ids.len() - 1) as u8, *ids.last().expect("at least one id")))
        })
    }

    /// The orgs with no parent.
    pub fn root_orgs(&self) -> Result<Vec<Org>> {
        let mut out = Vec::new();
        for kv in self.orgs.scan_prefix([BY_PATH]) {
            let (k, v) = kv?;
            if k.len() == 1 + SEG {
                out.push(decode_at(KS, &k, &v)?);
            }
        }
        Ok(out)
    }

    /// Ids of the indexed (non-leaf) children of `parent`, in id order.
    pub fn child_ids(&self, parent: u32) -> Result<Vec<u32>> {
        let prefix = tagged(CHILD, &parent.to_be_bytes());
        self.orgs.scan_prefix(&prefix).keys().map(|k| key_u32(KS, &k?, prefix.len())).collect()
    }

    /// The next unused org id (1 in an empty store).
    pub fn next_org_id(&self) -> Result<u32> {
        match self.orgs.get(SEQ)? {
            Some(v) => val_u32(KS, SEQ, &v),
            None => Ok(1),
        }
    }

    /// Starts an import's journal: `first_new` is the first id it will create.
    pub fn begin_import(&self, first_new: u32) -> Result<()> {
        self.orgs.insert(IMPORT, &first_new.to_be_bytes())?;
        Ok(())
    }

    /// The first id of an unfinished import, if one is journalled.
    pub fn import_marker(&self) -> Result<Option<u32>> {
        self.orgs.get(IMPORT)?.map(|v| val_u32(KS, IMPORT, &v)).transpose()
    }

    /// The orgs an unfinished import renamed, as they were before it.
    pub fn import_saved(&self) -> impl Iterator<Item = Result<Org>> {
        self.orgs.scan_prefix([IMPORT_OLD]).map(|kv| {
            let (k, v) = kv?;
            decode_at(KS, &k, &v)
        })
    }

    /// Ends an import's journal: drops the marker and the saved orgs (one batch).
    pub fn end_import(&self) -> Result<()> {
        let mut batch = sled::Batch::default();
        for k in self.orgs.scan_prefix([IMPORT_OLD]).keys() {
            batch.remove(k?);
        }
        batch.remove(IMPORT);
        self.orgs.apply_batch(batch)?;
        Ok(())
    }

    /// Each id from `first` on, in order, with its org (None: it is gone): what an unfinished import created.
    pub fn orgs_from_id(&self, first: u32) -> impl Iterator<Item = Result<(u32, Option<Org>)>> + '_ {
        self.orgs.range(id_key(first)..vec![BY_ID + 1]).map(move |kv| {
            let (k, path) = kv?;
            let id = key_u32(KS, &k, 1)?;
            Ok((id, self.org_at(&path_ids(KS, &k, &path)?)?))
        })
    }
}

impl Ops {
    /// Writes `org` under all its keys; `indexed` puts it in its parent's child index.
    pub fn put_org(&mut self, org: &Org, indexed: bool) {
        let path = path_bytes(&org.path);
        self.org_put(tagged(BY_PATH, &path), encode(org));
        self.org_put(id_key(org.id), path.clone());
        self.org_put(tagged(BY_CODE, org.code.as_bytes()), path);
        if let (Some(p), true) = (org.parent, indexed) {
            self.org_put(child_key(p, org.id), Vec::new());
        }
    }

    /// Rewrites `org`'s record only (its path, id and code are unchanged).
    pub fn update_org(&mut self, org: &Org) {
        self.org_put(path_key(&org.path), encode(org));
    }

    /// Removes every key of `org` (`indexed` as given to `put_org`).
    pub fn del_org(&mut self, org: &Org, indexed: bool) {
        self.org_del(path_key(&org.path));
        self.org_del(id_key(org.id));
        self.org_del(tagged(BY_CODE, org.code.as_bytes()));
        if let (Some(p), true) = (org.parent, indexed) {
            self.org_del(child_key(p, org.id));
        }
    }

    /// Removes an id entry whose org is gone.
    pub fn del_org_id(&mut self, id: u32) {
        self.org_del(id_key(id));
    }

    /// Records that org ids below `next` are used.
    pub fn set_next_org_id(&mut self, next: u32) {
        self.org_put(SEQ.to_vec(), next.to_be_bytes().to_vec());
    }

    /// Journals `old` (an org as it was before an unfinished import renamed it).
    pub fn save_for_import(&mut self, old: &Org) {
        self.org_put(tagged(IMPORT_OLD, &old.id.to_be_bytes()), encode(old));
    }
}
