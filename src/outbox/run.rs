//! One notice's fan-out in the worker: a walker over the target's channel
//! ranges in key order, the in-order window that moves the durable cursor,
//! and delivered/failed counters for every ancestor org.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use treecast_wire::{Address, Outbound};

use super::limits::Lane;
use super::queue::Queued;
use crate::error::Result;
use crate::notice::fanout::{Counts, Cursor, DeliveryRow, DeliveryState, FanBatch};
use crate::notice::{render, Notice, NoticeKind, Rendered};
use crate::store::{ChannelPos, ChannelWalk, Placed};
use crate::tree::channels::Channel;
use crate::tree::Tree;

// Private is the bigger variant; jobs are few (a bounded ready queue), so
// boxing it would only add an allocation per private message.
#[allow(clippy::large_enum_variant)]
pub(super) enum JobKind {
    Notice {
        notice: u64,
        channel: Channel,
        tries: u32,
        /// Position in the run's in-order window (None for retries).
        pos: Option<u64>,
        /// Ancestor org ids that count this delivery.
        counted: Vec<u32>,
    },
    Private {
        seq: u64,
        q: Queued,
    },
}

/// One delivery waiting in its lane. A notice copy is rendered only when
/// it is sent, so a long walk-ahead holds channels, not messages.
pub(super) struct Job {
    pub lane: Lane,
    pub kind: JobKind,
}

impl Job {
    pub fn private(seq: u64, q: Queued) -> Job {
        Job { lane: Lane::new(q.msg.to.platform, &q.msg.via), kind: JobKind::Private { seq, q } }
    }

    /// Where the message goes.
    pub fn to(&self) -> &Address {
        match &self.kind {
            JobKind::Notice { channel, .. } => &channel.address,
            JobKind::Private { q, .. } => &q.msg.to,
        }
    }
}

pub(super) struct Run {
    /// Channels bound after the notice was posted (a higher id) are not part of it.
    horizon: Option<u64>,
    /// For the unguessable part of each copy's delivery id.
    store: crate::store::Store,
    notice: Notice,
    rendered: Rendered,
    /// The org path of each target root, walked in turn.
    roots: Vec<Vec<u32>>,
    cursor: Cursor,
    walk_root: usize,
    iter: Option<ChannelWalk>,
    walked: bool,
    /// Planned channels not yet passed by the cursor: (root, position, resolved).
    order: VecDeque<(u32, ChannelPos, bool)>,
    order_base: u64,
    counts: HashMap<u32, Counts>,
    dirty: HashSet<u32>,
    cursor_dirty: bool,
    outstanding: usize,
    leaf: u8,
    pub held: Option<Job>,
    /// Rows may exist for channels the walk has not reached: the run
    /// resumes one that had begun (after a restart). A run that starts
    /// afresh writes rows only for channels it has walked past, so it does
    /// not look each channel up (a read a delivery, 4 % of the worker).
    rows_ahead: bool,
    /// The lane of the last job made (the home console lane before the
    /// first): the next channel is most often bound through the same
    /// account, and then shares it.
    lane: Lane,
}

pub(super) fn unix_ms() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

pub(super) fn instant_from_unix_ms(ms: u64) -> Instant {
    Instant::now() + Duration::from_millis(ms.saturating_sub(unix_ms()))
}

impl Run {
    pub fn resume(tree: &Tree, notice: Notice, footer: &Arc<str>) -> Result<Run> {
        let mut roots = Vec::new();
        for r in &notice.target.roots {
            roots.push(tree.require_id(*r)?.path);
        }
        let cursor = tree.store.cursor(notice.id)?;
        Ok(Run {
            rendered: Rendered::new(&notice, footer),
            horizon: tree.store.horizon(notice.id)?,
            store: tree.store.clone(),
            walk_root: cursor.root as usize,
            walked: cursor.walked,
            roots,
            cursor,
            iter: None,
            order: VecDeque::new(),
            order_base: 0,
            counts: HashMap::new(),
            dirty: HashSet::new(),
            cursor_dirty: false,
            outstanding: 0,
            leaf: (tree.levels.len() - 1) as u8,
            held: None,
            rows_ahead: tree.store.any_delivery(notice.id)?,
            lane: Lane::new(treecast_wire::Platform::Console, ""),
            notice,
        })
    }

