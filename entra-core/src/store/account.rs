//! The account namespace. One database may serve many PSA accounts (a multi-tenant host): every
//! record a store keeps belongs to exactly one account, and a store opened for one account never
//! reads or writes another's records. Stores opened without an account use [`DEFAULT_ACCOUNT_ID`],
//! which is also where the records of databases written before namespaces existed live.

use super::error::StoreError;

/// The account of stores opened without one, and of every record written before accounts
/// existed.
pub const DEFAULT_ACCOUNT_ID: &str = "default";

/// The longest account id accepted, in bytes.
pub const MAX_ACCOUNT_ID_LEN: usize = 128;

/// Checks an account id: not blank, no surrounding whitespace, no control characters, at most
/// [`MAX_ACCOUNT_ID_LEN`] bytes. Returns it as given (ids are compared exactly).
pub fn check_account_id(account_id: &str) -> Result<String, StoreError> {
    if account_id.trim().is_empty() {
        return Err(StoreError::invalid("an account id must not be empty"));
    }
    if account_id.trim() != account_id {
        return Err(StoreError::invalid(
            "an account id must not start or end with whitespace",
        ));
    }
    if account_id.len() > MAX_ACCOUNT_ID_LEN {
        return Err(StoreError::invalid(format!(
            "an account id must be at most {MAX_ACCOUNT_ID_LEN} bytes"
        )));
    }
    if account_id.chars().any(char::is_control) {
        return Err(StoreError::invalid(
            "an account id must not contain control characters",
        ));
    }
    Ok(account_id.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_ids_are_checked() {
        // (account id, accepted)
        let cases = [
            ("default", true),
            ("acme-42", true),
            ("Ünïcode account", true),
            ("", false),
            ("   ", false),
            (" padded", false),
            ("tab\there", false),
        ];
        for (id, ok) in cases {
            let got = check_account_id(id);
            assert_eq!(got.is_ok(), ok, "{id:?}: {got:?}");
            if let Err(e) = got {
                assert_eq!(e.code(), "invalid_input");
            }
        }
        assert!(check_account_id(&"a".repeat(MAX_ACCOUNT_ID_LEN + 1)).is_err());
    }
}
