//! Filling a campaign form. In a chat, one field at a time on the
//! conversation engine (typed, validated, /back /skip /cancel), or all at
//! once as lines `1. 姓名：张三` after `/campaign fill ID`. By mail the bot
//! sends the blank form; the official replies with it filled in (only the
//! mailbox owner sees the bot's mail, so the reply proves the sender). A
//! form is editable until its deadline; a first submission after it is
//! still taken, and counts as late.

use regex::Regex;
use treecast_wire::{Inbound, Platform};

use super::def::{Per, StepKind};
use super::store::{self, Campaign, Filling, Submission};
use super::{is_target, require, FORM_MAIL};
use crate::catalogue::{msg, Msg};
use crate::clock::show;
use crate::context::Ctx;
use crate::conversation::question::compile_patterns;
use crate::conversation::{self as engine, Answer, Input, Progress, Question};
use crate::error::{Error, Result};
use crate::msgref::MsgRef;
use crate::registry::{reply_to, split_at_org, Cx, Handled, Invocation};
use crate::store::Writes;
use crate::tree::auth::Action;
use crate::tree::people::{Person, Role};
use crate::tree::Org;

/// One person filling one form step for one org.
struct Script<'a> {
    cx: &'a Ctx,
    person: &'a Person,
    c: &'a Campaign,
    step: u8,
    org: &'a Org,
    patterns: Vec<Option<Regex>>,
}

impl<'a> Script<'a> {
    fn new(cx: &'a Ctx, person: &'a Person, c: &'a Campaign, step: u8, org: &'a Org) -> Script<'a> {
        let patterns = compile_patterns(c.def.steps[step as usize].kind.fields());
        Script { cx, person, c, step, org, patterns }
    }

    fn per(&self) -> Per {
        per_of(self.c, self.step)
    }
}

impl engine::Script for Script<'_> {
    fn questions(&self) -> &[Question] {
        self.c.def.steps[self.step as usize].kind.fields()
    }

    fn pattern(&self, at: usize) -> Option<&Regex> {
        self.patterns.get(at).and_then(Option::as_ref)
    }

    fn button_prefix(&self) -> String {
        format!("cf:{}-{}", self.c.id, self.step)
    }

    fn save(&self, p: &Progress) -> Result<()> {
        let f = Filling { campaign: self.c.id, step: self.step, org: self.org.id, progress: p.clone() };
        store::put_filling(self.cx.store(), self.person.id, Some(&f))
    }

    fn finish(&self, p: Progress) -> Result<String> {
        let mut w = Writes::default();
        let said = submit(self.cx, self.c, self.step, self.org, self.person, self.per(), p.answers, &mut w)?;
        store::end_filling(&mut w, self.person.id);
        self.cx.store().commit(&w)?;
        Ok(said)
    }

    fn cancel(&self) -> Result<String> {
        store::put_filling(self.cx.store(), self.person.id, None)?;
        Ok(Msg::CampaignFormCancelled.text().to_owned())
    }

    fn heading(&self, at: usize, total: usize, q: &Question) -> String {
        let optional = if q.required { "" } else { "，选填 optional" };
        format!(
            "【{}】第 {}/{total} 项（{}{optional}）",
            self.c.def.steps[self.step as usize].title,
            at + 1,
            q.kind.label()
        )
    }
}

fn per_of(c: &Campaign, step: u8) -> Per {
    match c.def.steps.get(step as usize).map(|s| &s.kind) {
        Some(StepKind::Form { per, .. }) => *per,
        _ => Per::Org,
    }
}

