//! Letters and their indexes: what an org's mailbox holds. A letter is one
//! message from one party to one other; a message to several orgs is one
//! letter per org (each org reads its own). Every index is written in the
//! same batch as the letter.

use serde::{Deserialize, Serialize};
use treecast_wire::{Attachment, Platform};

use crate::error::Result;
use crate::store::keys::key_u64;
use crate::store::{decode_at, encode, Keyspace, Store, Writes};
use crate::tree::{Org, Tree};

/// id -> Letter
const LETTERS: Keyspace = Keyspace::Named("mailbox.letters");
/// org ++ letter id -> () : letters addressed to the org
const INBOX: Keyspace = Keyspace::Named("mailbox.inbox");
/// org ++ letter id -> () : letters the org sent
const SENT: Keyspace = Keyspace::Named("mailbox.sent");
/// org ++ letter id -> () : letters to the org no official has read yet
const UNREAD: Keyspace = Keyspace::Named("mailbox.unread");
/// letter id -> ReadMark
const READ: Keyspace = Keyspace::Named("mailbox.read");
/// thread ++ letter id -> ()
const THREADS: Keyspace = Keyspace::Named("mailbox.threads");
/// China week ++ the reporting org's path ++ letter id -> () : reports upward
const REPORTED: Keyspace = Keyspace::Named("mailbox.reported");
/// platform ++ the sender's message id -> first letter id : a message
/// offered twice (a crash before its outcome was told) is sent once
const ORIGINS: Keyspace = Keyspace::Named("mailbox.origins");
/// letter id -> attachments, kept once for all the letters of one sending
const FILES: Keyspace = Keyspace::Named("mailbox.files");

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Kind {
    /// A private message between orgs (私信), or an answer in a thread.
    Message,
    /// A work report to the parent (工作信息报送).
    Report,
}

/// Who writes or receives a letter: an org (read and answered by any of its
/// officials) or a member writing as themself from their branch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Party {
    Org(u32),
    Member { person: u64, branch: u32 },
}

