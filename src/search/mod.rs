//! Search: tantivy with Chinese + English analysis, fed from an outbox, queried with filters.

pub mod analyzer;
pub mod generations;
pub mod index;
pub mod indexer;
pub mod outbox;
pub mod query;
pub mod visibility;

pub use generations::Search;
pub use index::{SearchError, SearchIndex};
