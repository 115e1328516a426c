//! The interview commands: scheduling, asking, moderating, voting,
//! answering, publishing at once, the moderators' queue.

use treecast_wire::{Button, ButtonAction, Inbound};

use super::store::{self, Interview, Question, State};
use super::{
    job_key, need_audience, require, require_question, tell, view, BATCH_SECS, CLOSE_JOB, MAX_QUESTION, MAX_TITLE,
    OPEN_JOB, PUBLISH_JOB,
};
use crate::catalogue::{msg, Msg};
use crate::context::Ctx;
use crate::error::{Error, Result};
use crate::events::{Act, Actor, Event};
use crate::notice::Draft;
use crate::outbox::queue::Queued;
use crate::registry::{split_at_org, Cx, Handled, Invocation};
use crate::schedule::{self, Job};
use crate::store::Writes;
use crate::tree::auth::Action;
use crate::tree::people::Person;

/// The notice announcing `iv` to its audience, with the "Ask" button.
fn announcement(issuer: &str, iv: &Interview) -> Draft {
    let (o, c) = (crate::clock::show(iv.opens), crate::clock::show(iv.closes));
    let hidden = if iv.hide_askers { Msg::InterviewAskersHidden } else { Msg::InterviewAskersNamed };
    let values: [(&str, &dyn std::fmt::Display); 7] = [
        ("about", &iv.about),
        ("guest", &iv.guest_name),
        ("opens", &o),
        ("closes", &c),
        ("id", &iv.id),
        ("votes", &store::VOTES_EACH),
        ("hidden", &hidden.text()),
    ];
    Draft {
        issuer_code: issuer.to_owned(),
        title: format!("【微访谈】{}", iv.title),
        body: msg(Msg::InterviewAnnouncement, &values).trim_start().to_owned(),
        ack_required: false,
        buttons: vec![Button {
            label: "提问 Ask".into(), action: ButtonAction::StartPrivate(format!("iv{}", iv.id))
        }],
        ..Draft::default()
    }
}

pub(super) fn schedule_interview(cx: &Cx, ev: &Inbound, p: &Person, inv: &Invocation) -> Result<Handled> {
    let (at, args) = split_at_org(&inv.args[1..]);
    let org = cx.official_org(p, at)?;
    cx.tree.check(p.id, Action::PostNotice, &org)?;
    if args.len() < 4 {
        return Err(Error::invalid(Msg::InterviewUsage.text()));
    }
    let guest = crate::tree::people::person_by(&cx.tree, &args[0])?;
    let (opens, closes) = (when(args.get(1).map(String::as_str))?, when(args.get(2).map(String::as_str))?);
    let now = cx.now();
    if closes <= opens || closes <= now {
        return Err(Error::invalid(Msg::InterviewBadWindow.text()));
    }
    let (title, named) = title_of(&args[3..])?;
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
    let notice = cx.tree.post_even_unreachable(p.id, announcement(&org.code, &iv), &cx.rules())?.id;
    iv.notice = Some(notice);
    store_scheduled(cx, &iv, p.id, now)?;
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
    h.replies.extend(tell(&guest, &format!("iv{}-guest", iv.id), invite));
    Ok(h)
}

/// The title from the words after the window, and whether askers are
/// named (a last word 实名 or `named`).
fn title_of(args: &[String]) -> Result<(String, bool)> {
    let mut words: Vec<&str> = args.iter().map(String::as_str).collect();
    let named = matches!(words.last(), Some(&("实名" | "named"))) && words.len() > 1;
    if named {
        words.pop();
    }
    let title = words.join(" ");
    if title.chars().count() > MAX_TITLE {
        return Err(Error::invalid(msg(Msg::InterviewTitleTooLong, &[("max", &MAX_TITLE)])));
    }
    Ok((title, named))
}

