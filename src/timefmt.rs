//! The two timestamp forms the wire format uses, both RFC 3339 UTC, written by `humantime`:
//! - `resets_at`, to the second (`2025-08-19T15:00:00Z`), from an epoch in seconds found in a
//!   provider's error text ([`rfc3339_seconds`]);
//! - the event `timestamp`, to the millisecond, exactly what JavaScript's `toISOString()` prints
//!   for a wall-clock time (`2026-03-13T17:36:00.123Z`) ([`iso_millis`]).
//!
//! `humantime` formats years 1970..=9999 and fails outside them, so both check the range first.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Last second of 9999-12-31, the last instant RFC 3339 (four-digit years) can write.
const MAX_SECS: u64 = 253_402_300_799;

fn instant(secs: u64, millis: u64) -> Option<SystemTime> {
    (secs <= MAX_SECS)
        .then(|| UNIX_EPOCH + Duration::from_secs(secs) + Duration::from_millis(millis))
}

/// RFC 3339 UTC with seconds precision, e.g. `2025-08-19T15:00:00Z` (for `resets_at`).
///
/// `None` when `epoch_secs` lies outside years 1970..=9999.
pub fn rfc3339_seconds(epoch_secs: i64) -> Option<String> {
    let at = instant(u64::try_from(epoch_secs).ok()?, 0)?;
    Some(humantime::format_rfc3339_seconds(at).to_string())
}

/// RFC 3339 UTC with milliseconds, e.g. `2026-03-13T17:36:00.123Z` (the event `timestamp`);
/// `epoch_ms` is milliseconds since the Unix epoch. A clock outside years 1970..=9999 (never a
/// real wall clock) is clamped into that range, so the field is always valid RFC 3339.
pub fn iso_millis(epoch_ms: i64) -> String {
    let epoch_ms = u64::try_from(epoch_ms)
        .unwrap_or(0)
        .min(MAX_SECS * 1000 + 999);
    let at = instant(epoch_ms / 1000, epoch_ms % 1000).unwrap_or(UNIX_EPOCH);
    humantime::format_rfc3339_millis(at).to_string()
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
            // Outside the range RFC 3339 can write: clamped, never a panic.
            (253_402_300_800_000, "9999-12-31T23:59:59.999Z"),
            (i64::MAX, "9999-12-31T23:59:59.999Z"),
            (-1, "1970-01-01T00:00:00.000Z"),
            (i64::MIN, "1970-01-01T00:00:00.000Z"),
        ];
        for (ms, want) in cases {
            assert_eq!(iso_millis(ms), want, "{ms}");
        }
    }
}