impl Party {
    /// The org the party writes from or belongs to.
    pub fn org(self) -> u32 {
        match self {
            Party::Org(o) => o,
            Party::Member { branch, .. } => branch,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Letter {
    pub id: u64,
    /// The id of the thread's first letter.
    pub thread: u64,
    pub kind: Kind,
    pub from: Party,
    pub to: Party,
    /// The person who wrote it, and their name as it was then.
    pub author: u64,
    pub author_name: String,
    pub title: String,
    pub body: String,
    /// The letter whose row holds the attachments, and their names.
    pub files: Option<u64>,
    pub file_names: Vec<String>,
    /// Unix seconds.
    pub at: u64,
    /// The author's own message, to thread answers under it in their client.
    pub origin: Option<(Platform, String)>,
    /// The letters this one forwards, the first sender's first.
    pub forwarded: Vec<u64>,
}

/// Who read a letter first, for the org, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadMark {
    pub person: u64,
    pub name: String,
    pub at: u64,
}

fn org_key(org: u32, id: u64) -> Vec<u8> {
    [&org.to_be_bytes()[..], &id.to_be_bytes()].concat()
}

fn pair_key(a: u64, b: u64) -> Vec<u8> {
    [&a.to_be_bytes()[..], &b.to_be_bytes()].concat()
}

fn origin_key(platform: Platform, message: &str) -> Vec<u8> {
    [platform.as_str().as_bytes(), b"\0", message.as_bytes()].concat()
}

fn week_key(week: u32, path: &[u32]) -> Vec<u8> {
    let mut k = week.to_be_bytes().to_vec();
    for id in path {
        k.extend_from_slice(&id.to_be_bytes());
    }
    k
}

/// The letter ids under `prefix` in `ks`, whose keys end in one, newest first.
fn ids_under(store: &Store, ks: Keyspace, prefix: &[u8], limit: usize) -> Result<Vec<u64>> {
    let mut out = Vec::new();
    for kv in store.tree(ks)?.scan_prefix(prefix).keys().rev().take(limit) {
        let k = kv?;
        out.push(key_u64(ks, &k, k.len().saturating_sub(8))?);
    }
    Ok(out)
}

/// Adds `letter` with every index to `w`; `files` are its attachments when
/// it is the first of its sending to carry them.
pub fn put(w: &mut Writes, letter: &Letter, files: Option<&[Attachment]>, reporter: Option<(u32, &Org)>) {
    w.put(LETTERS, letter.id.to_be_bytes(), encode(letter));
    w.put(THREADS, pair_key(letter.thread, letter.id), Vec::new());
    if let Party::Org(o) = letter.to {
        w.put(INBOX, org_key(o, letter.id), Vec::new());
        w.put(UNREAD, org_key(o, letter.id), Vec::new());
    }
    if let Party::Org(o) = letter.from {
        w.put(SENT, org_key(o, letter.id), Vec::new());
    }
    if let Some(f) = files.filter(|f| !f.is_empty()) {
        w.put(FILES, letter.id.to_be_bytes(), encode(&f.to_vec()));
    }
    if let Some((week, org)) = reporter {
        let mut k = week_key(week, &org.path);
        k.extend_from_slice(&letter.id.to_be_bytes());
        w.put(REPORTED, k, Vec::new());
    }
}

/// Records that the message `(platform, id)` became letters starting at `first`.
pub fn put_origin(w: &mut Writes, platform: Platform, message: &str, first: u64) {
    if !message.is_empty() {
        w.put(ORIGINS, origin_key(platform, message), first.to_be_bytes());
    }
}

/// The first letter a message already became, if it was handled before.
pub fn by_origin(store: &Store, platform: Platform, message: &str) -> Result<Option<u64>> {
    if message.is_empty() {
        return Ok(None);
    }
    let key = origin_key(platform, message);
    match store.tree(ORIGINS)?.get(&key)? {
        Some(v) => Ok(Some(crate::store::keys::val_u64(ORIGINS, &key, &v)?)),
        None => Ok(None),
    }
}

/// Every letter, oldest first, handed to `f`.
pub fn each(store: &Store, mut f: impl FnMut(Letter) -> Result<()>) -> Result<()> {
    for kv in store.tree(LETTERS)?.iter() {
        let (k, v) = kv?;
        f(decode_at(LETTERS, &k, &v)?)?;
    }
    Ok(())
}

/// How many letters `person` wrote.
pub fn written_by(store: &Store, person: u64) -> Result<usize> {
    let mut n = 0;
    each(store, |l| {
        n += usize::from(l.author == person);
        Ok(())
    })?;
    Ok(n)
}

/// Puts `gone` for `person`'s name on every letter they wrote and every
/// read mark they left (`/forget`); the letters stay: they are their orgs'.
pub fn forget(store: &Store, person: u64, gone: &str, w: &mut Writes) -> Result<()> {
    each(store, |mut l| {
        if l.author == person {
            l.author_name = gone.to_owned();
            w.put(LETTERS, l.id.to_be_bytes(), encode(&l));
        }
        Ok(())
    })?;
    for kv in store.tree(READ)?.iter() {
        let (k, v) = kv?;
        let mut mark: ReadMark = decode_at(READ, &k, &v)?;
        if mark.person == person {
            mark.name = gone.to_owned();
            w.put(READ, &k, encode(&mark));
        }
    }
    Ok(())
}

pub fn get(store: &Store, id: u64) -> Result<Option<Letter>> {
    let key = id.to_be_bytes();
    match store.tree(LETTERS)?.get(key)? {
        Some(v) => Ok(Some(decode_at(LETTERS, &key, &v)?)),
        None => Ok(None),
    }
}

/// The attachments kept under letter `id` (the one of a sending that holds them).
pub fn files(store: &Store, id: u64) -> Result<Vec<Attachment>> {
    let key = id.to_be_bytes();
    match store.tree(FILES)?.get(key)? {
        Some(v) => decode_at(FILES, &key, &v),
        None => Ok(Vec::new()),
    }
}

/// Every letter of a thread, oldest first.
pub fn thread(store: &Store, thread: u64) -> Result<Vec<Letter>> {
    let mut out = Vec::new();
    for id in ids_under(store, THREADS, &thread.to_be_bytes(), usize::MAX)?.into_iter().rev() {
        out.extend(get(store, id)?);
    }
    Ok(out)
}

/// The newest `limit` unread letters of `org`, newest first, and how many there are.
pub fn unread(store: &Store, org: u32, limit: usize) -> Result<(Vec<Letter>, usize)> {
    let t = store.tree(UNREAD)?;
    let count = t.scan_prefix(org.to_be_bytes()).count();
    let mut out = Vec::new();
    for id in ids_under(store, UNREAD, &org.to_be_bytes(), limit)? {
        out.extend(get(store, id)?);
    }
    Ok((out, count))
}

/// The newest `limit` letters to and from `org`, newest first.
pub fn recent(store: &Store, org: u32, limit: usize) -> Result<Vec<Letter>> {
    let mut ids = ids_under(store, INBOX, &org.to_be_bytes(), limit)?;
    ids.extend(ids_under(store, SENT, &org.to_be_bytes(), limit)?);
    ids.sort_unstable_by(|a, b| b.cmp(a));
    ids.dedup();
    let mut out = Vec::new();
    for id in ids.into_iter().take(limit) {
        out.extend(get(store, id)?);
    }
    Ok(out)
}

pub fn read_mark(store: &Store, id: u64) -> Result<Option<ReadMark>> {
    let key = id.to_be_bytes();
    match store.tree(READ)?.get(key)? {
        Some(v) => Ok(Some(decode_at(READ, &key, &v)?)),
        None => Ok(None),
    }
}

pub fn is_unread(store: &Store, org: u32, id: u64) -> Result<bool> {
    Ok(store.tree(UNREAD)?.contains_key(org_key(org, id))?)
}

/// Marks every unread letter of `letters` addressed to `org` as read by `mark`.
/// Returns the ids it marked.
pub fn mark_read(store: &Store, w: &mut Writes, org: u32, letters: &[Letter], mark: &ReadMark) -> Result<Vec<u64>> {
    let mut marked = Vec::new();
    for l in letters.iter().filter(|l| l.to == Party::Org(org)) {
        if is_unread(store, org, l.id)? {
            w.remove(UNREAD, org_key(org, l.id));
            w.put(READ, l.id.to_be_bytes(), encode(mark));
            marked.push(l.id);
        }
    }
    Ok(marked)
}

/// The reports sent in China week `week` by orgs within `focus` (not by
/// `focus` itself): (the reporting org's path, letter id), in path order.
pub fn reported_within(store: &Store, week: u32, focus: &Org) -> Result<Vec<(Vec<u32>, u64)>> {
    let prefix = week_key(week, &focus.path);
    let mut out = Vec::new();
    for kv in store.tree(REPORTED)?.scan_prefix(&prefix).keys() {
        let k = kv?;
        let path_bytes = &k[4..k.len().saturating_sub(8)];
        let path: Vec<u32> =
            path_bytes.chunks_exact(4).map(|c| u32::from_be_bytes(c.try_into().expect("4 bytes"))).collect();
        if path.len() > focus.path.len() {
            out.push((path, key_u64(REPORTED, &k, k.len() - 8)?));
        }
    }
    Ok(out)
}

/// How a party is named to others: `湖南大学团委（4143010533）` or a member's name and branch.
pub fn party_name(tree: &Tree, party: Party) -> Result<String> {
    Ok(match party {
        Party::Org(o) => {
            let org = tree.require_id(o)?;
            format!("{}（{}）", org.name, org.code)
        }
        Party::Member { person, branch } => {
            let name = tree.person(person)?.map(|p| p.name).unwrap_or_default();
            let org = tree.require_id(branch)?;
            format!("{name}（{}）", org.name)
        }
    })
}
