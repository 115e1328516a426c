//! Asking through the conversation engine: the "Ask" button (or `/start
//! ivID`) opens a one-question conversation whose answer is the question.

use treecast_wire::Inbound;

use super::commands::submit;
use super::store::{self, Asking, Interview};
use super::{need_audience, require, MAX_QUESTION};
use crate::catalogue::{msg, Msg};
use crate::context::Ctx;
use crate::conversation::{self as engine, Answer, Input, Kind, Progress, Question};
use crate::error::{Error, Result};
use crate::registry::{Cx, Handled};
use crate::store::Writes;
use crate::tree::people::Person;

/// One person writing one question for one interview.
struct Script<'a> {
    cx: &'a Ctx,
    person: &'a Person,
    iv: &'a Interview,
    questions: [Question; 1],
}

impl<'a> Script<'a> {
    fn new(cx: &'a Ctx, person: &'a Person, iv: &'a Interview) -> Script<'a> {
        let q = Question {
            id: "question".into(),
            text: msg(Msg::InterviewAskLead, &[("title", &iv.title), ("max", &MAX_QUESTION)]),
            required: true,
            kind: Kind::Text { max_len: MAX_QUESTION as u32, pattern: None },
            goto: Vec::new(),
        };
        Script { cx, person, iv, questions: [q] }
    }
}

impl engine::Script for Script<'_> {
    fn questions(&self) -> &[Question] {
        &self.questions
    }

    fn pattern(&self, _at: usize) -> Option<&regex::Regex> {
        None
    }

    fn button_prefix(&self) -> String {
        format!("iv:{}", self.iv.id)
    }

    fn save(&self, p: &Progress) -> Result<()> {
        let a = Asking { interview: self.iv.id, progress: p.clone() };
        store::put_asking(self.cx.store(), self.person.id, Some(&a))
    }

    /// Submits the question; if it is refused (asked already, closed) the
    /// conversation stays, so another question can be typed.
    fn finish(&self, p: Progress) -> Result<String> {
        let Some(Some(Answer::Text(text))) = p.answers.first() else {
            return Err(Error::invalid(Msg::InterviewUsage.text()));
        };
        let mut w = Writes::default();
        let q = submit(self.cx, self.person, self.iv, text, &mut w)?;
        store::end_asking(&mut w, self.person.id);
        self.cx.store().commit(&w)?;
        Ok(msg(Msg::InterviewAsked, &[("q", &q.id), ("id", &self.iv.id)]))
    }

    fn cancel(&self) -> Result<String> {
        store::put_asking(self.cx.store(), self.person.id, None)?;
        Ok(Msg::InterviewAskCancelled.text().to_owned())
    }

    fn heading(&self, _at: usize, _total: usize, _q: &Question) -> String {
        format!("【微访谈 #{}】", self.iv.id)
    }
}

/// `/start ivID`: the question is asked for.
pub fn start(cx: &Cx, ev: &Inbound, p: &Person, payload: &str) -> Result<Handled> {
    let id = payload.trim_start_matches("iv").parse().map_err(|_| Error::invalid(Msg::InterviewUsage.text()))?;
    let iv = require(cx, id)?;
    need_audience(cx, p, &iv)?;
    if iv.closed || cx.now() >= iv.closes {
        return Err(Error::invalid(msg(Msg::InterviewOver, &[("id", &iv.id)])));
    }
    let s = Script::new(cx, p, &iv);
    let progress = Progress::new(1);
    engine::Script::save(&s, &progress)?;
    Ok(Handled::say(ev, engine::ask(&s, &progress, None, false).text))
}

/// Free text (or a control) from someone writing a question.
pub fn step(cx: &Cx, ev: &Inbound, p: &Person, input: Input) -> Result<Option<Handled>> {
    let Some(a) = store::asking(cx.store(), p.id)? else { return Ok(None) };
    let Some(iv) = store::interview(cx.store(), a.interview)? else {
        store::put_asking(cx.store(), p.id, None)?;
        return Ok(None);
    };
    let s = Script::new(cx, p, &iv);
    let reply = engine::step(&s, a.progress, input, false)?;
    Ok(Some(Handled::say(ev, reply.text)))
}
