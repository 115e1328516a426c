//! The planner's side: an adapter whose `deliver` publishes the attempt as
//! a job on its account's subject and waits for a worker's outcome. The
//! outbox above it is unchanged (walk, records, retries); it only stops
//! pacing these platforms, since the worker that owns an account keeps its
//! quota (see `Outbox::new`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_nats::HeaderMap;
use futures::StreamExt;
use tokio::sync::{mpsc, oneshot};
use treecast_wire::{
    Adapter, AdapterError, Capabilities, Delivered, DeliveryError, InboundEnvelope, LimitScope, Outbound, Platform,
    Shutdown,
};

use super::{attempt_key, subject, Job, Nats, Outcome};
use crate::config::ClusterConfig;
use crate::error::Result;

/// How long one `deliver` waits for a worker before handing the attempt
/// back to the outbox as "not yet" (below the outbox's own 60 s timeout,
/// which would count a try).
const WAIT_FOR_WORKER: Duration = Duration::from_secs(45);
/// When the outbox asks again after "not yet" or an unreachable NATS.
const ASK_AGAIN: Duration = Duration::from_secs(2);

type Waiting = Arc<Mutex<HashMap<String, oneshot::Sender<Outcome>>>>;

pub struct ClusterAdapter {
    /// The platform's own adapter in this process: its capabilities and
    /// accounts, and the inbound side (`run`) stay here.
    local: Arc<dyn Adapter>,
    nats: Nats,
    waiting: Waiting,
    /// Delivery id -> the attempt to make next (after failed ones).
    attempts: Mutex<HashMap<String, u32>>,
    /// Attempt keys this process has published and not yet heard back on.
    asked: Mutex<std::collections::HashSet<String>>,
}

/// Wraps the adapters of the platforms `cfg` delivers through workers, and
/// starts the watcher that hands outcomes to waiting deliveries.
pub async fn wrap(
    adapters: HashMap<Platform, Arc<dyn Adapter>>,
    cfg: &ClusterConfig,
) -> Result<HashMap<Platform, Arc<dyn Adapter>>> {
    let nats = Nats::connect(cfg).await?;
    let waiting: Waiting = Arc::default();
    tokio::spawn(watch(nats.clone(), waiting.clone()));
    Ok(adapters
        .into_iter()
        .map(|(p, local)| {
            let a: Arc<dyn Adapter> = if cfg.platforms.contains(&p) {
                Arc::new(ClusterAdapter {
                    local,
                    nats: nats.clone(),
                    waiting: waiting.clone(),
                    attempts: Mutex::default(),
                    asked: Mutex::default(),
                })
            } else {
                local
            };
            (p, a)
        })
        .collect())
}

/// Hands every new outcome to the delivery waiting for it. A watch that
/// breaks is made again; a delivery that missed its outcome meanwhile finds
/// it in the bucket when the outbox asks again.
async fn watch(nats: Nats, waiting: Waiting) {
    loop {
        match nats.outcomes.watch_all().await {
            Ok(mut w) => {
                while let Some(entry) = w.next().await {
                    let Ok(entry) = entry else { break };
                    let Some(tx) = waiting.lock().unwrap_or_else(|e| e.into_inner()).remove(&entry.key) else {
                        continue;
                    };
                    if let Ok(o) = serde_json::from_slice::<Outcome>(&entry.value) {
                        let _ = tx.send(o);
                    }
                }
            }
            Err(e) => tracing::warn!(error = %e, "cannot watch delivery outcomes on NATS; trying again"),
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

fn not_yet(reason: String) -> DeliveryError {
    DeliveryError::RateLimited { retry_after: ASK_AGAIN, scope: LimitScope::Chat, reason }
}

impl ClusterAdapter {
    fn report(&self, id: &str, n: u32, o: Outcome) -> std::result::Result<Delivered, DeliveryError> {
        let mut attempts = self.attempts.lock().unwrap_or_else(|e| e.into_inner());
        if o.is_failure() {
            // The next attempt is a new job; this one's outcome stays.
            attempts.insert(id.to_owned(), n + 1);
        } else {
            attempts.remove(id);
        }
        o.into_result()
    }

    fn answered(&self, key: &str, id: &str, n: u32, o: Outcome) -> std::result::Result<Delivered, DeliveryError> {
        self.asked.lock().unwrap_or_else(|e| e.into_inner()).remove(key);
        self.report(id, n, o)
    }

    /// Publishes the job; true when JetStream already had it.
    async fn publish(&self, key: &str, msg: &Outbound) -> std::result::Result<bool, String> {
        let payload = serde_json::to_vec(&Job { key: key.to_owned(), msg: msg.clone() }).map_err(|e| e.to_string())?;
        let mut headers = HeaderMap::new();
        // JetStream drops a second publish of the same attempt.
        headers.insert("Nats-Msg-Id", key);
        let ack = self
            .nats
            .js
            .publish_with_headers(subject(msg.to.platform, &msg.via), headers, payload.into())
            .await
            .map_err(|e| e.to_string())?;
        ack.await.map(|a| a.duplicate).map_err(|e| e.to_string())
    }
}

#[async_trait::async_trait]
impl Adapter for ClusterAdapter {
    fn platform(&self) -> Platform {
        self.local.platform()
    }

    fn capabilities(&self) -> Capabilities {
        self.local.capabilities()
    }

    fn accounts(&self) -> Vec<String> {
        self.local.accounts()
    }

    async fn deliver(&self, msg: &Outbound) -> std::result::Result<Delivered, DeliveryError> {
        let n = *self.attempts.lock().unwrap_or_else(|e| e.into_inner()).get(&msg.id).unwrap_or(&0);
        let key = attempt_key(&msg.id, n);
        // Waiting first, so an outcome written from here on is not missed.
        let (tx, rx) = oneshot::channel();
        self.waiting.lock().unwrap_or_else(|e| e.into_inner()).insert(key.clone(), tx);
        let forget = || self.waiting.lock().unwrap_or_else(|e| e.into_inner()).remove(&key);
        // Asked before by this process (which timed out waiting): the answer
        // may be in the bucket already. A first ask in this process skips
        // the look; if a planner before a crash published it, JetStream
        // says the publish is a duplicate and the look follows.
        let asked_before = !self.asked.lock().unwrap_or_else(|e| e.into_inner()).insert(key.clone());
        if asked_before {
            match self.nats.outcome(&key).await {
                Ok(Some(o)) => {
                    forget();
                    return self.answered(&key, &msg.id, n, o);
                }
                Ok(None) => {}
                Err(e) => {
                    forget();
                    return Err(not_yet(format!("NATS is unreachable: {e}")));
                }
            }
        }
        match self.publish(&key, msg).await {
            // Published before (by a planner that crashed): answered already?
            Ok(true) if !asked_before => {
                if let Ok(Some(o)) = self.nats.outcome(&key).await {
                    forget();
                    return self.answered(&key, &msg.id, n, o);
                }
            }
            Ok(_) => {}
            Err(e) => {
                forget();
                return Err(not_yet(format!("could not queue the delivery on NATS: {e}")));
            }
        }
        match tokio::time::timeout(WAIT_FOR_WORKER, rx).await {
            Ok(Ok(o)) => self.answered(&key, &msg.id, n, o),
            _ => {
                forget();
                Err(not_yet("no worker has delivered it yet".to_owned()))
            }
        }
    }

    async fn run(
        &self,
        inbound: mpsc::Sender<InboundEnvelope>,
        shutdown: Shutdown,
    ) -> std::result::Result<(), AdapterError> {
        self.local.run(inbound, shutdown).await
    }
}
