//! Columns, their posts and what parents featured, with the event each
//! change appends in the same commit.

use serde::{Deserialize, Serialize};
use treecast_wire::Attachment;

use crate::error::Result;
use crate::events::{self, Event};
use crate::store::keys::read_u64_at;
use crate::store::{decode_at, encode, Keyspace, Store, Writes};

/// org ++ normal-form name -> Column
const COLUMNS: Keyspace = Keyspace::Named("showcase.columns");
/// post id -> Post
const POSTS: Keyspace = Keyspace::Named("showcase.posts");
/// org ++ `p` ++ post id -> (): posts awaiting review
const BY_ORG: Keyspace = Keyspace::Named("showcase.by_org");
/// org ++ normal-form column name ++ 0 ++ post id -> (): approved posts
const BY_COLUMN: Keyspace = Keyspace::Named("showcase.by_column");
/// featuring org ++ post id -> ()
const FEATURED: Keyspace = Keyspace::Named("showcase.featured");

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Column {
    pub org: u32,
    pub name: String,
    pub about: String,
    pub by: u64,
    pub at: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum State {
    Pending,
    Approved { by: u64, at: u64 },
    Rejected { by: u64, reason: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Post {
    pub id: u64,
    /// The column's org, and the column's name as created.
    pub org: u32,
    pub column: String,
    pub author: u64,
    pub author_name: String,
    /// The author's org (a branch under the column's org, or the org itself).
    pub from: u32,
    pub text: String,
    pub files: Vec<Attachment>,
    pub at: u64,
    pub state: State,
    /// (org, official, unix seconds) of each parent that featured it.
    pub featured: Vec<(u32, u64, u64)>,
}

fn column_key(org: u32, name: &str) -> Vec<u8> {
    [&org.to_be_bytes()[..], crate::text::normalize(name).trim().as_bytes()].concat()
}

/// One column's approved posts' keys begin so (the 0 ends the name: 团日
/// is not a beginning of 团日风采).
fn column_prefix(org: u32, name: &str) -> Vec<u8> {
    [column_key(org, name), vec![0]].concat()
}

/// The newest `limit` approved posts of column `name` of `org`, newest first.
pub fn approved(store: &Store, org: u32, name: &str, limit: usize) -> Result<Vec<Post>> {
    let prefix = column_prefix(org, name);
    let mut out = Vec::new();
    for k in store.tree(BY_COLUMN)?.scan_prefix(&prefix).keys().rev().take(limit) {
        let k = k?;
        out.extend(post(store, read_u64_at(&k, prefix.len(), "showcase.by_column")?)?);
    }
    Ok(out)
}

fn index_key(org: u32, tag: u8, id: u64) -> Vec<u8> {
    [&org.to_be_bytes()[..], &[tag], &id.to_be_bytes()].concat()
}

pub fn column(store: &Store, org: u32, name: &str) -> Result<Option<Column>> {
    let key = column_key(org, name);
    match store.tree(COLUMNS)?.get(&key)? {
        Some(v) => Ok(Some(decode_at(COLUMNS, &key, &v)?)),
        None => Ok(None),
    }
}

pub fn columns_of(store: &Store, org: u32) -> Result<Vec<Column>> {
    let mut out = Vec::new();
    for kv in store.tree(COLUMNS)?.scan_prefix(org.to_be_bytes()) {
        let (k, v) = kv?;
        out.push(decode_at(COLUMNS, &k, &v)?);
    }
    Ok(out)
}

pub fn put_column(w: &mut Writes, c: &Column) {
    w.put(COLUMNS, column_key(c.org, &c.name), encode(c));
}

pub fn post(store: &Store, id: u64) -> Result<Option<Post>> {
    let key = id.to_be_bytes();
    match store.tree(POSTS)?.get(key)? {
        Some(v) => Ok(Some(decode_at(POSTS, &key, &v)?)),
        None => Ok(None),
    }
}

/// Writes `p` with its index rows and the event its new state tells.
pub fn put_post(w: &mut Writes, p: &Post, old: Option<&State>, at_ms: u64) {
    w.put(POSTS, p.id.to_be_bytes(), encode(p));
    if matches!(old, Some(State::Pending)) {
        w.remove(BY_ORG, index_key(p.org, b'p', p.id));
    }
    let e = match &p.state {
        State::Pending => {
            w.put(BY_ORG, index_key(p.org, b'p', p.id), Vec::new());
            Event::ShowcaseSubmitted { post: p.id, org: p.org, from: p.from, author: p.author }
        }
        State::Approved { by, .. } => {
            w.put(BY_COLUMN, [column_prefix(p.org, &p.column), p.id.to_be_bytes().to_vec()].concat(), Vec::new());
            Event::ShowcaseApproved { post: p.id, org: p.org, by: *by }
        }
        State::Rejected { by, .. } => Event::ShowcaseRejected { post: p.id, org: p.org, by: *by },
    };
    events::emit(w, at_ms, &e);
}

/// Records that `org` featured `p` (already updated with it).
pub fn put_featured(w: &mut Writes, p: &Post, org: u32, by: u64, at_ms: u64) {
    w.put(POSTS, p.id.to_be_bytes(), encode(p));
    w.put(FEATURED, index_key(org, b'f', p.id), Vec::new());
    events::emit(w, at_ms, &Event::ShowcaseFeatured { post: p.id, org, by, from: p.org });
}

/// Posts of `org` in the index `tag` (`p` pending, `f` featured by it),
/// newest first.
pub fn listed(store: &Store, org: u32, tag: u8, limit: usize) -> Result<Vec<Post>> {
    let ks = if tag == b'f' { FEATURED } else { BY_ORG };
    let prefix = [&org.to_be_bytes()[..], &[tag]].concat();
    let mut out = Vec::new();
    for k in store.tree(ks)?.scan_prefix(&prefix).keys().rev().take(limit) {
        let k = k?;
        let id = read_u64_at(&k, 5, ks.name())?;
        out.extend(post(store, id)?);
    }
    Ok(out)
}

pub fn each_post(store: &Store, mut f: impl FnMut(Post) -> Result<()>) -> Result<()> {
    for kv in store.tree(POSTS)?.iter() {
        let (k, v) = kv?;
        f(decode_at(POSTS, &k, &v)?)?;
    }
    Ok(())
}

/// Rewrites post `p` (no event: nothing happened to it, `/forget` only).
pub fn put_post_row(w: &mut Writes, p: &Post) {
    w.put(POSTS, p.id.to_be_bytes(), encode(p));
}
