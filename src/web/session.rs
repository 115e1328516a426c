//! Sign-in without passwords: a one-time link sent to a person's own
//! verified identity, then a session cookie. The store keeps only hashes of
//! link and session tokens, so a copy of the data dir signs no one in.
//! `/web logout all` moves the person's generation on: every session and
//! link made before it stops working.

use rand::RngCore;
use serde::{Deserialize, Serialize};

use crate::catalogue::Msg;
use crate::error::{Error, Result};
use crate::store::{decode_at, encode, Keyspace, Store, Writes};

/// hash(link token) -> Link
const LINKS: Keyspace = Keyspace::Named("web.links");
/// hash(session token) -> Session
const SESSIONS: Keyspace = Keyspace::Named("web.sessions");
/// person -> generation (u32)
const GENERATIONS: Keyspace = Keyspace::Named("web.generations");

/// Who a session or link is for: a person, or the operator (signed in
/// with the admin token).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Holder {
    Person(u64),
    Operator,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    pub person: u64,
    pub expires: u64,
    pub generation: u32,
    /// When it was used (it stays, so a second use is told apart from a wrong link).
    pub used: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    pub holder: Holder,
    pub created: u64,
    pub expires: u64,
    pub generation: u32,
    /// Every form's hidden `csrf` field (and htmx's header) must carry it.
    pub csrf: String,
}

