//! Sync engine: discovery, per-tenant sync and runs, generic over a provider and a store.
