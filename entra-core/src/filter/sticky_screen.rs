//! The dense form of the text screen: a fully built DFA over the patterns, each followed by "any
//! bytes", walked over a text without a test per byte.
//!
//! A DFA search normally checks after every byte whether it reached a match (matches are not
//! final: the next byte can leave them). Appending `(?s-u:.*)` to every pattern makes them final:
//! once some pattern has matched, every longer text matches too, so the state after the last
//! byte (and the end-of-text transition) tells whether a match happened anywhere. The walk is then
//! one table lookup per byte. Nothing else changes: a text matches the extended pattern exactly
//! when some prefix of it matches the pattern, that is, when the pattern matches in the text.
//!
//! A pattern with a Unicode word boundary can only be determinized if the DFA gives up on
//! non-ASCII bytes; such a screen declines non-ASCII text up front (counted as flagged, as the
//! lazy screen does).

use regex_automata::dfa::{Automaton, StartKind, dense};
use regex_automata::nfa::thompson;
use regex_automata::util::primitives::StateID;
use regex_automata::util::start;
use regex_automata::{Anchored, MatchKind};
use regex_syntax::hir::{Class, ClassBytes, ClassBytesRange, Hir, Repetition};

/// The DFA's transitions as one flat table: `table[state + class[byte]]` is the next state, each
/// state an offset (its number times the stride), and `matched[state / stride]` whether a text
/// ending in that state matched.
pub(crate) struct StickyScreen {
    class: [u8; 256],
    stride: usize,
    table: Vec<u32>,
    matched: Vec<bool>,
    start: usize,
    patterns: usize,
    /// Built with a Unicode word boundary: non-ASCII text is not decided.
    declines_non_ascii: bool,
}

impl StickyScreen {
    /// Builds the screen when the extended patterns' NFA is at most `nfa_limit` bytes and the DFA
    /// at most `dfa_limit`; `None` otherwise (or for a pattern that does not parse).
    pub(crate) fn build<S: AsRef<str>>(
        patterns: &[S],
        nfa_limit: usize,
        dfa_limit: usize,
    ) -> Option<Self> {
        let extended = patterns
            .iter()
            .map(|p| {
                let hir = regex_syntax::ParserBuilder::new()
                    .case_insensitive(true)
                    .build()
                    .parse(p.as_ref())
                    .ok()?;
                Some(Hir::concat(vec![hir, any_bytes()]))
            })
            .collect::<Option<Vec<Hir>>>()?;
        let nfa = thompson::Compiler::new()
            .configure(thompson::Config::new().nfa_size_limit(Some(nfa_limit)))
            .build_many_from_hir(&extended)
            .ok()?;
        let (dfa, declines_non_ascii) = match determinize(&nfa, dfa_limit, false) {
            Some(dfa) => (dfa, false),
            None => (determinize(&nfa, dfa_limit, true)?, true),
        };
        // A text is always searched from its start: one start state serves every search.
        let start = dfa
            .start_state(&start::Config::new().anchored(Anchored::No))
            .ok()?;
        let flat = flatten(&dfa, start, dfa_limit)?;
        Some(Self {
            declines_non_ascii,
            patterns: dfa.pattern_len(),
            ..flat
        })
    }

    pub(crate) fn pattern_len(&self) -> usize {
        self.patterns
    }

    /// Whether some pattern matches in one of `texts` (a text the screen declines counts as a
    /// match). One walk is a chain of dependent table loads (the next state is needed to find the
    /// one after it); the walks of two texts do not depend on each other, so they are stepped
    /// side by side and the processor waits for their loads at once.
    #[inline]
    pub(crate) fn flags_any<const N: usize>(&self, texts: [Option<&str>; N]) -> bool {
        let mut pending: Option<&[u8]> = None;
        for text in texts.into_iter().flatten() {
            let text = text.as_bytes();
            if self.declines_non_ascii && !text.is_ascii() {
                return true;
            }
            match pending.take() {
                None => pending = Some(text),
                Some(first) => {
                    let (a, b) = self.walk_two(first, text);
                    if self.matched(a) || self.matched(b) {
                        return true;
                    }
                }
            }
        }
        pending.is_some_and(|text| self.matched(self.walk(self.start, text)))
    }