/// 32 random bytes, URL-safe.
pub fn token() -> String {
    use base64::Engine;
    let mut b = [0u8; 32];
    rand::rng().fill_bytes(&mut b);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

fn key(token: &str) -> [u8; 32] {
    *blake3::hash(token.as_bytes()).as_bytes()
}

/// Compares two secrets in time that does not depend on where they differ.
pub fn same_secret(a: &str, b: &str) -> bool {
    blake3::hash(a.as_bytes()) == blake3::hash(b.as_bytes())
}

pub fn generation(store: &Store, person: u64) -> Result<u32> {
    let k = person.to_be_bytes();
    match store.tree(GENERATIONS)?.get(k)? {
        Some(v) => decode_at(GENERATIONS, &k, &v),
        None => Ok(0),
    }
}

/// A new one-time link for `person`, valid `ttl` seconds from `now`.
pub fn new_link(store: &Store, person: u64, now: u64, ttl: u64) -> Result<String> {
    let t = token();
    let link = Link { person, expires: now + ttl, generation: generation(store, person)?, used: None };
    let mut w = Writes::default();
    w.put(LINKS, key(&t), encode(&link));
    store.commit(&w)?;
    Ok(t)
}

/// What a link is, without using it (the page that asks to confirm).
pub fn peek_link(store: &Store, token: &str, now: u64) -> Result<Link> {
    let k = key(token);
    let Some(v) = store.tree(LINKS)?.get(k)? else { return Err(Error::denied(Msg::WebLinkUnknown.text())) };
    let link: Link = decode_at(LINKS, &k, &v)?;
    if link.used.is_some() {
        return Err(Error::denied(Msg::WebLinkUsed.text()));
    }
    if link.expires <= now {
        return Err(Error::denied(Msg::WebLinkExpired.text()));
    }
    if link.generation != generation(store, link.person)? {
        return Err(Error::denied(Msg::WebLinkRevoked.text()));
    }
    Ok(link)
}

/// Uses a link once (two tabs pressing at once: one wins) and opens a
/// session: its token for the cookie, and the session.
pub fn redeem_link(store: &Store, token: &str, now: u64, ttl: u64) -> Result<(String, Session)> {
    let k = key(token);
    let link = peek_link(store, token, now)?;
    let old = store.tree(LINKS)?.get(k)?;
    let mut w = Writes::default();
    w.put(LINKS, k, encode(&Link { used: Some(now), ..link.clone() }));
    let (sid, session) = session_writes(&mut w, Holder::Person(link.person), link.generation, now, ttl);
    if !store.commit_if(&w, LINKS, &k, old.as_deref())? {
        return Err(Error::denied(Msg::WebLinkUsed.text()));
    }
    Ok((sid, session))
}

/// A session for the operator, signed in with the admin token.
pub fn operator_session(store: &Store, now: u64, ttl: u64) -> Result<(String, Session)> {
    let mut w = Writes::default();
    let s = session_writes(&mut w, Holder::Operator, 0, now, ttl);
    store.commit(&w)?;
    Ok(s)
}

fn session_writes(w: &mut Writes, holder: Holder, generation: u32, now: u64, ttl: u64) -> (String, Session) {
    let sid = token();
    let session = Session { holder, created: now, expires: now + ttl, generation, csrf: token() };
    w.put(SESSIONS, key(&sid), encode(&session));
    (sid, session)
}

/// The live session behind a cookie's token, if any.
pub fn session(store: &Store, sid: &str, now: u64) -> Result<Option<Session>> {
    let k = key(sid);
    let Some(v) = store.tree(SESSIONS)?.get(k)? else { return Ok(None) };
    let s: Session = decode_at(SESSIONS, &k, &v)?;
    let current = match s.holder {
        Holder::Person(p) => generation(store, p)?,
        Holder::Operator => 0,
    };
    Ok((s.expires > now && s.generation == current).then_some(s))
}

pub fn end_session(store: &Store, sid: &str) -> Result<()> {
    let mut w = Writes::default();
    w.remove(SESSIONS, key(sid));
    store.commit(&w)
}

/// `/web logout all`: every session and unused link of `person` ends.
pub fn end_all(store: &Store, person: u64) -> Result<u32> {
    let next = generation(store, person)? + 1;
    let mut w = Writes::default();
    w.put(GENERATIONS, person.to_be_bytes(), encode(&next));
    store.commit(&w)?;
    Ok(next)
}

/// Removes links and sessions past their time (the daily `web.prune` job).
pub fn prune(store: &Store, now: u64, w: &mut Writes) -> Result<usize> {
    let mut n = 0;
    for kv in store.tree(LINKS)?.iter() {
        let (k, v) = kv?;
        let l: Link = decode_at(LINKS, &k, &v)?;
        if l.expires <= now {
            w.remove(LINKS, &k);
            n += 1;
        }
    }
    for kv in store.tree(SESSIONS)?.iter() {
        let (k, v) = kv?;
        let s: Session = decode_at(SESSIONS, &k, &v)?;
        if s.expires <= now {
            w.remove(SESSIONS, &k);
            n += 1;
        }
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(dir.path()).unwrap();
        (dir, s)
    }

    #[test]
    fn a_link_works_once_and_not_after_its_time() {
        let (_d, s) = store();
        let t = new_link(&s, 7, 1000, 60).unwrap();
        assert!(peek_link(&s, &t, 1001).is_ok());
        let e = peek_link(&s, &t, 1060).unwrap_err().to_string();
        assert_eq!(e, Msg::WebLinkExpired.text());
        let (sid, sess) = redeem_link(&s, &t, 1010, 3600).unwrap();
        assert_eq!(sess.holder, Holder::Person(7));
        assert_eq!(session(&s, &sid, 1011).unwrap(), Some(sess.clone()));
        assert_eq!(redeem_link(&s, &t, 1011, 3600).unwrap_err().to_string(), Msg::WebLinkUsed.text());
        assert_eq!(peek_link(&s, "nope", 1011).unwrap_err().to_string(), Msg::WebLinkUnknown.text());
        // The session ends at its time.
        assert_eq!(session(&s, &sid, 1010 + 3600).unwrap(), None);
    }

    #[test]
    fn logout_all_ends_sessions_and_unused_links() {
        let (_d, s) = store();
        let t1 = new_link(&s, 7, 1000, 600).unwrap();
        let t2 = new_link(&s, 7, 1000, 600).unwrap();
        let other = new_link(&s, 8, 1000, 600).unwrap();
        let (sid, _) = redeem_link(&s, &t1, 1001, 3600).unwrap();
        let (sid8, _) = redeem_link(&s, &other, 1001, 3600).unwrap();
        end_all(&s, 7).unwrap();
        assert_eq!(session(&s, &sid, 1002).unwrap(), None);
        assert_eq!(peek_link(&s, &t2, 1002).unwrap_err().to_string(), Msg::WebLinkRevoked.text());
        assert!(session(&s, &sid8, 1002).unwrap().is_some(), "another person's session lives on");
        // A new link after it works.
        let t3 = new_link(&s, 7, 1003, 600).unwrap();
        let (sid3, _) = redeem_link(&s, &t3, 1004, 3600).unwrap();
        assert!(session(&s, &sid3, 1005).unwrap().is_some());
    }

    #[test]
    fn prune_removes_only_what_is_past() {
        let (_d, s) = store();
        new_link(&s, 7, 1000, 60).unwrap();
        let live = new_link(&s, 7, 1000, 6000).unwrap();
        let mut w = Writes::default();
        assert_eq!(prune(&s, 2000, &mut w).unwrap(), 1);
        s.commit(&w).unwrap();
        assert!(peek_link(&s, &live, 2001).is_ok());
    }

    #[test]
    fn requests_are_limited_per_identity() {
        let l = crate::context::SignInLimits::default();
        let who = "email:a@example.org";
        assert!((0..3).all(|_| l.may_request(who)));
        assert!(!l.may_request(who));
        assert!(l.may_request("email:b@example.org"));
        let ip = std::net::IpAddr::from([127, 0, 0, 1]);
        assert!((0..20).all(|_| l.may_try_from(ip)));
        assert!(!l.may_try_from(ip));
    }
}
