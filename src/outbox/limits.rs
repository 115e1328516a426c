//! Rate limits per platform, per chat and per group. Per platform and per
//! group: sliding windows of the last sends (below). Per chat: governor
//! (GCRA) with burst 1, so no window of the limit's length ever holds more
//! than the limit.

use std::collections::{HashMap, VecDeque};
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use governor::clock::{Clock, DefaultClock};
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};
use treecast_wire::{Address, ChatKind, LimitScope, Platform};

use serde::Deserialize;

/// Rate limits for one platform; 0 means no limit.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    /// Messages per second across the whole platform (per bot).
    #[serde(default)]
    pub per_second: f64,
    /// Messages per second into any one chat.
    #[serde(default)]
    pub per_chat_per_second: f64,
    /// Messages per minute into any one group chat.
    #[serde(default)]
    pub per_group_per_minute: f64,
    /// Deliveries in flight at once.
    #[serde(default = "default_in_flight")]
    pub max_in_flight: usize,
}

fn default_in_flight() -> usize {
    32
}

impl Limits {
    pub const OFF: Limits =
        Limits { per_second: 0.0, per_chat_per_second: 0.0, per_group_per_minute: 0.0, max_in_flight: 256 };

    /// Real defaults: Telegram's published bot limits; Synapse's default
    /// `rc_message` for a bot without an override is far lower, so Matrix
    /// leans on the server's 429s; SMTP is paced gently.
    pub fn default_for(p: Platform) -> Limits {
        match p {
            Platform::Telegram => {
                Limits { per_second: 30.0, per_chat_per_second: 1.0, per_group_per_minute: 20.0, max_in_flight: 30 }
            }
            Platform::Matrix => {
                Limits { per_second: 10.0, per_chat_per_second: 1.0, per_group_per_minute: 0.0, max_in_flight: 8 }
            }
            Platform::Email => {
                Limits { per_second: 20.0, per_chat_per_second: 0.0, per_group_per_minute: 0.0, max_in_flight: 4 }
            }
            Platform::Console => Limits::OFF,
        }
    }
}

/// One bot account on one platform: the unit that has a quota. Deliveries
/// to chats bound through an account queue in its lane.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Lane {
    pub platform: Platform,
    /// The account's name as its adapter gives it; empty for the platform's
    /// home account. Shared: every job carries its lane and the worker
    /// looks lanes up several times a delivery; as a `String` each job
    /// allocated one, and comparing them was about 4 % of the worker's
    /// samples (`perf`, 2026-11-30). Equal `Arc`s compare by pointer first.
    pub account: Arc<str>,
}

impl Lane {
    pub fn new(platform: Platform, account: &str) -> Lane {
        Lane { platform, account: account.into() }
    }

    /// This lane again if `platform` and `account` are its own (no new allocation).
    pub fn reuse(&self, platform: Platform, account: &str) -> Lane {
        if self.platform == platform && *self.account == *account {
            self.clone()
        } else {
            Lane::new(platform, account)
        }
    }
}

impl std::fmt::Display for Lane {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.account.is_empty() {
            write!(f, "{}", self.platform)
        } else {
            write!(f, "{}/{}", self.platform, self.account)
        }
    }
}

type Keyed = RateLimiter<String, DefaultKeyedStateStore<String>, DefaultClock>;

/// Every limit is counted over a span 3% longer than the platform's own: the
/// platform counts arrivals, and network jitter of up to 30 ms between our
/// send and its receipt must not put one message too many into any second at
/// its end (seen against the Telegram emulator).
const SLACK: f64 = 1.03;

fn quota(per: Duration, count: f64) -> Option<Quota> {
    if count <= 0.0 {
        return None;
    }
    let period = per.mul_f64(SLACK).div_f64(count);
    Quota::with_period(period).map(|q| q.allow_burst(NonZeroU32::MIN))
}

/// "`count` sends per `per`" as a window: at most `limit` sends in any
/// `window`, the window `SLACK` longer than `per`.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Span {
    limit: usize,
    window: Duration,
}

impl Span {
    fn new(count: f64, per: Duration) -> Option<Span> {
        if count <= 0.0 {
            return None;
        }
        let slack = per.mul_f64(SLACK);
        Some(if count >= 1.0 {
            Span { limit: count.floor() as usize, window: slack }
        } else {
            Span { limit: 1, window: slack.div_f64(count) }
        })
    }

    /// When the next send may go, given the log of earlier ones (oldest
    /// first). `gap` is the least time between two sends.
    fn free_at(&self, sent: &mut VecDeque<Instant>, now: Instant, gap: Duration) -> Instant {
        self.expire(sent, now);
        let mut free_at = now;
        if let Some(last) = sent.back() {
            free_at = free_at.max(*last + gap);
        }
        if sent.len() >= self.limit {
            free_at = free_at.max(sent[sent.len() - self.limit] + self.window);
        }
        free_at
    }

