//! Prometheus metrics through the `metrics` facade; the admin API renders
//! them at `/metrics`. Counters are counted where things happen (a no-op
//! until `install` is called, so tests and the demo pay nothing); what is
//! cheaper to read than to keep up to date (queues, log lag, scheduler lag,
//! store size) is read from the store at each scrape.

use metrics::{counter, gauge};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use treecast_wire::Platform;

use crate::error::Result;
use crate::store::Store;

/// Installs the process-wide recorder; None when one already is.
pub fn install() -> Option<PrometheusHandle> {
    PrometheusBuilder::new().install_recorder().ok()
}

/// A delivery that reached its chat; `what` is `notice` or `private`.
pub fn delivered(p: Platform, what: &'static str) {
    counter!("treecast_deliveries_total", "platform" => p.as_str(), "kind" => what).increment(1);
    health::note(p, |h| {
        h.delivered += 1;
        h.last_delivered = crate::clock::now_unix();
    });
}

/// A delivery given up on, and why (the web console's operator page shows the last).
pub fn failed(p: Platform, what: &'static str, reason: &str) {
    counter!("treecast_delivery_failures_total", "platform" => p.as_str(), "kind" => what).increment(1);
    health::note(p, |h| {
        h.failed += 1;
        h.last_error = Some((crate::clock::now_unix(), reason.chars().take(300).collect()));
    });
}

/// A delivery to try again; `rate_limited` when the platform said to slow down (429).
pub fn retried(p: Platform, what: &'static str, rate_limited: bool) {
    counter!("treecast_delivery_retries_total", "platform" => p.as_str(), "kind" => what).increment(1);
    if rate_limited {
        counter!("treecast_rate_limited_total", "platform" => p.as_str()).increment(1);
    }
    health::note(p, |h| {
        h.retried += 1;
        if rate_limited {
            h.limited.push_back(crate::clock::now_unix());
        }
    });
}

/// Each platform's deliveries as this process saw them, for the operator's
/// page (the counters above are write-only through the `metrics` facade).
pub mod health {
    use std::collections::{BTreeMap, VecDeque};
    use std::sync::Mutex;

    use treecast_wire::Platform;

    #[derive(Debug, Clone, Default)]
    pub struct Health {
        pub delivered: u64,
        pub failed: u64,
        pub retried: u64,
        pub last_delivered: u64,
        /// When and why the last delivery was given up on.
        pub last_error: Option<(u64, String)>,
        /// When the platform said to slow down (429), within the last hour.
        pub limited: VecDeque<u64>,
    }

    static TABLE: Mutex<BTreeMap<Platform, Health>> = Mutex::new(BTreeMap::new());

    pub fn note(p: Platform, f: impl FnOnce(&mut Health)) {
        let mut t = TABLE.lock().unwrap_or_else(|e| e.into_inner());
        let h = t.entry(p).or_default();
        f(h);
        let hour_ago = crate::clock::now_unix().saturating_sub(3600);
        while h.limited.front().is_some_and(|t| *t < hour_ago) {
            h.limited.pop_front();
        }
    }

    pub fn of(p: Platform) -> Health {
        let mut h = TABLE.lock().unwrap_or_else(|e| e.into_inner()).get(&p).cloned().unwrap_or_default();
        let hour_ago = crate::clock::now_unix().saturating_sub(3600);
        h.limited.retain(|t| *t >= hour_ago);
        h
    }
}

/// An event from a chat: `kind` is message, button, reaction, ...
pub fn inbound(p: Platform, kind: &'static str) {
    counter!("treecast_inbound_events_total", "platform" => p.as_str(), "kind" => kind).increment(1);
}

/// Jobs the outbox holds ready to send to a platform now.
pub fn outbox_ready(p: Platform, n: usize) {
    gauge!("treecast_outbox_ready", "platform" => p.as_str()).set(n as f64);
}

/// The metrics text: the counters, and the gauges read from the store now.
/// `subscribers` names the event log's subscribers, for their lag.
pub fn render(handle: &PrometheusHandle, store: &Store, now_ms: u64, subscribers: &[&str]) -> Result<String> {
    let mut depth = std::collections::BTreeMap::<Platform, (usize, u64)>::new();
    for (_, q) in store.queued()? {
        let e = depth.entry(q.msg.to.platform).or_insert((0, u64::MAX));
        e.0 += 1;
        e.1 = e.1.min(q.next_at_ms);
    }
    for p in Platform::ALL {
        let (n, oldest) = depth.get(&p).copied().unwrap_or((0, u64::MAX));
        gauge!("treecast_private_queue", "platform" => p.as_str()).set(n as f64);
        let overdue = if oldest == u64::MAX { 0 } else { now_ms.saturating_sub(oldest) };
        gauge!("treecast_private_queue_oldest_due_seconds", "platform" => p.as_str()).set(overdue as f64 / 1000.0);
    }
    gauge!("treecast_notices_sending").set(store.active_notices()?.len() as f64);
    let last = store.last_event();
    for name in subscribers {
        let lag = last.saturating_sub(store.position(name)?);
        gauge!("treecast_event_log_lag", "subscriber" => name.to_string()).set(lag as f64);
    }
    let due = crate::schedule::next_due(store)?.map_or(0, |at| now_ms.saturating_sub(at));
    gauge!("treecast_scheduler_lag_seconds").set(due as f64 / 1000.0);
    gauge!("treecast_store_bytes").set(store.size_on_disk()? as f64);
    Ok(handle.render())
}
