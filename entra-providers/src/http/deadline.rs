use std::future::Future;
use std::time::Duration;

use entra_core::provider::{ProviderError, ProviderErrorCode};
use tokio::time::Instant;

use super::policy::HttpPolicy;

/// The overall time budget of one listing ([`HttpPolicy::listing_deadline`]): every page fetch
/// runs under what is left of it, so a slow or endlessly throttled upstream cannot hold a run.
#[derive(Debug, Clone, Copy)]
pub struct ListingDeadline {
    started: Instant,
    limit: Duration,
}

impl ListingDeadline {
    /// Starts the clock for a listing under `policy`.
    pub fn start(policy: &HttpPolicy) -> Self {
        Self {
            started: Instant::now(),
            limit: policy.listing_deadline,
        }
    }

    /// What is left of the budget, or `listing_deadline_exceeded` once it is spent.
    pub fn remaining(&self) -> Result<Duration, ProviderError> {
        self.limit
            .checked_sub(self.started.elapsed())
            .filter(|left| !left.is_zero())
            .ok_or_else(|| self.exceeded())
    }

    /// Runs one step of the listing (a page fetch) within what is left of the budget.
    pub async fn run<T, F>(&self, step: F) -> Result<T, ProviderError>
    where
        F: Future<Output = Result<T, ProviderError>>,
    {
        let left = self.remaining()?;
        match tokio::time::timeout(left, step).await {
            Ok(result) => result,
            Err(_) => Err(self.exceeded()),
        }
    }

    fn exceeded(&self) -> ProviderError {
        ProviderError::new(
            ProviderErrorCode::ListingDeadlineExceeded,
            format!(
                "the listing did not finish within its {} s deadline",
                self.limit.as_secs_f64()
            ),
        )
    }
}
