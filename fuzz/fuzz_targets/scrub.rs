#![no_main]
//! Free text → `scrub::scrub` with planted secrets. Properties: nothing panics; scrubbing is
//! idempotent (`scrub(scrub(x)) == scrub(x)`); no planted secret survives.
//!
//! Input: 4 control bytes, then a secret candidate, U+001F, and the text. Control byte 0 (mod 3):
//! how many secrets are passed (none; the candidate; the candidate and a known token); bytes 1–2:
//! where each is planted; byte 3: which known secret when the candidate is unusable.

use cyrus_telemetry::scrub;
use cyrus_telemetry_fuzz::{plant, secret_from, split_control, KNOWN_SECRETS, PART_SEPARATOR};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let ([count, first_at, second_at, selector], rest) = split_control::<4>(data);
    let input = String::from_utf8_lossy(rest);
    let (candidate, text) = input.split_once(PART_SEPARATOR).unwrap_or(("", &input));
    let first = secret_from(candidate, selector);
    let second = KNOWN_SECRETS[usize::from(selector.wrapping_add(1)) % KNOWN_SECRETS.len()];
    let (secrets, text): (Vec<&str>, String) = match count % 3 {
        0 => (vec![], text.to_owned()),
        1 => (vec![first.as_str()], plant(text, &first, first_at)),
        _ => (
            vec![first.as_str(), second],
            plant(&plant(text, &first, first_at), second, second_at),
        ),
    };

    let prepared = scrub::Secrets::new(&secrets);
    let once = scrub::scrub(&text, &prepared);
    let twice = scrub::scrub(&once, &prepared);
    assert_eq!(once, twice, "scrubbing is not idempotent");
    for secret in &secrets {
        assert!(!once.contains(secret), "secret {secret:?} left in {once:?}");
    }
});
