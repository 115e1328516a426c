//! Carrying one message from one of an org's chats to its others: the copy
//! is queued with the message map in one commit, so a message offered again
//! (after a restart) is carried once, and a reply or an edit finds the copy
//! it belongs to in every chat. The outbox is not woken here: the gateway
//! (or the scheduler) wakes it after the flush, so no copy leaves before the
//! map that records it is on disk.

use std::sync::Arc;

use treecast_wire::{Attachment, ChatKind, Inbound, InboundKind, Outbound, OutboundKind, Platform};

use super::store::{self, Carried, Window};
use super::{FEATURE, FLUSH_JOB};
use crate::catalogue::{msg, Msg};
use crate::context::Ctx;
use crate::error::Result;
use crate::msgref::MsgRef;
use crate::outbox::queue::{self, Queued};
use crate::registry::Handled;
use crate::schedule::{self, Job};
use crate::store::Writes;
use crate::tree::channels::Channel;

/// What a copy's replies come back as: the bridge id and the chat it went to.
pub fn copy_ref(id: u64, channel: u64) -> MsgRef {
    MsgRef::Owned { feature: FEATURE.into(), data: copy_data(id, channel) }
}

fn copy_data(id: u64, channel: u64) -> Vec<u8> {
    [id.to_be_bytes(), channel.to_be_bytes()].concat()
}

/// What an edit or correction of the copy in `channel` comes back as: the
/// copy's own data and the edit's number, so recording it leaves the
/// copy's ids (`sent_as`) alone: a reply still answers the copy itself
/// (not a correction mail), and a removal finds every part of it.
fn revision_ref(id: u64, channel: u64, edit: u32) -> MsgRef {
    let data = [&copy_data(id, channel)[..], &edit.to_be_bytes()].concat();
    MsgRef::Owned { feature: FEATURE.into(), data }
}

/// The (bridge id, channel) of a copy's `MsgRef` data (or a revision's).
pub fn parse_copy(data: &[u8]) -> Option<(u64, u64)> {
    let id = u64::from_be_bytes(data.get(..8)?.try_into().ok()?);
    let ch = u64::from_be_bytes(data.get(8..16)?.try_into().ok()?);
    Some((id, ch))
}

fn platform_name(p: Platform) -> &'static str {
    match p {
        Platform::Telegram => "Telegram",
        Platform::Matrix => "Matrix",
        Platform::Email => "Email",
        Platform::Console => "Console",
    }
}

/// `[李明 · Telegram]`: the writer's registered name (else the name the
/// platform shows, else the part of their id before any `@`), and where.
fn label(cx: &Ctx, ev: &Inbound) -> Result<String> {
    let name = match cx.person(ev)? {
        Some(p) => p.name,
        None => match ev.sender.display_name.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
            Some(n) => n.to_owned(),
            None => ev.sender.id.trim_start_matches('@').split(['@', ':']).next().unwrap_or_default().to_owned(),
        },
    };
    Ok(format!("[{name} · {}]", platform_name(ev.chat.platform)))
}

/// The chats of `org` that share its messages: its live groups, rooms and lists.
pub fn members(cx: &Ctx, org: u32) -> Result<Vec<Channel>> {
    let Some(o) = cx.tree.get(org)? else { return Ok(Vec::new()) };
    Ok(cx.tree.channels_of(&o)?.into_iter().filter(|c| c.alive && c.address.kind != ChatKind::Direct).collect())
}

/// The id of bridged message `id` in `channel`: the original there, or the copy.
fn id_in(cx: &Ctx, c: &Carried, channel: u64) -> Result<Option<String>> {
    if c.from_channel == channel {
        return Ok(Some(c.from_message.clone()).filter(|m| !m.is_empty()));
    }
    Ok(cx.store().sent_as(FEATURE, &copy_data(c.id, channel))?.into_iter().next())
}

/// Whether `ev` is not to be carried: offered again after a restart
/// (carried already), or the bot's own message (a copy, a notice).
fn carried_before(cx: &Ctx, ev: &Inbound, from: &Channel) -> Result<bool> {
    if ev.message_id.is_empty() {
        return Ok(false);
    }
    let (platform, chat) = (from.address.platform, from.address.id.as_str());
    Ok(store::seen(cx.store(), platform, chat, &ev.message_id)?.is_some()
        || cx.store().msgref(platform, &ev.message_id)?.is_some())
}

/// The copy's text: who wrote it, what they wrote, and a line for each file
/// too large to carry.
fn body_of(label: &str, text: &str, too_big: &[Attachment]) -> String {
    let mut body = format!("{label} {text}");
    for a in too_big {
        body.push('\n');
        body.push_str(&msg(Msg::BridgeFileNotCarried, &[("name", &a.name), ("kb", &a.size().div_ceil(1024))]));
    }
    body
}

