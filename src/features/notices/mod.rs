//! Notices in chat and mail: /notice, /status, /remind, /ack, posting by
//! mail to `notice+CODE@…`, acknowledgements by reply, reaction or button,
//! replies relayed privately to the author, the automatic reminder before
//! an acknowledgement deadline, and the author's summary when a fan-out ends.

mod acks;
mod admin;
mod digest;
mod post;
mod privacy;
mod search;
mod summary;
mod web;

use std::sync::Arc;

use treecast_wire::{ChatKind, Inbound};

use crate::catalogue::{msg, Msg};
use crate::codes::Grant;
use crate::context::Ctx;
use crate::error::{Error, Result};
use crate::events::{self, Act, Actor, Event};
use crate::msgref::MsgRef;
use crate::notice::ack::is_ack_text;
use crate::notice::{Draft, REMIND_JOB};
use crate::registry::{
    always, never, CommandSpec, Cx, Declaration, Feature, Handled, Invocation, SearchKind, Subscriber, Who,
};
use crate::schedule::Job;
use crate::store::Writes;

pub struct Notices;

const COMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "notice",
        aliases: &["通知"],
        usage: "[@ORG] TITLE",
        help: "发布通知，正文写在下一行起 / post a notice, body on the next lines",
        who: Who::Officials,
        changes_state: always,
    },
    CommandSpec {
        name: "status",
        aliases: &["状态"],
        usage: "ID [ORG]",
        help: "查看送达与回执 / delivery and acknowledgements",
        who: Who::Officials,
        changes_state: never,
    },
    CommandSpec {
        name: "remind",
        aliases: &["提醒"],
        usage: "ID",
        help: "提醒尚未确认的组织 / remind those who have not acknowledged",
        who: Who::Officials,
        changes_state: always,
    },
    CommandSpec {
        name: "ack",
        aliases: &["收到", "确认"],
        usage: "[ID]",
        help: "确认收到通知 / acknowledge a notice",
        who: Who::Anyone,
        changes_state: always,
    },
];

impl Feature for Notices {
    fn declare(&self) -> Declaration {
        Declaration {
            name: "notices",
            commands: COMMANDS,
            buttons: &["ack:"],
            mail_tags: &["notice"],
            replies: &["delivery", "thread"],
            jobs: &[REMIND_JOB],
            admin: admin::OPS,
            search_kinds: &[SearchKind { kind: "notice", label: "通知 notice", aliases: &[] }],
            web_nav: &[("/notices", "通知", "Notices"), ("/post", "发通知", "Post a notice")],
            ..Declaration::default()
        }
    }

    fn web(&self) -> Option<axum::Router<crate::web::Web>> {
        Some(web::routes())
    }

    fn web_panel(&self, cx: &Ctx, v: &crate::web::Viewer) -> Result<Option<String>> {
        web::panel(cx, v)
    }

    fn personal_data(&self, cx: &Ctx, p: &crate::tree::people::Person) -> Result<Vec<String>> {
        privacy::held(cx, p)
    }

    fn forget(&self, cx: &Ctx, p: &crate::tree::people::Person, w: &mut Writes) -> Result<()> {
        privacy::forget(cx, p, w)
    }

    fn admin(&self, cx: &Ctx, op: &str, args: serde_json::Value) -> Result<crate::admin::Reply> {
        admin::run(cx, op, args)
    }

    fn command(&self, cx: &Cx, ev: &Inbound, inv: &Invocation) -> Result<Handled> {
        match inv.name {
            "notice" => post::command(cx, ev, inv),
            "status" => {
                let p = cx.need_person(ev)?;
                let Some(id) = inv.arg(0) else {
                    return Ok(Handled::say(ev, Msg::StatusNeedsId.text()));
                };
                let id = notice_id(id)?;
                let st = cx.tree.status(Some(p.id), id, inv.arg(1), 20)?;
                // Who acknowledged is personal data: the audit log keeps who saw it.
                if !st.acks.is_empty() {
                    let what = format!("notice:{id} acknowledgements");
                    let act = Act::ReadPersonal { what, rows: st.acks.len() as u64 };
                    let mut w = Writes::default();
                    let org = st.rows.first().map_or(st.notice.issuer, |r| r.org.id);
                    events::emit(&mut w, cx.now() * 1000, &Event::Acted { org, by: Actor::Person(p.id), act });
                    cx.store().commit(&w)?;
                }
                Ok(Handled::say(ev, st.to_text(&cx.tree)))
            }
            "remind" => {
                let p = cx.need_person(ev)?;
                let Some(id) = inv.arg(0) else {
                    return Ok(Handled::say(ev, Msg::RemindNeedsId.text()));
                };
                let id = notice_id(id)?;
                let r = cx.tree.remind(p.id, id)?;
                Ok(Handled::say(ev, msg(Msg::ReminderQueued, &[("reminder", &r.id), ("id", &id)])))
            }
            "ack" => acks::command(cx, ev, inv.arg(0)),
            _ => Err(Error::invalid(msg(Msg::NotNoticeCommand, &[("command", &inv.name)]))),
        }
    }

