//! Acknowledging a notice: 收到 as a reply, a reaction, the button, or /ack
//! (in a bound chat, or privately by a branch member).

use treecast_wire::Inbound;

use super::parse_notice_id;
use crate::catalogue::{msg, Msg};
use crate::error::{Error, Result};
use crate::notice::ack::{AckHow, AckRow};
use crate::registry::{Cx, Handled};
use crate::tree::auth::Action;
use crate::tree::people::Role;

/// Refuses a reply or acknowledgement to `channel`'s copy from someone who
/// does not belong to it. In the chat itself the platform says who is in
/// it; from outside (a mail answering a list's copy) only a member of the
/// list, or a registered person of that org or above, may answer for it.
pub(super) fn must_speak_for(cx: &Cx, ev: &Inbound, channel: u64) -> Result<()> {
    let Some(ch) = cx.tree.channel(channel)? else { return Ok(()) };
    let a = &ch.address;
    if ev.chat.platform == a.platform && ev.chat.id == a.id {
        return Ok(());
    }
    if a.members.iter().any(|m| m.eq_ignore_ascii_case(ev.sender.id.trim())) {
        return Ok(());
    }
    let org = cx.tree.require_id(ch.org)?;
    if let Some(p) = cx.person(ev)? {
        if cx.tree.roles_of(p.id)?.iter().any(|(o, _)| org.is_within(o)) {
            return Ok(());
        }
    }
    Err(Error::denied(msg(Msg::OnlyMembersAnswer, &[("org", &org.name)])))
}

/// An acknowledgement from a bound chat's copy of notice `notice`.
pub(super) fn in_channel(cx: &Cx, ev: &Inbound, notice: u64, channel: u64, say: bool) -> Result<Handled> {
    let ch = cx.tree.channel(channel)?.ok_or_else(|| Error::not_found(Msg::ChatNoLongerBound.text()))?;
    let org = cx.tree.require_id(ch.org)?;
    let person = cx.person(ev)?;
    let row = AckRow {
        person: person.as_ref().map(|p| p.id),
        by: crate::tree::Tree::sender_name(ev, person.as_ref()),
        via: ev.chat.platform,
        at: cx.now(),
        how: AckHow::of(ev),
    };
    let (root, fresh) = cx.tree.acknowledge(notice, &org, row)?;
    if !say {
        return Ok(Handled::none());
    }
    let text =
        msg(if fresh { Msg::Acknowledged } else { Msg::AlreadyAcknowledged }, &[("org", &org.name), ("id", &root.id)]);
    Ok(Handled::say(ev, text))
}

/// The acknowledge button (`ack:ID`) under a copy; the adapter answers the press itself.
pub(super) fn button(cx: &Cx, ev: &Inbound, data: &str) -> Result<Handled> {
    let Some(id) = data.strip_prefix("ack:").and_then(parse_notice_id) else {
        return Ok(Handled::none());
    };
    let ch = cx.tree.channel_by_address(&ev.chat)?.ok_or_else(|| Error::invalid(Msg::ChatNotBound.text()))?;
    in_channel(cx, ev, id, ch.id, false)
}

/// `/ack [ID]`: in a bound chat for its org; privately, for the member's branch.
pub(super) fn command(cx: &Cx, ev: &Inbound, id: Option<&str>) -> Result<Handled> {
    let id = id.and_then(parse_notice_id);
    if let Some(ch) = cx.tree.channel_by_address(&ev.chat)? {
        let Some(id) = id else {
            return Err(Error::invalid(Msg::AckHow.text()));
        };
        return in_channel(cx, ev, id, ch.id, true);
    }
    let p = cx.person(ev)?.ok_or_else(|| Error::denied(Msg::AckUnknownPerson.text()))?;
    let id = id.ok_or_else(|| Error::invalid(Msg::AckNeedsId.text()))?;
    let branch = cx
        .tree
        .roles_of(p.id)?
        .into_iter()
        .find(|(_, r)| *r == Role::Member)
        .map(|(o, _)| o)
        .ok_or_else(|| Error::denied(Msg::AckOnlyMembers.text()))?;
    cx.tree.check(p.id, Action::Acknowledge, &branch)?;
    let row =
        AckRow { person: Some(p.id), by: p.name.clone(), via: ev.chat.platform, at: cx.now(), how: AckHow::Command };
    let (root, fresh) = cx.tree.acknowledge(id, &branch, row)?;
    Ok(Handled::say(
        ev,
        msg(
            if fresh { Msg::Acknowledged } else { Msg::AlreadyAcknowledged },
            &[("org", &branch.name), ("id", &root.id)],
        ),
    ))
}
