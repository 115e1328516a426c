//! The application, wired once: store, tree, clock, features, gateway,
//! outbox, event subscribers and scheduler. `serve`, the demo, tests and
//! benches all build it the same way.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use treecast_wire::{shutdown_signalled, Adapter, Platform, Shutdown};

use crate::catalogue::{msg, Msg};
use crate::clock::Clock;
use crate::config::Config;
use crate::context::{Caps, Ctx};
use crate::error::{Error, Result};
use crate::events;
use crate::gateway::Gateway;
use crate::outbox::{Outbox, Stats, Waker};
use crate::registry::Registry;
use crate::schedule;
use crate::store::Keyspace;
use crate::tree::Tree;

/// How often subscribers and the scheduler look without being woken.
const TICK: Duration = Duration::from_secs(1);

#[derive(Clone)]
pub struct App {
    pub ctx: Ctx,
    pub registry: Arc<Registry>,
    pub gateway: Arc<Gateway>,
}

impl App {
    /// The app over `tree`, reading time from `clock`.
    pub fn new(tree: Tree, cfg: Config, clock: Clock) -> Result<App> {
        let tree = tree.with_clock(clock.clone());
        let ctx = Ctx {
            tree,
            clock,
            config: Arc::new(cfg),
            waker: Waker::default(),
            caps: Caps::default(),
            sign_in: Default::default(),
        };
        let registry = Arc::new(Registry::new(crate::features::all(&ctx))?);
        for f in registry.features() {
            f.start(&ctx)?;
        }
        let gateway = Arc::new(Gateway::new(ctx.clone(), registry.clone()));
        Ok(App { ctx, registry, gateway })
    }

    pub fn tree(&self) -> &Tree {
        &self.ctx.tree
    }

    /// The outbox worker delivering through `adapters` (whose capabilities
    /// the features then see).
    pub fn outbox(&self, adapters: HashMap<Platform, Arc<dyn Adapter>>) -> Outbox {
        for (p, a) in &adapters {
            self.ctx.caps.set(*p, a.capabilities());
        }
        Outbox::new(self.ctx.tree.clone(), &self.ctx.config.outbox_settings(), adapters, self.ctx.waker.clone())
    }

    /// Brings every subscriber up to the end of the event log. Returns how
    /// many events were handled in all.
    pub fn catch_up(&self) -> Result<usize> {
        Ok(self.catch_up_where(false)? + self.catch_up_where(true)?)
    }

    /// Brings the subscribers of the main loop up to date (not those that
    /// run apart, such as the search index, which may take long after a
    /// national import): what the command line does around an operation
    /// run on the store with no server, so one command's acts show in the
    /// next one's views (the audit log).
    pub fn catch_up_main(&self) -> Result<usize> {
        self.catch_up_where(false)
    }

    /// Brings the subscribers that run `apart` (or the others) up to date.
    fn catch_up_where(&self, apart: bool) -> Result<usize> {
        let store = self.ctx.store();
        let mut n = 0;
        for s in self.registry.subscribers().iter().filter(|s| s.apart() == apart) {
            let mut queued = false;
            n += events::catch_up(store, s.name(), |batch| {
                let w = s.handle(&self.ctx, batch)?;
                queued |= w.spaces().contains(&Keyspace::Outbox);
                Ok(w)
            })?;
            if queued {
                self.ctx.waker.wake();
            }
        }
        Ok(n)
    }

    /// Deletes the events every subscriber has passed.
    pub fn compact_events(&self) -> Result<usize> {
        let names: Vec<&str> = self.registry.subscribers().iter().map(|s| s.name()).collect();
        events::compact(self.ctx.store(), &names)
    }

    /// Runs every job due now by the app's clock. Returns how many ran.
    pub fn run_due_jobs(&self) -> Result<usize> {
        let now = self.ctx.clock.now_ms();
        let n = schedule::run_due(self.ctx.store(), now, |job| match self.registry.job_owner(&job.kind) {
            Some(f) => f.run_job(&self.ctx, job),
            None => Err(Error::invalid(msg(Msg::NoJobRunner, &[("kind", &job.kind)]))),
        })?;
        if n > 0 {
            self.ctx.store().flush()?;
            self.ctx.waker.wake();
        }
        Ok(n)
    }

