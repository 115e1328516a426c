//! What every feature, page and job gets: the tree and store, the clock,
//! the config, the outbox's waker and what each connected platform can do.
//! It sits below the registry, the web console and the features, which all
//! take it and none of which it names.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, RwLock};

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use treecast_wire::{Capabilities, Inbound, Platform};

use crate::catalogue::{msg, Msg};
use crate::clock::Clock;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::notice::NoticeRules;
use crate::outbox::Waker;
use crate::store::Store;
use crate::tree::people::{Person, Role};
use crate::tree::{Org, Tree};

/// What every feature may use: the tree and store, the clock, the config,
/// and what each connected platform can do.
#[derive(Clone)]
pub struct Ctx {
    pub tree: Tree,
    pub clock: Clock,
    pub config: Arc<Config>,
    /// Wakes the outbox after something was queued outside a gateway commit.
    pub waker: Waker,
    pub caps: Caps,
    /// How often sign-in links to the web console may be asked for.
    pub sign_in: Arc<SignInLimits>,
}

/// Each connected adapter's capabilities; a platform with no adapter gets
/// the plain-text default.
#[derive(Clone, Default)]
pub struct Caps(Arc<RwLock<HashMap<Platform, Capabilities>>>);

impl Caps {
    pub fn of(&self, p: Platform) -> Capabilities {
        self.0.read().unwrap_or_else(|e| e.into_inner()).get(&p).copied().unwrap_or_default()
    }

    /// The shortest message any connected platform takes whole (none if
    /// no adapter splits): what a message to every platform should fit.
    pub fn shortest_message(&self) -> Option<usize> {
        let all = self.0.read().unwrap_or_else(|e| e.into_inner());
        all.values().map(|c| c.max_message_chars).filter(|n| *n > 0).min()
    }

    pub fn set(&self, p: Platform, c: Capabilities) {
        self.0.write().unwrap_or_else(|e| e.into_inner()).insert(p, c);
    }

    /// Whether an adapter for `p` was started.
    pub fn connected(&self, p: Platform) -> bool {
        self.0.read().unwrap_or_else(|e| e.into_inner()).contains_key(&p)
    }
}

impl Ctx {
    pub fn store(&self) -> &Store {
        &self.tree.store
    }

    pub fn now(&self) -> u64 {
        self.clock.now()
    }

    /// Footer and attachment limits for notices.
    pub fn rules(&self) -> NoticeRules {
        self.config.notice_rules()
    }

    /// The registered person behind an event's sender.
    pub fn person(&self, ev: &Inbound) -> Result<Option<Person>> {
        self.tree.person_by_identity(ev.chat.platform, &ev.sender.id)
    }

    /// The sender as a registered person, or the sentence telling them how to become one.
    pub fn need_person(&self, ev: &Inbound) -> Result<Person> {
        self.person(ev)?.ok_or_else(unknown_person)
    }

    /// The org an official acts for: the one named, or their only one.
    pub fn official_org(&self, p: &Person, code: Option<&str>) -> Result<Org> {
        if let Some(code) = code {
            return self.tree.require(code);
        }
        let mut orgs: Vec<Org> =
            self.tree.roles_of(p.id)?.into_iter().filter(|(_, r)| *r == Role::Official).map(|(o, _)| o).collect();
        match orgs.len() {
            0 => Err(Error::denied(Msg::NotAnOfficial.text())),
            1 => Ok(orgs.remove(0)),
            _ => Err(Error::invalid(msg(
                Msg::SeveralOrgs,
                &[
                    ("codes", &orgs.iter().map(|o| o.code.as_str()).collect::<Vec<_>>().join(", ")),
                    ("first", &orgs[0].code),
                ],
            ))),
        }
    }
}

/// The answer to someone the bot does not know.
pub fn unknown_person() -> Error {
    Error::denied(Msg::UnknownPerson.text())
}

/// Link requests: three per identity per ten minutes, whether asked in
/// chat or on the sign-in page, and twenty sign-in attempts a minute from
/// one address (in memory: a restart forgets, which only lets a few more through).
pub struct SignInLimits {
    requests: DefaultKeyedRateLimiter<String>,
    addresses: DefaultKeyedRateLimiter<std::net::IpAddr>,
}

impl Default for SignInLimits {
    fn default() -> Self {
        let per_identity = Quota::with_period(std::time::Duration::from_secs(200))
            .expect("a non-zero period")
            .allow_burst(NonZeroU32::new(3).expect("non-zero"));
        SignInLimits {
            requests: RateLimiter::keyed(per_identity),
            addresses: RateLimiter::keyed(Quota::per_minute(NonZeroU32::new(20).expect("non-zero"))),
        }
    }
}

impl SignInLimits {
    pub fn may_request(&self, who: &str) -> bool {
        self.requests.check_key(&who.to_owned()).is_ok()
    }

    pub fn may_try_from(&self, ip: std::net::IpAddr) -> bool {
        self.addresses.check_key(&ip).is_ok()
    }
}
