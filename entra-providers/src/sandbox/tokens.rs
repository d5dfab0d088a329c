//! Access tokens: JWT-shaped (header.claims.signature, base64url) and signed with HMAC-SHA256 under
//! a key that lives only in this process, so a token altered in any byte, or minted by another
//! sandbox, is refused like a forged one would be.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

/// The audience of Microsoft Graph tokens.
#[cfg(test)]
pub const GRAPH_AUDIENCE: &str = "https://graph.microsoft.com";

/// What an access token asserts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// Who may accept the token: Graph, or `api://{cippClientId}`.
    pub aud: String,
    pub iss: String,
    /// The tenant the token was minted for: Graph serves this tenant's directory.
    pub tid: String,
    /// The client that asked for it.
    pub appid: String,
    /// The signed-in user, for delegated tokens; absent for app-only tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upn: Option<String>,
    /// Delegated scopes, space separated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scp: Option<String>,
    pub iat: u64,
    pub nbf: u64,
    pub exp: u64,
    /// The sandbox's token generation when minted; revoking bumps it.
    pub generation: u64,
    /// Unique token id.
    pub uti: String,
}

impl Claims {
    /// True for tokens minted for a signed-in user (refresh token or code), false for app-only.
    pub fn delegated(&self) -> bool {
        self.oid.is_some()
    }
}

/// Why a presented token is not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejection {
    Missing,
    Malformed,
    BadSignature,
    Expired,
    Revoked,
    WrongAudience,
}

impl Rejection {
    /// The message Graph answers with (401 `InvalidAuthenticationToken`).
    pub fn graph_message(self) -> &'static str {
        match self {
            Self::Missing => "Access token is empty.",
            Self::Malformed => {
                "IDX14100: JWT is not well formed, there are no dots (.). The token needs to be in JWS or JWE Compact Serialization Format."
            }
            Self::BadSignature => "Access token validation failure. Invalid signature.",
            Self::Expired | Self::Revoked => "Access token has expired or is not yet valid.",
            Self::WrongAudience => "Access token validation failure. Invalid audience.",
        }
    }
}

/// Signs and verifies access tokens.
pub struct TokenSigner {
    key: [u8; 32],
}

impl std::fmt::Debug for TokenSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenSigner([redacted])")
    }
}

type HmacSha256 = Hmac<Sha256>;

impl TokenSigner {
    pub fn new(key: [u8; 32]) -> Self {
        Self { key }
    }

    fn mac(&self) -> HmacSha256 {
        // HMAC accepts keys of any length, so this cannot fail.
        match HmacSha256::new_from_slice(&self.key) {
            Ok(mac) => mac,
            Err(_) => unreachable!("HMAC-SHA256 takes keys of every length"),
        }
    }

    /// A compact JWS carrying the claims.
    pub fn sign(&self, claims: &Claims) -> String {
        let header = URL_SAFE_NO_PAD.encode(br#"{"typ":"JWT","alg":"HS256","kid":"sandbox"}"#);
        let body = URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).unwrap_or_default());
        let signing_input = format!("{header}.{body}");
        let mut mac = self.mac();
        mac.update(signing_input.as_bytes());
        let sig = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
        format!("{signing_input}.{sig}")
    }

    /// The claims of a token this signer made, if its signature holds and it has not expired.
    pub fn verify(&self, token: &str, now: u64) -> Result<Claims, Rejection> {
        let mut parts = token.split('.');
        let (Some(header), Some(body), Some(sig), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(Rejection::Malformed);
        };
        let sig = URL_SAFE_NO_PAD
            .decode(sig)
            .map_err(|_| Rejection::Malformed)?;
        let mut mac = self.mac();
        mac.update(header.as_bytes());
        mac.update(b".");
        mac.update(body.as_bytes());
        mac.verify_slice(&sig)
            .map_err(|_| Rejection::BadSignature)?;
        let body = URL_SAFE_NO_PAD
            .decode(body)
            .map_err(|_| Rejection::Malformed)?;
        let claims: Claims = serde_json::from_slice(&body).map_err(|_| Rejection::Malformed)?;
        if now >= claims.exp || now + 300 < claims.nbf {
            return Err(Rejection::Expired);
        }
        Ok(claims)
    }
}

/// The bearer token of an `Authorization` header value.
pub fn bearer(header: Option<&str>) -> Option<&str> {
    let value = header?.trim();
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims() -> Claims {
        Claims {
            aud: GRAPH_AUDIENCE.into(),
            iss: "https://sts.windows.net/t/".into(),
            tid: "t".into(),
            appid: "a".into(),
            oid: None,
            upn: None,
            scp: None,
            iat: 100,
            nbf: 100,
            exp: 200,
            generation: 0,
            uti: "u".into(),
        }
    }

    #[test]
    fn verifies_its_own_tokens_and_refuses_tampering_and_expiry() {
        let signer = TokenSigner::new([7; 32]);
        let token = signer.sign(&claims());
        assert_eq!(signer.verify(&token, 150), Ok(claims()));
        assert_eq!(signer.verify(&token, 200), Err(Rejection::Expired));
        let other = TokenSigner::new([8; 32]);
        assert_eq!(other.verify(&token, 150), Err(Rejection::BadSignature));
        let mut forged = claims();
        forged.tid = "other".into();
        let forged_body = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&forged).unwrap_or_default());
        let parts: Vec<&str> = token.split('.').collect();
        let tampered = format!("{}.{}.{}", parts[0], forged_body, parts[2]);
        assert_eq!(signer.verify(&tampered, 150), Err(Rejection::BadSignature));
        assert_eq!(signer.verify("garbage", 150), Err(Rejection::Malformed));
    }

    #[test]
    fn reads_bearer_headers() {
        assert_eq!(bearer(Some("Bearer abc")), Some("abc"));
        assert_eq!(bearer(Some("bearer  abc ")), Some("abc"));
        assert_eq!(bearer(Some("Basic abc")), None);
        assert_eq!(bearer(Some("Bearer ")), None);
        assert_eq!(bearer(None), None);
    }
}
