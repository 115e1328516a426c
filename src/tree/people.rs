//! People, their identities on each platform, and their roles.

use treecast_wire::Platform;

use super::{Org, Tree};
use crate::catalogue::{msg, Msg};
use crate::error::{Error, Result};

pub use crate::store::people::{Identity, Person, Role};

impl Tree {
    pub fn add_person(&self, name: &str) -> Result<Person> {
        let p = Person { id: self.store.next_id()?, name: name.trim().to_owned(), identities: vec![], preferred: None };
        self.put_person(&p)?;
        Ok(p)
    }

    fn put_person(&self, p: &Person) -> Result<()> {
        self.store.put_person(p)
    }

    pub fn person(&self, id: u64) -> Result<Option<Person>> {
        self.store.person(id)
    }

    pub fn person_by_identity(&self, platform: Platform, user: &str) -> Result<Option<Person>> {
        match self.store.identity_owner(platform, user)? {
            Some(id) => self.person(id),
            None => Ok(None),
        }
    }

    /// Adds an identity; each identity belongs to at most one person.
    pub fn add_identity(&self, person: u64, platform: Platform, user: &str) -> Result<Person> {
        let _g = self.lock();
        let user = user.trim();
        if user.is_empty() {
            return Err(Error::invalid(Msg::IdentityNeedsUser.text()));
        }
        if let Some(owner) = self.store.identity_owner(platform, user)? {
            if owner != person {
                return Err(Error::invalid(msg(Msg::IdentityTaken, &[("identity", &format!("{platform}:{user}"))])));
            }
        }
        let mut p = self.person(person)?.ok_or_else(|| Error::not_found(msg(Msg::NoPerson, &[("id", &person)])))?;
        self.store.put_identity(platform, user, person)?;
        let user = if platform == Platform::Email { user.to_lowercase() } else { user.to_owned() };
        if !p.identities.iter().any(|i| i.platform == platform && i.user == user) {
            p.identities.push(Identity { platform, user });
        }
        self.put_person(&p)?;
        Ok(p)
    }

    pub fn set_preferred(&self, person: u64, platform: Platform) -> Result<Person> {
        let mut p = self.person(person)?.ok_or_else(|| Error::not_found(msg(Msg::NoPerson, &[("id", &person)])))?;
        if !p.identities.iter().any(|i| i.platform == platform) {
            return Err(Error::invalid(msg(Msg::NoIdentityOn, &[("name", &p.name), ("platform", &platform)])));
        }
        p.preferred = Some(platform);
        self.put_person(&p)?;
        Ok(p)
    }

    pub fn grant(&self, person: u64, org: &Org, role: Role) -> Result<()> {
        if role == Role::Member && org.level as usize + 1 != self.levels.len() {
            return Err(Error::invalid(msg(
                Msg::MembersBelongToLeaves,
                &[
                    ("leaf", &self.levels.key(self.levels.len() as u8 - 1)),
                    ("code", &org.code),
                    ("level", &self.levels.key(org.level)),
                ],
            )));
        }
        self.store.put_role(person, org.id, role)
    }

    /// Every (org, role) the person holds.
    pub fn roles_of(&self, person: u64) -> Result<Vec<(Org, Role)>> {
        let mut out = Vec::new();
        for (org, role) in self.store.role_orgs(person)? {
            if let Some(org) = self.get(org)? {
                out.push((org, role));
            }
        }
        Ok(out)
    }

    /// People holding `role` at `org` itself.
    pub fn holders(&self, org: u32, role: Role) -> Result<Vec<Person>> {
        let mut out = Vec::new();
        for (person, held) in self.store.role_holders(org)? {
            if held == role {
                if let Some(p) = self.person(person)? {
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
}

/// `platform:user`, e.g. `email:li@example.edu.cn` or `telegram:123456`.
pub fn parse_identity(s: &str) -> Result<(Platform, String)> {
    let (p, u) =
        s.split_once(':').ok_or_else(|| Error::invalid(msg(Msg::IdentityForm, &[("text", &format!("{s:?}"))])))?;
    Ok((platform(p)?, u.to_owned()))
}

pub fn platform(name: &str) -> Result<Platform> {
    Platform::parse(name).ok_or_else(|| Error::invalid(msg(Msg::NotAPlatform, &[("name", &format!("{name:?}"))])))
}

/// The person behind `platform:user`, or one sentence saying there is none.
pub fn person_by(tree: &Tree, identity: &str) -> Result<Person> {
    let (p, u) = parse_identity(identity)?;
    tree.person_by_identity(p, &u)?.ok_or_else(|| Error::not_found(msg(Msg::NoIdentity, &[("identity", &identity)])))
}
