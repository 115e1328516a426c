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
pub mod store;
mod view;

use treecast_wire::{Button, ButtonAction, Inbound, Outbound, OutboundKind};

use crate::catalogue::{msg, Msg};
use crate::error::{Error, Result};
use crate::events::{Act, Actor, Event, Record};
use crate::notice::Draft;
use crate::outbox::queue::Queued;
use crate::registry::{
    split_at_org, CommandSpec, Ctx, Cx, Declaration, DigestItem, DigestSource, Feature, Handled, Invocation, SearchDoc,
    SearchKind, SearchOp, Who,
};
use crate::schedule::{self, Job};
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

fn when(arg: Option<&str>) -> Result<u64> {
    let a = arg.ok_or_else(|| Error::invalid(Msg::InterviewUsage.text()))?;
    crate::clock::parse_china(&a.replace(['T', 't'], " "))
        .ok_or_else(|| Error::invalid(msg(Msg::InterviewBadTime, &[("text", &a)])))
}

/// A private message to `p`, if they can be reached.
fn tell(p: &Person, key: String, text: String) -> Option<Queued> {
    let mut m = Outbound::reply(format!("{key}-{}", crate::msgref::nonce()), p.private_address()?, text);
    m.kind = OutboundKind::Private;
    Some(Queued::new(m))
}

fn schedule_interview(cx: &Cx, ev: &Inbound, p: &Person, inv: &Invocation) -> Result<Handled> {
    let (at, args) = split_at_org(&inv.args[1..]);
    let org = cx.official_org(p, at)?;
    cx.tree.check(p.id, Action::PostNotice, &org)?;
    if args.len() < 4 {
        return Err(Error::invalid(Msg::InterviewUsage.text()));
    }
    let guest = crate::cli::person_by(&cx.tree, &args[0])?;
    let (opens, closes) = (when(args.get(1).map(String::as_str))?, when(args.get(2).map(String::as_str))?);
    let now = cx.now();
    if closes <= opens || closes <= now {
        return Err(Error::invalid(Msg::InterviewBadWindow.text()));
    }
    let mut words: Vec<&str> = args[3..].iter().map(String::as_str).collect();
    let named = matches!(words.last(), Some(&("实名" | "named"))) && words.len() > 1;
    if named {
        words.pop();
    }
    let title = words.join(" ");
    if title.chars().count() > MAX_TITLE {
        return Err(Error::invalid(msg(Msg::InterviewTitleTooLong, &[("max", &MAX_TITLE)])));
    }
    let mut iv = Interview {
        id: cx.store().next_id()?,
        org: org.id,
        title,
        about: inv.body.trim().to_owned(),
        guest: guest.id,
        guest_name: guest.name.clone(),
        host: p.id,
        opens,
        closes,
        hide_askers: !named,
        notice: None,
        batches: 0,
        closed: false,
    };
    let (o, c) = (crate::clock::show(opens), crate::clock::show(closes));
    let hidden = if iv.hide_askers { Msg::InterviewAskersHidden } else { Msg::InterviewAskersNamed };
    let draft = Draft {
        issuer_code: org.code.clone(),
        title: format!("【微访谈】{}", iv.title),
        body: msg(
            Msg::InterviewAnnouncement,
            &[
                ("about", &iv.about),
                ("guest", &iv.guest_name),
                ("opens", &o),
                ("closes", &c),
                ("id", &iv.id),
                ("votes", &store::VOTES_EACH),
                ("hidden", &hidden.text()),
            ],
        )
        .trim_start()
        .to_owned(),
        ack_required: false,
        buttons: vec![Button {
            label: "提问 Ask".into(), action: ButtonAction::StartPrivate(format!("iv{}", iv.id))
        }],
        ..Draft::default()
    };
    let notice = cx.tree.post_even_unreachable(p.id, draft, &cx.rules())?.id;
    iv.notice = Some(notice);
    let mut w = Writes::default();
    let e = Event::InterviewScheduled { interview: iv.id, org: org.id, by: p.id };
    store::put_interview(&mut w, &iv, cx.clock.now_ms(), Some(&e));
    let payload = iv.id.to_be_bytes().to_vec();
    if opens > now {
        schedule::put(
            cx.store(),
            &mut w,
            opens * 1000,
            &Job::new(OPEN_JOB, job_key(OPEN_JOB, iv.id), payload.clone()),
        )?;
    }
    schedule::put(cx.store(), &mut w, closes * 1000, &Job::new(CLOSE_JOB, job_key(CLOSE_JOB, iv.id), payload))?;
    cx.store().commit(&w)?;
    let said = msg(
        Msg::InterviewCreated,
        &[
            ("id", &iv.id),
            ("title", &iv.title),
            ("org", &org.name),
            ("guest", &iv.guest_name),
            ("opens", &o),
            ("closes", &c),
            ("notice", &notice),
        ],
    );
    let mut h = Handled::say(ev, said);
    let invite = msg(
        Msg::InterviewGuestInvited,
        &[("id", &iv.id), ("title", &iv.title), ("org", &org.name), ("opens", &o), ("closes", &c)],
    );
    h.replies.extend(tell(&guest, format!("iv{}-guest", iv.id), invite));
    Ok(h)
}

