//! Upgrades an older store in place when it is opened.
//!
//! Version 1 -> 2: a channel records the bot account that reaches it
//! (`Channel::account`) and a queued message the account it goes through
//! (`Outbound::via`); both were the platform's only account before, so the
//! old rows get the home account (empty). Channels are rewritten in small
//! batches (a crash part-way is picked up again: a new row never decodes in
//! the old shape's place); the queue and the new version go in one
//! transaction, because an old queued row can decode as a new one.
//!
//! Version 2 -> 3: officials are indexed on their own (`people.rs`,
//! `OFFICIAL`) for the daily digest; the index is written from the role
//! rows, then the version (a crash part-way writes the same keys again).
//!
//! Version 3 -> 4: a queued message may carry a subscription's unsubscribe
//! token (`Outbound::unsubscribe`); old queued rows get none, rewritten with
//! the new version in one transaction.
//!
//! Version 4 -> 5: a queued message may carry the name of the list it goes
//! to (`Outbound::list_name`, mail's `List-Id` description); old queued rows
//! get none (the outbox names the list when it sends), rewritten with the
//! new version in one transaction.

use serde::{Deserialize, Serialize};
use sled::transaction::{ConflictableTransactionError, TransactionError, Transactional};
use treecast_wire::{Address, Attachment, Button, Outbound, OutboundKind};

use super::codec::{decode, encode};
use super::BULK_BATCH;
use super::{Channel, Fallback, Queued};
use crate::error::{Error, Result};
use crate::msgref::MsgRef;

#[derive(Deserialize)]
struct ChannelV1 {
    id: u64,
    org: u32,
    level: u8,
    address: Address,
    alive: bool,
    note: String,
}