/// The interview, its event and its opening and closing jobs, in one commit.
fn store_scheduled(cx: &Cx, iv: &Interview, by: u64, now: u64) -> Result<()> {
    let mut w = Writes::default();
    let e = Event::InterviewScheduled { interview: iv.id, org: iv.org, by };
    store::put_interview(&mut w, iv, cx.clock.now_ms(), Some(&e));
    let payload = iv.id.to_be_bytes().to_vec();
    if iv.opens > now {
        let open = Job::new(OPEN_JOB, job_key(OPEN_JOB, iv.id), payload.clone());
        schedule::put(cx.store(), &mut w, iv.opens * 1000, &open)?;
    }
    let close = Job::new(CLOSE_JOB, job_key(CLOSE_JOB, iv.id), payload);
    schedule::put(cx.store(), &mut w, iv.closes * 1000, &close)?;
    cx.store().commit(&w)
}

pub(super) fn when(arg: Option<&str>) -> Result<u64> {
    let a = arg.ok_or_else(|| Error::invalid(Msg::InterviewUsage.text()))?;
    crate::clock::parse_china(&a.replace(['T', 't'], " "))
        .ok_or_else(|| Error::invalid(msg(Msg::InterviewBadTime, &[("text", &a)])))
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
pub(super) fn same_words(text: &str) -> String {
    crate::text::normalize(text).chars().filter(|c| c.is_alphanumeric()).collect()
}

pub(super) fn ask(cx: &Cx, ev: &Inbound, p: &Person, inv: &Invocation) -> Result<Handled> {
    let iv = require(cx, inv.id(0, Msg::InterviewUsage)?)?;
    let text = inv.text_from(1);
    let mut w = Writes::default();
    let q = submit(cx, p, &iv, &text, &mut w)?;
    cx.store().commit(&w)?;
    Ok(Handled::say(ev, msg(Msg::InterviewAsked, &[("q", &q.id), ("id", &iv.id)])))
}

pub(super) fn vote(cx: &Cx, ev: &Inbound, p: &Person, inv: &Invocation) -> Result<Handled> {
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

pub(super) fn answer(cx: &Cx, ev: &Inbound, p: &Person, inv: &Invocation) -> Result<Handled> {
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

/// A moderator sends the answers waiting for their batch at once.
pub(super) fn publish_now(cx: &Cx, ev: &Inbound, p: &Person, inv: &Invocation) -> Result<Handled> {
    let mut iv = require(cx, inv.id(1, Msg::InterviewUsage)?)?;
    cx.tree.check(p.id, Action::PostNotice, &cx.tree.require_id(iv.org)?)?;
    let before = iv.batches;
    let mut w = super::jobs::publish(cx, &mut iv)?;
    schedule::cancel(cx.store(), &mut w, &job_key(PUBLISH_JOB, iv.id))?;
    cx.store().commit(&w)?;
    let sent = iv.batches - before;
    let said = if sent == 0 { Msg::InterviewNothingToPublish } else { Msg::InterviewPublished };
    Ok(Handled::say(ev, msg(said, &[("id", &iv.id), ("n", &sent)])))
}

pub(super) fn pending(cx: &Cx, ev: &Inbound, p: &Person, inv: &Invocation) -> Result<Handled> {
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

pub(super) fn moderate(cx: &Cx, ev: &Inbound, p: &Person, inv: &Invocation, approve: bool) -> Result<Handled> {
    let (said, told) = decide(cx, p, inv.id(1, Msg::InterviewUsage)?, approve, &inv.words_from(2))?;
    let mut h = Handled::say(ev, said);
    h.replies.extend(told);
    Ok(h)
}

/// Approves or rejects question `qid` as `p` (an official of the host org
/// or above): what to say to them, and the message telling the asker.
pub(super) fn decide(cx: &Ctx, p: &Person, qid: u64, approve: bool, reason: &str) -> Result<(String, Option<Queued>)> {
    let mut q = require_question(cx, qid)?;
    let iv = require(cx, q.interview)?;
    cx.tree.check(p.id, Action::PostNotice, &cx.tree.require_id(iv.org)?)?;
    if q.state != State::Submitted {
        return Err(Error::invalid(msg(Msg::InterviewNotSubmitted, &[("q", &q.id)])));
    }
    let reason = reason.to_owned();
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
    let tell_asker = match cx.tree.person(q.asker)?.filter(|a| a.id != p.id) {
        Some(asker) => tell(&asker, &format!("iv{}-q{}", iv.id, q.id), told),
        None => None,
    };
    Ok((msg(said, &[("q", &q.id)]), tell_asker))
}
