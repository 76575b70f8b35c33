#![no_main]
//! `Retry-After` values → `retry::parse_retry_after`, then `RetryPolicy::delay` with any
//! in-range options. Properties: nothing panics or overflows; delay-seconds parse exactly
//! (saturating); an HTTP date never lies beyond 9999-12-31; the wait is
//! `max(backoff, min(Retry-After, retryAfterMaxMs))` with the backoff capped by `backoffMaxMs`
//! (±20 % jitter).
//!
//! Input: 20 control bytes (the clock: seconds since 1970; attempt; backoff base, cap and
//! Retry-After clamp in ms, each within the option's range; jitter), then the header value.

use cyrus_telemetry::retry::{parse_retry_after, RetryPolicy};
use cyrus_telemetry_fuzz::split_control;
use libfuzzer_sys::fuzz_target;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Option ceiling for times (one hour), as `configure` enforces it.
const MAX_OPTION_MS: u64 = 3_600_000;
/// 9999-12-31T23:59:59Z + 1 s: the end of what an HTTP date can express.
const END_OF_HTTP_DATES: u64 = 253_402_300_800;

fn option_ms(bytes: &[u8]) -> Duration {
    let value = bytes
        .iter()
        .fold(0u64, |acc, byte| acc << 8 | u64::from(*byte));
    Duration::from_millis(value % (MAX_OPTION_MS + 1))
}

fuzz_target!(|data: &[u8]| {
    let (control, rest) = split_control::<20>(data);
    let value = String::from_utf8_lossy(rest);
    let clock_secs =
        u64::from_le_bytes(control[0..8].try_into().expect("8 bytes")) % END_OF_HTTP_DATES;
    let now = UNIX_EPOCH + Duration::from_secs(clock_secs);
    let attempt = u32::from(control[8] % 100) + 1;
    let policy = RetryPolicy {
        max_attempts: 100,
        backoff_base: option_ms(&control[9..12]),
        backoff_max: option_ms(&control[12..15]),
        retry_after_max: option_ms(&control[15..18]),
    };
    let jitter = 0.8 + 0.4 * f64::from(u16::from_le_bytes([control[18], control[19]])) / 65535.0;

    let parsed = parse_retry_after(&value, now);
    let trimmed = value.trim();
    if !trimmed.is_empty() && trimmed.bytes().all(|byte| byte.is_ascii_digit()) {
        let expected = trimmed.parse::<u64>().unwrap_or(u64::MAX);
        assert_eq!(parsed, Some(Duration::from_secs(expected)), "{value:?}");
    } else if let Some(wait) = parsed {
        let until_end = END_OF_HTTP_DATES - clock_secs;
        assert!(wait.as_secs() <= until_end, "{value:?} parsed as {wait:?}");
        assert!(SystemTime::checked_add(&now, wait).is_some());
    }

    let delay = policy.delay(attempt, parsed, jitter);
    let floor = parsed.map_or(Duration::ZERO, |wait| wait.min(policy.retry_after_max));
    assert!(
        delay >= floor,
        "{delay:?} below the Retry-After floor {floor:?}"
    );
    let ceiling = policy.backoff_max.mul_f64(1.2).max(floor) + Duration::from_micros(1);
    assert!(delay <= ceiling, "{delay:?} above {ceiling:?}");
});
