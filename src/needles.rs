//! The needle automaton that classification and scrubbing share: one pass over a text finds
//! every occurrence (overlapping ones included) of a fixed list of needles, matched ASCII
//! case-insensitively. The classifier builds one automaton over its keywords plus the scrubber's
//! credential prefixes, so an error message is read once; the scrubber builds one over its
//! prefixes alone for texts it scrubs on its own.

/// A compact Aho-Corasick DFA over needles matched ASCII case-insensitively, reporting every
/// occurrence (overlapping ones included) with a tight per-byte loop: one class lookup, one
/// transition, one compare (about 6 instructions per byte). Built once per process, for a few
/// hundred needles, in a few milliseconds: a trie over byte classes, completed into a DFA by
/// following failure links breadth first (Aho and Corasick, 1975).
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

/// The automaton while it is built: trie states numbered in creation order, 0 the root.
struct Trie {
    /// `next[state][class]`: a trie edge (0 = none yet; the root is never a child).
    next: Vec<Vec<u32>>,
    /// The needles ending at each state, those of its failure chain included.
    outputs: Vec<Vec<u32>>,
}

impl NeedleDfa {
    /// `None` if the needles cannot be compiled (an empty needle, or more than 255 distinct
    /// bytes: never for the constant needle lists here).
    pub(crate) fn new(needles: &[&str]) -> Option<NeedleDfa> {
        let mut classes = [0u8; 256];
        let mut class_count = 1; // class 0: bytes in no needle
        for needle in needles {
            for &byte in needle.as_bytes() {
                let byte = byte.to_ascii_lowercase();
                if classes[usize::from(byte)] == 0 {
                    classes[usize::from(byte)] = u8::try_from(class_count).ok()?;
                    class_count += 1;
                }
            }
        }
        for upper in b'A'..=b'Z' {
            classes[usize::from(upper)] = classes[usize::from(upper.to_ascii_lowercase())];
        }
        let mut trie = Trie {
            next: vec![vec![0; class_count]],
            outputs: vec![Vec::new()],
        };
        for (number, needle) in needles.iter().enumerate() {
            if needle.is_empty() {
                return None;
            }
            let mut state = 0usize;
            for &byte in needle.as_bytes() {
                let class = usize::from(classes[usize::from(byte)]);
                if trie.next[state][class] == 0 {
                    trie.next[state][class] = u32::try_from(trie.next.len()).ok()?;
                    trie.next.push(vec![0; class_count]);
                    trie.outputs.push(Vec::new());
                }
                state = trie.next[state][class] as usize;
            }
            trie.outputs[state].push(u32::try_from(number).ok()?);
        }
        // Breadth first, so a state's failure target is complete before the state: every
        // missing edge becomes the failure target's edge, and a state's outputs gain its
        // failure target's. Edges out of the root that lead nowhere stay at the root.
        let mut failure = vec![0u32; trie.next.len()];
        let mut queue: std::collections::VecDeque<usize> = trie.next[0]
            .iter()
            .filter(|&&child| child != 0)
            .map(|&child| child as usize)
            .collect();
        while let Some(state) = queue.pop_front() {
            let fallback = failure[state] as usize;
            let inherited = trie.outputs[fallback].clone();
            trie.outputs[state].extend(inherited);
            for class in 0..class_count {
                let child = trie.next[state][class];
                let on_failure = trie.next[fallback][class];
                if child == 0 {
                    trie.next[state][class] = on_failure;
                } else {
                    failure[child as usize] = on_failure;
                    queue.push_back(child as usize);
                }
            }
        }
        // Number match states first, so that `state < match_limit` tests for a match.
        let mut order: Vec<usize> = (0..trie.next.len()).collect();
        order.sort_by_key(|&state| trie.outputs[state].is_empty());
        let matching = order
            .iter()
            .filter(|&&state| !trie.outputs[state].is_empty())
            .count();
        let shift = class_count.next_power_of_two().trailing_zeros();
        let mut row_of = vec![0u32; order.len()];
        for (row, &state) in order.iter().enumerate() {
            row_of[state] = u32::try_from(row << shift).ok()?;
        }
        let mut trans = vec![0u32; order.len() << shift];
        for (row, &state) in order.iter().enumerate() {
            for (class, &target) in trie.next[state].iter().enumerate() {
                trans[(row << shift) + class] = row_of[target as usize];
            }
        }
        let matches = order[..matching]
            .iter()
            .map(|&state| std::mem::take(&mut trie.outputs[state]))
            .collect();
        let dfa = NeedleDfa {
            trans,
            classes,
            shift,
            start: row_of[0],
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
    fn an_empty_needle_does_not_compile() {
        assert!(NeedleDfa::new(&["ok", ""]).is_none());
    }

    /// Every (start, needle) that a plain case-insensitive search of each needle finds.
    fn naive(needles: &[&str], text: &[u8]) -> Vec<(usize, usize)> {
        let mut found = Vec::new();
        for (number, needle) in needles.iter().enumerate() {
            let needle = needle.as_bytes();
            for start in 0..text.len().saturating_sub(needle.len() - 1) {
                if text[start..start + needle.len()].eq_ignore_ascii_case(needle) {
                    found.push((start, number));
                }
            }
        }
        found.sort();
        found
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(crate::proptest_cases(300)))]

        /// Overlapping needles, prefixes of each other and suffixes of each other, in any case:
        /// the automaton finds exactly what searching each needle on its own finds.
        #[test]
        fn finds_what_a_plain_search_finds(
            needles in proptest::collection::vec("[abAB_=-]{1,5}", 1..12),
            text in proptest::collection::vec(proptest::sample::select(b"abAB_=-x".to_vec()), 0..200),
        ) {
            let needles: Vec<&str> = needles.iter().map(String::as_str).collect();
            let dfa = NeedleDfa::new(&needles).expect("the needles compile"); // ok: test code
            let mut found = Vec::new();
            dfa.scan(&text, |state, end| {
                for &needle in dfa.needles_of(state) {
                    found.push((end - dfa.needle_len(needle), needle as usize));
                }
            });
            found.sort();
            proptest::prop_assert_eq!(found, naive(&needles, &text));
        }
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
