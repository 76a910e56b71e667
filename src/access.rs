//! Who may see what, asked in one place. Pages, the API, search hits, the mail worker's
//! re-check, notifications, digests and exports all ask here, as a yes/no for one thing
//! (`Reader::sees`, `Reader::may_read_private_log`) or as the same rule in SQL for listings
//! (`topic_shown`, `post_shown`, `shown_sql`). Something a reader may not see is answered as
//! absent (404), never as forbidden. `docs/access.md` has the table.

use crate::db::schema::{posts, topics};
use crate::fields::Role;
use diesel::dsl::{And, IsNull};
use diesel::prelude::*;

/// Who is reading. Built from a signed-in person by `Reader::of` (in `accounts`).
#[derive(Debug, Clone, Copy, Default)]
pub struct Reader {
    pub user_id: Option<i64>,
    pub role: Option<Role>,
    /// Moderators and admins: they see hidden and deleted content.
    pub staff: bool,
}

impl Reader {
    pub const ANONYMOUS: Reader = Reader {
        user_id: None,
        role: None,
        staff: false,
    };

    pub fn signed_in(user_id: i64, role: Role) -> Reader {
        Reader {
            user_id: Some(user_id),
            role: Some(role),
            staff: role.is_staff(),
        }
    }

    /// A topic or post: hidden content stays visible to staff and to its author; deleted
    /// content to staff only.
    pub fn sees(&self, author_id: i64, hidden: bool, deleted: bool) -> bool {
        if deleted {
            return self.staff;
        }
        !hidden || self.staff || self.user_id == Some(author_id)
    }

    /// A private bug-report log (device logs, IMEI): its uploader, moderators and admins, and the
    /// members of the team the item is routed to. Another team's member does not: the log is
    /// personal data, and an unrouted item's logs wait for staff to route it.
    pub fn may_read_private_log(
        &self,
        uploader_id: i64,
        item_team: Option<i64>,
        my_teams: &[i64],
    ) -> bool {
        self.user_id == Some(uploader_id)
            || self.staff
            || (self.works_on_feedback() && item_team.is_some_and(|t| my_teams.contains(&t)))
    }

    /// Team members and staff: they handle reports (upload logs to any bug, read private ones).
    pub fn works_on_feedback(&self) -> bool {
        matches!(
            self.role,
            Some(Role::TeamMember | Role::Moderator | Role::Admin)
        )
    }

    /// Working an item in triage (claim, assign, route): staff on any item; team members on
    /// their teams' items and on unrouted ones. `my_teams` are the reader's teams.
    pub fn may_triage(&self, item_team: Option<i64>, my_teams: &[i64]) -> bool {
        self.staff || (self.works_on_feedback() && item_team.is_none_or(|t| my_teams.contains(&t)))
    }

    /// Internal notes on a bug or idea: staff, and members of the team the item is routed to.
    /// Nobody else learns they exist (a 404 like any absent thing).
    pub fn may_read_internal_notes(&self, item_team: Option<i64>, my_teams: &[i64]) -> bool {
        self.staff || (self.works_on_feedback() && item_team.is_some_and(|t| my_teams.contains(&t)))
    }

    /// A person's private data (email, IPs, sanctions history): themselves and staff.
    pub fn may_see_private_data_of(&self, user_id: i64) -> bool {
        self.staff || self.user_id == Some(user_id)
    }
}

pub type Shown<Hidden, Deleted> = And<IsNull<Hidden>, IsNull<Deleted>>;

/// Topics everyone may see: the filter of every public listing, count and fan-out.
pub fn topic_shown() -> Shown<topics::hidden_at, topics::deleted_at> {
    topics::hidden_at
        .is_null()
        .and(topics::deleted_at.is_null())
}

/// Posts everyone may see.
pub fn post_shown() -> Shown<posts::hidden_at, posts::deleted_at> {
    posts::hidden_at.is_null().and(posts::deleted_at.is_null())
}

/// Topics that still exist for staff work (queues, merges): deleted ones are gone even there.
pub fn topic_not_deleted() -> IsNull<topics::deleted_at> {
    topics::deleted_at.is_null()
}

/// The same rule as `topic_shown`/`post_shown` for SQL written by hand, on table alias `alias`.
pub fn shown_sql(alias: &str) -> String {
    format!("{alias}.hidden_at IS NULL AND {alias}.deleted_at IS NULL")
}

/// Posts not deleted (hidden ones still count for their author's and staff's purposes).
pub fn post_not_deleted() -> IsNull<posts::deleted_at> {
    posts::deleted_at.is_null()
}
