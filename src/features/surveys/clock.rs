//! Survey times from TOML date-times: definitions give China time (UTC+8
//! unless an offset is written); the store keeps unix seconds. The calendar
//! itself is `crate::clock`.

use toml::value::{Datetime, Offset};

pub use crate::clock::{civil_from_days, days_from_civil, show, CHINA};

/// Unix seconds of a TOML date-time; a bare date means the start of the day,
/// or its last second when `end_of_day`. None without a date.
pub fn unix_of(dt: &Datetime, end_of_day: bool) -> Option<i64> {
    let date = dt.date?;
    let days = days_from_civil(date.year as i64, date.month as u32, date.day as u32);
    let secs = match dt.time {
        Some(t) => t.hour as i64 * 3600 + t.minute as i64 * 60 + t.second as i64,
        None if end_of_day => 86399,
        None => 0,
    };
    let offset = match dt.offset {
        Some(Offset::Z) => 0,
        Some(Offset::Custom { minutes }) => minutes as i64 * 60,
        None => CHINA,
    };
    Some(days * 86400 + secs - offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip_and_default_to_china_time() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(civil_from_days(days_from_civil(2024, 2, 29)), (2024, 2, 29));
        let dt: Datetime = "2025-03-08T20:00:00".parse().unwrap();
        let t = unix_of(&dt, false).unwrap();
        assert_eq!(t, 1741435200);
        assert_eq!(show(t as u64), "2025-03-08 20:00");
        let d: Datetime = "2025-03-08".parse().unwrap();
        assert_eq!(show(unix_of(&d, true).unwrap() as u64), "2025-03-08 23:59");
    }
}
