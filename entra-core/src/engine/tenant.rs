//! One tenant's sync: read users, load what the plan needs in a few batches, plan, and (unless a
//! dry run) apply the plan atomically, then move the delta link forward.

use std::collections::BTreeSet;

use tracing::{Instrument, Span, info, info_span};

use crate::model::{MappingState, SyncSettings, TenantMapping, Warning};
use crate::provider::EntraProvider;
use crate::reconcile::{PlanInput, plan_tenant_sync};
use crate::store::{ListingMode, SyncStore, changes_from_plan, user_addresses};

use super::{EngineError, SyncEngine, SyncOptions, TenantSyncReport};

impl<P: EntraProvider, S: SyncStore> SyncEngine<P, S> {
    /// Syncs the contacts of one mapped tenant. A dry run plans and writes nothing at all.
    pub async fn sync_tenant(
        &self,
        mapping: &TenantMapping,
        options: &SyncOptions,
    ) -> Result<TenantSyncReport, EngineError> {
        self.sync_tenant_with(mapping, options, None).await
    }

    /// [`SyncEngine::sync_tenant`] with the tenant's effective settings already read (`None`:
    /// read them from the store).
    pub(super) async fn sync_tenant_with(
        &self,
        mapping: &TenantMapping,
        options: &SyncOptions,
        settings: Option<SyncSettings>,
    ) -> Result<TenantSyncReport, EngineError> {
        let client_id = match (&mapping.state, &mapping.client_id) {
            (MappingState::Mapped, Some(client)) if !client.trim().is_empty() => client.clone(),
            _ => {
                return Err(EngineError::NotMapped {
                    entra_tenant_id: mapping.entra_tenant_id.clone(),
                });
            }
        };
        // The counts are recorded on the span once the plan is known, so a trace shows them on
        // the tenant's span itself.
        let span = info_span!(
            "entra_sync.tenant",
            tenant = %mapping.entra_tenant_id,
            client = %client_id,
            dry_run = options.dry_run,
            users = tracing::field::Empty,
            created = tracing::field::Empty,
            linked = tracing::field::Empty,
            updated = tracing::field::Empty,
            inactivated = tracing::field::Empty,
            reactivated = tracing::field::Empty,
            queued = tracing::field::Empty,
        );
        self.sync_mapped(
            &mapping.entra_tenant_id,
            client_id,
            options,
            settings,
            &span,
        )
        .instrument(span.clone())
        .await
    }

    async fn sync_mapped(
        &self,
        tenant: &str,
        client_id: String,
        options: &SyncOptions,
        settings: Option<SyncSettings>,
        span: &Span,
    ) -> Result<TenantSyncReport, EngineError> {
        let started = self.clock.now_ms();
        let settings = match settings {
            Some(settings) => settings,
            None => self.store.load_sync_settings(tenant).await?,
        };
        // A delta round lists only users that changed, and a change of group membership or of
        // the group settings changes no user: a group-scoped tenant is always listed in full.
        let grouped = !settings.filter.include_group_ids.is_empty()
            || !settings.filter.exclude_group_ids.is_empty();
        let full_only;
        let listing_options = if grouped && options.use_delta {
            full_only = SyncOptions {
                use_delta: false,
                ..options.clone()
            };
            &full_only
        } else {
            options
        };
        let listing = self.read_users(tenant, listing_options).await?;

        let addresses: BTreeSet<String> = listing.users.iter().flat_map(user_addresses).collect();
        let addresses: Vec<String> = addresses.into_iter().collect();
        let contacts = self
            .store
            .load_plan_contacts(&client_id, &addresses)
            .await?;
        let contact_ids: Vec<String> = contacts.iter().map(|c| c.contact_id.clone()).collect();
        let links = self.store.load_plan_links(tenant, &contact_ids).await?;
        let resolutions = self.store.load_resolutions(tenant).await?;
        let (group_memberships, group_warnings) =
            self.read_group_memberships(tenant, &settings).await;

        let users_listed = listing.users.len() as u64;
        let input = PlanInput {
            entra_tenant_id: tenant.to_string(),
            client_id: client_id.clone(),
            users: listing.users,
            listing_complete: listing.absence_counts,
            removed_object_ids: listing.removed_object_ids,
            contacts,
            links,
            resolutions,
            settings,
            now: Some(crate::clock::rfc3339(started)),
            synced_by: Some(format!(
                "entra-sync:{}",
                self.provider.connection_type().as_str()
            )),
            group_memberships,
        };
        let plan = plan_tenant_sync(&input)?;
        let full_and_complete = listing.complete && listing.mode == ListingMode::Full;
        let (license_summary, license_warning) = self
            .read_license_summary(tenant, &input.users, full_and_complete)
            .await;

        let mut skipped_contact_ids = Vec::new();
        if !options.dry_run {
            let changes = changes_from_plan(&input, &plan)?;
            if !changes.is_empty() {
                skipped_contact_ids = self
                    .store
                    .apply_changes(&changes)
                    .await?
                    .skipped_contact_ids;
            }
            // Only now that the round is applied may the next one start after it.
            if let Some(link) = &listing.next_delta_link {
                self.store.save_delta_link(tenant, Some(link)).await?;
            } else if listing.stored_link_refused {
                // The fallback listing stopped early: forget the refused link so the next run
                // starts with a full listing instead of asking for it again.
                self.store.save_delta_link(tenant, None).await?;
            }
        }

        // A delta round lists only changed users by design: that is not an incomplete listing.
        let mut warnings: Vec<_> = plan
            .warnings
            .iter()
            .filter(|w| !(listing.complete && w.code == "listing_incomplete"))
            .cloned()
            .collect();
        warnings.extend(listing.warnings);
        warnings.extend(group_warnings);
        warnings.extend(license_warning);
        if !skipped_contact_ids.is_empty() {
            warnings.push(Warning::new(
                "contact_changed_since_planning",
                format!(
                    "{} contacts changed in the store while this tenant was planned and were left as they are for the next run: {}{}",
                    skipped_contact_ids.len(),
                    skipped_contact_ids
                        .iter()
                        .take(20)
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(", "),
                    if skipped_contact_ids.len() > 20 { ", ..." } else { "" }
                ),
            ));
        }

        let c = &plan.counters;
        span.record("users", users_listed);
        span.record("created", c.created);
        span.record("linked", c.linked);
        span.record("updated", c.updated);
        span.record("inactivated", c.inactivated);
        span.record("reactivated", c.reactivated);
        span.record("queued", c.ambiguous + c.conflicts);
        info!(
            mode = ?listing.mode,
            users = users_listed,
            complete = listing.complete,
            created = c.created,
            linked = c.linked,
            updated = c.updated,
            unchanged = c.unchanged,
            ambiguous = c.ambiguous,
            conflicts = c.conflicts,
            inactivated = c.inactivated,
            reactivated = c.reactivated,
            excluded = c.excluded,
            withheld = c.withheld,
            "tenant planned{}",
            if options.dry_run { " (dry run)" } else { " and applied" }
        );
        Ok(TenantSyncReport {
            entra_tenant_id: tenant.to_string(),
            client_id,
            mode: listing.mode,
            listing_complete: listing.complete,
            users_listed,
            applied: !options.dry_run,
            plan,
            warnings,
            duration_ms: self.clock.now_ms().saturating_sub(started),
            license_summary,
        })
    }
}
