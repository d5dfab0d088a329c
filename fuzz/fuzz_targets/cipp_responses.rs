//! CIPP response parsing: tenant rows, user pages (including the `Results`/`Metadata` envelope)
//! and failure bodies with any status. The first byte picks the parser; none may panic.
#![no_main]

use entra_providers::cipp::errors::{classify_cipp_failure, reason_text};
use entra_providers::cipp::tenants::parse_tenant_rows;
use entra_providers::cipp::users::parse_user_page;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((pick, text, status)) = entra_sync_fuzz::pick_text(data) else {
        return;
    };
    match pick % 3 {
        0 => {
            if let Ok(value) = serde_json::from_str::<serde_json::Value>(&text) {
                if let Ok(tenants) = parse_tenant_rows(&value, Some("partner")) {
                    for tenant in &tenants {
                        assert!(!tenant.entra_tenant_id.is_empty(), "a tenant without an id");
                    }
                }
            }
        }
        1 => {
            if let Ok(value) = serde_json::from_str::<serde_json::Value>(&text) {
                let _ = parse_user_page(&value, "00000000-0000-0000-0000-000000000001");
            }
        }
        _ => {
            let err = classify_cipp_failure(status, &text);
            assert!(!err.code().is_empty());
            // Redaction may lengthen a short text (`code=x` becomes `code=[redacted]`); the
            // reason is bounded by the scrubber's cap: 600 bytes and an ellipsis.
            assert!(reason_text(&text).len() <= 600 + '…'.len_utf8());
        }
    }
});
