//! A new topic parsed once, from JSON or a form: every field checked, all problems reported at
//! once (bug fields as `bug.*`).

use crate::feedback::bugs::{BugFields, BugInput};
use crate::fields::FieldError;
use crate::forum::fields::{Body, Kind, Tags, Title};

pub struct NewTopic {
    pub board: String,
    pub kind: Kind,
    pub title: Title,
    pub body: Body,
    pub tags: Tags,
    /// Required for bugs, refused for other kinds.
    pub bug: Option<BugFields>,
    /// Product slug for ideas (bugs name theirs in `bug`).
    pub product: Option<String>,
}

/// The raw parts of a new topic.
pub struct TopicInput<'a> {
    pub board: &'a str,
    pub kind: &'a str,
    pub title: &'a str,
    pub body: &'a str,
    pub tags: Result<Tags, FieldError>,
    pub bug: Option<&'a BugInput>,
    pub product: Option<&'a str>,
}

impl NewTopic {
    pub fn parse(i: TopicInput<'_>) -> Result<NewTopic, Vec<FieldError>> {
        let mut errors = Vec::new();
        let kind = Kind::parse(i.kind).map_err(|e| errors.push(e)).ok();
        let title = Title::parse(i.title).map_err(|e| errors.push(e)).ok();
        let body = Body::parse(i.body).map_err(|e| errors.push(e)).ok();
        let tags = i.tags.map_err(|e| errors.push(e)).ok();
        let bug = match (kind, i.bug) {
            (Some(Kind::Bug), Some(b)) => BugFields::parse(b).map_err(|e| errors.extend(e)).ok(),
            (Some(Kind::Bug), None) => {
                errors.push(FieldError::new("bug", "bug reports need the bug fields"));
                None
            }
            (_, Some(_)) => {
                errors.push(FieldError::new("bug", "only bug reports carry bug fields"));
                None
            }
            _ => None,
        };
        match (kind, title, body, tags) {
            (Some(kind), Some(title), Some(body), Some(tags)) if errors.is_empty() => {
                Ok(NewTopic {
                    board: i.board.to_string(),
                    kind,
                    title,
                    body,
                    tags,
                    bug,
                    product: i.product.map(str::to_string),
                })
            }
            _ => Err(errors),
        }
    }
}
