//! How much of the caller's values the package entry (`read.cjs`) reads at most, so that the
//! JavaScript thread does bounded work for any input. The binding hands these to the entry at
//! load (`__readingRules()`); they are written nowhere else.
//!
//! Arrays and objects are read up to a cap (what lies beyond is not looked at, a documented
//! limit). Strings are cut to what is used, which never changes an outcome: the tests below
//! cut texts and ids exactly as the entry does and compare with the whole ones.

use crate::classify::{CLASSIFY_WINDOW_BYTES, SCRUB_WINDOW_BYTES};
use crate::event::MAX_ID_CHARS;

/// The texts the classifier and the message read (`subtype`, `result`, each entry of `errors`)
/// are cut to this many UTF-16 units, or one more to keep a surrogate pair whole. Every unit is
/// at least one byte of UTF-8, so that is at least the [`CLASSIFY_WINDOW_BYTES`] the scan reads
/// (the message reads fewer, [`SCRUB_WINDOW_BYTES`]), and a cut text is still longer than both
/// whenever the whole one is.
pub const TEXT_UNITS: usize = CLASSIFY_WINDOW_BYTES;
const _: () = assert!(SCRUB_WINDOW_BYTES <= CLASSIFY_WINDOW_BYTES);

/// Ids (`sessionId`, `issueId`, `issueIdentifier`) are cut to this many UTF-16 units: at least
/// the [`MAX_ID_CHARS`] code points an event keeps of them.
pub const ID_UNITS: usize = 2 * MAX_ID_CHARS;

/// Entries of `errors` read at most; later ones are not looked at, whatever they hold.
pub const MAX_ERROR_ENTRIES: usize = 10_000;

/// Entries of `allowedHosts` read at most.
pub const MAX_HOST_PATTERNS: usize = 10_000;

/// Keys of a headers object read at most; an object with more is refused unread.
pub const MAX_HEADER_KEYS: usize = 10_000;

/// Values of one repeated header read at most (Node delivers a handful); more is refused.
pub const MAX_HEADER_VALUES: usize = 1_000;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::{classify, classify_uncut, Classification, ErrorType, ResultMessage};
    use crate::event::{Event, SessionInfo};
    use crate::proptest_cases as cases;
    use crate::scrub::Secrets;
    use proptest::prelude::*;

    /// `text` as the entry cuts it (`cut` in read.cjs), and as Node then converts it to UTF-8:
    /// a surrogate left alone becomes U+FFFD.
    fn cut_as_the_entry_does(text: &str, units: usize) -> String {
        let utf16: Vec<u16> = text.encode_utf16().collect();
        if utf16.len() <= units {
            return text.to_owned();
        }
        let end = if (0xD800..=0xDBFF).contains(&utf16[units - 1]) {
            units + 1
        } else {
            units
        };
        String::from_utf16_lossy(&utf16[..end.min(utf16.len())])
    }

    fn cut_message(message: &ResultMessage) -> ResultMessage {
        let cut = |text: &String| cut_as_the_entry_does(text, TEXT_UNITS);
        ResultMessage {
            subtype: message.subtype.as_ref().map(cut),
            is_error: message.is_error,
            result: message.result.as_ref().map(cut),
            errors: message.errors.iter().map(cut).collect(),
        }
    }

    /// Texts that cross the cut: ASCII up to about [`TEXT_UNITS`] (one byte a unit, the tightest
    /// case), then a piece that may straddle it, then more.
    fn long_text() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            Just("😀".to_owned()),
            Just("é中".to_owned()),
            Just(" API Error: 429 Too Many Requests".to_owned()),
            Just(" Credit balance is too low".to_owned()),
            Just("Claude AI usage limit reached|1755615600".to_owned()),
            Just(" Bearer tok_5ecret-VALUE.123 sk-ant-api03-AAAAAAAAAAAAAAAAAAAAAAAA".to_owned()),
            Just(" request timed out".to_owned()),
            "[0-9]{1,4}",
        ];
        (
            (TEXT_UNITS - 80)..(TEXT_UNITS + 8),
            prop::collection::vec(piece, 1..4),
            0usize..3000,
        )
            .prop_map(|(filler, pieces, tail)| {
                let mut text = "x".repeat(filler);
                for piece in pieces {
                    text += &piece;
                }
                text + &"😀 y".repeat(tail)
            })
    }

    fn shapes(text: String, short: String) -> [ResultMessage; 4] {
        let error = |result: Option<String>, errors: Vec<String>| ResultMessage {
            subtype: Some("error_during_execution".into()),
            is_error: true,
            result,
            errors,
        };
        [
            error(Some(text.clone()), vec![]),
            error(None, vec![text.clone()]),
            error(Some(short.clone()), vec![short, text.clone()]),
            ResultMessage {
                subtype: Some(text),
                is_error: true,
                result: None,
                errors: vec![],
            },
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(cases(64)))]

        #[test]
        fn a_text_cut_as_the_entry_cuts_it_classifies_as_the_whole_text(
            text in long_text(),
            short in "[a-z 0-9]{0,40}",
        ) {
            let secrets = Secrets::new(["tok_5ecret-VALUE.123"]);
            for whole in shapes(text.clone(), short.clone()) {
                let cut = cut_message(&whole);
                prop_assert_eq!(classify(&cut, &secrets), classify(&whole, &secrets));
                prop_assert_eq!(classify_uncut(&cut), classify_uncut(&whole));
            }
        }

        #[test]
        fn an_id_cut_as_the_entry_cuts_it_is_the_same_in_the_event(
            id in "[a-z😀é]{0,300}",
            padding in 0usize..600,
        ) {
            let whole = format!("{}{id}", "😀".repeat(padding));
            let session = |id: String| SessionInfo {
                session_id: id.clone(),
                created_at_ms: None,
                issue_id: Some(id.clone()),
                issue_identifier: Some(id),
            };
            let classification = Classification {
                error_type: ErrorType::Crash,
                detail: "unknown",
                message: String::new(),
                resets_at: None,
            };
            let event = |id: String| Event::new(session(id), classification.clone());
            let (cut, whole) = (event(cut_as_the_entry_does(&whole, ID_UNITS)), event(whole));
            prop_assert_eq!(&cut.session_id, &whole.session_id);
            prop_assert_eq!(&cut.issue_id, &whole.issue_id);
            prop_assert_eq!(&cut.issue_identifier, &whole.issue_identifier);
        }
    }

    #[test]
    fn the_cut_keeps_a_surrogate_pair_whole() {
        let text = format!("{}😀tail", "x".repeat(TEXT_UNITS - 1));
        assert_eq!(
            cut_as_the_entry_does(&text, TEXT_UNITS),
            format!("{}😀", "x".repeat(TEXT_UNITS - 1))
        );
        assert_eq!(cut_as_the_entry_does("short", TEXT_UNITS), "short");
    }
}