    /// Channels with a retry pending after a restart: (channel, (when, tries)).
    /// Called once, right after `resume`: the run's outstanding count is
    /// these retries (a mark left on a resolved row, or on a channel since
    /// unbound, is not waited for).
    pub fn retry_channels(&mut self, tree: &Tree) -> Result<Vec<(Channel, (Instant, u32))>> {
        let mut out = Vec::new();
        for ch in tree.store.retries(self.notice.id)? {
            let (Some(row), Some(channel)) = (tree.store.delivery(self.notice.id, ch)?, tree.channel(ch)?) else {
                continue;
            };
            // Only a row still waiting for a retry is retried: one that was
            // resolved since (sent, failed) is done, whatever mark is left.
            let DeliveryState::Retry { next_at_ms, .. } = row.state else { continue };
            let at = instant_from_unix_ms(next_at_ms);
            out.push((channel, (at, row.tries)));
        }
        self.outstanding = out.len();
        Ok(out)
    }

    pub fn job_for(&mut self, channel: Channel, tries: u32) -> Job {
        self.make_job(channel, tries, None, Vec::new())
    }

    fn make_job(&mut self, channel: Channel, tries: u32, pos: Option<u64>, counted: Vec<u32>) -> Job {
        self.lane = self.lane.reuse(channel.address.platform, &channel.account);
        Job { lane: self.lane.clone(), kind: JobKind::Notice { notice: self.notice.id, channel, tries, pos, counted } }
    }

    /// The copy for `channel`, sent through the account the channel was bound with.
    pub fn render(&self, channel: &Channel) -> Outbound {
        let tag = self.store.delivery_tag(self.notice.id, channel.id);
        let mut out = render(&self.notice, &self.rendered, channel, &tag);
        out.via = channel.account.clone();
        out
    }

    fn open_iter(&mut self, tree: &Tree) -> bool {
        let Some(path) = self.roots.get(self.walk_root) else { return false };
        let after = (self.cursor.root as usize == self.walk_root).then_some(&self.cursor.key);
        self.iter = Some(tree.store.channel_walk(path, after));
        true
    }

    /// The next channel to deliver to, in key order, skipping those the
    /// target leaves out and those already resolved before a restart.
    pub fn next_job(&mut self, tree: &Tree, batch: &mut FanBatch) -> Result<Option<Job>> {
        if self.walked {
            return Ok(None);
        }
        loop {
            if self.iter.is_none() && !self.open_iter(tree) {
                self.walked = true;
                self.cursor_dirty = true;
                return Ok(None);
            }
            let Some(kv) = self.iter.as_mut().expect("opened").next() else {
                self.iter = None;
                self.walk_root += 1;
                if self.order.is_empty() && self.walk_root < self.roots.len() {
                    self.cursor = Cursor { root: self.walk_root as u32, key: ChannelPos::default(), walked: false };
                    self.cursor_dirty = true;
                }
                continue;
            };
            let Placed { pos: at, path, channel } = kv?;
            let root = self.notice.target.roots[self.walk_root];
            let wanted = self.notice.target.admits(root, &path, channel.level)
                && self.horizon.is_none_or(|h| channel.id <= h)
                && !self.already_acked(tree, channel.org)?
                && !(self.rows_ahead && tree.store.has_delivery(self.notice.id, channel.id)?);
            if !wanted {
                self.skip_past(at);
                continue;
            }
            let counted: Vec<u32> = if channel.level == self.leaf { path[..path.len() - 1].to_vec() } else { path };
            let pos = self.order_base + self.order.len() as u64;
            self.order.push_back((self.walk_root as u32, at, false));
            self.outstanding += 1;
            if !channel.alive {
                let reason = format!("the bot can no longer post there ({})", channel.note);
                let job = self.make_job(channel, 0, Some(pos), counted);
                self.resolve_failed(tree, batch, &job, reason)?;
                continue;
            }
            return Ok(Some(self.make_job(channel, 0, Some(pos), counted)));
        }
    }

    fn already_acked(&self, tree: &Tree, org: u32) -> Result<bool> {
        match self.notice.kind {
            NoticeKind::Reminder { of } => Ok(tree.ack_of(of, org)?.is_some()),
            NoticeKind::Notice => Ok(false),
        }
    }

    fn skip_past(&mut self, pos: ChannelPos) {
        if self.order.is_empty() {
            self.cursor = Cursor { root: self.walk_root as u32, key: pos, walked: false };
            self.cursor_dirty = true;
        }
    }

