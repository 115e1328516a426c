//! Leases on bot accounts: what a worker holds of each account it serves,
//! and the renewal round (every lease at once, each bounded).

use std::time::{Duration, Instant};

use tokio::sync::watch;
use treecast_wire::Platform;

/// An account this worker delivers for.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(super) struct Account {
    pub platform: Platform,
    pub name: String,
}

pub(super) struct Owned {
    pub revision: u64,
    /// The last renewal that NATS confirmed.
    pub renewed_at: Instant,
    pub stop: watch::Sender<bool>,
    pub task: Option<tokio::task::JoinHandle<()>>,
    pub phase: Phase,
}

/// Where an account of this worker stands. Until its lane has finished it
/// stays in `owned`, so it is never taken again meanwhile (one bot, one lane).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Phase {
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
    pub fn stop(&mut self, phase: Phase) {
        let _ = self.stop.send(true);
        self.phase = phase;
    }

    pub fn finished(&self) -> bool {
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

/// What renewing one lease said.
pub(super) enum Renewal {
    Renewed(u64),
    /// The key names another worker, or none.
    Lost(String),
    /// NATS did not answer within the bound.
    Unknown(String),
}

/// Renews every lease in `held` (account, revision) at once with
/// `renew_one`: a round takes one renewal's time, however many accounts.
pub(super) async fn renew_all<F, Fut>(held: Vec<(Account, u64)>, renew_one: F) -> Vec<(Account, Renewal)>
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
pub(super) async fn renew(
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
