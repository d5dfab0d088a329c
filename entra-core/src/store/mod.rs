//! Storage: the `SyncStore` trait and its in-memory and SQLite implementations.
