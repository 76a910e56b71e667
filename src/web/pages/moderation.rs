//! Moderation pages: flag a post, the review queue (`/mod`), moderator actions from the topic
//! page, sanctions from a profile, the audit log (`/mod/log`). Plain forms; staff only where
//! it says so (others get 404: they have no business knowing these pages exist).

use super::{redirect, PageCtx, SignedIn};
use crate::audit;
use crate::moderation::actions::{self, TopicAction};
use crate::moderation::reviews::{self, Decision};
use crate::moderation::sanctions;
use crate::moderation::{flags, Act, ModError};
use crate::web::errors::AppError;
use crate::web::extract::ClientIp;
use actix_web::{web, HttpResponse};
use minijinja::Value;
use serde::Deserialize;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/posts/{id}/flag", web::post().to(flag))
        .route("/posts/{id}/mod", web::post().to(post_action))
        .route("/t/{id}/mod", web::post().to(topic_action))
        .route("/u/{username}/sanction", web::post().to(sanction))
        .route("/mod", web::get().to(queue))
        .route("/mod/queue/{id}", web::post().to(decide))
        .route("/mod/log", web::get().to(log));
}

fn staff(page: &PageCtx) -> Result<&crate::accounts::User, AppError> {
    match &page.viewer.0 {
        Some(a) if a.user.role().is_staff() => Ok(&a.user),
        _ => Err(AppError::NotFound),
    }
}

/// Where the topic page shows a notice after a form (the notice is a known key, never text).
async fn topic_of_post(page: &PageCtx, post_id: i64) -> Result<i64, AppError> {
    let mut conn = crate::db::get(&page.state.pool).await?;
    crate::forum::posts::by_id(&mut conn, post_id)
        .await?
        .map(|p| p.topic_id)
        .ok_or(AppError::NotFound)
}

#[derive(Deserialize)]
pub struct FlagForm {
    #[serde(default)]
    reason: String,
    #[serde(default)]
    note: String,
}

async fn flag(
    SignedIn { page, me }: SignedIn,
    id: web::Path<i64>,
    form: web::Form<FlagForm>,
) -> Result<HttpResponse, AppError> {
    let topic = topic_of_post(&page, *id).await?;
    let mut conn = crate::db::get(&page.state.pool).await?;
    let notice = match flags::create(
        &mut conn,
        &page.state.settings,
        &me.user,
        *id,
        &form.reason,
        &form.note,
        page.state.clock.now(),
    )
    .await
    {
        Ok(_) => "flagged",
        Err(ModError::Conflict(_)) => "already_flagged",
        Err(ModError::Invalid(_)) => "flag_invalid",
        Err(e) => return Err(e.into()),
    };
    // The thanks shows on the flagged post itself, where the page lands.
    Ok(redirect(&format!(
        "/t/{topic}?notice={notice}&at={id}#p{id}"
    )))
}

#[derive(Deserialize)]
pub struct ActionForm {
    #[serde(default)]
    action: String,
    #[serde(default)]
    reason: String,
    board: Option<String>,
}

async fn post_action(
    page: PageCtx,
    ip: ClientIp,
    id: web::Path<i64>,
    form: web::Form<ActionForm>,
) -> Result<HttpResponse, AppError> {
    let me = staff(&page)?;
    let topic = topic_of_post(&page, *id).await?;
    let reason = crate::moderation::reason(&form.reason).map_err(|e| AppError::invalid(vec![e]))?;
    let act = Act {
        moderator: me,
        reason: &reason,
        ip: Some(&ip.0),
        now: page.state.clock.now(),
    };
    let mut conn = crate::db::get(&page.state.pool).await?;
    match form.action.as_str() {
        "hide" | "unhide" => {
            actions::set_post_visibility(
                &mut conn,
                &page.state.settings,
                &act,
                *id,
                form.action == "hide",
            )
            .await?
        }
        "delete" => actions::delete_post(&mut conn, &act, *id).await?,
        _ => return Err(AppError::field("action", "must be hide, unhide or delete")),
    }
    Ok(redirect(&format!("/t/{topic}?notice=moderated#p{id}")))
}

async fn topic_action(
    page: PageCtx,
    ip: ClientIp,
    id: web::Path<i64>,
    form: web::Form<ActionForm>,
) -> Result<HttpResponse, AppError> {
    let me = staff(&page)?;
    let which = TopicAction::parse(&form.action)
        .ok_or_else(|| AppError::field("action", "not a topic action"))?;
    let reason =
        crate::moderation::optional_reason(&form.reason).map_err(|e| AppError::invalid(vec![e]))?;
    let act = Act {
        moderator: me,
        reason: &reason,
        ip: Some(&ip.0),
        now: page.state.clock.now(),
    };
    let mut conn = crate::db::get(&page.state.pool).await?;
    actions::on_topic(
        &mut conn,
        &page.state.settings,
        &act,
        *id,
        which,
        form.board.as_deref(),
    )
    .await?;
    Ok(redirect(&format!("/t/{id}?notice=moderated")))
}

#[derive(Deserialize)]
pub struct SanctionForm {
    #[serde(default)]
    action: String,
    days: Option<i64>,
    #[serde(default)]
    reason: String,
}

