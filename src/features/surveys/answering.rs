//! Surveys as conversations: begin, the survey's `Script` (save, finish into a response, cancel), the open list.

use std::fmt::Write as _;

use serde::Serialize;
use treecast_wire::{ChatKind, Inbound};

use super::{clock, say, unknown_person, Conversation, Loaded, Response, Surveys, BUTTON_TAG};
use crate::catalogue::{msg, Msg};
use crate::conversation::{self, Input, Progress, Question, Script};
use crate::error::{Error, Result};
use crate::registry::Handled;
use crate::store::survey_keys as keys;
use crate::store::{encode, Keyspace, Writes};
use crate::tree::auth::Action;
use crate::tree::people::{Person, Role};
use crate::tree::Org;

/// A conversation row written from borrowed progress: the layout of
/// `Conversation`, without cloning the answers at every step.
#[derive(Serialize)]
struct Row<'a> {
    branch: u32,
    progress: &'a Progress,
    slot: Option<[u8; 16]>,
}

/// One person answering one survey: the engine's owner for a step.
struct Answering<'a> {
    sv: &'a Surveys,
    s: &'a Loaded,
    person: u64,
    branch: u32,
    slot: Option<[u8; 16]>,
}

impl<'a> Answering<'a> {
    fn new(sv: &'a Surveys, s: &'a Loaded, person: u64, c: &Conversation) -> Answering<'a> {
        Answering { sv, s, person, branch: c.branch, slot: c.slot }
    }
}

impl Surveys {
    /// Begins (or resumes, or re-opens for editing) survey `id` for the sender.
    pub(super) fn begin(&self, ev: &Inbound, person: &Option<Person>, id: u64) -> Result<Handled> {
        let s = self.load(id)?;
        let sv = &s.survey;
        let now = self.now();
        if now < sv.opens {
            return Err(Error::invalid(msg(
                Msg::SurveyNotOpenYet,
                &[("title", &sv.def.title), ("opens", &clock::show(sv.opens))],
            )));
        }
        if now >= sv.closes {
            return Err(Error::invalid(closed_text(&s)));
        }
        let p = person.as_ref().ok_or_else(unknown_person)?;
        if ev.chat.kind != ChatKind::Direct {
            return Err(Error::invalid(Msg::AnswerInPrivate.text()));
        }
        let org = self.tree.require_id(sv.org)?;
        if !self.tree.allowed(p.id, Action::AnswerSurvey, &org)? {
            return Err(Error::denied(msg(Msg::SurveyNotForYou, &[("org", &org.name)])));
        }
        if let Some(c) = self.conversation(id, p.id)? {
            if sv.def.anonymous && self.has_answered(sv, p.id)? {
                // Left by a crash between storing the response and ending
                // the conversation (`commit_pending`): it is over.
                self.forget(id, p.id)?;
                return Err(Error::invalid(Msg::AnonymousAlreadyAnswered.text()));
            }
            if self.active(p.id)? != Some(id) {
                self.tree.store.surveys.insert(keys::active(p.id), &id.to_be_bytes())?;
            }
            let a = Answering::new(self, &s, p.id, &c);
            let lead = Msg::PickingUp.text();
            return Ok(Handled::engine(ev, conversation::ask(&a, &c.progress, Some(lead), self.shows_buttons(ev))));
        }
        self.begin_new(ev, p, &s, &org)
    }

    /// A new conversation: from scratch, or over a finished named response.
    fn begin_new(&self, ev: &Inbound, p: &Person, s: &Loaded, org: &Org) -> Result<Handled> {
        let sv = &s.survey;
        let answered = self.has_answered(sv, p.id)?;
        if answered && sv.def.anonymous {
            return Err(Error::invalid(Msg::AnonymousAlreadyAnswered.text()));
        }
        let branch = self
            .tree
            .roles_of(p.id)?
            .into_iter()
            .find(|(o, r)| *r == Role::Member && o.is_within(org))
            .map(|(o, _)| o.id)
            .ok_or_else(|| Error::denied(msg(Msg::SurveyForBranchMembers, &[("org", &org.name)])))?;
        let previous = if answered { self.response(sv.id, p.id)?.map(|r| r.answers) } else { None };
        let progress = match previous {
            Some(answers) => Progress::editing(answers),
            None => Progress::new(sv.def.questions.len()),
        };
        let a = Answering { sv: self, s, person: p.id, branch, slot: sv.def.anonymous.then(rand::random) };
        // The row, then the pointer that routes free text to it (a
        // conversation without the pointer is resumed by `/start`).
        a.save(&progress)?;
        self.tree.store.surveys.insert(keys::active(p.id), &sv.id.to_be_bytes())?;
        let intro = intro(s, progress.editing);
        Ok(Handled::engine(ev, conversation::ask(&a, &progress, Some(&intro), self.shows_buttons(ev))))
    }

