//! The outbox worker: walks each active notice's channels in key order,
//! hands copies to adapters under per-platform and per-chat rate limits,
//! round-robin between notices, and records every outcome durably in
//! groups. Private messages and command replies go first.

pub mod limits;
pub mod queue;
mod run;

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::stream::{FuturesUnordered, StreamExt};
use tokio::sync::Notify;
use treecast_wire::{shutdown_signalled, Adapter, Delivered, DeliveryError, Outbound, Platform, Shutdown};

use crate::config::{Config, Limits};
use crate::error::Result;
use crate::msgref::MsgRef;
use crate::notice::fanout::FanBatch;
use crate::tree::Tree;
use limits::{backoff, PlatformLimits};
use queue::Queued;
use run::{Job, JobKind, Run};

/// Counters anyone may watch (the demo's progress bar, tests).
#[derive(Debug, Default)]
pub struct Stats {
    pub delivered: AtomicU64,
    pub failed: AtomicU64,
    pub retried: AtomicU64,
    pub private_sent: AtomicU64,
}

/// Wakes the worker after something was queued.
#[derive(Clone, Default)]
pub struct Waker(Arc<Notify>);

impl Waker {
    pub fn wake(&self) {
        self.0.notify_one();
    }
}

pub struct Outbox {
    tree: Tree,
    adapters: HashMap<Platform, Arc<dyn Adapter>>,
    limits: HashMap<Platform, Arc<PlatformLimits>>,
    retry_base: Duration,
    retry_max: Duration,
    footer: Arc<str>,
    waker: Waker,
    stats: Arc<Stats>,
}

/// What a finished delivery attempt carries back to the loop.
struct Done {
    job: Job,
    result: Result<Delivered, DeliveryError>,
}

/// Deliveries per commit: sled 0.34 writes batches of a few hundred keys
/// fastest (275,600 rows + refs: 84k/s in batches of 256, 65k/s in 1,024).
const COMMIT_EVERY: usize = 256;
const COMMIT_AFTER: Duration = Duration::from_millis(20);
const DELIVERY_TIMEOUT: Duration = Duration::from_secs(60);
/// Transient failures give up after this many tries (days with backoff).
const MAX_TRIES: u32 = 40;

impl Outbox {
    pub fn new(tree: Tree, cfg: &Config, adapters: HashMap<Platform, Arc<dyn Adapter>>, waker: Waker) -> Outbox {
        let limits = Platform::ALL
            .into_iter()
            .map(|p| (p, Arc::new(PlatformLimits::new(cfg.limits.get(&p).unwrap_or(&Limits::default_for(p))))))
            .collect();
        Outbox {
            tree,
            adapters,
            limits,
            retry_base: cfg.retry_base,
            retry_max: cfg.retry_max,
            footer: cfg.footer.as_str().into(),
            waker,
            stats: Arc::new(Stats::default()),
        }
    }

    pub fn waker(&self) -> Waker {
        self.waker.clone()
    }

    pub fn stats(&self) -> Arc<Stats> {
        self.stats.clone()
    }

    /// Runs until `shutdown`, then commits what it has and returns.
    pub async fn run(self, mut shutdown: Shutdown) -> Result<()> {
        let mut w = Worker::new(self)?;
        let mut last_tick = Instant::now() - Duration::from_secs(3600);
        loop {
            if last_tick.elapsed() >= Duration::from_secs(30) {
                // A safety net for work queued without a wake-up.
                w.load_new()?;
                last_tick = Instant::now();
            }
            w.dispatch()?;
            if w.pending.len >= COMMIT_EVERY
                || (w.pending.len > 0 && (w.inflight.is_empty() || w.pending_since.elapsed() >= COMMIT_AFTER))
            {
                w.commit()?;
            }
            let timer = w.next_timer();
            tracing::trace!(
                ready = w.ready.values().map(|q| q.len()).sum::<usize>(),
                later = w.later.len(),
                inflight = w.inflight.len(),
                runs = w.runs.len(),
                timer_ms = timer.saturating_duration_since(Instant::now()).as_millis() as u64,
                "worker loop"
            );
            let waker = w.ob.waker.0.clone();
            tokio::select! {
                biased;
                _ = shutdown_signalled(&mut shutdown) => break,
                Some(done) = w.inflight.next(), if !w.inflight.is_empty() => w.finish(done)?,
                _ = waker.notified() => w.load_new()?,
                _ = tokio::time::sleep_until(timer.into()) => {}
            }
        }
        // Let what is in flight land, then record it.
        while let Some(done) = w.inflight.next().await {
            w.finish(done)?;
        }
        w.commit()?;
        w.ob.tree.store.flush()?;
        Ok(())
    }
}

