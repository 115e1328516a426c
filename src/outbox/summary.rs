//! Retries and platform refusals summarised at INFO once a minute, per
//! platform: each one is handled and needs no person, but an operator
//! should see that they happen (a WARN or ERROR line each was noise).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use treecast_wire::Platform;

const EVERY: Duration = Duration::from_secs(60);

#[derive(Default, Clone, Copy)]
struct Tally {
    retried: u64,
    rate_limited: u64,
    failed: u64,
}

pub(super) struct RetrySummary {
    since: Instant,
    per: BTreeMap<Platform, Tally>,
}

impl RetrySummary {
    pub fn new() -> RetrySummary {
        RetrySummary { since: Instant::now(), per: BTreeMap::new() }
    }

    pub fn retried(&mut self, p: Platform, rate_limited: bool) {
        let t = self.per.entry(p).or_default();
        t.retried += 1;
        t.rate_limited += u64::from(rate_limited);
    }

    pub fn failed(&mut self, p: Platform) {
        self.per.entry(p).or_default().failed += 1;
    }

    /// Logs the last minute's tallies (if any) once a minute has passed.
    pub fn maybe_report(&mut self) {
        if self.since.elapsed() < EVERY {
            return;
        }
        for (p, t) in std::mem::take(&mut self.per) {
            tracing::info!(
                platform = %p,
                retried = t.retried,
                rate_limited = t.rate_limited,
                failed = t.failed,
                "deliveries in the last minute that were retried or given up (rate_limited: the platform said 429)"
            );
        }
        self.since = Instant::now();
    }
}
