//! Bridging one org's chats (相互捆绑、信息共享): once an official turns it on
//! (`/bridge on`), a message in one of the org's bound groups, rooms or
//! mailing lists appears in the others as `[李明 · Telegram] 内容`. Replies,
//! edits and deletions follow through a persisted message map; a message
//! offered again after a restart is carried once; the bot's own messages
//! (copies, notices) and commands are never carried. See `docs/bridge.md`.

mod relay;
pub mod store;

#[cfg(test)]
mod tests;

use treecast_wire::{ChatKind, Inbound};

use crate::catalogue::{msg, Msg};
use crate::context::Ctx;
use crate::error::{Error, Result};
use crate::events::{self, Event};
use crate::msgref::MsgRef;
use crate::registry::{split_at_org, CommandSpec, Cx, Declaration, Feature, Handled, Invocation, Who};
use crate::schedule::Job;
use crate::store::Writes;
use crate::tree::auth::Action;
use crate::tree::reads::Read;
use crate::tree::Org;

/// The name copies' replies come back under (`MsgRef::Owned`).
const FEATURE: &str = "bridge";
/// Sends what was held back for one chat as one message.
const FLUSH_JOB: &str = "bridge.flush";

fn acts(args: &[String]) -> bool {
    matches!(org_and_verb(args).1, Some("on" | "off" | "开启" | "关闭"))
}

/// The org named (`@CODE`, before the verb or after it, as the usage
/// writes it: `/bridge on @CODE`) and the verb.
fn org_and_verb(args: &[String]) -> (Option<&str>, Option<&str>) {
    let (code, rest) = split_at_org(args);
    let verb = rest.first().map(String::as_str);
    match code {
        Some(_) => (code, verb),
        None => (split_at_org(rest.get(1..).unwrap_or_default()).0, verb),
    }
}

const COMMANDS: &[CommandSpec] = &[CommandSpec {
    name: "bridge",
    aliases: &["互通", "桥接"],
    usage: "on|off|status [@ORG]",
    help: "本组织各群（Telegram、Matrix、邮件列表）消息互通 / share messages among the org's chats",
    who: Who::Officials,
    changes_state: acts,
}];

pub struct Bridge;

impl Feature for Bridge {
    fn declare(&self) -> Declaration {
        Declaration {
            name: FEATURE,
            commands: COMMANDS,
            mail_tags: &["bridge"],
            replies: &[FEATURE],
            jobs: &[FLUSH_JOB],
            module: Some("互通"),
            ..Declaration::default()
        }
    }

    fn command(&self, cx: &Cx, ev: &Inbound, inv: &Invocation) -> Result<Handled> {
        let p = cx.need_person(ev)?;
        let (code, verb) = org_and_verb(&inv.args);
        let org = match code {
            Some(_) => cx.official_org(&p, code)?,
            None => match cx.tree.channel_by_address(&ev.chat)? {
                Some(ch) if ev.chat.kind != ChatKind::Direct => cx.tree.require_id(ch.org)?,
                _ => cx.official_org(&p, None)?,
            },
        };
        let on = match verb {
            None | Some("status" | "状态") => {
                cx.tree.check_read(Some(p.id), Read::Channels, &org)?;
                return Ok(Handled::say(ev, status(cx, &org)?));
            }
            Some("on" | "开启") => true,
            Some("off" | "关闭") => false,
            Some(_) => return Err(Error::invalid(Msg::BridgeUsage.text())),
        };
        cx.tree.check(p.id, Action::Bridge, &org)?;
        let mut w = Writes::default();
        let now = cx.now();
        store::put_switch(&mut w, org.id, &store::Switch { on, by: p.id, at: now });
        events::emit(&mut w, cx.clock.now_ms(), &Event::BridgeSwitched { org: org.id, on, by: p.id });
        cx.store().commit(&w)?;
        Ok(Handled::say(ev, status(cx, &org)?))
    }

    /// A message in a bound group or room.
    fn group_message(&self, cx: &Cx, ev: &Inbound) -> Result<Handled> {
        let Some(ch) = cx.tree.channel_by_address(&ev.chat)? else { return Ok(Handled::none()) };
        let reply_to = match &ev.in_reply_to {
            Some(m) => store::seen(cx.store(), ev.chat.platform, &ev.chat.id, m)?,
            None => None,
        };
        relay::carry(cx, ev, &ch, reply_to)
    }

