//! Tenant-specific exclusion patterns: case-insensitive regular expressions compiled with the
//! `regex` crate (linear-time matching) into one automaton under a fixed memory budget, so an
//! administrator's patterns can neither hang a sync, nor exhaust memory, nor be silently ignored.
//!
//! Limits (documented in `docs/contract.md`): at most [`MAX_PATTERNS`] patterns of at most
//! [`MAX_PATTERN_LEN`] bytes each, compiling together to at most [`COMBINED_SIZE_LIMIT`] bytes,
//! searched with a lazy DFA cache of at most [`SEARCH_CACHE_LIMIT`] bytes. The budgets are for all
//! patterns together, never multiplied by their number.

use std::sync::{Arc, LazyLock, Mutex};

use regex::{Regex, RegexBuilder, RegexSet, RegexSetBuilder};

use crate::error::{CoreError, echo};

use super::screen::Screen;

/// Upper bound on the number of custom patterns of one settings.
pub const MAX_PATTERNS: usize = 200;
/// Upper bound on the length (bytes) of one pattern's source text.
pub const MAX_PATTERN_LEN: usize = 1_000;
/// Upper bound on the compiled size of all patterns together, in bytes.
pub const COMBINED_SIZE_LIMIT: usize = 8 << 20;
/// Upper bound on the lazy DFA cache a search of the patterns grows (per searching thread), in
/// bytes: enough that finding which of 200 patterns matched does not thrash it.
pub const SEARCH_CACHE_LIMIT: usize = 32 << 20;
/// How many distinct pattern lists stay compiled for reuse by later calls.
const CACHE_ENTRIES: usize = 8;

/// The patterns of one settings, compiled once into a single automaton.
///
/// A second automaton, the [`Screen`], holds the same patterns plus [`BUILTIN_TRIGGERS`]: the
/// words without which no built-in service-account rule can fire. One search of it per field
/// tells whether any text rule could exclude a user; nearly every person is settled by that
/// search alone, and only the rest go through the exact rules.
#[derive(Debug)]
pub(crate) struct CompiledPatterns {
    sources: Vec<String>,
    set: Option<RegexSet>,
    /// The patterns and the triggers in one lazy DFA; `None` when they do not fit the budget
    /// that way (the set and the triggers are then searched one after the other).
    screen: Option<Screen>,
}

/// Every built-in service-account rule needs one of these words (ASCII, any case) in the
/// address or display name it reads: each rule word or phrase contains one of them, and the
/// Azure AD Connect local part and display name contain `sync`. Searching for them is a sound
/// screen: a text without any of them cannot trip a built-in rule.
pub(crate) const BUILTIN_TRIGGERS: &str =
    "svc|reply|mailbox|scan|printer|copier|glass|access|admin|email|sync";

/// The screen of settings without custom patterns: the triggers alone.
static TRIGGER_SCREEN: LazyLock<Option<Screen>> =
    LazyLock::new(|| Screen::build(&[BUILTIN_TRIGGERS]));

/// [`BUILTIN_TRIGGERS`] through the `regex` engine, for when no screen could be built.
static TRIGGERS: LazyLock<Option<Regex>> = LazyLock::new(|| {
    RegexBuilder::new(BUILTIN_TRIGGERS)
        .case_insensitive(true)
        .build()
        .ok()
});

impl CompiledPatterns {
    fn new(sources: Vec<String>, set: Option<RegexSet>) -> Self {
        let screen = set.as_ref().and_then(|_| {
            let all: Vec<&str> = sources
                .iter()
                .map(String::as_str)
                .chain([BUILTIN_TRIGGERS])
                .collect();
            Screen::build(&all)
        });
        Self {
            sources,
            set,
            screen,
        }
    }

    /// Whether some custom pattern or built-in rule may match one of `texts`: `false` is
    /// certain (no custom pattern matches them and they hold no built-in trigger word), `true`
    /// means the exact rules must look. One automaton search per text in the usual case.
    #[inline]
    pub(crate) fn may_match_any<const N: usize>(&self, texts: [Option<&str>; N]) -> bool {
        let screen = match (&self.screen, &self.set) {
            (Some(screen), _) => Some(screen),
            (None, None) => TRIGGER_SCREEN.as_ref(),
            (None, Some(_)) => None,
        };
        if let Some(screen) = screen {
            return screen.flags_any(texts);
        }
        texts.into_iter().flatten().any(|text| {
            TRIGGERS.as_ref().is_none_or(|t| t.is_match(text))
                || self.set.as_ref().is_some_and(|set| set.is_match(text))
        })
    }

