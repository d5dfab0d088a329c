//! The text screen: the custom patterns and the built-in trigger words compiled into one DFA,
//! searched once per field to tell whether any text rule could exclude a user.
//!
//! A fully built dense DFA is used when it fits [`DENSE_LIMIT`] (the usual case: a few
//! patterns), because its search is a plain table walk with no cache to consult; otherwise a
//! lazy DFA, built under the same budgets as the patterns themselves ([`COMBINED_SIZE_LIMIT`]
//! for the compiled automaton, [`SEARCH_CACHE_LIMIT`] for its cache). Either is searched
//! directly (no literal prefilter, no strategy selection), stops at the first match, and is
//! linear in the text. Whatever the DFA cannot decide (it declines non-ASCII text when a
//! pattern has a Unicode word boundary) counts as flagged: the exact rules then decide.

use regex_automata::Input;
use regex_automata::hybrid::dfa::{Cache, DFA};
use regex_automata::nfa::thompson;
use regex_automata::util::pool::Pool;
use regex_automata::util::syntax;

use super::patterns::{COMBINED_SIZE_LIMIT, SEARCH_CACHE_LIMIT};
use super::sticky_screen::StickyScreen;

/// The largest dense DFA the screen builds (and the most its determinization may use); larger
/// pattern lists are searched with the lazy DFA. The built-in words and a few custom patterns
/// take about 110 KiB; a list whose DFA would blow up costs at most the time to build this much
/// before the lazy DFA takes over.
pub(crate) const DENSE_LIMIT: usize = 256 << 10;

/// Only a pattern list whose NFA is at most this large is determinized in full: the time to build
/// each DFA state grows with the NFA, so this bounds the compile time a settings change can cost.
pub(crate) const DENSE_NFA_LIMIT: usize = 32 << 10;

type CacheFactory =
    Box<dyn Fn() -> Cache + Send + Sync + std::panic::RefUnwindSafe + std::panic::UnwindSafe>;

/// One automaton for all text rules.
pub(crate) enum Screen {
    /// Fully built, match states final: no per-search state, no test per byte.
    Dense(Box<StickyScreen>),
    /// Built while searching, with its per-thread search caches.
    Lazy {
        dfa: Box<DFA>,
        caches: Box<Pool<Cache, CacheFactory>>,
    },
}

impl std::fmt::Debug for Screen {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (kind, patterns) = match self {
            Screen::Dense(screen) => ("dense", screen.pattern_len()),
            Screen::Lazy { dfa, .. } => ("lazy", dfa.pattern_len()),
        };
        f.debug_struct("Screen")
            .field("kind", &kind)
            .field("patterns", &patterns)
            .finish_non_exhaustive()
    }
}

impl Screen {
    /// Compiles `patterns` case-insensitively into one DFA (dense when it fits [`DENSE_LIMIT`]);
    /// `None` when they do not fit the budget either way (the caller then screens with the
    /// pattern set it already has).
    pub(crate) fn build<S: AsRef<str>>(patterns: &[S]) -> Option<Self> {
        if let Some(dense) = StickyScreen::build(patterns, DENSE_NFA_LIMIT, DENSE_LIMIT) {
            return Some(Screen::Dense(Box::new(dense)));
        }
        Self::lazy(patterns)
    }

    fn lazy<S: AsRef<str>>(patterns: &[S]) -> Option<Self> {
        let nfa = thompson::Compiler::new()
            .syntax(syntax::Config::new().case_insensitive(true))
            .configure(thompson::Config::new().nfa_size_limit(Some(COMBINED_SIZE_LIMIT)))
            .build_many(patterns)
            .ok()?;
        Self::lazy_from(nfa)
    }

    fn lazy_from(nfa: thompson::NFA) -> Option<Self> {
        let dfa = DFA::builder()
            .configure(
                DFA::config()
                    .cache_capacity(SEARCH_CACHE_LIMIT)
                    .unicode_word_boundary(true),
            )
            .build_from_nfa(nfa)
            .ok()?;
        let factory_dfa = dfa.clone();
        let factory: CacheFactory = Box::new(move || factory_dfa.create_cache());
        Some(Screen::Lazy {
            dfa: Box::new(dfa),
            caches: Box::new(Pool::new(factory)),
        })
    }

    /// Whether the screen is the dense DFA (tests and benchmarks tell the two apart).
    #[cfg(test)]
    pub(crate) fn is_dense(&self) -> bool {
        matches!(self, Screen::Dense(_))
    }

