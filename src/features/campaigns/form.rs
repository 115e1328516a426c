//! Filling a campaign form. In a chat, one field at a time on the
//! conversation engine (typed, validated, /back /skip /cancel), or all at
//! once as lines `1. 姓名：张三` after `/campaign fill ID`. By mail the bot
//! sends the blank form; the official replies with it filled in (only the
//! mailbox owner sees the bot's mail, so the reply proves the sender). A
//! form is editable until its deadline; a first submission after it is
//! still taken, and counts as late. `whole.rs` reads a form given at once
//! (in a chat or by mail) and routes `/campaign fill` and free text.

use regex::Regex;
use treecast_wire::{Inbound, Platform};

use super::def::{Per, StepKind};
use super::store::{self, Campaign, Filling, Submission};
use super::{is_target, FORM_MAIL};
use crate::catalogue::{msg, Msg};
use crate::clock::show;
use crate::context::Ctx;
use crate::conversation::question::compile_patterns;
use crate::conversation::{self as engine, Answer, Input, Progress, Question};
use crate::error::{Error, Result};
use crate::msgref::MsgRef;
use crate::registry::{reply_to, Cx, Handled};
use crate::store::Writes;
use crate::tree::auth::Action;
use crate::tree::people::{Person, Role};
use crate::tree::Org;

/// One person filling one form step for one org.
pub(super) struct Script<'a> {
    cx: &'a Ctx,
    person: &'a Person,
    c: &'a Campaign,
    step: u8,
    org: &'a Org,
    patterns: Vec<Option<Regex>>,
}

impl<'a> Script<'a> {
    pub(super) fn new(cx: &'a Ctx, person: &'a Person, c: &'a Campaign, step: u8, org: &'a Org) -> Script<'a> {
        let patterns = compile_patterns(c.def.steps[step as usize].kind.fields());
        Script { cx, person, c, step, org, patterns }
    }

    pub(super) fn per(&self) -> Per {
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

pub(super) fn per_of(c: &Campaign, step: u8) -> Per {
    match c.def.steps.get(step as usize).map(|s| &s.kind) {
        Some(StepKind::Form { per, .. }) => *per,
        _ => Per::Org,
    }
}

/// Stores a complete form and says so, with the answers and the deadline.
#[allow(clippy::too_many_arguments)]
pub(super) fn submit(
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
pub(super) fn form_step(c: &Campaign, n: Option<usize>) -> Result<u8> {
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
pub(super) fn target(cx: &Ctx, p: &Person, c: &Campaign, per: Per, code: Option<&str>) -> Result<Org> {
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

/// The form by mail: each field on a line to fill in after its colon, the
/// values already given in place; a reply to it comes back to `mailed_back`.
pub(super) fn mailed_form(
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

pub(super) fn buttons(cx: &Ctx, ev: &Inbound) -> bool {
    cx.caps.of(ev.chat.platform).buttons
}

/// The form being filled by `p`, with its campaign and org.
pub(super) fn under_way(cx: &Ctx, p: &Person) -> Result<Option<(Filling, Campaign, Org)>> {
    let Some(f) = store::filling(cx.store(), p.id)? else { return Ok(None) };
    match (store::campaign(cx.store(), f.campaign)?, cx.tree.get(f.org)?) {
        (Some(c), Some(org)) if (f.step as usize) < c.def.steps.len() => Ok(Some((f, c, org))),
        _ => {
            store::put_filling(cx.store(), p.id, None)?;
            Ok(None)
        }
    }
}

/// A control (/back /skip /cancel) or a button on the form under way.
pub fn step(cx: &Cx, ev: &Inbound, p: &Person, input: Input) -> Result<Option<Handled>> {
    let Some(w) = under_way(cx, p)? else { return Ok(None) };
    step_with(cx, ev, p, w, input).map(Some)
}

pub(super) fn step_with(
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