    fn response(&self, survey: u64, person: u64) -> Result<Option<Response>> {
        match self.tree.store.surveys.get(keys::survey_person(keys::RESPONSE, survey, person))? {
            Some(v) => Ok(Some(crate::store::decode(&v)?)),
            None => Ok(None),
        }
    }

    /// One step of a conversation, through the engine.
    pub(super) fn step(&self, ev: &Inbound, p: &Person, s: &Loaded, c: Conversation, input: Input) -> Result<Handled> {
        // /cancel works after closing too; anything else then ends the conversation.
        if !matches!(input, Input::Cancel) && self.now() >= s.survey.closes {
            self.forget(s.survey.id, p.id)?;
            return Ok(say(ev, closed_text(s)));
        }
        let a = Answering::new(self, s, p.id, &c);
        Ok(Handled::engine(ev, conversation::step(&a, c.progress, input, self.shows_buttons(ev))?))
    }

    /// Drops a conversation and, if it is the active one, the pointer to it.
    /// Ends `person`'s conversation with `survey` (plain writes, in order).
    fn forget(&self, survey: u64, person: u64) -> Result<()> {
        self.tree.store.surveys.remove(keys::survey_person(keys::CONVERSATION, survey, person))?;
        self.drop_active(survey, person)
    }

    /// `survey` is no longer what `person`'s answers go to.
    fn drop_active(&self, survey: u64, person: u64) -> Result<()> {
        if self.active(person)? == Some(survey) {
            self.tree.store.surveys.remove(keys::active(person))?;
        }
        Ok(())
    }

    /// `/survey` with no arguments: open surveys the sender can answer or runs.
    pub(super) fn list(&self, ev: &Inbound, person: &Option<Person>) -> Result<Handled> {
        let p = person.as_ref().ok_or_else(unknown_person)?;
        let now = self.now();
        let mut lines = Vec::new();
        for s in self.all()? {
            if now >= s.closes || now < s.opens {
                continue;
            }
            let org = self.tree.require_id(s.org)?;
            let answer = self.tree.allowed(p.id, Action::AnswerSurvey, &org)?;
            let run = self.tree.allowed(p.id, Action::RunSurvey, &org)?;
            if !(answer || run) {
                continue;
            }
            let done = if answer && self.has_answered(&s, p.id)? { " ✅" } else { "" };
            lines.push(format!(
                "#{} 《{}》 {} · 截止 {}{done} — /start {}",
                s.id,
                s.def.title,
                org.name,
                clock::show(s.closes),
                s.payload()
            ));
        }
        if lines.is_empty() {
            return Ok(say(ev, Msg::NoOpenSurveys.text()));
        }
        Ok(say(ev, msg(Msg::OpenSurveys, &[("list", &lines.join("\n"))])))
    }
}

