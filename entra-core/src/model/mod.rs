//! The canonical contract: one JSON shape per record (camelCase, serde), shared by Rust, Python and Node.
//!
//! Unknown input fields are ignored; a missing or ill-typed required field is an `invalid_input`
//! error naming the field (see [`crate::json::from_value`]). Enum values are snake_case strings.

mod client;
mod contact;
mod license;
mod link;
pub(crate) mod nullable;
mod settings;
mod settings_layers;
mod tenant;
mod user;
mod warning;

pub use client::Client;
pub use contact::{Contact, InactiveSource, PhoneNumber, PhoneType, SyncState, SyncStatus};
pub use license::{PrepaidUnits, SubscribedSku};
pub use link::{ContactLink, LinkStatus, Resolution, ResolutionDecision};
pub use settings::{
    DEFAULT_SYNC_INTERVAL_MINUTES, FieldSync, FilterOptions, MAX_SYNC_INTERVAL_MINUTES,
    MIN_SYNC_INTERVAL_MINUTES, MassInactivation, SyncSettings,
};
pub use settings_layers::{
    ResolvedSetting, ResolvedSettings, SettingSource, SettingsOverrides, resolve_settings,
};
pub use tenant::{
    ConnectionType, DomainSource, ManagedTenant, MappingState, TenantMapping, TenantStatus,
};
pub use user::EntraUser;
pub use warning::Warning;
