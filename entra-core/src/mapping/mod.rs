//! Tenant-to-client mapping: discovery merge, domain and fuzzy matching, preview, mapping changes.
