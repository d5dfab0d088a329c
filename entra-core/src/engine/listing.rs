//! Reading a tenant's users: a delta round when a delta link is stored and allowed, otherwise a
//! full enumeration; a delta link the upstream no longer accepts falls back to a full one.

use tracing::{debug, warn};

use crate::model::{EntraUser, Warning};
use crate::provider::{DeltaListing, EntraProvider, ProviderErrorCode};
use crate::store::{ListingMode, SyncStore};

use super::{EngineError, SyncEngine, SyncOptions};

/// The users of one tenant as the planner needs them.
pub(super) struct Listing {
    pub users: Vec<EntraUser>,
    /// Whether absence from `users` means the user is gone (a complete full enumeration).
    pub absence_counts: bool,
    /// Whether the listing or delta round arrived whole.
    pub complete: bool,
    pub removed_object_ids: Vec<String>,
    pub mode: ListingMode,
    /// The link to store once the plan is applied (only for a complete round).
    pub next_delta_link: Option<String>,
    /// The stored link was refused upstream: once applied, it is replaced by `next_delta_link`
    /// or, when the fallback listing produced none, forgotten (never retried).
    pub stored_link_refused: bool,
    pub warnings: Vec<Warning>,
}

impl Listing {
    fn from_delta(mut delta: DeltaListing, mode: ListingMode, mut warnings: Vec<Warning>) -> Self {
        warnings.append(&mut delta.warnings);
        let removed_object_ids = delta.removed_object_ids();
        let complete = delta.complete;
        Self {
            absence_counts: complete && delta.full_enumeration && mode == ListingMode::Full,
            complete,
            next_delta_link: if complete { delta.delta_link } else { None },
            stored_link_refused: false,
            users: delta.users,
            removed_object_ids,
            mode,
            warnings,
        }
    }
}

impl<P: EntraProvider, S: SyncStore> SyncEngine<P, S> {
    pub(super) async fn read_users(
        &self,
        tenant: &str,
        options: &SyncOptions,
    ) -> Result<Listing, EngineError> {
        let mut warnings = Vec::new();
        let mut refused = false;
        if options.use_delta && self.provider.supports_delta() {
            if let Some(link) = self.store.load_delta_link(tenant).await? {
                match self.provider.list_users_delta(tenant, Some(&link)).await {
                    Ok(delta) if !delta.resync_required => {
                        debug!(
                            changed = delta.users.len(),
                            removed = delta.removed.len(),
                            "delta round"
                        );
                        return Ok(Listing::from_delta(delta, ListingMode::Delta, warnings));
                    }
                    Ok(_) => {}
                    Err(e) if e.code == ProviderErrorCode::ResyncRequired => {}
                    Err(e) => return Err(e.into()),
                }
                warn!("delta link refused upstream; running a full listing");
                refused = true;
                warnings.push(Warning::new(
                    "delta_resync",
                    "the stored delta link was refused upstream; a full listing was used instead",
                ));
            }
            let delta = self.provider.list_users_delta(tenant, None).await?;
            if delta.resync_required {
                return Err(crate::provider::ProviderError::new(
                    ProviderErrorCode::ResyncRequired,
                    "a full delta enumeration asked for a resync",
                )
                .into());
            }
            if !delta.complete && delta.warnings.is_empty() {
                warnings.push(Warning::new(
                    "listing_failed",
                    "the user listing stopped before its last page",
                ));
            }
            let mut listing = Listing::from_delta(delta, ListingMode::Full, warnings);
            listing.stored_link_refused = refused;
            return Ok(listing);
        }

        let mut listing = self.provider.list_users(tenant).await?;
        // A provider that left rows out says so in its own warnings.
        let explained = !listing.warnings.is_empty();
        warnings.append(&mut listing.warnings);
        if let Some(error) = &listing.error {
            warnings.push(Warning::new(
                "listing_failed",
                format!("the user listing stopped early ({error})"),
            ));
        } else if !listing.complete && !explained {
            warnings.push(Warning::new(
                "listing_failed",
                "the user listing stopped before its last page",
            ));
        }
        Ok(Listing {
            absence_counts: listing.complete,
            complete: listing.complete,
            users: listing.users,
            removed_object_ids: Vec::new(),
            mode: ListingMode::Full,
            next_delta_link: None,
            stored_link_refused: false,
            warnings,
        })
    }
}
