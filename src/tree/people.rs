//! People, their identities on each platform, their roles, and one-time
//! codes (bind a chat, link a second identity).

use serde::{Deserialize, Serialize};
use treecast_wire::Platform;

use super::{Org, Tree};
use crate::error::{Error, Result};
use crate::store::keys::{self, people as tag};
use crate::store::{decode, encode};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    pub platform: Platform,
    pub user: String,
}

impl std::fmt::Display for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.platform, self.user)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    pub id: u64,
    pub name: String,
    pub identities: Vec<Identity>,
    /// Where private messages to this person go (the first identity if unset).
    pub preferred: Option<Platform>,
}

impl Person {
    /// The identity private messages should reach.
    pub fn preferred_identity(&self) -> Option<&Identity> {
        self.preferred
            .and_then(|p| self.identities.iter().find(|i| i.platform == p))
            .or_else(|| self.identities.first())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Role {
    /// An org's official: acts on the org's whole subtree.
    Official,
    /// A student member of a branch.
    Member,
}

/// What a one-time code grants.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Grant {
    /// `/bind CODE` in a group binds it to this org.
    Bind { org: u32, by: u64 },
    /// `/link CODE` from another platform adds that identity to this person.
    Link { person: u64 },
    /// A notice posted by mail whose sender was not proven: posted when the
    /// sender answers the bot's confirmation mail.
    ConfirmPost { person: u64, draft: crate::notice::Draft },
    /// A command mailed by a sender the mail system did not prove, run when
    /// the sender answers the bot's confirmation mail.
    ConfirmCommand { person: u64, text: String },
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct CodeRow {
    grant: Grant,
    expires_unix: u64,
}

pub fn now_unix() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

impl Tree {
    pub fn add_person(&self, name: &str) -> Result<Person> {
        let p = Person { id: self.store.next_id()?, name: name.trim().to_owned(), identities: vec![], preferred: None };
        self.put_person(&p)?;
        Ok(p)
    }

    fn put_person(&self, p: &Person) -> Result<()> {
        self.store.people.insert(keys::tagged(tag::PERSON, &p.id.to_be_bytes()), encode(p))?;
        Ok(())
    }

    pub fn person(&self, id: u64) -> Result<Option<Person>> {
        match self.store.people.get(keys::tagged(tag::PERSON, &id.to_be_bytes()))? {
            Some(v) => Ok(Some(decode(&v)?)),
            None => Ok(None),
        }
    }

    pub fn person_by_identity(&self, platform: Platform, user: &str) -> Result<Option<Person>> {
        match self.store.people.get(keys::tagged(tag::IDENTITY, &keys::identity(platform, user)))? {
            Some(id) => self.person(keys::read_u64(&id)),
            None => Ok(None),
        }
    }

    /// Adds an identity; each identity belongs to at most one person.
    pub fn add_identity(&self, person: u64, platform: Platform, user: &str) -> Result<Person> {
        let _g = self.lock();
        let user = user.trim();
        if user.is_empty() {
            return Err(Error::invalid("an identity needs a user id"));
        }
        let key = keys::tagged(tag::IDENTITY, &keys::identity(platform, user));
        if let Some(owner) = self.store.people.get(&key)? {
            let owner = keys::read_u64(&owner);
            if owner != person {
                return Err(Error::invalid(format!("{platform}:{user} already belongs to someone else")));
            }
        }
        let mut p = self.person(person)?.ok_or_else(|| Error::not_found(format!("no person #{person}")))?;
        let user = if platform == Platform::Email { user.to_lowercase() } else { user.to_owned() };
        if !p.identities.iter().any(|i| i.platform == platform && i.user == user) {
            p.identities.push(Identity { platform, user });
        }
        self.store.people.insert(key, &person.to_be_bytes())?;
        self.put_person(&p)?;
        Ok(p)
    }

    pub fn set_preferred(&self, person: u64, platform: Platform) -> Result<Person> {
        let mut p = self.person(person)?.ok_or_else(|| Error::not_found(format!("no person #{person}")))?;
        if !p.identities.iter().any(|i| i.platform == platform) {
            return Err(Error::invalid(format!("{} has no {platform} identity", p.name)));
        }
        p.preferred = Some(platform);
        self.put_person(&p)?;
        Ok(p)
    }

    pub fn grant(&self, person: u64, org: &Org, role: Role) -> Result<()> {
        if role == Role::Member && org.level as usize + 1 != self.levels.len() {
            return Err(Error::invalid(format!(
                "members belong to a {}; {} is a {}",
                self.levels.key(self.levels.len() as u8 - 1),
                org.code,
                self.levels.key(org.level)
            )));
        }
        let v = encode(&role);
        self.store.people.insert(keys::tagged(tag::ROLE_BY_PERSON, &keys::person_org(person, org.id)), v.clone())?;
        self.store.people.insert(keys::tagged(tag::ROLE_BY_ORG, &keys::org_person(org.id, person)), v)?;
        Ok(())
    }

    /// Every (org, role) the person holds.
    pub fn roles_of(&self, person: u64) -> Result<Vec<(Org, Role)>> {
        let prefix = keys::tagged(tag::ROLE_BY_PERSON, &person.to_be_bytes());
        let mut out = Vec::new();
        for kv in self.store.people.scan_prefix(&prefix) {
            let (k, v) = kv?;
            if let Some(org) = self.get(keys::read_u32(&k[prefix.len()..]))? {
                out.push((org, decode(&v)?));
            }
        }
        Ok(out)
    }

    /// People holding `role` at `org` itself.
    pub fn holders(&self, org: u32, role: Role) -> Result<Vec<Person>> {
        let prefix = keys::tagged(tag::ROLE_BY_ORG, &org.to_be_bytes());
        let mut out = Vec::new();
        for kv in self.store.people.scan_prefix(&prefix) {
            let (k, v) = kv?;
            if decode::<Role>(&v)? == role {
                if let Some(p) = self.person(keys::read_u64(&k[prefix.len()..]))? {
                    out.push(p);
                }
            }
        }
        Ok(out)
    }

    /// Officials of `org` or, if it has none, of the nearest ancestor that has.
    pub fn responsible_officials(&self, org: &Org) -> Result<Vec<Person>> {
        for id in org.path.iter().rev() {
            let found = self.holders(*id, Role::Official)?;
            if !found.is_empty() {
                return Ok(found);
            }
        }
        Ok(Vec::new())
    }

    /// Issues a one-time code valid for `ttl_secs`.
    pub fn issue_code(&self, grant: Grant, ttl_secs: u64) -> Result<String> {
        use rand::Rng;
        // No 0/O/1/I: codes are read aloud and typed on phones.
        const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
        let mut rng = rand::rng();
        loop {
            let code: String = (0..8).map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char).collect();
            let row = CodeRow { grant: grant.clone(), expires_unix: now_unix() + ttl_secs };
            let res = self.store.codes.compare_and_swap(code.as_bytes(), None as Option<&[u8]>, Some(encode(&row)))?;
            if res.is_ok() {
                return Ok(code);
            }
        }
    }

    /// Uses up a code: it works once, and not after it expires.
    pub fn redeem_code(&self, code: &str) -> Result<Grant> {
        self.redeem_code_if(code, |_| Ok(()))
    }

    /// Uses up a code only if `accept` approves its grant: an attempt it
    /// refuses leaves the code for its rightful user.
    pub fn redeem_code_if(&self, code: &str, accept: impl FnOnce(&Grant) -> Result<()>) -> Result<Grant> {
        let code = code.trim().to_uppercase();
        let used = || Error::invalid("that code is unknown or was already used");
        let Some(v) = self.store.codes.get(code.as_bytes())? else {
            return Err(used());
        };
        let row: CodeRow = decode(&v)?;
        if row.expires_unix < now_unix() {
            self.store.codes.remove(code.as_bytes())?;
            return Err(Error::invalid("that code has expired; ask for a new one"));
        }
        accept(&row.grant)?;
        // Once only, even if two attempts race.
        match self.store.codes.compare_and_swap(code.as_bytes(), Some(&v), None as Option<&[u8]>)? {
            Ok(()) => Ok(row.grant),
            Err(_) => Err(used()),
        }
    }
}
