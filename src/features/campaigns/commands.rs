//! The chat commands: launching, one's own steps, the compliance table,
//! marking manual steps, exports as files.

use treecast_wire::{Attachment, Inbound};

use super::def::StepKind;
use super::launch;
use super::status::{self, State};
use super::store::{self, Campaign};
use super::{is_target, require};
use crate::catalogue::{msg, Msg};
use crate::clock::show;
use crate::context::Ctx;
use crate::error::{Error, Result};
use crate::events::{self, Act, Actor, Event};
use crate::registry::{reply_to, split_at_org, Cx, Handled, Invocation};
use crate::store::Writes;
use crate::tree::auth::Action;
use crate::tree::people::{Person, Role};
use crate::tree::reads::Read;
use crate::tree::Org;

pub(super) fn launch(cx: &Cx, ev: &Inbound, p: &Person, inv: &Invocation) -> Result<Handled> {
    let name = inv.arg(1).ok_or_else(|| Error::invalid(Msg::CampaignUsage.text()))?;
    let (code, rest) = split_at_org(inv.args.get(2..).unwrap_or_default());
    let code = code.or(rest.first().map(String::as_str));
    let l = launch::launch_named(cx, p.id, name, code)?;
    Ok(Handled::say(ev, l.to_text()))
}

/// The scope `p` reads a campaign's compliance in: the org named, or the
/// campaign's org if they may read it, or the highest org of theirs below it.
pub(super) fn scope(cx: &Ctx, p: Option<u64>, c: &Campaign, code: Option<&str>) -> Result<Org> {
    let top = cx.tree.require_id(c.org)?;
    let org = match code {
        Some(code) => cx.tree.require(code)?,
        None => match p {
            Some(p) if cx.tree.check_read(Some(p), Read::NoticeStatus, &top).is_err() => {
                let mut mine: Vec<Org> = cx
                    .tree
                    .roles_of(p)?
                    .into_iter()
                    .filter(|(o, r)| *r == Role::Official && o.is_within(&top))
                    .map(|(o, _)| o)
                    .collect();
                mine.sort_by_key(|o| o.level);
                mine.into_iter().next().unwrap_or(top)
            }
            _ => top,
        },
    };
    cx.tree.check_read(p, Read::NoticeStatus, &org)?;
    Ok(org)
}

pub(super) fn status(cx: &Cx, ev: &Inbound, p: &Person, inv: &Invocation) -> Result<Handled> {
    let c = require(cx, inv.id(1, Msg::CampaignUsage)?)?;
    let org = scope(cx, Some(p.id), &c, inv.arg(2))?;
    Ok(Handled::say(ev, status::compute(cx, &c, &org)?.to_text()))
}

/// `/campaign mark ID STEP ORG…`: an official of each org's parent (or
/// above) marks a manual step done; `unmark` takes it back.
pub(super) fn mark(cx: &Cx, ev: &Inbound, p: &Person, inv: &Invocation, done: bool) -> Result<Handled> {
    let c = require(cx, inv.id(1, Msg::CampaignUsage)?)?;
    let n: usize = inv.arg(2).and_then(|s| s.parse().ok()).ok_or_else(|| Error::invalid(Msg::CampaignUsage.text()))?;
    let codes: Vec<&str> = inv.args.iter().skip(3).map(|c| c.trim_start_matches(['@', '＠'])).collect();
    Ok(Handled::say(ev, mark_orgs(cx, &c, n, &codes, Some(p.id), done)?))
}

/// Marks manual step `n` (1-based) of the orgs `codes` done (or not), by
/// `by` (None: the operator, who may mark any), and says so.
pub(super) fn mark_orgs(
    cx: &Ctx,
    c: &Campaign,
    n: usize,
    codes: &[&str],
    by: Option<u64>,
    done: bool,
) -> Result<String> {
    let step = c.def.steps.get(n.wrapping_sub(1)).ok_or_else(|| Error::invalid(Msg::CampaignUsage.text()))?;
    if !matches!(step.kind, StepKind::Manual) {
        return Err(Error::invalid(msg(Msg::CampaignNotManual, &[("step", &step.title)])));
    }
    if codes.is_empty() {
        return Err(Error::invalid(Msg::CampaignUsage.text()));
    }
    let mut w = Writes::default();
    let mut names = Vec::new();
    for code in codes {
        let org = cx.tree.require(code)?;
        if !is_target(c, &org) {
            return Err(Error::invalid(msg(Msg::CampaignNotTarget, &[("org", &org.name), ("id", &c.id)])));
        }
        if let Some(by) = by {
            cx.tree.check(by, Action::FollowUp, &cx.tree.require_id(org.parent.unwrap_or(org.id))?)?;
        }
        let e = Event::CampaignMarked { campaign: c.id, step: (n - 1) as u8, org: org.id, by: by.unwrap_or(0), done };
        events::emit(&mut w, cx.clock.now_ms(), &e);
        names.push(org.name);
    }
    cx.store().commit(&w)?;
    let m = if done { Msg::CampaignMarked } else { Msg::CampaignUnmarked };
    Ok(msg(m, &[("step", &step.title), ("names", &names.join("、"))]))
}

