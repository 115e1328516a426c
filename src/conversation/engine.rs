//! The step machine: ask, read, check, branch, /back /skip /cancel, picks and buttons, for any `Script` owner.

use serde::{Deserialize, Serialize};
use treecast_wire::{Button, ButtonAction};

use super::answer::{letter, Answer};
use super::question::{check_count, path_taken, Kind, Next, Question};
use crate::catalogue::Msg;
use crate::error::Result;

/// One person's way through a conversation. Stored with bincode inside the owner's row: fields keep their order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Progress {
    /// Index of the question being asked.
    pub at: u16,
    pub answers: Vec<Option<Answer>>,
    /// Questions answered on the way here, for /back.
    pub trail: Vec<u16>,
    /// Choices pressed so far on a multiple-choice question.
    pub picked: Vec<u8>,
    /// Changing an earlier response: old answers are shown and /skip keeps them.
    pub editing: bool,
}

impl Progress {
    /// A fresh start on `n` questions.
    pub fn new(n: usize) -> Progress {
        Progress { answers: vec![None; n], ..Progress::default() }
    }

    /// Going through a finished response again to change it.
    pub fn editing(previous: Vec<Option<Answer>>) -> Progress {
        Progress { answers: previous, editing: true, ..Progress::default() }
    }
}

/// What the person sent.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Input<'a> {
    Text(&'a str),
    /// A button of question `q`.
    Pick {
        q: u16,
        pick: Pick,
    },
    Back,
    Skip,
    Cancel,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pick {
    Index(u8),
    /// "Done" on a multiple-choice question.
    Done,
}

/// The engine's answer to one input: text, and buttons when the caller said the chat shows them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Reply {
    pub text: String,
    pub buttons: Vec<Button>,
}

impl Reply {
    pub fn text(text: impl Into<String>) -> Reply {
        Reply { text: text.into(), buttons: Vec::new() }
    }
}

/// What a conversation's owner provides: the questions, where progress is stored, what finishing and
/// cancelling do, how a question is headed. The owner value is built per step with whatever context its
/// storage needs (who is answering, which survey).
pub trait Script {
    fn questions(&self) -> &[Question];
    /// The compiled pattern of text question `at` (see `question::compile_patterns`).
    fn pattern(&self, at: usize) -> Option<&regex::Regex>;
    /// Button data prefix without a trailing colon, e.g. `sv:12`; buttons carry `PREFIX:Q:CHOICE`, CHOICE a
    /// number or `ok`. Keys in the prefix contain no colon.
    fn button_prefix(&self) -> String;
    /// Stores progress after a step that changed it.
    fn save(&self, p: &Progress) -> Result<()>;
    /// Stores the finished answers (those off the path taken already cleared), ends the conversation and
    /// says so.
    fn finish(&self, p: Progress) -> Result<String>;
    /// Drops the conversation and says so.
    fn cancel(&self) -> Result<String>;
    /// The line above question `at` of `total`.
    fn heading(&self, at: usize, total: usize, q: &Question) -> String {
        let optional = if q.required { "" } else { "，选填 optional" };
        format!("第 {}/{total} 题（{}{optional}）", at + 1, q.kind.label())
    }
}

const STALE_QUESTION: &str = Msg::StaleQuestion.text();
const STALE_BUTTON: &str = Msg::StaleButton.text();

/// One step. `buttons`: whether the chat shows buttons (the caller's capability, not the engine's guess).
pub fn step<S: Script>(s: &S, mut p: Progress, input: Input, buttons: bool) -> Result<Reply> {
    let at = p.at as usize;
    let q = &s.questions()[at];
    let again = |p: &Progress, hint: &str| Ok(ask(s, p, Some(hint), buttons));
    match input {
        Input::Text(t) => match q.read(s.pattern(at), t) {
            Ok(a) => advance(s, p, Some(a), buttons),
            Err(hint) => again(&p, &hint),
        },
        Input::Pick { q: qi, .. } if qi != p.at => again(&p, STALE_QUESTION),
        Input::Pick { pick, .. } => press(s, p, pick, buttons),
        Input::Back => match p.trail.pop() {
            None => again(&p, Msg::FirstQuestion.text()),
            Some(prev) => {
                p.at = prev;
                p.picked.clear();
                s.save(&p)?;
                again(&p, Msg::BackOne.text())
            }
        },
        Input::Skip => {
            if q.required && p.answers[at].is_none() {
                return again(&p, Msg::CannotSkip.text());
            }
            let keep = p.answers[at].take();
            advance(s, p, keep, buttons)
        }
        Input::Cancel => Ok(Reply::text(s.cancel()?)),
    }
}