/// Stores a complete form and says so, with the answers and the deadline.
#[allow(clippy::too_many_arguments)]
fn submit(
    cx: &Ctx,
    c: &Campaign,
    step: u8,
    org: &Org,
    p: &Person,
    per: Per,
    answers: Vec<Option<Answer>>,
    w: &mut Writes,
) -> Result<String> {
    let key_person = if per == Per::Person { p.id } else { 0 };
    let before = store::submission(cx.store(), c.id, step, org.id, key_person)?;
    let now = cx.now();
    let due = c.dues[step as usize];
    if before.is_some() && now > due {
        return Err(Error::invalid(msg(Msg::CampaignFormClosed, &[("due", &show(due))])));
    }
    let s = Submission { org: org.id, person: p.id, answers, first: before.map(|b| b.first).unwrap_or(now), at: now };
    store::put_submission(w, c.id, step, key_person, &s, cx.clock.now_ms());
    let summary = engine::summary(c.def.steps[step as usize].kind.fields(), &s.answers);
    let late = if now > due { Msg::CampaignFormLate.text() } else { "" };
    Ok(msg(
        Msg::CampaignFormSaved,
        &[
            ("title", &c.def.steps[step as usize].title),
            ("org", &org.name),
            ("summary", &summary),
            ("due", &show(due)),
            ("id", &c.id),
            ("late", &late),
        ],
    ))
}

/// The form step `n` (1-based) names, or the campaign's first form.
fn form_step(c: &Campaign, n: Option<usize>) -> Result<u8> {
    let is_form = |i: usize| matches!(c.def.steps.get(i).map(|s| &s.kind), Some(StepKind::Form { .. }));
    match n {
        Some(n) if n >= 1 && is_form(n - 1) => Ok((n - 1) as u8),
        Some(n) => Err(Error::invalid(msg(Msg::CampaignNotAForm, &[("step", &n)]))),
        None => (0..c.def.steps.len())
            .find(|i| is_form(*i))
            .map(|i| i as u8)
            .ok_or_else(|| Error::invalid(msg(Msg::CampaignNoForm, &[("id", &c.id)]))),
    }
}

/// The org `p` fills the form for: the one named (a target they may act
/// for), or their only target org.
fn target(cx: &Ctx, p: &Person, c: &Campaign, per: Per, code: Option<&str>) -> Result<Org> {
    if let Some(code) = code {
        let org = cx.tree.require(code)?;
        if !is_target(c, &org) {
            return Err(Error::invalid(msg(Msg::CampaignNotTarget, &[("org", &org.name), ("id", &c.id)])));
        }
        match per {
            Per::Org => cx.tree.check(p.id, Action::FillForm, &org)?,
            Per::Person if cx.tree.roles_of(p.id)?.iter().any(|(o, _)| o.id == org.id) => {}
            Per::Person => return Err(Error::denied(msg(Msg::CampaignNotYours, &[("org", &org.name)]))),
        }
        return Ok(org);
    }
    let roles = cx.tree.roles_of(p.id)?;
    let mut mine: Vec<Org> = roles
        .iter()
        .filter(|(o, r)| is_target(c, o) && (per == Per::Person || *r == Role::Official))
        .map(|(o, _)| o.clone())
        .collect();
    match mine.len() {
        1 => Ok(mine.remove(0)),
        0 => Err(Error::denied(msg(Msg::CampaignNotForYou, &[("id", &c.id), ("title", &c.def.title)]))),
        _ => Err(Error::invalid(msg(
            Msg::SeveralOrgs,
            &[
                ("codes", &mine.iter().map(|o| o.code.as_str()).collect::<Vec<_>>().join(", ")),
                ("first", &mine[0].code),
            ],
        ))),
    }
}