/// `/campaign export ID [form|status] [ORG]`: the table as .xlsx and CSV files.
pub(super) fn export(cx: &Cx, ev: &Inbound, p: &Person, inv: &Invocation) -> Result<Handled> {
    let c = require(cx, inv.id(1, Msg::CampaignUsage)?)?;
    let forms = matches!(inv.arg(2), Some("form" | "forms" | "表单"));
    let code = if matches!(inv.arg(2), Some("form" | "forms" | "表单" | "status" | "完成情况")) {
        inv.arg(3)
    } else {
        inv.arg(2)
    };
    let org = scope(cx, Some(p.id), &c, code)?;
    if forms {
        cx.tree.check_read(Some(p.id), Read::FormSubmissions, &org)?;
    }
    let s = status::compute(cx, &c, &org)?;
    let (table, what) = if forms {
        let step = (0..c.def.steps.len())
            .find(|i| matches!(c.def.steps[*i].kind, StepKind::Form { .. }))
            .ok_or_else(|| Error::invalid(msg(Msg::CampaignNoForm, &[("id", &c.id)])))?;
        (s.forms(cx, step)?, "forms")
    } else {
        (s.table(cx)?, "status")
    };
    let stem = format!("campaign-{}-{what}-{}", c.id, org.code);
    let xlsx = table.xlsx(std::path::Path::new(&format!("{stem}.xlsx")))?;
    let csv = table.csv(std::path::Path::new(&format!("{stem}.csv")))?;
    let rows = table.rows.len();
    let mut w = Writes::default();
    let act = Act::Exported { what: format!("campaign:{}:{what}", c.id), rows: rows as u64 };
    events::emit(&mut w, cx.clock.now_ms(), &Event::Acted { org: org.id, by: Actor::Person(p.id), act });
    cx.store().commit(&w)?;
    let mut q = reply_to(ev, msg(Msg::CampaignExported, &[("rows", &rows), ("org", &org.name), ("id", &c.id)]));
    let file = |ext: &str, ty: &str, data: Vec<u8>| Attachment {
        name: format!("{stem}.{ext}"),
        content_type: ty.into(),
        data,
    };
    q.msg.attachments = vec![
        file("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", xlsx),
        file("csv", "text/csv; charset=utf-8", csv),
    ]
    .into();
    Ok(Handled::queued(vec![q]))
}

/// `/campaign ID`: where the person's orgs stand on each step; for those
/// following it up from above, the compliance table.
pub(super) fn mine(cx: &Cx, ev: &Inbound, p: &Person, id: u64) -> Result<Handled> {
    let c = require(cx, id)?;
    let roles = cx.tree.roles_of(p.id)?;
    let orgs: Vec<&Org> = roles.iter().map(|(o, _)| o).filter(|o| is_target(&c, o)).collect();
    if orgs.is_empty() {
        let org = scope(cx, Some(p.id), &c, None)?;
        return Ok(Handled::say(ev, status::compute(cx, &c, &org)?.to_text()));
    }
    let mut t = msg(Msg::CampaignMineHead, &[("id", &c.id), ("title", &c.def.title)]);
    for org in orgs {
        let s = status::compute(cx, &c, org)?;
        let states = s.targets.first().map(|(_, st)| st.clone()).unwrap_or_default();
        t.push_str(&format!("\n{} {}", org.code, org.name));
        for (i, (step, st)) in c.def.steps.iter().zip(states).enumerate() {
            let word = match st {
                State::Done { at, late: false } => format!("✓ 已完成 done {}", show(at)),
                State::Done { at, late: true } => format!("✓ 逾期完成 done late {}", show(at)),
                State::Late => "✗ 已逾期 late".to_owned(),
                State::Open => "… 未完成 open".to_owned(),
            };
            t.push_str(&format!("\n  {}. {}（截止 {}）{word}", i + 1, step.title, show(c.dues[i])));
        }
    }
    if c.def.steps.iter().any(|s| matches!(s.kind, StepKind::Form { .. })) {
        t.push_str(&format!("\n{}", msg(Msg::CampaignFillHint, &[("id", &c.id), ("payload", &c.payload())])));
    }
    Ok(Handled::say(ev, t))
}

/// `/campaign`: the campaigns the person's orgs take part in or follow up.
pub(super) fn list(cx: &Cx, ev: &Inbound, p: &Person) -> Result<Handled> {
    let roles = cx.tree.roles_of(p.id)?;
    let mut lines = Vec::new();
    for c in store::campaigns(cx.store())? {
        let Some(top) = cx.tree.get(c.org)? else { continue };
        let concerned = roles.iter().any(|(o, _)| is_target(&c, o) || o.is_within(&top) || top.is_within(o));
        if !concerned {
            continue;
        }
        let next = c.dues.iter().copied().filter(|d| *d > cx.now()).min();
        let next = next.map(show).unwrap_or_else(|| Msg::CampaignAllDue.text().to_owned());
        lines.push(format!("#{} {}（{}，{}）", c.id, c.def.title, top.name, next));
    }
    if lines.is_empty() {
        return Ok(Handled::say(ev, Msg::CampaignNone.text()));
    }
    lines.insert(0, Msg::CampaignListHead.text().to_owned());
    Ok(Handled::say(ev, lines.join("\n")))
}