/// Carries `ev`, written in `from` (a bound chat of a bridging org), to the
/// org's other chats; `reply_to` is the bridged message it answers.
pub fn carry(cx: &Ctx, ev: &Inbound, from: &Channel, reply_to: Option<u64>) -> Result<Handled> {
    if !store::is_on(cx.store(), from.org)? {
        return Ok(Handled::none());
    }
    let (platform, chat) = (from.address.platform, from.address.id.as_str());
    if carried_before(cx, ev, from)? {
        return Ok(Handled::none());
    }
    let limit = cx.rules().max_attachment_bytes;
    let (files, too_big): (Vec<Attachment>, Vec<Attachment>) =
        ev.attachments.iter().cloned().partition(|a| !a.data.is_empty() && a.size() <= limit);
    let text = ev.text.trim();
    if text.is_empty() && files.is_empty() && too_big.is_empty() {
        return Ok(Handled::none());
    }
    let id = cx.store().next_id()?;
    let label = label(cx, ev)?;
    let body = body_of(&label, text, &too_big);
    let previous = match reply_to {
        Some(p) => store::carried(cx.store(), p)?,
        None => None,
    };
    let mut w = Writes::default();
    let org_name = cx.tree.get(from.org)?.map(|o| o.name).unwrap_or_default();
    let targets: Vec<Channel> = members(cx, from.org)?
        .into_iter()
        // A list's own members read the mail too, as on any mailing list.
        .filter(|c| c.id != from.id || c.address.kind == ChatKind::List)
        .collect();
    let files: Arc<[Attachment]> = files.into();
    for c in &targets {
        let in_reply_to = match &previous {
            Some(p) => id_in(cx, p, c.id)?,
            None => None,
        };
        let copy = Copy { id, channel: c, body: &body, files: files.clone(), in_reply_to, org: &org_name };
        send_or_hold(cx, &mut w, copy, &label, text)?;
    }
    store::put_seen(&mut w, platform, chat, &ev.message_id, id);
    let carried = Carried {
        id,
        org: from.org,
        from_channel: from.id,
        from_message: ev.message_id.clone(),
        from_sender: ev.sender.id.clone(),
        label,
        text: text.to_owned(),
        copies: targets.iter().map(|c| c.id).collect(),
        edits: 0,
        deleted: false,
    };
    store::put_carried(&mut w, &carried);
    cx.store().commit(&w)?;
    match too_big.first() {
        Some(a) => Ok(Handled::say(
            ev,
            msg(Msg::BridgeFileTooLarge, &[("name", &a.name), ("mb", &limit.div_ceil(1024 * 1024))]),
        )),
        None => Ok(Handled::none()),
    }
}

/// One copy to go out.
struct Copy<'a> {
    id: u64,
    channel: &'a Channel,
    body: &'a str,
    files: Arc<[Attachment]>,
    in_reply_to: Option<String>,
    org: &'a str,
}

/// The outbound message for a copy in `c` (a mailing list gets a subject and
/// a footer saying how to answer).
fn outbound(cx: &Ctx, key: String, c: &Channel, body: &str, org: &str, head: &str) -> Outbound {
    let mut m = Outbound::reply(key, c.address.clone(), body.to_owned());
    m.kind = OutboundKind::Private;
    m.via = c.account.clone();
    if cx.caps.of(c.address.platform).subjects {
        let first = crate::conversation::engine::short(head.lines().next().unwrap_or_default(), 30);
        m.title = Some(format!("【{org}】{first}").into());
        m.footer = Some(msg(Msg::BridgeListFooter, &[("org", &org)]).into());
    }
    m
}

/// Queues a copy, or, where the chat's per-minute limit is near, holds it
/// back for one merged message when the minute is over.
fn send_or_hold(cx: &Ctx, w: &mut Writes, copy: Copy, label: &str, text: &str) -> Result<()> {
    let c = copy.channel;
    let limit = cx.caps.of(c.address.platform).group_messages_per_minute;
    if limit > 0 && c.address.kind == ChatKind::Group {
        let now = cx.now();
        let mut win = store::window(cx.store(), c.id)?;
        if now >= win.from + 60 {
            win = Window { from: now, sent: 0 };
        }
        // Three quarters for chatter: room is left for notices and answers.
        let waiting = !store::held(cx.store(), c.id)?.is_empty();
        if waiting || win.sent >= (limit * 3 / 4).max(1) {
            let mut line = copy.body.to_owned();
            for f in copy.files.iter() {
                line.push_str(&format!(" [{}]", f.name));
            }
            store::hold(w, c.id, copy.id, &line);
            let job = Job::new(FLUSH_JOB, format!("{FLUSH_JOB}:{}", c.id), c.id.to_be_bytes().to_vec());
            schedule::put(cx.store(), w, (win.from + 60) * 1000, &job)?;
            return Ok(());
        }
        win.sent += 1;
        store::put_window(w, c.id, win);
    }
    let mut m = outbound(cx, format!("br{}-{}", copy.id, c.id), c, copy.body, copy.org, &format!("{label} {text}"));
    m.attachments = copy.files;
    m.in_reply_to = copy.in_reply_to;
    queue::put(cx.store(), w, &Queued::new(m).on_sent(copy_ref(copy.id, c.id)))
}

