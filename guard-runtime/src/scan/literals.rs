//! The shared literal pass: one walk of one aho-corasick DFA finds every
//! literal the scanners gate their work on (injection anchors and
//! structure triggers, credential keywords), however many there are.
//!
//! Packed (Teddy) searches are faster per pass but take at most 64
//! literals each, and the scanners need about 240; five passes cost more
//! than one walk. A single DFA walk is bound by the latency of each state
//! lookup, so the text is cut into eight lanes walked in step: eight
//! independent lookups in flight instead of one. Each lane after the first
//! starts early by the longest literal's length, so an occurrence that
//! crosses a lane boundary is still seen, and reports only what ends in its
//! own lane. Occurrences are reported overlapping: every one, not a
//! leftmost subset.

use aho_corasick::automaton::{Automaton, StateID};
use aho_corasick::dfa::DFA;
use aho_corasick::{Anchored, MatchKind, StartKind};

/// What finding a literal tells a scanner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Use {
    /// An injection anchor: every phrase holds one.
    Anchor,
    /// An injection structure's trigger word, by structure index.
    Trigger(usize),
    /// A credential detector's keyword, by detector index.
    Secret(usize),
    /// A word every secret's name holds (`pass`, `key`, `token`...): where
    /// the generic assignment rule reads.
    SecretName,
}

/// What one walk found.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Hits {
    /// End offsets of anchor occurrences, ascending.
    pub anchor_ends: Vec<usize>,
    /// By structure index: its trigger words' occurrences, by end
    /// ascending (empty, or missing at the end: none occurs).
    pub triggers: Vec<Vec<Occurrence>>,
    /// What the credential scanner gates on.
    pub secrets: SecretHits,
}

/// Where a literal occurs: its end and length in one word, as dense
/// text holds a trigger every few bytes.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct Occurrence(u64);

impl Occurrence {
    /// Literals are shorter than this.
    const LONGEST: usize = 1 << 8;

    pub(crate) fn new(end: usize, len: usize) -> Occurrence {
        debug_assert!(len < Self::LONGEST);
        Occurrence(((end as u64) << 8) | len as u64)
    }

    /// The offset just past the occurrence.
    pub(crate) fn end(self) -> usize {
        (self.0 >> 8) as usize
    }

    /// The offset of its first byte.
    pub(crate) fn start(self) -> usize {
        self.end() - (self.0 & 0xFF) as usize
    }
}

impl std::fmt::Debug for Occurrence {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}..{}", self.start(), self.end())
    }
}

/// What the pass tells the credential scanner.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct SecretHits {
    /// Detectors whose keyword occurs.
    pub detectors: DetectorSet,
    /// Where secret-name words occur, `(start, end)`, by end ascending.
    pub names: Vec<(usize, usize)>,
}

/// A set of credential detectors, by index.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DetectorSet([u64; 4]);

impl DetectorSet {
    /// How many detectors a set can hold.
    pub(super) const CAPACITY: usize = 256;

    pub(super) fn insert(&mut self, i: usize) {
        self.0[i / 64] |= 1 << (i % 64);
    }

    pub(super) fn remove(&mut self, i: usize) {
        self.0[i / 64] &= !(1 << (i % 64));
    }

    pub(super) fn contains(&self, i: usize) -> bool {
        self.0[i / 64] & (1 << (i % 64)) != 0
    }

    pub(super) fn union(&mut self, other: &DetectorSet) {
        for (word, o) in self.0.iter_mut().zip(other.0) {
            *word |= o;
        }
    }

    #[cfg(test)]
    pub(super) fn is_empty(&self) -> bool {
        self.0.iter().all(|&w| w == 0)
    }

    /// The members, ascending.
    pub(super) fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        self.0.iter().enumerate().flat_map(|(w, &word)| {
            let mut bits = word;
            std::iter::from_fn(move || {
                (bits != 0).then(|| {
                    let i = bits.trailing_zeros() as usize;
                    bits &= bits - 1;
                    w * 64 + i
                })
            })
        })
    }
}

impl Hits {
    fn note(&mut self, uses: &[Use], end: usize, len: usize) {
        for &u in uses {
            match u {
                Use::Anchor => {
                    if self.anchor_ends.last() != Some(&end) {
                        self.anchor_ends.push(end);
                    }
                }
                Use::Trigger(i) => {
                    if self.triggers.len() <= i {
                        self.triggers.resize_with(i + 1, Vec::new);
                    }
                    self.triggers[i].push(Occurrence::new(end, len));
                }
                Use::Secret(i) => self.secrets.detectors.insert(i),
                Use::SecretName => self.secrets.names.push((end - len, end)),
            }
        }
    }
}

/// Every gating literal in one automaton, lower-case.
pub(crate) struct Literals {
    dfa: DFA,
    /// By pattern id: what each literal is for.
    uses: Vec<Vec<Use>>,
    /// By pattern id: its length.
    lens: Vec<usize>,
    /// How far a lane starts before the part it reports on.
    warm_up: usize,
}

