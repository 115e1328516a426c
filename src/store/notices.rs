//! The `notices` keyspace (notice id -> Notice) and the `active` set (notices whose fan-out is unfinished).

use super::codec::{decode_at, encode};
use super::keys::key_u64;
use super::{Keyspace, Store, Writes};
use serde::{Deserialize, Serialize};
use treecast_wire::{Attachment, Button};

use crate::error::Result;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum NoticeKind {
    Notice,
    /// A reminder of notice `of`, only to orgs that have not acknowledged it.
    Reminder {
        of: u64,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    pub id: u64,
    pub kind: NoticeKind,
    pub issuer: u32,
    pub author: u64,
    pub title: String,
    pub body: String,
    pub attachments: Vec<Attachment>,
    pub target: Target,
    pub ack_required: bool,
    /// Unix seconds by which acknowledgements are due.
    pub ack_deadline: Option<u64>,
    pub created: u64,
    /// The automatic pre-deadline reminder has gone out.
    pub auto_reminded: bool,
    /// Buttons added to every copy (a survey's "answer privately" link).
    pub buttons: Vec<Button>,
}

impl Notice {
    /// The notice acknowledgements count against (a reminder's original).
    pub fn root_id(&self) -> u64 {
        match self.kind {
            NoticeKind::Notice => self.id,
            NoticeKind::Reminder { of } => of,
        }
    }
}

/// What an official asks for; `post` checks and stores it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Draft {
    pub issuer_code: String,
    pub title: String,
    pub body: String,
    pub attachments: Vec<Attachment>,
    /// Level keys to reach (empty: all).
    pub levels: Vec<String>,
    /// Codes of chosen child orgs (empty: the whole subtree).
    pub only: Vec<String>,
    /// Codes of orgs left out with their subtrees.
    pub exclude: Vec<String>,
    pub ack_required: bool,
    pub ack_deadline: Option<u64>,
    pub buttons: Vec<Button>,
}

/// Which channels a notice reaches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Target {
    /// Org ids whose subtrees are targeted: the issuer, or chosen children.
    pub roots: Vec<u32>,
    /// Whether channels of the roots themselves get a copy (not the issuer's own).
    pub include_roots: bool,
    /// Only channels of orgs at these levels (None: every level).
    pub levels: Option<Vec<u8>>,
    /// Org ids whose subtrees are left out.
    pub exclude: Vec<u32>,
}

impl Store {
    /// The notice with id `id`.
    pub fn notice(&self, id: u64) -> Result<Option<Notice>> {
        let key = id.to_be_bytes();
        match self.notices.get(key)? {
            Some(v) => Ok(Some(decode_at(Keyspace::Notices, &key, &v)?)),
            None => Ok(None),
        }
    }

    /// The last `n` notices, newest first.
    pub fn latest_notices(&self, n: usize) -> Result<Vec<Notice>> {
        self.notices
            .iter()
            .rev()
            .take(n)
            .map(|kv| {
                let (k, v) = kv?;
                decode_at(Keyspace::Notices, &k, &v)
            })
            .collect()
    }

    /// Notices created at or after `since` (unix seconds), newest first: ids
    /// grow with time, so the walk stops at the first older one.
    pub fn notices_since(&self, since: u64) -> Result<Vec<Notice>> {
        let mut out = Vec::new();
        for kv in self.notices.iter().rev() {
            let (k, v) = kv?;
            let n: Notice = decode_at(Keyspace::Notices, &k, &v)?;
            if n.created < since {
                break;
            }
            out.push(n);
        }
        Ok(out)
    }

    /// Every notice, oldest first, one at a time (a rebuild of a million
    /// must not hold them all).
    pub fn each_notice(&self, mut f: impl FnMut(Notice) -> Result<()>) -> Result<()> {
        for kv in self.notices.iter() {
            let (k, v) = kv?;
            f(decode_at(Keyspace::Notices, &k, &v)?)?;
        }
        Ok(())
    }

    /// The highest notice id stored (0: none).
    pub fn last_notice_id(&self) -> Result<u64> {
        self.notices.last()?.map(|(k, _)| key_u64(Keyspace::Notices, &k, 0)).unwrap_or(Ok(0))
    }

    /// Ids of notices whose fan-out is unfinished.
    pub fn active_notices(&self) -> Result<Vec<u64>> {
        self.active.iter().keys().map(|k| key_u64(Keyspace::Active, &k?, 0)).collect()
    }

    /// Takes a notice out of the active set at once (not with other writes).
    pub fn finish_notice(&self, notice: u64) -> Result<()> {
        self.active.remove(notice.to_be_bytes())?;
        Ok(())
    }
}

impl Writes {
    /// Writes a notice's record.
    pub fn put_notice(&mut self, n: &Notice) {
        self.put(Keyspace::Notices, n.id.to_be_bytes(), encode(n));
    }

    /// Puts a notice in the active set (its fan-out is to run).
    pub fn activate_notice(&mut self, notice: u64) {
        self.put(Keyspace::Active, notice.to_be_bytes(), Vec::new());
    }

    /// Takes a notice out of the active set (its fan-out is done).
    pub fn deactivate_notice(&mut self, notice: u64) {
        self.remove(Keyspace::Active, notice.to_be_bytes());
    }
}