    /// Whether some pattern may match one of `texts`: `false` is certain, `true` (a match, or a
    /// text the DFA declines) sends the user to the exact rules.
    #[inline]
    pub(crate) fn flags_any<const N: usize>(&self, texts: [Option<&str>; N]) -> bool {
        match self {
            Screen::Dense(screen) => screen.flags_any(texts),
            Screen::Lazy { dfa, caches } => {
                let mut cache = caches.get();
                texts.into_iter().flatten().any(|text| {
                    let input = Input::new(text).earliest(true);
                    !matches!(dfa.try_search_fwd(&mut cache, &input), Ok(None))
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Both engines give the same verdict, text by text: matches at the start, in the middle
    /// (with text after them) and at the end, misses, anchors, and non-ASCII text, which a
    /// Unicode word boundary makes both decline (flagged) and which is decided normally without
    /// one.
    #[test]
    fn dense_and_lazy_screens_agree() {
        let with_boundary: &[&str] = &[
            "^ext-",
            r"@contractors\.contoso\.com$",
            r"\bbot\b",
            "svc|reply",
        ];
        let without_boundary: &[&str] = &["^ext-", r"@contractors\.contoso\.com$", "svc|reply"];
        // (text, flagged with the boundary list, flagged without it)
        let cases = [
            ("ext-kim@contoso.com", true, true),
            ("kim.ext-@contoso.com", false, false),
            ("lee@contractors.contoso.com", true, true),
            ("lee@contractors.contoso.com.au", false, false),
            ("teams-bot@contoso.com", true, false),
            ("abbott@contoso.com", false, false),
            ("NoReply@contoso.com", true, true),
            ("a svc account, then more words", true, true),
            ("Jane Doe", false, false),
            ("Zoë bot", true, false),
            ("Zoë svc", true, true),
            ("Zoë", true, false),
            ("", false, false),
        ];
        for (patterns, boundary) in [(with_boundary, true), (without_boundary, false)] {
            let dense = Screen::build(patterns).expect("dense");
            let lazy = Screen::lazy(patterns).expect("lazy");
            assert!(dense.is_dense() && !lazy.is_dense());
            for (text, with, without) in cases {
                let flagged = if boundary { with } else { without };
                assert_eq!(
                    dense.flags_any([Some(text)]),
                    flagged,
                    "dense {text:?} {patterns:?}"
                );
                assert_eq!(
                    lazy.flags_any([Some(text)]),
                    flagged,
                    "lazy {text:?} {patterns:?}"
                );
            }
        }
    }

    /// A list whose dense DFA would pass the limit (the unanchored search must remember which of
    /// the last 17 letters was a `q`) is still screened, by the lazy DFA; so is one whose NFA is
    /// too large to determinize in full.
    #[test]
    fn lists_too_large_for_the_dense_dfa_fall_back_to_the_lazy_one() {
        let lists: [&[&str]; 2] = [&["q[a-z]{16}"], &[r"\w{5}x\w{5}"]];
        for patterns in lists {
            let screen = Screen::build(patterns).expect("lazy screen");
            assert!(!screen.is_dense(), "{patterns:?}");
        }
        let screen = Screen::build(&["q[a-z]{16}"]).expect("lazy screen");
        assert!(screen.flags_any([Some("jane.qabcdefghijklmnop@contoso.com")]));
        assert!(!screen.flags_any([Some("jane.q@contoso.com")]));
    }

    /// One piece of a generated pattern: literals the built-in words share letters with, an
    /// escaped dot, classes, a repetition, an alternation and word boundaries.
    fn piece() -> impl Strategy<Value = String> {
        prop::sample::select(vec![
            "ext",
            "svc",
            "bot",
            "no-?reply",
            "a",
            "b",
            "@",
            r"\.",
            "[a-c]+",
            "x{2,3}",
            "(room|conf)",
            r"\bbot\b",
            r"\w",
            "é",
        ])
        .prop_map(str::to_string)
    }

    fn pattern() -> impl Strategy<Value = String> {
        (
            any::<bool>(),
            prop::collection::vec(piece(), 1..4),
            any::<bool>(),
        )
            .prop_map(|(start, pieces, end)| {
                format!(
                    "{}{}{}",
                    if start { "^" } else { "" },
                    pieces.concat(),
                    if end { "$" } else { "" }
                )
            })
    }

    proptest! {
        /// Both screens decide ASCII text exactly as the patterns do, and never miss a text some
        /// pattern matches (a miss would let a user the patterns exclude through). Non-ASCII text
        /// a word boundary cannot decide counts as flagged: the exact rules then decide.
        #[test]
        fn the_screens_are_exact_on_ascii_and_never_miss_a_match(
            patterns in prop::collection::vec(pattern(), 1..4),
            texts in prop::collection::vec("[a-cA-Cxr-vé@. -]{0,16}", 1..8),
        ) {
            let dense = Screen::build(&patterns).expect("screen");
            let lazy = Screen::lazy(&patterns).expect("lazy screen");
            let exact = regex::RegexSetBuilder::new(&patterns)
                .case_insensitive(true)
                .build()
                .expect("set");
            for text in &texts {
                let matched = exact.is_match(text);
                for screen in [&dense, &lazy] {
                    let flagged = screen.flags_any([Some(text.as_str())]);
                    if text.is_ascii() {
                        prop_assert_eq!(flagged, matched, "{:?} {:?} {:?}", screen, patterns, text);
                    } else if matched {
                        prop_assert!(flagged, "{:?} {:?} missed {:?}", screen, patterns, text);
                    }
                }
            }
        }

        /// Several fields screened at once (the dense screen walks two of them side by side,
        /// whatever their lengths) are flagged exactly when one of them alone is, absent fields
        /// included.
        #[test]
        fn fields_screened_together_are_flagged_as_any_one_alone(
            patterns in prop::collection::vec(pattern(), 1..4),
            fields in prop::collection::vec(
                prop::option::of("[a-cA-Cxr-vé@. -]{0,16}"), 3..=3,
            ),
        ) {
            let fields: [Option<&str>; 3] = [
                fields[0].as_deref(),
                fields[1].as_deref(),
                fields[2].as_deref(),
            ];
            for screen in [
                Screen::build(&patterns).expect("screen"),
                Screen::lazy(&patterns).expect("lazy screen"),
            ] {
                let alone = fields.iter().any(|&field| screen.flags_any([field]));
                prop_assert_eq!(screen.flags_any(fields), alone, "{:?} {:?} {:?}", screen, patterns, fields);
            }
        }
    }
}
