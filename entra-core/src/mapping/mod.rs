//! Tenant-to-client mapping: discovery merge, domain and fuzzy matching, preview, mapping changes.
//!
//! Deciding which CRM client a Microsoft Entra tenant belongs to is the step every sync depends
//! on, and a wrong mapping copies one customer's people into another customer's record. So only
//! unambiguous domain evidence maps a tenant automatically; names only ever propose candidates.

pub mod discovery;
pub mod domain;
pub mod fuzzy;
pub mod index;
pub mod names;
pub mod preview;
pub mod transitions;

pub use discovery::{MergeDiscoveryInput, MergeDiscoveryOutput, merge_discovery};
pub use fuzzy::{NameMethod, name_similarity};
pub use preview::{
    AutoMatch, CandidateGroup, DEFAULT_THRESHOLD, DEFAULT_TOP_K, Evidence, IndexedPreviewInput,
    MappedRef, MatchReason, PreviewIndex, PreviewIndexInput, PreviewInput, PreviewOptions,
    PreviewOutput, Suggestion, TenantRef, preview_mappings,
};
pub use transitions::{
    MappingChange, MappingChangeKind, MappingChangesInput, MappingChangesOutput, MappingOperation,
    plan_mapping_changes,
};
