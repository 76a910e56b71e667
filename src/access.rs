//! Who may see what, asked in one place. Pages, the API, search hits, the mail worker's
//! re-check, notifications, digests and exports all ask here, as a yes/no for one thing
//! (`Reader::sees_topic`, `Reader::may_read_private_log`) or as the same rule in SQL for listings
//! (`topic_shown`, `post_shown`, `shown_sql`, `Reader::readable_boards`). Something a reader may
//! not see is answered as absent (404), never as forbidden. `docs/access.md` has the table.
//!
//! Boards carry a read rule and a post rule (public, signed in, a set of groups, staff; plus a
//! minimum level). A reader is loaded once per request with the boards they may not read, so
//! every later check is a lookup and every listing a `board_id <> ALL(...)` filter, empty (and
//! free) for the usual reader of public boards.

use crate::db::schema::{boards, group_members, groups, posts, team_members, teams, topics};
use crate::db::Conn;
use crate::fields::Role;
use diesel::dsl::{And, IsNull};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use std::sync::Arc;

crate::text_enum! {
    /// Who may read a board.
    pub enum ReadRule {
        Public = "public",
        SignedIn = "signed_in",
        Groups = "groups",
        Staff = "staff",
    }
}

crate::text_enum! {
    /// Who may start topics and reply on a board (never more than may read it).
    pub enum PostRule {
        SignedIn = "signed_in",
        Groups = "groups",
        Staff = "staff",
    }
}

/// The implied group every moderator and admin is in.
pub const STAFF_GROUP: &str = "staff";
/// Implied groups: `team:<slug>` for each triage team's members, `level:N` for level N and up.
pub const TEAM_GROUP_PREFIX: &str = "team:";
pub const LEVEL_GROUP_PREFIX: &str = "level:";

/// A board's access rules, as stored.
#[derive(Debug, Clone, Queryable, Selectable, serde::Serialize, utoipa::ToSchema)]
#[diesel(table_name = boards)]
pub struct BoardRule {
    #[serde(skip)]
    pub id: i64,
    pub slug: String,
    pub read_rule: ReadRule,
    pub read_groups: Vec<String>,
    pub min_level_read: i16,
    pub post_rule: PostRule,
    pub post_groups: Vec<String>,
    pub min_level_post: i16,
}

/// The facts about a signed-in person the rules read.
#[derive(Debug, Clone, Copy)]
pub struct Person {
    pub id: i64,
    pub role: Role,
    pub level: i16,
}

/// A person's groups: named ones they were added to, plus the implied ones.
#[derive(Debug, Clone, Default)]
struct Membership {
    staff: bool,
    level: i16,
    /// Named group slugs and `team:<slug>` entries.
    groups: Vec<String>,
}

impl Membership {
    fn in_group(&self, slug: &str) -> bool {
        if slug == STAFF_GROUP {
            return self.staff;
        }
        if let Some(n) = slug.strip_prefix(LEVEL_GROUP_PREFIX) {
            return n.parse::<i16>().is_ok_and(|n| self.level >= n);
        }
        self.groups.iter().any(|g| g == slug)
    }

    fn in_any(&self, slugs: &[String]) -> bool {
        slugs.iter().any(|g| self.in_group(g))
    }
}

impl BoardRule {
    /// Staff read every board: they moderate them all, and a closed programme stays theirs.
    fn readable_by(&self, who: Option<&Membership>) -> bool {
        let Some(m) = who else {
            return self.read_rule == ReadRule::Public && self.min_level_read <= 1;
        };
        if m.staff {
            return true;
        }
        let rule = match self.read_rule {
            ReadRule::Public | ReadRule::SignedIn => true,
            ReadRule::Groups => m.in_any(&self.read_groups),
            ReadRule::Staff => false,
        };
        rule && m.level >= self.min_level_read
    }

    fn postable_by(&self, who: Option<&Membership>) -> bool {
        let Some(m) = who else { return false };
        if !self.readable_by(who) {
            return false;
        }
        if m.staff {
            return true;
        }
        let rule = match self.post_rule {
            PostRule::SignedIn => true,
            PostRule::Groups => m.in_any(&self.post_groups),
            PostRule::Staff => false,
        };
        rule && m.level >= self.min_level_post
    }
}

