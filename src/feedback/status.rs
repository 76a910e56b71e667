//! Feedback statuses and who may change them.

use crate::accounts::Role;

pub use crate::fields::Status;

/// Product teams, moderators and admins answer feedback; members do not.
pub fn may_change(role: Role) -> bool {
    matches!(role, Role::TeamMember | Role::Moderator | Role::Admin)
}
