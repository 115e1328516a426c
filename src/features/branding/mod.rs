//! Unified branding of bound chats (统一团徽标识和形象口号): when a chat is
//! bound, and on `/brand` or `treecast org brand --under CODE`, each group
//! and room gets the League emblem as its picture and, as its description,
//! the org's full name, its level and the slogan. It goes through the outbox
//! (`OutboundKind::Brand`) under each platform's limits; where the bot lacks
//! the right, the org's officials are told exactly which right to grant.

#[cfg(test)]
mod tests;

use std::sync::Arc;

use serde::Deserialize;
use treecast_wire::{Attachment, ChatKind, Inbound, Outbound, OutboundKind};

use crate::admin::Reply;
use crate::catalogue::{msg, Msg};
use crate::context::Ctx;
use crate::error::{Error, Result};
use crate::events::{Act, Actor, Event, Record};
use crate::outbox::queue::{self, Fallback, Queued};
use crate::registry::{split_at_org, CommandSpec, Cx, Declaration, Feature, Handled, Invocation, Subscriber, Who};
use crate::store::Writes;
use crate::tree::auth::Action;
use crate::tree::channels::Channel;
use crate::tree::people::Role;
use crate::tree::Org;

pub use crate::config::branding::Settings;

/// The emblem shipped with treecast (`scripts/draw-emblem.py` draws it).
const EMBLEM: &[u8] = include_bytes!("../../../config/emblem.png");

const COMMANDS: &[CommandSpec] = &[CommandSpec {
    name: "brand",
    aliases: &["团徽", "统一形象"],
    usage: "[@ORG]",
    help: "为本组织的群和房间设置团徽头像和口号简介 / set the emblem and slogan on the org's chats",
    who: Who::Officials,
    changes_state: crate::registry::always,
}];

pub struct Branding {
    emblem: std::sync::OnceLock<Arc<[Attachment]>>,
}

impl Branding {
    pub fn new() -> Branding {
        Branding { emblem: std::sync::OnceLock::new() }
    }

    /// The emblem as the one attachment of a `Brand` message.
    fn emblem(&self, cx: &Ctx) -> Result<Arc<[Attachment]>> {
        if let Some(e) = self.emblem.get() {
            return Ok(e.clone());
        }
        let (name, data) = match &cx.config.branding.emblem {
            Some(p) => {
                let data = std::fs::read(p).map_err(|e| {
                    Error::invalid(msg(Msg::BrandingEmblemUnreadable, &[("path", &p.display()), ("error", &e)]))
                })?;
                if !data.starts_with(b"\x89PNG") {
                    return Err(Error::invalid(msg(Msg::BrandingEmblemNotPng, &[("path", &p.display())])));
                }
                (p.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default(), data)
            }
            None => ("emblem.png".to_owned(), EMBLEM.to_vec()),
        };
        let one: Arc<[Attachment]> = vec![Attachment { name, content_type: "image/png".into(), data }].into();
        Ok(self.emblem.get_or_init(|| one).clone())
    }

    /// Queues the emblem and description for `ch`, if its platform can take
    /// them; a missing right is told to the org's first official.
    fn brand(&self, cx: &Ctx, w: &mut Writes, ch: &Channel, key: &str) -> Result<bool> {
        if ch.address.kind != ChatKind::Group || !ch.alive || !cx.caps.of(ch.address.platform).branding {
            return Ok(false);
        }
        let Some(org) = cx.tree.get(ch.org)? else { return Ok(false) };
        let mut m = Outbound::reply(format!("brand{}-{key}", ch.id), ch.address.clone(), description(cx, &org)?);
        m.kind = OutboundKind::Brand;
        m.via = ch.account.clone();
        m.attachments = self.emblem(cx)?;
        let mut q = Queued::new(m);
        let official = cx.tree.holders(org.id, Role::Official)?.into_iter().find_map(|p| p.private_address());
        if let Some(to) = official {
            let chat = format!("{}:{}", ch.address.platform, ch.address.id);
            // `{reason}` stays for the outbox: the adapter's words for the missing right.
            let body = msg(Msg::BrandingNeedsRight, &[("chat", &chat), ("org", &org.name), ("reason", &"{reason}")]);
            q = q.with_fallback(Fallback { to, in_reply_to: None, body, tell: None });
        }
        queue::put(cx.store(), w, &q)?;
        Ok(true)
    }

