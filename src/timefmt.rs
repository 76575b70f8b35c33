//! Calendar formatting without a date crate.
//!
//! Two outputs are needed by `cyrus-telemetry`:
//! - `resets_at`: RFC 3339 UTC with seconds precision (`2025-08-19T15:00:00Z`), from an epoch in
//!   seconds found in a provider's error text ([`rfc3339_seconds`]);
//! - the event `timestamp`: exactly what JavaScript's `new Date(ms).toISOString()` prints
//!   (`2026-03-13T17:36:00.123Z`) ([`iso_millis`]).
//!
//! The conversions use Howard Hinnant's `days_from_civil` / `civil_from_days` algorithms
//! (<https://howardhinnant.github.io/date_algorithms.html>), proleptic Gregorian calendar, no
//! leap seconds (as Unix time and JavaScript).

const SECS_PER_DAY: i64 = 86_400;
const MS_PER_DAY: i64 = 86_400_000;

/// Days since 1970-01-01 of the civil date `y-m-d` (`m` in 1..=12, `d` in 1..=31).
/// Hinnant's `days_from_civil`.
pub(crate) const fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400; // [0, 399]
    let m = m as i64;
    let mp = if m > 2 { m - 3 } else { m + 9 }; // March = 0
    let doy = (153 * mp + 2) / 5 + d as i64 - 1; // [0, 365]
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy; // [0, 146096]
    era * 146_097 + doe - 719_468
}

/// The civil date `(year, month, day)` of `z` days since 1970-01-01. Hinnant's `civil_from_days`.
/// Exact for every `z` whose year fits an `i64` (callers pass at most ~1.1e11 days).
pub(crate) const fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097; // [0, 146096]
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // [0, 399]
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // [0, 365]
    let mp = (5 * doy + 2) / 153; // [0, 11]
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32; // [1, 31]
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32; // [1, 12]
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// First second of 1970 (the Unix epoch).
const MIN_RFC3339_SECS: i64 = 0;
/// Last second of 9999-12-31.
const MAX_RFC3339_SECS: i64 = days_from_civil(10_000, 1, 1) * SECS_PER_DAY - 1;

/// RFC 3339 UTC with seconds precision, e.g. `2025-08-19T15:00:00Z` (for `resets_at`).
///
/// `None` when `epoch_secs` lies outside years 1970..=9999.
pub fn rfc3339_seconds(epoch_secs: i64) -> Option<String> {
    if !(MIN_RFC3339_SECS..=MAX_RFC3339_SECS).contains(&epoch_secs) {
        return None;
    }
    let days = epoch_secs.div_euclid(SECS_PER_DAY);
    let sod = epoch_secs.rem_euclid(SECS_PER_DAY);
    let (y, m, d) = civil_from_days(days);
    Some(format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        sod / 3600,
        sod % 3600 / 60,
        sod % 60
    ))
}

/// What JavaScript's `new Date(ms).toISOString()` prints, e.g. `2026-03-13T17:36:00.123Z` (for
/// event timestamps); `epoch_ms` is milliseconds since the Unix epoch.
///
/// Callers pass wall-clock times (years 1970..=9999). Outside years 0..=9999 the output follows
/// JavaScript's expanded-year form (`+010000-01-01T00:00:00.000Z`, `-000001-…`) instead of
/// failing; it never panics, for any `i64`.
pub fn iso_millis(epoch_ms: i64) -> String {
    let days = epoch_ms.div_euclid(MS_PER_DAY);
    let msod = epoch_ms.rem_euclid(MS_PER_DAY);
    let (y, m, d) = civil_from_days(days);
    let (h, mi, s, ms) = (
        msod / 3_600_000,
        msod % 3_600_000 / 60_000,
        msod % 60_000 / 1000,
        msod % 1000,
    );
    if (0..=9999).contains(&y) {
        format!("{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{ms:03}Z")
    } else {
        let sign = if y < 0 { '-' } else { '+' };
        let abs = y.unsigned_abs();
        format!("{sign}{abs:06}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{ms:03}Z")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_seconds() {
        let cases = [
            (0, "1970-01-01T00:00:00Z"),
            (1_755_615_600, "2025-08-19T15:00:00Z"),
            (1_762_952_400, "2025-11-12T13:00:00Z"),
            (1_775_317_531, "2026-04-04T15:45:31Z"),
            (951_782_400, "2000-02-29T00:00:00Z"), // leap day of a /400 year
            (951_868_799, "2000-02-29T23:59:59Z"),
            (951_868_800, "2000-03-01T00:00:00Z"),
            (1_709_164_800, "2024-02-29T00:00:00Z"), // ordinary leap year
            (1_709_251_200, "2024-03-01T00:00:00Z"),
            (4_107_542_400, "2100-03-01T00:00:00Z"), // 2100 is not a leap year
            (4_107_456_000, "2100-02-28T00:00:00Z"),
            (1_735_689_599, "2024-12-31T23:59:59Z"), // day 366 of a leap year
            (253_402_300_799, "9999-12-31T23:59:59Z"),
        ];
        for (secs, want) in cases {
            assert_eq!(rfc3339_seconds(secs).as_deref(), Some(want), "{secs}");
        }
    }

    #[test]
    fn out_of_range_seconds() {
        assert_eq!(rfc3339_seconds(-1), None);
        assert_eq!(rfc3339_seconds(253_402_300_800), None);
        assert_eq!(rfc3339_seconds(i64::MIN), None);
        assert_eq!(rfc3339_seconds(i64::MAX), None);
    }

    #[test]
    fn known_millis() {
        let cases = [
            (0, "1970-01-01T00:00:00.000Z"),
            (1_773_423_360_123, "2026-03-13T17:36:00.123Z"),
            (1_709_164_800_001, "2024-02-29T00:00:00.001Z"),
            (951_868_799_999, "2000-02-29T23:59:59.999Z"),
            (253_402_300_799_999, "9999-12-31T23:59:59.999Z"),
            // JavaScript's expanded years (never produced by a wall clock, but total):
            (253_402_300_800_000, "+010000-01-01T00:00:00.000Z"),
            (-1, "1969-12-31T23:59:59.999Z"),
            (-62_198_755_200_000, "-000001-01-01T00:00:00.000Z"),
        ];
        for (ms, want) in cases {
            assert_eq!(iso_millis(ms), want, "{ms}");
        }
        // Total on the whole domain.
        let _ = iso_millis(i64::MIN);
        let _ = iso_millis(i64::MAX);
    }

    #[test]
    fn civil_round_trip_and_leap_years() {
        // Every day from 1900 to 2500 round-trips and advances by exactly one day.
        let start = days_from_civil(1900, 1, 1);
        let end = days_from_civil(2500, 1, 1);
        let mut prev = civil_from_days(start - 1);
        for z in start..end {
            let (y, m, d) = civil_from_days(z);
            assert_eq!(days_from_civil(y, m, d), z);
            assert!((1..=12).contains(&m) && (1..=31).contains(&d));
            if d != 1 {
                assert_eq!((y, m, d - 1), prev);
            }
            prev = (y, m, d);
        }
        let is_leap = |y: i64| (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        for y in [1900, 1996, 2000, 2023, 2024, 2100, 2400] {
            let feb_days = days_from_civil(y, 3, 1) - days_from_civil(y, 2, 1);
            assert_eq!(feb_days, if is_leap(y) { 29 } else { 28 }, "{y}");
        }
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(MAX_RFC3339_SECS, 253_402_300_799);
    }
}
