//! Running, subscribing to and publishing in information services, in a
//! chat, by mail and through the admin API.

use serde::Deserialize;
use treecast_wire::Inbound;

use super::store::{self, Item, Mode, Service, Sub};
use super::{deliver, require, CONFIRM_MAIL, MAX_ITEM};
use crate::admin::{args, Reply};
use crate::catalogue::{msg, Msg};
use crate::clock::show;
use crate::context::Ctx;
use crate::error::{Error, Result};
use crate::msgref::MsgRef;
use crate::registry::{reply_to, split_at_org, Cx, Handled, Invocation};
use crate::store::Writes;
use crate::tree::auth::Action;
use crate::tree::people::Person;
use crate::tree::Org;

pub const OPS: &[&str] = &["service.list", "service.publish", "service.unsubscribe"];

/// The services `p` may join: those of an org at or above one of theirs.
fn visible(cx: &Ctx, p: &Person) -> Result<Vec<(Service, Org)>> {
    let roles = cx.tree.roles_of(p.id)?;
    let mut out = Vec::new();
    for s in store::services(cx.store())? {
        let Some(org) = cx.tree.get(s.org)? else { continue };
        if roles.iter().any(|(o, _)| o.is_within(&org)) {
            out.push((s, org));
        }
    }
    Ok(out)
}

/// The services `p` edits: named an editor, or an official of the service's org or above.
fn editable(cx: &Ctx, p: &Person) -> Result<Vec<(Service, Org)>> {
    let mut out = Vec::new();
    for s in store::services(cx.store())? {
        let Some(org) = cx.tree.get(s.org)? else { continue };
        if edits(cx, p, &s)? {
            out.push((s, org));
        }
    }
    Ok(out)
}

/// Whether `p` may publish in `s`: a named editor, or an official of its org or above.
fn edits(cx: &Ctx, p: &Person, s: &Service) -> Result<bool> {
    Ok(s.editors.contains(&p.id) || cx.tree.allowed(p.id, Action::PostNotice, &cx.tree.require_id(s.org)?)?)
}

/// The service `words` name (`[@CODE] 名称`) among `among`.
fn pick(among: Vec<(Service, Org)>, words: &[String]) -> Result<(Service, Org)> {
    let (code, rest) = split_at_org(words);
    let name = rest.first().map(String::as_str).unwrap_or_default().trim_matches(['《', '》', '“', '”']);
    if name.is_empty() {
        return Err(Error::invalid(Msg::ServiceUsage.text()));
    }
    let mut found: Vec<(Service, Org)> =
        among.into_iter().filter(|(s, o)| s.name == name && code.is_none_or(|c| c == o.code)).collect();
    match found.len() {
        1 => Ok(found.remove(0)),
        0 => Err(Error::not_found(msg(Msg::ServiceUnknown, &[("name", &name)]))),
        _ => {
            let codes: Vec<String> = found.iter().map(|(_, o)| format!("@{} {name}", o.code)).collect();
            Err(Error::invalid(msg(Msg::ServiceAmbiguous, &[("name", &name), ("choices", &codes.join("、"))])))
        }
    }
}

pub(super) fn list(cx: &Cx, ev: &Inbound, p: &Person) -> Result<Handled> {
    let mine = store::subscriptions(cx.store(), p.id)?;
    let mut lines = vec![Msg::ServiceListHead.text().to_owned()];
    for (s, org) in visible(cx, p)? {
        let state = if mine.contains(&s.id) { Msg::ServiceSubscribed.text() } else { Msg::ServiceNotSubscribed.text() };
        lines.push(format!("· {}（{}）{state} — /subscribe {}", s.name, org.name, s.name));
    }
    if lines.len() == 1 {
        return Ok(Handled::say(ev, Msg::ServiceNone.text()));
    }
    Ok(Handled::say(ev, lines.join("\n")))
}

