//! The outbox worker: walks each active notice's channels in key order,
//! hands copies to adapters under each bot account's rate limits (a lane
//! per platform and account), round-robin between notices, and records
//! every outcome durably within milliseconds (group commit). Private
//! messages and command replies go first.

mod finish;
mod flush;
pub mod limits;
pub mod queue;
mod run;
mod summary;
mod walk;

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashMap, VecDeque};
use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::stream::{FuturesUnordered, StreamExt};
use tokio::sync::Notify;
use treecast_wire::{shutdown_signalled, Adapter, Delivered, DeliveryError, Platform, Shutdown};

use crate::error::Result;
use crate::msgref::MsgRef;
use crate::notice::fanout::FanBatch;
use crate::tree::Tree;
pub use limits::Lane;
use limits::Limits;
use limits::PlatformLimits;
use run::{Job, Run};

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
    /// Each platform's limits, applied to each of its accounts separately.
    limit_cfg: HashMap<Platform, Limits>,
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
/// The longest an outcome waits to be committed; the flusher then makes it
/// durable (see `flush.rs`), so a crash re-sends little more than what was
/// in flight.
const COMMIT_AFTER: Duration = Duration::from_millis(3);
/// Jobs walked ahead per lane: a lane this far behind holds its notice's
/// walk. Lanes drain at their own accounts' rates, so the walk must run
/// ahead of a slow lane to keep the others busy (31 accounts of 1,000
/// groups each, walked in key order, are all in memory at once).
const LANE_BACKLOG: usize = 20_000;
/// Channels walked in one pass, so sends are not held up by a long walk.
const WALK_PER_PASS: usize = 1_024;
const DELIVERY_TIMEOUT: Duration = Duration::from_secs(60);
/// Transient failures give up after this many tries (days with backoff).
const MAX_TRIES: u32 = 40;

/// What the outbox delivers under (`Config::outbox_settings`).
#[derive(Debug, Clone)]
pub struct Settings {
    pub limits: HashMap<Platform, Limits>,
    pub retry_base: Duration,
    pub retry_max: Duration,
    pub footer: Arc<str>,
}

impl Outbox {
    pub fn new(tree: Tree, cfg: &Settings, adapters: HashMap<Platform, Arc<dyn Adapter>>, waker: Waker) -> Outbox {
        Outbox {
            tree,
            adapters,
            limit_cfg: cfg.limits.clone(),
            retry_base: cfg.retry_base,
            retry_max: cfg.retry_max,
            footer: cfg.footer.clone(),
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
        let flusher = flush::Flusher::start(self.tree.store.clone());
        let mut w = Worker::new(self, flusher)?;
        let mut last_tick = Instant::now() - Duration::from_secs(3600);
        loop {
            if last_tick.elapsed() >= Duration::from_secs(30) {
                // A safety net for work queued without a wake-up.
                w.load_new()?;
                last_tick = Instant::now();
            }
            w.dispatch()?;
            w.retries.maybe_report();
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
                Some(done) = w.inflight.next(), if !w.inflight.is_empty() => w.finish_ready(done)?,
                _ = waker.notified() => w.load_new()?,
                _ = tokio::time::sleep_until(timer.into()) => {}
            }
        }
        // Let what is in flight land, then record it.
        while let Some(done) = w.inflight.next().await {
            w.finish(done)?;
        }
        w.commit()?;
        w.flusher.stop();
        w.ob.tree.store.flush()?;
        Ok(())
    }
}

/// Whose turn it is in one private chat.
struct ChatTurn {
    /// The queue sequence of the message holding the chat.
    holder: u64,
    waiting: VecDeque<Job>,
}

type Inflight = FuturesUnordered<futures::future::BoxFuture<'static, Done>>;

struct Worker {
    ob: Outbox,
    runs: BTreeMap<u64, Run>,
    /// Round-robin order of notice ids.
    turn: VecDeque<u64>,
    /// Jobs ready for each lane, filled from private mail and walkers.
    ready: HashMap<Lane, VecDeque<Job>>,
    /// Jobs waiting for a time (retries, chat limits): (when, seq).
    later: BinaryHeap<Reverse<(Instant, u64)>>,
    later_jobs: HashMap<u64, Job>,
    later_seq: u64,
    /// Each lane's limits, made when the lane is first used.
    limits: HashMap<Lane, Arc<PlatformLimits>>,
    /// When each lane may next send: its limiter's next slot, or the end
    /// of an account-wide rate limit the platform announced.
    lane_ready_at: HashMap<Lane, Instant>,
    in_flight_per: HashMap<Lane, usize>,
    inflight: Inflight,
    pending: FanBatch,
    pending_refs: Vec<(Platform, Vec<String>, MsgRef)>,
    pending_since: Instant,
    private_seen: std::collections::HashSet<u64>,
    /// Private chats with a message in flight (or waiting for a retry), and
    /// the messages queued behind it: answers to one chat keep their order.
    chats: HashMap<treecast_wire::Address, ChatTurn>,
    retries: summary::RetrySummary,
    flusher: flush::Flusher,
    /// The last walk stopped at its budget with channels left.
    walk_cut: bool,
}

#[cfg(test)]
mod tests;
