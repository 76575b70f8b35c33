//! The scanner: one pass of the needle automaton (`crate::needles`) over the text finds the
//! signals of the table (`super::signals`), confirms status numbers and checked keywords in
//! their context, reads a reset epoch, and collects the scrub candidates of the message text.

use std::sync::LazyLock;

use super::message::MessageSource;
use super::signals::{
    Check, Signal, Signals, EPOCH_MARKERS, PROVIDER_CODES, SIGNALS, STATUS_CODES,
};
use super::{ResultMessage, CLASSIFY_WINDOW_BYTES, SCRUB_WINDOW_BYTES};
use crate::needles::NeedleDfa;
use crate::scrub::{family_needles, Candidates};

/// What a needle of the automaton means.
#[derive(Debug, Clone, Copy)]
enum Needle {
    Keyword(Signal, Check),
    /// An HTTP status or a provider error code: counts only in status context.
    Code(Signal),
    Epoch,
    /// A scrub family needle (its number in `family_needles` order): a candidate for scrubbing
    /// the message.
    Scrub(u16),
}

/// The automaton over every needle, and what each of its match states means.
pub(super) struct Matcher {
    pub(super) dfa: NeedleDfa,
    needles: Vec<Needle>,
    /// Per match state of `dfa`: the signals of its plain keywords (set at once), and its other
    /// needles (statuses, epoch markers, checked keywords, scrub needles), handled one by one.
    pub(super) state_signals: Vec<Signals>,
    state_special: Vec<Vec<u32>>,
}

pub(super) static MATCHER: LazyLock<Matcher> = LazyLock::new(|| {
    let mut patterns: Vec<&str> = Vec::new();
    let mut needles = Vec::new();
    for &(signal, check, list) in SIGNALS {
        for pattern in list {
            patterns.push(pattern);
            needles.push(Needle::Keyword(signal, check));
        }
    }
    for &(code, signal) in STATUS_CODES.iter().chain(PROVIDER_CODES) {
        patterns.push(code);
        needles.push(Needle::Code(signal));
    }
    for marker in EPOCH_MARKERS {
        patterns.push(marker);
        needles.push(Needle::Epoch);
    }
    // The scrub needles ride along, so the message needs no second pass over the text.
    for (number, (pattern, _family)) in family_needles().enumerate() {
        patterns.push(pattern);
        needles.push(Needle::Scrub(number as u16));
    }
    let dfa = NeedleDfa::new(&patterns).unwrap_or_else(NeedleDfa::never);
    let mut state_signals = Vec::new();
    let mut state_special = Vec::new();
    for state in 0..dfa.match_states() {
        let mut plain = Signals::default();
        let mut special = Vec::new();
        for &needle in dfa.needles_of(state) {
            match needles[needle as usize] {
                Needle::Keyword(signal, Check::None) => plain.set(signal),
                _ => special.push(needle),
            }
        }
        state_signals.push(plain);
        state_special.push(special);
    }
    Matcher {
        dfa,
        needles,
        state_signals,
        state_special,
    }
});

/// What the scan found.
#[derive(Debug, Default)]
pub(super) struct Scan {
    pub(super) signals: Signals,
    /// First reset epoch (seconds) found after an epoch marker.
    pub(super) epoch: Option<i64>,
    /// Scrub candidates at their positions in the message text (see `MessageSource`).
    pub(super) candidates: Candidates,
}

impl Scan {
    /// Scans the text of `msg`: each of `errors`, then `result`, the first
    /// [`CLASSIFY_WINDOW_BYTES`] in all. Scrub candidates are kept for the pieces that make up
    /// the message text (`source`).
    pub(super) fn of(msg: &ResultMessage, source: MessageSource) -> Scan {
        let mut scan = Scan::default();
        let mut budget = CLASSIFY_WINDOW_BYTES;
        let mut message_offset = 0; // where the next error starts in the joined errors
        for (index, error) in msg.errors.iter().enumerate() {
            if budget == 0 {
                break;
            }
            if index > 0 {
                message_offset += 2; // "; "
            }
            let part = &error.as_bytes()[..error.len().min(budget)];
            budget -= part.len();
            let in_message = source == MessageSource::Errors;
            scan.piece(part, in_message.then_some(message_offset));
            message_offset += error.len();
        }
        if let Some(result) = msg.result.as_deref().filter(|_| budget > 0) {
            let part = &result.as_bytes()[..result.len().min(budget)];
            scan.piece(part, (source == MessageSource::Result).then_some(0));
        }
        scan
    }

    /// Scans one piece of the text. `message_offset`: where the piece starts in the message
    /// text, when it is part of it.
    fn piece(&mut self, text: &[u8], message_offset: Option<usize>) {
        let matcher = &*MATCHER;
        matcher.dfa.scan(text, |state, end| {
            self.signals.add_all(matcher.state_signals[state]);
            for &number in &matcher.state_special[state] {
                let start = end - matcher.dfa.needle_len(number);
                match matcher.needles[number as usize] {
                    Needle::Scrub(needle) => {
                        if let Some(position) = message_offset.map(|offset| offset + start) {
                            if position < SCRUB_WINDOW_BYTES {
                                self.candidates.push(position, needle);
                            }
                        }
                    }
                    needle => self.hit(text, needle, start, end),
                }
            }
        });
    }