/// `/service new 名称 [@ORG]`, `/service editor 名称 add|remove WHO`, `/service 名称`.
pub(super) fn service(cx: &Cx, ev: &Inbound, p: &Person, inv: &Invocation) -> Result<Handled> {
    match inv.arg(0) {
        Some("new" | "新建") => {
            // `new 名称 @ORG` or `new @ORG 名称`.
            let words = inv.args.get(1..).unwrap_or_default();
            let code = words.iter().find_map(|w| w.strip_prefix('@').or_else(|| w.strip_prefix('＠')));
            let name =
                words.iter().find(|w| !w.starts_with(['@', '＠'])).map(|n| n.trim().to_owned()).unwrap_or_default();
            if name.is_empty() || name.chars().count() > 20 || name.contains(['@', '＠', '/']) {
                return Err(Error::invalid(Msg::ServiceUsage.text()));
            }
            let org = cx.official_org(p, code)?;
            cx.tree.check(p.id, Action::PostNotice, &org)?;
            if store::services(cx.store())?.iter().any(|s| s.org == org.id && s.name == name) {
                return Err(Error::invalid(msg(Msg::ServiceExists, &[("name", &name), ("org", &org.name)])));
            }
            let s = Service {
                id: cx.store().next_number("service")?,
                org: org.id,
                name,
                about: inv.body.trim().to_owned(),
                editors: Vec::new(),
                created_by: p.id,
            };
            let mut w = Writes::default();
            store::put_service(&mut w, &s);
            cx.store().commit(&w)?;
            Ok(Handled::say(ev, msg(Msg::ServiceCreated, &[("name", &s.name), ("org", &org.name), ("id", &s.id)])))
        }
        Some("editor" | "编辑") => {
            let (mut s, org) = pick(editable(cx, p)?, inv.args.get(1..2).unwrap_or_default())?;
            cx.tree.check(p.id, Action::PostNotice, &org)?;
            let who = inv.arg(3).ok_or_else(|| Error::invalid(Msg::ServiceUsage.text()))?;
            let editor = crate::tree::people::person_by(&cx.tree, who)?;
            let add = matches!(inv.arg(2), Some("add" | "添加"));
            s.editors.retain(|e| *e != editor.id);
            if add {
                s.editors.push(editor.id);
            }
            let mut w = Writes::default();
            store::put_service(&mut w, &s);
            cx.store().commit(&w)?;
            let m = if add { Msg::ServiceEditorAdded } else { Msg::ServiceEditorRemoved };
            Ok(Handled::say(ev, msg(m, &[("who", &editor.name), ("name", &s.name)])))
        }
        Some(_) => {
            let (s, org) = pick(editable(cx, p)?, &inv.args)?;
            Ok(Handled::say(ev, stats(cx, &s, &org)?))
        }
        None => list(cx, ev, p),
    }
}

/// A service's counts, for its editors and the operator.
fn stats(cx: &Ctx, s: &Service, org: &Org) -> Result<String> {
    let c = store::counts(cx.store(), s.id)?;
    let n = store::subscriber_count(cx.store(), s.id)?;
    Ok(msg(
        Msg::ServiceStats,
        &[
            ("name", &s.name),
            ("org", &org.name),
            ("subs", &n),
            ("items", &c.items),
            ("delivered", &c.delivered),
            ("gone", &c.unsubscribed),
            ("after", &c.unsubscribed_after_item),
            ("id", &s.id),
        ],
    ))
}

/// Whether `p` belongs to the service's audience: an org at or below its org.
fn may_join(cx: &Ctx, p: &Person, s: &Service) -> Result<Org> {
    let org = cx.tree.require_id(s.org)?;
    if cx.tree.roles_of(p.id)?.iter().any(|(o, _)| o.is_within(&org)) {
        return Ok(org);
    }
    Err(Error::denied(msg(Msg::ServiceNotForYou, &[("name", &s.name), ("org", &org.name)])))
}

pub(super) fn subscribe(cx: &Cx, ev: &Inbound, p: &Person, inv: &Invocation) -> Result<Handled> {
    let daily = inv.args.iter().skip(1).any(|a| matches!(a.as_str(), "daily" | "每日" | "汇总"));
    let words: Vec<String> =
        inv.args.iter().filter(|a| !matches!(a.as_str(), "daily" | "每日" | "汇总")).cloned().collect();
    let among = store::services(cx.store())?
        .into_iter()
        .filter_map(|s| cx.tree.get(s.org).ok().flatten().map(|o| (s, o)))
        .collect();
    let (s, _) = pick(among, &words)?;
    subscribe_to(cx, ev, p, &s, if daily { Mode::Daily } else { Mode::Each })
}