async fn sanction(
    page: PageCtx,
    ip: ClientIp,
    name: web::Path<String>,
    form: web::Form<SanctionForm>,
) -> Result<HttpResponse, AppError> {
    let me = staff(&page)?;
    let mut conn = crate::db::get(&page.state.pool).await?;
    let target = crate::accounts::users::by_username(&mut conn, &name)
        .await?
        .ok_or(AppError::NotFound)?;
    let act = Act {
        moderator: me,
        reason: &form.reason,
        ip: Some(&ip.0),
        now: page.state.clock.now(),
    };
    match sanctions::Action::parse(&form.action).ok_or(AppError::NotFound)? {
        sanctions::Action::Restore => sanctions::restore(&mut conn, &act, &target).await?,
        sanctions::Action::Impose(kind) => {
            sanctions::impose(
                &mut conn,
                &page.state.mailer,
                &act,
                &target,
                kind,
                form.days.unwrap_or(0),
            )
            .await?;
        }
    }
    Ok(redirect(&format!(
        "/u/{}",
        crate::content::percent_encode(&target.username)
    )))
}

async fn queue(page: PageCtx) -> Result<HttpResponse, AppError> {
    staff(&page)?;
    let mut conn = crate::db::get(&page.state.pool).await?;
    let items = reviews::queue(&mut conn, 100).await?;
    let items: Vec<Value> = items
        .iter()
        .map(|i| {
            minijinja::context! {
                id => i.id, cause => &i.cause, status => i.status.as_str(), weight => format!("{:.1}", i.weight),
                top_reason => &i.top_reason, escalated => i.escalated, post_id => i.post_id,
                topic_id => i.topic_id, topic_title => &i.topic_title, author => &i.author,
                // Stored sanitized at write time.
                body_html => Value::from_safe_string(i.body_html.clone()),
                hidden => i.hidden, note => &i.note,
                hours => (page.state.clock.now() - i.created_at).num_hours(),
                flags => Value::from(minijinja::value::Serde(&i.flags)),
            }
        })
        .collect();
    page.render("mod_queue.html", minijinja::context! { items => items })
}

#[derive(Deserialize)]
pub struct DecisionForm {
    #[serde(default)]
    decision: String,
    #[serde(default)]
    note: String,
    /// With "agree": also silence the author for this many days (0 or absent: no).
    #[serde(default)]
    silence_days: Option<i64>,
}

async fn decide(
    page: PageCtx,
    ip: ClientIp,
    id: web::Path<i64>,
    form: web::Form<DecisionForm>,
) -> Result<HttpResponse, AppError> {
    let me = staff(&page)?;
    let decision = Decision::parse(&form.decision)
        .ok_or_else(|| AppError::field("decision", "must be agree, disagree or defer"))?;
    let act = Act {
        moderator: me,
        reason: &form.note,
        ip: Some(&ip.0),
        now: page.state.clock.now(),
    };
    let silence = form.silence_days.filter(|d| *d > 0);
    if silence.is_some() && decision != Decision::Agree {
        return Err(AppError::field(
            "silence_days",
            "silencing goes with agreeing to the flag",
        ));
    }
    let mut conn = crate::db::get(&page.state.pool).await?;
    match reviews::decide(&mut conn, &page.state.settings, &act, *id, decision).await {
        Ok(()) => {}
        Err(ModError::Conflict(_)) => return Ok(redirect("/mod")),
        Err(e) => return Err(e.into()),
    }
    // Agree and silence in one step: the same sanction as from the profile, mailed and logged.
    if let Some(days) = silence {
        let author = match reviews::author_of(&mut conn, *id).await? {
            Some(a) => crate::accounts::users::by_id(&mut conn, a).await?,
            None => None,
        };
        if let Some(target) = author {
            let act = Act {
                reason: if form.note.trim().is_empty() {
                    "flag upheld"
                } else {
                    &form.note
                },
                ..act
            };
            sanctions::impose(
                &mut conn,
                &page.state.mailer,
                &act,
                &target,
                crate::moderation::sanctions::Kind::Silence,
                days,
            )
            .await?;
        }
    }
    Ok(redirect("/mod"))
}

#[derive(Deserialize)]
pub struct LogQuery {
    cursor: Option<i64>,
}

async fn log(page: PageCtx, q: web::Query<LogQuery>) -> Result<HttpResponse, AppError> {
    let me = staff(&page)?;
    let admin = me.role() == crate::accounts::Role::Admin;
    let mut conn = crate::db::get(&page.state.pool).await?;
    let (items, next) = audit::list(&mut conn, admin, None, q.cursor, 50).await?;
    let items: Vec<Value> = items
        .iter()
        .map(|i| {
            minijinja::context! {
                actor => &i.actor, action => &i.action, topic_id => i.topic_id, post_id => i.post_id,
                target_user => &i.target_user, reason => &i.reason,
                before => Value::from(minijinja::value::Serde(&i.before)), after => Value::from(minijinja::value::Serde(&i.after)),
                actor_ip => &i.actor_ip, at => i.created_at.to_rfc3339(),
            }
        })
        .collect();
    page.render(
        "mod_log.html",
        minijinja::context! { items => items, next => next, admin => admin },
    )
}
