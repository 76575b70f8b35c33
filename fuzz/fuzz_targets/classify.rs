#![no_main]
//! SDK result fields → `classify::classify` with a planted secret. Properties: nothing panics;
//! a result is an error exactly when `is_error` or `subtype != "success"` (SPEC §2); the message
//! is at most 500 code points and never contains the secret; `error_detail` is snake_case;
//! `resets_at` is an RFC 3339 UTC timestamp.
//!
//! Input: 4 control bytes, then text parts separated by U+001F: secret candidate, subtype,
//! result, errors… Control byte 0: bit 0 `is_error`; bits 1–3 the subtype (0 none, 1–6 the
//! SDK's subtypes, 7 the subtype part); bit 4 an empty result part means no `result`; bits 5–6
//! where the secret is planted (none, result, first error, result and every error); bit 7 also
//! in the subtype. Bytes 1–2: planting positions; byte 3: which known secret when the candidate
//! is unusable.

use cyrus_telemetry::classify::{self, ResultMessage};
use cyrus_telemetry::scrub::Secrets;
use cyrus_telemetry_fuzz::{is_rfc3339_utc, plant, secret_from, split_control, PART_SEPARATOR};
use libfuzzer_sys::fuzz_target;

const SUBTYPES: [&str; 6] = [
    "success",
    "error_max_turns",
    "error_during_execution",
    "error_max_budget_usd",
    "error_max_structured_output_retries",
    "",
];
const MAX_MESSAGE_CHARS: usize = 500;

fuzz_target!(|data: &[u8]| {
    let ([flags, result_at, errors_at, selector], rest) = split_control::<4>(data);
    let text = String::from_utf8_lossy(rest);
    let mut parts = text.split(PART_SEPARATOR);
    let secret = secret_from(parts.next().unwrap_or_default(), selector);
    let subtype_part = parts.next().unwrap_or_default();
    let result_part = parts.next().unwrap_or_default();
    let error_parts: Vec<&str> = parts.collect();

    let plant_mode = (flags >> 5) & 0b11;
    let planted = |text: &str, wanted: bool, at: u8| {
        if wanted {
            plant(text, &secret, at)
        } else {
            text.to_owned()
        }
    };
    let mut message = ResultMessage::default();
    message.is_error = flags & 1 == 1;
    message.subtype = match (flags >> 1) & 0b111 {
        0 => None,
        7 => Some(planted(subtype_part, flags & 0x80 != 0, result_at)),
        index => Some(SUBTYPES[usize::from(index) - 1].to_owned()),
    };
    message.result = (!(result_part.is_empty() && flags & 0x10 != 0))
        .then(|| planted(result_part, plant_mode & 1 == 1, result_at));
    message.errors = error_parts
        .iter()
        .enumerate()
        .map(|(index, error)| {
            let wanted = plant_mode == 3 || (plant_mode == 2 && index == 0);
            planted(error, wanted, errors_at)
        })
        .collect();

    let expected_error = message.is_error || message.subtype.as_deref() != Some("success");
    let classified = classify::classify(&message, &Secrets::new([&secret]));
    assert_eq!(classified.is_some(), expected_error, "{message:?}");
    let Some(classification) = classified else {
        return;
    };
    let text = &classification.message;
    assert!(
        text.chars().count() <= MAX_MESSAGE_CHARS,
        "message of {} code points",
        text.chars().count()
    );
    assert!(
        !text.contains(&secret),
        "secret {secret:?} left in {text:?}"
    );
    let detail = classification.detail;
    assert!(
        !detail.is_empty()
            && detail
                .bytes()
                .all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'_'),
        "error_detail {detail:?} is not snake_case"
    );
    if let Some(resets_at) = &classification.resets_at {
        assert!(is_rfc3339_utc(resets_at), "resets_at {resets_at:?}");
    }
});