    /// Drops the sends the window has left behind.
    fn expire(&self, sent: &mut VecDeque<Instant>, now: Instant) {
        while sent.front().is_some_and(|t| now.saturating_duration_since(*t) >= self.window) {
            sent.pop_front();
        }
    }
}

/// The platform-wide limit as a sliding window: at most `limit` sends in any
/// `window`, at least `gap` apart. Hand-written rather than governor because
/// GCRA restarts its schedule from the moment of each check: every wake-up's
/// timer lateness (a millisecond or two per send) is lost for good, which
/// cost 6% of Telegram's 30/s in the fan-out benchmark. The log of the last
/// `limit` sends keeps every window within the limit exactly while late
/// sends catch up.
pub struct Window {
    span: Span,
    gap: Duration,
    sent: Mutex<VecDeque<Instant>>,
}

impl Window {
    /// `per_second` sends a second on average and in every one-second
    /// window; below 1/s, one send per `1/per_second` seconds.
    pub fn new(per_second: f64) -> Option<Window> {
        let span = Span::new(per_second, Duration::from_secs(1))?;
        // Spread sends out (no burst of the whole window at once) while
        // leaving room to catch up after a late wake-up.
        let gap = span.window.div_f64(span.limit as f64).mul_f64(0.8);
        Some(Window { span, gap, sent: Mutex::new(VecDeque::with_capacity(span.limit + 1)) })
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
        let free_at = self.span.free_at(&mut sent, now, self.gap);
        if free_at > now {
            return Err(free_at - now);
        }
        if take {
            sent.push_back(now);
        }
        Ok(())
    }
}

/// A sliding window per key: Telegram's "20 messages a minute in a group" as
/// written, so a group's first 20 messages go as fast as the per-chat limit
/// lets them. GCRA with burst 1 (governor) spaced them 3 s apart, which held
/// a group's second notice back behind its first for no reason; GCRA with a
/// burst of 20 would let 40 through in some minute. The map keeps only keys
/// sent to within the window (pruned as it grows), so a national fan-out
/// holds the groups of the last minute, not all of them.
pub struct KeyedWindow {
    span: Span,
    state: Mutex<KeyedLog>,
}

#[derive(Default)]
struct KeyedLog {
    sent: HashMap<String, VecDeque<Instant>>,
    /// Map size at which stale keys are next dropped.
    prune_at: usize,
}

impl KeyedWindow {
    pub fn new(count: f64, per: Duration) -> Option<KeyedWindow> {
        let span = Span::new(count, per)?;
        Some(KeyedWindow { span, state: Mutex::new(KeyedLog { sent: HashMap::new(), prune_at: 1024 }) })
    }

    /// How long until `key` may receive a send (None: now), taking nothing.
    pub fn peek(&self, key: &str, now: Instant) -> Option<Duration> {
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let sent = st.sent.get_mut(key)?;
        let free_at = self.span.free_at(sent, now, Duration::ZERO);
        (free_at > now).then(|| free_at - now)
    }

    /// Records a send to `key` at `now` (after `peek` said yes).
    pub fn take(&self, key: &str, now: Instant) {
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        match st.sent.get_mut(key) {
            Some(log) => log.push_back(now),
            None => {
                st.sent.insert(key.to_owned(), VecDeque::from([now]));
            }
        }
        if st.sent.len() >= st.prune_at {
            st.sent.retain(|_, log| {
                self.span.expire(log, now);
                !log.is_empty()
            });
            st.prune_at = (st.sent.len() * 2).max(1024);
        }
    }

    #[cfg(test)]
    fn keys(&self) -> usize {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).sent.len()
    }
}

pub struct PlatformLimits {
    pub max_in_flight: usize,
    platform: Option<Window>,
    chat: Option<Keyed>,
    group: Option<KeyedWindow>,
    clock: DefaultClock,
    /// What the platform's rate limit answers hold back, until when.
    held: Mutex<Held>,
}

#[derive(Default)]
struct Held {
    account: Option<Instant>,
    chats: HashMap<String, Instant>,
}

impl PlatformLimits {
    pub fn new(l: &Limits) -> PlatformLimits {
        PlatformLimits {
            max_in_flight: l.max_in_flight.max(1),
            platform: Window::new(l.per_second),
            chat: quota(Duration::from_secs(1), l.per_chat_per_second).map(RateLimiter::keyed),
            group: KeyedWindow::new(l.per_group_per_minute, Duration::from_secs(60)),
            clock: DefaultClock::default(),
            held: Mutex::default(),
        }
    }

    /// The platform said "wait until `until`" for `chat` or for the whole
    /// account (`scope`): a rate limit, not a failed try.
    pub fn hold(&self, chat: &str, scope: LimitScope, until: Instant) {
        let mut h = self.held.lock().unwrap_or_else(|e| e.into_inner());
        // Ended holds go here, where a rate limit is rare, not on every look.
        let now = Instant::now();
        h.chats.retain(|_, u| *u > now);
        let at = match scope {
            LimitScope::Chat => h.chats.entry(chat.to_owned()).or_insert(until),
            LimitScope::Account => h.account.get_or_insert(until),
        };
        *at = (*at).max(until);
    }

