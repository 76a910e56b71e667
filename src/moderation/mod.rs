//! Keeping order. For now: rate limits shared by every node.

pub mod rate_limits;
