//! The message builder: `error_message` from the result message — its text (errors, result or
//! subtype), scrubbed with the candidates the scan found, then cut to [`MESSAGE_MAX_CHARS`]
//! Unicode scalar values.

use std::borrow::Cow;

use super::{ResultMessage, MESSAGE_MAX_CHARS, SCRUB_WINDOW_BYTES};
use crate::scrub::{scrub, scrub_prescanned, Candidates, Secrets};

/// When the message text is longer than the scrub window, this many bytes at the end of the
/// scrubbed window are dropped (or the longest literal secret + 16 if that is more), because a
/// secret cut by the window edge could survive as a fragment there. (Longer fragments of family
/// credentials are redacted anyway — each family also matches a cut-off credential — except a
/// `user:password` of more than 512 bytes whose `@` is cut off.) This only shortens the message
/// when redactions removed most of the 14 KiB window.
const UNSAFE_TAIL_BYTES: usize = 512;

/// Largest char boundary of `s` at or below `i`.
fn floor_boundary(s: &str, i: usize) -> usize {
    if i >= s.len() {
        return s.len();
    }
    let mut boundary = i;
    while !s.is_char_boundary(boundary) {
        boundary -= 1;
    }
    boundary
}

/// A UTF-8 continuation byte (`10xxxxxx`): every other byte starts a character.
fn is_continuation(byte: u8) -> bool {
    byte & 0xC0 == 0x80
}

/// Characters starting in `block`: its bytes that are not continuation bytes, counted eight at
/// a time (a byte starts a character when its top bit is clear or its next bit is set).
fn char_starts(block: &[u8]) -> usize {
    const LOW_BITS: u64 = 0x0101_0101_0101_0101;
    let mut words = block.chunks_exact(8);
    let mut starts = 0;
    for word in &mut words {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(word);
        let w = u64::from_le_bytes(bytes);
        let flags = ((!w >> 7) | (w >> 6)) & LOW_BITS;
        // The sum of the eight 0/1 flags, gathered in the top byte.
        starts += (flags.wrapping_mul(LOW_BITS) >> 56) as usize;
    }
    starts
        + words
            .remainder()
            .iter()
            .filter(|&&byte| !is_continuation(byte))
            .count()
}

/// The first `max` Unicode scalar values of `s`. Multi-byte text is counted 64 bytes at a time
/// ([`char_starts`]) up to the block holding character number `max`, then byte by byte: about a
/// fifth of what walking `chars()` costs on Chinese text.
pub(super) fn first_chars(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let bytes = s.as_bytes();
    if bytes[..max].is_ascii() {
        return &s[..max];
    }
    let (mut chars, mut at) = (0, 0);
    for block in bytes.chunks(64) {
        let starts = char_starts(block);
        if chars + starts > max {
            break;
        }
        chars += starts;
        at += block.len();
    }
    for (offset, &byte) in bytes[at..].iter().enumerate() {
        if !is_continuation(byte) {
            if chars == max {
                return &s[..at + offset];
            }
            chars += 1;
        }
    }
    s
}

/// Which text `error_message` is made of: `errors` joined with `"; "` when that is non-empty,
/// else `result` when non-empty, else `subtype`, else `"unknown error"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum MessageSource {
    Errors,
    Result,
    Other,
}

impl MessageSource {
    pub(super) fn of(msg: &ResultMessage) -> MessageSource {
        match msg.errors.as_slice() {
            [] => {}
            [one] if one.is_empty() => {}
            _ => return MessageSource::Errors,
        }
        match msg.result.as_deref() {
            Some(result) if !result.is_empty() => MessageSource::Result,
            _ => MessageSource::Other,
        }
    }
}

/// The message text, at most [`SCRUB_WINDOW_BYTES`] of it (joined into `buf` when there are
/// several errors; a single text is not copied), and the length of the whole text.
fn message_window<'a>(
    msg: &'a ResultMessage,
    source: MessageSource,
    buf: &'a mut String,
) -> (&'a str, usize) {
    let (text, total) = match (source, msg.errors.as_slice()) {
        (MessageSource::Errors, [one]) => (one.as_str(), one.len()),
        (MessageSource::Errors, many) => {
            let total = many
                .iter()
                .fold(2 * many.len().saturating_sub(1), |length, error| {
                    length.saturating_add(error.len())
                });
            buf.reserve(total.min(SCRUB_WINDOW_BYTES));
            for (index, error) in many.iter().enumerate() {
                for part in [if index == 0 { "" } else { "; " }, error.as_str()] {
                    let room = SCRUB_WINDOW_BYTES - buf.len();
                    buf.push_str(&part[..floor_boundary(part, room)]);
                }
                if buf.len() >= SCRUB_WINDOW_BYTES {
                    break;
                }
            }
            (buf.as_str(), total)
        }
        (MessageSource::Result, _) => {
            let result = msg.result.as_deref().unwrap_or_default();
            (result, result.len())
        }
        (MessageSource::Other, _) => {
            let subtype = msg
                .subtype
                .as_deref()
                .filter(|subtype| !subtype.is_empty())
                .unwrap_or("unknown error");
            (subtype, subtype.len())
        }
    };
    (&text[..floor_boundary(text, SCRUB_WINDOW_BYTES)], total)
}

