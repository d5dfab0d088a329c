//! Wall-clock helpers: the services stamp errors and tokens with the current time, in the formats
//! the real ones use.

use entra_core::clock::civil_time as civil;
pub use entra_core::clock::unix_now;

/// `2026-08-01T10:00:00Z`, as Graph writes `createdDateTime`.
pub fn iso(secs: u64) -> String {
    let (y, mo, d, h, mi, s) = civil(secs);
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
}

/// `2024-09-24T13:40:08`, as Graph writes `innerError.date`.
pub fn graph_error_date(secs: u64) -> String {
    let (y, mo, d, h, mi, s) = civil(secs);
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}")
}

/// `2026-08-01 10:00:00Z`, as the token endpoint writes `timestamp`.
pub fn aad_timestamp(secs: u64) -> String {
    let (y, mo, d, h, mi, s) = civil(secs);
    format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}Z")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_instants() {
        assert_eq!(iso(0), "1970-01-01T00:00:00Z");
        // 2024-02-29T12:34:56Z: a leap day.
        assert_eq!(iso(1_709_210_096), "2024-02-29T12:34:56Z");
        assert_eq!(aad_timestamp(1_709_210_096), "2024-02-29 12:34:56Z");
        assert_eq!(graph_error_date(1_709_210_096), "2024-02-29T12:34:56");
    }
}