#[derive(Serialize, Deserialize)]
struct OutboundV1 {
    id: String,
    kind: OutboundKind,
    to: Address,
    title: Option<std::sync::Arc<str>>,
    body: std::sync::Arc<str>,
    footer: Option<std::sync::Arc<str>>,
    buttons: Vec<Button>,
    attachments: std::sync::Arc<[Attachment]>,
    in_reply_to: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct QueuedV1 {
    msg: OutboundV1,
    tries: u32,
    next_at_ms: u64,
    on_sent: Option<MsgRef>,
    fallback: Option<Fallback>,
}

/// A queued message of versions 2 and 3: with its bot account, without an
/// unsubscribe token.
#[derive(Serialize, Deserialize)]
struct OutboundV3 {
    id: String,
    kind: OutboundKind,
    to: Address,
    title: Option<std::sync::Arc<str>>,
    body: std::sync::Arc<str>,
    footer: Option<std::sync::Arc<str>>,
    buttons: Vec<Button>,
    attachments: std::sync::Arc<[Attachment]>,
    in_reply_to: Option<String>,
    via: String,
}

#[derive(Serialize, Deserialize)]
struct QueuedV3 {
    msg: OutboundV3,
    tries: u32,
    next_at_ms: u64,
    on_sent: Option<MsgRef>,
    fallback: Option<Fallback>,
}

/// A queued message of version 4: with an unsubscribe token, without a
/// list name.
#[derive(Serialize, Deserialize)]
struct OutboundV4 {
    id: String,
    kind: OutboundKind,
    to: Address,
    title: Option<std::sync::Arc<str>>,
    body: std::sync::Arc<str>,
    footer: Option<std::sync::Arc<str>>,
    buttons: Vec<Button>,
    attachments: std::sync::Arc<[Attachment]>,
    in_reply_to: Option<String>,
    via: String,
    unsubscribe: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct QueuedV4 {
    msg: OutboundV4,
    tries: u32,
    next_at_ms: u64,
    on_sent: Option<MsgRef>,
    fallback: Option<Fallback>,
}

impl From<QueuedV1> for QueuedV3 {
    fn from(q: QueuedV1) -> QueuedV3 {
        let m = q.msg;
        let msg = OutboundV3 {
            id: m.id,
            kind: m.kind,
            to: m.to,
            title: m.title,
            body: m.body,
            footer: m.footer,
            buttons: m.buttons,
            attachments: m.attachments,
            in_reply_to: m.in_reply_to,
            via: String::new(),
        };
        QueuedV3 { msg, tries: q.tries, next_at_ms: q.next_at_ms, on_sent: q.on_sent, fallback: q.fallback }
    }
}

impl From<QueuedV3> for QueuedV4 {
    fn from(q: QueuedV3) -> QueuedV4 {
        let m = q.msg;
        let msg = OutboundV4 {
            id: m.id,
            kind: m.kind,
            to: m.to,
            title: m.title,
            body: m.body,
            footer: m.footer,
            buttons: m.buttons,
            attachments: m.attachments,
            in_reply_to: m.in_reply_to,
            via: m.via,
            unsubscribe: None,
        };
        QueuedV4 { msg, tries: q.tries, next_at_ms: q.next_at_ms, on_sent: q.on_sent, fallback: q.fallback }
    }
}

impl From<QueuedV4> for Queued {
    fn from(q: QueuedV4) -> Queued {
        let m = q.msg;
        let msg = Outbound {
            id: m.id,
            kind: m.kind,
            to: m.to,
            title: m.title,
            body: m.body,
            footer: m.footer,
            buttons: m.buttons,
            attachments: m.attachments,
            in_reply_to: m.in_reply_to,
            via: m.via,
            unsubscribe: m.unsubscribe,
            list_name: None,
        };
        Queued { msg, tries: q.tries, next_at_ms: q.next_at_ms, on_sent: q.on_sent, fallback: q.fallback }
    }
}

/// Channel rows live under this tag in the `channels` tree (see channels.rs).
const CHANNEL_ROWS: u8 = b'p';

pub(super) fn v1_to_v2(db: &sled::Db, meta: &sled::Tree, version_key: &[u8]) -> Result<()> {
    let channels = db.open_tree("channels")?;
    let mut batch = sled::Batch::default();
    let mut n = 0;
    for kv in channels.scan_prefix([CHANNEL_ROWS]) {
        let (k, v) = kv?;
        if decode::<Channel>(&v).is_ok() {
            continue; // rewritten before a crash
        }
        let c: ChannelV1 = decode(&v)?;
        let ch = Channel {
            id: c.id,
            org: c.org,
            level: c.level,
            address: c.address,
            alive: c.alive,
            note: c.note,
            account: String::new(),
        };
        batch.insert(k, encode(&ch));
        n += 1;
        if n % BULK_BATCH == 0 {
            channels.apply_batch(std::mem::take(&mut batch))?;
        }
    }
    channels.apply_batch(batch)?;

    let queued = rewrite_queue(db, meta, version_key, 2, |v| Ok(encode(&QueuedV3::from(decode::<QueuedV1>(v)?))))?;
    tracing::info!(channels = n, queued, "store upgraded to version 2 (bot accounts)");
    Ok(())
}

/// Rewrites every queued message with `convert` and sets `version`, in one
/// transaction: an old row may decode as a new one (or fail to), so the
/// queue and the version must change together. Returns how many rows.
fn rewrite_queue(
    db: &sled::Db,
    meta: &sled::Tree,
    version_key: &[u8],
    version: u32,
    convert: impl Fn(&[u8]) -> Result<Vec<u8>>,
) -> Result<usize> {
    let outbox = db.open_tree("outbox")?;
    let mut rows = Vec::new();
    for kv in outbox.iter() {
        let (k, v) = kv?;
        rows.push((k, convert(&v)?));
    }
    (&outbox, meta)
        .transaction(|(o, m)| {
            for (k, v) in &rows {
                o.insert(k, v.as_slice())?;
            }
            m.insert(version_key, &version.to_be_bytes())?;
            Ok::<_, ConflictableTransactionError<()>>(())
        })
        .map_err(|e: TransactionError<()>| {
            Error::Corrupt(format!("upgrading the store to version {version}: {e:?}"))
        })?;
    db.flush()?;
    Ok(rows.len())
}

pub(super) fn v2_to_v3(db: &sled::Db, meta: &sled::Tree, version_key: &[u8]) -> Result<()> {
    use super::people::{official_key, Role, ROLE_BY_PERSON};
    let people = db.open_tree("people")?;
    let mut batch = sled::Batch::default();
    let mut n = 0;
    for kv in people.scan_prefix([ROLE_BY_PERSON]) {
        let (k, v) = kv?;
        if k.len() == 13 && decode::<Role>(&v)? == Role::Official {
            let person = u64::from_be_bytes(k[1..9].try_into().expect("8 bytes"));
            let org = u32::from_be_bytes(k[9..13].try_into().expect("4 bytes"));
            batch.insert(official_key(person, org), &[]);
            n += 1;
        }
    }
    people.apply_batch(batch)?;
    meta.insert(version_key, &3u32.to_be_bytes())?;
    db.flush()?;
    tracing::info!(officials = n, "store upgraded to version 3 (officials index)");
    Ok(())
}

pub(super) fn v3_to_v4(db: &sled::Db, meta: &sled::Tree, version_key: &[u8]) -> Result<()> {
    let queued = rewrite_queue(db, meta, version_key, 4, |v| Ok(encode(&QueuedV4::from(decode::<QueuedV3>(v)?))))?;
    tracing::info!(queued, "store upgraded to version 4 (unsubscribe tokens)");
    Ok(())
}

pub(super) fn v4_to_v5(db: &sled::Db, meta: &sled::Tree, version_key: &[u8]) -> Result<()> {
    let queued = rewrite_queue(db, meta, version_key, 5, |v| Ok(encode(&Queued::from(decode::<QueuedV4>(v)?))))?;
    tracing::info!(queued, "store upgraded to version 5 (list names)");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use treecast_wire::Platform;

    /// A version 1 store (written with the old shapes) opens as version 2
    /// with every channel and queued message on the home account.
    #[test]
    fn a_version_one_store_is_upgraded_at_open() {
        let dir = tempfile::tempdir().unwrap();
        {
            let db = sled::open(dir.path()).unwrap();
            let meta = db.open_tree("meta").unwrap();
            meta.insert(b"schema_version", &1u32.to_be_bytes()).unwrap();
            #[derive(Serialize)]
            struct Old<'a> {
                id: u64,
                org: u32,
                level: u8,
                address: &'a Address,
                alive: bool,
                note: &'a str,
            }
            let a = Address::group(Platform::Telegram, "-1001");
            let old = Old { id: 7, org: 3, level: 3, address: &a, alive: false, note: "kicked" };
            let channels = db.open_tree("channels").unwrap();
            channels.insert([CHANNEL_ROWS, 1, 2], encode(&old)).unwrap();
            let q = QueuedV1 {
                msg: OutboundV1 {
                    id: "r1".into(),
                    kind: OutboundKind::Reply,
                    to: Address::direct(Platform::Telegram, "42"),
                    title: None,
                    body: "收到，谢谢 / Thanks".into(),
                    footer: None,
                    buttons: vec![],
                    attachments: std::sync::Arc::from(Vec::new()),
                    in_reply_to: Some("9".into()),
                },
                tries: 3,
                next_at_ms: 12345,
                on_sent: None,
                fallback: None,
            };
            db.open_tree("outbox").unwrap().insert(5u64.to_be_bytes(), encode(&q)).unwrap();
            db.flush().unwrap();
        }
        let store = super::super::Store::open(dir.path()).unwrap();
        let v = store.channels.get([CHANNEL_ROWS, 1, 2]).unwrap().unwrap();
        let ch: Channel = decode(&v).unwrap();
        assert_eq!((ch.id, ch.org, ch.alive, ch.note.as_str(), ch.account.as_str()), (7, 3, false, "kicked", ""));
        assert_eq!(ch.address, Address::group(Platform::Telegram, "-1001"));
        let queued = store.queued().unwrap();
        assert_eq!(queued.len(), 1);
        let (seq, q) = &queued[0];
        assert_eq!((*seq, q.tries, q.next_at_ms, q.msg.via.as_str()), (5, 3, 12345, ""));
        assert_eq!(&*q.msg.body, "收到，谢谢 / Thanks");
        assert_eq!(q.msg.in_reply_to.as_deref(), Some("9"));
        drop(store);
        // Opening again finds the current version and changes nothing.
        let store = super::super::Store::open(dir.path()).unwrap();
        assert_eq!(store.queued().unwrap()[0].1.tries, 3);
    }

