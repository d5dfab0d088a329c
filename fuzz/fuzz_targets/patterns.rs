//! Custom exclusion patterns, one per line: validation gives a verdict or a typed error within
//! the documented limits, never a panic or a runaway compile.
#![no_main]

use entra_core::filter::validate_patterns;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let patterns: Vec<String> = text.split('\n').map(str::to_string).collect();
    if let Err(err) = validate_patterns(&patterns) {
        assert_eq!(err.code(), "invalid_pattern");
        assert!(
            err.to_string().chars().count() <= 1_200,
            "an unbounded error message"
        );
    }
});
