//! Helpers shared by the fuzz targets: how raw fuzzer bytes become structured inputs, and the
//! planted secrets whose absence the targets assert.
//!
//! Inputs are laid out as a few control bytes followed by text, so that the seed corpus (plain
//! message texts from `__test__/fixtures/classification/fixtures.jsonl`, see `seed.sh`) maps onto
//! meaningful inputs instead of random structure.

/// Separates the parts of a text input (secret, result, errors …): ASCII "unit separator".
pub const PART_SEPARATOR: char = '\u{1f}';

/// Shortest secret the targets plant. Anything shorter could be spelled by the redaction marker
/// itself (`[REDACTED]` is 10 characters), which would make "the secret is absent" unfalsifiable.
pub const MIN_SECRET_LEN: usize = 12;

/// Realistic callback tokens, used when the fuzzer's own secret part is unusable.
pub const KNOWN_SECRETS: [&str; 4] = [
    "cyt_7f3K9qLm2xVb8RzT4wYpQ1",
    "0f8e2c1d-4b7a-4e2f-9c3d-5a6b7c8d9e0f",
    "sk-ant-api03-Zq7SECRETtokAbCdEfGhIjKlMnOp",
    "eyJhbGciOiJIUzI1NiJ9.eyJ0ZWFtIjoidCJ9.c2lnbmF0dXJl",
];

/// Splits `data` into `N` control bytes (zero-padded when the input is short) and the rest.
pub fn split_control<const N: usize>(data: &[u8]) -> ([u8; N], &[u8]) {
    let mut control = [0u8; N];
    let taken = data.len().min(N);
    control[..taken].copy_from_slice(&data[..taken]);
    (control, &data[taken..])
}

/// The secret a callback token can be: visible ASCII that `scrub::redactable` admits (what
/// `context::validate` admits; a token with brackets could re-form around the marker), at least
/// [`MIN_SECRET_LEN`] long. Uses `candidate` when it qualifies, else a known token picked by
/// `selector`.
pub fn secret_from(candidate: &str, selector: u8) -> String {
    let usable = candidate.len() >= MIN_SECRET_LEN
        && candidate.len() <= 4096
        && candidate.bytes().all(|byte| byte.is_ascii_graphic())
        && cyrus_telemetry::scrub::redactable(candidate);
    if usable {
        candidate.to_owned()
    } else {
        KNOWN_SECRETS[usize::from(selector) % KNOWN_SECRETS.len()].to_owned()
    }
}

/// Inserts `secret` into `text` at the character position `fraction`/255 of the way along
/// (always on a character boundary).
pub fn plant(text: &str, secret: &str, fraction: u8) -> String {
    let chars = text.chars().count();
    let position = chars * usize::from(fraction) / 255;
    let byte_index = text
        .char_indices()
        .nth(position)
        .map_or(text.len(), |(index, _)| index);
    let mut planted = String::with_capacity(text.len() + secret.len());
    planted.push_str(&text[..byte_index]);
    planted.push_str(secret);
    planted.push_str(&text[byte_index..]);
    planted
}

/// `YYYY-MM-DDTHH:MM:SSZ`, optionally with a fraction: the RFC 3339 UTC form SPEC §2 requires
/// for `resets_at` (four-digit year; RFC 3339 has no other).
pub fn is_rfc3339_utc(text: &str) -> bool {
    let bytes = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| bytes[range].iter().all(u8::is_ascii_digit);
    if bytes.len() < 20 || !text.is_ascii() || !text.ends_with('Z') {
        return false;
    }
    let fraction = &bytes[19..bytes.len() - 1];
    digits(0..4)
        && bytes[4] == b'-'
        && digits(5..7)
        && bytes[7] == b'-'
        && digits(8..10)
        && bytes[10] == b'T'
        && digits(11..13)
        && bytes[13] == b':'
        && digits(14..16)
        && bytes[16] == b':'
        && digits(17..19)
        && (fraction.is_empty()
            || (fraction.len() >= 2
                && fraction[0] == b'.'
                && fraction[1..].iter().all(u8::is_ascii_digit)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plant_respects_character_boundaries() {
        assert_eq!(plant("héllo", "XX", 0), "XXhéllo");
        assert_eq!(plant("héllo", "XX", 255), "hélloXX");
        assert_eq!(plant("héllo", "XX", 102), "héXXllo");
    }

    #[test]
    fn rfc3339_shape() {
        assert!(is_rfc3339_utc("2025-08-19T15:00:00Z"));
        assert!(is_rfc3339_utc("2025-08-19T15:00:00.123Z"));
        assert!(!is_rfc3339_utc("+20000-08-19T15:00:00Z"));
        assert!(!is_rfc3339_utc("2025-08-19 15:00:00Z"));
        assert!(!is_rfc3339_utc("2025-08-19T15:00:00.Z"));
    }
}
