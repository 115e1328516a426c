//! The worker's intake: picking up queued work, walking notices round-robin,
//! and starting every delivery the limits allow.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::stream::FuturesUnordered;
use treecast_wire::{ChatKind, DeliveryError, Platform};

use super::flush::Flusher;
use super::limits::{Lane, PlatformLimits};
use super::run::{self, Job, JobKind, Run};
use super::{ChatTurn, Done, Outbox, Worker, COMMIT_AFTER, DELIVERY_TIMEOUT, LANE_BACKLOG, WALK_PER_PASS};
use crate::error::Result;
use crate::notice::fanout::FanBatch;

impl Worker {
    pub(super) fn new(ob: Outbox, flusher: Flusher) -> Result<Worker> {
        let mut w = Worker {
            ob,
            runs: BTreeMap::new(),
            turn: VecDeque::new(),
            ready: HashMap::new(),
            later: BinaryHeap::new(),
            later_jobs: HashMap::new(),
            later_seq: 0,
            limits: HashMap::new(),
            lane_ready_at: HashMap::new(),
            in_flight_per: HashMap::new(),
            inflight: FuturesUnordered::new(),
            pending: FanBatch::default(),
            pending_refs: Vec::new(),
            pending_since: Instant::now(),
            private_seen: Default::default(),
            chats: HashMap::new(),
            retries: super::summary::RetrySummary::new(),
            flusher,
            walk_cut: false,
        };
        w.load_new()?;
        Ok(w)
    }

    /// Picks up notices and private messages queued since the last look.
    pub(super) fn load_new(&mut self) -> Result<()> {
        for id in self.ob.tree.store.active_notices()? {
            if self.runs.contains_key(&id) {
                continue;
            }
            let Some(notice) = self.ob.tree.notice(id)? else {
                self.ob.tree.store.finish_notice(id)?;
                continue;
            };
            let mut run = Run::resume(&self.ob.tree, notice, &self.ob.footer)?;
            for (ch, at) in run.retry_channels(&self.ob.tree)? {
                let job = run.job_for(ch, at.1);
                self.defer(job, at.0);
            }
            self.runs.insert(id, run);
            self.turn.push_back(id);
        }
        // Private messages go ahead of notices, oldest first.
        let mut now = Vec::new();
        for (seq, q) in self.ob.tree.store.queued()? {
            if !self.private_seen.insert(seq) {
                continue;
            }
            let at = run::instant_from_unix_ms(q.next_at_ms);
            let job = Job::private(seq, q);
            if at > Instant::now() {
                self.defer(job, at);
            } else {
                now.push(job);
            }
        }
        for job in now.into_iter().rev() {
            self.ready.entry(job.lane.clone()).or_default().push_front(job);
        }
        Ok(())
    }

    /// A private message goes only when no earlier one to the same chat is
    /// in flight or waiting for a retry; otherwise it waits behind it.
    fn take_turn(&mut self, job: Job) -> Option<Job> {
        let JobKind::Private { seq, .. } = &job.kind else { return Some(job) };
        match self.chats.get_mut(job.to()) {
            Some(t) if t.holder != *seq => {
                t.waiting.push_back(job);
                None
            }
            Some(_) => Some(job),
            None => {
                self.chats.insert(job.to().clone(), ChatTurn { holder: *seq, waiting: VecDeque::new() });
                Some(job)
            }
        }
    }

    /// Message `seq` to `to` is done with (sent or given up): the next one
    /// waiting for that chat goes first.
    pub(super) fn pass_turn(&mut self, to: &treecast_wire::Address, seq: u64) {
        let Some(t) = self.chats.get_mut(to) else { return };
        if t.holder != seq {
            return;
        }
        match t.waiting.pop_front() {
            Some(next) => {
                if let JobKind::Private { seq, .. } = &next.kind {
                    t.holder = *seq;
                }
                self.ready.entry(next.lane.clone()).or_default().push_front(next);
            }
            None => {
                self.chats.remove(to);
            }
        }
    }

    pub(super) fn defer(&mut self, job: Job, at: Instant) {
        self.later_seq += 1;
        self.later.push(Reverse((at, self.later_seq)));
        self.later_jobs.insert(self.later_seq, job);
    }

    pub(super) fn next_timer(&self) -> Instant {
        let mut t = Instant::now() + Duration::from_secs(30);
        if let Some(Reverse((at, _))) = self.later.peek() {
            t = t.min(*at);
        }
        // Per platform, summed over its lanes, without allocating on every turn of the loop.
        for p in Platform::ALL {
            let n = self.ready.iter().filter(|(lane, _)| lane.platform == p).map(|(_, q)| q.len()).sum();
            crate::metrics::outbox_ready(p, n);
        }
        for (lane, at) in &self.lane_ready_at {
            if self.ready.get(lane).is_some_and(|q| !q.is_empty()) {
                t = t.min(*at);
            }
        }
        if self.pending.len > 0 {
            t = t.min(self.pending_since + COMMIT_AFTER);
        }
        if self.walk_cut {
            t = Instant::now();
        }
        t
    }

    /// Moves due jobs to the ready queues, walks notices round-robin to fill
    /// them, and starts every delivery the limits allow.
    pub(super) fn dispatch(&mut self) -> Result<()> {
        let now = Instant::now();
        while let Some(Reverse((at, seq))) = self.later.peek().copied() {
            if at > now {
                break;
            }
            self.later.pop();
            if let Some(job) = self.later_jobs.remove(&seq) {
                self.ready.entry(job.lane.clone()).or_default().push_front(job);
            }
        }
        self.fill()?;
        let lanes: Vec<Lane> = self.ready.iter().filter(|(_, q)| !q.is_empty()).map(|(l, _)| l.clone()).collect();
        for lane in lanes {
            self.start(&lane)?;
        }
        Ok(())
    }