type Inflight = FuturesUnordered<futures::future::BoxFuture<'static, Done>>;

struct Worker {
    ob: Outbox,
    runs: BTreeMap<u64, Run>,
    /// Round-robin order of notice ids.
    turn: VecDeque<u64>,
    /// Jobs ready for each platform, filled from private mail and walkers.
    ready: HashMap<Platform, VecDeque<Job>>,
    /// Jobs waiting for a time (retries, chat limits): (when, seq).
    later: BinaryHeap<Reverse<(Instant, u64)>>,
    later_jobs: HashMap<u64, Job>,
    later_seq: u64,
    /// When each platform's limiter next allows a send.
    platform_ready_at: HashMap<Platform, Instant>,
    in_flight_per: HashMap<Platform, usize>,
    inflight: Inflight,
    pending: FanBatch,
    pending_refs: Vec<(Platform, Vec<String>, MsgRef)>,
    pending_since: Instant,
    private_seen: std::collections::HashSet<u64>,
}

impl Worker {
    fn new(ob: Outbox) -> Result<Worker> {
        let mut w = Worker {
            ob,
            runs: BTreeMap::new(),
            turn: VecDeque::new(),
            ready: HashMap::new(),
            later: BinaryHeap::new(),
            later_jobs: HashMap::new(),
            later_seq: 0,
            platform_ready_at: HashMap::new(),
            in_flight_per: HashMap::new(),
            inflight: FuturesUnordered::new(),
            pending: FanBatch::default(),
            pending_refs: Vec::new(),
            pending_since: Instant::now(),
            private_seen: Default::default(),
        };
        w.load_new()?;
        Ok(w)
    }

    /// Picks up notices and private messages queued since the last look.
    fn load_new(&mut self) -> Result<()> {
        for id in self.ob.tree.store.active_notices()? {
            if self.runs.contains_key(&id) {
                continue;
            }
            let Some(notice) = self.ob.tree.notice(id)? else {
                self.ob.tree.store.finish_notice(id)?;
                continue;
            };
            let run = Run::resume(&self.ob.tree, notice, &self.ob.footer)?;
            for (ch, at) in run.retry_channels(&self.ob.tree)? {
                let job = run.job_for(ch, at.1);
                self.defer(job, at.0);
            }
            self.runs.insert(id, run);
            self.turn.push_back(id);
        }
        for (seq, q) in self.ob.tree.store.queued()? {
            if !self.private_seen.insert(seq) {
                continue;
            }
            let at = run::instant_from_unix_ms(q.next_at_ms);
            let job = Job { platform: q.msg.to.platform, out: q.msg.clone(), kind: JobKind::Private { seq, q } };
            if at > Instant::now() {
                self.defer(job, at);
            } else {
                self.ready.entry(job.platform).or_default().push_front(job);
            }
        }
        Ok(())
    }

    fn defer(&mut self, job: Job, at: Instant) {
        self.later_seq += 1;
        self.later.push(Reverse((at, self.later_seq)));
        self.later_jobs.insert(self.later_seq, job);
    }

    fn next_timer(&self) -> Instant {
        let mut t = Instant::now() + Duration::from_secs(30);
        if let Some(Reverse((at, _))) = self.later.peek() {
            t = t.min(*at);
        }
        for (p, at) in &self.platform_ready_at {
            if self.ready.get(p).is_some_and(|q| !q.is_empty()) {
                t = t.min(*at);
            }
        }
        if self.pending.len > 0 {
            t = t.min(self.pending_since + COMMIT_AFTER);
        }
        t
    }

    /// Moves due jobs to the ready queues, walks notices round-robin to fill
    /// them, and starts every delivery the limits allow.
    fn dispatch(&mut self) -> Result<()> {
        let now = Instant::now();
        while let Some(Reverse((at, seq))) = self.later.peek().copied() {
            if at > now {
                break;
            }
            self.later.pop();
            if let Some(job) = self.later_jobs.remove(&seq) {
                self.ready.entry(job.platform).or_default().push_front(job);
            }
        }
        self.fill()?;
        for p in Platform::ALL {
            self.start(p)?;
        }
        Ok(())
    }

