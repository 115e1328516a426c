//! Whom a notice reaches: its `Target`, resolved from a draft, and how many channels that target counts.

use super::{Draft, Target};
use crate::catalogue::{msg, Msg};
use crate::error::{Error, Result};
use crate::tree::{Org, Tree};

impl Target {
    /// Whether the channel at `path` (org ids root..org) of `level` is targeted,
    /// given that it lies under `root`.
    pub fn admits(&self, root: u32, org_path: &[u32], level: u8) -> bool {
        if !self.include_roots && org_path.last() == Some(&root) {
            return false;
        }
        if let Some(levels) = &self.levels {
            if !levels.contains(&level) {
                return false;
            }
        }
        !self.exclude.iter().any(|x| org_path.contains(x))
    }
}

impl Tree {
    /// The draft's levels, chosen child orgs and exclusions as a target
    /// below `issuer`; each must lie below it.
    pub fn resolve_target(&self, issuer: &Org, d: &Draft) -> Result<Target> {
        let mut levels = Vec::new();
        for l in &d.levels {
            let lv = self
                .levels
                .find(l)
                .ok_or_else(|| Error::invalid(msg(Msg::NoSuchLevel, &[("level", &format!("{l:?}"))])))?;
            if lv <= issuer.level {
                return Err(Error::invalid(msg(Msg::LevelNotBelow, &[("level", &l), ("org", &issuer.name)])));
            }
            levels.push(lv);
        }
        let below = |code: &str| -> Result<Org> {
            let o = self.require(code)?;
            if o.id == issuer.id || !o.is_within(issuer) {
                return Err(Error::invalid(msg(
                    Msg::OrgNotBelow,
                    &[("code", &o.code), ("name", &o.name), ("org", &issuer.name)],
                )));
            }
            Ok(o)
        };
        // The issuer's own chats get their notice too: a branch secretary
        // posting to their own branch is the common case.
        let (roots, include_roots) = if d.only.is_empty() {
            (vec![issuer.id], true)
        } else {
            let mut roots = Vec::new();
            for c in &d.only {
                roots.push(below(c)?);
            }
            // Nested choices would walk a subtree twice.
            roots.sort_by(|a, b| a.path.cmp(&b.path));
            roots.dedup_by(|b, a| b.is_within(a));
            (roots.into_iter().map(|o| o.id).collect(), true)
        };
        let mut exclude = Vec::new();
        for c in &d.exclude {
            exclude.push(below(c)?.id);
        }
        Ok(Target { roots, include_roots, levels: (!levels.is_empty()).then_some(levels), exclude })
    }

    /// How many channels and channelled orgs below `org` the target reaches.
    pub fn expected(&self, target: &Target, org: &Org) -> Result<(i64, i64)> {
        let levels: Vec<u8> = match &target.levels {
            Some(l) => l.clone(),
            None => (0..self.levels.len() as u8).collect(),
        };
        let count = |o: &Org| -> Result<(i64, i64)> {
            let mut sum = (0, 0);
            for l in &levels {
                let (c, n) = self.channel_counts(o.id, *l)?;
                sum = (sum.0 + c, sum.1 + n);
            }
            Ok(sum)
        };
        // The part of subtree(a) that is also in subtree(b).
        let overlap = |a: &Org, b: &Org| -> Option<Org> {
            if a.is_within(b) {
                Some(a.clone())
            } else if b.is_within(a) {
                Some(b.clone())
            } else {
                None
            }
        };
        let mut total = (0, 0);
        for r in &target.roots {
            let root = self.require_id(*r)?;
            let Some(part) = overlap(&root, org) else { continue };
            let c = count(&part)?;
            total = (total.0 + c.0, total.1 + c.1);
            if !target.include_roots && part.id == root.id {
                let own = self.channels_of(&root)?;
                if levels.contains(&root.level) && !own.is_empty() {
                    total = (total.0 - own.len() as i64, total.1 - 1);
                }
            }
            for x in &target.exclude {
                let ex = self.require_id(*x)?;
                if let Some(gone) = overlap(&ex, &part) {
                    let c = count(&gone)?;
                    total = (total.0 - c.0, total.1 - c.1);
                }
            }
        }
        Ok(total)
    }
}
