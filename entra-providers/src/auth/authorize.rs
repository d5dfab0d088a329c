use entra_core::provider::ProviderError;
use url::Url;

use super::cloud::CloudEndpoints;
use super::pkce::Pkce;
use super::state::{StateClaims, StateSigner};
use crate::secrets::Secret;

/// The parameters of the partner's authorization request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizeRequest {
    pub client_id: String,
    pub redirect_uri: String,
    /// `organizations` or the partner tenant id (a single-tenant app cannot use `common`).
    pub authority: String,
    pub scopes: Vec<String>,
    pub state: String,
    pub code_challenge: String,
    /// `login`, `none`, `consent` or `select_account`; not needed to get a refresh token.
    pub prompt: Option<String>,
    pub login_hint: Option<String>,
}

/// `{login}/{authority}/oauth2/v2.0/authorize?...` with PKCE S256 and `response_mode=query`.
pub fn authorize_url(
    endpoints: &CloudEndpoints,
    request: &AuthorizeRequest,
) -> Result<Url, ProviderError> {
    let mut url = endpoints.authorize_url(&request.authority)?;
    {
        let mut query = url.query_pairs_mut();
        query
            .append_pair("client_id", &request.client_id)
            .append_pair("response_type", "code")
            .append_pair("redirect_uri", &request.redirect_uri)
            .append_pair("response_mode", "query")
            .append_pair("scope", &request.scopes.join(" "))
            .append_pair("state", &request.state)
            .append_pair("code_challenge", &request.code_challenge)
            .append_pair("code_challenge_method", "S256");
        if let Some(prompt) = &request.prompt {
            query.append_pair("prompt", prompt);
        }
        if let Some(hint) = &request.login_hint {
            query.append_pair("login_hint", hint);
        }
    }
    Ok(url)
}

/// Everything a host keeps between sending the partner to Microsoft and the callback.
#[derive(Debug, Clone)]
pub struct AuthorizationStart {
    pub url: Url,
    /// The signed state (also inside `url`); verify it in the callback.
    pub state: String,
    pub claims: StateClaims,
    /// Keep server-side (e.g. in the session) for the code exchange.
    pub code_verifier: Secret,
}

/// The fixed part of a partner sign-in, configured once per host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignInConfig {
    pub client_id: String,
    /// `organizations` or the partner tenant id.
    pub authority: String,
    pub redirect_uri: String,
    /// `None`: [`CloudEndpoints::partner_scopes`].
    pub scopes: Option<Vec<String>>,
    pub prompt: Option<String>,
}

/// Starts a partner sign-in: a fresh PKCE pair, a signed state and the authorize URL.
pub fn begin_authorization(
    endpoints: &CloudEndpoints,
    signer: &StateSigner,
    config: &SignInConfig,
    host_tenant: &str,
    host_user: &str,
) -> Result<AuthorizationStart, ProviderError> {
    let pkce = Pkce::generate();
    let claims = StateSigner::claims(host_tenant, host_user, &config.redirect_uri);
    let state = signer.sign(&claims);
    let request = AuthorizeRequest {
        client_id: config.client_id.clone(),
        redirect_uri: config.redirect_uri.clone(),
        authority: config.authority.clone(),
        scopes: config
            .scopes
            .clone()
            .unwrap_or_else(|| endpoints.partner_scopes()),
        state: state.clone(),
        code_challenge: pkce.challenge,
        prompt: config.prompt.clone(),
        login_hint: None,
    };
    Ok(AuthorizationStart {
        url: authorize_url(endpoints, &request)?,
        state,
        claims,
        code_verifier: pkce.verifier,
    })
}