    /// Round-robin over notices: each turn takes one channel from one notice.
    fn fill(&mut self) -> Result<()> {
        let mut idle_turns = 0;
        while idle_turns < self.turn.len() {
            let Some(id) = self.turn.pop_front() else { break };
            self.turn.push_back(id);
            let run = self.runs.get_mut(&id).expect("turn lists only runs");
            let cap_ok = |p: Platform, ready: &HashMap<Platform, VecDeque<Job>>, cap: usize| {
                ready.get(&p).map_or(0, |q| q.len()) < cap
            };
            let next = match run.held.take() {
                Some(job) => Some(job),
                None => run.next_job(&self.ob.tree, &mut self.pending)?,
            };
            match next {
                Some(job) => {
                    let cap = self.ob.limits[&job.platform].max_in_flight * 2 + 8;
                    if cap_ok(job.platform, &self.ready, cap) {
                        self.ready.entry(job.platform).or_default().push_back(job);
                        idle_turns = 0;
                    } else {
                        run.held = Some(job);
                        idle_turns += 1;
                    }
                }
                None => idle_turns += 1,
            }
            self.maybe_finish(id)?;
        }
        Ok(())
    }

    fn start(&mut self, p: Platform) -> Result<()> {
        let Some(adapter) = self.ob.adapters.get(&p).cloned() else {
            // No adapter for this platform: fail its jobs clearly.
            while let Some(job) = self.ready.get_mut(&p).and_then(|q| q.pop_front()) {
                let err = DeliveryError::permanent(format!("treecast is not connected to {p}"));
                self.finish(Done { job, result: Err(err) })?;
            }
            return Ok(());
        };
        let lim = self.ob.limits[&p].clone();
        loop {
            let inflight = *self.in_flight_per.get(&p).unwrap_or(&0);
            if inflight >= lim.max_in_flight {
                return Ok(());
            }
            if let Some(at) = self.platform_ready_at.get(&p) {
                if *at > Instant::now() {
                    return Ok(());
                }
            }
            if self.ready.get(&p).is_none_or(|q| q.is_empty()) {
                return Ok(());
            }
            // The platform first: a chat's cell is spent only when the
            // message can really go now.
            if let Some(wait) = lim.platform_wait() {
                self.platform_ready_at.insert(p, Instant::now() + wait);
                return Ok(());
            }
            let Some(job) = self.ready.get_mut(&p).and_then(|q| q.pop_front()) else { return Ok(()) };
            if let Some(wait) = lim.chat_wait(&job.out.to) {
                self.defer(job, Instant::now() + wait);
                continue;
            }
            lim.platform_take();
            *self.in_flight_per.entry(p).or_default() += 1;
            let adapter = adapter.clone();
            self.inflight.push(Box::pin(async move {
                let result = match tokio::time::timeout(DELIVERY_TIMEOUT, adapter.deliver(&job.out)).await {
                    Ok(r) => r,
                    Err(_) => Err(DeliveryError::transient("the platform did not answer in time")),
                };
                Done { job, result }
            }));
        }
    }

    fn finish(&mut self, done: Done) -> Result<()> {
        let p = done.job.platform;
        if let Some(n) = self.in_flight_per.get_mut(&p) {
            *n = n.saturating_sub(1);
        }
        let Done { job, result } = done;
        match job.kind {
            JobKind::Notice { .. } => self.finish_notice(job, result),
            JobKind::Private { .. } => self.finish_private(job, result),
        }
    }

    fn finish_notice(&mut self, job: Job, result: Result<Delivered, DeliveryError>) -> Result<()> {
        let JobKind::Notice { notice, ref channel, tries, .. } = job.kind else { unreachable!() };
        let Some(run) = self.runs.get_mut(&notice) else { return Ok(()) };
        match result {
            Ok(d) => {
                self.ob.stats.delivered.fetch_add(1, Ordering::Relaxed);
                self.pending_refs.push((
                    job.platform,
                    d.message_ids.clone(),
                    MsgRef::Delivery { notice, channel: channel.id },
                ));
                run.resolve_sent(&self.ob.tree, &mut self.pending, &job, d.message_ids)?;
            }
            Err(DeliveryError::Moved { new_id }) => {
                if let Some(ch) = self.ob.tree.migrate(channel.id, &new_id)? {
                    let job = run.job_for(ch, tries);
                    self.ready.entry(job.platform).or_default().push_front(job);
                }
            }
            Err(DeliveryError::Transient { retry_after, reason }) if tries + 1 < MAX_TRIES => {
                self.ob.stats.retried.fetch_add(1, Ordering::Relaxed);
                let wait = backoff(tries, self.ob.retry_base, self.ob.retry_max, retry_after);
                if retry_after.is_some() {
                    // The platform asked everyone to slow down, not just this chat.
                    let at = Instant::now() + retry_after.unwrap_or_default();
                    let e = self.platform_ready_at.entry(job.platform).or_insert(at);
                    *e = (*e).max(at);
                }
                let at_ms = run::unix_ms() + wait.as_millis() as u64;
                run.resolve_retry(&mut self.pending, &job, at_ms, reason)?;
                let again = run.job_for(channel.clone(), tries + 1);
                self.defer(again, Instant::now() + wait);
            }
            Err(e) => {
                self.ob.stats.failed.fetch_add(1, Ordering::Relaxed);
                let reason = match e {
                    DeliveryError::Transient { reason, .. } => format!("gave up after {MAX_TRIES} tries: {reason}"),
                    DeliveryError::Permanent { reason } => reason,
                    DeliveryError::Moved { new_id } => format!("moved to {new_id}"),
                };
                run.resolve_failed(&self.ob.tree, &mut self.pending, &job, reason)?;
            }
        }
        if self.pending.len == 1 {
            self.pending_since = Instant::now();
        }
        self.maybe_finish(notice)
    }

