//! The org tree: orgs keyed by path so a subtree is one key range, plus
//! people, channels and the one permission check.

pub mod auth;
pub mod channels;
pub mod export;
pub mod generate;
pub mod import;
pub mod level;
pub mod people;
pub mod reads;

use std::sync::{Arc, Mutex};

use crate::catalogue::{msg, Msg};
use crate::clock::Clock;
use crate::error::{Error, Result};
use crate::events::Event;
use crate::store::{Ops, Store};
pub use level::{LevelSpec, Levels};

pub use crate::store::orgs::Org;

/// A cheap handle on the tree in the store.
#[derive(Clone)]
pub struct Tree {
    pub store: Store,
    pub levels: Arc<Levels>,
    /// The app's clock: every time the domain writes comes from here.
    pub clock: Clock,
    /// Org writes are rare and must not interleave (ids, moves).
    write_lock: Arc<Mutex<()>>,
}

impl Tree {
    /// The tree in `store`. An import that a crash interrupted is rolled
    /// back first, so every import is all rows or none.
    pub fn new(store: Store, levels: Levels) -> Result<Tree> {
        let tree =
            Tree { store, levels: Arc::new(levels), clock: Clock::system(), write_lock: Arc::new(Mutex::new(())) };
        if import::rollback(&tree)? {
            tracing::warn!("an unfinished tree import was rolled back; run it again");
        }
        Ok(tree)
    }

    /// The same tree reading time from `clock`.
    pub fn with_clock(mut self, clock: Clock) -> Tree {
        self.clock = clock;
        self
    }

    pub(crate) fn lock(&self) -> std::sync::MutexGuard<'_, ()> {
        self.write_lock.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn get(&self, id: u32) -> Result<Option<Org>> {
        self.store.org(id)
    }

    /// The org with `code`; letters match in either case (`cn` finds `CN`:
    /// mail systems lowercase the tag of `notice+CODE@…`).
    pub fn by_code(&self, code: &str) -> Result<Option<Org>> {
        if let Some(o) = self.store.org_by_code(code)? {
            return Ok(Some(o));
        }
        let upper = code.trim().to_uppercase();
        if upper != code.trim() {
            return self.store.org_by_code(&upper);
        }
        Ok(None)
    }

    /// The org with `code`, or an error naming the code.
    pub fn require(&self, code: &str) -> Result<Org> {
        self.by_code(code)?.ok_or_else(|| Error::UnknownOrg(code.trim().to_owned()))
    }

    pub fn require_id(&self, id: u32) -> Result<Org> {
        self.get(id)?.ok_or_else(|| Error::not_found(msg(Msg::OrgGone, &[("id", &id)])))
    }

    /// Whether orgs of `level` are leaves (class branches).
    pub fn is_leaf(&self, level: u8) -> bool {
        level as usize + 1 == self.levels.len()
    }

    /// Direct children, ordered by code. Leaves have no index entry (the
    /// largest level would double the import's writes): a leaf's parent is
    /// always of the level just above, whose subtree is only its children.
    pub fn children(&self, id: u32) -> Result<Vec<Org>> {
        let Some(org) = self.get(id)? else { return Ok(Vec::new()) };
        let mut out = Vec::new();
        if self.is_leaf(org.level + 1) {
            for o in self.subtree(&org).skip(1) {
                out.push(o?);
            }
        } else {
            for child in self.store.child_ids(id)? {
                if let Some(o) = self.get(child)? {
                    out.push(o);
                }
            }
        }
        out.sort_by(|a, b| a.code.cmp(&b.code));
        Ok(out)
    }

    /// Every org in the subtree of `org` (itself first), in path order,
    /// streamed from one key range: nothing else is loaded.
    pub fn subtree(&self, org: &Org) -> impl Iterator<Item = Result<Org>> {
        self.store.orgs_under(&org.path)
    }

    /// The roots (orgs with no parent).
    pub fn roots(&self) -> Result<Vec<Org>> {
        self.store.root_orgs()
    }

    /// Parents from the root down to the org's parent.
    pub fn ancestors(&self, org: &Org) -> Result<Vec<Org>> {
        let mut out = Vec::new();
        for id in &org.path[..org.path.len() - 1] {
            out.push(self.require_id(*id)?);
        }
        Ok(out)
    }

    /// The name a mailing list bound to `org` goes by in mail clients: the
    /// description in its mail's `List-Id` (RFC 2919), shown in the list's
    /// column and filters. The org's own name, and for an org of the lowest
    /// level its parent's name before it, e.g. "湖南大学团委
    /// 计算机科学与技术2023级1班团支部". Not the whole chain that branding writes
    /// into a chat's description (`features/branding`): that is too long for
    /// a list column, and the names above the lowest level (a school's 团委,
    /// a province's 学校部) already say which org it is, while a branch is
    /// named after its class, and classes of the same name are in every school.
    pub fn list_name(&self, org: &Org) -> Result<String> {
        let lowest = usize::from(org.level) + 1 >= self.levels.len();
        let parent = match org.parent.filter(|_| lowest) {
            Some(id) => self.get(id)?,
            None => None,
        };
        Ok(match parent {
            Some(p) => format!("{} {}", p.name, org.name),
            None => org.name.clone(),
        })
    }