pub(super) fn subscribe_to(cx: &Ctx, ev: &Inbound, p: &Person, s: &Service, mode: Mode) -> Result<Handled> {
    let org = may_join(cx, p, s)?;
    let token = match store::sub(cx.store(), s.id, p.id)? {
        Some(old) => old.token,
        None => store::new_token(),
    };
    let mut w = Writes::default();
    store::put_sub(&mut w, s.id, p.id, &Sub { mode, since: cx.now(), token });
    cx.store().commit(&w)?;
    let (quiet, bundle) = (&cx.config.services.quiet, cx.config.services.bundle_at);
    let hhmm = |m: u16| format!("{:02}:{:02}", m / 60, m % 60);
    let how = match mode {
        Mode::Each if quiet.0 == quiet.1 => Msg::ServiceEachAnytime.text().to_owned(),
        Mode::Each => msg(Msg::ServiceEach, &[("from", &hhmm(quiet.0)), ("to", &hhmm(quiet.1))]),
        Mode::Daily => msg(Msg::ServiceDaily, &[("at", &hhmm(bundle))]),
    };
    Ok(Handled::say(ev, msg(Msg::ServiceJoined, &[("name", &s.name), ("org", &org.name), ("how", &how)])))
}

pub(super) fn unsubscribe(cx: &Cx, ev: &Inbound, p: &Person, inv: &Invocation) -> Result<Handled> {
    let mine = store::subscriptions(cx.store(), p.id)?;
    let among = store::services(cx.store())?
        .into_iter()
        .filter(|s| mine.contains(&s.id))
        .filter_map(|s| cx.tree.get(s.org).ok().flatten().map(|o| (s, o)))
        .collect();
    let (s, _) = pick(among, &inv.args)?;
    leave(cx, &s, p.id)?;
    Ok(Handled::say(ev, msg(Msg::ServiceLeft, &[("name", &s.name)])))
}

/// Ends a subscription and counts it (against the last item if within a day of it).
fn leave(cx: &Ctx, s: &Service, person: u64) -> Result<()> {
    let Some(sub) = store::sub(cx.store(), s.id, person)? else { return Ok(()) };
    let mut w = Writes::default();
    store::remove_sub(&mut w, s.id, person, &sub);
    let mut c = store::counts(cx.store(), s.id)?;
    c.unsubscribed += 1;
    if c.last_item_at > 0 && cx.now() < c.last_item_at + 86_400 {
        c.unsubscribed_after_item += 1;
    }
    store::put_counts(&mut w, s.id, &c);
    cx.store().commit(&w)
}

/// A mail to `unsubscribe+TOKEN@…`: the token alone ends it (one click).
pub(super) fn unsubscribe_by_token(cx: &Cx, ev: &Inbound, token: &str) -> Result<Handled> {
    let Some((service, person)) = store::token(cx.store(), token.trim())? else {
        return Ok(Handled::say(ev, Msg::ServiceTokenUnknown.text()));
    };
    let s = require(cx, service)?;
    leave(cx, &s, person)?;
    Ok(Handled::say(ev, msg(Msg::ServiceLeft, &[("name", &s.name)])))
}

/// A mail to `subscribe+ID@…`: the sender confirms by replying (double opt-in).
pub(super) fn ask_to_confirm(cx: &Cx, ev: &Inbound, p: &Person, s: &Service) -> Result<Handled> {
    let org = may_join(cx, p, s)?;
    let mut data = s.id.to_be_bytes().to_vec();
    data.extend_from_slice(&p.id.to_be_bytes());
    let text = msg(Msg::ServiceConfirm, &[("name", &s.name), ("org", &org.name)]);
    let q = reply_to(ev, text).on_sent(MsgRef::Owned { feature: CONFIRM_MAIL.into(), data });
    Ok(Handled { replies: vec![q], rejected: Some(Msg::AwaitingConfirmation.text().to_owned()) })
}

/// The reply to a confirmation mail: only from the person it went to.
pub(super) fn confirmed(cx: &Cx, ev: &Inbound, data: &[u8]) -> Result<Handled> {
    let service = crate::store::keys::read_u64_at(data, 0, CONFIRM_MAIL)?;
    let person = crate::store::keys::read_u64_at(data, 8, CONFIRM_MAIL)?;
    let p = cx.need_person(ev)?;
    if p.id != person {
        return Err(Error::denied(Msg::OnlySenderConfirms.text()));
    }
    subscribe_to(cx, ev, &p, &require(cx, service)?, Mode::Each)
}