    /// The first pattern, in settings order, that matches any of `texts`.
    pub(crate) fn first_match<'t>(
        &self,
        texts: impl Iterator<Item = &'t str> + Clone,
    ) -> Option<&str> {
        let set = self.set.as_ref()?;
        // Most texts match no pattern: reject them in one search each.
        if !texts.clone().any(|t| set.is_match(t)) {
            return None;
        }
        let first = texts.filter_map(|t| set.matches(t).iter().next()).min()?;
        self.sources.get(first).map(String::as_str)
    }
}

/// Recently compiled pattern lists, most recently used last.
type Cache = Vec<(Vec<String>, Arc<CompiledPatterns>)>;
static CACHE: Mutex<Cache> = Mutex::new(Vec::new());

/// Compiles `patterns`, reusing the automaton of an earlier call with the same list: a sync of
/// many tenants sharing settings compiles them once. Failures are not cached.
pub(crate) fn compile_cached(patterns: &[String]) -> Result<Arc<CompiledPatterns>, CoreError> {
    if patterns.is_empty() {
        return Ok(Arc::new(CompiledPatterns::new(Vec::new(), None)));
    }
    {
        let mut cache = CACHE
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(at) = cache.iter().position(|(key, _)| key.as_slice() == patterns) {
            let entry = cache.remove(at);
            let compiled = Arc::clone(&entry.1);
            cache.push(entry);
            return Ok(compiled);
        }
    }
    // Compiled outside the lock so other threads are not held up.
    let compiled = Arc::new(compile_all(patterns)?);
    let mut cache = CACHE
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if !cache.iter().any(|(key, _)| key.as_slice() == patterns) {
        if cache.len() >= CACHE_ENTRIES {
            cache.remove(0);
        }
        cache.push((patterns.to_vec(), Arc::clone(&compiled)));
    }
    Ok(compiled)
}

fn invalid(pattern: &str, message: String) -> CoreError {
    CoreError::InvalidPattern {
        pattern: echo(pattern).into_owned(),
        message,
    }
}

/// Compiles every pattern, failing on the first invalid one with `invalid_pattern`: a count over
/// [`MAX_PATTERNS`], then per pattern in order an empty, too long or malformed text, then the
/// first pattern that takes the list over [`COMBINED_SIZE_LIMIT`].
pub(crate) fn compile_all(patterns: &[String]) -> Result<CompiledPatterns, CoreError> {
    if let Some(first_over) = patterns.get(MAX_PATTERNS) {
        return Err(invalid(
            first_over,
            format!(
                "too many patterns: {} given, at most {MAX_PATTERNS} are allowed",
                patterns.len()
            ),
        ));
    }
    for pattern in patterns {
        check_one(pattern)?;
    }
    if patterns.is_empty() {
        return Ok(CompiledPatterns::new(Vec::new(), None));
    }
    let set = match build_set(patterns) {
        Ok(set) => set,
        Err(_) => return Err(over_budget(patterns)),
    };
    Ok(CompiledPatterns::new(patterns.to_vec(), Some(set)))
}

/// Checks one pattern's text and syntax without compiling it.
fn check_one(pattern: &str) -> Result<(), CoreError> {
    if pattern.trim().is_empty() {
        return Err(invalid(
            pattern,
            "an empty pattern would exclude every user".into(),
        ));
    }
    if pattern.len() > MAX_PATTERN_LEN {
        return Err(invalid(
            pattern,
            format!("the pattern is longer than {MAX_PATTERN_LEN} characters"),
        ));
    }
    regex_syntax::ParserBuilder::new()
        .case_insensitive(true)
        .build()
        .parse(pattern)
        .map(|_| ())
        .map_err(|e| invalid(pattern, e.to_string()))
}

fn build_set(patterns: &[String]) -> Result<RegexSet, regex::Error> {
    RegexSetBuilder::new(patterns)
        .case_insensitive(true)
        .size_limit(COMBINED_SIZE_LIMIT)
        .dfa_size_limit(SEARCH_CACHE_LIMIT)
        .build()
}

