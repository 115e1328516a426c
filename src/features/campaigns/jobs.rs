//! Each step's two scheduled jobs: before the deadline the officials of the
//! orgs with the step open are reminded; at the deadline each parent's
//! officials get the list of their children that are late.

use std::collections::BTreeMap;

use super::def::StepKind;
use super::status::{self, State};
use super::store::Campaign;
use crate::catalogue::{msg, Msg};
use crate::clock::show;
use crate::context::Ctx;
use crate::error::Result;
use crate::outbox::queue;
use crate::registry::tell;
use crate::store::Writes;
use crate::tree::people::Role;
use crate::tree::Org;

/// How many late children one escalation names (the rest are counted).
const NAMED: usize = 30;

/// The targets of `c` with step `step` not done, and whether each is late.
fn open(cx: &Ctx, c: &Campaign, step: usize) -> Result<Vec<(Org, State)>> {
    let top = cx.tree.require_id(c.org)?;
    let s = status::compute(cx, c, &top)?;
    Ok(s.targets.into_iter().map(|(o, st)| (o, st[step])).filter(|(_, st)| !matches!(st, State::Done { .. })).collect())
}

pub(super) fn remind(cx: &Ctx, c: &Campaign, step: usize) -> Result<Writes> {
    let mut w = Writes::default();
    let s = &c.def.steps[step];
    let how = match s.kind {
        StepKind::Form { .. } => msg(Msg::CampaignHowForm, &[("id", &c.id), ("payload", &c.payload())]),
        _ => msg(Msg::CampaignHowSteps, &[("id", &c.id)]),
    };
    for (org, _) in open(cx, c, step)? {
        for p in cx.tree.holders(org.id, Role::Official)? {
            let text = msg(
                Msg::CampaignReminder,
                &[
                    ("id", &c.id),
                    ("title", &c.def.title),
                    ("step", &s.title),
                    ("due", &show(c.dues[step])),
                    ("org", &org.name),
                    ("how", &how),
                ],
            );
            if let Some(q) = tell(&p, &format!("cr{}-{step}-{}", c.id, org.id), text) {
                queue::put(cx.store(), &mut w, &q)?;
            }
        }
    }
    cx.waker.wake();
    Ok(w)
}

pub(super) fn escalate(cx: &Ctx, c: &Campaign, step: usize) -> Result<Writes> {
    let mut w = Writes::default();
    let s = &c.def.steps[step];
    let mut by_parent: BTreeMap<u32, Vec<Org>> = BTreeMap::new();
    for (org, st) in open(cx, c, step)? {
        if st == State::Late {
            by_parent.entry(org.parent.unwrap_or(org.id)).or_default().push(org);
        }
    }
    for (parent, late) in by_parent {
        let Some(parent) = cx.tree.get(parent)? else { continue };
        let mut names: Vec<String> = late.iter().take(NAMED).map(|o| format!("{} {}", o.code, o.name)).collect();
        if late.len() > NAMED {
            names.push(msg(Msg::CampaignAndMore, &[("n", &(late.len() - NAMED))]));
        }
        let text = msg(
            Msg::CampaignEscalation,
            &[
                ("id", &c.id),
                ("title", &c.def.title),
                ("step", &s.title),
                ("due", &show(c.dues[step])),
                ("parent", &parent.name),
                ("n", &late.len()),
                ("names", &names.join("\n")),
                ("code", &parent.code),
            ],
        );
        for p in cx.tree.holders(parent.id, Role::Official)? {
            if let Some(q) = tell(&p, &format!("ce{}-{step}-{}", c.id, parent.id), text.clone()) {
                queue::put(cx.store(), &mut w, &q)?;
            }
        }
    }
    cx.waker.wake();
    Ok(w)
}