fn job_key(kind: &str, id: u64) -> String {
    format!("{kind}:{id}")
}

/// Takes a question for interview `iv` from `p` (checked: audience, open,
/// length, not asked before).
pub(crate) fn submit(cx: &Ctx, p: &Person, iv: &Interview, text: &str, w: &mut Writes) -> Result<Question> {
    let from = need_audience(cx, p, iv)?;
    if iv.closed || cx.now() >= iv.closes {
        return Err(Error::invalid(msg(Msg::InterviewOver, &[("id", &iv.id)])));
    }
    let text = text.trim();
    if text.is_empty() {
        return Err(Error::invalid(Msg::InterviewUsage.text()));
    }
    if text.chars().count() > MAX_QUESTION {
        return Err(Error::invalid(msg(Msg::InterviewQuestionTooLong, &[("max", &MAX_QUESTION)])));
    }
    let norm = same_words(text);
    for q in store::questions(cx.store(), iv.id)? {
        if same_words(&q.text) != norm || matches!(q.state, State::Rejected { .. }) {
            continue;
        }
        let m = if q.asker == p.id { Msg::InterviewAskedTwice } else { Msg::InterviewSameQuestion };
        return Err(Error::invalid(msg(m, &[("q", &q.id)])));
    }
    let q = Question {
        id: cx.store().next_id()?,
        interview: iv.id,
        asker: p.id,
        asker_name: p.name.clone(),
        from: from.id,
        text: text.to_owned(),
        at: cx.now(),
        state: State::Submitted,
    };
    store::put_question(w, &q, iv.org, cx.clock.now_ms());
    Ok(q)
}

/// A question's words without punctuation, spaces or case: what makes two the same.
fn same_words(text: &str) -> String {
    crate::text::normalize(text).chars().filter(|c| c.is_alphanumeric()).collect()
}

fn ask(cx: &Cx, ev: &Inbound, p: &Person, inv: &Invocation) -> Result<Handled> {
    let iv = require(cx, inv.id(0, Msg::InterviewUsage)?)?;
    let text = inv.text_from(1);
    let mut w = Writes::default();
    let q = submit(cx, p, &iv, &text, &mut w)?;
    cx.store().commit(&w)?;
    Ok(Handled::say(ev, msg(Msg::InterviewAsked, &[("q", &q.id), ("id", &iv.id)])))
}

fn moderate(cx: &Cx, ev: &Inbound, p: &Person, inv: &Invocation, approve: bool) -> Result<Handled> {
    let mut q = require_question(cx, inv.id(1, Msg::InterviewUsage)?)?;
    let iv = require(cx, q.interview)?;
    cx.tree.check(p.id, Action::PostNotice, &cx.tree.require_id(iv.org)?)?;
    if q.state != State::Submitted {
        return Err(Error::invalid(msg(Msg::InterviewNotSubmitted, &[("q", &q.id)])));
    }
    let reason = inv.words_from(2);
    q.state = if approve { State::Approved { by: p.id } } else { State::Rejected { by: p.id, reason: reason.clone() } };
    let mut w = Writes::default();
    store::put_question(&mut w, &q, iv.org, cx.clock.now_ms());
    cx.store().commit(&w)?;
    let (said, told) = if approve {
        (Msg::InterviewApproved, msg(Msg::InterviewTellApproved, &[("q", &q.id), ("title", &iv.title)]))
    } else {
        let told = msg(Msg::InterviewTellRejected, &[("q", &q.id), ("title", &iv.title), ("reason", &reason)]);
        (Msg::InterviewRejected, told)
    };
    let mut h = Handled::say(ev, msg(said, &[("q", &q.id)]));
    if let Some(asker) = cx.tree.person(q.asker)?.filter(|a| a.id != p.id) {
        h.replies.extend(tell(&asker, format!("iv{}-q{}", iv.id, q.id), told));
    }
    Ok(h)
}