/// The slugs in `named` that name no group: not a named group, not `staff`, not `team:<slug>`
/// of a team, not `level:1`..`level:10`. Board rules are checked with it when written.
pub async fn unknown_groups(conn: &mut Conn, named: &[String]) -> QueryResult<Vec<String>> {
    let known_named: Vec<String> = groups::table
        .filter(groups::slug.eq_any(named))
        .select(groups::slug)
        .load(conn)
        .await?;
    let team_slugs: Vec<String> = named
        .iter()
        .filter_map(|g| g.strip_prefix(TEAM_GROUP_PREFIX).map(str::to_string))
        .collect();
    let known_teams: Vec<String> = teams::table
        .filter(teams::slug.eq_any(&team_slugs))
        .select(teams::slug)
        .load(conn)
        .await?;
    Ok(named
        .iter()
        .filter(|g| {
            let g = g.as_str();
            let known = g == STAFF_GROUP
                || known_named.iter().any(|k| k == g)
                || g.strip_prefix(TEAM_GROUP_PREFIX)
                    .is_some_and(|t| known_teams.iter().any(|k| k == t))
                || g.strip_prefix(LEVEL_GROUP_PREFIX)
                    .and_then(|n| n.parse::<i16>().ok())
                    .is_some_and(|n| (1..=10).contains(&n));
            !known
        })
        .cloned()
        .collect())
}

/// A board this reader may not read: absent for them everywhere.
#[derive(Debug, Clone)]
pub struct ClosedBoard {
    pub id: i64,
    pub slug: String,
}

/// Who is reading. Loaded per request by `Reader::load` (`Reader::of` in `accounts`).
#[derive(Debug, Clone)]
pub struct Reader {
    pub user_id: Option<i64>,
    pub role: Option<Role>,
    /// Moderators and admins: they see hidden and deleted content.
    pub staff: bool,
    closed: Arc<[ClosedBoard]>,
    no_post: Arc<[i64]>,
}

/// Every board's rules (a small table, read once per request, in one query). The board of a
/// closed beta programme stays readable by its testers but takes posts from staff only.
pub async fn board_rules(conn: &mut Conn) -> QueryResult<Vec<BoardRule>> {
    use crate::db::schema::programmes;
    let rows: Vec<(BoardRule, Option<bool>)> = boards::table
        .left_join(programmes::table)
        .select((
            BoardRule::as_select(),
            programmes::closes_at.le(diesel::dsl::now).nullable(),
        ))
        .load(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(mut r, programme_closed)| {
            if programme_closed == Some(true) {
                r.post_rule = PostRule::Staff;
            }
            r
        })
        .collect())
}

/// The named groups and teams of each of `ids`, as the slugs board rules name (two queries
/// however many people).
async fn group_slugs(
    conn: &mut Conn,
    ids: &[i64],
) -> QueryResult<std::collections::HashMap<i64, Vec<String>>> {
    let named: Vec<(i64, String)> = group_members::table
        .inner_join(groups::table)
        .filter(group_members::user_id.eq_any(ids))
        .select((group_members::user_id, groups::slug))
        .load(conn)
        .await?;
    let teams_of: Vec<(i64, String)> = team_members::table
        .inner_join(teams::table)
        .filter(team_members::user_id.eq_any(ids))
        .select((team_members::user_id, teams::slug))
        .load(conn)
        .await?;
    let mut out: std::collections::HashMap<i64, Vec<String>> = Default::default();
    for (u, g) in named {
        out.entry(u).or_default().push(g);
    }
    for (u, t) in teams_of {
        out.entry(u)
            .or_default()
            .push(format!("{TEAM_GROUP_PREFIX}{t}"));
    }
    Ok(out)
}

