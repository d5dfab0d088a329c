//! Domain normalization: any text gives a canonical host or nothing, and normalizing a result
//! again changes nothing.
#![no_main]

use entra_core::mapping::domain::normalize_domain;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Some(host) = normalize_domain(&text) {
        assert!(host.is_ascii(), "a normalized host is ASCII: {host:?}");
        assert_eq!(
            host,
            host.to_ascii_lowercase(),
            "a normalized host is lower case"
        );
        assert!(host.contains('.'), "a normalized host has a dot");
        assert!(
            !host.ends_with('.') && !host.starts_with("www."),
            "{host:?}"
        );
        assert_eq!(
            normalize_domain(&host).as_deref(),
            Some(host.as_str()),
            "not idempotent"
        );
    }
});