    /// Starts every adapter, the gateway, the outbox worker, the event
    /// subscribers and the scheduler, all stopped by `shutdown`.
    pub fn start(&self, adapters: HashMap<Platform, Arc<dyn Adapter>>, shutdown: Shutdown) -> Running {
        let outbox = self.outbox(adapters.clone());
        let (tx, rx) = mpsc::channel(1024);
        let mut tasks = tokio::task::JoinSet::new();
        for (p, a) in adapters {
            let (tx, sd) = (tx.clone(), shutdown.clone());
            tasks.spawn(async move {
                if let Err(e) = a.run(tx, sd).await {
                    tracing::error!(platform = %p, error = %e, "adapter stopped");
                }
            });
        }
        drop(tx);
        tasks.spawn(self.gateway.clone().serve(rx, shutdown.clone()));
        let stats = outbox.stats();
        let worker = tokio::spawn(outbox.run(shutdown.clone()));
        tasks.spawn(self.clone().background_apart(shutdown.clone()));
        tasks.spawn(self.clone().background(shutdown));
        Running { app: self.clone(), tasks, worker, stats }
    }

    /// The outbox worker, subscribers and scheduler without adapters' inbound
    /// loops: for callers that feed the gateway themselves (the demo, tests).
    pub fn start_workers(&self, adapters: HashMap<Platform, Arc<dyn Adapter>>, shutdown: Shutdown) -> Running {
        let outbox = self.outbox(adapters);
        let stats = outbox.stats();
        let worker = tokio::spawn(outbox.run(shutdown.clone()));
        let mut tasks = tokio::task::JoinSet::new();
        tasks.spawn(self.clone().background_apart(shutdown.clone()));
        tasks.spawn(self.clone().background(shutdown));
        Running { app: self.clone(), tasks, worker, stats }
    }

    /// Whether everything queued has gone out and every subscriber has
    /// seen every event.
    pub fn settled(&self) -> Result<bool> {
        let store = self.ctx.store();
        if !store.active_notices()?.is_empty() || !store.queued()?.is_empty() {
            return Ok(false);
        }
        for s in self.registry.subscribers() {
            if store.position(s.name())? < store.last_event() {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Waits (up to a minute) until `settled`.
    pub async fn settle(&self) -> Result<()> {
        for _ in 0..6000 {
            if self.settled()? {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        Err(Error::invalid(Msg::OutboxNotSettled.text()))
    }

    /// The subscribers that run apart (a slow view, such as the search
    /// index after a national import, must not hold up the others): their
    /// own loop, on a blocking thread, woken by appends, else every tick.
    async fn background_apart(self, mut shutdown: Shutdown) {
        let store = self.ctx.store().clone();
        loop {
            let app = self.clone();
            match tokio::task::spawn_blocking(move || app.catch_up_where(true)).await {
                Ok(Ok(_)) => {}
                Ok(Err(e)) => tracing::error!(error = %e, "a subscriber running apart failed; trying again shortly"),
                Err(e) => tracing::error!(error = %e, "a subscriber running apart panicked; trying again shortly"),
            }
            tokio::select! {
                _ = shutdown_signalled(&mut shutdown) => return,
                _ = store.log.notify.notified() => {}
                _ = tokio::time::sleep(TICK) => {}
            }
        }
    }

    /// Subscribers and scheduled jobs: woken by appends, else every tick.
    async fn background(self, mut shutdown: Shutdown) {
        let store = self.ctx.store().clone();
        let mut compacted = std::time::Instant::now();
        loop {
            let ran = match self.catch_up_where(false).and_then(|_| self.run_due_jobs()) {
                Ok(n) => n,
                Err(e) => {
                    tracing::error!(error = %e, "subscribers or scheduled jobs failed; trying again shortly");
                    0
                }
            };
            if compacted.elapsed() > Duration::from_secs(600) {
                compacted = std::time::Instant::now();
                if let Err(e) = self.compact_events() {
                    tracing::warn!(error = %e, "could not compact the event log");
                }
            }
            // Jobs ran: one may have put itself due again now (the next
            // slice of a long send), so look again without waiting a tick.
            let pause = if ran > 0 { Duration::ZERO } else { TICK };
            tokio::select! {
                _ = shutdown_signalled(&mut shutdown) => return,
                _ = store.log.notify.notified() => {}
                _ = tokio::time::sleep(pause) => {}
            }
        }
    }
}

/// A started app: its gateway, and the tasks to wait for after shutdown.
pub struct Running {
    pub app: App,
    /// The outbox worker's counters.
    pub stats: Arc<Stats>,
    tasks: tokio::task::JoinSet<()>,
    worker: tokio::task::JoinHandle<Result<()>>,
}

impl Running {
    pub fn gateway(&self) -> &Arc<Gateway> {
        &self.app.gateway
    }

    /// Waits for everything to stop (after the shutdown signal) and flushes.
    pub async fn join(mut self) -> Result<()> {
        let worked = self.worker.await.map_err(|e| Error::invalid(msg(Msg::OutboxWorkerFailed, &[("error", &e)])))?;
        while self.tasks.join_next().await.is_some() {}
        self.app.ctx.store().flush()?;
        worked
    }
}