    /// Until when the account is held, if it still is.
    pub fn account_held(&self) -> Option<Instant> {
        let h = self.held.lock().unwrap_or_else(|e| e.into_inner());
        h.account.filter(|u| *u > Instant::now())
    }

    /// Until when `chat` is held, if it still is.
    pub fn chat_held(&self, chat: &str) -> Option<Instant> {
        let h = self.held.lock().unwrap_or_else(|e| e.into_inner());
        h.chats.get(chat).copied().filter(|u| *u > Instant::now())
    }

    /// When the chat may next receive a message (None: now, and the send is
    /// counted against the chat's limits: the caller sends at once).
    pub fn chat_wait(&self, to: &Address) -> Option<Duration> {
        let now = Instant::now();
        let group = self.group.as_ref().filter(|_| to.kind == ChatKind::Group);
        // The group window first, taking nothing, so a refused group does
        // not spend the chat's cell.
        if let Some(wait) = group.and_then(|g| g.peek(&to.id, now)) {
            return Some(wait);
        }
        if let Some(l) = &self.chat {
            // governor has no peek: a successful check spends the cell,
            // which is right because the caller sends at once.
            if let Err(nu) = l.check_key(&to.id) {
                return Some(nu.wait_time_from(self.clock.now()));
            }
        }
        if let Some(g) = group {
            g.take(&to.id, now);
        }
        None
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

    #[test]
    fn a_group_takes_twenty_at_once_then_waits_for_the_oldest_to_leave_the_minute() {
        let g = KeyedWindow::new(20.0, Duration::from_secs(60)).unwrap();
        let t = Instant::now();
        for i in 0..20 {
            let at = t + Duration::from_secs(i);
            assert_eq!(g.peek("g1", at), None, "send {i} of the first 20");
            g.take("g1", at);
        }
        let at = t + Duration::from_secs(20);
        // The 21st waits until the first is 61.8 s old (60 s and 3% slack).
        assert_eq!(g.peek("g1", at), Some(Duration::from_millis(41_800)));
        assert_eq!(g.peek("g2", at), None, "other groups are not held back");
        assert_eq!(g.peek("g1", t + Duration::from_millis(61_800)), None);
        assert!(KeyedWindow::new(0.0, Duration::from_secs(60)).is_none());
    }

    #[test]
    fn no_minute_holds_more_than_twenty_sends_to_one_group() {
        let g = KeyedWindow::new(20.0, Duration::from_secs(60)).unwrap();
        let start = Instant::now();
        let (mut t, mut times) = (start, Vec::new());
        while times.len() < 200 {
            match g.peek("g", t) {
                None => {
                    g.take("g", t);
                    times.push(t);
                    t += Duration::from_millis(250);
                }
                Some(wait) => t += wait + Duration::from_millis(3),
            }
        }
        for (i, first) in times.iter().enumerate() {
            let in_minute = times[i..].iter().take_while(|u| **u - *first < Duration::from_secs(60)).count();
            assert!(in_minute <= 20, "{in_minute} sends within a minute from send {i}");
        }
        let per_minute = 199.0 / (*times.last().unwrap() - start).as_secs_f64() * 60.0;
        assert!(per_minute > 19.0, "{per_minute:.2} a minute");
    }

    #[test]
    fn keys_that_left_the_window_are_dropped() {
        let g = KeyedWindow::new(20.0, Duration::from_secs(60)).unwrap();
        let t = Instant::now();
        for i in 0..20_000 {
            g.take(&format!("g{i}"), t + Duration::from_millis(i * 20));
        }
        // At 20 ms a send, a 61.8 s window holds the last 3,090 of 20,000 keys; pruning
        // at twice the last live size keeps the map under twice that.
        assert!(g.keys() < 2 * 3090 + 1, "{} keys kept", g.keys());
        assert_eq!(g.peek("g19999", t + Duration::from_secs(500)), None);
    }

    #[test]
    fn chat_wait_holds_a_group_past_its_minute() {
        let limits = Limits { per_second: 0.0, per_chat_per_second: 1.0, per_group_per_minute: 1.0, max_in_flight: 1 };
        let lim = PlatformLimits::new(&limits);
        let to = Address::group(treecast_wire::Platform::Telegram, "-100");
        assert_eq!(lim.chat_wait(&to), None);
        let wait = lim.chat_wait(&to).expect("the group's minute is spent");
        assert!(wait > Duration::from_secs(60), "{wait:?}");
        // A private chat waits out the per-chat second and its slack.
        let dm = Address::direct(treecast_wire::Platform::Telegram, "42");
        assert_eq!(lim.chat_wait(&dm), None);
        let wait = lim.chat_wait(&dm).expect("the chat's second is spent");
        assert!(wait > Duration::from_millis(1020) && wait <= Duration::from_millis(1030), "{wait:?}");
    }
}
