//! An org's archive (存档): the history of the chats it had before
//! treecast, imported by the operator (`treecast org import-history`) from
//! a Telegram export, a Matrix room export or a list's mbox, with the
//! original dates and authors; searchable by the org's people and the
//! officials above (kind `archive`). A message imported again is skipped.

pub mod parse;

use serde::{Deserialize, Serialize};

use crate::catalogue::{msg, Msg};
use crate::context::Ctx;
use crate::error::{Error, Result};
use crate::events::{Event, Record};
use crate::registry::{Declaration, Feature, SearchDoc, SearchKind, SearchOp};
use crate::store::{decode_at, encode, Keyspace, Store, Writes};
use crate::tree::Org;
use parse::{Format, Old};

/// org ++ at ++ h(source id) -> Item
const ITEMS: Keyspace = Keyspace::Named("archive.items");
/// Items written per commit (each commit appends one event listing them).
const PER_COMMIT: usize = 2_000;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item {
    pub org: u32,
    /// `telegram`, `matrix` or `mbox`.
    pub source: String,
    pub id: String,
    pub at: u64,
    pub author: String,
    pub text: String,
}

fn item_key(org: u32, at: u64, source: &str, id: &str) -> Vec<u8> {
    let h = blake3::hash([source.as_bytes(), b"\0", id.as_bytes()].concat().as_slice());
    [&org.to_be_bytes()[..], &at.to_be_bytes(), &h.as_bytes()[..8]].concat()
}

pub fn item(store: &Store, key: &[u8]) -> Result<Option<Item>> {
    match store.tree(ITEMS)?.get(key)? {
        Some(v) => Ok(Some(decode_at(ITEMS, key, &v)?)),
        None => Ok(None),
    }
}

/// How many items `org` has in its archive.
pub fn count(store: &Store, org: u32) -> Result<usize> {
    Ok(store.tree(ITEMS)?.scan_prefix(org.to_be_bytes()).count())
}

/// Reads `bytes` (its format sniffed, or `format`) and stores its messages
/// in `org`'s archive. Nothing is stored from a file that cannot be read
/// whole. Returns the sentence for the operator.
pub fn import(cx: &Ctx, org: &Org, file: &str, bytes: &[u8], format: Option<&str>) -> Result<String> {
    let f = match format {
        Some("telegram") => Format::Telegram,
        Some("matrix") => Format::Matrix,
        Some("mbox") => Format::Mbox,
        Some(other) => return Err(Error::invalid(msg(Msg::ArchiveFormat, &[("file", &file), ("format", &other)]))),
        None => Format::sniff(bytes)
            .ok_or_else(|| Error::invalid(msg(Msg::ArchiveFormat, &[("file", &file), ("format", &"?")])))?,
    };
    let old: Vec<Old> = match f {
        Format::Telegram => parse::telegram(file, bytes)?,
        Format::Matrix => parse::matrix(file, bytes)?,
        Format::Mbox => parse::mbox(file, bytes)?,
    };
    let tree = cx.store().tree(ITEMS)?;
    let (mut added, mut skipped) = (0, 0);
    let mut w = Writes::default();
    let mut keys: Vec<Vec<u8>> = Vec::new();
    let mut this_file = std::collections::HashSet::new();
    for m in &old {
        let key = item_key(org.id, m.at, f.name(), &m.id);
        if !this_file.insert(key.clone()) || tree.contains_key(&key)? {
            skipped += 1;
            continue;
        }
        let it = Item {
            org: org.id,
            source: f.name().to_owned(),
            id: m.id.clone(),
            at: m.at,
            author: m.author.clone(),
            text: m.text.clone(),
        };
        w.put(ITEMS, key.clone(), encode(&it));
        keys.push(key);
        added += 1;
        if keys.len() == PER_COMMIT {
            commit(cx, org, &mut w, &mut keys)?;
        }
    }
    commit(cx, org, &mut w, &mut keys)?;
    cx.store().flush()?;
    Ok(msg(
        Msg::ArchiveImported,
        &[("file", &file), ("org", &org.name), ("added", &added), ("skipped", &skipped), ("format", &f.name())],
    ))
}

/// Commits one slice of an import with the event naming its items.
fn commit(cx: &Ctx, org: &Org, w: &mut Writes, keys: &mut Vec<Vec<u8>>) -> Result<()> {
    if keys.is_empty() {
        return Ok(());
    }
    let e = Event::ArchiveImported { org: org.id, items: std::mem::take(keys) };
    crate::events::emit(w, cx.clock.now_ms(), &e);
    cx.store().commit(&std::mem::take(w))
}

fn doc(cx: &Ctx, key: &[u8], it: &Item) -> Result<SearchDoc> {
    let org = cx.tree.get(it.org)?;
    Ok(SearchDoc {
        id: format!("archive:{}", key.iter().map(|b| format!("{b:02x}")).collect::<String>()),
        kind: "archive".into(),
        title: msg(
            Msg::ArchiveTitle,
            &[("org", &org.as_ref().map(|o| o.name.as_str()).unwrap_or("")), ("author", &it.author)],
        ),
        body: it.text.clone(),
        orgs: org.iter().map(|o| o.path.clone()).collect(),
        reach: vec![it.org],
        public: false,
        at: it.at,
        initials_of: None,
    })
}

pub struct Archive;

impl Feature for Archive {
    fn declare(&self) -> Declaration {
        Declaration {
            name: "archive",
            admin: &["archive.import"],
            search_kinds: &[SearchKind { kind: "archive", label: "存档 archive", aliases: &["history"] }],
            ..Declaration::default()
        }
    }

    fn admin(&self, cx: &Ctx, op: &str, a: serde_json::Value) -> Result<crate::admin::Reply> {
        #[derive(Deserialize)]
        struct ImportArgs {
            org: String,
            name: String,
            #[serde(with = "crate::admin::base64_bytes")]
            bytes: Vec<u8>,
            format: Option<String>,
        }
        let i: ImportArgs = crate::admin::args(op, a)?;
        let org = cx.tree.require(&i.org)?;
        Ok(crate::admin::Reply::text(import(cx, &org, &i.name, &i.bytes, i.format.as_deref())?))
    }

    fn search_docs(&self, cx: &Ctx, events: &[Record]) -> Result<Vec<SearchOp>> {
        let mut out = Vec::new();
        for r in events {
            let Event::ArchiveImported { items, .. } = &r.event else { continue };
            for k in items {
                if let Some(it) = item(cx.store(), k)? {
                    out.push(SearchOp::Put(doc(cx, k, &it)?));
                }
            }
        }
        Ok(out)
    }

    fn search_all(&self, cx: &Ctx, put: &mut dyn FnMut(SearchDoc) -> Result<()>) -> Result<()> {
        for kv in cx.store().tree(ITEMS)?.iter() {
            let (k, v) = kv?;
            let it: Item = decode_at(ITEMS, &k, &v)?;
            put(doc(cx, &k, &it)?)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
