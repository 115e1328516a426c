//! Micro-interviews (微访谈). An official schedules an interview of a guest
//! for their org's subtree; it is announced as a notice with an "Ask"
//! button. People of the audience ask privately (`/ask`, or the button's
//! conversation); the hosting org's officials approve or reject each
//! question; the audience votes (a few votes each, one per question); the
//! guest sees the approved questions by votes and answers in their private
//! chat. Answers go out to the audience in batches, one notice per batch
//! that fits the shortest platform message; the whole Q&A stays searchable.
//! Askers' names are hidden publicly unless the official said otherwise,
//! and kept for the moderators and the audit log.

mod ask;
mod commands;
mod jobs;
pub mod store;
mod view;
mod web;

use treecast_wire::Inbound;

use crate::catalogue::{msg, Msg};
use crate::context::Ctx;
use crate::error::{Error, Result};
use crate::events::{Event, Record};
use crate::registry::{
    tell, CommandSpec, Cx, Declaration, DigestItem, DigestSource, Feature, Handled, Invocation, SearchDoc, SearchKind,
    SearchOp, Who,
};
use crate::schedule::Job;
use crate::store::Writes;
use crate::tree::auth::Action;
use crate::tree::people::Person;
use crate::tree::Org;
use store::{Interview, Question, State};

const OPEN_JOB: &str = "interviews.open";
const PUBLISH_JOB: &str = "interviews.publish";
const CLOSE_JOB: &str = "interviews.close";
/// Answers wait this long for others to go out with them in one message.
const BATCH_SECS: u64 = 300;
const MAX_TITLE: usize = 40;
pub const MAX_QUESTION: usize = 300;
/// A batch's text when no connected platform limits a message.
const DEFAULT_BATCH_CHARS: usize = 4000;

fn acts(args: &[String]) -> bool {
    matches!(
        args.first().map(String::as_str),
        Some("new" | "新建" | "approve" | "通过" | "reject" | "退回" | "pending" | "待审" | "publish" | "发布")
    )
}

const COMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "interview",
        aliases: &["访谈", "微访谈"],
        usage: "new [@ORG] GUEST START END 标题 [实名] | ID | pending ID | approve Q | reject Q 理由 | publish ID",
        help: "微访谈：安排、审核问题、查看 / interviews: schedule, moderate questions, see one",
        who: Who::Members,
        changes_state: acts,
    },
    CommandSpec {
        name: "ask",
        aliases: &["提问"],
        usage: "ID 问题",
        help: "向微访谈嘉宾提问，经审核后嘉宾可见 / ask an interview's guest, seen once approved",
        who: Who::Members,
        changes_state: crate::registry::always,
    },
    CommandSpec {
        name: "vote",
        aliases: &["投票"],
        usage: "Q",
        help: "为微访谈的问题投票，每场每人 3 票 / vote for an interview question, 3 votes each",
        who: Who::Members,
        changes_state: crate::registry::always,
    },
    CommandSpec {
        name: "answer",
        aliases: &["回答"],
        usage: "Q 回答",
        help: "嘉宾回答已通过的问题 / the guest answers an approved question",
        who: Who::Members,
        changes_state: crate::registry::always,
    },
];

fn require(cx: &Ctx, id: u64) -> Result<Interview> {
    store::interview(cx.store(), id)?.ok_or_else(|| Error::not_found(msg(Msg::InterviewUnknown, &[("id", &id)])))
}

fn require_question(cx: &Ctx, q: u64) -> Result<Question> {
    store::question(cx.store(), q)?.ok_or_else(|| Error::not_found(msg(Msg::InterviewNoQuestion, &[("q", &q)])))
}

/// `p` belongs to the audience: an org at or below the host, or one above it.
fn in_audience(cx: &Ctx, p: &Person, org: &Org) -> Result<Option<Org>> {
    let roles = cx.tree.roles_of(p.id)?;
    let mine = roles.iter().map(|(o, _)| o);
    Ok(mine.clone().find(|o| o.is_within(org)).or_else(|| mine.clone().find(|o| org.is_within(o))).cloned())
}

