//! A campaign form filled at once: lines `1. 姓名：张三` after
//! `/campaign fill ID` in a chat, or the official's mail reply to the
//! blank form the bot sent. All good, the form is saved; otherwise each
//! problem in one line, the good values kept.

use treecast_wire::{Inbound, Platform};

use super::def::Per;
use super::form::{buttons, form_step, mailed_form, per_of, start, step_with, submit, target, under_way, Script};
use super::require;
use super::store::{self, Campaign};
use crate::catalogue::{msg, Msg};
use crate::context::Ctx;
use crate::conversation::{self as engine, Answer, Input, Progress, Question};
use crate::error::{Error, Result};
use crate::registry::{split_at_org, Cx, Handled, Invocation};
use crate::store::Writes;
use crate::tree::people::Person;
use crate::tree::Org;

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

/// Fields given at once: all good, the form is saved; otherwise each
/// problem in one line, the good values kept (in a chat the conversation
/// goes on at the first problem; by mail the form comes back filled).
#[allow(clippy::too_many_arguments)]
pub(super) fn whole(
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
pub(super) fn field_index(fields: &[Question], label: &str) -> Option<usize> {
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
pub(super) fn parse_lines(text: &str) -> Vec<(String, String)> {
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