    fn button(&self, cx: &Cx, ev: &Inbound, data: &str) -> Result<Handled> {
        acks::button(cx, ev, data)
    }

    fn mail(&self, cx: &Cx, ev: &Inbound, _tag: &str, code: &str) -> Result<Handled> {
        post::by_mail(cx, ev, code)
    }

    fn reply(&self, cx: &Cx, ev: &Inbound, to: MsgRef) -> Result<Handled> {
        match to {
            MsgRef::Delivery { notice, channel } => {
                acks::must_speak_for(cx, ev, channel)?;
                if is_ack_text(&ev.text) {
                    return acks::in_channel(cx, ev, notice, channel, true);
                }
                let q = cx.tree.relay_reply(ev, notice, channel)?;
                let mut h = Handled::queued(vec![q]);
                if ev.chat.kind != ChatKind::Group {
                    h.replies.push(crate::registry::reply_to(ev, Msg::ReplyPassedOn.text()));
                }
                Ok(h)
            }
            MsgRef::Thread { thread, to_author } => {
                let t = cx.tree.thread(thread)?;
                Ok(Handled::queued(vec![cx.tree.relay_answer(ev, &t, to_author)?]))
            }
            _ => Ok(Handled::none()),
        }
    }

    fn reaction(&self, cx: &Cx, ev: &Inbound, to: MsgRef, key: &str) -> Result<Handled> {
        const ACK_KEYS: [&str; 5] = ["✅", "👍", "✔️", "☑️", "👌"];
        match to {
            MsgRef::Delivery { notice, channel } if ACK_KEYS.iter().any(|k| key.starts_with(k)) => {
                acks::must_speak_for(cx, ev, channel)?;
                acks::in_channel(cx, ev, notice, channel, false)
            }
            _ => Ok(Handled::none()),
        }
    }

    fn confirmed(&self, cx: &Cx, ev: &Inbound, grant: &Grant) -> Result<Option<Handled>> {
        match grant {
            Grant::ConfirmPost { person, draft } => post::publish(cx, ev, *person, draft.clone()).map(Some),
            _ => Ok(None),
        }
    }

    fn run_job(&self, cx: &Ctx, job: &Job) -> Result<Writes> {
        summary::auto_remind(cx, job)
    }

    fn subscribers(&self) -> Vec<Arc<dyn Subscriber>> {
        vec![Arc::new(summary::AuthorSummary), Arc::new(summary::Unreached)]
    }

    fn search_docs(&self, cx: &Ctx, events: &[crate::events::Record]) -> Result<Vec<crate::registry::SearchOp>> {
        search::docs(cx, events)
    }

    fn search_all(&self, cx: &Ctx, put: &mut dyn FnMut(crate::registry::SearchDoc) -> Result<()>) -> Result<()> {
        search::all(cx, put)
    }

    fn digest(&self, cx: &Ctx) -> Result<Option<Box<dyn crate::registry::DigestSource + '_>>> {
        Ok(Some(Box::new(digest::NoticeDigest::load(cx)?)))
    }
}

/// A notice number as typed (`42`, `#42`, `＃42`).
pub fn parse_notice_id(s: &str) -> Option<u64> {
    s.trim().trim_start_matches(['#', '＃']).parse().ok()
}

fn notice_id(s: &str) -> Result<u64> {
    parse_notice_id(s).ok_or_else(|| Error::invalid(msg(Msg::NotANoticeId, &[("text", &s)])))
}

/// A draft as an official writes it in chat.
fn chat_draft(issuer_code: String, title: String, body: String) -> Draft {
    Draft { issuer_code, title, body, ack_required: true, ..Draft::default() }
}
