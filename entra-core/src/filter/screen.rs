//! The text screen: the custom patterns and the built-in trigger words compiled into one lazy
//! DFA, searched once per field to tell whether any text rule could exclude a user.
//!
//! The DFA is searched directly (no literal prefilter, no strategy selection), byte by byte, and
//! stops at the first match. It is built under the same budgets as the patterns themselves
//! ([`COMBINED_SIZE_LIMIT`] for the compiled automaton, [`SEARCH_CACHE_LIMIT`] for its cache),
//! and a search is linear in the text. Whatever it cannot decide (it declines non-ASCII text
//! when a pattern has a Unicode word boundary) counts as flagged: the exact rules then decide.

use regex_automata::Input;
use regex_automata::hybrid::dfa::{Cache, DFA};
use regex_automata::nfa::thompson;
use regex_automata::util::pool::Pool;
use regex_automata::util::syntax;

use super::patterns::{COMBINED_SIZE_LIMIT, SEARCH_CACHE_LIMIT};

type CacheFactory =
    Box<dyn Fn() -> Cache + Send + Sync + std::panic::RefUnwindSafe + std::panic::UnwindSafe>;

/// One automaton for all text rules, with its per-thread search caches.
pub(crate) struct Screen {
    dfa: DFA,
    caches: Pool<Cache, CacheFactory>,
}

impl std::fmt::Debug for Screen {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Screen")
            .field("patterns", &self.dfa.pattern_len())
            .finish_non_exhaustive()
    }
}

impl Screen {
    /// Compiles `patterns` case-insensitively into one lazy DFA; `None` when they do not fit
    /// the budget this way (the caller then screens with the pattern set it already has).
    pub(crate) fn build<S: AsRef<str>>(patterns: &[S]) -> Option<Self> {
        let dfa = DFA::builder()
            .syntax(syntax::Config::new().case_insensitive(true))
            .thompson(thompson::Config::new().nfa_size_limit(Some(COMBINED_SIZE_LIMIT)))
            .configure(
                DFA::config()
                    .cache_capacity(SEARCH_CACHE_LIMIT)
                    .unicode_word_boundary(true),
            )
            .build_many(patterns)
            .ok()?;
        let factory_dfa = dfa.clone();
        let factory: CacheFactory = Box::new(move || factory_dfa.create_cache());
        Some(Self {
            dfa,
            caches: Pool::new(factory),
        })
    }

    /// Whether some pattern may match one of `texts`: `false` is certain, `true` (a match, or a
    /// text the DFA declines) sends the user to the exact rules.
    #[inline]
    pub(crate) fn flags_any<const N: usize>(&self, texts: [Option<&str>; N]) -> bool {
        let mut cache = self.caches.get();
        texts.into_iter().flatten().any(|text| {
            let input = Input::new(text).earliest(true);
            !matches!(self.dfa.try_search_fwd(&mut cache, &input), Ok(None))
        })
    }
}
