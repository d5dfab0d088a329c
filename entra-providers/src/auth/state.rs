use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use thiserror::Error;

use entra_core::ErrorKind;
use entra_core::store::NonceStore;

use super::token_set::unix_now;
use crate::secrets::Secret;

type HmacSha256 = Hmac<Sha256>;

/// What a signed OAuth `state` vouches for: who started the sign-in, where it returns, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StateClaims {
    /// The host tenant (the MSP's account in the PSA).
    pub tenant: String,
    /// The PSA user who started the sign-in.
    pub user: String,
    pub nonce: String,
    /// Unix seconds.
    pub issued_at: u64,
    pub redirect_uri: String,
}

/// What the callback expects the state to say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateExpectation {
    pub tenant: String,
    pub user: String,
    pub redirect_uri: String,
}

/// Why a returned `state` was refused; each has its own code so the callback can say why.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum StateError {
    #[error("the state parameter is malformed: {reason}")]
    Malformed { reason: String },
    #[error("the state parameter's signature does not match")]
    BadSignature,
    #[error("the sign-in took too long; start it again")]
    Expired,
    #[error("the sign-in was started for another tenant")]
    TenantMismatch,
    #[error("the sign-in was started by another user")]
    UserMismatch,
    #[error("the sign-in was started with another redirect URI")]
    RedirectMismatch,
    #[error("the state signing key must be at least 32 bytes")]
    WeakKey,
    /// The state was already accepted once (its nonce is consumed): a replayed callback.
    #[error("this sign-in was already completed; start it again")]
    Replayed,
    /// The nonce store failed, so the state could not be checked for replay; it is refused.
    #[error("the sign-in could not be checked for replay: {message}")]
    NonceUnavailable { message: String },
}

entra_core::error_codes! {
    /// The codes of [`StateError`], one per variant; all are authorization failures.
    pub enum StateErrorCode {
        /// The state is not `claims.signature` in base64url, or its claims do not parse.
        Malformed = "state_malformed" => Auth,
        /// The signature does not match the claims.
        BadSignature = "state_bad_signature" => Auth,
        /// The sign-in took longer than the state's lifetime.
        Expired = "state_expired" => Auth,
        /// The sign-in was started for another host tenant.
        TenantMismatch = "state_tenant_mismatch" => Auth,
        /// The sign-in was started by another user.
        UserMismatch = "state_user_mismatch" => Auth,
        /// The sign-in was started with another redirect URI.
        RedirectMismatch = "state_redirect_mismatch" => Auth,
        /// The signing key is shorter than 32 bytes.
        WeakKey = "state_weak_key" => Auth,
        /// The state was already accepted once.
        Replayed = "state_replayed" => Auth,
        /// The nonce store failed, so replay could not be checked.
        NonceUnavailable = "state_nonce_unavailable" => Auth,
    }
}

impl StateError {
    /// The typed code of this error.
    pub fn typed_code(&self) -> StateErrorCode {
        match self {
            StateError::Malformed { .. } => StateErrorCode::Malformed,
            StateError::BadSignature => StateErrorCode::BadSignature,
            StateError::Expired => StateErrorCode::Expired,
            StateError::TenantMismatch => StateErrorCode::TenantMismatch,
            StateError::UserMismatch => StateErrorCode::UserMismatch,
            StateError::RedirectMismatch => StateErrorCode::RedirectMismatch,
            StateError::WeakKey => StateErrorCode::WeakKey,
            StateError::Replayed => StateErrorCode::Replayed,
            StateError::NonceUnavailable { .. } => StateErrorCode::NonceUnavailable,
        }
    }

    /// The stable machine-readable code.
    pub fn code(&self) -> &'static str {
        self.typed_code().as_str()
    }

    /// The kind of failure: always [`ErrorKind::Auth`].
    pub fn kind(&self) -> ErrorKind {
        self.typed_code().kind()
    }

    /// State errors carry no structured fields beyond their message.
    pub fn details(&self) -> Option<serde_json::Value> {
        None
    }
}

entra_core::classified!(StateError);

/// Signs and verifies OAuth `state` values with HMAC-SHA256, so a callback can trust which
/// tenant and user started the sign-in without server-side session storage. The format is
/// `base64url(json claims) "." base64url(hmac)`. [`StateSigner::verify_once`] also consumes the
/// state's nonce in a [`NonceStore`] (both sync stores implement it), so a state is accepted
/// once: a replayed callback is `state_replayed`.
#[derive(Clone)]
pub struct StateSigner {
    key: Secret,
    ttl: Duration,
}

impl std::fmt::Debug for StateSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StateSigner")
            .field("key", &self.key)
            .field("ttl", &self.ttl)
            .finish()
    }
}

impl StateSigner {
    /// The default lifetime of a state: long enough to sign in, short enough to limit replay.
    pub const DEFAULT_TTL: Duration = Duration::from_secs(600);

