//! Binding chats to orgs and linking identities: codes out, codes in, and
//! the chat lifecycle (bot removed, group moved).

use treecast_wire::{ChatKind, Inbound, Outbound};

use crate::catalogue::{msg, Msg};
use crate::codes::Grant;
use crate::error::{Error, Result};
use crate::events::Actor;
use crate::outbox::queue::Queued;
use crate::registry::{Cx, Handled};
use crate::tree::auth::Action;
use crate::tree::people::Person;
use crate::tree::Org;

/// `/invite [ORG]` (or `@ORG`, as other commands name an org): a one-time
/// bind code for the official's org.
pub(super) fn invite(cx: &Cx, ev: &Inbound, p: &Person, org: Option<&str>) -> Result<Handled> {
    let org = cx.official_org(p, org.map(|o| o.trim_start_matches(['@', '＠'])))?;
    cx.tree.check(p.id, Action::BindChannel, &org)?;
    let ttl = cx.config.bind_code_ttl.as_secs();
    let code = cx.store().issue_code(Grant::Bind { org: org.id, by: p.id }, cx.now() + ttl)?;
    Ok(Handled::say(ev, msg(Msg::BindCodeIssued, &[("code_org", &org.code), ("name", &org.name), ("code", &code)])))
}

/// `/bind CODE` in a group, room or list.
pub(super) fn bind(cx: &Cx, ev: &Inbound, code: &str) -> Result<Handled> {
    if ev.chat.kind == ChatKind::Direct {
        return Err(Error::invalid(Msg::BindInPrivate.text()));
    }
    let Grant::Bind { org, by } = cx.store().redeem_code(code, cx.now())? else {
        return Err(Error::invalid(Msg::NotABindCode.text()));
    };
    let org = cx.tree.require_id(org)?;
    let actor = match cx.person(ev)? {
        Some(p) => Actor::Person(p.id),
        None => Actor::CodeHolder,
    };
    let ch = cx.tree.bind_via(&org, ev.chat.clone(), &ev.account, actor)?;
    let mut h = Handled::say(ev, msg(Msg::ChatBound, &[("code", &org.code), ("name", &org.name)]));
    if let Some(to) = cx.tree.person(by)?.as_ref().and_then(Person::private_address) {
        let mut text = msg(Msg::ChatBoundToOfficial, &[("name", &org.name), ("chat", &ev.chat)]);
        if let Some(note) = naming_note(cx, &org, ch.id, ev.chat_title.as_deref())? {
            text.push('\n');
            text.push_str(&note);
        }
        h.replies.push(Queued::new(Outbound::reply(format!("b{}", ch.id), to, text)));
    }
    Ok(h)
}

/// Chats whose title was found against the naming rule (told once).
const NAMED: crate::store::Keyspace = crate::store::Keyspace::Named("account.titles_checked");

/// The sentence for the officials when a bound chat's title does not follow
/// the naming rule of its org's level (the rule org names follow), the
/// first time the chat is bound; None when it does, or was told before.
fn naming_note(cx: &Cx, org: &Org, channel: u64, title: Option<&str>) -> Result<Option<String>> {
    let Some(title) = title.map(str::trim).filter(|t| !t.is_empty()) else { return Ok(None) };
    if cx.tree.levels.check_name(org.level, title).is_ok() {
        return Ok(None);
    }
    let seen = cx.store().tree(NAMED)?;
    if seen.insert(channel.to_be_bytes(), Vec::new())?.is_some() {
        return Ok(None);
    }
    let hint = cx.tree.levels.hint(org.level);
    Ok(Some(msg(Msg::ChatTitleBreaksRule, &[("title", &title), ("name", &org.name), ("hint", &hint)])))
}

/// `/unbind` in a bound group: an official of its org (or above) releases
/// it; the chat gets no more notices and can be bound again.
pub(super) fn unbind(cx: &Cx, ev: &Inbound, p: &Person) -> Result<Handled> {
    if ev.chat.kind == ChatKind::Direct {
        return Err(Error::invalid(Msg::UnbindInPrivate.text()));
    }
    let ch = cx.tree.channel_by_address(&ev.chat)?.ok_or_else(|| Error::invalid(Msg::ChatNotBound.text()))?;
    let org = cx.tree.require_id(ch.org)?;
    cx.tree.check(p.id, Action::BindChannel, &org)?;
    cx.tree.unbind(ch.id, Actor::Person(p.id))?;
    Ok(Handled::say(ev, msg(Msg::UnboundHere, &[("code", &org.code), ("name", &org.name)])))
}

/// `/link` (a code) or `/link CODE` (from the other account).
pub(super) fn link(cx: &Cx, ev: &Inbound, person: Option<&Person>, code: Option<&str>) -> Result<Handled> {
    let Some(code) = code else {
        let p = person.cloned().ok_or_else(crate::context::unknown_person)?;
        let code = cx.store().issue_code(Grant::Link { person: p.id }, cx.now() + 3600)?;
        return Ok(Handled::say(ev, msg(Msg::LinkCodeIssued, &[("code", &code)])));
    };
    let Grant::Link { person: target } = cx.store().redeem_code(code, cx.now())? else {
        return Err(Error::invalid(Msg::NotALinkCode.text()));
    };
    if person.is_some_and(|p| p.id != target) {
        return Err(Error::invalid(Msg::AccountTaken.text()));
    }
    let p = cx.tree.add_identity(target, ev.chat.platform, &ev.sender.id)?;
    // Identities are written by plain inserts (no batch to join): the event
    // follows at once. Lost to a crash between, a campaign's follow step
    // still sees the second account when it is launched.
    let at = cx.clock.now_ms();
    cx.store().transact(&[], |tx| {
        crate::events::append(tx, at, &crate::events::Event::Following { person: p.id, digest: false });
        Ok(())
    })?;
    Ok(Handled::say(ev, msg(Msg::Linked, &[("name", &p.name), ("platform", &ev.chat.platform)])))
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