    /// A version 3 store's queued messages keep their bot account and get
    /// no unsubscribe token.
    #[test]
    fn a_version_three_store_keeps_its_queue() {
        let dir = tempfile::tempdir().unwrap();
        {
            let db = sled::open(dir.path()).unwrap();
            db.open_tree("meta").unwrap().insert(b"schema_version", &3u32.to_be_bytes()).unwrap();
            let q = QueuedV3 {
                msg: OutboundV3 {
                    id: "r2".into(),
                    kind: OutboundKind::Private,
                    to: Address::direct(Platform::Email, "a@example.test"),
                    title: Some("通知".into()),
                    body: "正文".into(),
                    footer: None,
                    buttons: vec![],
                    attachments: std::sync::Arc::from(Vec::new()),
                    in_reply_to: None,
                    via: "bot2".into(),
                },
                tries: 1,
                next_at_ms: 7,
                on_sent: None,
                fallback: None,
            };
            db.open_tree("outbox").unwrap().insert(9u64.to_be_bytes(), encode(&q)).unwrap();
            db.flush().unwrap();
        }
        let store = super::super::Store::open(dir.path()).unwrap();
        let queued = store.queued().unwrap();
        let (seq, q) = &queued[0];
        assert_eq!((*seq, q.msg.via.as_str(), q.msg.unsubscribe.as_deref(), &*q.msg.body), (9, "bot2", None, "正文"));
    }

