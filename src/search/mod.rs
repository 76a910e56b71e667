//! Search: tantivy with Chinese + English analysis, fed from an outbox, queried with filters.

pub mod analyzer;
