//! The `msgref` keyspace: platform ++ platform message id -> what that message was (`MsgRef`).

use treecast_wire::Platform;

use super::codec::{decode_at, encode};
use super::keys::{corrupt, platform_byte};
use super::{Keyspace, Store};
use crate::error::Result;
use crate::msgref::MsgRef;

const KS: Keyspace = Keyspace::Msgref;

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
        Ok(())
    }

    /// Remembers many messages in one batch: (platform, message ids, what they were).
    pub fn record_msgrefs(&self, refs: impl IntoIterator<Item = (Platform, Vec<String>, MsgRef)>) -> Result<()> {
        let mut batch = sled::Batch::default();
        for (p, ids, r) in refs {
            let v = encode(&r);
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

    /// Every recorded message on `platform`: (message id, what it was), in id byte order.
    pub fn msgrefs_on(&self, platform: Platform) -> impl Iterator<Item = Result<(String, MsgRef)>> {
        self.msgref.scan_prefix([platform_byte(platform)]).map(|kv| {
            let (k, v) = kv?;
            let id = std::str::from_utf8(&k[1..]).map_err(|_| corrupt(KS, &k, "the message id is not UTF-8"))?;
            Ok((id.to_owned(), decode_at(KS, &k, &v)?))
        })
    }
}
