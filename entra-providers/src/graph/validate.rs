//! The named steps of a direct-connection check; the report types live in
//! [`crate::validation`].

pub(crate) use crate::validation::ValidationCheck;

pub(crate) const CREDENTIALS: &str = "credentials_resolvable";
pub(crate) const TOKEN: &str = "token_refreshable";
pub(crate) const DISCOVERY: &str = "discovery_readable";
pub(crate) const USERS: &str = "customer_users_readable";
