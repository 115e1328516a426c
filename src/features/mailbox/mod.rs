//! Org mailboxes (信息交流): private work messages between orgs (私信),
//! reports upward (工作信息报送), answers threaded back, read state shared
//! by an org's officials, forwarding up the chain and the week's roll-up.
//!
//! Sending: `/msg`, `/report`, `/forward` in chat, or a mail to
//! `org+CODE@…`. Each receiving org's officials get a copy on their
//! preferred platform; replying to it answers as their org.

mod admin;
mod commands;
pub mod letters;
pub mod recipients;
mod search;
pub mod send;
mod view;
mod web;

use treecast_wire::Inbound;

use crate::catalogue::{msg, Msg};
use crate::codes::Grant;
use crate::context::Ctx;
use crate::error::{Error, Result};
use crate::msgref::MsgRef;
use crate::registry::{
    always, never, CommandSpec, Cx, Declaration, DigestItem, DigestSource, Feature, Handled, Invocation, SearchKind,
    Who,
};
use crate::store::{decode, encode, Writes};
use crate::tree::people::Person;
use crate::tree::Org;
use commands::{acting_orgs, forward, is_private, letter_for, mark_thread_read, read, report, sender, write};
use letters::{Kind, Party};
use send::{Outgoing, Sent, FEATURE};

pub struct Mailbox;

const COMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "msg",
        aliases: &["私信"],
        usage: "ORG[,ORG…] TEXT",
        help:
            "给组织发私信（组织代码、@parent 上级或 @children 全部下级） / write to orgs (codes, @parent or @children)",
        who: Who::Anyone,
        changes_state: always,
    },
    CommandSpec {
        name: "report",
        aliases: &["报送"],
        usage: "TITLE",
        help: "向上级报送工作信息，正文写在下一行起 / report to the parent org, body on the next lines",
        who: Who::Officials,
        changes_state: always,
    },
    CommandSpec {
        name: "inbox",
        aliases: &["收件箱", "信箱"],
        usage: "[ORG]",
        help: "查看本组织信箱的未读和最近信件 / the org's unread and recent letters",
        who: Who::Officials,
        changes_state: never,
    },
    CommandSpec {
        name: "read",
        aliases: &["查看信件", "阅读"],
        usage: "ID",
        help: "查看一封信件的全部往来并标为已读 / a letter's whole thread, marked read",
        who: Who::Anyone,
        changes_state: never,
    },
    CommandSpec {
        name: "forward",
        aliases: &["转发"],
        usage: "ID [@parent|ORG]",
        help: "把收到的信件或报送转给上级（或其他组织） / forward a letter or report up (or to other orgs)",
        who: Who::Officials,
        changes_state: always,
    },
    CommandSpec {
        name: "reports",
        aliases: &["报送情况"],
        usage: "[ORG]",
        help:
            "本周下级报送情况：谁已报送、谁未报送，各级数量 / this week's reports from below, per child and per level",
        who: Who::Officials,
        changes_state: never,
    },
];

impl Feature for Mailbox {
    fn declare(&self) -> Declaration {
        Declaration {
            name: FEATURE,
            commands: COMMANDS,
            mail_tags: &["org", "report"],
            replies: &[FEATURE],
            admin: admin::OPS,
            search_kinds: &[SearchKind { kind: "letter", label: "信件 letter", aliases: &["message"] }],
            web_nav: &[("/inbox", "信件", "Letters")],
            ..Declaration::default()
        }
    }

    fn web(&self) -> Option<axum::Router<crate::web::Web>> {
        Some(web::routes())
    }

    fn web_panel(&self, cx: &Ctx, v: &crate::web::Viewer) -> Result<Option<String>> {
        web::panel(cx, v)
    }