/// The merge job: everything held back for one chat goes as one message.
pub fn flush(cx: &Ctx, channel: u64) -> Result<Writes> {
    let mut w = Writes::default();
    let lines = store::held(cx.store(), channel)?;
    let (Some(first), Some(last)) = (lines.first().map(|l| l.0), lines.last().map(|l| l.0)) else { return Ok(w) };
    for (id, _) in &lines {
        store::unhold(&mut w, channel, *id);
    }
    let Some(c) = cx.tree.channel(channel)?.filter(|c| c.alive) else { return Ok(w) };
    let org = cx.tree.get(c.org)?.map(|o| o.name).unwrap_or_default();
    let n = lines.len();
    let all: Vec<String> = lines.into_iter().map(|(_, l)| l).collect();
    let body = format!("{}\n\n{}", all.join("\n"), msg(Msg::BridgeMerged, &[("n", &n)]));
    let m = outbound(cx, format!("brm{first}-{channel}"), &c, &body, &org, &all[0]);
    // Replies to the merged message answer its last line.
    queue::put(cx.store(), &mut w, &Queued::new(m).on_sent(copy_ref(last, channel)))?;
    store::put_window(&mut w, channel, Window { from: cx.now(), sent: 1 });
    Ok(w)
}

/// The copy of `c` in channel `ch`: edited where the platform edits (or
/// removed, for a deletion), else a "更正" follow-up (a removal cannot
/// reach a chat that cannot edit).
fn change_copy(cx: &Ctx, w: &mut Writes, c: &Carried, ch: u64, deleted: bool, org: &str) -> Result<()> {
    let Some(target) = cx.tree.channel(ch)?.filter(|t| t.alive) else { return Ok(()) };
    let ids = cx.store().sent_as(FEATURE, &copy_data(c.id, ch))?;
    let edits = cx.caps.of(target.address.platform).edits;
    if deleted {
        if !edits {
            return Ok(());
        }
        for (k, mid) in ids.iter().enumerate() {
            let mut m = outbound(cx, format!("br{}-{ch}-d{k}", c.id), &target, "", org, "");
            m.kind = OutboundKind::Delete;
            m.in_reply_to = Some(mid.clone());
            queue::put(cx.store(), w, &Queued::new(m))?;
        }
        return Ok(());
    }
    let body = format!("{} {}", c.label, c.text);
    let key = format!("br{}-{ch}-e{}", c.id, c.edits);
    let m = match ids.first() {
        Some(mid) if edits => {
            let mut m = outbound(cx, key, &target, &body, org, &body);
            m.kind = OutboundKind::Edit;
            m.in_reply_to = Some(mid.clone());
            m
        }
        first => {
            let fix = format!("{} {body}", Msg::BridgeCorrection.text());
            let mut m = outbound(cx, key, &target, &fix, org, &fix);
            m.in_reply_to = first.cloned();
            m
        }
    };
    queue::put(cx.store(), w, &Queued::new(m).on_sent(revision_ref(c.id, ch, c.edits)))?;
    Ok(())
}

/// An edit or deletion of a bridged message in the chat it was written in:
/// chats that can edit get their copy edited (or removed); others get a
/// "更正" follow-up (a removal cannot reach them).
pub fn changed(cx: &Ctx, ev: &Inbound, from: &Channel) -> Result<Handled> {
    let (original, deleted) = match &ev.kind {
        InboundKind::Edited { original } => (original, false),
        InboundKind::Deleted { original } => (original, true),
        _ => return Ok(Handled::none()),
    };
    let (platform, chat) = (from.address.platform, from.address.id.as_str());
    let Some(id) = store::seen(cx.store(), platform, chat, original)? else { return Ok(Handled::none()) };
    if !ev.message_id.is_empty() && store::seen(cx.store(), platform, chat, &ev.message_id)?.is_some() {
        return Ok(Handled::none());
    }
    let Some(mut c) = store::carried(cx.store(), id)? else { return Ok(Handled::none()) };
    // Only the writer edits (a forged edit changes nothing); a removal may
    // be a moderator's, which the platform itself allowed.
    if c.from_channel != from.id || c.deleted || (!deleted && c.from_sender != ev.sender.id) {
        return Ok(Handled::none());
    }
    let mut w = Writes::default();
    let org = cx.tree.get(c.org)?.map(|o| o.name).unwrap_or_default();
    if !deleted {
        c.edits += 1;
        c.text = ev.text.trim().to_owned();
    } else {
        c.deleted = true;
    }
    for ch in &c.copies {
        if *ch != from.id {
            change_copy(cx, &mut w, &c, *ch, deleted, &org)?;
        }
    }
    store::put_seen(&mut w, platform, chat, &ev.message_id, id);
    store::put_carried(&mut w, &c);
    cx.store().commit(&w)?;
    Ok(Handled::none())
}