/// A button press on the current question.
fn press<S: Script>(s: &S, mut p: Progress, pick: Pick, buttons: bool) -> Result<Reply> {
    let q = &s.questions()[p.at as usize];
    let n = q.kind.choices().len() as u8;
    match (&q.kind, pick) {
        (Kind::Single { .. }, Pick::Index(i)) if i < n => advance(s, p, Some(Answer::Choice(i)), buttons),
        (Kind::Rating { .. }, Pick::Index(v)) if (1..=5).contains(&v) => {
            advance(s, p, Some(Answer::Rating(v)), buttons)
        }
        (Kind::Multi { .. }, Pick::Index(i)) if i < n => {
            match p.picked.iter().position(|x| *x == i) {
                Some(k) => {
                    p.picked.remove(k);
                }
                None => p.picked.push(i),
            }
            p.picked.sort_unstable();
            s.save(&p)?;
            let shown: Vec<String> = p.picked.iter().map(|i| letter(*i).to_string()).collect();
            let lead = format!("已选 Selected: {}。选好后点「完成」。 Press Done when finished.", shown.join("、"));
            Ok(ask(s, &p, Some(&lead), buttons))
        }
        (Kind::Multi { min, max, .. }, Pick::Done) => match check_count(&p.picked, *min, *max) {
            Ok(()) => {
                let picked = std::mem::take(&mut p.picked);
                advance(s, p, Some(Answer::Choices(picked)), buttons)
            }
            Err(hint) => Ok(ask(s, &p, Some(&hint), buttons)),
        },
        _ => Ok(ask(s, &p, Some(STALE_BUTTON), buttons)),
    }
}

/// Records the answer to the current question and moves on along the branch it names, or finishes.
fn advance<S: Script>(s: &S, mut p: Progress, a: Option<Answer>, buttons: bool) -> Result<Reply> {
    let qs = s.questions();
    let at = p.at as usize;
    let next = qs[at].next(at, a.as_ref().and_then(Answer::key));
    p.answers[at] = a;
    p.picked.clear();
    p.trail.push(p.at);
    match next {
        Next::Question(n) if (n as usize) < qs.len() => {
            p.at = n;
            s.save(&p)?;
            Ok(ask(s, &p, None, buttons))
        }
        _ => finish(s, p),
    }
}

/// Clears answers left behind by a changed branch, then hands the rest to the owner.
fn finish<S: Script>(s: &S, mut p: Progress) -> Result<Reply> {
    let on_path = path_taken(s.questions(), &p.answers);
    for (i, a) in p.answers.iter_mut().enumerate() {
        if !on_path.contains(&i) {
            *a = None;
        }
    }
    Ok(Reply::text(s.finish(p)?))
}