    fn mark_resolved(&mut self, pos: Option<u64>) {
        let Some(pos) = pos else { return };
        if let Some(e) = self.order.get_mut((pos - self.order_base) as usize) {
            e.2 = true;
        }
        while self.order.front().is_some_and(|e| e.2) {
            let (root, key, _) = self.order.pop_front().expect("non-empty");
            self.order_base += 1;
            self.cursor = Cursor { root, key, walked: false };
            self.cursor_dirty = true;
        }
    }

    fn bump(&mut self, tree: &Tree, orgs: &[u32], delivered: i64, failed: i64) -> Result<()> {
        for org in orgs {
            if !self.counts.contains_key(org) {
                let c = tree.store.counts(self.notice.id, *org)?;
                self.counts.insert(*org, c);
            }
            let c = self.counts.get_mut(org).expect("inserted");
            c.delivered += delivered;
            c.failed += failed;
            self.dirty.insert(*org);
        }
        Ok(())
    }

    fn parts(job: &Job) -> (&Channel, u32, Option<u64>, &[u32]) {
        match &job.kind {
            JobKind::Notice { channel, tries, pos, counted, .. } => (channel, *tries, *pos, counted),
            JobKind::Private { .. } => unreachable!("a run only gets its own jobs"),
        }
    }

    /// Counted orgs for a job that came from a retry (no walk context).
    fn counted_for(tree: &Tree, leaf: u8, ch: &Channel, counted: &[u32]) -> Result<Vec<u32>> {
        if !counted.is_empty() {
            return Ok(counted.to_vec());
        }
        let org = tree.require_id(ch.org)?;
        let mut path = org.path.clone();
        if ch.level == leaf {
            path.pop();
        }
        Ok(path)
    }

    pub fn resolve_sent(&mut self, tree: &Tree, batch: &mut FanBatch, job: &Job, ids: Vec<String>) -> Result<()> {
        let (ch, tries, pos, counted) = Self::parts(job);
        let counted = Self::counted_for(tree, self.leaf, ch, counted)?;
        let row = DeliveryRow {
            state: DeliveryState::Sent { at: tree.clock.now(), message_ids: ids },
            tries: tries + 1,
            org: ch.org,
        };
        batch.row(self.notice.id, ch.id, &row, pos.is_none());
        self.bump(tree, &counted, 1, 0)?;
        self.outstanding -= 1;
        self.mark_resolved(pos);
        Ok(())
    }

    pub fn resolve_failed(&mut self, tree: &Tree, batch: &mut FanBatch, job: &Job, reason: String) -> Result<()> {
        let (ch, tries, pos, counted) = Self::parts(job);
        let counted = Self::counted_for(tree, self.leaf, ch, counted)?;
        let row = DeliveryRow { state: DeliveryState::Failed { reason }, tries: tries + 1, org: ch.org };
        batch.row(self.notice.id, ch.id, &row, pos.is_none());
        self.bump(tree, &counted, 0, 1)?;
        self.outstanding -= 1;
        self.mark_resolved(pos);
        Ok(())
    }

    /// A retry at `next_at_ms`; `tried` says whether this attempt counts as
    /// a try (a rate limit does not).
    pub fn resolve_retry(
        &mut self,
        batch: &mut FanBatch,
        job: &Job,
        next_at_ms: u64,
        reason: String,
        tried: bool,
    ) -> Result<()> {
        let (ch, tries, pos, _) = Self::parts(job);
        let tries = tries + u32::from(tried);
        let row = DeliveryRow { state: DeliveryState::Retry { next_at_ms, reason }, tries, org: ch.org };
        batch.row(self.notice.id, ch.id, &row, pos.is_none());
        self.mark_resolved(pos);
        Ok(())
    }

    /// Adds dirty counters and the cursor to the batch.
    pub fn write_progress(&mut self, batch: &mut FanBatch) {
        for org in self.dirty.drain() {
            batch.counts(self.notice.id, org, self.counts[&org]);
        }
        if self.cursor_dirty {
            let mut c = self.cursor.clone();
            c.walked = self.walked && self.order.is_empty();
            batch.cursor(self.notice.id, &c);
            self.cursor_dirty = false;
        }
    }

    pub fn is_complete(&self) -> bool {
        self.walked && self.outstanding == 0 && self.held.is_none() && self.order.is_empty()
    }
}