const LANES: usize = 8;

/// Below this many bytes per lane (or the warm-up, if longer), one lane
/// walks the whole text: eight lanes cost less per byte, plus seven
/// warm-ups.
const MIN_LANE: usize = 64;

impl Literals {
    pub(crate) fn new(entries: Vec<(String, Use)>) -> Literals {
        let mut patterns: Vec<String> = Vec::new();
        let mut uses: Vec<Vec<Use>> = Vec::new();
        for (literal, u) in entries {
            assert!(
                !literal.is_empty() && !literal.bytes().any(|b| b.is_ascii_uppercase()),
                "gate literals are non-empty and lower-case: {literal:?}"
            );
            assert!(
                literal.len() < Occurrence::LONGEST,
                "gate literals are short: {literal:?}"
            );
            match patterns.iter().position(|p| *p == literal) {
                Some(at) => uses[at].push(u),
                None => {
                    patterns.push(literal);
                    uses.push(vec![u]);
                }
            }
        }
        // Standard semantics keeps every pattern that ends at a state, so
        // overlapping occurrences are all seen. No prefilter: the walk is
        // the search.
        let dfa = DFA::builder()
            .match_kind(MatchKind::Standard)
            .start_kind(StartKind::Unanchored)
            .prefilter(false)
            .build(&patterns)
            .expect("gate literals build a DFA");
        let lens: Vec<usize> = patterns.iter().map(String::len).collect();
        let warm_up = lens.iter().copied().max().unwrap_or(1) - 1;
        Literals {
            dfa,
            uses,
            lens,
            warm_up,
        }
    }

    /// Every literal occurrence in text of any case.
    pub(crate) fn find_any_case(&self, text: &[u8]) -> Hits {
        // A lower-case copy and a plain walk: folding each byte inside the
        // walk lengthens the chain of dependent steps by more than the
        // copy costs, and an automaton that folds case is twice the size.
        self.find(&text.to_ascii_lowercase())
    }

    /// Every literal occurrence in lower-case text.
    pub(crate) fn find(&self, text: &[u8]) -> Hits {
        let mut hits = Hits::default();
        let start = self
            .dfa
            .start_state(Anchored::No)
            .expect("the DFA supports unanchored searches");
        let lane = text.len() / LANES;
        if lane < MIN_LANE.max(self.warm_up) {
            self.walk(text, 0, start, &mut hits);
            return hits;
        }
        // Each lane reports into its own hits: the lanes cover disjoint
        // parts in order, so joined, every list is in text order.
        let mut lanes: [Hits; LANES] = Default::default();
        // Lane `l` reports on `l * lane .. (l + 1) * lane`; the last also
        // on the remainder. Each lane after the first warms up on the bytes
        // just before its part, reporting nothing.
        let warm_up = |l: usize| &text[l * lane - self.warm_up..l * lane];
        let mut states = [start; LANES];
        for (l, state) in states.iter_mut().enumerate().skip(1) {
            for &b in warm_up(l) {
                *state = self.step(*state, b);
            }
        }
        // Eight locals, not an array, and one index into eight slices of
        // known length: the states stay in registers and no bounds are
        // checked. Eight lookups in flight beat four by 5-10% here.
        let [
            mut s0,
            mut s1,
            mut s2,
            mut s3,
            mut s4,
            mut s5,
            mut s6,
            mut s7,
        ] = states;
        let (p0, rest) = text.split_at(lane);
        let (p1, rest) = rest.split_at(lane);
        let (p2, rest) = rest.split_at(lane);
        let (p3, rest) = rest.split_at(lane);
        let (p4, rest) = rest.split_at(lane);
        let (p5, rest) = rest.split_at(lane);
        let (p6, rest) = rest.split_at(lane);
        let p7 = &rest[..lane];
        for k in 0..lane {
            s0 = self.step(s0, p0[k]);
            s1 = self.step(s1, p1[k]);
            s2 = self.step(s2, p2[k]);
            s3 = self.step(s3, p3[k]);
            s4 = self.step(s4, p4[k]);
            s5 = self.step(s5, p5[k]);
            s6 = self.step(s6, p6[k]);
            s7 = self.step(s7, p7[k]);
            // One branch for all lanes: matches are rare.
            if self.dfa.is_special(s0)
                | self.dfa.is_special(s1)
                | self.dfa.is_special(s2)
                | self.dfa.is_special(s3)
                | self.dfa.is_special(s4)
                | self.dfa.is_special(s5)
                | self.dfa.is_special(s6)
                | self.dfa.is_special(s7)
            {
                self.report_lanes([s0, s1, s2, s3, s4, s5, s6, s7], lane, k + 1, &mut lanes);
            }
        }
        self.walk(
            &text[LANES * lane..],
            LANES * lane,
            s7,
            &mut lanes[LANES - 1],
        );
        for part in lanes {
            hits.anchor_ends.extend(part.anchor_ends);
            if hits.triggers.len() < part.triggers.len() {
                hits.triggers.resize_with(part.triggers.len(), Vec::new);
            }
            for (all, found) in hits.triggers.iter_mut().zip(part.triggers) {
                all.extend(found);
            }
            hits.secrets.detectors.union(&part.secrets.detectors);
            hits.secrets.names.extend(part.secrets.names);
        }
        hits
    }