impl Reader {
    /// The reader `who` is (None: anonymous), with the boards closed to them as of now: taking
    /// someone out of a group takes effect at their next request.
    pub async fn load(conn: &mut Conn, who: Option<Person>) -> QueryResult<Reader> {
        let rules = board_rules(conn).await?;
        let m = match who {
            Some(p) => {
                let mut slugs = group_slugs(conn, &[p.id]).await?;
                Some(Membership {
                    staff: p.role.is_staff(),
                    level: p.level,
                    groups: slugs.remove(&p.id).unwrap_or_default(),
                })
            }
            None => None,
        };
        Ok(Reader::from_rules(who, m.as_ref(), &rules))
    }

    /// The reader account `user_id` is, for work done on their behalf (mail). An unknown or
    /// erased account reads as anonymous.
    pub async fn of_user_id(conn: &mut Conn, user_id: i64) -> QueryResult<Reader> {
        Ok(
            match Reader::of_users(conn, &[user_id]).await?.remove(&user_id) {
                Some(r) => r,
                None => Reader::load(conn, None).await?,
            },
        )
    }

    /// The readers many accounts are (fan-out, digests), in four queries however many: the
    /// rules, the accounts, their groups and their teams. Unknown and erased accounts are left
    /// out.
    pub async fn of_users(
        conn: &mut Conn,
        ids: &[i64],
    ) -> QueryResult<std::collections::HashMap<i64, Reader>> {
        use crate::db::schema::users;
        let rules = board_rules(conn).await?;
        let people: Vec<(i64, Role, i16)> = users::table
            .filter(users::id.eq_any(ids))
            .filter(users::erased_at.is_null())
            .select((users::id, users::role, users::level))
            .load(conn)
            .await?;
        let mut slugs = group_slugs(conn, ids).await?;
        Ok(people
            .into_iter()
            .map(|(id, role, level)| {
                let p = Person { id, role, level };
                let m = Membership {
                    staff: role.is_staff(),
                    level,
                    groups: slugs.remove(&id).unwrap_or_default(),
                };
                (id, Reader::from_rules(Some(p), Some(&m), &rules))
            })
            .collect())
    }

    fn from_rules(who: Option<Person>, m: Option<&Membership>, rules: &[BoardRule]) -> Reader {
        let closed: Vec<ClosedBoard> = rules
            .iter()
            .filter(|r| !r.readable_by(m))
            .map(|r| ClosedBoard {
                id: r.id,
                slug: r.slug.clone(),
            })
            .collect();
        let no_post: Vec<i64> = rules
            .iter()
            .filter(|r| !r.postable_by(m))
            .map(|r| r.id)
            .collect();
        Reader {
            user_id: who.map(|p| p.id),
            role: who.map(|p| p.role),
            staff: who.is_some_and(|p| p.role.is_staff()),
            closed: closed.into(),
            no_post: no_post.into(),
        }
    }

    /// May this reader read board `board_id` at all?
    pub fn reads_board(&self, board_id: i64) -> bool {
        !self.closed.iter().any(|b| b.id == board_id)
    }

    /// May this reader start topics and reply on board `board_id`?
    pub fn may_post_in(&self, board_id: i64) -> bool {
        !self.no_post.contains(&board_id)
    }

    /// The boards closed to this reader, for `board_id <> ALL(...)` filters.
    pub fn closed_board_ids(&self) -> Vec<i64> {
        self.closed.iter().map(|b| b.id).collect()
    }

    /// The same boards by slug, for the search index's `board` field.
    pub fn closed_board_slugs(&self) -> Vec<String> {
        self.closed.iter().map(|b| b.slug.clone()).collect()
    }

    /// The listing filter: topics on boards this reader may read.
    pub fn readable_boards(&self) -> diesel::dsl::NeAll<topics::board_id, Vec<i64>> {
        topics::board_id.ne_all(self.closed_board_ids())
    }

    /// A topic: on a board this reader may read, and shown to them (`sees`).
    pub fn sees_topic(&self, board_id: i64, author_id: i64, hidden: bool, deleted: bool) -> bool {
        self.reads_board(board_id) && self.sees(author_id, hidden, deleted)
    }

    /// A topic or post on a readable board: hidden content stays visible to staff and to its
    /// author; deleted content to staff only.
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
        self.role.is_some_and(Role::works_on_feedback)
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
