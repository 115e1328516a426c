//! What people read of an interview: its page, the moderators' queue, the
//! list of one's interviews, and the batches the answers go out in.

use super::store::{self, Interview, Question, State};
use super::{in_audience, moderates};
use crate::catalogue::{msg, Msg};
use crate::clock::show as when;
use crate::context::Ctx;
use crate::error::Result;
use crate::tree::people::Person;

/// One published message: its text and the answers in it.
pub struct Batch<'a> {
    pub text: String,
    pub questions: Vec<&'a Question>,
    pub n: usize,
}

/// Who asked, as the public reads it.
fn asker(iv: &Interview, q: &Question) -> String {
    if iv.hide_askers {
        Msg::InterviewAnonymous.text().to_owned()
    } else {
        q.asker_name.clone()
    }
}

fn qa(iv: &Interview, q: &Question) -> Option<String> {
    let State::Answered { answer, .. } = &q.state else { return None };
    Some(msg(
        Msg::InterviewQA,
        &[("q", &q.id), ("asker", &asker(iv, q)), ("question", &q.text), ("guest", &iv.guest_name), ("answer", answer)],
    ))
}

/// The answered questions in messages of at most `room` characters each
/// (an answer longer than that goes alone, and the adapter splits it).
pub fn batches<'a>(iv: &Interview, answered: &'a [Question], room: usize) -> Vec<Batch<'a>> {
    let mut out: Vec<Batch> = Vec::new();
    for q in answered {
        let Some(block) = qa(iv, q) else { continue };
        let len = block.chars().count();
        match out.last_mut() {
            Some(b) if b.text.chars().count() + 2 + len <= room => {
                b.text.push_str("\n\n");
                b.text.push_str(&block);
                b.questions.push(q);
                b.n += 1;
            }
            _ => out.push(Batch { text: block, questions: vec![q], n: 1 }),
        }
    }
    out
}

fn head(cx: &Ctx, iv: &Interview) -> Result<String> {
    let org = cx.tree.get(iv.org)?.map(|o| o.name).unwrap_or_default();
    Ok(msg(
        Msg::InterviewHead,
        &[
            ("id", &iv.id),
            ("title", &iv.title),
            ("org", &org),
            ("guest", &iv.guest_name),
            ("opens", &when(iv.opens)),
            ("closes", &when(iv.closes)),
        ],
    ))
}

/// The interview's page: approved questions by votes, then the answers.
pub fn show(cx: &Ctx, iv: &Interview) -> Result<String> {
    let mut s = head(cx, iv)?;
    if !iv.about.is_empty() {
        s.push_str(&format!("\n{}", iv.about));
    }
    let all = store::questions(cx.store(), iv.id)?;
    let mut waiting = Vec::new();
    for q in all.iter().filter(|q| matches!(q.state, State::Approved { .. })) {
        waiting.push((store::votes(cx.store(), q.id)?, q));
    }
    // Most votes first; the earlier question first among equals.
    waiting.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.id.cmp(&b.1.id)));
    let answered: Vec<String> = all.iter().filter_map(|q| qa(iv, q)).collect();
    if waiting.is_empty() && answered.is_empty() {
        s.push_str(&format!("\n{}", Msg::InterviewNoQuestions.text()));
    }
    if !waiting.is_empty() {
        s.push_str(&format!("\n{}", Msg::InterviewWaiting.text()));
        for (n, q) in waiting {
            let votes = msg(Msg::InterviewVotes, &[("n", &n)]);
            s.push_str(&format!("\n#{} [{votes}] {}（{}）", q.id, q.text, asker(iv, q)));
        }
    }
    if !answered.is_empty() {
        s.push_str(&format!("\n{}", Msg::InterviewDone.text()));
        for a in answered {
            s.push_str(&format!("\n{a}"));
        }
    }
    Ok(s)
}

/// The moderators' queue, with the askers' names and orgs.
pub fn pending(cx: &Ctx, iv: &Interview, waiting: &[Question]) -> Result<String> {
    let mut s = msg(Msg::InterviewPendingHead, &[("id", &iv.id), ("n", &waiting.len())]);
    for q in waiting {
        let from = cx.tree.get(q.from)?.map(|o| o.name).unwrap_or_default();
        s.push_str(&format!("\n#{} {} · {} {}：{}", q.id, when(q.at), from, q.asker_name, q.text));
    }
    Ok(s)
}

/// The interviews not yet over that `p` hosts, answers or may ask in.
pub fn list(cx: &Ctx, p: &Person) -> Result<String> {
    let mut mine = Vec::new();
    store::each_interview(cx.store(), |iv| {
        if !iv.closed {
            let org = cx.tree.require_id(iv.org)?;
            if iv.guest == p.id || moderates(cx, p, &iv)? || in_audience(cx, p, &org)?.is_some() {
                mine.push(iv);
            }
        }
        Ok(())
    })?;
    if mine.is_empty() {
        return Ok(Msg::InterviewNone.text().to_owned());
    }
    mine.sort_by_key(|iv| iv.opens);
    let mut s = Msg::InterviewListHead.text().to_owned();
    for iv in &mine {
        s.push_str(&format!("\n{}", head(cx, iv)?));
    }
    Ok(s)
}
