//! The `codes` keyspace: one-time code -> what it grants and until when; each redeems once.

use serde::{Deserialize, Serialize};

use super::codec::{decode_at, encode};
use super::notices::Draft;
use super::{Keyspace, Store};
use crate::catalogue::Msg;
use crate::error::{Error, Result};

/// What a one-time code grants. Stored by variant index: new ones go at the end.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Grant {
    /// `/bind CODE` in a group binds it to this org.
    Bind { org: u32, by: u64 },
    /// `/link CODE` from another platform adds that identity to this person.
    Link { person: u64 },
    /// A notice posted by mail whose sender was not proven: posted when the
    /// sender answers the bot's confirmation mail.
    ConfirmPost { person: u64, draft: Draft },
    /// A command mailed by a sender the mail system did not prove, run when
    /// the sender answers the bot's confirmation mail.
    ConfirmCommand { person: u64, text: String },
    /// Anything else a feature holds back until an unproven mail sender
    /// answers: the feature's name and its own data.
    ConfirmFor { feature: String, person: u64, data: Vec<u8> },
}

const KS: Keyspace = Keyspace::Codes;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct CodeRow {
    pub grant: Grant,
    pub expires_unix: u64,
}

/// No 0/O/1/I: codes are read aloud and typed on phones.
const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

impl Store {
    /// Issues a one-time code that expires at `expires_unix`.
    pub fn issue_code(&self, grant: Grant, expires_unix: u64) -> Result<String> {
        use rand::Rng;
        let mut rng = rand::rng();
        let row = encode(&CodeRow { grant, expires_unix });
        loop {
            let code: String = (0..8).map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char).collect();
            let res = self.codes.compare_and_swap(code.as_bytes(), None as Option<&[u8]>, Some(row.clone()))?;
            if res.is_ok() {
                return Ok(code);
            }
        }
    }

    /// Uses up a code at `now`: it works once, and not after it expires.
    pub fn redeem_code(&self, code: &str, now: u64) -> Result<Grant> {
        self.redeem_code_if(code, now, |_| Ok(()))
    }

    /// Uses up a code only if `accept` approves its grant (a refused try leaves it for its rightful user).
    pub fn redeem_code_if(&self, code: &str, now: u64, accept: impl FnOnce(&Grant) -> Result<()>) -> Result<Grant> {
        let code = code.trim().to_uppercase();
        let used = || Error::invalid(Msg::CodeUnknown.text());
        let Some(v) = self.codes.get(code.as_bytes())? else {
            return Err(used());
        };
        let row: CodeRow = decode_at(KS, code.as_bytes(), &v)?;
        if row.expires_unix < now {
            self.codes.remove(code.as_bytes())?;
            return Err(Error::invalid(Msg::CodeExpired.text()));
        }
        accept(&row.grant)?;
        // Once only, even if two attempts race.
        match self.codes.compare_and_swap(code.as_bytes(), Some(&v), None as Option<&[u8]>)? {
            Ok(()) => Ok(row.grant),
            Err(_) => Err(used()),
        }
    }
}
