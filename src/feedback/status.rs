//! Feedback statuses and who may change them.

use crate::accounts::{FieldError, Role};
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    New,
    NeedsInfo,
    Acknowledged,
    Planned,
    InProgress,
    Resolved,
    Declined,
    Duplicate,
}

impl Status {
    pub const ALL: [Status; 8] = [
        Status::New,
        Status::NeedsInfo,
        Status::Acknowledged,
        Status::Planned,
        Status::InProgress,
        Status::Resolved,
        Status::Declined,
        Status::Duplicate,
    ];

    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        Status::ALL
            .into_iter()
            .find(|s| s.as_str() == raw)
            .ok_or_else(|| FieldError::new("status", "is not a known status"))
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Status::New => "new",
            Status::NeedsInfo => "needs_info",
            Status::Acknowledged => "acknowledged",
            Status::Planned => "planned",
            Status::InProgress => "in_progress",
            Status::Resolved => "resolved",
            Status::Declined => "declined",
            Status::Duplicate => "duplicate",
        }
    }

    /// Outcomes that ask the reporter and me-too users whether they are satisfied (回访).
    pub fn is_outcome(self) -> bool {
        matches!(self, Status::Resolved | Status::Declined)
    }
}

/// Product teams, moderators and admins answer feedback; members do not.
pub fn may_change(role: Role) -> bool {
    matches!(role, Role::TeamMember | Role::Moderator | Role::Admin)
}