fn vote(cx: &Cx, ev: &Inbound, p: &Person, inv: &Invocation) -> Result<Handled> {
    let q = require_question(cx, inv.id(0, Msg::InterviewUsage)?)?;
    let iv = require(cx, q.interview)?;
    need_audience(cx, p, &iv)?;
    if !matches!(q.state, State::Approved { .. }) || iv.closed {
        return Err(Error::invalid(msg(Msg::InterviewNotVotable, &[("q", &q.id)])));
    }
    match store::vote(cx.store(), &q, p.id, cx.clock.now_ms())? {
        Ok(left) => Ok(Handled::say(ev, msg(Msg::InterviewVoted, &[("q", &q.id), ("left", &left)]))),
        Err(store::Refused::Twice) => Err(Error::invalid(msg(Msg::InterviewVotedTwice, &[("q", &q.id)]))),
        Err(store::Refused::NoneLeft) => {
            Err(Error::invalid(msg(Msg::InterviewNoVotesLeft, &[("max", &store::VOTES_EACH)])))
        }
    }
}

fn answer(cx: &Cx, ev: &Inbound, p: &Person, inv: &Invocation) -> Result<Handled> {
    let mut q = require_question(cx, inv.id(0, Msg::InterviewUsage)?)?;
    let iv = require(cx, q.interview)?;
    if iv.guest != p.id {
        return Err(Error::denied(msg(Msg::InterviewNotGuest, &[("id", &iv.id)])));
    }
    let now = cx.now();
    if iv.closed || now >= iv.closes {
        return Err(Error::invalid(msg(Msg::InterviewOver, &[("id", &iv.id)])));
    }
    if now < iv.opens {
        let opens = crate::clock::show(iv.opens);
        return Err(Error::invalid(msg(Msg::InterviewNotOpen, &[("id", &iv.id), ("opens", &opens)])));
    }
    match q.state {
        State::Approved { .. } => {}
        State::Answered { .. } => return Err(Error::invalid(msg(Msg::InterviewAnsweredAlready, &[("q", &q.id)]))),
        _ => return Err(Error::invalid(msg(Msg::InterviewNotApproved, &[("q", &q.id)]))),
    }
    let text = inv.text_from(1);
    if text.is_empty() {
        return Err(Error::invalid(Msg::InterviewUsage.text()));
    }
    q.state = State::Answered { by: p.id, answer: text, at: now, published: false };
    let mut w = Writes::default();
    store::put_question(&mut w, &q, iv.org, cx.clock.now_ms());
    // The first answer of a batch sets when the batch goes out.
    let key = job_key(PUBLISH_JOB, iv.id);
    let due = match schedule::due_at(cx.store(), &key)? {
        Some(ms) => ms / 1000,
        None => {
            let at = (now + BATCH_SECS).min(iv.closes);
            schedule::put(cx.store(), &mut w, at * 1000, &Job::new(PUBLISH_JOB, key, iv.id.to_be_bytes().to_vec()))?;
            at
        }
    };
    cx.store().commit(&w)?;
    let when = crate::clock::show(due);
    Ok(Handled::say(ev, msg(Msg::InterviewAnswered, &[("q", &q.id), ("when", &when)])))
}

/// The answers not yet published, as notices of the audience: as many as
/// fit the shortest platform message go in each. Returns the writes that
/// mark them published (they commit with the job).
fn publish(cx: &Ctx, iv: &mut Interview) -> Result<Writes> {
    let mut w = Writes::default();
    let waiting: Vec<Question> = store::questions(cx.store(), iv.id)?
        .into_iter()
        .filter(|q| matches!(q.state, State::Answered { published: false, .. }))
        .collect();
    if waiting.is_empty() {
        return Ok(w);
    }
    let org = cx.tree.require_id(iv.org)?;
    let rules = cx.rules();
    // The platform gets the title, the body with the notice's number after
    // it, and the footer, with a line between each.
    let title_room = msg(Msg::InterviewBatchTitle, &[("title", &iv.title), ("n", &9999)]).chars().count() + 30;
    let limit = cx.caps.shortest_message().unwrap_or(DEFAULT_BATCH_CHARS);
    let room = limit.saturating_sub(rules.footer.chars().count() + title_room).max(200);
    for batch in view::batches(iv, &waiting, room) {
        iv.batches += 1;
        let draft = Draft {
            issuer_code: org.code.clone(),
            title: msg(Msg::InterviewBatchTitle, &[("title", &iv.title), ("n", &iv.batches)]),
            body: batch.text,
            ack_required: false,
            ..Draft::default()
        };
        let notice = cx.tree.post_even_unreachable(iv.host, draft, &rules)?.id;
        for q in batch.questions {
            let mut q = q.clone();
            if let State::Answered { published, .. } = &mut q.state {
                *published = true;
            }
            store::put_question_row(&mut w, &q);
        }
        let e = Event::InterviewPublished { interview: iv.id, org: iv.org, notice, answers: batch.n as u32 };
        store::put_interview(&mut w, iv, cx.clock.now_ms(), Some(&e));
    }
    cx.waker.wake();
    Ok(w)
}

