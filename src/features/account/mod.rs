//! Accounts and chats: /help, /start, /whoami, /link, /invite, /bind, /tree,
//! mail confirmations, and what happens when the bot is removed from a chat
//! or the chat moves.

mod binding;

use treecast_wire::{Inbound, InboundKind};

use crate::catalogue::{msg, Msg};
use crate::codes::Grant;
use crate::error::{Error, Result};
use crate::msgref::MsgRef;
use crate::registry::{always, never, CommandSpec, Cx, Declaration, Feature, Handled, Invocation, Who};
use crate::tree::people::{Person, Role};

pub struct Account;

const COMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "help",
        aliases: &["帮助", "h"],
        usage: "",
        help: "查看命令 / list the commands",
        who: Who::Anyone,
        changes_state: never,
    },
    CommandSpec {
        name: "start",
        aliases: &["开始"],
        usage: "[PAYLOAD]",
        help: "开始私聊（深度链接带参数） / begin a private chat (deep links carry a payload)",
        who: Who::Anyone,
        changes_state: |args| !args.is_empty(),
    },
    CommandSpec {
        name: "whoami",
        aliases: &["我"],
        usage: "",
        help: "我的身份 / who the bot thinks you are",
        who: Who::Anyone,
        changes_state: never,
    },
    CommandSpec {
        name: "link",
        aliases: &["关联"],
        usage: "[CODE]",
        help: "关联另一个账号 / link another account",
        who: Who::Anyone,
        changes_state: never,
    },
    CommandSpec {
        name: "bind",
        aliases: &["绑定"],
        usage: "CODE",
        help: "绑定本群 / bind this group to an org",
        who: Who::Anyone,
        changes_state: never,
    },
    CommandSpec {
        name: "unbind",
        aliases: &["解绑"],
        usage: "",
        help: "解除本群绑定 / unbind this group from its org",
        who: Who::Officials,
        changes_state: always,
    },
    CommandSpec {
        name: "invite",
        aliases: &["邀请"],
        usage: "[ORG]",
        help: "获取绑定码 / get a bind code",
        who: Who::Officials,
        changes_state: never,
    },
    CommandSpec {
        name: "tree",
        aliases: &["组织"],
        usage: "[ORG]",
        help: "查看组织 / show an org",
        who: Who::Anyone,
        changes_state: never,
    },
];

impl Feature for Account {
    fn declare(&self) -> Declaration {
        Declaration { name: "account", commands: COMMANDS, replies: &["confirm"], ..Declaration::default() }
    }

    fn command(&self, cx: &Cx, ev: &Inbound, inv: &Invocation) -> Result<Handled> {
        let person = cx.person(ev)?;
        match inv.name {
            "help" => Ok(Handled::say(ev, cx.registry.help_text())),
            "start" => match inv.arg(0) {
                Some(payload) => deep_link(cx, ev, payload),
                None => Ok(Handled::say(ev, msg(Msg::Welcome, &[("help", &cx.registry.help_text())]))),
            },
            "whoami" => Ok(Handled::say(ev, whoami(cx, ev, person.as_ref())?)),
            "link" => binding::link(cx, ev, person.as_ref(), inv.arg(0)),
            "bind" => match inv.arg(0) {
                Some(code) => binding::bind(cx, ev, code),
                None => Ok(Handled::say(ev, Msg::BindNeedsCode.text())),
            },
            "unbind" => binding::unbind(cx, ev, &cx.need_person(ev)?),
            "invite" => binding::invite(cx, ev, &cx.need_person(ev)?, inv.arg(0)),
            "tree" => Ok(Handled::say(ev, show_tree(cx, person.as_ref(), inv.arg(0))?)),
            _ => Err(Error::invalid(msg(Msg::NotAccountCommand, &[("command", &inv.name)]))),
        }
    }

    /// A reply to a "reply to confirm" mail: runs what was asked.
    fn reply(&self, cx: &Cx, ev: &Inbound, to: MsgRef) -> Result<Handled> {
        let MsgRef::Confirm { code } = to else { return Ok(Handled::none()) };
        let grant = crate::confirm::redeem(cx, ev, &code)?;
        if let Grant::ConfirmCommand { text, .. } = &grant {
            // The reply proved the mailbox: run the command as sent.
            let mut confirmed = ev.clone();
            confirmed.text = text.clone();
            confirmed.in_reply_to = None;
            confirmed.sender.verified = true;
            return match cx.registry.parse(text) {
                Some(crate::registry::Parsed::Known { feature, inv, .. }) => feature.command(cx, &confirmed, &inv),
                _ => Err(Error::invalid(Msg::ConfirmedNoCommand.text())),
            };
        }
        for f in cx.registry.features() {
            if let Some(h) = f.confirmed(cx, ev, &grant)? {
                return Ok(h);
            }
        }
        Err(Error::invalid(Msg::NotAConfirmation.text()))
    }

    fn chat_changed(&self, cx: &Cx, ev: &Inbound) -> Result<Handled> {
        match &ev.kind {
            InboundKind::Removed => binding::removed(cx, ev),
            InboundKind::Migrated { new_id } => binding::migrated(cx, ev, new_id),
            _ => Ok(Handled::none()),
        }
    }
}

/// `/start PAYLOAD`: handed to the feature that owns the payload.
fn deep_link(cx: &Cx, ev: &Inbound, payload: &str) -> Result<Handled> {
    match cx.registry.deep_link(payload) {
        Some(f) => f.deep_link(cx, ev, payload),
        None => Err(Error::invalid(msg(Msg::BadLink, &[("payload", &payload)]))),
    }
}

fn whoami(cx: &Cx, ev: &Inbound, p: Option<&Person>) -> Result<String> {
    let Some(p) = p else {
        return Ok(msg(Msg::NotRegisteredWhoami, &[("platform", &ev.chat.platform), ("user", &ev.sender.id)]));
    };
    let mut s = format!("{} (#{})\n{}", p.name, p.id, Msg::WhoamiAccounts.text());
    for i in &p.identities {
        s.push_str(&format!(" {i}"));
    }
    s.push('\n');
    s.push_str(Msg::WhoamiRoles.text());
    for (org, role) in cx.tree.roles_of(p.id)? {
        let line = match role {
            Role::Official => Msg::RoleOfficial,
            Role::Member => Msg::RoleMember,
        };
        s.push_str(&format!("\n  {}", msg(line, &[("code", &org.code), ("name", &org.name)])));
    }
    Ok(s)
}

fn show_tree(cx: &Cx, p: Option<&Person>, code: Option<&str>) -> Result<String> {
    let org = match code {
        Some(c) => cx.tree.require(c)?,
        None => match p.and_then(|p| cx.tree.roles_of(p.id).ok()).and_then(|r| r.into_iter().next()) {
            Some((o, _)) => o,
            None => return Err(Error::invalid(Msg::NameAnOrgForTree.text())),
        },
    };
    crate::tree::describe(&cx.tree, &org, 30, Some(p.map(|p| p.id)))
}