/// The current question, after `lead` (a hint or a greeting), with its controls and, if `buttons`, its
/// choices as buttons.
pub fn ask<S: Script>(s: &S, p: &Progress, lead: Option<&str>, buttons: bool) -> Reply {
    let at = p.at as usize;
    let qs = s.questions();
    let q = &qs[at];
    let choices = q.kind.choices();
    // Written into one buffer: a `format!` per line was a sixth of an
    // answer's instructions (callgrind, benches/survey_answers.rs).
    let mut t = String::with_capacity(
        256 + lead.map_or(0, str::len) + q.text.len() + choices.iter().map(|c| c.len() + 4).sum::<usize>(),
    );
    if let Some(l) = lead {
        t.push_str(l);
        t.push_str("\n\n");
    }
    t.push_str(&s.heading(at, qs.len(), q));
    t.push('\n');
    t.push_str(&q.text);
    for (i, ch) in choices.iter().enumerate() {
        t.push('\n');
        t.push(letter(i as u8));
        t.push_str(". ");
        t.push_str(ch);
    }
    t.push('\n');
    if !q.kind.write_hint(&mut t) {
        t.pop();
    }
    if let Some(a) = &p.answers[at] {
        t.push_str("\n当前答案 Current answer: ");
        push_short(&mut t, &a.show(choices), 60);
        t.push_str("（/skip 保留 keeps it）");
    }
    t.push_str("\n\n");
    if !p.trail.is_empty() {
        t.push_str("/back 上一题 · ");
    }
    if !q.required || p.answers[at].is_some() {
        t.push_str("/skip 跳过 · ");
    }
    t.push_str("/cancel 取消");
    let buttons = if buttons { choice_buttons(&s.button_prefix(), p.at, &q.kind) } else { Vec::new() };
    Reply { text: t, buttons }
}

/// The answers given, one line each (`\n1. question → answer`), for a closing message.
pub fn summary(questions: &[Question], answers: &[Option<Answer>]) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(64 * questions.len());
    for (i, (q, a)) in questions.iter().zip(answers).enumerate() {
        if let Some(a) = a {
            let _ = write!(out, "\n{}. ", i + 1);
            push_short(&mut out, &q.text, 30);
            out.push_str(" → ");
            push_short(&mut out, &a.show(q.kind.choices()), 40);
        }
    }
    out
}

/// Reads button data `TAG:KEY:Q:CHOICE` (CHOICE a number or `ok`) into the owner's key, the question and
/// the pick.
pub fn parse_button<'a>(data: &'a str, tag: &str) -> Option<(&'a str, u16, Pick)> {
    let mut it = data.strip_prefix(tag)?.strip_prefix(':')?.split(':');
    let key = it.next()?;
    let q = it.next()?.parse().ok()?;
    let pick = match it.next()? {
        "ok" => Pick::Done,
        n => Pick::Index(n.parse().ok()?),
    };
    Some((key, q, pick))
}

fn choice_buttons(prefix: &str, q: u16, kind: &Kind) -> Vec<Button> {
    use std::fmt::Write;
    // `PREFIX:Q:CHOICE`, written into one string per button.
    let b = |label: String, choice: &dyn std::fmt::Display| {
        let mut data = String::with_capacity(prefix.len() + 12);
        let _ = write!(data, "{prefix}:{q}:{choice}");
        Button { label, action: ButtonAction::Callback(data) }
    };
    match kind {
        Kind::Single { choices } | Kind::Multi { choices, .. } => {
            let mut v: Vec<Button> = Vec::with_capacity(choices.len() + 1);
            for (i, c) in choices.iter().enumerate() {
                let mut label = String::with_capacity(c.len().min(120) + 4);
                label.push(letter(i as u8));
                label.push_str(". ");
                push_short(&mut label, c, 28);
                v.push(b(label, &i));
            }
            if matches!(kind, Kind::Multi { .. }) {
                v.push(b("✔ 完成 Done".into(), &"ok"));
            }
            v
        }
        Kind::Rating { .. } => (1..=5u8).map(|v| b("★".repeat(v as usize), &v)).collect(),
        _ => Vec::new(),
    }
}

/// At most `n` characters, with … when cut.
pub fn short(s: &str, n: usize) -> String {
    let mut out = String::new();
    push_short(&mut out, s, n);
    out
}

/// Appends at most `n` characters of `s` to `out`, with … when cut.
pub fn push_short(out: &mut String, s: &str, n: usize) {
    match s.char_indices().nth(n) {
        None => out.push_str(s),
        Some((cut, _)) => {
            out.push_str(&s[..cut]);
            out.push('…');
        }
    }
}
