//! The needle automaton that classification and scrubbing share: one pass over a text finds
//! every occurrence (overlapping ones included) of a fixed list of needles, matched ASCII
//! case-insensitively. The classifier builds one automaton over its keywords plus the scrubber's
//! credential prefixes, so an error message is read once; the scrubber builds one over its
//! prefixes alone for texts it scrubs on its own.

use aho_corasick::automaton::Automaton;
use aho_corasick::dfa::DFA;
use aho_corasick::{Anchored, MatchKind, StartKind};

/// A compact Aho-Corasick DFA over needles matched ASCII case-insensitively, reporting every
/// occurrence (overlapping ones included) with a tight per-byte loop: one class lookup, one
/// transition, one compare (about 6 instructions per byte). It is built once from
/// `aho_corasick::dfa::DFA`, whose own generic overlapping search costs about three times as much
/// per byte, by walking its states.
pub(crate) struct NeedleDfa {
    /// Transitions: from state `s` on byte `b` go to `trans[s + classes[b]]`. States are
    /// premultiplied by the row width (`1 << shift`), so a state is the index of its row.
    trans: Vec<u32>,
    /// Byte → class: 0 for bytes in no needle, one class per other byte (ASCII case folded).
    classes: [u8; 256],
    /// log2 of the row width.
    shift: u32,
    start: u32,
    /// States below this are match states.
    match_limit: u32,
    /// For match state number `k` (`s >> shift`), the needles ending there.
    matches: Vec<Vec<u32>>,
    /// Needle lengths in bytes.
    lens: Vec<u32>,
}

impl NeedleDfa {
    /// `None` if the needles cannot be compiled (never for the constant needle lists here).
    pub(crate) fn new(needles: &[&str]) -> Option<NeedleDfa> {
        let dfa = DFA::builder()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .start_kind(StartKind::Unanchored)
            .prefilter(false)
            .build(needles)
            .ok()?;
        let mut classes = [0u8; 256];
        let mut representatives: Vec<u8> = vec![0]; // one byte per class
        for needle in needles {
            for &byte in needle.as_bytes() {
                let byte = byte.to_ascii_lowercase();
                if classes[usize::from(byte)] == 0 {
                    classes[usize::from(byte)] = u8::try_from(representatives.len()).ok()?;
                    representatives.push(byte);
                }
            }
        }
        for upper in b'A'..=b'Z' {
            classes[usize::from(upper)] = classes[usize::from(upper.to_ascii_lowercase())];
        }
        // Class 0's representative: a byte that is in no needle.
        representatives[0] = (0..=255u8).find(|&byte| classes[usize::from(byte)] == 0)?;
        let shift = representatives.len().next_power_of_two().trailing_zeros();
        // Discover every state reachable from the start; aho-corasick's state ids index its own
        // transition table, so a Vec maps them to ours.
        let start = dfa.start_state(Anchored::No).ok()?;
        let mut order = vec![start];
        let mut seen = vec![false; start.as_usize() + 1];
        seen[start.as_usize()] = true;
        let mut visited = 0;
        while visited < order.len() {
            let state = order[visited];
            visited += 1;
            for &byte in &representatives {
                let next = dfa.next_state(Anchored::No, state, byte);
                let id = next.as_usize();
                if id >= seen.len() {
                    seen.resize(id + 1, false);
                }
                if !seen[id] {
                    seen[id] = true;
                    order.push(next);
                }
            }
        }
        // Number match states first, so that `s < match_limit` tests for a match.
        order.sort_by_key(|&state| !dfa.is_match(state));
        let matching = order.iter().filter(|&&state| dfa.is_match(state)).count();
        let mut ours = vec![0u32; seen.len()];
        for (row, state) in order.iter().enumerate() {
            ours[state.as_usize()] = u32::try_from(row << shift).ok()?;
        }
        let mut trans = vec![0u32; order.len() << shift];
        for (row, &state) in order.iter().enumerate() {
            for (class, &byte) in representatives.iter().enumerate() {
                trans[(row << shift) + class] =
                    ours[dfa.next_state(Anchored::No, state, byte).as_usize()];
            }
        }
        let matches = order[..matching]
            .iter()
            .map(|&state| {
                (0..dfa.match_len(state))
                    .map(|index| dfa.match_pattern(state, index).as_u32())
                    .collect()
            })
            .collect();
        let dfa = NeedleDfa {
            trans,
            classes,
            shift,
            start: ours[start.as_usize()],
            match_limit: u32::try_from(matching << shift).ok()?,
            matches,
            lens: needles.iter().map(|needle| needle.len() as u32).collect(),
        };
        dfa.in_bounds().then_some(dfa)
    }