fn need_audience(cx: &Ctx, p: &Person, iv: &Interview) -> Result<Org> {
    let org = cx.tree.require_id(iv.org)?;
    in_audience(cx, p, &org)?
        .ok_or_else(|| Error::denied(msg(Msg::InterviewNotAudience, &[("id", &iv.id), ("org", &org.name)])))
}

fn moderates(cx: &Ctx, p: &Person, iv: &Interview) -> Result<bool> {
    cx.tree.allowed(p.id, Action::PostNotice, &cx.tree.require_id(iv.org)?)
}

fn job_key(kind: &str, id: u64) -> String {
    format!("{kind}:{id}")
}

/// Interviews not over with questions waiting for review, for the digest
/// of the officials who moderate them (the host org's and those above).
struct Waiting(Vec<(Interview, usize)>);

impl DigestSource for Waiting {
    fn items(&self, cx: &Ctx, _person: &Person, orgs: &[Org]) -> Result<Vec<DigestItem>> {
        let mut out = Vec::new();
        for (iv, n) in &self.0 {
            let Some(host) = cx.tree.get(iv.org)? else { continue };
            if orgs.iter().any(|o| host.is_within(o)) {
                out.push(DigestItem {
                    section: (4, Msg::DigestInterviews.text()),
                    text: msg(Msg::DigestInterviewLine, &[("id", &iv.id), ("title", &iv.title), ("n", n)]),
                    due: Some(iv.closes),
                    key: format!("interview:{}", iv.id),
                });
            }
        }
        Ok(out)
    }
}

pub struct Interviews;

impl Feature for Interviews {
    fn declare(&self) -> Declaration {
        Declaration {
            name: "interviews",
            commands: COMMANDS,
            deep_links: &["iv"],
            jobs: &[OPEN_JOB, PUBLISH_JOB, CLOSE_JOB],
            search_kinds: &[SearchKind { kind: "interview", label: "访谈 interview", aliases: &[] }],
            module: Some("微访谈"),
            web_nav: &[("/interviews", "微访谈", "Interviews")],
            ..Declaration::default()
        }
    }

    fn web(&self) -> Option<axum::Router<crate::web::Web>> {
        Some(web::routes())
    }

    fn command(&self, cx: &Cx, ev: &Inbound, inv: &Invocation) -> Result<Handled> {
        let p = cx.need_person(ev)?;
        match (inv.name, inv.arg(0)) {
            ("ask", _) => commands::ask(cx, ev, &p, inv),
            ("vote", _) => commands::vote(cx, ev, &p, inv),
            ("answer", _) => commands::answer(cx, ev, &p, inv),
            (_, Some("new" | "新建")) => commands::schedule_interview(cx, ev, &p, inv),
            (_, Some("pending" | "待审")) => commands::pending(cx, ev, &p, inv),
            (_, Some("approve" | "通过")) => commands::moderate(cx, ev, &p, inv, true),
            (_, Some("reject" | "退回")) => commands::moderate(cx, ev, &p, inv, false),
            (_, Some("publish" | "发布")) => commands::publish_now(cx, ev, &p, inv),
            (_, Some(_)) => {
                let iv = require(cx, inv.id(0, Msg::InterviewUsage)?)?;
                if iv.guest != p.id && !moderates(cx, &p, &iv)? {
                    need_audience(cx, &p, &iv)?;
                }
                Ok(Handled::say(ev, view::show(cx, &iv)?))
            }
            (_, None) => Ok(Handled::say(ev, view::list(cx, &p)?)),
        }
    }