/// Opens the form: in a chat its first field (or, editing, the saved
/// answers one by one); by mail the whole blank (or filled) form.
pub fn start(cx: &Cx, ev: &Inbound, p: &Person, c: &Campaign, n: Option<usize>, code: Option<&str>) -> Result<Handled> {
    let step = form_step(c, n)?;
    let per = per_of(c, step);
    let org = target(cx, p, c, per, code)?;
    let key_person = if per == Per::Person { p.id } else { 0 };
    let before = store::submission(cx.store(), c.id, step, org.id, key_person)?;
    let due = c.dues[step as usize];
    if before.is_some() && cx.now() > due {
        return Err(Error::invalid(msg(Msg::CampaignFormClosed, &[("due", &show(due))])));
    }
    let answers = before.map(|b| b.answers);
    if ev.chat.platform == Platform::Email {
        return Ok(mailed_form(ev, c, step, &org, p, answers.as_deref(), None));
    }
    let s = Script::new(cx, p, c, step, &org);
    let progress = match answers {
        Some(a) => Progress::editing(a),
        None => Progress::new(engine::Script::questions(&s).len()),
    };
    engine::Script::save(&s, &progress)?;
    let lead = msg(
        Msg::CampaignFormLead,
        &[("title", &c.def.steps[step as usize].title), ("org", &org.name), ("due", &show(due))],
    );
    Ok(Handled::engine(ev, engine::ask(&s, &progress, Some(&lead), buttons(cx, ev))))
}

fn buttons(cx: &Ctx, ev: &Inbound) -> bool {
    cx.caps.of(ev.chat.platform).buttons
}

/// `/campaign fill ID [STEP] [@ORG]`, with the form's lines below or not.
pub fn fill_command(cx: &Cx, ev: &Inbound, p: &Person, inv: &Invocation) -> Result<Handled> {
    let c = require(cx, inv.id(1, Msg::CampaignUsage)?)?;
    let (code, rest) = split_at_org(inv.args.get(2..).unwrap_or_default());
    let n = rest.first().and_then(|s| s.parse::<usize>().ok());
    let lines = parse_lines(inv.body.as_str());
    if lines.is_empty() {
        return start(cx, ev, p, &c, n, code);
    }
    let step = form_step(&c, n)?;
    let per = per_of(&c, step);
    let org = target(cx, p, &c, per, code)?;
    let key_person = if per == Per::Person { p.id } else { 0 };
    let before = store::submission(cx.store(), c.id, step, org.id, key_person)?.map(|b| b.answers);
    whole(cx, ev, p, &c, step, &org, before, &lines)
}

/// Fields given at once: all good, the form is saved; otherwise each
/// problem in one line, the good values kept (in a chat the conversation
/// goes on at the first problem; by mail the form comes back filled).
#[allow(clippy::too_many_arguments)]
fn whole(
    cx: &Ctx,
    ev: &Inbound,
    p: &Person,
    c: &Campaign,
    step: u8,
    org: &Org,
    before: Option<Vec<Option<Answer>>>,
    lines: &[(String, String)],
) -> Result<Handled> {
    let s = Script::new(cx, p, c, step, org);
    let fields = engine::Script::questions(&s);
    let mut answers = before.unwrap_or_else(|| vec![None; fields.len()]);
    answers.resize(fields.len(), None);
    let mut problems: Vec<(usize, String)> = Vec::new();
    let mut seen = vec![false; fields.len()];
    for (label, value) in lines {
        let Some(i) = field_index(fields, label) else {
            problems.push((usize::MAX, msg(Msg::CampaignFormNoField, &[("label", label)])));
            continue;
        };
        // The first line for a field counts (a quoted copy below is ignored).
        if std::mem::replace(&mut seen[i], true) || value.trim().is_empty() {
            continue;
        }
        match fields[i].read(engine::Script::pattern(&s, i), value) {
            Ok(a) => answers[i] = Some(a),
            Err(hint) => problems.push((i, format!("{}. {}：{hint}", i + 1, fields[i].text))),
        }
    }
    for (i, q) in fields.iter().enumerate() {
        if q.required && answers[i].is_none() && !problems.iter().any(|(j, _)| *j == i) {
            problems.push((i, format!("{}. {}：{}", i + 1, q.text, Msg::CampaignFieldRequired.text())));
        }
    }
    if problems.is_empty() {
        let mut w = Writes::default();
        let said = submit(cx, c, step, org, p, s.per(), answers, &mut w)?;
        store::end_filling(&mut w, p.id);
        cx.store().commit(&w)?;
        return Ok(Handled::say(ev, said));
    }
    problems.sort_by_key(|(i, _)| *i);
    let list: Vec<&str> = problems.iter().map(|(_, t)| t.as_str()).collect();
    let lead = msg(Msg::CampaignFormProblems, &[("n", &problems.len()), ("list", &list.join("\n"))]);
    // The good values are kept with the form under way: a reply giving
    // only the corrected lines completes it.
    let first = problems.iter().map(|(i, _)| *i).find(|i| *i < fields.len()).unwrap_or(0);
    let progress = Progress { at: first as u16, answers, editing: true, ..Progress::default() };
    engine::Script::save(&s, &progress)?;
    if ev.chat.platform == Platform::Email {
        return Ok(mailed_form(ev, c, step, org, p, Some(&progress.answers), Some(&lead)));
    }
    Ok(Handled::engine(ev, engine::ask(&s, &progress, Some(&lead), buttons(cx, ev))))
}

