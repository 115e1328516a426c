//! Binding chats to orgs and linking identities: codes out, codes in, and
//! the chat lifecycle (bot removed, group moved).

use treecast_wire::{ChatKind, Inbound, Outbound};

use crate::codes::Grant;
use crate::error::{Error, Result};
use crate::outbox::queue::Queued;
use crate::registry::{Cx, Handled};
use crate::tree::auth::Action;
use crate::tree::people::Person;
use crate::tree::Org;

/// `/invite [ORG]`: a one-time bind code for the official's org.
pub(super) fn invite(cx: &Cx, ev: &Inbound, p: &Person, org: Option<&str>) -> Result<Handled> {
    let org = cx.official_org(p, org)?;
    cx.tree.check(p.id, Action::BindChannel, &org)?;
    let ttl = cx.config.bind_code_ttl.as_secs();
    let code = cx.store().issue_code(Grant::Bind { org: org.id, by: p.id }, cx.now() + ttl)?;
    Ok(Handled::say(
        ev,
        format!(
            "{} {} 的绑定码：{code}\n请把机器人拉进要绑定的群、房间或邮件列表，并在其中发送 /bind {code}\nBind code for {}: add the bot to the group, room or list and post: /bind {code}",
            org.code, org.name, org.name
        ),
    ))
}

/// `/bind CODE` in a group, room or list.
pub(super) fn bind(cx: &Cx, ev: &Inbound, code: &str) -> Result<Handled> {
    if ev.chat.kind == ChatKind::Direct {
        return Err(Error::invalid("请在要绑定的群或房间中发送 /bind，而不是私聊。 Send /bind in the group or room you want to bind, not in a private chat."));
    }
    let Grant::Bind { org, by } = cx.store().redeem_code(code, cx.now())? else {
        return Err(Error::invalid("这不是绑定码。 That code is not a bind code."));
    };
    let org = cx.tree.require_id(org)?;
    let ch = cx.tree.bind(&org, ev.chat.clone())?;
    let mut h = Handled::say(
        ev,
        format!(
            "本群已绑定到 {} {}，今后将在此收到通知。 This chat is now bound to {} and will receive its notices.",
            org.code, org.name, org.name
        ),
    );
    if let Some(to) = cx.tree.person(by)?.as_ref().and_then(Person::private_address) {
        h.replies.push(Queued::new(Outbound::reply(
            format!("b{}", ch.id),
            to,
            format!("{} 的群 ({}) 已完成绑定。 A chat was bound to {}.", org.name, ev.chat, org.name),
        )));
    }
    Ok(h)
}

/// `/link` (a code) or `/link CODE` (from the other account).
pub(super) fn link(cx: &Cx, ev: &Inbound, person: Option<&Person>, code: Option<&str>) -> Result<Handled> {
    let Some(code) = code else {
        let p = person.cloned().ok_or_else(crate::registry::unknown_person)?;
        let code = cx.store().issue_code(Grant::Link { person: p.id }, cx.now() + 3600)?;
        return Ok(Handled::say(
            ev,
            format!(
                "请在一小时内在另一账号中发送 /link {code}。 Send /link {code} from your other account within an hour."
            ),
        ));
    };
    let Grant::Link { person: target } = cx.store().redeem_code(code, cx.now())? else {
        return Err(Error::invalid("这不是关联码。 That code is not a link code."));
    };
    if person.is_some_and(|p| p.id != target) {
        return Err(Error::invalid("这个账号已属于别人。 This account already belongs to someone else."));
    }
    let p = cx.tree.add_identity(target, ev.chat.platform, &ev.sender.id)?;
    Ok(Handled::say(ev, format!("已关联。 Linked: {} now also reaches you here ({}).", p.name, ev.chat.platform)))
}

/// The bot was removed from a chat: its channel dies and the officials hear.
pub(super) fn removed(cx: &Cx, ev: &Inbound) -> Result<Handled> {
    let Some(ch) = cx.tree.channel_by_address(&ev.chat)? else {
        return Ok(Handled::none());
    };
    cx.tree.mark_dead(ch.id, "the bot was removed from the chat")?;
    let org = cx.tree.require_id(ch.org)?;
    tell_officials(cx, &org, &format!(
        "机器人已被移出 {} 的群聊 ({})，该渠道已停用。 The bot was removed from {}'s chat; the channel is marked dead. Bind a new chat with /invite.",
        org.name, ev.chat, org.name
    ))
}

/// A Telegram group became a supergroup: the binding follows it.
pub(super) fn migrated(cx: &Cx, ev: &Inbound, new_id: &str) -> Result<Handled> {
    let Some(ch) = cx.tree.channel_by_address(&ev.chat)? else {
        return Ok(Handled::none());
    };
    cx.tree.migrate(ch.id, new_id)?;
    let org = cx.tree.require_id(ch.org)?;
    tell_officials(
        cx,
        &org,
        &format!(
            "{} 的群已升级为超级群，新编号 {}，绑定已自动更新。 {}'s group moved to {new_id}; the binding follows it.",
            org.name, new_id, org.name
        ),
    )
}

/// Private messages to the officials responsible for `org`.
fn tell_officials(cx: &Cx, org: &Org, text: &str) -> Result<Handled> {
    let mut out = Vec::new();
    for p in cx.tree.responsible_officials(org)? {
        if let Some(to) = p.private_address() {
            let id = format!("o{}-{}", p.id, cx.store().next_id()?);
            out.push(Queued::new(Outbound::reply(id, to, text)));
        }
    }
    Ok(Handled::queued(out))
}
