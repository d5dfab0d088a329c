//! Partner sign-in and tokens: national-cloud endpoints, the authorize URL with PKCE and a
//! signed `state`, the token endpoint (code exchange, refresh with rotation, client credentials)
//! and a token manager that refreshes ahead of expiry, once per tenant at a time.

mod authorize;
mod cloud;
mod jwt;
mod manager;
mod pkce;
mod rotation;
mod state;
mod token_client;
mod token_set;

pub use authorize::{
    AuthorizationStart, AuthorizeRequest, SignInConfig, authorize_url, begin_authorization,
};
pub use cloud::{CloudEndpoints, NationalCloud, check_authority as check_tenant_segment};
pub use jwt::token_tenant_id;
pub use manager::{CustomerGrant, TokenManager, TokenManagerConfig};
pub use pkce::Pkce;
pub use rotation::{
    CallbackSink, PersistOutcome, SecretsTokenSink, TokenRotationSink, load_token_set,
    store_token_set,
};
pub use state::{StateClaims, StateError, StateErrorCode, StateExpectation, StateSigner};
pub use token_client::TokenClient;
pub use token_set::{TokenSet, unix_now};
