//! The conversation: one question at a time, answers checked and committed
//! step by step, /back, /skip, /cancel, resuming from sled, finishing into
//! a response (named, or anonymous and unlinkable).

use treecast_wire::{Button, ButtonAction, ChatKind, Inbound, Platform};

use super::answer::{self, letter, Answer};
use super::def::{Kind, Next};
use super::{clock, keys, say, unknown_person, Conversation, Loaded, Response, Surveys};
use crate::error::{Error, Result};
use crate::registry::{reply_to, Handled};
use crate::store::encode;
use crate::tree::auth::Action;
use crate::tree::people::{Person, Role};

pub(super) enum Input<'a> {
    Text(&'a str),
    Pick { q: u16, pick: Pick },
    Back,
    Skip,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Pick {
    Index(u8),
    /// "Done" on a multiple-choice question.
    Done,
}

/// Reads button data `sv:ID:Q:CHOICE` (CHOICE a number or `ok`).
pub(super) fn parse_button(data: &str) -> Option<(u64, u16, Pick)> {
    let mut it = data.strip_prefix("sv:")?.split(':');
    let id = it.next()?.parse().ok()?;
    let q = it.next()?.parse().ok()?;
    let pick = match it.next()? {
        "ok" => Pick::Done,
        n => Pick::Index(n.parse().ok()?),
    };
    Some((id, q, pick))
}

fn button_data(survey: u64, q: u16, choice: &str) -> String {
    format!("sv:{survey}:{q}:{choice}")
}

impl Surveys {
    /// Begins (or resumes, or re-opens for editing) survey `id` for the sender.
    pub(super) fn begin(&self, ev: &Inbound, person: &Option<Person>, id: u64) -> Result<Handled> {
        let s = self.load(id)?;
        let sv = &s.survey;
        let now = self.now();
        if now < sv.opens {
            return Err(Error::invalid(format!(
                "《{}》将于 {} 开始。 This survey opens at {} (China time).",
                sv.def.title,
                clock::show(sv.opens),
                clock::show(sv.opens)
            )));
        }
        if now >= sv.closes {
            return Err(Error::invalid(closed_text(&s)));
        }
        let p = person.as_ref().ok_or_else(unknown_person)?;
        if ev.chat.kind != ChatKind::Direct {
            return Err(Error::invalid("请在与机器人的私聊中作答。 Please answer in a private chat with the bot."));
        }
        let org = self.tree.require_id(sv.org)?;
        if !self.tree.allowed(p.id, Action::AnswerSurvey, &org)? {
            return Err(Error::denied(format!(
                "本调查面向 {} 的团员，你不在其中。 This survey is for League members of {}; you are not registered as one of them.",
                org.name, org.name
            )));
        }
        let active = keys::active(p.id);
        if let Some(c) = self.conversation(id, p.id)? {
            if self.active(p.id)? != Some(id) {
                self.tree.store.surveys.insert(active, &id.to_be_bytes())?;
            }
            return Ok(self.ask(ev, &s, &c, Some("继续上次的作答。 Picking up where you left off.".into())));
        }
        let answered = self.has_answered(sv, p.id)?;
        if answered && sv.def.anonymous {
            return Err(Error::invalid("你已提交过这份匿名调查；匿名答案不与你关联，提交后不能修改。 You have already answered this anonymous survey; anonymous answers are not linked to you, so they cannot be changed."));
        }
        let branch = self
            .tree
            .roles_of(p.id)?
            .into_iter()
            .find(|(o, r)| *r == Role::Member && o.is_within(&org))
            .map(|(o, _)| o.id)
            .ok_or_else(|| {
                Error::denied(format!(
                    "本调查面向 {} 的团支部成员。 This survey is for branch members of {}.",
                    org.name, org.name
                ))
            })?;
        let n = sv.def.questions.len();
        let previous = if answered { self.response(id, p.id)?.map(|r| r.answers) } else { None };
        let c = Conversation {
            branch,
            at: 0,
            answers: previous.clone().unwrap_or_else(|| vec![None; n]),
            trail: Vec::new(),
            picked: Vec::new(),
            editing: previous.is_some(),
            slot: sv.def.anonymous.then(rand::random),
        };
        self.open(id, p.id, &c)?;
        let mut intro = format!("【微调查】{}\n", sv.def.title);
        if !sv.def.intro.is_empty() {
            intro.push_str(&format!("{}\n", sv.def.intro));
        }
        intro.push_str(&format!(
            "共 {n} 题，截止 {}。 {n} questions, open until {} (China time).",
            clock::show(sv.closes),
            clock::show(sv.closes)
        ));
        if sv.def.anonymous {
            intro.push_str("\n本调查为匿名调查，答案不与你的身份关联。 Anonymous: your answers are not linked to you.");
        }
        if c.editing {
            intro.push_str("\n你已提交过，本次可修改答案；发送 /skip 保留原答案。 You answered before: change any answer, or send /skip to keep it.");
        }
        Ok(self.ask(ev, &s, &c, Some(intro)))
    }

    fn response(&self, survey: u64, person: u64) -> Result<Option<Response>> {
        match self.tree.store.surveys.get(keys::survey_person(keys::RESPONSE, survey, person))? {
            Some(v) => Ok(Some(crate::store::decode(&v)?)),
            None => Ok(None),
        }
    }

    /// Stores a conversation step (the active pointer is already set).
    pub(super) fn save(&self, survey: u64, person: u64, c: &Conversation) -> Result<()> {
        self.tree.store.surveys.insert(keys::survey_person(keys::CONVERSATION, survey, person), encode(c))?;
        Ok(())
    }

    /// A new conversation, then the pointer that routes free text to it (a
    /// conversation without the pointer is resumed by `/start`).
    fn open(&self, survey: u64, person: u64, c: &Conversation) -> Result<()> {
        self.save(survey, person, c)?;
        self.tree.store.surveys.insert(keys::active(person), &survey.to_be_bytes())?;
        Ok(())
    }

    /// One step of a conversation.
    pub(super) fn step(
        &self,
        ev: &Inbound,
        p: &Person,
        s: &Loaded,
        mut c: Conversation,
        input: Input,
    ) -> Result<Handled> {
        let id = s.survey.id;
        if self.now() >= s.survey.closes {
            self.forget(id, p.id)?;
            return Ok(say(ev, closed_text(s)));
        }
        let at = c.at as usize;
        let q = &s.def().questions[at];
        match input {
            Input::Text(t) => match answer::read(q, s.patterns[at].as_ref(), t) {
                Ok(a) => self.advance(ev, p, s, c, Some(a)),
                Err(hint) => Ok(self.ask(ev, s, &c, Some(hint))),
            },
            Input::Pick { q: qi, .. } if qi != c.at => {
                Ok(self.ask(ev, s, &c, Some("这道题不是当前题目，请回答下面这题。 That button belongs to another question; here is the current one.".into())))
            }
            Input::Pick { pick, .. } => {
                let n = q.kind.choices().len() as u8;
                match (&q.kind, pick) {
                    (Kind::Single { .. }, Pick::Index(i)) if i < n => self.advance(ev, p, s, c, Some(Answer::Choice(i))),
                    (Kind::Rating { .. }, Pick::Index(v)) if (1..=5).contains(&v) => self.advance(ev, p, s, c, Some(Answer::Rating(v))),
                    (Kind::Multi { .. }, Pick::Index(i)) if i < n => {
                        match c.picked.iter().position(|x| *x == i) {
                            Some(k) => {
                                c.picked.remove(k);
                            }
                            None => c.picked.push(i),
                        }
                        c.picked.sort_unstable();
                        self.save(id, p.id, &c)?;
                        let shown: Vec<String> = c.picked.iter().map(|i| letter(*i).to_string()).collect();
                        Ok(self.ask(ev, s, &c, Some(format!("已选 Selected: {}。选好后点「完成」。 Press Done when finished.", shown.join("、")))))
                    }
                    (Kind::Multi { min, max, .. }, Pick::Done) => match answer::check_count(&c.picked, *min, *max) {
                        Ok(()) => {
                            let picked = std::mem::take(&mut c.picked);
                            self.advance(ev, p, s, c, Some(Answer::Choices(picked)))
                        }
                        Err(hint) => Ok(self.ask(ev, s, &c, Some(hint))),
                    },
                    _ => Ok(self.ask(ev, s, &c, Some("这个按钮已失效。 That button no longer applies.".into()))),
                }
            }
            Input::Back => match c.trail.pop() {
                None => Ok(self.ask(ev, s, &c, Some("已经是第一题。 This is the first question.".into()))),
                Some(prev) => {
                    c.at = prev;
                    c.picked.clear();
                    self.save(id, p.id, &c)?;
                    Ok(self.ask(ev, s, &c, Some("回到上一题。 Back one question.".into())))
                }
            },
            Input::Skip => {
                if q.required && c.answers[at].is_none() {
                    return Ok(self.ask(ev, s, &c, Some("此题为必答题，不能跳过。 This question must be answered; it cannot be skipped.".into())));
                }
                let keep = c.answers[at].take();
                self.advance(ev, p, s, c, keep)
            }
        }
    }

    fn advance(&self, ev: &Inbound, p: &Person, s: &Loaded, mut c: Conversation, a: Option<Answer>) -> Result<Handled> {
        let at = c.at as usize;
        let next = s.def().questions[at].next(at, a.as_ref().and_then(Answer::key));
        c.answers[at] = a;
        c.picked.clear();
        c.trail.push(c.at);
        match next {
            Next::Question(n) if (n as usize) < s.def().questions.len() => {
                c.at = n;
                self.save(s.survey.id, p.id, &c)?;
                Ok(self.ask(ev, s, &c, None))
            }
            _ => self.finish(ev, p, s, c),
        }
    }

    /// Stores the response and ends the conversation, in one atomic batch.
    fn finish(&self, ev: &Inbound, p: &Person, s: &Loaded, mut c: Conversation) -> Result<Handled> {
        let sv = &s.survey;
        let on_path = path_taken(s, &c.answers);
        for (i, a) in c.answers.iter_mut().enumerate() {
            if !on_path.contains(&i) {
                *a = None;
            }
        }
        // Plain writes in an order that makes a retry harmless (sled keeps
        // them in order; a batch costs several times more): the response,
        // under a key fixed when the conversation began, then the end of the
        // conversation.
        let db = &self.tree.store.surveys;
        if sv.def.anonymous {
            let row = Response { person: None, branch: c.branch, answers: c.answers.clone(), at: None };
            let slot = c.slot.unwrap_or_else(rand::random);
            db.insert(keys::survey_opaque(keys::ANONYMOUS, sv.id, &slot), encode(&row))?;
            db.insert(keys::survey_opaque(keys::ANSWERED, sv.id, &keys::marker(&sv.salt, sv.id, p.id)), &[])?;
        } else {
            let row =
                Response { person: Some(p.id), branch: c.branch, answers: c.answers.clone(), at: Some(self.now()) };
            db.insert(keys::survey_person(keys::RESPONSE, sv.id, p.id), encode(&row))?;
        }
        self.forget(sv.id, p.id)?;
        let mut text = format!("✅ 已提交《{}》，感谢参与！ Thank you, your answers are saved.\n", sv.def.title);
        for (i, q) in s.def().questions.iter().enumerate() {
            if let Some(a) = &c.answers[i] {
                text.push_str(&format!("\n{}. {} → {}", i + 1, short(&q.text, 30), short(&a.show(q), 40)));
            }
        }
        if sv.def.anonymous {
            text.push_str("\n\n匿名答案已与你的身份分开保存，不能再修改。 Anonymous answers are kept apart from your identity and cannot be changed.");
        } else {
            text.push_str(&format!(
                "\n\n截止 {} 前可发送 /start {} 修改答案。 To change your answers before {}, send /start {}.",
                clock::show(sv.closes),
                sv.payload(),
                clock::show(sv.closes),
                sv.payload()
            ));
        }
        Ok(say(ev, text))
    }

    pub(super) fn cancel(&self, ev: &Inbound, p: &Person, s: &Loaded) -> Result<Handled> {
        self.forget(s.survey.id, p.id)?;
        let mut text = format!(
            "已取消《{}》的作答，本次答案未保存。 Cancelled; the answers in progress were discarded.",
            s.def().title
        );
        if self.has_answered(&s.survey, p.id)? {
            text.push_str(" 你之前提交的答案仍然有效。 Your earlier response still counts.");
        } else if self.now() < s.survey.closes {
            text.push_str(&format!(
                " 截止前可发送 /start {} 重新开始。 Send /start {} to start again.",
                s.survey.payload(),
                s.survey.payload()
            ));
        }
        Ok(say(ev, text))
    }

    /// Drops a conversation and, if it is the active one, the pointer to it.
    fn forget(&self, survey: u64, person: u64) -> Result<()> {
        let db = &self.tree.store.surveys;
        db.remove(keys::survey_person(keys::CONVERSATION, survey, person))?;
        if self.active(person)? == Some(survey) {
            db.remove(keys::active(person))?;
        }
        Ok(())
    }

    /// The current question, after `lead` (a hint or a greeting).
    pub(super) fn ask(&self, ev: &Inbound, s: &Loaded, c: &Conversation, lead: Option<String>) -> Handled {
        let at = c.at as usize;
        let q = &s.def().questions[at];
        let total = s.def().questions.len();
        let mut t = String::new();
        if let Some(l) = lead {
            t.push_str(&l);
            t.push_str("\n\n");
        }
        let optional = if q.required { "" } else { "，选填 optional" };
        t.push_str(&format!("第 {}/{total} 题（{}{optional}）\n{}", at + 1, q.kind.label(), q.text));
        for (i, ch) in q.kind.choices().iter().enumerate() {
            t.push_str(&format!("\n{}. {ch}", letter(i as u8)));
        }
        match &q.kind {
            Kind::Single { .. } => t.push_str("\n回复字母或序号。 Reply with a letter or number."),
            Kind::Multi { min, max, .. } => {
                t.push_str(&format!("\n可选 {min}-{max} 项，如 A,C 或 AC。 Pick {min} to {max}, e.g. A,C or AC."))
            }
            Kind::Rating { low, high } => t.push_str(&format!("\n1 = {low} … 5 = {high}。 Reply 1 to 5.")),
            Kind::Number { min, max, .. } => {
                if let (Some(a), Some(b)) = (min, max) {
                    t.push_str(&format!(
                        "\n请回复 {} 到 {} 之间的数字。 A number from {} to {}.",
                        answer::number(*a),
                        answer::number(*b),
                        answer::number(*a),
                        answer::number(*b)
                    ));
                }
            }
            Kind::Text { max_len, .. } => t.push_str(&format!("\n不超过 {max_len} 字。 Up to {max_len} characters.")),
        }
        if let Some(a) = &c.answers[at] {
            t.push_str(&format!("\n当前答案 Current answer: {}（/skip 保留 keeps it）", short(&a.show(q), 60)));
        }
        let mut controls = vec![];
        if !c.trail.is_empty() {
            controls.push("/back 上一题");
        }
        if !q.required || c.answers[at].is_some() {
            controls.push("/skip 跳过");
        }
        controls.push("/cancel 取消");
        t.push_str(&format!("\n\n{}", controls.join(" · ")));
        let mut reply = reply_to(ev, t);
        if ev.chat.platform == Platform::Telegram {
            reply.msg.buttons = buttons(s.survey.id, c.at, &q.kind);
        }
        Handled { replies: vec![reply], rejected: None }
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
            return Ok(say(ev, "目前没有你可以参与的调查。 There are no open surveys for you."));
        }
        Ok(say(ev, format!("进行中的调查 Open surveys:\n{}", lines.join("\n"))))
    }
}

