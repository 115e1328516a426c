//! Rate limits per platform and per chat, with governor (GCRA): burst 1, so
//! no window of the limit's length ever holds more than the limit.

use std::num::NonZeroU32;
use std::time::{Duration, Instant};

use governor::clock::{Clock, DefaultClock};
use governor::state::keyed::DefaultKeyedStateStore;
use governor::state::{InMemoryState, NotKeyed};
use governor::{Quota, RateLimiter};
use treecast_wire::{Address, ChatKind};

use crate::config::Limits;

type Direct = RateLimiter<NotKeyed, InMemoryState, DefaultClock>;
type Keyed = RateLimiter<String, DefaultKeyedStateStore<String>, DefaultClock>;

fn quota(per: Duration, count: f64) -> Option<Quota> {
    if count <= 0.0 {
        return None;
    }
    let period = per.div_f64(count);
    Quota::with_period(period).map(|q| q.allow_burst(NonZeroU32::MIN))
}

pub struct PlatformLimits {
    pub max_in_flight: usize,
    platform: Option<Direct>,
    chat: Option<Keyed>,
    group: Option<Keyed>,
    clock: DefaultClock,
}

impl PlatformLimits {
    pub fn new(l: &Limits) -> PlatformLimits {
        let sec = Duration::from_secs(1);
        PlatformLimits {
            max_in_flight: l.max_in_flight.max(1),
            platform: quota(sec, l.per_second).map(RateLimiter::direct),
            chat: quota(sec, l.per_chat_per_second).map(RateLimiter::keyed),
            group: quota(Duration::from_secs(60), l.per_group_per_minute).map(RateLimiter::keyed),
            clock: DefaultClock::default(),
        }
    }

    /// When the chat may next receive a message (None: now). Takes nothing.
    pub fn chat_wait(&self, to: &Address) -> Option<Duration> {
        let now = self.clock.now();
        let mut wait = None::<Duration>;
        let mut consider = |lim: &Keyed| {
            // governor has no peek: a successful check spends the cell,
            // which is right because the caller sends at once.
            if let Err(nu) = lim.check_key(&to.id) {
                let w = nu.wait_time_from(now);
                wait = Some(wait.map_or(w, |x| x.max(w)));
            }
        };
        if let Some(l) = &self.chat {
            consider(l);
        }
        if to.kind == ChatKind::Group {
            if let Some(l) = &self.group {
                consider(l);
            }
        }
        wait
    }

    /// Whether the platform may send now; otherwise how long to wait.
    pub fn platform_wait(&self) -> Option<Duration> {
        let lim = self.platform.as_ref()?;
        lim.check().err().map(|nu| nu.wait_time_from(self.clock.now()))
    }

    pub fn limited(&self) -> bool {
        self.platform.is_some()
    }
}

/// Exponential backoff with full jitter, at least the platform's own hint.
pub fn backoff(tries: u32, base: Duration, max: Duration, hint: Option<Duration>) -> Duration {
    use rand::Rng;
    let exp = base.saturating_mul(1u32 << tries.min(16)).min(max);
    let jittered = exp.mul_f64(rand::rng().random_range(0.5..=1.0));
    match hint {
        Some(h) => jittered.max(h),
        None => jittered,
    }
}

pub fn instant_after(d: Duration) -> Instant {
    Instant::now() + d
}