    /// The limits of `lane`'s account, made on first use from its platform's.
    pub(super) fn lane_limits(&mut self, lane: &Lane) -> Arc<PlatformLimits> {
        if let Some(l) = self.limits.get(lane) {
            return l.clone();
        }
        let l = Arc::new(PlatformLimits::new(&self.ob.limit_cfg[&lane.platform]));
        self.limits.insert(lane.clone(), l.clone());
        l
    }

    /// Round-robin over notices: each turn takes one channel from one
    /// notice. A notice's walk runs ahead of its lanes (up to
    /// `LANE_BACKLOG` jobs in any one lane), so accounts with fast lanes
    /// are not held up behind a slow one; each pass walks at most
    /// `WALK_PER_PASS` channels so sends keep going during a long walk.
    pub(super) fn fill(&mut self) -> Result<()> {
        let mut idle_turns = 0;
        let mut walked = 0;
        while idle_turns < self.turn.len() && walked < WALK_PER_PASS {
            let Some(id) = self.turn.pop_front() else { break };
            self.turn.push_back(id);
            let run = self.runs.get_mut(&id).expect("turn lists only runs");
            let next = match run.held.take() {
                Some(job) => Some(job),
                None => run.next_job(&self.ob.tree, &mut self.pending)?,
            };
            match next {
                // One lookup a job; the lane is cloned only when its queue is made.
                Some(job) => match self.ready.get_mut(&job.lane) {
                    Some(q) if q.len() >= LANE_BACKLOG => {
                        run.held = Some(job);
                        idle_turns += 1;
                    }
                    Some(q) => {
                        q.push_back(job);
                        idle_turns = 0;
                        walked += 1;
                    }
                    None => {
                        self.ready.insert(job.lane.clone(), VecDeque::from([job]));
                        idle_turns = 0;
                        walked += 1;
                    }
                },
                None => idle_turns += 1,
            }
            self.maybe_finish(id)?;
        }
        // Cut short by the budget: the loop comes straight back for more.
        self.walk_cut = walked >= WALK_PER_PASS;
        Ok(())
    }

    /// The name of the org a mailing list is bound to ([`Tree::list_name`]),
    /// for a message to the list: every kind of message (notice copies,
    /// bridged chatter, services, replies) passes here on its way out, and a
    /// queued message gets the name the org has when it is sent. `None` for
    /// a list no longer bound.
    ///
    /// [`Tree::list_name`]: crate::tree::Tree::list_name
    fn list_name(&self, job: &Job) -> Result<Option<Arc<str>>> {
        let tree = &self.ob.tree;
        let org = match &job.kind {
            JobKind::Notice { channel, .. } => Some(channel.org),
            JobKind::Private { q, .. } => tree.channel_by_address(&q.msg.to)?.map(|c| c.org),
        };
        let Some(org) = org.map(|id| tree.get(id)).transpose()?.flatten() else { return Ok(None) };
        Ok(Some(tree.list_name(&org)?.into()))
    }

    pub(super) fn start(&mut self, lane: &Lane) -> Result<()> {
        let Some(adapter) = self.ob.adapters.get(&lane.platform).cloned() else {
            // No adapter for this platform: fail its jobs clearly.
            while let Some(job) = self.ready.get_mut(lane).and_then(|q| q.pop_front()) {
                let err = DeliveryError::permanent(format!("treecast is not connected to {}", lane.platform));
                self.finish(Done { job, result: Err(err) })?;
            }
            return Ok(());
        };
        let lim = self.lane_limits(lane);
        loop {
            let inflight = *self.in_flight_per.get(lane).unwrap_or(&0);
            if inflight >= lim.max_in_flight {
                return Ok(());
            }
            if let Some(at) = self.lane_ready_at.get(lane) {
                if *at > Instant::now() {
                    return Ok(());
                }
            }
            if let Some(until) = lim.account_held() {
                self.lane_ready_at.insert(lane.clone(), until);
                return Ok(());
            }
            if self.ready.get(lane).is_none_or(|q| q.is_empty()) {
                return Ok(());
            }
            // The account first: a chat's cell is spent only when the
            // message can really go now.
            if let Some(wait) = lim.platform_wait() {
                self.lane_ready_at.insert(lane.clone(), Instant::now() + wait);
                return Ok(());
            }
            let Some(job) = self.ready.get_mut(lane).and_then(|q| q.pop_front()) else { return Ok(()) };
            let Some(job) = self.take_turn(job) else { continue };
            if let Some(until) = lim.chat_held(&job.to().id) {
                self.defer(job, until);
                continue;
            }
            if let Some(wait) = lim.chat_wait(job.to()) {
                self.defer(job, Instant::now() + wait);
                continue;
            }
            let mut out = match &job.kind {
                JobKind::Notice { notice, channel, .. } => match self.runs.get(notice) {
                    Some(run) => run.render(channel),
                    None => continue,
                },
                JobKind::Private { q, .. } => q.msg.clone(),
            };
            if out.to.kind == ChatKind::List && out.list_name.is_none() {
                out.list_name = self.list_name(&job)?;
            }
            lim.platform_take();
            *self.in_flight_per.entry(lane.clone()).or_default() += 1;
            let adapter = adapter.clone();
            self.inflight.push(Box::pin(async move {
                let result = match tokio::time::timeout(DELIVERY_TIMEOUT, adapter.deliver(&out)).await {
                    Ok(r) => r,
                    Err(_) => Err(DeliveryError::transient("the platform did not answer in time")),
                };
                Done { job, result }
            }));
        }
    }
}