/// The field a line's label names: its number (`3.`), its id, or its text.
fn field_index(fields: &[Question], label: &str) -> Option<usize> {
    let l = label.trim();
    let digits: String = l.chars().take_while(char::is_ascii_digit).collect();
    if let Ok(n) = digits.parse::<usize>() {
        return (n >= 1 && n <= fields.len()).then(|| n - 1);
    }
    let plain = |s: &str| s.chars().filter(|c| !c.is_whitespace()).collect::<String>();
    let l = plain(l);
    fields.iter().position(|q| {
        plain(&q.id) == l || plain(&q.text) == l || plain(&q.text).starts_with(&l) && l.chars().count() >= 2
    })
}

/// The `label：value` lines of a filled form (full-width or ASCII colon);
/// quoted lines (`>`) are skipped.
fn parse_lines(text: &str) -> Vec<(String, String)> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.starts_with('>'))
        .filter_map(|l| {
            let at = l.find(['：', ':'])?;
            let (label, value) = l.split_at(at);
            let value = value.trim_start_matches(['：', ':']).trim();
            let label = label.trim();
            (!label.is_empty() && label.chars().count() <= 60).then(|| (label.to_owned(), value.to_owned()))
        })
        .collect()
}

/// The form by mail: each field on a line to fill in after its colon, the
/// values already given in place; a reply to it comes back to `mailed_back`.
fn mailed_form(
    ev: &Inbound,
    c: &Campaign,
    step: u8,
    org: &Org,
    p: &Person,
    answers: Option<&[Option<Answer>]>,
    lead: Option<&str>,
) -> Handled {
    let s = &c.def.steps[step as usize];
    let mut t = String::new();
    if let Some(l) = lead {
        t.push_str(l);
        t.push_str("\n\n");
    }
    t.push_str(&msg(
        Msg::CampaignFormByMail,
        &[("title", &s.title), ("org", &org.name), ("due", &show(c.dues[step as usize]))],
    ));
    for (i, q) in s.kind.fields().iter().enumerate() {
        let value = answers.and_then(|a| a.get(i)).and_then(Option::as_ref).map(|a| a.show(q.kind.choices()));
        let optional = if q.required { "" } else { "（选填 optional）" };
        t.push_str(&format!(
            "\n{}. {}{optional}：{}",
            i + 1,
            q.text.replace(['：', ':'], " "),
            value.unwrap_or_default()
        ));
        let choices = q.kind.choices();
        if !choices.is_empty() {
            let list: Vec<String> = choices
                .iter()
                .enumerate()
                .map(|(k, ch)| format!("{}. {ch}", crate::conversation::answer::letter(k as u8)))
                .collect();
            t.push_str(&format!("\n   （{}）", list.join("  ")));
        }
    }
    let mut data = c.id.to_be_bytes().to_vec();
    data.push(step);
    data.extend_from_slice(&org.id.to_be_bytes());
    data.extend_from_slice(&p.id.to_be_bytes());
    Handled::queued(vec![reply_to(ev, t).on_sent(MsgRef::Owned { feature: FORM_MAIL.into(), data })])
}