/// The error for a list that does not fit the budget, naming the pattern that takes it over:
/// the shortest failing prefix, found by bisection (a handful of bounded compilations, paid only
/// on this error path).
fn over_budget(patterns: &[String]) -> CoreError {
    // Invariant: patterns[..ok] fits (or ok == 0), patterns[..bad] does not.
    let (mut ok, mut bad) = (0, patterns.len());
    while bad - ok > 1 {
        let mid = ok + (bad - ok) / 2;
        if patterns.get(..mid).is_some_and(|p| build_set(p).is_ok()) {
            ok = mid;
        } else {
            bad = mid;
        }
    }
    let culprit = patterns.get(bad - 1).map_or("", String::as_str);
    let limit = COMBINED_SIZE_LIMIT;
    let message = if bad == 1 {
        format!("the pattern compiles to more than the limit of {limit} bytes")
    } else {
        format!(
            "with the {} patterns before it, the patterns compile to more than the combined limit of {limit} bytes",
            bad - 1
        )
    };
    invalid(culprit, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(patterns: &[&str]) -> Vec<String> {
        patterns.iter().map(|p| p.to_string()).collect()
    }

    fn first_match<'a>(compiled: &'a CompiledPatterns, texts: &[&str]) -> Option<&'a str> {
        compiled.first_match(texts.iter().copied())
    }

    #[test]
    fn compiles_case_insensitive() {
        let p = compile_all(&strings(&["^ext-"])).unwrap();
        assert_eq!(first_match(&p, &["EXT-jane@contoso.com"]), Some("^ext-"));
        assert_eq!(first_match(&p, &["jane@contoso.com"]), None);
    }

    #[test]
    fn the_first_pattern_in_settings_order_is_reported() {
        let p = compile_all(&strings(&["room", "^ext-", "ext"])).unwrap();
        assert_eq!(first_match(&p, &["ext-kim", "Meeting Room"]), Some("room"));
        assert_eq!(first_match(&p, &["ext-kim", "Kim"]), Some("^ext-"));
        assert_eq!(first_match(&p, &["kim.next", "Kim"]), Some("ext"));
    }

    #[test]
    fn invalid_pattern_is_named() {
        let err = compile_all(&strings(&["ok", "([a-z"])).unwrap_err();
        assert_eq!(err.code(), "invalid_pattern");
        assert!(err.to_string().contains("([a-z"), "{err}");
    }

    #[test]
    fn empty_and_oversized_patterns_are_rejected() {
        let long = "a".repeat(MAX_PATTERN_LEN + 1);
        for patterns in [
            vec!["  ".to_string()],
            strings(&["a{1000}{1000}"]),
            vec![long],
        ] {
            let err = compile_all(&patterns).unwrap_err();
            assert_eq!(err.code(), "invalid_pattern", "{err}");
        }
    }

    #[test]
    fn more_patterns_than_the_cap_are_rejected_naming_the_limit() {
        let many: Vec<String> = (0..1_000).map(|i| format!("^user{i}x")).collect();
        let err = compile_all(&many).unwrap_err();
        assert_eq!(err.code(), "invalid_pattern");
        assert!(err.to_string().contains("too many patterns"), "{err}");
        assert!(err.to_string().contains("^user200x"), "{err}");
        let allowed = &many[..MAX_PATTERNS];
        assert!(compile_all(allowed).is_ok());
    }

    #[test]
    fn patterns_that_fit_alone_but_not_together_hit_the_combined_limit() {
        // Each compiles well under the budget alone; the list as a whole does not fit.
        let heavy: Vec<String> = (0..MAX_PATTERNS)
            .map(|i| format!(r"\w{{30}}q{i}"))
            .collect();
        assert!(compile_all(&heavy[..1]).is_ok());
        let err = compile_all(&heavy).unwrap_err();
        assert_eq!(err.code(), "invalid_pattern");
        let text = err.to_string();
        assert!(text.contains("combined limit"), "{text}");
    }

    #[test]
    fn a_huge_pattern_is_quoted_truncated() {
        let huge = "(".repeat(50_000_000);
        let err = compile_all(&[huge]).unwrap_err();
        let CoreError::InvalidPattern { pattern, .. } = &err else {
            panic!("{err:?}");
        };
        assert_eq!(pattern, &format!("{}…(50000000 bytes)", "(".repeat(80)));
        assert!(err.to_string().len() < 300, "{}", err.to_string().len());
    }

    #[test]
    fn the_same_list_is_compiled_once() {
        let list = strings(&["^cache-test-a", "^cache-test-b"]);
        let first = compile_cached(&list).unwrap();
        let again = compile_cached(&list).unwrap();
        assert!(Arc::ptr_eq(&first, &again));
        let other = compile_cached(&strings(&["^cache-test-a"])).unwrap();
        assert!(!Arc::ptr_eq(&first, &other));
    }
}
