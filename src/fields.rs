//! The field types every layer shares: why a field was refused, the interface language, the
//! role a person holds, a topic's kind and status, and the placeholder name an erased account
//! leaves behind. It imports only `text_enum!` from `db`.

use serde::Serialize;

/// Why one field was refused; `web/` turns these into `{"fields": {name: message}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: &'static str,
    pub message: String,
}

impl FieldError {
    pub fn new(field: &'static str, message: impl Into<String>) -> Self {
        FieldError {
            field,
            message: message.into(),
        }
    }
}

crate::text_enum! {
    /// The role a person holds.
    pub enum Role {
        Member = "member",
        Moderator = "moderator",
        TeamMember = "team_member",
        Admin = "admin",
    }
}

impl Role {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        Role::from_text(raw).ok_or_else(|| {
            FieldError::new("role", "must be member, moderator, team_member or admin")
        })
    }

    pub fn is_staff(self) -> bool {
        matches!(self, Role::Moderator | Role::Admin)
    }

    /// Team members and staff: they handle reports (upload logs to any bug, read private ones).
    pub fn works_on_feedback(self) -> bool {
        matches!(self, Role::TeamMember | Role::Moderator | Role::Admin)
    }
}

crate::text_enum! {
    /// The colours a person reads in: their system's choice, or always light or dark.
    pub enum ColorScheme {
        Auto = "auto",
        Light = "light",
        Dark = "dark",
    }
}

crate::text_enum! {
    /// What a topic is: a discussion, a bug report or an idea.
    pub enum Kind {
        Discussion = "discussion",
        Bug = "bug",
        Idea = "idea",
    }
}

impl Kind {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        Kind::from_text(raw)
            .ok_or_else(|| FieldError::new("kind", "must be discussion, bug or idea"))
    }

    /// Bugs and ideas are feedback: they have a status, a product and a place in triage.
    pub fn is_feedback(self) -> bool {
        self != Kind::Discussion
    }
}

crate::text_enum! {
    /// How bad a reported bug is, worst first.
    pub enum Severity {
        Crash = "crash",
        Major = "major",
        Minor = "minor",
        Cosmetic = "cosmetic",
    }
}

crate::text_enum! {
    /// How often a reported bug happens (`always` is 必现), most often first.
    pub enum Reproducibility {
        Always = "always",
        Often = "often",
        Rarely = "rarely",
        Once = "once",
    }
}

crate::text_enum! {
    /// Where a topic stands. Discussions stay `new`.
    pub enum Status {
        New = "new",
        NeedsInfo = "needs_info",
        Acknowledged = "acknowledged",
        Planned = "planned",
        InProgress = "in_progress",
        Resolved = "resolved",
        Declined = "declined",
        Duplicate = "duplicate",
    }
}

impl Status {
    /// Statuses still waiting on the team (the triage queue, similar-topic ranking).
    pub const OPEN: &'static [Status] = &[
        Status::New,
        Status::NeedsInfo,
        Status::Acknowledged,
        Status::Planned,
        Status::InProgress,
    ];

    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        Status::from_text(raw).ok_or_else(|| FieldError::new("status", "is not a known status"))
    }

    pub fn is_open(self) -> bool {
        Status::OPEN.contains(&self)
    }

    /// Outcomes that ask the reporter and me-too users whether they are satisfied (回访).
    pub fn is_outcome(self) -> bool {
        matches!(self, Status::Resolved | Status::Declined)
    }
}

/// The two interface languages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
pub enum Locale {
    #[serde(rename = "zh-CN")]
    ZhCn,
    #[serde(rename = "en")]
    En,
}

impl Locale {
    pub const ALL: [Locale; 2] = [Locale::ZhCn, Locale::En];

    /// Accepts `zh-CN`, `zh`, `zh-Hans`, `zh-TW`... and `en`, `en-US`...
    pub fn parse(raw: &str) -> Option<Self> {
        let tag = raw.trim().to_ascii_lowercase();
        let primary = tag.split(['-', '_']).next().unwrap_or("");
        match primary {
            "zh" => Some(Locale::ZhCn),
            "en" => Some(Locale::En),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Locale::ZhCn => "zh-CN",
            Locale::En => "en",
        }
    }

    /// Picks the best supported language from an `Accept-Language` header, by q-value.
    pub fn negotiate(header: &str) -> Option<Self> {
        let mut best: Option<(f32, Locale)> = None;
        for part in header.split(',').take(20) {
            let mut bits = part.split(';');
            let tag = bits.next().unwrap_or("");
            let q = bits
                .find_map(|b| b.trim().strip_prefix("q="))
                .and_then(|q| q.parse::<f32>().ok())
                .unwrap_or(1.0);
            if let Some(l) = Locale::parse(tag) {
                if q > 0.0 && best.is_none_or(|(bq, _)| q > bq) {
                    best = Some((q, l));
                }
            }
        }
        best.map(|(_, l)| l)
    }
}

/// The name an erased account's posts are shown under (`rights::erasure` writes it; the theme
/// translates it).
pub fn erased_name(user_id: i64) -> String {
    format!("deleted user #{user_id}")
}

/// The account number in an erased account's placeholder name, if `name` is one.
pub fn erased_number(name: &str) -> Option<i64> {
    name.strip_prefix("deleted user #")?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_prefers_higher_q() {
        assert_eq!(
            Locale::negotiate("fr, en;q=0.5, zh-CN;q=0.8"),
            Some(Locale::ZhCn)
        );
        assert_eq!(Locale::negotiate("en-US,en;q=0.9"), Some(Locale::En));
        assert_eq!(Locale::negotiate("de"), None);
    }

    #[test]
    fn an_erased_name_reads_back_its_number() {
        assert_eq!(erased_number(&erased_name(42)), Some(42));
        assert_eq!(erased_number("deleted user #x"), None);
        assert_eq!(erased_number("mifan"), None);
    }
}
