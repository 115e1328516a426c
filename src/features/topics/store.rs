//! Topics and their posts in the store, with the event each change appends.

use serde::{Deserialize, Serialize};
use treecast_wire::Platform;

use crate::error::Result;
use crate::events::{self, Event};
use crate::store::keys::read_u64_at;
use crate::store::{decode_at, encode, Keyspace, Store, Writes};

/// topic id -> Topic
const TOPICS: Keyspace = Keyspace::Named("topics.topics");
/// normal-form tag ++ 0 ++ topic id -> ()
const BY_TAG: Keyspace = Keyspace::Named("topics.by_tag");
/// topic id ++ post id -> Post
const POSTS: Keyspace = Keyspace::Named("topics.posts");

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Topic {
    pub id: u64,
    /// As the official wrote it, without the #s.
    pub tag: String,
    pub about: String,
    /// The org whose subtree takes part.
    pub org: u32,
    pub opened_by: u64,
    /// Unix seconds.
    pub opened: u64,
    pub until: u64,
    /// The announcement.
    pub notice: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Post {
    pub id: u64,
    /// The org of the chat it was written in (or the writer's, privately).
    pub org: u32,
    pub person: Option<u64>,
    /// A stable name for whoever wrote it: the person, or the platform's
    /// user in a chat (counts once an hour however much they write).
    pub who: String,
    pub name: String,
    pub text: String,
    pub via: Platform,
    /// Unix seconds.
    pub at: u64,
}

fn tag_key(tag: &str, id: u64) -> Vec<u8> {
    [crate::text::normalize(tag).as_bytes(), &[0], &id.to_be_bytes()].concat()
}

pub fn put_topic(w: &mut Writes, t: &Topic, at_ms: u64) {
    w.put(TOPICS, t.id.to_be_bytes().to_vec(), encode(t));
    w.put(BY_TAG, tag_key(&t.tag, t.id), Vec::new());
    events::emit(w, at_ms, &Event::TopicOpened { topic: t.id, org: t.org, by: t.opened_by });
}

pub fn put_post(w: &mut Writes, topic: u64, p: &Post, at_ms: u64) {
    w.put(POSTS, [&topic.to_be_bytes()[..], &p.id.to_be_bytes()].concat(), encode(p));
    events::emit(w, at_ms, &Event::TopicPosted { topic, post: p.id, org: p.org, person: p.person });
}

pub fn topic(store: &Store, id: u64) -> Result<Option<Topic>> {
    let key = id.to_be_bytes();
    match store.tree(TOPICS)?.get(key)? {
        Some(v) => Ok(Some(decode_at(TOPICS, &key, &v)?)),
        None => Ok(None),
    }
}

/// Every topic with this tag (in its normal form), oldest first.
pub fn with_tag(store: &Store, tag: &str) -> Result<Vec<Topic>> {
    let mut prefix = crate::text::normalize(tag).into_bytes();
    prefix.push(0);
    let mut out = Vec::new();
    for k in store.tree(BY_TAG)?.scan_prefix(&prefix).keys() {
        let k = k?;
        let id = read_u64_at(&k, prefix.len(), "topics.by_tag")?;
        out.extend(topic(store, id)?);
    }
    Ok(out)
}

pub fn each_topic(store: &Store, mut f: impl FnMut(Topic) -> Result<()>) -> Result<()> {
    for kv in store.tree(TOPICS)?.iter() {
        let (k, v) = kv?;
        f(decode_at(TOPICS, &k, &v)?)?;
    }
    Ok(())
}

/// Posts of `topic`, oldest first.
pub fn posts(store: &Store, topic: u64) -> Result<Vec<Post>> {
    let mut out = Vec::new();
    for kv in store.tree(POSTS)?.scan_prefix(topic.to_be_bytes()) {
        let (k, v) = kv?;
        out.push(decode_at(POSTS, &k, &v)?);
    }
    Ok(out)
}

/// Rewrites post `p` of `topic` (no event: nothing new was said).
pub fn put_post_row(w: &mut Writes, topic: u64, p: &Post) {
    w.put(POSTS, [&topic.to_be_bytes()[..], &p.id.to_be_bytes()].concat(), encode(p));
}

pub fn post(store: &Store, topic: u64, id: u64) -> Result<Option<Post>> {
    let key = [&topic.to_be_bytes()[..], &id.to_be_bytes()].concat();
    match store.tree(POSTS)?.get(&key)? {
        Some(v) => Ok(Some(decode_at(POSTS, &key, &v)?)),
        None => Ok(None),
    }
}