    /// A DFA that never matches: the fallback should a needle list ever fail to compile (the
    /// tests make sure the real ones do), so that nothing panics at run time.
    pub(crate) fn never() -> NeedleDfa {
        NeedleDfa {
            trans: vec![0],
            classes: [0; 256],
            shift: 0,
            start: 0,
            match_limit: 0,
            matches: Vec::new(),
            lens: Vec::new(),
        }
    }

    /// The invariant that makes [`NeedleDfa::scan`]'s unchecked indexing sound: the start state
    /// and every transition are row starts (multiples of the row width) inside the table, and
    /// every class is below the row width — so `state + class` is always a valid index.
    fn in_bounds(&self) -> bool {
        let width = 1usize << self.shift;
        let row_ok = |state: u32| {
            let state = state as usize;
            state.is_multiple_of(width) && state + width <= self.trans.len()
        };
        row_ok(self.start)
            && self.trans.iter().all(|&state| row_ok(state))
            && self.classes.iter().all(|&class| usize::from(class) < width)
    }

    /// Number of match states; [`NeedleDfa::scan`] reports match state numbers below this.
    pub(crate) fn match_states(&self) -> usize {
        self.matches.len()
    }

    /// The needles (indexes into the list given to [`NeedleDfa::new`]) ending in match state
    /// number `state`.
    pub(crate) fn needles_of(&self, state: usize) -> &[u32] {
        &self.matches[state]
    }

    /// Length in bytes of needle number `needle`.
    pub(crate) fn needle_len(&self, needle: u32) -> usize {
        self.lens[needle as usize] as usize
    }

    /// Calls `on_match(state, end)` each time the scan of `text` enters match state `state`
    /// (see [`NeedleDfa::needles_of`]) with `text[..end]` read.
    #[inline]
    pub(crate) fn scan(&self, text: &[u8], mut on_match: impl FnMut(usize, usize)) {
        let trans = self.trans.as_slice();
        let classes = &self.classes;
        let limit = self.match_limit;
        let shift = self.shift;
        // The hot loop: about six instructions per byte. A checked index would add two.
        let step = |state: u32, byte: u8| {
            let index = (state + u32::from(classes[usize::from(byte)])) as usize;
            // SAFETY: `state` is the start state or a value read from `trans`, so a row start
            // with `state + row width <= trans.len()`, and every class is below the row width;
            // `new` returns a DFA only when `in_bounds` has verified exactly that for every
            // entry. Hence `index < trans.len()`.
            unsafe { *trans.get_unchecked(index) }
        };
        let mut state = self.start;
        let mut at = 0;
        // Unrolled by eight: the loop bookkeeping is paid once per eight bytes.
        let mut blocks = text.chunks_exact(8);
        for block in &mut blocks {
            for (offset, &byte) in block.iter().enumerate() {
                state = step(state, byte);
                if state < limit {
                    on_match((state >> shift) as usize, at + offset + 1);
                }
            }
            at += 8;
        }
        for &byte in blocks.remainder() {
            at += 1;
            state = step(state, byte);
            if state < limit {
                on_match((state >> shift) as usize, at);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_every_occurrence_case_insensitively() {
        let needles = ["key=", "ey", "bearer"];
        let dfa = NeedleDfa::new(&needles).expect("the needles compile");
        let mut found = Vec::new();
        dfa.scan(b"x KEY=1 Bearer", |state, end| {
            for &needle in dfa.needles_of(state) {
                found.push((end - dfa.needle_len(needle), needles[needle as usize]));
            }
        });
        found.sort();
        assert_eq!(found, [(2, "key="), (3, "ey"), (8, "bearer")]);
    }

    #[test]
    fn never_matches_and_stays_in_bounds() {
        let never = NeedleDfa::never();
        assert!(never.in_bounds());
        let mut hits = 0;
        never.scan(b"anything at all", |_, _| hits += 1);
        assert_eq!(hits, 0);
    }
}
