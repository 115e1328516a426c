//! Rate limits per platform and per chat. Per chat and per group: governor
//! (GCRA) with burst 1, so no window of the limit's length ever holds more
//! than the limit. Per platform: a sliding window of the last sends (below).

use std::collections::VecDeque;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use governor::clock::{Clock, DefaultClock};
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};
use treecast_wire::{Address, ChatKind};

use crate::config::Limits;

type Keyed = RateLimiter<String, DefaultKeyedStateStore<String>, DefaultClock>;

fn quota(per: Duration, count: f64) -> Option<Quota> {
    if count <= 0.0 {
        return None;
    }
    let period = per.div_f64(count);
    Quota::with_period(period).map(|q| q.allow_burst(NonZeroU32::MIN))
}

/// The platform-wide limit as a sliding window: at most `limit` sends in any
/// `window`, at least `gap` apart. Hand-written rather than governor because
/// GCRA restarts its schedule from the moment of each check: every wake-up's
/// timer lateness (a millisecond or two per send) is lost for good, which
/// cost 6% of Telegram's 30/s in the fan-out benchmark. The log of the last
/// `limit` sends keeps every window within the limit exactly while late
/// sends catch up.
pub struct Window {
    limit: usize,
    window: Duration,
    gap: Duration,
    sent: Mutex<VecDeque<Instant>>,
}

impl Window {
    /// `per_second` sends a second on average and in every one-second
    /// window; below 1/s, one send per `1/per_second` seconds.
    pub fn new(per_second: f64) -> Option<Window> {
        if per_second <= 0.0 {
            return None;
        }
        // Counted over a window 3% longer than the limit's: the platform
        // counts arrivals, and network jitter of up to 30 ms between our
        // send and its receipt must not put one message too many into any
        // second at its end (seen against the Telegram emulator).
        let (limit, window) = if per_second >= 1.0 {
            (per_second.floor() as usize, Duration::from_millis(1030))
        } else {
            (1, Duration::from_secs_f64(1.03 / per_second))
        };
        // Spread sends out (no burst of the whole window at once) while
        // leaving room to catch up after a late wake-up.
        let gap = window.div_f64(limit as f64).mul_f64(0.8);
        Some(Window { limit, window, gap, sent: Mutex::new(VecDeque::with_capacity(limit + 1)) })
    }

    /// Takes a slot at `now`, or says how long until one is free.
    pub fn check(&self, now: Instant) -> Result<(), Duration> {
        self.free_in(now, true)
    }

    /// How long until a slot is free (None: now), taking nothing.
    pub fn peek(&self, now: Instant) -> Option<Duration> {
        self.free_in(now, false).err()
    }

    fn free_in(&self, now: Instant, take: bool) -> Result<(), Duration> {
        let mut sent = self.sent.lock().unwrap_or_else(|e| e.into_inner());
        while sent.front().is_some_and(|t| now.saturating_duration_since(*t) >= self.window) {
            sent.pop_front();
        }
        let mut free_at = now;
        if let Some(last) = sent.back() {
            free_at = free_at.max(*last + self.gap);
        }
        if sent.len() >= self.limit {
            free_at = free_at.max(sent[sent.len() - self.limit] + self.window);
        }
        if free_at > now {
            return Err(free_at - now);
        }
        if take {
            sent.push_back(now);
        }
        Ok(())
    }
}

pub struct PlatformLimits {
    pub max_in_flight: usize,
    platform: Option<Window>,
    chat: Option<Keyed>,
    group: Option<Keyed>,
    clock: DefaultClock,
}

impl PlatformLimits {
    pub fn new(l: &Limits) -> PlatformLimits {
        let sec = Duration::from_secs(1);
        PlatformLimits {
            max_in_flight: l.max_in_flight.max(1),
            platform: Window::new(l.per_second),
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

    /// Whether the platform may send now; otherwise how long to wait. Takes
    /// nothing: check this before `chat_wait`, which spends the chat's cell,
    /// and call `platform_take` when sending.
    pub fn platform_wait(&self) -> Option<Duration> {
        self.platform.as_ref()?.peek(Instant::now())
    }

    /// Records a send against the platform limit (after `platform_wait`
    /// said yes; the worker is the only sender, so the slot is still free).
    pub fn platform_take(&self) {
        if let Some(w) = &self.platform {
            let _ = w.check(Instant::now());
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Sends as fast as the window allows, each wake-up `late` after the
    /// time asked for; returns the send times.
    fn drive(w: &Window, n: usize, late: Duration) -> Vec<Instant> {
        let start = Instant::now();
        let mut t = start;
        let mut out = Vec::new();
        while out.len() < n {
            match w.check(t) {
                Ok(()) => out.push(t),
                Err(wait) => t += wait + late,
            }
        }
        out
    }

    #[test]
    fn the_platform_window_never_exceeds_the_limit_and_catches_up_after_late_wakeups() {
        for late in [Duration::ZERO, Duration::from_micros(1500), Duration::from_millis(5)] {
            let w = Window::new(30.0).unwrap();
            let times = drive(&w, 3000, late);
            let mut j = 0;
            for i in 0..times.len() {
                while times[i] - times[j] >= Duration::from_secs(1) {
                    j += 1;
                }
                assert!(i - j < 30, "31 sends within one second (late {late:?})");
            }
            let span = (*times.last().unwrap() - times[0]).as_secs_f64();
            let rate = (times.len() - 1) as f64 / span;
            assert!(rate > 28.5, "{rate:.2}/s with wake-ups {late:?} late");
            assert!(times.windows(2).all(|p| p[1] - p[0] >= Duration::from_millis(26)), "sends are spread out");
        }
    }

    #[test]
    fn slow_limits_are_one_send_per_period() {
        let w = Window::new(0.5).unwrap();
        let t = Instant::now();
        assert!(w.check(t).is_ok());
        assert_eq!(w.check(t + Duration::from_secs(1)), Err(Duration::from_millis(1060)));
        assert!(w.check(t + Duration::from_millis(2060)).is_ok());
        assert!(Window::new(0.0).is_none());
    }
}
