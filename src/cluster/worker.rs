//! `treecast worker`: owns some bot accounts, pulls their jobs, keeps their
//! quotas and delivers through this process's adapters.
//!
//! Ownership is a lease per account in the `treecast-leases` bucket, whose
//! entries expire after `[cluster] lease_secs`: the owner renews it (a
//! compare-and-set on its revision) every third of that, so a worker that
//! dies or stalls loses its accounts within one lease, and another worker
//! creates the key and takes them over. Live workers keep a heartbeat key
//! in the same bucket; each takes at most its share of the accounts, so
//! accounts spread out as workers join, and gives surplus ones back.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_nats::jetstream::consumer::pull;
use async_nats::jetstream::AckKind;
use futures::StreamExt;
use rand::seq::SliceRandom;
use tokio::sync::watch;
use treecast_wire::{shutdown_signalled, Adapter, Address, DeliveryError, Platform, Shutdown};

use super::{lease_key, subject, token, Job, Nats, Outcome};
use crate::catalogue::Msg;
use crate::config::{Config, Limits};
use crate::error::Result;
use crate::outbox::limits::PlatformLimits;

/// One delivery's longest try at the platform (below AckWait).
const DELIVERY_TIMEOUT: Duration = Duration::from_secs(20);

pub struct Worker {
    pub id: String,
    nats: Nats,
    adapters: HashMap<Platform, Arc<dyn Adapter>>,
    limits: HashMap<Platform, Limits>,
}

/// An account this worker delivers for.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Account {
    platform: Platform,
    name: String,
}

struct Owned {
    revision: u64,
    /// The last renewal that NATS confirmed.
    renewed_at: Instant,
    stop: watch::Sender<bool>,
    task: Option<tokio::task::JoinHandle<()>>,
    phase: Phase,
}

/// Where an account of this worker stands. Until its lane has finished it
/// stays in `owned`, so it is never taken again meanwhile (one bot, one lane).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Phase {
    Serving,
    /// Being handed back: told to stop; its lease is still renewed until its
    /// last deliveries are done, so no other worker sends for it meanwhile,
    /// then the key goes.
    Releasing,
    /// Its lease is someone else's (or lapsed): told to stop; nothing renewed
    /// or deleted.
    Lost,
}

impl Owned {
    /// Stops pulling: jobs not yet sent go back, what is in flight finishes.
    fn stop(&mut self, phase: Phase) {
        let _ = self.stop.send(true);
        self.phase = phase;
    }

    fn finished(&self) -> bool {
        self.task.as_ref().is_none_or(|t| t.is_finished())
    }
}

impl Drop for Owned {
    /// A worker that is itself dropped mid-run (a task aborted, as in a
    /// crash) takes its account loops with it.
    fn drop(&mut self) {
        if let Some(t) = self.task.take() {
            t.abort();
        }
    }
}

impl Worker {
    pub async fn new(cfg: &Config, adapters: HashMap<Platform, Arc<dyn Adapter>>) -> Result<Worker> {
        let cluster =
            cfg.cluster.clone().ok_or_else(|| crate::error::Error::invalid(Msg::WorkerNeedsCluster.text()))?;
        let nats = Nats::connect(&cluster).await?;
        let adapters: HashMap<_, _> = adapters.into_iter().filter(|(p, _)| cluster.platforms.contains(p)).collect();
        let limits = adapters.keys().map(|p| (*p, cfg.limits[p])).collect();
        let id = format!("{}-{}", std::process::id(), crate::msgref::nonce());
        Ok(Worker { id, nats, adapters, limits })
    }

    fn accounts(&self) -> Vec<Account> {
        let mut out = Vec::new();
        for (p, a) in &self.adapters {
            for name in a.accounts() {
                out.push(Account { platform: *p, name });
            }
        }
        out
    }

