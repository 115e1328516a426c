//! The interview's scheduled jobs: its start (the guest is told), each
//! batch of answers going out, and its end.

use super::store::{self, Interview, Question, State};
use super::{job_key, tell, view, DEFAULT_BATCH_CHARS, PUBLISH_JOB};
use crate::catalogue::{msg, Msg};
use crate::context::Ctx;
use crate::error::Result;
use crate::events::Event;
use crate::notice::Draft;
use crate::schedule;
use crate::store::Writes;

/// The answers not yet published, as notices of the audience: as many as
/// fit the shortest platform message go in each. Returns the writes that
/// mark them published (they commit with the job).
pub(super) fn publish(cx: &Ctx, iv: &mut Interview) -> Result<Writes> {
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

pub(super) fn close(cx: &Ctx, iv: &mut Interview) -> Result<Writes> {
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
    if let Some(q) = cx.tree.person(iv.host)?.and_then(|h| tell(&h, &format!("iv{}-closed", iv.id), report)) {
        crate::outbox::queue::put(cx.store(), &mut w, &q)?;
    }
    Ok(w)
}

pub(super) fn opened(cx: &Ctx, iv: &Interview) -> Result<Writes> {
    let mut w = Writes::default();
    let approved =
        store::questions(cx.store(), iv.id)?.iter().filter(|q| matches!(q.state, State::Approved { .. })).count();
    let text = msg(Msg::InterviewOpened, &[("id", &iv.id), ("title", &iv.title), ("n", &approved)]);
    if let Some(q) = cx.tree.person(iv.guest)?.and_then(|g| tell(&g, &format!("iv{}-open", iv.id), text)) {
        crate::outbox::queue::put(cx.store(), &mut w, &q)?;
    }
    Ok(w)
}