    /// A version 4 store's queued messages keep their unsubscribe token and
    /// get no list name; the store reads as version 5 afterwards.
    #[test]
    fn a_version_four_store_keeps_its_queue() {
        let dir = tempfile::tempdir().unwrap();
        {
            let db = sled::open(dir.path()).unwrap();
            db.open_tree("meta").unwrap().insert(b"schema_version", &4u32.to_be_bytes()).unwrap();
            let outbox = db.open_tree("outbox").unwrap();
            let q = |id: &str, to: Address, unsubscribe: Option<&str>| QueuedV4 {
                msg: OutboundV4 {
                    id: id.into(),
                    kind: OutboundKind::Notice,
                    to,
                    title: Some("通知".into()),
                    body: "正文".into(),
                    footer: Some("精彩微博团，青春心连心".into()),
                    buttons: vec![],
                    attachments: std::sync::Arc::from(Vec::new()),
                    in_reply_to: None,
                    via: "bot2".into(),
                    unsubscribe: unsubscribe.map(str::to_owned),
                },
                tries: 2,
                next_at_ms: 11,
                on_sent: None,
                fallback: None,
            };
            let sub = q("s1", Address::direct(Platform::Email, "a@example.test"), Some("0123abcd"));
            let list = q("l1", Address::list("branch-a@lists.example.test", vec!["m@example.test".into()]), None);
            outbox.insert(3u64.to_be_bytes(), encode(&sub)).unwrap();
            outbox.insert(4u64.to_be_bytes(), encode(&list)).unwrap();
            db.flush().unwrap();
        }
        let store = super::super::Store::open(dir.path()).unwrap();
        let queued = store.queued().unwrap();
        let got: Vec<_> = queued
            .iter()
            .map(|(seq, q)| {
                let m = &q.msg;
                (*seq, m.id.as_str(), m.via.as_str(), m.unsubscribe.as_deref(), m.list_name.as_deref(), q.tries)
            })
            .collect();
        assert_eq!(got, [(3, "s1", "bot2", Some("0123abcd"), None, 2), (4, "l1", "bot2", None, None, 2)]);
        assert_eq!(queued[1].1.msg.to.members, ["m@example.test"]);
        assert_eq!(&*queued[1].1.msg.body, "正文");
        let meta = store.db.open_tree("meta").unwrap();
        let version = meta.get(b"schema_version").unwrap().unwrap();
        assert_eq!(u32::from_be_bytes(version.as_ref().try_into().unwrap()), 5);
        assert_eq!(super::super::SCHEMA_VERSION, 5);
    }

    /// A version 2 store's officials are indexed at open; members are not.
    #[test]
    fn a_version_two_store_gets_its_officials_index() {
        use crate::store::people::{role_keys, Role};
        let dir = tempfile::tempdir().unwrap();
        {
            let db = sled::open(dir.path()).unwrap();
            db.open_tree("meta").unwrap().insert(b"schema_version", &2u32.to_be_bytes()).unwrap();
            let people = db.open_tree("people").unwrap();
            for (person, org, role) in [(7u64, 300u32, Role::Official), (8, 301, Role::Member), (9, 2, Role::Official)]
            {
                let (by_person, by_org) = role_keys(person, org);
                people.insert(by_person, encode(&role)).unwrap();
                people.insert(by_org, encode(&role)).unwrap();
            }
            db.flush().unwrap();
        }
        let store = super::super::Store::open(dir.path()).unwrap();
        let found: Vec<(u64, u32)> = store.officials().collect::<Result<_>>().unwrap();
        assert_eq!(found, [(7, 300), (9, 2)]);
        // A member made an official and back is indexed and unindexed.
        store.put_role(8, 301, Role::Official).unwrap();
        assert_eq!(store.officials().count(), 3);
        store.put_role(8, 301, Role::Member).unwrap();
        assert_eq!(store.officials().count(), 2);
    }
}
