//! Modules per org (功能模块，各级团组织根据需要选择组合): a feature that
//! declares a module name may be switched on or off per org. Whether it is
//! on for an org: off if an org above switched it off for its whole subtree;
//! else the org's own switch; else the default for the org's level (the
//! national org's officials may change it; `[modules]` in the config sets it;
//! on when neither does). The gateway asks before a feature handles an event.

use serde::{Deserialize, Serialize};

use crate::catalogue::{msg, Msg};
use crate::config::modules::Settings;
use crate::error::Result;
pub use crate::events::Mode;
use crate::store::{decode_at, encode, Keyspace, Store, Writes};
use crate::tree::{Org, Tree};

/// `s` ++ org ++ module -> Switch; `d` ++ level ++ module -> bool (a default
/// set by the national org's officials).
const KS: Keyspace = Keyspace::Named("modules");

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Switch {
    pub mode: Mode,
    /// The official who switched it (None: the operator).
    pub by: Option<u64>,
    pub at: u64,
}

fn switch_key(org: u32, module: &str) -> Vec<u8> {
    [&b"s"[..], &org.to_be_bytes(), module.as_bytes()].concat()
}

fn default_key(level: u8, module: &str) -> Vec<u8> {
    [&b"d"[..], &[level], module.as_bytes()].concat()
}

pub fn switch(store: &Store, org: u32, module: &str) -> Result<Option<Switch>> {
    let k = switch_key(org, module);
    match store.tree(KS)?.get(&k)? {
        Some(v) => Ok(Some(decode_at(KS, &k, &v)?)),
        None => Ok(None),
    }
}

pub fn put_switch(w: &mut Writes, org: u32, module: &str, s: Option<&Switch>) {
    match s {
        Some(s) => w.put(KS, switch_key(org, module), encode(s)),
        None => w.remove(KS, switch_key(org, module)),
    }
}

pub fn put_default(w: &mut Writes, level: u8, module: &str, on: bool) {
    w.put(KS, default_key(level, module), encode(&on));
}

fn stored_default(store: &Store, level: u8, module: &str) -> Result<Option<bool>> {
    let k = default_key(level, module);
    match store.tree(KS)?.get(&k)? {
        Some(v) => Ok(Some(decode_at(KS, &k, &v)?)),
        None => Ok(None),
    }
}

/// Why a module is on or off for an org.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Why {
    /// The default for the org's level.
    Default,
    /// The org's own switch.
    Own,
    /// Switched off for its subtree by this org above.
    Above(Org),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct State {
    pub on: bool,
    pub why: Why,
}

/// Whether `module` is on for `org`, and why.
pub fn state(tree: &Tree, cfg: &Settings, org: &Org, module: &str) -> Result<State> {
    for above in tree.ancestors(org)? {
        if switch(&tree.store, above.id, module)?.is_some_and(|s| s.mode == Mode::OffBelow) {
            return Ok(State { on: false, why: Why::Above(above) });
        }
    }
    if let Some(s) = switch(&tree.store, org.id, module)? {
        return Ok(State { on: s.mode == Mode::On, why: Why::Own });
    }
    let on = match stored_default(&tree.store, org.level, module)? {
        Some(on) => on,
        None => cfg.default_at(module, org.level).unwrap_or(true),
    };
    Ok(State { on, why: Why::Default })
}

/// None if `feature` (a module named `label`, e.g. 排行榜) is on for `org`;
/// otherwise the sentence saying it is off and who can turn it on.
pub fn refusal(tree: &Tree, cfg: &Settings, org: &Org, feature: &str, label: &str) -> Result<Option<String>> {
    let st = state(tree, cfg, org, feature)?;
    if st.on {
        return Ok(None);
    }
    Ok(Some(match st.why {
        Why::Above(above) => {
            msg(Msg::ModuleOffAbove, &[("module", &label), ("org", &org.name), ("above", &above.name)])
        }
        _ => msg(Msg::ModuleOff, &[("module", &label), ("org", &org.name)]),
    }))
}