    fn command(&self, cx: &Cx, ev: &Inbound, inv: &Invocation) -> Result<Handled> {
        let p = cx.need_person(ev)?;
        if matches!(inv.name, "inbox" | "read" | "forward" | "reports") && !is_private(ev) {
            return Ok(Handled::say(ev, Msg::MailboxPrivateOnly.text()));
        }
        match inv.name {
            "msg" => write(cx, ev, &p, inv),
            "report" => report(cx, ev, &p, inv),
            "inbox" => {
                let mut parts = Vec::new();
                for org in acting_orgs(cx, &p, inv.arg(0))? {
                    parts.push(view::inbox(cx, &org)?);
                }
                Ok(Handled::say(ev, parts.join("\n\n")))
            }
            "read" => read(cx, ev, &p, inv.arg(0)),
            "forward" => forward(cx, ev, &p, inv),
            "reports" => {
                let org = match inv.arg(0) {
                    Some(code) => {
                        let org = cx.tree.require(code.trim_start_matches('@'))?;
                        cx.tree.check_read(Some(p.id), crate::tree::reads::Read::OrgMessages, &org)?;
                        org
                    }
                    None => cx.official_org(&p, None)?,
                };
                Ok(Handled::say(ev, view::week(cx, &org)?))
            }
            _ => Err(Error::invalid(msg(Msg::NotAvailable, &[("command", &inv.name)]))),
        }
    }

    /// `org+CODE@…` writes to CODE; `report+CODE@…` reports to CODE, the sender's parent.
    fn mail(&self, cx: &Cx, ev: &Inbound, tag: &str, code: &str) -> Result<Handled> {
        let Some(p) = cx.person(ev)? else {
            return Err(Error::denied(msg(Msg::MailboxSenderUnknown, &[("sender", &ev.sender.id)])));
        };
        let report = tag.eq_ignore_ascii_case("report");
        let (from, from_org, role) = sender(cx, &p, None, Some(if report { "@parent" } else { code }))?;
        let to = recipients::resolve(&cx.tree, &cx.config.mailbox, role, &from_org, code)?;
        if report {
            commands::check_report(role, &from_org, &to)?;
        }
        let subject = ev.subject.trim().trim_start_matches("Fwd:").trim_start_matches("FW:").trim();
        let kind = if report { Kind::Report } else { Kind::Message };
        let title = if subject.is_empty() { send::title_from(&ev.text) } else { subject.to_owned() };
        let out = Outgoing::letter(from, &to, kind, title, ev.text.clone(), p.id).as_in(ev);
        deliver_or_confirm(cx, ev, &p, out)
    }

    fn reply(&self, cx: &Cx, ev: &Inbound, to: MsgRef) -> Result<Handled> {
        let MsgRef::Owned { data, .. } = to else { return Ok(Handled::none()) };
        let id = crate::store::keys::read_u64_at(&data, 0, "mailbox reply")?;
        let p = cx.need_person(ev)?;
        let letter = letter_for(cx, &p, id, |l| l.to)?;
        let title = format!("Re: {}", letter.title.trim_start_matches("Re: "));
        let out = Outgoing {
            to: vec![letter.from],
            answers: Some(letter.id),
            ..Outgoing::letter(letter.to, &[], Kind::Message, title, ev.text.clone(), p.id).as_in(ev)
        };
        deliver_or_confirm(cx, ev, &p, out)
    }

    fn admin(&self, cx: &Ctx, op: &str, args: serde_json::Value) -> Result<crate::admin::Reply> {
        admin::run(cx, op, args)
    }

    fn search_docs(&self, cx: &Ctx, events: &[crate::events::Record]) -> Result<Vec<crate::registry::SearchOp>> {
        search::docs(cx, events)
    }

    fn personal_data(&self, cx: &Ctx, p: &Person) -> Result<Vec<String>> {
        match letters::written_by(cx.store(), p.id)? {
            0 => Ok(Vec::new()),
            n => Ok(vec![msg(Msg::MyDataLetters, &[("n", &n)])]),
        }
    }

    fn forget(&self, cx: &Ctx, p: &Person, w: &mut Writes) -> Result<()> {
        letters::forget(cx.store(), p.id, Msg::ForgottenAuthor.text(), w)
    }

    fn search_all(&self, cx: &Ctx, put: &mut dyn FnMut(crate::registry::SearchDoc) -> Result<()>) -> Result<()> {
        search::all(cx, put)
    }