    pub fn new(key: Secret) -> Result<Self, StateError> {
        if key.expose().len() < 32 {
            return Err(StateError::WeakKey);
        }
        Ok(Self {
            key,
            ttl: Self::DEFAULT_TTL,
        })
    }

    pub fn with_ttl(mut self, ttl: Duration) -> Self {
        self.ttl = ttl;
        self
    }

    /// Claims for a new sign-in, with a random nonce, issued now.
    pub fn claims(tenant: &str, user: &str, redirect_uri: &str) -> StateClaims {
        let mut nonce = [0u8; 16];
        rand::rng().fill_bytes(&mut nonce);
        StateClaims {
            tenant: tenant.to_string(),
            user: user.to_string(),
            nonce: URL_SAFE_NO_PAD.encode(nonce),
            issued_at: unix_now(),
            redirect_uri: redirect_uri.to_string(),
        }
    }

    pub fn sign(&self, claims: &StateClaims) -> String {
        let json = serde_json::to_vec(claims).unwrap_or_default();
        let payload = URL_SAFE_NO_PAD.encode(json);
        let signature = URL_SAFE_NO_PAD.encode(self.mac(payload.as_bytes()));
        format!("{payload}.{signature}")
    }

    /// Verifies a state now.
    pub fn verify(
        &self,
        state: &str,
        expected: &StateExpectation,
    ) -> Result<StateClaims, StateError> {
        self.verify_at(state, expected, unix_now())
    }

    /// Verifies a state as of `now` (Unix seconds): signature first, then age, then who.
    pub fn verify_at(
        &self,
        state: &str,
        expected: &StateExpectation,
        now: u64,
    ) -> Result<StateClaims, StateError> {
        let malformed = |reason: &str| StateError::Malformed {
            reason: reason.to_string(),
        };
        let (payload, signature) = state
            .split_once('.')
            .ok_or_else(|| malformed("no signature part"))?;
        let signature = URL_SAFE_NO_PAD
            .decode(signature)
            .map_err(|_| malformed("the signature is not base64url"))?;
        let mut mac = HmacSha256::new_from_slice(self.key.expose().as_bytes())
            .map_err(|_| StateError::WeakKey)?;
        mac.update(payload.as_bytes());
        mac.verify_slice(&signature)
            .map_err(|_| StateError::BadSignature)?;
        let json = URL_SAFE_NO_PAD
            .decode(payload)
            .map_err(|_| malformed("the payload is not base64url"))?;
        let claims: StateClaims =
            serde_json::from_slice(&json).map_err(|_| malformed("the payload is not a state"))?;
        const SKEW: u64 = 60;
        if claims.issued_at > now.saturating_add(SKEW) {
            return Err(malformed("issued in the future"));
        }
        if now.saturating_sub(claims.issued_at) > self.ttl.as_secs() {
            return Err(StateError::Expired);
        }
        if claims.tenant != expected.tenant {
            return Err(StateError::TenantMismatch);
        }
        if claims.user != expected.user {
            return Err(StateError::UserMismatch);
        }
        if claims.redirect_uri != expected.redirect_uri {
            return Err(StateError::RedirectMismatch);
        }
        Ok(claims)
    }

    /// Verifies a state now and consumes its nonce: accepted once, a replay is
    /// [`StateError::Replayed`].
    pub async fn verify_once(
        &self,
        state: &str,
        expected: &StateExpectation,
        nonces: &(dyn NonceStore + '_),
    ) -> Result<StateClaims, StateError> {
        self.verify_once_at(state, expected, unix_now(), nonces)
            .await
    }

    /// [`StateSigner::verify_at`], then consumes the nonce, remembered until the state expires.
    /// Nothing is consumed for a state refused for another reason.
    pub async fn verify_once_at(
        &self,
        state: &str,
        expected: &StateExpectation,
        now: u64,
        nonces: &(dyn NonceStore + '_),
    ) -> Result<StateClaims, StateError> {
        let claims = self.verify_at(state, expected, now)?;
        if claims.nonce.trim().is_empty() {
            return Err(StateError::Malformed {
                reason: "the state carries no nonce".to_string(),
            });
        }
        let expires_at_ms = claims
            .issued_at
            .saturating_add(self.ttl.as_secs())
            .saturating_add(1)
            .saturating_mul(1000);
        match nonces.consume_nonce(&claims.nonce, expires_at_ms).await {
            Ok(true) => Ok(claims),
            Ok(false) => Err(StateError::Replayed),
            Err(err) => Err(StateError::NonceUnavailable {
                message: format!("{}: {err}", err.code()),
            }),
        }
    }

    fn mac(&self, data: &[u8]) -> Vec<u8> {
        // HMAC accepts keys of any length, so this cannot fail.
        match HmacSha256::new_from_slice(self.key.expose().as_bytes()) {
            Ok(mut mac) => {
                mac.update(data);
                mac.finalize().into_bytes().to_vec()
            }
            Err(_) => Vec::new(),
        }
    }
}
