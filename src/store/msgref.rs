//! The `msgref` keyspace: platform ++ platform message id -> what that
//! message was (`MsgRef`); and, for a feature's own messages, the other way:
//! `SENT` ++ feature ++ 0 ++ its data -> the platform ids it was sent as.

use treecast_wire::Platform;

use super::codec::{decode_at, encode};
use super::keys::{corrupt, platform_byte};
use super::{Keyspace, Store};
use crate::error::Result;
use crate::msgref::MsgRef;

const KS: Keyspace = Keyspace::Msgref;

/// First byte of the reverse entries (no platform byte is this).
const SENT: u8 = 0xFF;

fn sent_key(feature: &str, data: &[u8]) -> Vec<u8> {
    [&[SENT][..], feature.as_bytes(), &[0], data].concat()
}

/// The reverse entry of `r`, if it is a feature's own message.
fn reverse(ids: &[String], r: &MsgRef) -> Option<(Vec<u8>, Vec<u8>)> {
    match r {
        MsgRef::Owned { feature, data } => Some((sent_key(feature, data), encode(&ids.to_vec()))),
        _ => None,
    }
}

/// The key of one platform message.
pub fn key(platform: Platform, message_id: &str) -> Vec<u8> {
    let mut k = vec![platform_byte(platform)];
    k.extend_from_slice(message_id.as_bytes());
    k
}

impl Store {
    /// Remembers what the platform messages `ids` were.
    pub fn record_msgref(&self, platform: Platform, ids: &[String], r: &MsgRef) -> Result<()> {
        let v = encode(r);
        for id in ids {
            self.msgref.insert(key(platform, id), v.clone())?;
        }
        if let Some((k, v)) = reverse(ids, r) {
            self.msgref.insert(k, v)?;
        }
        Ok(())
    }

    /// Remembers many messages in one batch: (platform, message ids, what they were).
    pub fn record_msgrefs(&self, refs: impl IntoIterator<Item = (Platform, Vec<String>, MsgRef)>) -> Result<()> {
        let mut batch = sled::Batch::default();
        for (p, ids, r) in refs {
            let v = encode(&r);
            if let Some((k, v)) = reverse(&ids, &r) {
                batch.insert(k, v);
            }
            for id in ids {
                batch.insert(key(p, &id), v.clone());
            }
        }
        self.msgref.apply_batch(batch)?;
        Ok(())
    }

    /// What the platform message `id` was, if the bot sent it.
    pub fn msgref(&self, platform: Platform, id: &str) -> Result<Option<MsgRef>> {
        let k = key(platform, id);
        match self.msgref.get(&k)? {
            Some(v) => Ok(Some(decode_at(KS, &k, &v)?)),
            None => Ok(None),
        }
    }

    /// The platform ids a feature's message (`MsgRef::Owned` with `data`)
    /// was delivered as; empty until it is delivered.
    pub fn sent_as(&self, feature: &str, data: &[u8]) -> Result<Vec<String>> {
        let k = sent_key(feature, data);
        match self.msgref.get(&k)? {
            Some(v) => decode_at(KS, &k, &v),
            None => Ok(Vec::new()),
        }
    }

    /// Every recorded message on `platform`: (message id, what it was), in id byte order.
    pub fn msgrefs_on(&self, platform: Platform) -> impl Iterator<Item = Result<(String, MsgRef)>> {
        self.msgref.scan_prefix([platform_byte(platform)]).map(|kv| {
            let (k, v) = kv?;
            let id = std::str::from_utf8(&k[1..]).map_err(|_| corrupt(KS, &k, "the message id is not UTF-8"))?;
            Ok((id.to_owned(), decode_at(KS, &k, &v)?))
        })
    }
}