    fn digest(&self, _cx: &Ctx) -> Result<Option<Box<dyn DigestSource + '_>>> {
        Ok(Some(Box::new(UnreadDigest)))
    }

    fn confirmed(&self, cx: &Cx, ev: &Inbound, grant: &Grant) -> Result<Option<Handled>> {
        let Grant::ConfirmFor { feature, person, data } = grant else { return Ok(None) };
        if feature != FEATURE {
            return Ok(None);
        }
        let p = cx.tree.person(*person)?.ok_or_else(crate::context::unknown_person)?;
        let out: Outgoing = decode(data)?;
        sent_answer(cx, ev, &p, out).map(Some)
    }
}

/// Each of the official's orgs with unread letters, with the newest three.
struct UnreadDigest;

impl DigestSource for UnreadDigest {
    fn items(&self, cx: &Ctx, _person: &Person, orgs: &[Org]) -> Result<Vec<DigestItem>> {
        let mut out = Vec::new();
        for org in orgs {
            let (latest, n) = letters::unread(cx.store(), org.id, 3)?;
            if n == 0 {
                continue;
            }
            let mut lines = Vec::new();
            for l in &latest {
                lines.push(format!(
                    "#{} {} · {}：{}",
                    l.id,
                    letters::party_name(&cx.tree, l.from)?,
                    l.author_name,
                    l.title
                ));
            }
            out.push(DigestItem {
                section: (0, Msg::DigestLetters.text()),
                text: msg(
                    Msg::DigestLettersLine,
                    &[("org", &format!("{}（{}）", org.name, org.code)), ("n", &n), ("latest", &lines.join("；"))],
                ),
                due: None,
                key: format!("mailbox:{}", org.id),
            });
        }
        Ok(out)
    }
}

/// Sends `out`, or, from a mail whose sender was not proven, asks them first.
fn deliver_or_confirm(cx: &Cx, ev: &Inbound, p: &Person, out: Outgoing) -> Result<Handled> {
    send::check(cx, &out)?;
    if !ev.sender.verified {
        let to: Vec<String> = out.to.iter().map(|t| letters::party_name(&cx.tree, *t)).collect::<Result<_>>()?;
        let what = msg(
            Msg::MailboxConfirmWhat,
            &[("title", &out.title), ("to", &to.join("、")), ("from", &letters::party_name(&cx.tree, out.from)?)],
        );
        let grant = Grant::ConfirmFor { feature: FEATURE.into(), person: p.id, data: encode(&out) };
        return crate::confirm::ask(cx, ev, grant, &what);
    }
    sent_answer(cx, ev, p, out)
}

/// Sends `out` and tells the sender where it went. Answering marks the
/// thread read for the answering org.
fn sent_answer(cx: &Ctx, ev: &Inbound, p: &Person, out: Outgoing) -> Result<Handled> {
    let answering = out.answers;
    let from = out.from;
    let s = send::send(cx, out)?;
    if let (Some(id), Party::Org(org)) = (answering, from) {
        if !s.repeated {
            mark_thread_read(cx, p, org, id)?;
        }
    }
    Ok(Handled::say(ev, sent_text(cx, &s)?))
}

fn sent_text(cx: &Ctx, s: &Sent) -> Result<String> {
    let Some(first) = s.letters.first() else { return Ok(String::new()) };
    if s.repeated {
        return Ok(msg(Msg::MailboxAlreadySent, &[("id", &first.id)]));
    }
    let to: Vec<String> = s.letters.iter().map(|l| letters::party_name(&cx.tree, l.to)).collect::<Result<_>>()?;
    let (kind, kind_en) = send::kind_words(first.kind, first.thread != first.id);
    let mut text = msg(
        Msg::MailboxSent,
        &[
            ("kind", &kind),
            ("kind_en", &kind_en),
            ("title", &first.title),
            ("id", &first.id),
            ("to", &to.join("、")),
            ("copies", &s.copies),
        ],
    );
    if !s.unattended.is_empty() {
        text.push_str(&msg(Msg::MailboxUnattended, &[("orgs", &s.unattended.join("、"))]));
    }
    Ok(text)
}

#[cfg(test)]
mod tests;
