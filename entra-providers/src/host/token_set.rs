//! The token set as a host persists it, `{accessToken, refreshToken, expiresAt, scope}`: handed
//! to the host's rotation callback and returned by the sign-in calls. It holds the tokens
//! themselves: a host stores it in a vault, never in logs.

use entra_core::CoreError;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::auth::TokenSet;
use crate::secrets::Secret;

/// The persisted JSON form of `tokens`.
pub fn token_set_json(tokens: &TokenSet) -> Value {
    json!({
        "accessToken": tokens.access_token.expose(),
        "refreshToken": tokens.refresh_token.as_ref().map(|t| t.expose()),
        "expiresAt": tokens.expires_at,
        "scope": tokens.scope,
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct TokenSetJson {
    #[serde(default)]
    access_token: Option<String>,
    #[serde(default)]
    refresh_token: Option<String>,
    #[serde(default)]
    expires_at: Option<u64>,
    #[serde(default)]
    scope: Option<String>,
}

/// Reads a persisted token set back (the reverse of [`token_set_json`]). Missing keys are
/// empty: no access token, an expiry of 0 (treated as expired); an empty refresh token is none.
pub fn token_set_from_json(value: &Value) -> Result<TokenSet, CoreError> {
    let parsed: TokenSetJson = entra_core::json::from_value(value)?;
    Ok(TokenSet {
        access_token: Secret::new(parsed.access_token.unwrap_or_default()),
        refresh_token: parsed
            .refresh_token
            .filter(|t| !t.is_empty())
            .map(Secret::new),
        expires_at: parsed.expires_at.unwrap_or(0),
        scope: parsed.scope,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_set_round_trips_through_its_json() -> Result<(), CoreError> {
        let tokens = TokenSet {
            access_token: Secret::new("at"),
            refresh_token: Some(Secret::new("rt")),
            expires_at: 1_700_000_000,
            scope: Some("https://graph.microsoft.com/.default offline_access".into()),
        };
        let value = token_set_json(&tokens);
        assert_eq!(
            value,
            json!({
                "accessToken": "at",
                "refreshToken": "rt",
                "expiresAt": 1_700_000_000u64,
                "scope": "https://graph.microsoft.com/.default offline_access",
            })
        );
        assert_eq!(token_set_from_json(&value)?, tokens);
        let bare = TokenSet::from_refresh_token(Secret::new("rt"));
        assert_eq!(token_set_from_json(&token_set_json(&bare))?, bare);
        Ok(())
    }

    #[test]
    fn missing_keys_are_empty_and_unknown_keys_refused() -> Result<(), CoreError> {
        let read = token_set_from_json(&json!({"refreshToken": ""}))?;
        assert_eq!(read.refresh_token, None);
        assert_eq!(read.expires_at, 0);
        assert!(read.access_token.is_empty());
        let err = token_set_from_json(&json!({"refresh_token": "rt"})).unwrap_err();
        assert_eq!(err.code(), "invalid_input");
        assert!(err.to_string().contains("refresh_token"), "{err}");
        Ok(())
    }
}
