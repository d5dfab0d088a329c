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

use regex_automata::dfa::{Automaton, dense};
use regex_automata::hybrid::dfa::{Cache, DFA};
use regex_automata::nfa::thompson;
use regex_automata::util::pool::Pool;
use regex_automata::util::syntax;
use regex_automata::{Input, MatchKind};

use super::patterns::{COMBINED_SIZE_LIMIT, SEARCH_CACHE_LIMIT};

/// The largest dense DFA the screen builds (and the most its determinization may use); larger
/// pattern lists are searched with the lazy DFA.
pub(crate) const DENSE_LIMIT: usize = 1 << 20;

/// Only a pattern list whose NFA is at most this large is determinized in full: the time to build
/// each DFA state grows with the NFA, so this bounds the compile time a settings change can cost.
pub(crate) const DENSE_NFA_LIMIT: usize = 32 << 10;

type CacheFactory =
    Box<dyn Fn() -> Cache + Send + Sync + std::panic::RefUnwindSafe + std::panic::UnwindSafe>;

/// One automaton for all text rules.
pub(crate) enum Screen {
    /// Fully built: no per-search state.
    Dense(dense::DFA<Vec<u32>>),
    /// Built while searching, with its per-thread search caches.
    Lazy {
        dfa: DFA,
        caches: Pool<Cache, CacheFactory>,
    },
}

impl std::fmt::Debug for Screen {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (kind, patterns) = match self {
            Screen::Dense(dfa) => ("dense", dfa.pattern_len()),
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
        let nfa = thompson::Compiler::new()
            .syntax(syntax::Config::new().case_insensitive(true))
            .configure(thompson::Config::new().nfa_size_limit(Some(COMBINED_SIZE_LIMIT)))
            .build_many(patterns)
            .ok()?;
        if nfa.memory_usage() <= DENSE_NFA_LIMIT
            && let Some(dense) = Self::dense_from(&nfa)
        {
            return Some(dense);
        }
        Self::lazy_from(nfa)
    }

    fn dense_from(nfa: &thompson::NFA) -> Option<Self> {
        let dfa = dense::Builder::new()
            .configure(
                dense::Config::new()
                    .match_kind(MatchKind::All)
                    .minimize(false)
                    .unicode_word_boundary(true)
                    .determinize_size_limit(Some(DENSE_LIMIT))
                    .dfa_size_limit(Some(DENSE_LIMIT)),
            )
            .build_from_nfa(nfa)
            .ok()?;
        Some(Screen::Dense(dfa))
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
            dfa,
            caches: Pool::new(factory),
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
            Screen::Dense(dfa) => texts.into_iter().flatten().any(|text| {
                let input = Input::new(text).earliest(true);
                !matches!(dfa.try_search_fwd(&input), Ok(None))
            }),
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

    /// Both engines give the same verdict, text by text, on matches, misses and the non-ASCII
    /// text a Unicode word boundary makes them decline.
    #[test]
    fn dense_and_lazy_screens_agree() {
        let patterns = [
            "^ext-",
            r"@contractors\.contoso\.com$",
            r"\bbot\b",
            "svc|reply",
        ];
        let nfa = || {
            thompson::Compiler::new()
                .syntax(syntax::Config::new().case_insensitive(true))
                .build_many(&patterns)
                .expect("nfa")
        };
        let dense = Screen::dense_from(&nfa()).expect("dense");
        let lazy = Screen::lazy_from(nfa()).expect("lazy");
        assert!(Screen::build(&patterns).expect("screen").is_dense());
        assert!(dense.is_dense() && !lazy.is_dense());
        let cases = [
            ("ext-kim@contoso.com", true),
            ("kim.ext-@contoso.com", false),
            ("lee@contractors.contoso.com", true),
            ("lee@contractors.contoso.com.au", false),
            ("teams-bot@contoso.com", true),
            ("abbott@contoso.com", false),
            ("NoReply@contoso.com", true),
            ("Jane Doe", false),
            ("Zoë bot", true),
            ("", false),
        ];
        for (text, flagged) in cases {
            assert_eq!(dense.flags_any([Some(text)]), flagged, "dense {text:?}");
            assert_eq!(lazy.flags_any([Some(text)]), flagged, "lazy {text:?}");
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
}