    /// Runs until `shutdown`; then stops pulling, lets deliveries in
    /// flight finish and gives its leases back.
    pub async fn run(self, mut shutdown: Shutdown) -> Result<()> {
        let accounts = self.accounts();
        let lease = self.nats.cfg.lease;
        let tick = lease / 3;
        let mut owned: HashMap<Account, Owned> = HashMap::new();
        let me = self.id.clone();
        tracing::info!(worker = %me, accounts = accounts.len(), "worker started");
        // One heartbeat before taking anything, so workers started together
        // see each other and share.
        self.heartbeat().await;
        tokio::select! {
            _ = tokio::time::sleep(tick) => {}
            _ = shutdown_signalled(&mut shutdown) => return Ok(()),
        }
        // Shutting down: every account is handed back as above, its lease
        // renewed until its deliveries are done; then the loop ends.
        let mut leaving = false;
        loop {
            if leaving && owned.is_empty() {
                break;
            }
            self.heartbeat().await;
            // Renew what is ours, all at once: one after another, a NATS
            // node that does not answer held each renewal for its bound in
            // turn, the later leases lapsed meanwhile, and another worker
            // took them while this one still sent (two lanes, one account).
            let held = owned.iter().filter(|(_, o)| o.phase != Phase::Lost).map(|(a, o)| (a.clone(), o.revision));
            let leases = &self.nats.leases;
            let renewals = renew_all(held.collect(), |acct, revision| {
                let me = me.clone();
                async move { renew(leases, &lease_key(acct.platform, &acct.name), &me, revision, tick).await }
            });
            let mut lost = Vec::new();
            for (acct, renewal) in renewals.await {
                let o = owned.get_mut(&acct).expect("present");
                let key = lease_key(acct.platform, &acct.name);
                match renewal {
                    Renewal::Renewed(rev) => {
                        o.revision = rev;
                        o.renewed_at = Instant::now();
                    }
                    Renewal::Lost(e) => {
                        tracing::warn!(account = %key, error = %e, "lease lost; stopping this account");
                        lost.push(acct);
                    }
                    // NATS cannot say: kept only while the lease surely
                    // still holds, so two workers never send for one account
                    // (another may take it once it lapses).
                    Renewal::Unknown(e) if o.renewed_at.elapsed() > lease * 2 / 3 => {
                        tracing::warn!(account = %key, error = %e, "lease not renewed in time; stopping this account");
                        lost.push(acct);
                    }
                    Renewal::Unknown(e) => {
                        tracing::warn!(account = %key, error = %e, "lease not renewed yet; NATS did not answer")
                    }
                }
            }
            for acct in lost {
                owned.get_mut(&acct).expect("present").stop(Phase::Lost);
            }
            // Accounts stopped whose last deliveries are done leave; a
            // handed-back one's key goes, unless it is no longer ours.
            let done: Vec<Account> = owned
                .iter()
                .filter(|(_, o)| o.phase != Phase::Serving && o.finished())
                .map(|(a, _)| a.clone())
                .collect();
            for acct in done {
                let o = owned.remove(&acct).expect("present");
                if o.phase == Phase::Releasing {
                    let key = lease_key(acct.platform, &acct.name);
                    let delete = self.nats.leases.delete_expect_revision(&key, Some(o.revision));
                    let _ = tokio::time::timeout(tick, delete).await;
                    tracing::info!(account = %key, "account handed back");
                }
            }
            let live = if leaving { None } else { self.live_workers().await };
            let share = live.map(|n| accounts.len().div_ceil(n.max(1)));
            let serving = owned.values().filter(|o| o.phase == Phase::Serving).count();
            if leaving {
                owned.values_mut().filter(|o| o.phase == Phase::Serving).for_each(|o| o.stop(Phase::Releasing));
            } else if share.is_some_and(|share| serving > share) {
                // Give one back per tick; its lease is renewed until its
                // deliveries are done (above).
                if let Some(o) = owned.values_mut().find(|o| o.phase == Phase::Serving) {
                    o.stop(Phase::Releasing);
                }
            } else if let Some(share) = share {
                let mut free: Vec<&Account> = accounts.iter().filter(|a| !owned.contains_key(*a)).collect();
                free.shuffle(&mut rand::rng());
                let mut serving = serving;
                for acct in free {
                    if serving >= share {
                        break;
                    }
                    let key = lease_key(acct.platform, &acct.name);
                    // Bounded like a renewal: a NATS node that does not answer
                    // must not hold up the next round of renewals.
                    let take = tokio::time::timeout(tick, self.nats.leases.create(&key, me.clone().into()));
                    let Ok(made) = take.await else { break };
                    if let Ok(revision) = made {
                        tracing::info!(account = %key, worker = %me, "account taken");
                        let (stop, stopped) = watch::channel(false);
                        let task = tokio::spawn(self.serve_account(acct.clone(), stopped));
                        let renewed_at = Instant::now();
                        owned.insert(
                            acct.clone(),
                            Owned { revision, renewed_at, stop, task: Some(task), phase: Phase::Serving },
                        );
                        serving += 1;
                    }
                }
            }
            // While leaving, look again soon: the hand-back ends the run.
            let wait = if leaving { Duration::from_millis(100) } else { tick };
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = shutdown_signalled(&mut shutdown), if !leaving => leaving = true,
            }
        }
        let _ = self.nats.leases.delete(format!("w.{}", token(&me))).await;
        Ok(())
    }

    async fn heartbeat(&self) {
        let put = self.nats.leases.put(format!("w.{}", token(&self.id)), self.id.clone().into());
        let _ = tokio::time::timeout(self.nats.cfg.lease / 3, put).await;
    }

    /// How many workers are alive (their heartbeats), or None when NATS
    /// does not say in time: then no account is taken or given back.
    async fn live_workers(&self) -> Option<usize> {
        let count = async {
            let keys = self.nats.leases.keys().await.ok()?;
            Some(keys.filter_map(|k| async move { k.ok().filter(|k| k.starts_with("w.")) }).count().await)
        };
        tokio::time::timeout(self.nats.cfg.lease / 3, count).await.ok().flatten()
    }

    /// Pulls one account's jobs until told to stop, then lets those in
    /// flight finish.
    fn serve_account(&self, acct: Account, mut stop: watch::Receiver<bool>) -> impl std::future::Future<Output = ()> {
        let nats = self.nats.clone();
        let adapter = self.adapters[&acct.platform].clone();
        let limits = self.limits[&acct.platform];
        async move {
            let lane = Arc::new(Lane::new(&limits));
            let name = format!("acct-{}-{}", acct.platform, token(&acct.name));
            // Made (or found) again until it works: a NATS node going away
            // must not leave an account leased but unserved.
            let mut messages = loop {
                let made = nats
                    .jobs
                    .get_or_create_consumer(
                        &name,
                        pull::Config {
                            durable_name: Some(name.clone()),
                            filter_subject: subject(acct.platform, &acct.name),
                            ack_wait: nats.cfg.ack_wait,
                            max_ack_pending: limits.max_in_flight as i64,
                            ..Default::default()
                        },
                    )
                    .await;
                let err = match made {
                    Ok(c) => match c.messages().await {
                        Ok(m) => break m,
                        Err(e) => e.to_string(),
                    },
                    Err(e) => e.to_string(),
                };
                tracing::warn!(consumer = %name, error = %err, "cannot pull jobs yet; trying again");
                tokio::select! {
                    _ = stop.changed() => return,
                    _ = tokio::time::sleep(Duration::from_millis(500)) => {}
                }
            };
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

/// What renewing one lease said.
enum Renewal {
    Renewed(u64),
    /// The key names another worker, or none.
    Lost(String),
    /// NATS did not answer within the bound.
    Unknown(String),
}

/// Renews every lease in `held` (account, revision) at once with
/// `renew_one`: a round takes one renewal's time, however many accounts.
async fn renew_all<F, Fut>(held: Vec<(Account, u64)>, renew_one: F) -> Vec<(Account, Renewal)>
where
    F: Fn(Account, u64) -> Fut,
    Fut: std::future::Future<Output = Renewal>,
{
    let each = held.into_iter().map(|(acct, revision)| {
        let renewal = renew_one(acct.clone(), revision);
        async move { (acct, renewal.await) }
    });
    futures::future::join_all(each).await
}

/// Renews the lease `key` at `revision`; when that fails, reads the key to
/// tell lost from unknown. Each call is bounded by `bound`.
async fn renew(
    leases: &async_nats::jetstream::kv::Store,
    key: &str,
    me: &str,
    revision: u64,
    bound: Duration,
) -> Renewal {
    let update = tokio::time::timeout(bound, leases.update(key, me.to_owned().into(), revision)).await;
    let e = match update {
        Ok(Ok(rev)) => return Renewal::Renewed(rev),
        Ok(Err(e)) => e.to_string(),
        Err(e) => e.to_string(),
    };
    match tokio::time::timeout(bound, leases.entry(key)).await {
        Ok(Ok(Some(entry))) if entry.value.as_ref() == me.as_bytes() => Renewal::Renewed(entry.revision),
        Ok(Ok(_)) => Renewal::Lost(e),
        Ok(Err(_)) | Err(_) => Renewal::Unknown(e),
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
    let job: Job = match serde_json::from_slice(&m.payload) {
        Ok(j) => j,
        Err(e) => {
            tracing::error!(error = %e, "a job that is not a treecast job; dropped");
            let _ = m.ack_with(AckKind::Term).await;
            return;
        }
    };
    // Done before (a worker that died between recording and acking)? Only
    // a job given out again can be; a first delivery skips the look.
    let redelivered = m.info().map(|i| i.delivered > 1).unwrap_or(true);
    if redelivered {
        // Unknown is not "not done": if NATS cannot say (a leader moving),
        // the job waits in JetStream rather than risk a second copy.
        match nats.outcome(&job.key).await {
            Ok(Some(_)) => {
                let _ = m.ack().await;
                return;
            }
            Ok(None) => {}
            Err(e) => {
                tracing::debug!(job = %job.key, error = %e, "cannot read the outcome yet; the job waits");
                let _ = m.ack_with(AckKind::Nak(Some(Duration::from_secs(1)))).await;
                return;
            }
        }
    }
    // Longer waits go back to JetStream, which keeps the job meanwhile.
    let hold_limit = nats.cfg.ack_wait / 3;
    let held = Instant::now();
    // Given up meanwhile (`stop`): the job goes back at once, unsent. A
    // receiver cloned before the stop sees it as a change, so `changed`
    // alone tells.
    let given_up = |m: async_nats::jetstream::Message| async move {
        let _ = m.ack_with(AckKind::Nak(None)).await;
    };
    let result = loop {
        let wait = tokio::select! {
            biased;
            _ = stop.changed() => return given_up(m).await,
            wait = lane.turn(&job.msg.to) => wait,
        };
        if let Some(w) = wait {
            if held.elapsed() + w > hold_limit {
                let _ = m.ack_with(AckKind::Nak(Some(w))).await;
                return;
            }
            tokio::select! {
                biased;
                _ = stop.changed() => return given_up(m).await,
                _ = tokio::time::sleep(w) => {}
            }
            continue;
        }
        let r = match tokio::time::timeout(DELIVERY_TIMEOUT, adapter.deliver(&job.msg)).await {
            Ok(r) => r,
            Err(_) => Err(DeliveryError::transient("the platform did not answer in time")),
        };
        match r {
            Err(DeliveryError::RateLimited { retry_after, scope, .. }) => {
                // Not a try: wait exactly what the platform said, here or in JetStream.
                lane.limits.hold(&job.msg.to.id, scope, Instant::now() + retry_after);
                crate::metrics::retried(adapter.platform(), "rate_limited", true);
                if held.elapsed() + retry_after > hold_limit {
                    let _ = m.ack_with(AckKind::Nak(Some(retry_after))).await;
                    return;
                }
            }
            other => break other,
        }
    };
    let outcome = Outcome::of(&result);
    let value = serde_json::to_vec(&outcome).expect("an outcome serializes");
    // The outcome first, then the ack: a crash between them leaves the
    // job to be redelivered, and the outcome tells the next worker it is
    // done. The message went out already, so a failed write is tried again
    // (the client moves to another node) rather than left to redelivery,
    // which would post it twice where the platform cannot tell.
    let mut wait = Duration::from_millis(100);
    let mut recorded = false;
    // A NATS node that dies takes a few seconds to hand its streams to a
    // new leader. Meanwhile the job is kept ours with progress acks (each
    // restarts its AckWait), for up to three AckWaits in all.
    let started = Instant::now();
    let mut progressed: Option<Instant> = None;
    while started.elapsed() < nats.cfg.ack_wait * 3 {
        match nats.outcomes.put(&job.key, value.clone().into()).await {
            Ok(_) => {
                recorded = true;
                break;
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
    if !recorded {
        tracing::warn!(job = %job.key, "could not record an outcome; the job will come back");
        return;
    }
    let _ = m.ack().await;
}

/// The accounts each live worker holds now (for `treecast worker --status`
/// and the tests).
pub async fn owners(nats: &Nats) -> Result<HashMap<String, String>> {
    let mut out = HashMap::new();
    let Ok(mut keys) = nats.leases.keys().await else { return Ok(out) };
    while let Some(Ok(k)) = keys.next().await {
        if k.starts_with("w.") {
            continue;
        }
        if let Ok(Some(v)) = nats.leases.get(&k).await {
            out.insert(k, String::from_utf8_lossy(&v).into_owned());
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Twelve leases, none answered yet (a NATS node that is not
    /// answering): all twelve renewals are under way together. One after
    /// another, each waited out its bound in turn, the last leases lapsed
    /// and another worker took them while their owner still sent
    /// (docs/BENCHMARKS.md, issue 16 (b)).
    #[tokio::test]
    async fn a_round_renews_every_lease_at_once() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let (pending, most) = (AtomicUsize::new(0), AtomicUsize::new(0));
        let held: Vec<(Account, u64)> =
            (0..12).map(|i| (Account { platform: Platform::Telegram, name: format!("bot{i}") }, i)).collect();
        let out = renew_all(held, |_, revision| {
            let (pending, most) = (&pending, &most);
            async move {
                most.fetch_max(pending.fetch_add(1, Ordering::SeqCst) + 1, Ordering::SeqCst);
                tokio::task::yield_now().await;
                pending.fetch_sub(1, Ordering::SeqCst);
                Renewal::Renewed(revision + 100)
            }
        })
        .await;
        assert_eq!(most.load(Ordering::SeqCst), 12, "renewals ran one after another");
        assert_eq!(out.len(), 12);
        for (i, (acct, r)) in out.iter().enumerate() {
            assert_eq!(acct.name, format!("bot{i}"));
            assert!(matches!(r, Renewal::Renewed(rev) if *rev == i as u64 + 100));
        }
    }
}
