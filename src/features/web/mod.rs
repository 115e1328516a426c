//! `/web`: an official asks for a one-time sign-in link to the web console
//! (`crate::web`), sent to their own private chat or mailbox; `/web logout
//! all` ends every sign-in. Old links and sessions go with the daily
//! retention run.

#[cfg(test)]
mod tests;

use treecast_wire::{ChatKind, Inbound, Platform};

use crate::catalogue::{msg, Msg};
use crate::context::Ctx;
use crate::error::{Error, Result};
use crate::registry::{CommandSpec, Cx, Declaration, Feature, Handled, Invocation, Who};
use crate::store::Writes;
use crate::tree::people::{Person, Role};
use crate::web::session;

const COMMANDS: &[CommandSpec] = &[CommandSpec {
    name: "web",
    aliases: &["工作台", "网页"],
    usage: "[logout all]",
    help: "获取网页工作台的一次性登录链接（私聊或邮件发给你） / a one-time sign-in link to the web console, sent privately",
    who: Who::Officials,
    changes_state: crate::registry::never,
}];

pub struct WebSignIn;

impl Feature for WebSignIn {
    fn declare(&self) -> Declaration {
        Declaration { name: "web", commands: COMMANDS, ..Declaration::default() }
    }

    fn command(&self, cx: &Cx, ev: &Inbound, inv: &Invocation) -> Result<Handled> {
        let p = cx.need_person(ev)?;
        match (inv.arg(0), inv.arg(1)) {
            (None, _) => link(cx, ev, &p),
            (Some("logout" | "退出"), Some("all" | "全部")) => {
                let g = session::end_all(cx.store(), p.id)?;
                tracing::info!(target: "treecast::web", person = p.id, "every web sign-in ended");
                Ok(Handled::say(ev, msg(Msg::WebLoggedOutAll, &[("generation", &g)])))
            }
            _ => Ok(Handled::say(ev, Msg::WebUsage.text())),
        }
    }

    fn retain(&self, cx: &Ctx, w: &mut Writes) -> Result<usize> {
        session::prune(cx.store(), cx.now(), w)
    }
}

/// The link goes to the person's own identity: the private chat they asked
/// from, else their preferred private address; never into a group.
fn link(cx: &Cx, ev: &Inbound, p: &Person) -> Result<Handled> {
    let official = cx.tree.roles_of(p.id)?.iter().any(|(_, r)| *r == Role::Official);
    let operator =
        p.identities.iter().any(|i| cx.config.web.operators.iter().any(|(pl, u)| *pl == i.platform && *u == i.user));
    if !official && !operator {
        return Err(Error::denied(Msg::WebOfficialsOnly.text()));
    }
    if !cx.sign_in.may_request(&format!("person:{}", p.id)) {
        return Err(Error::invalid(Msg::WebTooManyLinks.text()));
    }
    // Mail from a sender the mail system did not prove gets its link at the
    // registered address, not in a reply to whoever wrote.
    let private_here = ev.chat.kind == ChatKind::Direct && (ev.chat.platform != Platform::Email || ev.sender.verified);
    if private_here {
        let q = crate::web::link_message(cx, p, ev.chat.clone())?;
        let mut h = Handled::queued(vec![q]);
        h.replies[0].msg.in_reply_to = Some(ev.message_id.clone()).filter(|m| !m.is_empty());
        return Ok(h);
    }
    let to = p.private_address().ok_or_else(|| Error::invalid(Msg::WebOfficialsOnly.text()))?;
    let q = crate::web::link_message(cx, p, to.clone())?;
    let said = if to.platform == Platform::Email {
        msg(Msg::WebLinkSentByMail, &[("address", &to.id)])
    } else {
        Msg::WebLinkSentHere.text().to_owned()
    };
    let mut h = Handled::say(ev, said);
    h.replies.push(q);
    Ok(h)
}