    /// A reply to a copy: in a group or room, or by mail to a list's copy.
    fn reply(&self, cx: &Cx, ev: &Inbound, to: MsgRef) -> Result<Handled> {
        let MsgRef::Owned { data, .. } = to else { return Ok(Handled::none()) };
        let Some((id, channel)) = relay::parse_copy(&data) else { return Ok(Handled::none()) };
        let from = match ev.chat.kind {
            // A reply by mail to a list's copy: only from a verified member of that list.
            ChatKind::Direct => match list_of(cx, ev, channel)? {
                Some(ch) => Some(ch),
                None => return Err(Error::denied(Msg::BridgeNotListMember.text())),
            },
            _ => cx.tree.channel_by_address(&ev.chat)?,
        };
        match from {
            Some(ch) => relay::carry(cx, ev, &ch, Some(id)),
            None => Ok(Handled::none()),
        }
    }

    /// A mail to `bridge+CHANNEL@…`: a list member writing to the chats.
    fn mail(&self, cx: &Cx, ev: &Inbound, _tag: &str, arg: &str) -> Result<Handled> {
        let channel: u64 = arg.parse().map_err(|_| Error::invalid(Msg::BridgeNotListMember.text()))?;
        match list_of(cx, ev, channel)? {
            Some(ch) => relay::carry(cx, ev, &ch, None),
            None => Err(Error::denied(Msg::BridgeNotListMember.text())),
        }
    }

    fn message_changed(&self, cx: &Cx, ev: &Inbound) -> Result<Handled> {
        match cx.tree.channel_by_address(&ev.chat)? {
            Some(ch) if store::is_on(cx.store(), ch.org)? => relay::changed(cx, ev, &ch),
            _ => Ok(Handled::none()),
        }
    }

    fn run_job(&self, cx: &Ctx, job: &Job) -> Result<Writes> {
        relay::flush(cx, crate::store::keys::read_u64_at(&job.payload, 0, &job.key)?)
    }
}

/// Channel `id`, if it is a mailing list with the mail's sender on it.
fn list_of(cx: &Ctx, ev: &Inbound, id: u64) -> Result<Option<crate::tree::channels::Channel>> {
    let Some(ch) = cx.tree.channel(id)? else { return Ok(None) };
    let member = ch.address.members.iter().any(|m| m.eq_ignore_ascii_case(ev.sender.id.trim()));
    Ok((ch.address.kind == ChatKind::List && ev.sender.verified && member).then_some(ch))
}

/// Whether the org bridges, and the chats that take part.
fn status(cx: &Ctx, org: &Org) -> Result<String> {
    let on = store::is_on(cx.store(), org.id)?;
    let chats: Vec<String> = relay::members(cx, org.id)?
        .iter()
        .map(|c| match c.address.kind {
            ChatKind::List => format!("#{} email:list:{}", c.id, c.address.id),
            _ => format!("#{} {}:{}", c.id, c.address.platform, c.address.id),
        })
        .collect();
    let m = if on { Msg::BridgeOn } else { Msg::BridgeOff };
    let mut out = msg(m, &[("code", &org.code), ("name", &org.name), ("n", &chats.len())]);
    if !chats.is_empty() {
        out.push('\n');
        out.push_str(&chats.join("\n"));
    }
    if on && chats.len() < 2 {
        out.push('\n');
        out.push_str(Msg::BridgeTooFew.text());
    }
    Ok(out)
}

#[test]
fn the_org_is_named_before_or_after_the_verb() {
    let args = |s: &str| s.split_whitespace().map(str::to_owned).collect::<Vec<_>>();
    for (line, want) in [
        ("on @4143010532-001", (Some("4143010532-001"), Some("on"))),
        ("@4143010532-001 on", (Some("4143010532-001"), Some("on"))),
        ("开启 ＠4143010532-001", (Some("4143010532-001"), Some("开启"))),
        ("@43", (Some("43"), None)),
        ("status", (None, Some("status"))),
        ("", (None, None)),
    ] {
        assert_eq!(org_and_verb(&args(line)), want, "{line:?}");
    }
    assert!(acts(&args("off @43")) && !acts(&args("status @43")));
}