/// A moderator sends the answers waiting for their batch at once.
fn publish_now(cx: &Cx, ev: &Inbound, p: &Person, inv: &Invocation) -> Result<Handled> {
    let mut iv = require(cx, inv.id(1, Msg::InterviewUsage)?)?;
    cx.tree.check(p.id, Action::PostNotice, &cx.tree.require_id(iv.org)?)?;
    let before = iv.batches;
    let mut w = publish(cx, &mut iv)?;
    schedule::cancel(cx.store(), &mut w, &job_key(PUBLISH_JOB, iv.id))?;
    cx.store().commit(&w)?;
    let sent = iv.batches - before;
    let said = if sent == 0 { Msg::InterviewNothingToPublish } else { Msg::InterviewPublished };
    Ok(Handled::say(ev, msg(said, &[("id", &iv.id), ("n", &sent)])))
}

fn close(cx: &Ctx, iv: &mut Interview) -> Result<Writes> {
    let mut w = publish(cx, iv)?;
    iv.closed = true;
    store::put_interview(&mut w, iv, cx.clock.now_ms(), None);
    schedule::cancel(cx.store(), &mut w, &job_key(PUBLISH_JOB, iv.id))?;
    let all = store::questions(cx.store(), iv.id)?;
    let answered = all.iter().filter(|q| matches!(q.state, State::Answered { .. })).count();
    let report = msg(
        Msg::InterviewClosedReport,
        &[
            ("id", &iv.id),
            ("title", &iv.title),
            ("asked", &all.len()),
            ("answered", &answered),
            ("batches", &iv.batches),
        ],
    );
    if let Some(q) = cx.tree.person(iv.host)?.and_then(|h| tell(&h, format!("iv{}-closed", iv.id), report)) {
        crate::outbox::queue::put(cx.store(), &mut w, &q)?;
    }
    Ok(w)
}

fn opened(cx: &Ctx, iv: &Interview) -> Result<Writes> {
    let mut w = Writes::default();
    let approved =
        store::questions(cx.store(), iv.id)?.iter().filter(|q| matches!(q.state, State::Approved { .. })).count();
    let text = msg(Msg::InterviewOpened, &[("id", &iv.id), ("title", &iv.title), ("n", &approved)]);
    if let Some(q) = cx.tree.person(iv.guest)?.and_then(|g| tell(&g, format!("iv{}-open", iv.id), text)) {
        crate::outbox::queue::put(cx.store(), &mut w, &q)?;
    }
    Ok(w)
}

fn pending(cx: &Cx, ev: &Inbound, p: &Person, inv: &Invocation) -> Result<Handled> {
    let iv = require(cx, inv.id(1, Msg::InterviewUsage)?)?;
    let org = cx.tree.require_id(iv.org)?;
    cx.tree.check(p.id, Action::PostNotice, &org)?;
    let waiting: Vec<Question> =
        store::questions(cx.store(), iv.id)?.into_iter().filter(|q| q.state == State::Submitted).collect();
    let text = view::pending(cx, &iv, &waiting)?;
    if iv.hide_askers && !waiting.is_empty() {
        // The moderators see the hidden names: the audit log keeps that they did.
        let act = Act::ReadPersonal { what: format!("interview {} askers", iv.id), rows: waiting.len() as u64 };
        let mut w = Writes::default();
        crate::events::emit(&mut w, cx.clock.now_ms(), &Event::Acted { org: org.id, by: Actor::Person(p.id), act });
        cx.store().commit(&w)?;
    }
    Ok(Handled::say(ev, text))
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
            ..Declaration::default()
        }
    }

    fn command(&self, cx: &Cx, ev: &Inbound, inv: &Invocation) -> Result<Handled> {
        let p = cx.need_person(ev)?;
        match (inv.name, inv.arg(0)) {
            ("ask", _) => ask(cx, ev, &p, inv),
            ("vote", _) => vote(cx, ev, &p, inv),
            ("answer", _) => answer(cx, ev, &p, inv),
            (_, Some("new" | "新建")) => schedule_interview(cx, ev, &p, inv),
            (_, Some("pending" | "待审")) => pending(cx, ev, &p, inv),
            (_, Some("approve" | "通过")) => moderate(cx, ev, &p, inv, true),
            (_, Some("reject" | "退回")) => moderate(cx, ev, &p, inv, false),
            (_, Some("publish" | "发布")) => publish_now(cx, ev, &p, inv),
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
            OPEN_JOB if !iv.closed => opened(cx, &iv),
            PUBLISH_JOB if !iv.closed => publish(cx, &mut iv),
            CLOSE_JOB if !iv.closed => close(cx, &mut iv),
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
