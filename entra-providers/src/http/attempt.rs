//! One attempt at a GET, and whether a failed one is worth one more: an answer that broke off
//! while its body was read, or a 2xx body cut short so that it is not JSON at all, is usually a
//! dying connection or proxy, not the upstream's answer. A GET can be repeated, so the callers
//! ask once more rather than leave a listing incomplete. An answer that says it failed, or JSON
//! of the wrong shape, would come back the same and is not asked for again.

use entra_core::provider::{ProviderError, ProviderErrorCode};

/// Why an attempt failed.
pub(crate) enum Attempt {
    /// The upstream's own answer (or no answer after the transport's retries).
    Failed(ProviderError),
    /// The answer broke off or was cut short: worth asking once more.
    Broken(ProviderError),
}

impl Attempt {
    pub(crate) fn into_error(self) -> ProviderError {
        match self {
            Attempt::Failed(err) | Attempt::Broken(err) => err,
        }
    }

    /// A failure reading an answer's body: a broken connection is [`Attempt::Broken`].
    pub(crate) fn of_read(err: ProviderError) -> Self {
        if err.code == ProviderErrorCode::UpstreamUnavailable {
            Attempt::Broken(err)
        } else {
            Attempt::Failed(err)
        }
    }

    /// A 2xx `body` that `err` says cannot be read: broken when it is not JSON at all.
    pub(crate) fn of_parse(err: ProviderError, body: &str) -> Self {
        if serde_json::from_str::<serde::de::IgnoredAny>(body).is_ok() {
            Attempt::Failed(err)
        } else {
            Attempt::Broken(err)
        }
    }
}