    fn finish_private(&mut self, job: Job, result: Result<Delivered, DeliveryError>) -> Result<()> {
        let JobKind::Private { seq, mut q } = job.kind else { unreachable!() };
        let tree = &self.ob.tree;
        match result {
            Ok(d) => {
                self.ob.stats.private_sent.fetch_add(1, Ordering::Relaxed);
                if let Some(r) = &q.on_sent {
                    tree.store.record_msgref(job.platform, &d.message_ids, r)?;
                }
                tree.store.dequeue(seq)?;
                self.private_seen.remove(&seq);
            }
            Err(DeliveryError::Transient { retry_after, .. }) if q.tries + 1 < MAX_TRIES => {
                let wait = backoff(q.tries, self.ob.retry_base, self.ob.retry_max, retry_after);
                q.tries += 1;
                q.next_at_ms = run::unix_ms() + wait.as_millis() as u64;
                tree.store.update_queued(seq, &q)?;
                let out = q.msg.clone();
                self.defer(
                    Job { platform: job.platform, out, kind: JobKind::Private { seq, q } },
                    Instant::now() + wait,
                );
            }
            Err(e) => {
                tracing::warn!(to = %q.msg.to, error = %e, "private message could not be delivered");
                let mut follow = Vec::new();
                if let Some(f) = q.fallback.take() {
                    let mut msg = Outbound::reply(format!("{}-fb", q.msg.id), f.to.clone(), f.body.clone());
                    msg.kind = q.msg.kind;
                    msg.in_reply_to = f.in_reply_to.clone();
                    let mut fq = Queued::new(msg);
                    fq.on_sent = q.on_sent.clone();
                    follow.push(fq);
                    if let Some((to, text)) = f.tell {
                        follow.push(Queued::new(Outbound::reply(format!("{}-told", q.msg.id), to, text)));
                    }
                }
                tree.store.enqueue(follow)?;
                tree.store.dequeue(seq)?;
                self.private_seen.remove(&seq);
                self.load_new()?;
            }
        }
        Ok(())
    }

    /// A run whose walk is done and whose deliveries are all resolved ends:
    /// its state is committed with a `FanoutFinished` event (the author's
    /// summary follows from it).
    fn maybe_finish(&mut self, id: u64) -> Result<()> {
        if !self.runs.get(&id).is_some_and(|r| r.is_complete()) {
            return Ok(());
        }
        self.commit()?;
        self.runs.remove(&id);
        self.turn.retain(|x| *x != id);
        let tree = &self.ob.tree;
        tree.store.finish_fanout(id, tree.clock.now_ms())
    }

    /// Writes resolved deliveries, counters and cursors in one batch.
    fn commit(&mut self) -> Result<()> {
        if self.pending.len == 0 && self.pending_refs.is_empty() {
            return Ok(());
        }
        let tree = &self.ob.tree;
        // Message refs first: a crash between the two writes re-sends with
        // the same delivery id, and the refs are rewritten identically.
        let mut refs = sled::Batch::default();
        for (p, ids, r) in self.pending_refs.drain(..) {
            let v = crate::store::encode(&r);
            for id in ids {
                refs.insert(crate::store::keys::msgref(p, &id), v.clone());
            }
        }
        tree.store.msgref.apply_batch(refs)?;
        let mut batch = std::mem::take(&mut self.pending);
        for run in self.runs.values_mut() {
            run.write_progress(&mut batch);
        }
        batch.commit(&tree.store, tree.clock.now_ms())?;
        Ok(())
    }
}