    /// The states after `a` and after `b`, both from the start, walked side by side.
    #[inline(always)]
    fn walk_two(&self, a: &[u8], b: &[u8]) -> (usize, usize) {
        let together = a.len().min(b.len());
        let (a_head, a_rest) = a.split_at(together);
        let (b_head, b_rest) = b.split_at(together);
        let (mut sa, mut sb) = (self.start, self.start);
        for (&x, &y) in a_head.iter().zip(b_head) {
            sa = self.step(sa, x);
            sb = self.step(sb, y);
        }
        (self.walk(sa, a_rest), self.walk(sb, b_rest))
    }

    /// The state after `bytes` from `state`.
    #[inline(always)]
    fn walk(&self, state: usize, bytes: &[u8]) -> usize {
        bytes.iter().fold(state, |state, &b| self.step(state, b))
    }

    /// The state after `byte` from `state` (the start for an offset outside the table, which
    /// the build never produces).
    #[inline(always)]
    fn step(&self, state: usize, byte: u8) -> usize {
        let class = usize::from(self.class[usize::from(byte)]);
        self.table
            .get(state + class)
            .map_or(0, |&next| next as usize)
    }

    /// Whether a text ending in `state` matched.
    #[inline(always)]
    fn matched(&self, state: usize) -> bool {
        self.matched
            .get(state / self.stride)
            .copied()
            .unwrap_or(true)
    }
}

/// Every state reachable from `start`, numbered in the order found, with its transitions for each
/// byte class and whether a text ending there matched (matches are reported one byte late: the
/// end of the text is one more transition). `None` when the table would exceed `limit` bytes.
fn flatten(dfa: &dense::DFA<Vec<u32>>, start: StateID, limit: usize) -> Option<StickyScreen> {
    let classes = dfa.byte_classes();
    let mut class = [0u8; 256];
    let mut representative: Vec<u8> = Vec::new();
    for b in 0..=255u8 {
        let c = classes.get(b);
        class[usize::from(b)] = c;
        if usize::from(c) == representative.len() {
            representative.push(b);
        }
    }
    let stride = representative.len().max(1);
    let mut number: std::collections::HashMap<StateID, usize> = [(start, 0)].into();
    let mut found = vec![start];
    let mut table = Vec::new();
    let mut matched = Vec::new();
    let mut at = 0;
    while let Some(&state) = found.get(at) {
        for &b in &representative {
            let next = dfa.next_state(state, b);
            let count = number.len();
            let n = *number.entry(next).or_insert_with(|| {
                found.push(next);
                count
            });
            table.push(u32::try_from(n * stride).ok()?);
        }
        matched.push(dfa.is_match_state(state) || dfa.is_match_state(dfa.next_eoi_state(state)));
        if table.len() * 4 > limit {
            return None;
        }
        at += 1;
    }
    Some(StickyScreen {
        class,
        stride,
        table,
        matched,
        start: 0,
        patterns: 0,
        declines_non_ascii: false,
    })
}

/// `(?s-u:.*)`: any bytes, as many as there are.
fn any_bytes() -> Hir {
    let any = Hir::class(Class::Bytes(ClassBytes::new([ClassBytesRange::new(
        0, 0xFF,
    )])));
    Hir::repetition(Repetition {
        min: 0,
        max: None,
        greedy: true,
        sub: Box::new(any),
    })
}

fn determinize(
    nfa: &thompson::NFA,
    limit: usize,
    unicode_word_boundary: bool,
) -> Option<dense::DFA<Vec<u32>>> {
    dense::Builder::new()
        .configure(
            dense::Config::new()
                .match_kind(MatchKind::All)
                .start_kind(StartKind::Unanchored)
                .minimize(false)
                .unicode_word_boundary(unicode_word_boundary)
                .determinize_size_limit(Some(limit))
                .dfa_size_limit(Some(limit)),
        )
        .build_from_nfa(nfa)
        .ok()
}
