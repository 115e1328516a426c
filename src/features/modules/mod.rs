//! `/modules`: each org's officials see and switch the optional modules
//! (功能模块) for their org, within what the orgs above allow; the national
//! org's officials set the default per level. The switches live in
//! `registry::modules`, which the gateway asks before a feature handles an
//! event; every change goes into the event log.

#[cfg(test)]
mod tests;

use std::sync::Arc;

use serde::Deserialize;
use treecast_wire::{ChatKind, Inbound};

use crate::admin::Reply;
use crate::catalogue::{msg, Msg};
use crate::context::Ctx;
use crate::error::{Error, Result};
use crate::events::{self, Event};
use crate::registry::modules::{self, Mode, Switch, Why};
use crate::registry::{CommandSpec, Cx, Declaration, Feature, Handled, Invocation, Who};
use crate::store::Writes;
use crate::tree::auth::Action;
use crate::tree::people::{Person, Role};
use crate::tree::Org;

fn acts(args: &[String]) -> bool {
    args.iter().any(|a| matches!(a.as_str(), "on" | "off" | "reset" | "default" | "开启" | "关闭" | "恢复" | "默认"))
}

const COMMANDS: &[CommandSpec] = &[CommandSpec {
    name: "modules",
    aliases: &["模块", "功能模块"],
    usage: "[@ORG] | on|off|reset MODULE [all] [@ORG] | default MODULE on|off LEVEL",
    help: "本组织的功能模块：查看、开启、关闭 / the org's modules: list, switch on or off",
    who: Who::Members,
    changes_state: acts,
}];

const OPS: &[&str] = &["modules.list", "modules.switch", "modules.default"];

/// The switchable modules: (feature name, Chinese name), from the features' declarations.
pub struct Modules {
    all: Vec<(&'static str, &'static str)>,
}

impl Modules {
    pub fn new(features: &[Arc<dyn Feature>]) -> Modules {
        let all = features.iter().map(|f| f.declare()).filter_map(|d| Some((d.name, d.module?))).collect();
        Modules { all }
    }

    /// The module called `word` (its Chinese or English name).
    fn find(&self, word: &str) -> Result<(&'static str, &'static str)> {
        let w = word.trim().trim_start_matches('「').trim_end_matches('」');
        self.all
            .iter()
            .copied()
            .find(|(n, l)| n.eq_ignore_ascii_case(w) || *l == w)
            .ok_or_else(|| Error::invalid(msg(Msg::ModulesUnknown, &[("name", &word), ("all", &self.names())])))
    }

    fn names(&self) -> String {
        self.all.iter().map(|(n, l)| format!("{l}（{n}）")).collect::<Vec<_>>().join("、")
    }

    /// Every module with its state for `org`, one a line.
    fn list(&self, cx: &Ctx, org: &Org) -> Result<String> {
        let mut out = vec![msg(Msg::ModulesHeader, &[("org", &org.name)])];
        for (name, label) in &self.all {
            let st = modules::state(&cx.tree, &cx.config.modules, org, name)?;
            let below = modules::switch(cx.store(), org.id, name)?.is_some_and(|s| s.mode == Mode::OffBelow);
            let why = match &st.why {
                Why::Default => {
                    let level = cx.tree.levels.get(org.level).map(|l| l.name.clone()).unwrap_or_default();
                    msg(Msg::ModulesWhyDefault, &[("level", &level)])
                }
                Why::Own if below => Msg::ModulesWhyBelow.text().to_owned(),
                Why::Own => Msg::ModulesWhyOwn.text().to_owned(),
                Why::Above(a) => msg(Msg::ModulesWhyAbove, &[("above", &a.name)]),
            };
            let line = if st.on { Msg::ModulesLineOn } else { Msg::ModulesLineOff };
            out.push(msg(line, &[("module", label), ("why", &why)]));
        }
        Ok(out.join("\n"))
    }

    /// Switches `module` for `org` (None: back to the default), logged.
    fn switch(&self, cx: &Ctx, org: &Org, module: &str, mode: Option<Mode>, by: Option<u64>) -> Result<String> {
        let (name, label) = self.find(module)?;
        // Turning on what an org above switched off below it changes nothing: say so.
        if mode == Some(Mode::On) {
            if let Why::Above(above) = modules::state(&cx.tree, &cx.config.modules, org, name)?.why {
                let v = [("module", &label as &dyn std::fmt::Display), ("org", &org.name), ("above", &above.name)];
                return Err(Error::denied(msg(Msg::ModuleOffAbove, &v)));
            }
        }
        let mut w = Writes::default();
        let s = mode.map(|mode| Switch { mode, by, at: cx.now() });
        modules::put_switch(&mut w, org.id, name, s.as_ref());
        let e = Event::ModuleSwitched { org: Some(org.id), level: None, module: name.into(), mode, by };
        events::emit(&mut w, cx.clock.now_ms(), &e);
        cx.store().commit(&w)?;
        let on = modules::state(&cx.tree, &cx.config.modules, org, name)?.on;
        let (zh, en) = if on { ("开启", "on") } else { ("关闭", "off") };
        Ok(msg(Msg::ModulesSwitched, &[("state", &zh), ("en", &en), ("org", &org.name), ("module", &label)]))
    }

