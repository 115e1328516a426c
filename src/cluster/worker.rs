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

use futures::StreamExt;
use rand::seq::SliceRandom;
use tokio::sync::watch;
use treecast_wire::{shutdown_signalled, Adapter, Platform, Shutdown};

use super::deliver::serve_account;
use super::lease::{renew, renew_all, Account, Owned, Phase, Renewal};
use super::{lease_key, token, Nats};
use crate::catalogue::Msg;
use crate::config::{Config, Limits};
use crate::error::Result;

pub struct Worker {
    pub id: String,
    nats: Nats,
    adapters: HashMap<Platform, Arc<dyn Adapter>>,
    limits: HashMap<Platform, Limits>,
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
        let tick = self.nats.cfg.lease / 3;
        let mut owned: HashMap<Account, Owned> = HashMap::new();
        tracing::info!(worker = %self.id, accounts = accounts.len(), "worker started");
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
            self.renew_round(&mut owned).await;
            self.drop_finished(&mut owned).await;
            if leaving {
                owned.values_mut().filter(|o| o.phase == Phase::Serving).for_each(|o| o.stop(Phase::Releasing));
            } else {
                self.rebalance(&accounts, &mut owned).await;
            }
            // While leaving, look again soon: the hand-back ends the run.
            let wait = if leaving { Duration::from_millis(100) } else { tick };
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = shutdown_signalled(&mut shutdown), if !leaving => leaving = true,
            }
        }
        let _ = self.nats.leases.delete(format!("w.{}", token(&self.id))).await;
        Ok(())
    }

    /// Renews what is ours, all at once: one after another, a NATS node that
    /// does not answer held each renewal for its bound in turn, the later
    /// leases lapsed meanwhile, and another worker took them while this one
    /// still sent (two lanes, one account).
    async fn renew_round(&self, owned: &mut HashMap<Account, Owned>) {
        let (lease, tick, me) = (self.nats.cfg.lease, self.nats.cfg.lease / 3, &self.id);
        let held = owned.iter().filter(|(_, o)| o.phase != Phase::Lost).map(|(a, o)| (a.clone(), o.revision));
        let leases = &self.nats.leases;
        let renewals = renew_all(held.collect(), |acct, revision| async move {
            renew(leases, &lease_key(acct.platform, &acct.name), me, revision, tick).await
        });
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
                    o.stop(Phase::Lost);
                }
                // NATS cannot say: kept only while the lease surely still
                // holds, so two workers never send for one account (another
                // may take it once it lapses).
                Renewal::Unknown(e) if o.renewed_at.elapsed() > lease * 2 / 3 => {
                    tracing::warn!(account = %key, error = %e, "lease not renewed in time; stopping this account");
                    o.stop(Phase::Lost);
                }
                Renewal::Unknown(e) => {
                    tracing::warn!(account = %key, error = %e, "lease not renewed yet; NATS did not answer")
                }
            }
        }
    }

    /// Accounts stopped whose last deliveries are done leave; a
    /// handed-back one's key goes, unless it is no longer ours.
    async fn drop_finished(&self, owned: &mut HashMap<Account, Owned>) {
        let done: Vec<Account> =
            owned.iter().filter(|(_, o)| o.phase != Phase::Serving && o.finished()).map(|(a, _)| a.clone()).collect();
        for acct in done {
            let o = owned.remove(&acct).expect("present");
            if o.phase == Phase::Releasing {
                let key = lease_key(acct.platform, &acct.name);
                let delete = self.nats.leases.delete_expect_revision(&key, Some(o.revision));
                let _ = tokio::time::timeout(self.nats.cfg.lease / 3, delete).await;
                tracing::info!(account = %key, "account handed back");
            }
        }
    }

    /// Holds this worker's share of the accounts: gives one back per tick
    /// when it has more (its lease renewed until its deliveries are done),
    /// takes free ones when it has fewer; nothing when the number of live
    /// workers is unknown.
    async fn rebalance(&self, accounts: &[Account], owned: &mut HashMap<Account, Owned>) {
        let Some(live) = self.live_workers().await else { return };
        let share = accounts.len().div_ceil(live.max(1));
        let mut serving = owned.values().filter(|o| o.phase == Phase::Serving).count();
        if serving > share {
            if let Some(o) = owned.values_mut().find(|o| o.phase == Phase::Serving) {
                o.stop(Phase::Releasing);
            }
            return;
        }
        let mut free: Vec<&Account> = accounts.iter().filter(|a| !owned.contains_key(*a)).collect();
        free.shuffle(&mut rand::rng());
        for acct in free {
            if serving >= share {
                break;
            }
            let key = lease_key(acct.platform, &acct.name);
            // Bounded like a renewal: a NATS node that does not answer
            // must not hold up the next round of renewals.
            let take =
                tokio::time::timeout(self.nats.cfg.lease / 3, self.nats.leases.create(&key, self.id.clone().into()));
            let Ok(made) = take.await else { break };
            if let Ok(revision) = made {
                tracing::info!(account = %key, worker = %self.id, "account taken");
                let (stop, stopped) = watch::channel(false);
                let (adapter, limits) = (self.adapters[&acct.platform].clone(), self.limits[&acct.platform]);
                let task = tokio::spawn(serve_account(self.nats.clone(), adapter, limits, acct.clone(), stopped));
                let renewed_at = Instant::now();
                owned.insert(
                    acct.clone(),
                    Owned { revision, renewed_at, stop, task: Some(task), phase: Phase::Serving },
                );
                serving += 1;
            }
        }
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