    /// One lane over `text`, which starts at `offset` of the whole.
    fn walk(&self, text: &[u8], offset: usize, mut state: StateID, hits: &mut Hits) {
        for (k, &b) in text.iter().enumerate() {
            state = self.step(state, b);
            if self.dfa.is_special(state) {
                self.report(state, offset + k + 1, hits);
            }
        }
    }

    #[inline(always)]
    fn step(&self, state: StateID, byte: u8) -> StateID {
        self.dfa.next_state(Anchored::No, state, byte)
    }

    /// Out of line, so the walk's loop keeps its registers.
    #[cold]
    #[inline(never)]
    fn report_lanes(
        &self,
        states: [StateID; LANES],
        lane: usize,
        end: usize,
        lanes: &mut [Hits; LANES],
    ) {
        for (l, (state, hits)) in states.into_iter().zip(lanes).enumerate() {
            // Checked here: in dense text some lane matches at most steps.
            if self.dfa.is_match(state) {
                self.report(state, l * lane + end, hits);
            }
        }
    }

    #[cold]
    #[inline(never)]
    fn report(&self, state: StateID, end: usize, hits: &mut Hits) {
        if !self.dfa.is_match(state) {
            return;
        }
        for i in 0..self.dfa.match_len(state) {
            let pattern = self.dfa.match_pattern(state, i).as_usize();
            hits.note(&self.uses[pattern], end, self.lens[pattern]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    // The pass as the scanners build it.
    use crate::scan::rules::LITERALS;

    /// One lane over the whole text: what the lanes must agree with.
    fn one_lane(text: &[u8]) -> Hits {
        let literals = &*LITERALS;
        let mut hits = Hits::default();
        let start = literals.dfa.start_state(Anchored::No).unwrap();
        literals.walk(text, 0, start, &mut hits);
        hits
    }

    #[test]
    fn lanes_see_occurrences_that_cross_their_boundaries() {
        let filler = "the quarterly report shows revenue grew in every region. ";
        let mut base = String::new();
        while base.len() < 8192 {
            base.push_str(filler);
        }
        let lane = base.len() / LANES;
        for literal in [
            "ignore the",
            "password",
            "<|im_",
            "begin rsa private key",
            "xmrig",
        ] {
            for boundary in 1..LANES {
                for shift in 0..=literal.len() {
                    let at = boundary * lane - shift;
                    let mut text = base.clone().into_bytes();
                    text[at..at + literal.len()].copy_from_slice(literal.as_bytes());
                    let lanes = LITERALS.find(&text);
                    assert_eq!(lanes, one_lane(&text), "{literal:?} at {at}");
                    assert!(
                        lanes.anchor_ends.contains(&(at + literal.len()))
                            || !lanes.secrets.detectors.is_empty()
                            || !lanes.triggers.is_empty(),
                        "{literal:?} at {at} was not seen"
                    );
                }
            }
        }
    }

    #[test]
    fn overlapping_occurrences_are_all_reported() {
        // `ignore` (the override structures' trigger) and `ignore the` (an
        // anchor) start at the same byte: a leftmost search reports one.
        let hits = LITERALS.find(b"please ignore the list");
        assert_eq!(hits.anchor_ends, [17]);
        let triggered_by_ignore: Vec<usize> = crate::scan::rules::injection::STRUCTURES
            .iter()
            .enumerate()
            .filter(|(_, (_, words, _))| words.contains(&"ignore"))
            .map(|(i, _)| i)
            .collect();
        assert_eq!(triggered_by_ignore.len(), 2);
        let triggered: Vec<usize> = (0..hits.triggers.len())
            .filter(|&i| !hits.triggers[i].is_empty())
            .collect();
        assert_eq!(triggered, triggered_by_ignore);
        for i in triggered {
            assert_eq!(hits.triggers[i], [Occurrence::new(13, 6)]);
            assert_eq!(
                (hits.triggers[i][0].start(), hits.triggers[i][0].end()),
                (7, 13)
            );
        }
        assert!(hits.secrets.detectors.is_empty());
    }

    #[test]
    fn any_case_finds_mixed_case_keywords() {
        let lower = LITERALS.find(b"db_password = 1");
        assert!(!lower.secrets.detectors.is_empty());
        assert_eq!(lower.secrets.names, [(3, 7)]);
        assert_eq!(
            LITERALS.find_any_case(b"DB_PaSsWoRd = 1").secrets,
            lower.secrets
        );
        assert!(
            LITERALS
                .find(b"DB_PaSsWoRd = 1")
                .secrets
                .detectors
                .is_empty()
        );
    }
}