    /// Number of orgs per level (a full walk of the orgs in path order).
    pub fn stats(&self) -> Result<Vec<(u8, u64)>> {
        let mut counts = vec![0u64; self.levels.len()];
        for org in self.store.orgs_under(&[]) {
            let org = org?;
            if let Some(c) = counts.get_mut(org.level as usize) {
                *c += 1;
            }
        }
        Ok(counts.into_iter().enumerate().map(|(i, c)| (i as u8, c)).collect())
    }

    /// The next unused org id.
    pub(crate) fn next_org_id(&self) -> Result<u32> {
        self.store.next_org_id()
    }

    /// Records that ids below `next` are used, with the ops that use them.
    pub(crate) fn seq_op(&self, next: u32, ops: &mut Ops) {
        ops.set_next_org_id(next);
    }

    /// Ops that write `org` under all its keys (leaves stay out of the child index: see `children`).
    pub(crate) fn put_ops(&self, org: &Org, ops: &mut Ops) {
        ops.put_org(org, !self.is_leaf(org.level));
    }

    /// Ops that remove every key of `org`.
    pub(crate) fn del_ops(&self, org: &Org, ops: &mut Ops) {
        ops.del_org(org, !self.is_leaf(org.level));
    }

    /// Appends `e` (about orgs) with `ops`.
    pub(crate) fn orgs_event(&self, e: &Event, ops: &mut Ops) {
        ops.event(self.clock.now_ms(), crate::store::encode(e));
    }

    /// The event for orgs created or renamed: listed, or past `LIST_AT` of
    /// them, every org.
    pub(crate) fn orgs_changed(ids: Vec<u32>) -> Event {
        const LIST_AT: usize = 50_000;
        if ids.len() > LIST_AT {
            Event::OrgsChanged { orgs: Vec::new(), all: true }
        } else {
            Event::OrgsChanged { orgs: ids, all: false }
        }
    }

    /// Renames an org, checking its level's naming rule.
    pub fn rename(&self, code: &str, name: &str) -> Result<Org> {
        let _g = self.lock();
        let mut org = self.require(code)?;
        self.levels.check_name(org.level, name)?;
        org.name = name.trim().to_owned();
        let mut ops = Ops::default();
        ops.update_org(&org);
        // Those below name it in their search documents too.
        let below = self.subtree(&org).map(|o| o.map(|o| o.id)).collect::<Result<Vec<u32>>>()?;
        self.orgs_event(&Self::orgs_changed(below), &mut ops);
        self.store.apply(ops)?;
        Ok(org)
    }

    /// Moves an org (and its whole subtree, channels and counts) under a new parent.
    pub fn move_org(&self, code: &str, new_parent: &str) -> Result<Org> {
        let _g = self.lock();
        let org = self.require(code)?;
        let parent = self.require(new_parent)?;
        if parent.is_within(&org) {
            return Err(Error::invalid(msg(Msg::MoveUnderOwnSubtree, &[("code", &org.code)])));
        }
        if parent.level >= org.level || (self.is_leaf(org.level) && parent.level + 1 != org.level) {
            return Err(Error::invalid(msg(
                Msg::ParentLevelTooLow,
                &[
                    ("code", &org.code),
                    ("level", &self.levels.key(org.level)),
                    ("parent", &parent.code),
                    ("parent_level", &self.levels.key(parent.level)),
                ],
            )));
        }
        let mut ops = Ops::default();
        self.relocate_ops(&org, Some(&parent), &mut ops)?;
        self.orgs_event(&Event::OrgsMoved { orgs: vec![org.id] }, &mut ops);
        self.store.apply(ops)?;
        self.require(code)
    }

