//! Tenant-specific exclusion patterns: case-insensitive regular expressions compiled once with
//! the `regex` crate (linear-time matching, bounded compiled size) so an administrator's pattern
//! can neither hang a sync nor be silently ignored.

use regex::{Regex, RegexBuilder, RegexSet, RegexSetBuilder};

use crate::error::CoreError;

/// Upper bound on the compiled size of one pattern.
const SIZE_LIMIT: usize = 1 << 20;
/// Upper bound on the length of one pattern's source text.
const MAX_PATTERN_LEN: usize = 1_000;

/// One compiled pattern with its source text, reported back when it excludes a user.
#[derive(Debug, Clone)]
pub(crate) struct CustomPattern {
    pub(crate) source: String,
    pub(crate) regex: Regex,
}

/// All patterns in one automaton: a text that matches none of them (the common case) is rejected
/// in a single search instead of one per pattern.
pub(crate) fn combined(patterns: &[CustomPattern]) -> Option<RegexSet> {
    if patterns.len() < 2 {
        return None;
    }
    RegexSetBuilder::new(patterns.iter().map(|p| p.source.as_str()))
        .case_insensitive(true)
        .size_limit(SIZE_LIMIT * patterns.len())
        .dfa_size_limit(SIZE_LIMIT * patterns.len())
        .build()
        .ok()
}

/// Compiles every pattern, failing on the first invalid one with `invalid_pattern`.
pub(crate) fn compile_all(patterns: &[String]) -> Result<Vec<CustomPattern>, CoreError> {
    patterns.iter().map(|p| compile(p)).collect()
}

fn compile(pattern: &str) -> Result<CustomPattern, CoreError> {
    let invalid = |message: String| CoreError::InvalidPattern {
        pattern: pattern.to_string(),
        message,
    };
    if pattern.trim().is_empty() {
        return Err(invalid("an empty pattern would exclude every user".into()));
    }
    if pattern.len() > MAX_PATTERN_LEN {
        return Err(invalid(format!(
            "the pattern is longer than {MAX_PATTERN_LEN} characters"
        )));
    }
    let regex = RegexBuilder::new(pattern)
        .case_insensitive(true)
        .size_limit(SIZE_LIMIT)
        .dfa_size_limit(SIZE_LIMIT)
        .build()
        .map_err(|e| invalid(e.to_string()))?;
    Ok(CustomPattern {
        source: pattern.to_string(),
        regex,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compiles_case_insensitive() {
        let p = compile_all(&["^ext-".to_string()]).unwrap();
        assert!(p[0].regex.is_match("EXT-jane@contoso.com"));
    }

    #[test]
    fn invalid_pattern_is_named() {
        let err = compile_all(&["ok".into(), "([a-z".into()]).unwrap_err();
        assert_eq!(err.code(), "invalid_pattern");
        assert!(err.to_string().contains("([a-z"), "{err}");
    }

    #[test]
    fn empty_and_oversized_patterns_are_rejected() {
        assert_eq!(
            compile_all(&["  ".into()]).unwrap_err().code(),
            "invalid_pattern"
        );
        let huge = "a{1000}{1000}".to_string();
        assert_eq!(compile_all(&[huge]).unwrap_err().code(), "invalid_pattern");
        let long = "a".repeat(MAX_PATTERN_LEN + 1);
        assert_eq!(compile_all(&[long]).unwrap_err().code(), "invalid_pattern");
    }
}
