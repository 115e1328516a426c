//! Time for the whole app: one clock (settable in tests, so nothing sleeps
//! to make time pass) and the one calendar conversion, in China time (UTC+8).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// UTC+8, the organisation's clock.
pub const CHINA: i64 = 8 * 3600;

/// A cheap handle on "now". The system clock unless a test set it.
#[derive(Clone, Default)]
pub struct Clock {
    /// Fixed unix milliseconds; 0 means the system clock.
    fixed_ms: Arc<AtomicU64>,
}

impl Clock {
    /// The system clock.
    pub fn system() -> Clock {
        Clock::default()
    }

    /// A clock standing at `unix` seconds until set or advanced.
    pub fn fixed(unix: u64) -> Clock {
        let c = Clock::default();
        c.set(Some(unix));
        c
    }

    /// Fixes the clock at `unix` seconds; None returns to the system clock.
    pub fn set(&self, unix: Option<u64>) {
        self.fixed_ms.store(unix.map(|s| s * 1000).unwrap_or(0), Ordering::Relaxed);
    }

    /// Moves a fixed clock forward (a system clock is left alone).
    pub fn advance(&self, secs: u64) {
        let _ =
            self.fixed_ms.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |t| (t != 0).then_some(t + secs * 1000));
    }

    pub fn is_fixed(&self) -> bool {
        self.fixed_ms.load(Ordering::Relaxed) != 0
    }

    /// Unix milliseconds.
    pub fn now_ms(&self) -> u64 {
        match self.fixed_ms.load(Ordering::Relaxed) {
            0 => unix_ms(),
            t => t,
        }
    }

    /// Unix seconds.
    pub fn now(&self) -> u64 {
        self.now_ms() / 1000
    }
}

/// The system's unix seconds.
pub fn now_unix() -> u64 {
    unix_ms() / 1000
}

/// The system's unix milliseconds.
pub fn unix_ms() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Hinnant's algorithm;
/// no date crate for two conversions).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m as i64 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// (year, month, day) of a day count since 1970-01-01.
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { yoe + era * 400 + 1 } else { yoe + era * 400 }, m, d)
}

/// Unix seconds as `YYYY-MM-DD HH:MM` in China time.
pub fn show(unix: u64) -> String {
    let t = unix as i64 + CHINA;
    let (y, m, d) = civil_from_days(t.div_euclid(86_400));
    let s = t.rem_euclid(86_400);
    format!("{y:04}-{m:02}-{d:02} {:02}:{:02}", s / 3600, s % 3600 / 60)
}

/// The China-time week (Monday to Sunday) holding `unix`, counted from
/// the week of 1970-01-01 (a Thursday).
pub fn china_week(unix: u64) -> u32 {
    ((unix as i64 + CHINA).div_euclid(86_400) + 3).div_euclid(7) as u32
}

/// Monday 00:00 China time of week `week`, in unix seconds.
pub fn china_week_start(week: u32) -> u64 {
    ((week as i64 * 7 - 3) * 86_400 - CHINA).max(0) as u64
}

/// The first time after `now` when the China clock shows `minute` minutes past midnight.
pub fn next_china_minute(now: u64, minute: u32) -> u64 {
    let local = now as i64 + CHINA;
    let today = local.div_euclid(86_400) * 86_400 + minute as i64 * 60;
    let at = if today > local { today } else { today + 86_400 };
    (at - CHINA) as u64
}

/// `YYYY-MM-DD HH:MM` or `YYYY-MM-DDTHH:MM` (or a bare date, meaning 23:59)
/// in China time -> unix seconds.
pub fn parse_china(s: &str) -> Option<u64> {
    let (date, time) = s.trim().split_once([' ', 'T']).unwrap_or((s.trim(), "23:59"));
    let d: Vec<i64> = date.split('-').map(|x| x.trim().parse().ok()).collect::<Option<_>>()?;
    let t: Vec<i64> = time.trim().split(':').map(|x| x.parse().ok()).collect::<Option<_>>()?;
    let valid = d.len() == 3 && t.len() == 2 && (1..=12).contains(&d[1]) && (1..=31).contains(&d[2]);
    if !valid || !(0..24).contains(&t[0]) || !(0..60).contains(&t[1]) {
        return None;
    }
    let days = days_from_civil(d[0], d[1] as u32, d[2] as u32);
    u64::try_from(days * 86_400 + t[0] * 3600 + t[1] * 60 - CHINA).ok()
}

/// `07:30`, `7:30` or `07：30` -> minutes past midnight.
pub fn parse_minute(s: &str) -> Option<u16> {
    let (h, m) = s.trim().split_once([':', '：'])?;
    let (h, m): (u16, u16) = (h.trim().parse().ok()?, m.trim().parse().ok()?);
    (h < 24 && m < 60 && m.to_string().len() <= 2).then_some(h * 60 + m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip_in_china_time() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(civil_from_days(days_from_civil(2024, 2, 29)), (2024, 2, 29));
        let t = parse_china("2025-03-08 20:00").unwrap();
        assert_eq!(t, 1_741_435_200);
        assert_eq!(show(t), "2025-03-08 20:00");
        assert_eq!(show(parse_china("2025-11-25").unwrap()), "2025-11-25 23:59");
        assert_eq!(parse_china("2025-03-08T20:00"), Some(t), "the ISO form");
        assert_eq!(parse_china("2025-13-01 10:00"), None);
        assert_eq!(parse_china("tomorrow"), None);
    }

    #[test]
    fn weeks_start_on_monday_and_the_next_minute_is_in_china_time() {
        // 2026-11-30 is a Monday; Sunday 23:59 China time is still the week before.
        let monday = parse_china("2026-11-30 00:00").unwrap();
        assert_eq!(china_week(monday), china_week(monday - 60) + 1);
        assert_eq!(china_week_start(china_week(monday + 5 * 86_400)), monday);
        let at = parse_china("2026-11-29 08:29").unwrap();
        assert_eq!(show(next_china_minute(at, 8 * 60 + 30)), "2026-11-29 08:30");
        // At 08:30 itself, the next one is tomorrow's.
        assert_eq!(show(next_china_minute(at + 60, 8 * 60 + 30)), "2026-11-30 08:30");
        assert_eq!(show(next_china_minute(parse_china("2026-11-29 23:00").unwrap(), 30)), "2026-11-30 00:30");
    }

    #[test]
    fn a_set_clock_moves_only_when_told() {
        let c = Clock::fixed(1_000);
        assert_eq!(c.now(), 1_000);
        c.advance(60);
        assert_eq!(c.now(), 1_060);
        c.set(None);
        assert!(c.now() > 1_700_000_000);
        c.advance(60);
        assert!(!c.is_fixed());
    }
}
