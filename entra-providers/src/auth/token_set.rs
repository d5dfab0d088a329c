use std::time::Duration;

use crate::secrets::Secret;

pub use entra_core::clock::unix_now;

/// An access token with its refresh token and expiry, as returned by the token endpoint.
/// The host persists it (atomically: a refresh token is replaced on every use).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenSet {
    pub access_token: Secret,
    pub refresh_token: Option<Secret>,
    /// Unix seconds; `0` means unknown (treated as expired).
    pub expires_at: u64,
    pub scope: Option<String>,
}

impl TokenSet {
    /// A set holding only a refresh token: the first use refreshes it.
    pub fn from_refresh_token(refresh_token: Secret) -> Self {
        Self {
            access_token: Secret::default(),
            refresh_token: Some(refresh_token),
            expires_at: 0,
            scope: None,
        }
    }

    /// Whether the access token is present and lives longer than `margin` after `now`.
    pub fn is_fresh(&self, now: u64, margin: Duration) -> bool {
        !self.access_token.is_empty() && self.expires_at > now.saturating_add(margin.as_secs())
    }
}