/// Question indexes visited when following the answers from the start.
fn path_taken(s: &Loaded, answers: &[Option<Answer>]) -> Vec<usize> {
    let qs = &s.def().questions;
    let mut out = Vec::new();
    let mut i = 0;
    while i < qs.len() && !out.contains(&i) {
        out.push(i);
        match qs[i].next(i, answers[i].as_ref().and_then(Answer::key)) {
            Next::Question(n) => i = n as usize,
            Next::End => break,
        }
    }
    out
}

fn buttons(survey: u64, q: u16, kind: &Kind) -> Vec<Button> {
    let b = |label: String, data: String| Button { label, action: ButtonAction::Callback(data) };
    match kind {
        Kind::Single { choices } | Kind::Multi { choices, .. } => {
            let mut v: Vec<Button> = choices
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    b(format!("{}. {}", letter(i as u8), short(c, 28)), button_data(survey, q, &i.to_string()))
                })
                .collect();
            if matches!(kind, Kind::Multi { .. }) {
                v.push(b("✔ 完成 Done".into(), button_data(survey, q, "ok")));
            }
            v
        }
        Kind::Rating { .. } => {
            (1..=5u8).map(|v| b("★".repeat(v as usize), button_data(survey, q, &v.to_string()))).collect()
        }
        _ => Vec::new(),
    }
}

fn short(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        return s.to_owned();
    }
    format!("{}…", s.chars().take(n).collect::<String>())
}

pub(super) fn closed_text(s: &Loaded) -> String {
    let t = clock::show(s.survey.closes);
    format!(
        "《{}》已于 {t} 截止，不再接受回答。 This survey closed at {t} (China time); answers are no longer accepted.",
        s.def().title
    )
}
