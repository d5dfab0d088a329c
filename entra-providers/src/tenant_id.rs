//! Checking a tenant id before it becomes a URL path segment (a login authority) or a query
//! value: a GUID or a domain name, nothing that could change where a request goes.

use entra_core::provider::{ProviderError, ProviderErrorCode};

/// Accepts a tenant GUID, a domain (`contoso.onmicrosoft.com`) or an authority name; refuses
/// anything else, naming the offending value (cut to 64 characters, never a secret): an empty
/// value, a path or query character (`/`, `\`, `?`, `#`, `%`, `&`, whitespace...), `.`/`..`
/// segments and empty labels (`a..b`, a leading or trailing dot), and more than 255 characters.
pub(crate) fn check_tenant_id(tenant: &str, what: &str) -> Result<(), ProviderError> {
    let well_formed = !tenant.is_empty()
        && tenant.len() <= 255
        && tenant
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'))
        && !tenant.starts_with('.')
        && !tenant.ends_with('.')
        && !tenant.contains("..");
    if well_formed {
        Ok(())
    } else {
        Err(ProviderError::new(
            ProviderErrorCode::Configuration,
            format!(
                "the {what} `{}` is not a tenant id or domain",
                tenant.chars().take(64).collect::<String>()
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::check_tenant_id;

    #[test]
    fn tenant_ids_that_could_change_a_url_are_refused() {
        for good in [
            "52eaad04-13a2-4a2f-9ce8-93a294fadf36",
            "contoso.onmicrosoft.com",
            "organizations",
            "a_b",
        ] {
            assert!(check_tenant_id(good, "tenant id").is_ok(), "{good}");
        }
        for bad in [
            "",
            "..",
            ".",
            "a..b",
            ".contoso.com",
            "contoso.com.",
            "../evil",
            "a/b",
            "a?b=c",
            "a#b",
            "a%2e%2e",
            "a b",
            "a\\b",
            "a&b",
        ] {
            let err = check_tenant_id(bad, "CIPP tenant id").unwrap_err();
            assert_eq!(err.code(), "configuration", "{bad}");
            assert!(err.message.contains("CIPP tenant id"), "{}", err.message);
        }
        assert!(check_tenant_id(&"a".repeat(256), "tenant id").is_err());
    }
}