    fn hit(&mut self, text: &[u8], needle: Needle, start: usize, end: usize) {
        match needle {
            Needle::Keyword(signal, check) => {
                if self.signals.has(signal) {
                    return;
                }
                let confirmed = match check {
                    Check::None => true,
                    Check::NoDigitAfter => !text.get(end).is_some_and(u8::is_ascii_digit),
                    Check::WordStart => word_start(text, start),
                    Check::Word => {
                        word_start(text, start)
                            && !text.get(end).is_some_and(u8::is_ascii_alphabetic)
                    }
                };
                if confirmed {
                    self.signals.set(signal);
                }
            }
            Needle::Code(signal) => {
                if !self.signals.has(signal) && status_context(text, start, end) {
                    self.signals.set(signal);
                }
            }
            Needle::Epoch => {
                if self.epoch.is_none() {
                    self.epoch = epoch_after(text, end, end - start == 1);
                }
            }
            Needle::Scrub(_) => {}
        }
    }
}

/// No letter or digit right before `text[start]`.
fn word_start(text: &[u8], start: usize) -> bool {
    !start
        .checked_sub(1)
        .is_some_and(|before| text[before].is_ascii_alphanumeric())
}

/// Is the status number at `text[start..end]` an HTTP status? It must stand alone (no letter,
/// digit, `_`, `-`, `.`/`,` digit-group neighbour) and have status context: enclosed as `(429)` /
/// `[429]`, first on its line, or right after a word ending in `status`, `code`, `error`, `api`
/// or starting with `http` (`API Error: 429`, `status code: 429`, `"code": 429`,
/// `Error code: 504 -`, `HTTP/1.1 503`, `OpenAI API 402:`).
fn status_context(text: &[u8], start: usize, end: usize) -> bool {
    let before = start.checked_sub(1).map(|at| text[at]);
    let after = text.get(end).copied();
    let glued = |byte: u8| byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'-';
    if before.is_some_and(|byte| glued(byte) || byte == b'.' || byte == b',') {
        return false;
    }
    if after.is_some_and(glued)
        || (matches!(after, Some(b'.' | b',')) && text.get(end + 1).is_some_and(u8::is_ascii_digit))
    {
        return false;
    }
    if matches!(before, Some(b'(' | b'[')) && matches!(after, Some(b')' | b']')) {
        return true;
    }
    // Skip separators backwards (at most a few), then look at the word before them.
    let mut word_end = start;
    let mut skipped = 0;
    while word_end > 0
        && skipped < 6
        && matches!(
            text[word_end - 1],
            b' ' | b'\t' | b':' | b'=' | b'"' | b'\'' | b'(' | b'[' | b'#'
        )
    {
        word_end -= 1;
        skipped += 1;
    }
    if word_end == 0 || text[word_end - 1] == b'\n' || text[word_end - 1] == b'\r' {
        // First on its line (after blanks / an opening bracket).
        return text[word_end..start]
            .iter()
            .all(|&byte| matches!(byte, b' ' | b'\t' | b'[' | b'('));
    }
    let mut word_start = word_end;
    while word_start > 0
        && word_end - word_start < 24
        && (text[word_start - 1].is_ascii_alphanumeric()
            || matches!(text[word_start - 1], b'_' | b'/' | b'.'))
    {
        word_start -= 1;
    }
    let word = &text[word_start..word_end];
    let ends = |suffix: &[u8]| {
        word.len() >= suffix.len() && word[word.len() - suffix.len()..].eq_ignore_ascii_case(suffix)
    };
    ends(b"status")
        || ends(b"code")
        || ends(b"error")
        || ends(b"api")
        || (word.len() >= 4 && word[..4].eq_ignore_ascii_case(b"http"))
}

/// The reset epoch after a marker at `text[..at]`: 10 digits (seconds) or 13 (milliseconds),
/// not followed by another digit. After `|` the digits must follow at once; after a name such
/// as `resets_at`, a few of `"':= ` may come first.
fn epoch_after(text: &[u8], at: usize, immediate: bool) -> Option<i64> {
    let mut first_digit = at;
    if !immediate {
        let limit = (at + 4).min(text.len());
        while first_digit < limit
            && matches!(text[first_digit], b'"' | b'\'' | b':' | b'=' | b' ' | b'\t')
        {
            first_digit += 1;
        }
    }
    let digits = text[first_digit.min(text.len())..]
        .iter()
        .take(14)
        .take_while(|byte| byte.is_ascii_digit())
        .count();
    let mut value: i64 = 0;
    for &byte in &text[first_digit..first_digit + digits] {
        value = value * 10 + i64::from(byte - b'0');
    }
    match digits {
        10 => Some(value),
        13 => Some(value / 1000),
        _ => None,
    }
}