    fn digest(&self, cx: &Ctx) -> Result<Option<Box<dyn DigestSource + '_>>> {
        let mut waiting = Vec::new();
        store::each_interview(cx.store(), |iv| {
            if !iv.closed {
                let n = store::questions(cx.store(), iv.id)?.iter().filter(|q| q.state == State::Submitted).count();
                if n > 0 {
                    waiting.push((iv, n));
                }
            }
            Ok(())
        })?;
        Ok(Some(Box::new(Waiting(waiting))))
    }

    fn deep_link(&self, cx: &Cx, ev: &Inbound, payload: &str) -> Result<Handled> {
        ask::start(cx, ev, &cx.need_person(ev)?, payload)
    }

    fn conversation(&self, cx: &Cx, ev: &Inbound) -> Result<Option<Handled>> {
        match cx.person(ev)? {
            Some(p) => ask::step(cx, ev, &p, crate::conversation::Input::Text(&ev.text)),
            None => Ok(None),
        }
    }

    fn control(&self, cx: &Cx, ev: &Inbound, input: crate::conversation::Input) -> Result<Option<Handled>> {
        match cx.person(ev)? {
            Some(p) => ask::step(cx, ev, &p, input),
            None => Ok(None),
        }
    }

    fn run_job(&self, cx: &Ctx, job: &Job) -> Result<Writes> {
        let id = crate::store::keys::read_u64_at(&job.payload, 0, &job.key)?;
        let Some(mut iv) = store::interview(cx.store(), id)? else { return Ok(Writes::default()) };
        match job.kind.as_str() {
            OPEN_JOB if !iv.closed => jobs::opened(cx, &iv),
            PUBLISH_JOB if !iv.closed => jobs::publish(cx, &mut iv),
            CLOSE_JOB if !iv.closed => jobs::close(cx, &mut iv),
            _ => Ok(Writes::default()),
        }
    }

    fn search_docs(&self, cx: &Ctx, events: &[Record]) -> Result<Vec<SearchOp>> {
        let mut ids: Vec<u64> = events
            .iter()
            .filter_map(|r| match r.event {
                Event::InterviewScheduled { interview, .. } | Event::InterviewAnswered { interview, .. } => {
                    Some(interview)
                }
                _ => None,
            })
            .collect();
        // An interview answered several times in one batch is put once.
        ids.sort_unstable();
        ids.dedup();
        let mut out = Vec::new();
        for id in ids {
            if let Some(iv) = store::interview(cx.store(), id)? {
                out.push(SearchOp::Put(doc(cx, &iv)?));
            }
        }
        Ok(out)
    }

    fn search_all(&self, cx: &Ctx, put: &mut dyn FnMut(SearchDoc) -> Result<()>) -> Result<()> {
        store::each_interview(cx.store(), |iv| put(doc(cx, &iv)?))
    }

    fn personal_data(&self, cx: &Ctx, p: &Person) -> Result<Vec<String>> {
        let mut asked = 0;
        store::each_question(cx.store(), |q| {
            asked += usize::from(q.asker == p.id);
            Ok(())
        })?;
        let ballots = store::ballots_of(cx.store(), p.id)?;
        let mut out = Vec::new();
        if asked > 0 {
            out.push(msg(Msg::MyDataInterviewQuestions, &[("n", &asked)]));
        }
        if ballots > 0 {
            out.push(msg(Msg::MyDataInterviewVotes, &[("n", &ballots)]));
        }
        Ok(out)
    }

    /// The questions stay (the interview's); the asker's name goes, and so
    /// do their ballots and any question they were writing.
    fn forget(&self, cx: &Ctx, p: &Person, w: &mut Writes) -> Result<()> {
        store::each_question(cx.store(), |mut q| {
            if q.asker == p.id {
                q.asker = 0;
                q.asker_name = Msg::ForgottenAuthor.text().to_owned();
                store::put_question_row(w, &q);
            }
            Ok(())
        })?;
        store::forget_ballots(cx.store(), p.id, w)?;
        store::end_asking(w, p.id);
        Ok(())
    }
}

/// The interview and its answered questions, for its audience; askers are
/// never in it.
fn doc(cx: &Ctx, iv: &Interview) -> Result<SearchDoc> {
    let org = cx.tree.get(iv.org)?;
    let mut body = format!("{}\n{}", iv.about, iv.guest_name);
    for q in store::questions(cx.store(), iv.id)? {
        if let State::Answered { answer, .. } = &q.state {
            body.push_str(&format!("\n{}\n{answer}", q.text));
        }
    }
    Ok(SearchDoc {
        id: format!("interview:{}", iv.id),
        kind: "interview".into(),
        title: format!("【微访谈】{}", iv.title),
        body,
        orgs: org.iter().map(|o| o.path.clone()).collect(),
        reach: vec![iv.org],
        public: false,
        at: iv.opens,
        initials_of: None,
    })
}

#[cfg(test)]
mod tests;
