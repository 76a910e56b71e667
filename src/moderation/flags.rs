//! Flags: one per person per post, weighted by the flagger's trust. When the open review's
//! weight reaches the threshold, the post is hidden at once and its author told how to appeal.

use super::reviews;
use super::ModError;
use crate::accounts::{FieldError, User};
use crate::audit::{self, Entry};
use crate::config::Settings;
use crate::db::schema::{flags, posts, reviews as reviews_t, topics};
use crate::db::Conn;
use crate::forum::guard::{self, Action};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use serde::Serialize;

pub const REASONS: [&str; 5] = ["spam", "abuse", "off_topic", "duplicate", "other"];

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Flagged {
    pub flag_id: i64,
    pub review_id: i64,
    pub weight: f64,
    /// The post is hidden now (this flag or an earlier one reached the threshold).
    pub hidden: bool,
}

/// The weight `user`'s flag carries: staff hide at once; others by level and past accuracy.
pub fn weight_of(s: &Settings, user: &User) -> f64 {
    if user.role().is_staff() {
        return s.moderation.flag_hide_threshold;
    }
    crate::honor::levels::flag_weight(user.level, user.flags_agreed, user.flags_disagreed)
}

pub async fn create(
    conn: &mut Conn,
    s: &Settings,
    flagger: &User,
    post_id: i64,
    reason: &str,
    note: &str,
    now: DateTime<Utc>,
) -> Result<Flagged, ModError> {
    if !REASONS.contains(&reason) {
        return Err(FieldError::new(
            "reason",
            "must be spam, abuse, off_topic, duplicate or other",
        )
        .into());
    }
    let note = super::clean_text(note);
    let note = note.as_str();
    if note.chars().count() > 1000 {
        return Err(FieldError::new("note", "at most 1000 characters").into());
    }
    if reason == "other" && note.is_empty() {
        return Err(FieldError::new("note", "say what is wrong").into());
    }
    if flagger.is_silenced(now) {
        return Err(ModError::Forbidden {
            code: "silenced",
            message: "You are silenced and cannot flag.".into(),
        });
    }
    conn.transaction::<_, ModError, _>(async |conn| {
        let post: Option<(i64, i64, bool, bool, bool, bool)> = posts::table
            .inner_join(topics::table)
            .filter(posts::id.eq(post_id))
            .select((
                posts::author_id,
                posts::topic_id,
                posts::hidden_at.is_not_null(),
                posts::deleted_at.is_not_null(),
                topics::hidden_at.is_not_null(),
                topics::deleted_at.is_not_null(),
            ))
            .first(conn)
            .await
            .optional()?;
        // Only what the flagger can see can be flagged; hidden posts already wait for review.
        let (author, topic_id, hidden, ..) = match post {
            Some(p) if !p.3 && !p.5 && (!(p.2 || p.4) || flagger.role().is_staff()) => p,
            _ => return Err(ModError::NotFound),
        };
        if author == flagger.id {
            return Err(ModError::Forbidden {
                code: "own_post",
                message: "You cannot flag your own post.".into(),
            });
        }
        if let Err(r) = guard::count(conn, &s.moderation, flagger, Action::Flag, now).await? {
            return Err(ModError::RateLimited(r));
        }
        let review_id = reviews::open_for(conn, post_id, "flags", now).await?;
        let weight = weight_of(s, flagger);
        let flag_id: Option<i64> = diesel::insert_into(flags::table)
            .values((
                flags::post_id.eq(post_id),
                flags::flagger_id.eq(flagger.id),
                flags::review_id.eq(review_id),
                flags::reason.eq(reason),
                flags::note.eq(note),
                flags::weight.eq(weight),
                flags::created_at.eq(now),
            ))
            .on_conflict((flags::post_id, flags::flagger_id))
            .do_nothing()
            .returning(flags::id)
            .get_result(conn)
            .await
            .optional()?;
        let Some(flag_id) = flag_id else {
            return Err(ModError::Conflict("You already flagged this post.".into()));
        };
        // The heaviest reason so far names the item; a new flag reopens a deferred one.
        let total: f64 = diesel::update(reviews_t::table.find(review_id))
            .set((
                reviews_t::weight.eq(reviews_t::weight + weight),
                reviews_t::status.eq("pending"),
            ))
            .returning(reviews_t::weight)
            .get_result(conn)
            .await?;
        let top: Option<String> = flags::table
            .filter(flags::review_id.eq(review_id))
            .group_by(flags::reason)
            .order(diesel::dsl::sum(flags::weight).desc())
            .select(flags::reason)
            .first(conn)
            .await
            .optional()?;
        diesel::update(reviews_t::table.find(review_id))
            .set(reviews_t::top_reason.eq(top))
            .execute(conn)
            .await?;
        let mut now_hidden = hidden;
        if !hidden && total >= s.moderation.flag_hide_threshold {
            reviews::set_post_hidden(conn, post_id, Some("flags"), now).await?;
            reviews::notify_hidden(conn, post_id, "flags", now).await?;
            audit::record(
                conn,
                Entry {
                    action: "auto_hide",
                    topic_id: Some(topic_id),
                    post_id: Some(post_id),
                    target_user_id: Some(author),
                    reason: &format!("flag weight {total:.2} reached the threshold"),
                    ..Default::default()
                },
                now,
            )
            .await?;
            now_hidden = true;
        }
        Ok(Flagged {
            flag_id,
            review_id,
            weight,
            hidden: now_hidden,
        })
    })
    .await
}