/// A reply to a mailed form: only from the person it was sent to.
pub fn mailed_back(cx: &Cx, ev: &Inbound, data: &[u8]) -> Result<Handled> {
    let bad = || Error::Corrupt("campaign-form mail data".into());
    let (id, step, org, person) = (
        u64::from_be_bytes(data.get(..8).ok_or_else(bad)?.try_into().map_err(|_| bad())?),
        *data.get(8).ok_or_else(bad)?,
        u32::from_be_bytes(data.get(9..13).ok_or_else(bad)?.try_into().map_err(|_| bad())?),
        u64::from_be_bytes(data.get(13..21).ok_or_else(bad)?.try_into().map_err(|_| bad())?),
    );
    let p = cx.need_person(ev)?;
    if p.id != person {
        return Err(Error::denied(Msg::CampaignFormNotYours.text()));
    }
    let c = require(cx, id)?;
    let org = cx.tree.require_id(org)?;
    if form_step(&c, Some(step as usize + 1)).is_err() {
        return Ok(Handled::none());
    }
    let per = per_of(&c, step);
    // Still theirs to fill: roles change.
    let org = target(cx, &p, &c, per, Some(&org.code))?;
    let lines = parse_lines(&ev.text);
    if lines.is_empty() {
        return Ok(Handled::say(ev, Msg::CampaignFormEmptyReply.text()));
    }
    let key_person = if per == Per::Person { p.id } else { 0 };
    let kept = store::filling(cx.store(), p.id)?.filter(|f| (f.campaign, f.step, f.org) == (c.id, step, org.id));
    let before = match kept {
        Some(f) => Some(f.progress.answers),
        None => store::submission(cx.store(), c.id, step, org.id, key_person)?.map(|b| b.answers),
    };
    whole(cx, ev, &p, &c, step, &org, before, &lines)
}

/// The form being filled by `p`, with its campaign and org.
fn under_way(cx: &Ctx, p: &Person) -> Result<Option<(Filling, Campaign, Org)>> {
    let Some(f) = store::filling(cx.store(), p.id)? else { return Ok(None) };
    match (store::campaign(cx.store(), f.campaign)?, cx.tree.get(f.org)?) {
        (Some(c), Some(org)) if (f.step as usize) < c.def.steps.len() => Ok(Some((f, c, org))),
        _ => {
            store::put_filling(cx.store(), p.id, None)?;
            Ok(None)
        }
    }
}

/// Free text from someone filling a form: several `label：value` lines at
/// once, or the answer to the field asked.
pub fn text(cx: &Cx, ev: &Inbound, p: &Person) -> Result<Option<Handled>> {
    let Some((f, c, org)) = under_way(cx, p)? else { return Ok(None) };
    let lines = parse_lines(&ev.text);
    if lines.len() >= 2 {
        return whole(cx, ev, p, &c, f.step, &org, Some(f.progress.answers), &lines).map(Some);
    }
    step_with(cx, ev, p, (f, c, org), Input::Text(&ev.text)).map(Some)
}

/// A control (/back /skip /cancel) or a button on the form under way.
pub fn step(cx: &Cx, ev: &Inbound, p: &Person, input: Input) -> Result<Option<Handled>> {
    let Some(w) = under_way(cx, p)? else { return Ok(None) };
    step_with(cx, ev, p, w, input).map(Some)
}

fn step_with(
    cx: &Ctx,
    ev: &Inbound,
    p: &Person,
    (f, c, org): (Filling, Campaign, Org),
    input: Input,
) -> Result<Handled> {
    let s = Script::new(cx, p, &c, f.step, &org);
    let reply = engine::step(&s, f.progress, input, buttons(cx, ev))?;
    Ok(Handled::engine(ev, reply))
}
