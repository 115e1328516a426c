//! One account's lane on a worker: pulling its jobs from JetStream, pacing
//! them under the account's limits, delivering, and recording each outcome
//! before the ack.

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_nats::jetstream::consumer::pull;
use async_nats::jetstream::AckKind;
use futures::StreamExt;
use tokio::sync::watch;
use treecast_wire::{Adapter, Address, DeliveryError};

use super::lease::Account;
use super::{subject, token, Job, Nats, Outcome};
use crate::config::Limits;
use crate::outbox::limits::PlatformLimits;

/// One delivery's longest try at the platform (below AckWait).
const DELIVERY_TIMEOUT: Duration = Duration::from_secs(20);

/// Pulls one account's jobs until told to stop, then lets those in
/// flight finish.
pub(super) async fn serve_account(
    nats: Nats,
    adapter: Arc<dyn Adapter>,
    limits: Limits,
    acct: Account,
    mut stop: watch::Receiver<bool>,
) {
    let lane = Arc::new(Lane::new(&limits));
    let name = format!("acct-{}-{}", acct.platform, token(&acct.name));
    let Some(mut messages) = pull(&nats, &acct, &limits, &name, &mut stop).await else { return };
    let mut inflight = tokio::task::JoinSet::new();
    loop {
        tokio::select! {
            _ = stop.changed() => break,
            Some(_) = inflight.join_next(), if !inflight.is_empty() => {}
            next = messages.next() => match next {
                Some(Ok(m)) => {
                    inflight.spawn(deliver_one(nats.clone(), adapter.clone(), lane.clone(), m, stop.clone()));
                }
                Some(Err(e)) => {
                    tracing::warn!(consumer = %name, error = %e, "pulling jobs failed; trying again");
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
                None => break,
            },
        }
    }
    while inflight.join_next().await.is_some() {}
}

/// The account's job stream, its consumer made (or found) again until it
/// works: a NATS node going away must not leave an account leased but
/// unserved. `None` once `stop` says so.
async fn pull(
    nats: &Nats,
    acct: &Account,
    limits: &Limits,
    name: &str,
    stop: &mut watch::Receiver<bool>,
) -> Option<pull::Stream> {
    loop {
        let made = nats
            .jobs
            .get_or_create_consumer(
                name,
                pull::Config {
                    durable_name: Some(name.to_owned()),
                    filter_subject: subject(acct.platform, &acct.name),
                    ack_wait: nats.cfg.ack_wait,
                    max_ack_pending: limits.max_in_flight as i64,
                    ..Default::default()
                },
            )
            .await;
        let err = match made {
            Ok(c) => match c.messages().await {
                Ok(m) => return Some(m),
                Err(e) => e.to_string(),
            },
            Err(e) => e.to_string(),
        };
        tracing::warn!(consumer = %name, error = %err, "cannot pull jobs yet; trying again");
        tokio::select! {
            _ = stop.changed() => return None,
            _ = tokio::time::sleep(Duration::from_millis(500)) => {}
        }
    }
}

/// One account's pacing: its limits (with what rate limits hold back),
/// and the turn for its next send slot.
struct Lane {
    limits: PlatformLimits,
    /// Held while waiting for the account's next send slot, so sends are
    /// spaced in the order they came.
    slot: tokio::sync::Mutex<()>,
}

impl Lane {
    fn new(l: &Limits) -> Lane {
        Lane { limits: PlatformLimits::new(l), slot: tokio::sync::Mutex::new(()) }
    }

    /// Waits for the account's next send slot and takes it; or, when `to`
    /// must wait first (a rate limit on the chat, or its own quota), takes
    /// nothing and says how long.
    async fn turn(&self, to: &Address) -> Option<Duration> {
        if let Some(until) = self.limits.chat_held(&to.id) {
            return Some(until.saturating_duration_since(Instant::now()));
        }
        let _slot = self.slot.lock().await;
        if let Some(until) = self.limits.account_held() {
            tokio::time::sleep_until(until.into()).await;
        }
        while let Some(w) = self.limits.platform_wait() {
            tokio::time::sleep(w).await;
        }
        let wait = self.limits.chat_wait(to);
        if wait.is_none() {
            self.limits.platform_take();
        }
        wait
    }
}

/// Delivers one job, paced by its account's lane. Once `stop` says the
/// account is given up, a job not yet sent goes straight back to JetStream
/// (nak), for the account's next owner; one already sent is recorded.
async fn deliver_one(
    nats: Nats,
    adapter: Arc<dyn Adapter>,
    lane: Arc<Lane>,
    m: async_nats::jetstream::Message,
    mut stop: watch::Receiver<bool>,
) {
    let Some(job) = job_to_do(&nats, &m).await else { return };
    let Some(result) = send(&nats, adapter.as_ref(), &lane, &job, &m, &mut stop).await else { return };
    record(&nats, &job, &m, &result).await;
}

/// The job `m` carries, unless it is not one (dropped) or was done before
/// (acked); `None` also when that cannot be told yet (the job waits).
async fn job_to_do(nats: &Nats, m: &async_nats::jetstream::Message) -> Option<Job> {
    let job: Job = match serde_json::from_slice(&m.payload) {
        Ok(j) => j,
        Err(e) => {
            tracing::error!(error = %e, "a job that is not a treecast job; dropped");
            let _ = m.ack_with(AckKind::Term).await;
            return None;
        }
    };
    // Done before (a worker that died between recording and acking)? Only
    // a job given out again can be; a first delivery skips the look.
    let redelivered = m.info().map(|i| i.delivered > 1).unwrap_or(true);
    if !redelivered {
        return Some(job);
    }
    // Unknown is not "not done": if NATS cannot say (a leader moving),
    // the job waits in JetStream rather than risk a second copy.
    match nats.outcome(&job.key).await {
        Ok(Some(_)) => {
            let _ = m.ack().await;
            None
        }
        Ok(None) => Some(job),
        Err(e) => {
            tracing::debug!(job = %job.key, error = %e, "cannot read the outcome yet; the job waits");
            let _ = m.ack_with(AckKind::Nak(Some(Duration::from_secs(1)))).await;
            None
        }
    }
}

/// Waits for the lane's turn and sends; a rate limit is waited out here or,
/// when longer, in JetStream. `None`: the job went back unsent (given up,
/// or a wait too long to hold it).
async fn send(
    nats: &Nats,
    adapter: &dyn Adapter,
    lane: &Lane,
    job: &Job,
    m: &async_nats::jetstream::Message,
    stop: &mut watch::Receiver<bool>,
) -> Option<Result<treecast_wire::Delivered, DeliveryError>> {
    // Longer waits go back to JetStream, which keeps the job meanwhile.
    let hold_limit = nats.cfg.ack_wait / 3;
    let held = Instant::now();
    // Given up meanwhile (`stop`): the job goes back at once, unsent. A
    // receiver cloned before the stop sees it as a change, so `changed`
    // alone tells.
    let back = |after: Option<Duration>| async move {
        let _ = m.ack_with(AckKind::Nak(after)).await;
        None
    };
    loop {
        let wait = tokio::select! {
            biased;
            _ = stop.changed() => return back(None).await,
            wait = lane.turn(&job.msg.to) => wait,
        };
        if let Some(w) = wait {
            if held.elapsed() + w > hold_limit {
                return back(Some(w)).await;
            }
            tokio::select! {
                biased;
                _ = stop.changed() => return back(None).await,
                _ = tokio::time::sleep(w) => {}
            }
            continue;
        }
        let r = match tokio::time::timeout(DELIVERY_TIMEOUT, adapter.deliver(&job.msg)).await {
            Ok(r) => r,
            Err(_) => Err(DeliveryError::transient("the platform did not answer in time")),
        };
        let Err(DeliveryError::RateLimited { retry_after, scope, .. }) = r else { return Some(r) };
        // Not a try: wait exactly what the platform said, here or in JetStream.
        lane.limits.hold(&job.msg.to.id, scope, Instant::now() + retry_after);
        crate::metrics::retried(adapter.platform(), "rate_limited", true);
        if held.elapsed() + retry_after > hold_limit {
            return back(Some(retry_after)).await;
        }
    }
}

/// Records the outcome, then acks: a crash between them leaves the job to
/// be redelivered, and the outcome tells the next worker it is done. The
/// message went out already, so a failed write is tried again (the client
/// moves to another node) rather than left to redelivery, which would post
/// it twice where the platform cannot tell.
async fn record(
    nats: &Nats,
    job: &Job,
    m: &async_nats::jetstream::Message,
    result: &Result<treecast_wire::Delivered, DeliveryError>,
) {
    let outcome = Outcome::of(result);
    let value = serde_json::to_vec(&outcome).expect("an outcome serializes");
    let mut wait = Duration::from_millis(100);
    // A NATS node that dies takes a few seconds to hand its streams to a
    // new leader. Meanwhile the job is kept ours with progress acks (each
    // restarts its AckWait), for up to three AckWaits in all.
    let started = Instant::now();
    let mut progressed: Option<Instant> = None;
    while started.elapsed() < nats.cfg.ack_wait * 3 {
        match nats.outcomes.put(&job.key, value.clone().into()).await {
            Ok(_) => {
                let _ = m.ack().await;
                return;
            }
            Err(e) => tracing::debug!(error = %e, "recording an outcome failed; trying again"),
        }
        if progressed.is_none_or(|t| t.elapsed() >= nats.cfg.ack_wait / 3)
            && m.ack_with(AckKind::Progress).await.is_ok()
        {
            progressed = Some(Instant::now());
        }
        tokio::time::sleep(wait).await;
        wait = (wait * 2).min(Duration::from_secs(2));
    }
    tracing::warn!(job = %job.key, "could not record an outcome; the job will come back");
}
