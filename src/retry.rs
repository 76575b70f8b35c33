//! What is retried and when (README, "Behaviour"): the verdict on a status, exponential backoff with
//! jitter, and `Retry-After` as a clamped minimum.

use std::time::{Duration, SystemTime};

/// Why an event finally failed, or why an attempt may be retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// A final or retryable HTTP status (3xx, 4xx, 5xx).
    Http(u16),
    /// The attempt's deadline passed (connect, request, status and headers).
    Timeout,
    /// Connection refused or reset, DNS, TLS and other transport errors.
    Network,
}

/// The result of one attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attempt {
    Delivered,
    Retry {
        failure: Failure,
        retry_after: Option<Duration>,
    },
    Final(Failure),
}

/// Maps a response status (and its `Retry-After`) to an attempt result.
pub fn judge_status(status: u16, retry_after: Option<Duration>) -> Attempt {
    match status {
        200..=299 => Attempt::Delivered,
        408 | 429 | 500 | 502 | 503 | 504 => Attempt::Retry {
            failure: Failure::Http(status),
            retry_after,
        },
        _ => Attempt::Final(Failure::Http(status)),
    }
}

/// Retry timing: exponential backoff with ±20 % jitter, `Retry-After` as a clamped minimum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    pub max_attempts: u32,
    pub backoff_base: Duration,
    pub backoff_max: Duration,
    pub retry_after_max: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 4,
            backoff_base: Duration::from_secs(1),
            backoff_max: Duration::from_secs(30),
            retry_after_max: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// The wait after failed attempt number `attempt` (1-based):
    /// `max(backoff, min(retry_after, retry_after_max))`, where backoff is
    /// `min(base × 2^(attempt−1), max)` scaled by `jitter` (a factor in 0.8..=1.2).
    pub fn delay(&self, attempt: u32, retry_after: Option<Duration>, jitter: f64) -> Duration {
        let exponent = attempt.saturating_sub(1).min(30);
        let backoff = self
            .backoff_base
            .saturating_mul(1u32 << exponent)
            .min(self.backoff_max)
            .mul_f64(jitter.clamp(0.8, 1.2));
        let floor = retry_after.map_or(Duration::ZERO, |wait| wait.min(self.retry_after_max));
        backoff.max(floor)
    }

    /// A jitter factor drawn uniformly from 0.8..=1.2.
    pub fn random_jitter() -> f64 {
        rand::random_range(0.8..=1.2)
    }
}

/// `Retry-After` as delay-seconds or an HTTP date (RFC 9110 §10.2.3); None when unreadable.
/// A date in the past means "now".
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        // Absurdly long digit strings saturate instead of failing.
        return Some(Duration::from_secs(
            value.parse::<u64>().unwrap_or(u64::MAX),
        ));
    }
    let date = httpdate::parse_http_date(value).ok()?;
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses() {
        for status in [200, 201, 202, 204, 299] {
            assert_eq!(judge_status(status, None), Attempt::Delivered, "{status}");
        }
        for status in [408, 429, 500, 502, 503, 504] {
            assert!(
                matches!(judge_status(status, None), Attempt::Retry { .. }),
                "{status}"
            );
        }
        for status in [
            301, 302, 307, 308, 400, 401, 403, 404, 409, 410, 413, 422, 501, 505, 511,
        ] {
            assert_eq!(
                judge_status(status, None),
                Attempt::Final(Failure::Http(status)),
                "{status}"
            );
        }
    }

    #[test]
    fn backoff_doubles_and_caps() {
        let policy = RetryPolicy::default();
        let secs = |attempt| policy.delay(attempt, None, 1.0).as_secs_f64();
        assert_eq!(
            [secs(1), secs(2), secs(3), secs(4), secs(5), secs(6)],
            [1.0, 2.0, 4.0, 8.0, 16.0, 30.0]
        );
        assert_eq!(secs(40), 30.0);
    }

    #[test]
    fn jitter_stays_within_twenty_percent() {
        let policy = RetryPolicy::default();
        assert_eq!(policy.delay(2, None, 0.8), Duration::from_millis(1600));
        assert_eq!(policy.delay(2, None, 1.2), Duration::from_millis(2400));
        assert_eq!(policy.delay(2, None, 5.0), Duration::from_millis(2400));
        for _ in 0..1000 {
            let jitter = RetryPolicy::random_jitter();
            assert!((0.8..=1.2).contains(&jitter), "{jitter}");
        }
    }

    #[test]
    fn retry_after_is_a_clamped_minimum() {
        let policy = RetryPolicy::default();
        let wait = |attempt, retry_after: u64| {
            policy.delay(attempt, Some(Duration::from_secs(retry_after)), 1.0)
        };
        assert_eq!(wait(1, 5), Duration::from_secs(5));
        assert_eq!(wait(3, 1), Duration::from_secs(4));
        assert_eq!(wait(1, 3600), Duration::from_secs(60));
        let custom = RetryPolicy {
            retry_after_max: Duration::from_millis(300),
            ..policy
        };
        assert_eq!(
            custom.delay(1, Some(Duration::from_secs(9)), 1.0),
            Duration::from_secs(1)
        );
    }

    #[test]
    fn retry_after_parsing() {
        let now = httpdate::parse_http_date("Wed, 21 Oct 2015 07:28:00 GMT").unwrap();
        assert_eq!(
            parse_retry_after("120", now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(parse_retry_after(" 0 ", now), Some(Duration::ZERO));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(
            parse_retry_after("99999999999999999999999", now),
            Some(Duration::from_secs(u64::MAX))
        );
        for bad in ["", "-1", "1.5", "soon", "Wed, 99 Foo 2015"] {
            assert_eq!(parse_retry_after(bad, now), None, "{bad:?}");
        }
    }
}
