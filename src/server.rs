//! The running gateway: every adapter's inbound loop, the gateway that
//! routes events, the outbox worker and the periodic survey reminders, all
//! stopped together by one shutdown signal. `treecast serve` and the
//! end-to-end tests run exactly this.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use treecast_wire::{shutdown_signalled, Adapter, Platform, Shutdown};

use crate::config::Config;
use crate::error::Result;
use crate::gateway::Gateway;
use crate::outbox::Outbox;
use crate::tree::people::now_unix;
use crate::tree::Tree;

/// How often open surveys are checked for due reminders.
const SURVEY_TICK: Duration = Duration::from_secs(60);

/// A started server: its gateway (for tests and the demo to drive directly)
/// and the tasks to wait for after shutdown.
pub struct Server {
    pub gateway: Arc<Gateway>,
    tasks: tokio::task::JoinSet<()>,
    worker: tokio::task::JoinHandle<Result<()>>,
    tree: Tree,
}

impl Server {
    /// Starts every adapter, the gateway and the outbox worker.
    pub fn start(
        tree: Tree,
        cfg: &Config,
        adapters: HashMap<Platform, Arc<dyn Adapter>>,
        shutdown: Shutdown,
    ) -> Server {
        let outbox = Outbox::new(tree.clone(), cfg, adapters.clone());
        let gateway = Arc::new(Gateway::new(tree.clone(), cfg, outbox.waker()));
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
        let worker = tokio::spawn(outbox.run(shutdown.clone()));
        tasks.spawn(gateway.clone().serve(rx, shutdown.clone()));
        tasks.spawn(survey_reminders(gateway.clone(), shutdown));
        Server { gateway, tasks, worker, tree }
    }

    /// Waits for everything to stop (after the shutdown signal) and flushes.
    pub async fn join(mut self) -> Result<()> {
        let worked = self.worker.await.map_err(|e| crate::Error::invalid(format!("outbox worker: {e}")))?;
        while self.tasks.join_next().await.is_some() {}
        self.tree.store.flush()?;
        worked
    }
}

/// Hands out survey reminders as they come due.
async fn survey_reminders(gw: Arc<Gateway>, mut shutdown: Shutdown) {
    let mut tick = tokio::time::interval(SURVEY_TICK);
    loop {
        tokio::select! {
            _ = shutdown_signalled(&mut shutdown) => return,
            _ = tick.tick() => {}
        }
        if let Err(e) = gw.send_survey_reminders(now_unix()).await {
            tracing::error!(error = %e, "could not send survey reminders");
        }
    }
}
