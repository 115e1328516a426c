//! The mailbox's chat commands: who writes as which org, /msg, /report,
//! /forward, /read, and the read state they leave.

use treecast_wire::{ChatKind, Inbound};

use super::letters::{self, Kind, Letter, Party, ReadMark};
use super::send::{self, Outgoing};
use super::{recipients, sent_answer, sent_text, view};
use crate::catalogue::{msg, Msg};
use crate::context::Ctx;
use crate::error::{Error, Result};
use crate::events::{self, Event};
use crate::registry::{Cx, Handled, Invocation};
use crate::store::Writes;
use crate::tree::people::{Person, Role};
use crate::tree::reads::{Read, Sight};
use crate::tree::Org;

/// Who `p` writes as: the official org named (`@CODE`), their only one, or
/// the one that may write to `to`; a member writes as themself.
pub(super) fn sender(cx: &Ctx, p: &Person, named: Option<&str>, to: Option<&str>) -> Result<(Party, Org, Role)> {
    let roles = cx.tree.roles_of(p.id)?;
    let officials: Vec<&Org> = roles.iter().filter(|(_, r)| *r == Role::Official).map(|(o, _)| o).collect();
    if let Some(code) = named {
        let org = cx.tree.require(code)?;
        if !officials.iter().any(|o| o.id == org.id) {
            return Err(Error::denied(msg(Msg::MayNotUseMailbox, &[("code", &org.code), ("name", &org.name)])));
        }
        return Ok((Party::Org(org.id), org, Role::Official));
    }
    if officials.len() > 1 {
        // The first one allowed to write to every recipient, if the recipients say.
        if let Some(spec) = to {
            for o in &officials {
                if recipients::resolve(&cx.tree, &cx.config.mailbox, Role::Official, o, spec).is_ok() {
                    return Ok((Party::Org(o.id), (*o).clone(), Role::Official));
                }
            }
        }
        let org = cx.official_org(p, None)?; // the "name one" sentence
        return Ok((Party::Org(org.id), org, Role::Official));
    }
    if let Some(o) = officials.first() {
        return Ok((Party::Org(o.id), (*o).clone(), Role::Official));
    }
    match roles.into_iter().find(|(_, r)| *r == Role::Member) {
        Some((branch, _)) => Ok((Party::Member { person: p.id, branch: branch.id }, branch, Role::Member)),
        None => Err(Error::denied(Msg::NotAnOfficial.text())),
    }
}

/// A work report goes from an official to their org's parent only.
pub(super) fn check_report(role: Role, from_org: &Org, to: &[Org]) -> Result<()> {
    if role != Role::Official {
        return Err(Error::denied(Msg::NotAnOfficial.text()));
    }
    if to.iter().any(|o| Some(o.id) != from_org.parent) {
        let org = format!("{}（{}）", from_org.name, from_org.code);
        return Err(Error::invalid(msg(Msg::MailboxReportGoesUp, &[("org", &org)])));
    }
    Ok(())
}

/// `@CODE` as a first argument names the org to write as.
/// (`@parent` and `@children` there are recipients, not a sender.)
fn split_named(args: &[String]) -> (Option<&str>, &[String]) {
    match crate::registry::split_at_org(args) {
        (Some(code), rest) if !recipients::is_shorthand(code) => (Some(code), rest),
        _ => (None, args),
    }
}

/// `/msg [@FROM] ORG[,ORG…] TEXT`: the recipients are the first word (or
/// words joined by a trailing comma: `43, 4143010533`).
pub(super) fn write(cx: &Cx, ev: &Inbound, p: &Person, inv: &Invocation) -> Result<Handled> {
    let (named, args) = split_named(&inv.args);
    let mut spec = String::new();
    let mut rest = args.iter();
    for a in rest.by_ref() {
        spec.push_str(a);
        if !a.ends_with([',', '，', '、', ';', '；']) {
            break;
        }
    }
    if spec.is_empty() {
        return Ok(Handled::say(ev, Msg::MailboxMsgUsage.text()));
    }
    let first: Vec<&str> = rest.map(String::as_str).collect();
    let text = [first.join(" "), inv.body.clone()].join("\n").trim().to_owned();
    let (from, from_org, role) = sender(cx, p, named, Some(&spec))?;
    let to = recipients::resolve(&cx.tree, &cx.config.mailbox, role, &from_org, &spec)?;
    let out = Outgoing::letter(from, &to, Kind::Message, send::title_from(&text), text, p.id).as_in(ev);
    sent_answer(cx, ev, p, out)
}

/// `/report [@FROM] TITLE` with the body below: a work report to the parent.
pub(super) fn report(cx: &Cx, ev: &Inbound, p: &Person, inv: &Invocation) -> Result<Handled> {
    let (named, args) = split_named(&inv.args);
    let title = args.join(" ");
    if title.trim().is_empty() {
        return Ok(Handled::say(ev, Msg::MailboxReportUsage.text()));
    }
    let (from, from_org, role) = sender(cx, p, named, Some("@parent"))?;
    let to = recipients::resolve(&cx.tree, &cx.config.mailbox, role, &from_org, "@parent")?;
    check_report(role, &from_org, &to)?;
    let out = Outgoing::letter(from, &to, Kind::Report, title.trim().to_owned(), inv.body.clone(), p.id).as_in(ev);
    sent_answer(cx, ev, p, out)
}