    /// Ops that move `org`'s subtree under `parent` (None: becomes a root).
    pub(crate) fn relocate_ops(&self, org: &Org, parent: Option<&Org>, ops: &mut Ops) -> Result<()> {
        let old_prefix = org.path.clone();
        let mut new_prefix = parent.map(|p| p.path.clone()).unwrap_or_default();
        new_prefix.push(org.id);
        let old_ancestors = &org.path[..org.path.len() - 1];
        let new_ancestors = &new_prefix[..new_prefix.len() - 1];
        for o in self.subtree(org) {
            let mut o = o?;
            self.del_ops(&o, ops);
            let rest = o.path[old_prefix.len()..].to_vec();
            o.path = new_prefix.iter().copied().chain(rest).collect();
            if o.id == org.id {
                o.parent = parent.map(|p| p.id);
            }
            self.put_ops(&o, ops);
        }
        // Channels follow their orgs; counts move from old ancestors to new.
        let mut per_level = std::collections::BTreeMap::<u8, (i64, i64)>::new();
        for placed in self.store.channels_under(&org.path)? {
            let owner = self.require_id(placed.channel.org)?;
            let rest = owner.path[old_prefix.len()..].to_vec();
            let new_path: Vec<u32> = new_prefix.iter().copied().chain(rest).collect();
            ops.move_channel(&placed.path, &new_path, &placed.channel);
            per_level.entry(owner.level).or_default().0 += 1;
        }
        for (level, orgs) in self.channelled_orgs_by_level(org)? {
            per_level.entry(level).or_default().1 += orgs;
        }
        for (level, (chans, orgs)) in per_level {
            for a in old_ancestors {
                ops.count_channels(*a, level, (-chans, -orgs));
            }
            for a in new_ancestors {
                ops.count_channels(*a, level, (chans, orgs));
            }
        }
        Ok(())
    }

    /// Deletes an org; with children it is refused unless `cascade`.
    pub fn delete(&self, code: &str, cascade: bool) -> Result<usize> {
        let _g = self.lock();
        let org = self.require(code)?;
        let kids = self.children(org.id)?;
        if !kids.is_empty() && !cascade {
            return Err(Error::invalid(msg(
                Msg::HasChildren,
                &[("code", &org.code), ("name", &org.name), ("count", &kids.len())],
            )));
        }
        let mut ops = Ops::default();
        let mut gone = Vec::new();
        for o in self.subtree(&org) {
            let o = o?;
            self.del_ops(&o, &mut ops);
            gone.push(o.id);
        }
        let n = gone.len();
        self.orgs_event(&Event::OrgsRemoved { orgs: gone }, &mut ops);
        let mut per_level = std::collections::BTreeMap::<u8, (i64, i64)>::new();
        for placed in self.store.channels_under(&org.path)? {
            ops.del_channel(&placed.path, &placed.channel);
            let owner = self.require_id(placed.channel.org)?;
            per_level.entry(owner.level).or_default().0 += 1;
        }
        for (level, orgs) in self.channelled_orgs_by_level(&org)? {
            per_level.entry(level).or_default().1 += orgs;
        }
        for (level, (chans, orgs)) in per_level {
            for a in &org.path[..org.path.len() - 1] {
                ops.count_channels(*a, level, (-chans, -orgs));
            }
        }
        self.store.apply(ops)?;
        Ok(n)
    }
}

#[cfg(test)]
pub(crate) mod tests;

/// An org, its parent chain and (up to `limit`) children, as text.
pub fn describe(tree: &Tree, org: &Org, limit: usize, asker: Option<Option<u64>>) -> Result<String> {
    use reads::{Read, Sight};
    // None: the operator; Some(person or nobody): as the read table allows.
    let sees = |read| match asker {
        None => Ok(Sight::All),
        Some(p) => tree.sight(p, read, org),
    };
    let level = |o: &Org| tree.levels.get(o.level).map(|l| l.name.clone()).unwrap_or_default();
    let mut s = format!("{} {} [{}]\n", org.code, org.name, level(org));
    let chain = tree.ancestors(org)?;
    if !chain.is_empty() {
        let names: Vec<String> = chain.iter().map(|o| o.name.clone()).collect();
        s.push_str(&format!("{}\n", msg(Msg::OrgParents, &[("names", &names.join(" > "))])));
    }
    let kids = tree.children(org.id)?;
    let kids_sight = sees(Read::Children)?;
    if !kids.is_empty() && kids_sight >= Sight::Count {
        s.push_str(&format!("{}\n", msg(Msg::OrgChildren, &[("n", &kids.len())])));
        let shown = if kids_sight == Sight::All { limit } else { 0 };
        for k in kids.iter().take(shown) {
            s.push_str(&format!("  {} {}\n", k.code, k.name));
        }
        if kids.len() > limit && shown > 0 {
            s.push_str(&format!("  {}\n", msg(Msg::AndMore, &[("n", &(kids.len() - limit))])));
        }
    }
    let chans = tree.channels_of(org)?;
    let chans_sight = sees(Read::Channels)?;
    if !chans.is_empty() && chans_sight == Sight::Count {
        s.push_str(&format!("{}\n", msg(Msg::OrgChannelsCount, &[("n", &chans.len())])));
    }
    if !chans.is_empty() && chans_sight == Sight::All {
        s.push_str(&format!("{}\n", Msg::OrgChannels.text()));
        for c in chans {
            let state =
                if c.alive { String::new() } else { format!(" {}", msg(Msg::ChannelDead, &[("note", &c.note)])) };
            s.push_str(&format!("  #{} {}{state}\n", c.id, c.address));
        }
    }
    Ok(s.trim_end().to_owned())
}