impl Script for Answering<'_> {
    fn questions(&self) -> &[Question] {
        &self.s.def().questions
    }

    fn pattern(&self, at: usize) -> Option<&regex::Regex> {
        self.s.patterns[at].as_ref()
    }

    fn button_prefix(&self) -> String {
        format!("{BUTTON_TAG}:{}", self.s.survey.id)
    }

    /// Stores a step (the active pointer is already set).
    fn save(&self, p: &Progress) -> Result<()> {
        let row = Row { branch: self.branch, progress: p, slot: self.slot };
        let key = keys::survey_person(keys::CONVERSATION, self.s.survey.id, self.person);
        self.sv.tree.store.surveys.insert(key, encode(&row))?;
        self.sv.resumed(self.s.survey.id, self.person);
        Ok(())
    }

    /// Stores the response and ends the conversation.
    fn finish(&self, p: Progress) -> Result<String> {
        let (sv, db) = (&self.s.survey, &self.sv);
        let mut text = format!("✅ 已提交《{}》，感谢参与！ Thank you, your answers are saved.\n", sv.def.title);
        text.push_str(&conversation::summary(&sv.def.questions, &p.answers));
        // The response and its event commit together with the rest of the
        // batch (`Surveys::commit_pending`, from the gateway's group commit:
        // a transaction per response cost five times the answer); the
        // conversation ends now. An anonymous response goes under a key fixed
        // when the conversation began, and its event names no person.
        let mut w = Writes::default();
        let (row_key, row, person) = if sv.def.anonymous {
            let row = Response { person: None, branch: self.branch, answers: p.answers, at: None };
            let slot = self.slot.unwrap_or_else(rand::random);
            let marker = keys::survey_opaque(keys::ANSWERED, sv.id, &keys::marker(&sv.salt, sv.id, self.person));
            w.put(Keyspace::Surveys, marker, Vec::new());
            text.push_str("\n\n匿名答案已与你的身份分开保存，不能再修改。 Anonymous answers are kept apart from your identity and cannot be changed.");
            (keys::survey_opaque(keys::ANONYMOUS, sv.id, &slot).to_vec(), row, None)
        } else {
            let at = Some(self.sv.now());
            let row = Response { person: Some(self.person), branch: self.branch, answers: p.answers, at };
            let (t, payload) = (clock::show(sv.closes), sv.payload());
            let _ = write!(
                text,
                "\n\n截止 {t} 前可发送 /start {payload} 修改答案。 To change your answers before {t}, send /start {payload}."
            );
            (keys::survey_person(keys::RESPONSE, sv.id, self.person).to_vec(), row, Some(self.person))
        };
        w.put(Keyspace::Surveys, row_key, encode(&row));
        // Its conversation row goes with the commit (`commit_pending`);
        // answers go nowhere now, and /start picks a kept one up again.
        db.defer(w, sv.id, self.person, (self.branch, person));
        db.drop_active(sv.id, self.person)?;
        Ok(text)
    }

    fn cancel(&self) -> Result<String> {
        let sv = &self.s.survey;
        self.sv.forget(sv.id, self.person)?;
        let mut text = format!(
            "已取消《{}》的作答，本次答案未保存。 Cancelled; the answers in progress were discarded.",
            sv.def.title
        );
        if self.sv.has_answered(sv, self.person)? {
            text.push_str(" 你之前提交的答案仍然有效。 Your earlier response still counts.");
        } else if self.sv.now() < sv.closes {
            let payload = sv.payload();
            text.push_str(&format!(" 截止前可发送 /start {payload} 重新开始。 Send /start {payload} to start again."));
        }
        Ok(text)
    }
}

/// The greeting before the first question.
fn intro(s: &Loaded, editing: bool) -> String {
    let sv = &s.survey;
    let n = sv.def.questions.len();
    let mut intro = String::with_capacity(512);
    let _ = writeln!(intro, "【微调查】{}", sv.def.title);
    if !sv.def.intro.is_empty() {
        intro.push_str(&sv.def.intro);
        intro.push('\n');
    }
    let t = clock::show(sv.closes);
    let _ = write!(intro, "共 {n} 题，截止 {t}。 {n} questions, open until {t} (China time).");
    if sv.def.anonymous {
        intro.push_str("\n本调查为匿名调查，答案不与你的身份关联。 Anonymous: your answers are not linked to you.");
    }
    if editing {
        intro.push_str("\n你已提交过，本次可修改答案；发送 /skip 保留原答案。 You answered before: change any answer, or send /skip to keep it.");
    }
    intro
}

pub(super) fn closed_text(s: &Loaded) -> String {
    let t = clock::show(s.survey.closes);
    msg(Msg::SurveyClosed, &[("title", &s.def().title), ("closes", &t)])
}