    /// Sets the default of `module` at `level` (a level key or name).
    fn set_default(&self, cx: &Ctx, module: &str, level: &str, on: bool, by: Option<u64>) -> Result<String> {
        let (name, label) = self.find(module)?;
        let lv =
            cx.tree.levels.find(level).ok_or_else(|| Error::invalid(msg(Msg::NoSuchLevel, &[("level", &level)])))?;
        let mut w = Writes::default();
        modules::put_default(&mut w, lv, name, on);
        let mode = Some(if on { Mode::On } else { Mode::Off });
        let e = Event::ModuleSwitched { org: None, level: Some(lv), module: name.into(), mode, by };
        events::emit(&mut w, cx.clock.now_ms(), &e);
        cx.store().commit(&w)?;
        let level_name = cx.tree.levels.get(lv).map(|l| l.name.clone()).unwrap_or_default();
        let (zh, en) = if on { ("开启", "on") } else { ("关闭", "off") };
        Ok(msg(Msg::ModulesDefaultSet, &[("level", &level_name), ("module", &label), ("state", &zh), ("en", &en)]))
    }
}

/// The org a `/modules` acts on: `@CODE`, else the bound chat's, else the
/// sender's first org (an official's first).
fn org_for(cx: &Cx, ev: &Inbound, p: &Person, code: Option<&str>) -> Result<Org> {
    if let Some(code) = code {
        return cx.tree.require(code);
    }
    if ev.chat.kind != ChatKind::Direct {
        if let Some(ch) = cx.tree.channel_by_address(&ev.chat)? {
            return cx.tree.require_id(ch.org);
        }
    }
    let mut roles = cx.tree.roles_of(p.id)?;
    roles.sort_by_key(|(_, r)| *r != Role::Official);
    roles.into_iter().next().map(|(o, _)| o).ok_or_else(|| Error::denied(Msg::NotAnOfficial.text()))
}

impl Feature for Modules {
    fn declare(&self) -> Declaration {
        Declaration { name: "modules", commands: COMMANDS, admin: OPS, ..Declaration::default() }
    }

    /// A name in `[modules]` that no feature declares is a mistake in the config.
    fn start(&self, cx: &Ctx) -> Result<()> {
        for (name, _) in &cx.config.modules.defaults {
            if !self.all.iter().any(|(n, _)| n == name) {
                return Err(Error::invalid(msg(
                    Msg::ModulesUnknownInConfig,
                    &[("name", &name), ("all", &self.names())],
                )));
            }
        }
        Ok(())
    }

    fn command(&self, cx: &Cx, ev: &Inbound, inv: &Invocation) -> Result<Handled> {
        let p = cx.need_person(ev)?;
        let code = inv.args.iter().find_map(|a| a.strip_prefix('@').or_else(|| a.strip_prefix('＠')));
        let words: Vec<&str> =
            inv.args.iter().map(String::as_str).filter(|a| !a.starts_with('@') && !a.starts_with('＠')).collect();
        let usage = || Error::invalid(Msg::ModulesUsage.text());
        let text = match words.as_slice() {
            [] => self.list(cx, &org_for(cx, ev, &p, code)?)?,
            ["default" | "默认", module, state, level] => {
                let on = match *state {
                    "on" | "开启" => true,
                    "off" | "关闭" => false,
                    _ => return Err(usage()),
                };
                let national = cx.tree.roots()?;
                if !national.iter().any(|r| cx.tree.allowed(p.id, Action::SwitchModules, r).unwrap_or(false)) {
                    return Err(Error::denied(Msg::ModulesDefaultOnlyNational.text()));
                }
                self.set_default(cx, module, level, on, Some(p.id))?
            }
            [state, module, rest @ ..] => {
                let below = matches!(rest, ["all" | "下级" | "全部"]);
                if !(rest.is_empty() || below) {
                    return Err(usage());
                }
                let mode = match (*state, below) {
                    ("on" | "开启", _) => Some(Mode::On),
                    ("off" | "关闭", false) => Some(Mode::Off),
                    ("off" | "关闭", true) => Some(Mode::OffBelow),
                    ("reset" | "恢复", _) => None,
                    _ => return Err(usage()),
                };
                let org = org_for(cx, ev, &p, code)?;
                cx.tree.check(p.id, Action::SwitchModules, &org)?;
                self.switch(cx, &org, module, mode, Some(p.id))?
            }
            _ => return Err(usage()),
        };
        Ok(Handled::say(ev, text))
    }

    fn admin(&self, cx: &Ctx, op: &str, a: serde_json::Value) -> Result<Reply> {
        #[derive(Deserialize)]
        struct List {
            code: String,
        }
        #[derive(Deserialize)]
        struct Set {
            code: String,
            module: String,
            /// on, off, off-below, reset
            mode: String,
        }
        #[derive(Deserialize)]
        struct Default {
            module: String,
            level: String,
            on: bool,
        }
        let text = match op {
            "modules.list" => {
                let a: List = crate::admin::args(op, a)?;
                self.list(cx, &cx.tree.require(&a.code)?)?
            }
            "modules.switch" => {
                let a: Set = crate::admin::args(op, a)?;
                let mode = match a.mode.as_str() {
                    "on" => Some(Mode::On),
                    "off" => Some(Mode::Off),
                    "off-below" => Some(Mode::OffBelow),
                    "reset" => None,
                    _ => return Err(Error::invalid(Msg::ModulesUsage.text())),
                };
                self.switch(cx, &cx.tree.require(&a.code)?, &a.module, mode, None)?
            }
            _ => {
                let a: Default = crate::admin::args(op, a)?;
                self.set_default(cx, &a.module, &a.level, a.on, None)?
            }
        };
        Ok(Reply::text(text))
    }
}