    /// Brands every bound chat of `org` (with `subtree`, of every org below
    /// it too); returns how many were queued.
    fn brand_all(&self, cx: &Ctx, org: &Org, subtree: bool) -> Result<usize> {
        let chats: Vec<Channel> = if subtree {
            cx.tree.channels_in(org)?.into_iter().map(|(_, c)| c).collect()
        } else {
            cx.tree.channels_of(org)?
        };
        let key = crate::msgref::nonce();
        let mut w = Writes::default();
        let mut n = 0;
        for ch in &chats {
            n += usize::from(self.brand(cx, &mut w, ch, &key)?);
        }
        cx.store().commit(&w)?;
        cx.waker.wake();
        Ok(n)
    }
}

impl Default for Branding {
    fn default() -> Self {
        Branding::new()
    }
}

/// `湖南大学团委 · 计算机…团支部（团支部）` and the slogan: the org's names
/// below the national level, its level, then the footer every notice carries.
fn description(cx: &Ctx, org: &Org) -> Result<String> {
    let mut names: Vec<String> = cx.tree.ancestors(org)?.into_iter().skip(1).map(|o| o.name).collect();
    names.push(org.name.clone());
    let level = cx.tree.levels.get(org.level).map(|l| l.name.clone()).unwrap_or_default();
    // Names and the slogan, no sentence: the same in either language.
    Ok(format!("{}（{level}）\n{}", names.join(" · "), cx.config.footer))
}

impl Feature for Branding {
    fn declare(&self) -> Declaration {
        Declaration { name: "branding", commands: COMMANDS, admin: &["org.brand"], ..Declaration::default() }
    }

    /// A replaced emblem that cannot be read stops the start with one sentence.
    fn start(&self, cx: &Ctx) -> Result<()> {
        self.emblem(cx).map(|_| ())
    }

    fn command(&self, cx: &Cx, ev: &Inbound, inv: &Invocation) -> Result<Handled> {
        let p = cx.need_person(ev)?;
        let (code, _) = split_at_org(&inv.args);
        let org = match (code, cx.tree.channel_by_address(&ev.chat)?) {
            (None, Some(ch)) if ev.chat.kind != ChatKind::Direct => cx.tree.require_id(ch.org)?,
            _ => cx.official_org(&p, code)?,
        };
        cx.tree.check(p.id, Action::BindChannel, &org)?;
        let n = self.brand_all(cx, &org, false)?;
        Ok(Handled::say(ev, msg(Msg::BrandingQueued, &[("n", &n), ("org", &org.name)])))
    }

    fn admin(&self, cx: &Ctx, op: &str, a: serde_json::Value) -> Result<Reply> {
        #[derive(Deserialize)]
        struct Under {
            under: String,
        }
        let a: Under = crate::admin::args(op, a)?;
        let org = cx.tree.require(&a.under)?;
        let n = self.brand_all(cx, &org, true)?;
        Ok(Reply::text(msg(Msg::BrandingQueued, &[("n", &n), ("org", &org.name)])))
    }

    fn subscribers(&self) -> Vec<Arc<dyn Subscriber>> {
        vec![Arc::new(OnBind)]
    }
}

/// Brands each chat as a person binds it (`/bind` with a code), from the
/// event log, so a bind is branded once, after a restart too. The
/// operator's bulk binds (imports, `bind-console`) are branded with
/// `treecast org brand --under CODE` when wanted.
struct OnBind;

impl Subscriber for OnBind {
    fn name(&self) -> &'static str {
        "branding.bound"
    }

    fn handle(&self, cx: &Ctx, events: &[Record]) -> Result<Writes> {
        let mut w = Writes::default();
        let b = Branding::new();
        for r in events {
            let Event::Acted { by, act: Act::Bound { channel }, .. } = &r.event else { continue };
            if matches!(by, Actor::Operator) {
                continue;
            }
            if let Some(ch) = cx.tree.channel(*channel)? {
                b.brand(cx, &mut w, &ch, &format!("e{}", r.seq))?;
            }
        }
        if !w.is_empty() {
            cx.waker.wake();
        }
        Ok(w)
    }
}
