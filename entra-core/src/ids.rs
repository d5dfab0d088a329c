//! Deterministic run and workflow ids.
