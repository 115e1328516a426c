//! Steps completing from the event log: a form submitted, a chat bound, a
//! notice acknowledged, an official following, a parent's mark. Each
//! completion is one row (campaign, step, org) written with the
//! subscriber's position, so a crash repeats nothing and loses nothing.

use std::collections::{HashMap, HashSet};

use super::def::{FollowBy, Per, StepKind};
use super::store::{self, Campaign, Done};
use crate::context::Ctx;
use crate::error::Result;
use crate::events::{Event, Record};
use crate::registry::Subscriber;
use crate::store::Writes;
use crate::tree::people::Role;

pub struct Progress;

/// The batch's view: the campaigns, what it has marked so far.
struct Batch<'a> {
    cx: &'a Ctx,
    campaigns: Vec<Campaign>,
    /// Campaign id -> its place in `campaigns`.
    by_id: HashMap<u64, usize>,
    marked: HashSet<(u64, u8, u32)>,
    unmarked: HashSet<(u64, u8, u32)>,
    w: Writes,
}

impl Batch<'_> {
    fn done(&mut self, c: u64, step: u8, org: u32, at: u64, by: Option<u64>) -> Result<()> {
        let k = (c, step, org);
        let there = !self.unmarked.contains(&k) && store::is_done(self.cx.store(), c, step, org)?;
        if there || !self.marked.insert(k) {
            return Ok(());
        }
        self.unmarked.remove(&k);
        store::put_done(&mut self.w, c, step, org, Done { at, by });
        Ok(())
    }

    fn undo(&mut self, c: u64, step: u8, org: u32) {
        let k = (c, step, org);
        self.marked.remove(&k);
        self.unmarked.insert(k);
        store::remove_done(&mut self.w, c, step, org);
    }

    /// A form submitted: a form per org is done at once; one per person
    /// once each of the org's officials (at least one person) has filled it.
    fn submitted(&mut self, campaign: u64, step: u8, org: u32, person: u64, at: u64) -> Result<()> {
        let Some(&ci) = self.by_id.get(&campaign) else { return Ok(()) };
        let Some(StepKind::Form { per, .. }) = self.campaigns[ci].def.steps.get(step as usize).map(|s| &s.kind) else {
            return Ok(());
        };
        let complete = match per {
            Per::Org => true,
            Per::Person => {
                let officials = self.cx.tree.holders(org, Role::Official)?.len().max(1);
                store::submitters(self.cx.store(), campaign, step, org)? >= officials
            }
        };
        if complete {
            self.done(campaign, step, org, at, Some(person))?;
        }
        Ok(())
    }

    /// A chat bound: bind steps of the campaigns targeting its org (on its platform, if named).
    fn bound(&mut self, channel: u64, org: u32, at: u64) -> Result<()> {
        let Some(ch) = self.cx.tree.channel(channel)? else { return Ok(()) };
        let steps = self.steps(|c, _, k| match k {
            StepKind::Bind { platforms } => {
                c.targets.binary_search(&org).is_ok()
                    && (platforms.is_empty() || platforms.contains(&ch.address.platform))
            }
            _ => false,
        });
        for (ci, step) in steps {
            let id = self.campaigns[ci].id;
            self.done(id, step, org, at, None)?;
        }
        Ok(())
    }

    /// A notice acknowledged: its ack steps, for the target at or above the org.
    fn acknowledged(&mut self, notice: u64, org: u32, person: Option<u64>, at: u64) -> Result<()> {
        let Some(acked) = self.cx.tree.get(org)? else { return Ok(()) };
        let steps = self.steps(|c, i, _| c.ack_notice(i) == Some(notice));
        for (ci, step) in steps {
            let c = &self.campaigns[ci];
            let Some(&target) = acked.path.iter().find(|id| c.targets.binary_search(id).is_ok()) else { continue };
            let id = c.id;
            self.done(id, step, target, at, person)?;
        }
        Ok(())
    }

    /// An official following (by link or the digest): follow steps of the targets they are an official of.
    fn following(&mut self, person: u64, digest: bool, at: u64) -> Result<()> {
        let way = if digest { FollowBy::Digest } else { FollowBy::Link };
        let orgs: Vec<u32> = self
            .cx
            .tree
            .roles_of(person)?
            .into_iter()
            .filter(|(_, r)| *r == Role::Official)
            .map(|(o, _)| o.id)
            .collect();
        let steps = self.steps(|_, _, k| matches!(k, StepKind::Follow { by } if by.contains(&way)));
        for (ci, step) in steps {
            for org in &orgs {
                if self.campaigns[ci].targets.binary_search(org).is_ok() {
                    let id = self.campaigns[ci].id;
                    self.done(id, step, *org, at, Some(person))?;
                }
            }
        }
        Ok(())
    }

    /// Every (campaign, step) of a kind `pick` accepts, with the campaign.
    fn steps(&self, pick: impl Fn(&Campaign, usize, &StepKind) -> bool) -> Vec<(usize, u8)> {
        let mut out = Vec::new();
        for (ci, c) in self.campaigns.iter().enumerate() {
            for (i, s) in c.def.steps.iter().enumerate() {
                if pick(c, i, &s.kind) {
                    out.push((ci, i as u8));
                }
            }
        }
        out
    }
}

impl Subscriber for Progress {
    fn name(&self) -> &'static str {
        "campaigns.progress"
    }

    fn handle(&self, cx: &Ctx, events: &[Record]) -> Result<Writes> {
        let relevant = events.iter().any(|r| {
            matches!(
                r.event,
                Event::CampaignFormSubmitted { .. }
                    | Event::CampaignMarked { .. }
                    | Event::ChannelBound { .. }
                    | Event::Acknowledged { .. }
                    | Event::Following { .. }
            )
        });
        if !relevant {
            return Ok(Writes::default());
        }
        let campaigns = store::campaigns(cx.store())?;
        let by_id = campaigns.iter().enumerate().map(|(i, c)| (c.id, i)).collect();
        let mut b =
            Batch { cx, campaigns, by_id, marked: HashSet::new(), unmarked: HashSet::new(), w: Writes::default() };
        for r in events {
            let at = r.at_ms / 1000;
            match &r.event {
                Event::CampaignFormSubmitted { campaign, step, org, person } => {
                    b.submitted(*campaign, *step, *org, *person, at)?
                }
                Event::CampaignMarked { campaign, step, org, by, done: true } => {
                    b.done(*campaign, *step, *org, at, Some(*by))?;
                }
                Event::CampaignMarked { campaign, step, org, done: false, .. } => b.undo(*campaign, *step, *org),
                Event::ChannelBound { channel, org } => b.bound(*channel, *org, at)?,
                Event::Acknowledged { notice, org, person, .. } => b.acknowledged(*notice, *org, *person, at)?,
                Event::Following { person, digest } => b.following(*person, *digest, at)?,
                _ => {}
            }
        }
        Ok(b.w)
    }
}