/// `/publish 名称 [TIME]` with the item below (or after the name).
pub(super) fn publish(cx: &Cx, ev: &Inbound, p: &Person, inv: &Invocation) -> Result<Handled> {
    if !ev.attachments.is_empty() {
        return Err(Error::invalid(Msg::ServiceNoAttachments.text()));
    }
    let mine = editable(cx, p)?;
    let (code, rest) = split_at_org(&inv.args);
    let skip = inv.args.len() - rest.len();
    let named = pick(mine, inv.args.get(..skip + 1).unwrap_or(&inv.args));
    let (s, _) = match named {
        Ok(found) => found,
        // Not one they edit: say whether it exists at all.
        Err(e) => {
            let all = store::services(cx.store())?;
            let name = rest.first().map(String::as_str).unwrap_or_default();
            if all.iter().any(|s| s.name == name) && code.is_none() {
                return Err(Error::denied(msg(Msg::ServiceNotEditor, &[("name", &name)])));
            }
            return Err(e);
        }
    };
    // `2026-12-01T08:00`, or date and time as two words.
    let two = [inv.arg(skip + 1), inv.arg(skip + 2)].map(Option::unwrap_or_default).join(" ");
    let (at, words) = match (crate::clock::parse_china(&two), inv.arg(skip + 2).is_some_and(|t| t.contains(':'))) {
        (Some(t), true) => (Some(t), 2),
        _ => match inv.arg(skip + 1).and_then(crate::clock::parse_china) {
            Some(t) => (Some(t), 1),
            None => (None, 0),
        },
    };
    let text = inv.text_from(skip + 1 + words);
    publish_item(cx, p, &s, text, at).map(|t| Handled::say(ev, t))
}

fn publish_item(cx: &Ctx, p: &Person, s: &Service, text: String, at: Option<u64>) -> Result<String> {
    if text.trim().is_empty() {
        return Err(Error::invalid(Msg::ServiceEmptyItem.text()));
    }
    let n = text.chars().count();
    if n > MAX_ITEM {
        return Err(Error::invalid(msg(Msg::ServiceItemTooLong, &[("n", &n), ("max", &MAX_ITEM)])));
    }
    let item = Item {
        id: cx.store().next_number("service-item")?,
        service: s.id,
        by: p.id,
        text: text.trim().to_owned(),
        at: at.unwrap_or(cx.now()).max(cx.now()),
        sent: false,
        reached: 0,
    };
    let mut w = Writes::default();
    store::put_item(&mut w, &item);
    let when = deliver::schedule_send(cx, &mut w, &item)?;
    cx.store().commit(&w)?;
    let subs = store::subscriber_count(cx.store(), s.id)?;
    let m = if when > cx.now() + 60 { Msg::ServicePublishedLater } else { Msg::ServicePublished };
    Ok(msg(m, &[("name", &s.name), ("n", &subs), ("at", &show(when)), ("id", &item.id)]))
}

#[derive(Deserialize)]
struct Publish {
    service: u64,
    by: String,
    text: String,
    at: Option<String>,
}

pub(super) fn admin(cx: &Ctx, op: &str, a: serde_json::Value) -> Result<Reply> {
    match op {
        "service.list" => {
            let mut lines = Vec::new();
            for s in store::services(cx.store())? {
                let org = cx.tree.require_id(s.org)?;
                lines.push(format!("#{} {}", s.id, stats(cx, &s, &org)?));
            }
            Ok(Reply::text(if lines.is_empty() { Msg::ServiceNone.text().to_owned() } else { lines.join("\n") }))
        }
        "service.publish" => {
            let a: Publish = args(op, a)?;
            let s = require(cx, a.service)?;
            let p = crate::tree::people::person_by(&cx.tree, &a.by)?;
            if !edits(cx, &p, &s)? {
                return Err(Error::denied(msg(Msg::ServiceNotEditor, &[("name", &s.name)])));
            }
            let at = match a.at.as_deref() {
                Some(t) => Some(
                    crate::clock::parse_china(t)
                        .ok_or_else(|| Error::invalid(msg(Msg::InterviewBadTime, &[("text", &t)])))?,
                ),
                None => None,
            };
            Ok(Reply::text(publish_item(cx, &p, &s, a.text, at)?))
        }
        "service.unsubscribe" => {
            #[derive(Deserialize)]
            struct Token {
                token: String,
            }
            let t: Token = args(op, a)?;
            let Some((service, person)) = store::token(cx.store(), t.token.trim())? else {
                return Ok(Reply::text(Msg::ServiceTokenUnknown.text()));
            };
            let s = require(cx, service)?;
            leave(cx, &s, person)?;
            Ok(Reply::text(msg(Msg::ServiceLeft, &[("name", &s.name)])))
        }
        _ => Err(Error::not_found(msg(Msg::AdminUnknownOp, &[("op", &op)]))),
    }
}