/// `error_message`: the message text ([`MessageSource`]), scrubbed, then cut to
/// [`MESSAGE_MAX_CHARS`]. Only the first [`SCRUB_WINDOW_BYTES`] are scrubbed; scrubbing comes
/// before the cut, so no secret is cut in two by it. `candidates`: the scrub candidates that the
/// classification scan found in the message text (errors and result sources).
pub(super) fn error_message(
    msg: &ResultMessage,
    source: MessageSource,
    secrets: &Secrets,
    candidates: &mut Candidates,
) -> String {
    let mut buf = String::new();
    let (window, total) = message_window(msg, source, &mut buf);
    let whole = total <= window.len();
    // Bytes of scrubbed output that can hold MESSAGE_MAX_CHARS chars; only needed when the whole
    // text is in the window (else the unsafe tail must be measured on the full scrubbed window).
    let limit = if whole {
        4 * MESSAGE_MAX_CHARS
    } else {
        usize::MAX
    };
    let scrubbed = scrub_window(window, source, secrets, candidates, limit);
    cut(scrubbed, whole, secrets)
}

/// The message of an event held before any callback context: scrubbed of everything but the
/// token (not known yet) and not cut, so that when the token arrives it is scrubbed first and
/// the message cut after — a token that would straddle the cut is never sent in part. At most
/// [`SCRUB_WINDOW_BYTES`] of text.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UncutMessage {
    text: String,
    /// The text is the whole message, not its first [`SCRUB_WINDOW_BYTES`].
    whole: bool,
}

impl UncutMessage {
    /// The `error_message`: `secrets` scrubbed too, then cut to [`MESSAGE_MAX_CHARS`].
    pub fn finish(&self, secrets: &Secrets) -> String {
        cut(scrub(&self.text, secrets), self.whole, secrets)
    }
}

pub(super) fn uncut_message(
    msg: &ResultMessage,
    source: MessageSource,
    candidates: &mut Candidates,
) -> UncutMessage {
    let mut buf = String::new();
    let (window, total) = message_window(msg, source, &mut buf);
    UncutMessage {
        whole: total <= window.len(),
        text: scrub_window(window, source, &Secrets::none(), candidates, usize::MAX).into_owned(),
    }
}

fn scrub_window<'a>(
    window: &'a str,
    source: MessageSource,
    secrets: &Secrets,
    candidates: &mut Candidates,
    limit: usize,
) -> Cow<'a, str> {
    match source {
        MessageSource::Other => scrub(window, secrets),
        _ => scrub_prescanned(window, secrets, candidates, limit),
    }
}

/// Cuts a scrubbed message to [`MESSAGE_MAX_CHARS`]. `whole`: the scrubbed text is all of the
/// message; if not, the window cut the text, and a secret cut in two at the window edge could
/// survive as a fragment at its end: that tail goes first.
fn cut(scrubbed: Cow<'_, str>, whole: bool, secrets: &Secrets) -> String {
    let mut usable = scrubbed.len();
    if !whole {
        let tail = UNSAFE_TAIL_BYTES.max(secrets.longest() + 16);
        usable = floor_boundary(&scrubbed, usable.saturating_sub(tail));
    }
    let end = first_chars(&scrubbed[..usable], MESSAGE_MAX_CHARS).len();
    match scrubbed {
        Cow::Owned(mut message) => {
            message.truncate(end);
            // Usually already small (`limit`); not so after a literal secret or a long text.
            if message.capacity() > 4 * MESSAGE_MAX_CHARS + 64 {
                message.shrink_to_fit();
            }
            message
        }
        Cow::Borrowed(text) => text[..end].to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::super::{classify, classify_uncut, ResultMessage, MESSAGE_MAX_CHARS};
    use crate::proptest_cases as cases;
    use crate::scrub::Secrets;
    use proptest::prelude::*;

    const TOKEN: &str = "cb-tok/8Kq2+Zx7mN4pR";

    fn result(errors: Vec<String>) -> ResultMessage {
        ResultMessage {
            subtype: Some("error_during_execution".into()),
            is_error: true,
            result: None,
            errors,
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(cases(300)))]

        /// Wherever the token stands (across the cut, past the scrub window, several times),
        /// a held message finished with it keeps no 6-character piece of it, and ends like the
        /// message of an event reported with the token known.
        #[test]
        fn a_held_message_never_keeps_part_of_the_token(
            before in 0usize..20_000,
            after in "[a-z ]{0,40}",
            repeat in 1usize..3,
        ) {
            let text = format!("{}{}{after}", "x".repeat(before), TOKEN.repeat(repeat));
            let msg = result(vec![text]);
            let (_, uncut) = classify_uncut(&msg).expect("an error"); // ok: test code
            let secrets = Secrets::new([TOKEN]);
            let finished = uncut.finish(&secrets);
            prop_assert!(finished.chars().count() <= MESSAGE_MAX_CHARS);
            for piece in TOKEN.as_bytes().windows(6) {
                let piece = std::str::from_utf8(piece).expect("ASCII"); // ok: test code
                prop_assert!(!finished.contains(piece), "{piece} in {finished}");
            }
            let known = classify(&msg, &secrets).expect("an error").message; // ok: test code
            prop_assert_eq!(finished, known);
        }
    }
}
