//! The user filter: which listed users may become contacts, and why the others may not.
