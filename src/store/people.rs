//! The `people` keyspace: people, their platform identities, and roles indexed by person and by org.

use treecast_wire::Platform;

use super::codec::{decode_at, encode};
use super::keys::{key_u32, key_u64, platform_byte, tagged, val_u64};
use super::{Keyspace, Store};
use serde::{Deserialize, Serialize};

use crate::error::Result;

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
    /// Where a private message to this person goes.
    pub fn private_address(&self) -> Option<treecast_wire::Address> {
        self.preferred_identity().map(|i| treecast_wire::Address::direct(i.platform, i.user.clone()))
    }

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

const KS: Keyspace = Keyspace::People;

/// person id -> Person
const PERSON: u8 = b'p';
/// platform ++ user id -> person id
const IDENTITY: u8 = b'i';
/// person id ++ org id -> Role
pub(super) const ROLE_BY_PERSON: u8 = b'r';
/// org id ++ person id -> Role
pub(super) const ROLE_BY_ORG: u8 = b'o';
/// person id ++ org id -> () for officials only: the daily digest walks
/// officials without reading every member's role (version 3).
pub(super) const OFFICIAL: u8 = b'f';

pub(super) fn person_key(id: u64) -> Vec<u8> {
    tagged(PERSON, &id.to_be_bytes())
}

/// Platform and the user id as the platform spells it (email addresses
/// are compared lowercased).
pub(super) fn identity_key(platform: Platform, user: &str) -> Vec<u8> {
    let mut k = vec![IDENTITY, platform_byte(platform)];
    if platform == Platform::Email {
        k.extend_from_slice(user.trim().to_lowercase().as_bytes());
    } else {
        k.extend_from_slice(user.trim().as_bytes());
    }
    k
}

pub(super) fn role_keys(person: u64, org: u32) -> (Vec<u8>, Vec<u8>) {
    let by_person = tagged(ROLE_BY_PERSON, &[&person.to_be_bytes()[..], &org.to_be_bytes()].concat());
    let by_org = tagged(ROLE_BY_ORG, &[&org.to_be_bytes()[..], &person.to_be_bytes()].concat());
    (by_person, by_org)
}

pub(super) fn official_key(person: u64, org: u32) -> Vec<u8> {
    tagged(OFFICIAL, &[&person.to_be_bytes()[..], &org.to_be_bytes()].concat())
}

impl Store {
    /// The person with id `id`.
    pub fn person(&self, id: u64) -> Result<Option<Person>> {
        let key = person_key(id);
        match self.people.get(&key)? {
            Some(v) => Ok(Some(decode_at(KS, &key, &v)?)),
            None => Ok(None),
        }
    }

    /// Writes `p`'s record.
    pub fn put_person(&self, p: &Person) -> Result<()> {
        self.people.insert(person_key(p.id), encode(p))?;
        Ok(())
    }

    /// The id of the person who owns an identity.
    pub fn identity_owner(&self, platform: Platform, user: &str) -> Result<Option<u64>> {
        let key = identity_key(platform, user);
        self.people.get(&key)?.map(|v| val_u64(KS, &key, &v)).transpose()
    }

    /// Forgets `p` (`/forget`): their identities no longer match anyone,
    /// and their record keeps its id (acknowledgements and roles count on)
    /// without a name or an account.
    pub fn forget_person(&self, p: &Person, w: &mut super::Writes) {
        for i in &p.identities {
            w.remove(KS, identity_key(i.platform, &i.user));
        }
        let gone = Person { id: p.id, name: String::new(), identities: Vec::new(), preferred: None };
        w.put(KS, person_key(p.id), encode(&gone));
    }

    /// Records that an identity belongs to `person`.
    pub fn put_identity(&self, platform: Platform, user: &str, person: u64) -> Result<()> {
        self.people.insert(identity_key(platform, user), &person.to_be_bytes())?;
        Ok(())
    }

    /// Gives `person` `role` at `org` (both indexes in one batch).
    pub fn put_role(&self, person: u64, org: u32, role: Role) -> Result<()> {
        let (by_person, by_org) = role_keys(person, org);
        let v = encode(&role);
        // Two plain inserts, by-person first: a batch costs sled several
        // times more, and a crash between them leaves a role that
        // `roles_of` shows and a re-grant completes.
        self.people.insert(by_person, v.clone())?;
        self.people.insert(by_org, v)?;
        let official = official_key(person, org);
        match role {
            Role::Official => self.people.insert(official, &[])?,
            Role::Member => self.people.remove(official)?,
        };
        Ok(())
    }

    /// Every official as (person id, org id), in person order.
    pub fn officials(&self) -> impl Iterator<Item = Result<(u64, u32)>> + '_ {
        self.people.scan_prefix([OFFICIAL]).map(|kv| {
            let (k, _) = kv?;
            Ok((key_u64(KS, &k[..k.len().min(9)], 1)?, key_u32(KS, &k, 9)?))
        })
    }

    /// Every (org id, role) `person` holds, in org id order.
    pub fn role_orgs(&self, person: u64) -> Result<Vec<(u32, Role)>> {
        let prefix = tagged(ROLE_BY_PERSON, &person.to_be_bytes());
        let mut out = Vec::new();
        for kv in self.people.scan_prefix(&prefix) {
            let (k, v) = kv?;
            out.push((key_u32(KS, &k, prefix.len())?, decode_at(KS, &k, &v)?));
        }
        Ok(out)
    }

    /// How many members (officials not counted) each org has itself.
    pub fn member_counts(&self) -> Result<std::collections::HashMap<u32, u32>> {
        let mut out = std::collections::HashMap::new();
        for kv in self.people.scan_prefix([ROLE_BY_ORG]) {
            let (k, v) = kv?;
            if decode_at::<Role>(KS, &k, &v)? == Role::Member {
                *out.entry(super::keys::read_u32_at(&k, 1, "people/roles by org")?).or_insert(0) += 1;
            }
        }
        Ok(out)
    }

    /// Every (person id, role) held at `org` itself, in person id order.
    pub fn role_holders(&self, org: u32) -> Result<Vec<(u64, Role)>> {
        let prefix = tagged(ROLE_BY_ORG, &org.to_be_bytes());
        let mut out = Vec::new();
        for kv in self.people.scan_prefix(&prefix) {
            let (k, v) = kv?;
            out.push((key_u64(KS, &k, prefix.len())?, decode_at(KS, &k, &v)?));
        }
        Ok(out)
    }
}