/// `/forward ID [@parent|ORG…]`: the letter goes on from the org that received it.
pub(super) fn forward(cx: &Cx, ev: &Inbound, p: &Person, inv: &Invocation) -> Result<Handled> {
    let Some(id) = inv.arg(0).and_then(parse_id) else {
        return Ok(Handled::say(ev, Msg::MailboxForwardUsage.text()));
    };
    let letter = letter_for(cx, p, id, |l| l.to)?;
    let Party::Org(at) = letter.to else {
        return Err(Error::invalid(Msg::MailboxForwardUsage.text()));
    };
    let at = cx.tree.require_id(at)?;
    let spec = inv.args[1..].join("");
    let spec = if spec.is_empty() { "@parent".to_owned() } else { spec };
    let to = recipients::resolve(&cx.tree, &cx.config.mailbox, Role::Official, &at, &spec)?;
    let mut forwarded = letter.forwarded.clone();
    forwarded.push(letter.id);
    let body = [letter.body.as_str(), inv.body.trim()].iter().filter(|s| !s.is_empty()).cloned().collect::<Vec<_>>();
    let out = Outgoing {
        forwarded,
        files_of: letter.files,
        ..Outgoing::letter(letter.to, &to, letter.kind, letter.title.clone(), body.join("\n\n"), p.id).as_in(ev)
    };
    let s = send::send(cx, out)?;
    if !s.repeated {
        mark_thread_read(cx, p, at.id, letter.id)?;
    }
    Ok(Handled::say(ev, sent_text(cx, &s)?))
}

/// `/read ID`: the thread, marked read for the orgs `p` acts for in it.
pub(super) fn read(cx: &Cx, ev: &Inbound, p: &Person, id: Option<&str>) -> Result<Handled> {
    let Some(id) = id.and_then(parse_id) else {
        return Ok(Handled::say(ev, Msg::MailboxReadNeedsId.text()));
    };
    let letter = letter_for(cx, p, id, |l| l.to).or_else(|_| letter_for(cx, p, id, |l| l.from))?;
    let root = letters::get(cx.store(), letter.thread)?.unwrap_or_else(|| letter.clone());
    for party in [root.from, root.to] {
        if let Party::Org(org) = party {
            if may_act(cx, p, party)? {
                mark_thread_read(cx, p, org, letter.id)?;
            }
        }
    }
    let all = letters::thread(cx.store(), letter.thread)?;
    Ok(Handled::say(ev, view::thread(cx, &all)?))
}

/// Marks the thread of `letter` read for `org` by `p`, with its event.
pub(super) fn mark_thread_read(cx: &Ctx, p: &Person, org: u32, letter: u64) -> Result<()> {
    let Some(l) = letters::get(cx.store(), letter)? else { return Ok(()) };
    let all = letters::thread(cx.store(), l.thread)?;
    let mark = ReadMark { person: p.id, name: p.name.clone(), at: cx.now() };
    let mut w = Writes::default();
    let marked = letters::mark_read(cx.store(), &mut w, org, &all, &mark)?;
    if !marked.is_empty() {
        events::emit(&mut w, cx.clock.now_ms(), &Event::LettersRead { letters: marked, org, person: p.id });
        cx.store().commit(&w)?;
    }
    Ok(())
}

/// Whether `p` may read (and so answer and forward) `party`'s letters: who
/// the read table lets see the org's letters, or the member themself.
fn may_act(cx: &Ctx, p: &Person, party: Party) -> Result<bool> {
    match party {
        Party::Org(o) => Ok(cx.tree.sight(Some(p.id), Read::OrgMessages, &cx.tree.require_id(o)?)? == Sight::All),
        Party::Member { person, .. } => Ok(person == p.id),
    }
}

/// Letter `id`, if `p` may act for the party `side` picks; anyone else is
/// told there is no such letter (they learn nothing about it).
pub(super) fn letter_for(cx: &Ctx, p: &Person, id: u64, side: fn(&Letter) -> Party) -> Result<Letter> {
    match letters::get(cx.store(), id)? {
        Some(l) if may_act(cx, p, side(&l))? => Ok(l),
        _ => Err(Error::not_found(msg(Msg::MailboxNoLetter, &[("id", &id)]))),
    }
}

/// The orgs whose inbox `p` sees: the one named (theirs or below it), or all of theirs.
pub(super) fn acting_orgs(cx: &Ctx, p: &Person, named: Option<&str>) -> Result<Vec<Org>> {
    if let Some(code) = named {
        let org = cx.tree.require(code.trim_start_matches(['@', '＠']))?;
        cx.tree.check_read(Some(p.id), Read::OrgMessages, &org)?;
        return Ok(vec![org]);
    }
    let orgs: Vec<Org> =
        cx.tree.roles_of(p.id)?.into_iter().filter(|(_, r)| *r == Role::Official).map(|(o, _)| o).collect();
    if orgs.is_empty() {
        return Err(Error::denied(Msg::NotAnOfficial.text()));
    }
    Ok(orgs)
}

/// A letter number as typed (`12`, `#12`).
fn parse_id(s: &str) -> Option<u64> {
    s.trim().trim_start_matches(['#', '＃']).parse().ok()
}

/// Whether a chat is one where letters may be read: a private chat or mail
/// (a group would show an org's letters to everyone in it).
pub(super) fn is_private(ev: &Inbound) -> bool {
    ev.chat.kind != ChatKind::Group
}
