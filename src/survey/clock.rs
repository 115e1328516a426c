//! Calendar arithmetic for survey times: definitions give China time
//! (UTC+8 unless an offset is written); the store keeps unix seconds.

use toml::value::{Datetime, Offset};

/// UTC+8, the offset assumed when a definition gives none.
pub const CHINA: i64 = 8 * 3600;

/// Days since 1970-01-01 of a proleptic Gregorian date (Hinnant's algorithm).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m as i64 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

/// (year, month, day) of a day count since 1970-01-01.
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719468;
    let era = if z >= 0 { z } else { z - 146096 } / 146097;
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { yoe + era * 400 + 1 } else { yoe + era * 400 }, m, d)
}

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

/// `2025-03-08 20:00` in China time.
pub fn show(unix: u64) -> String {
    let t = unix as i64 + CHINA;
    let (y, m, d) = civil_from_days(t.div_euclid(86400));
    let s = t.rem_euclid(86400);
    format!("{y:04}-{m:02}-{d:02} {:02}:{:02}", s / 3600, s % 3600 / 60)
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
