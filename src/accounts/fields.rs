//! Account input parsed once at the edge: after `parse`, a value cannot be invalid.

pub use crate::fields::{FieldError, Locale, Role};

use std::fmt;
use unicode_normalization::UnicodeNormalization;
use unicode_security::{RestrictionLevel, RestrictionLevelDetection};

const RESERVED: &[&str] = &[
    "admin",
    "administrator",
    "root",
    "system",
    "moderator",
    "mod",
    "staff",
    "support",
    "chorus",
    "official",
    "deleted",
    "anonymous",
    "null",
    "undefined",
    "api",
    "www",
    "mail",
    "postmaster",
    "security",
    "help",
    "me",
    "new",
    "settings",
    "login",
    "logout",
    "register",
];

/// 3–32 letters (any script, CJK included), digits, `_` or `-`, NFKC-normalised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username(String);

impl Username {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let name: String = raw.trim().nfkc().collect();
        let len = name.chars().count();
        if len < 3 {
            return Err(FieldError::new("username", "must be at least 3 characters"));
        }
        if len > 32 {
            return Err(FieldError::new("username", "must be at most 32 characters"));
        }
        if !name
            .chars()
            .all(|c| c.is_alphabetic() || c.is_ascii_digit() || c == '_' || c == '-')
        {
            return Err(FieldError::new(
                "username",
                "may contain only letters, digits, '_' and '-'",
            ));
        }
        // UTS #39 "moderately restrictive": Latin may mix with Han, kana or Hangul (米粉_Alice), but
        // not with Cyrillic or Greek, whose letters pass for Latin ones (demo_аdmin).
        let letters: String = name.chars().filter(|c| c.is_alphabetic()).collect();
        if !letters
            .as_str()
            .check_restriction_level(RestrictionLevel::ModeratelyRestrictive)
        {
            return Err(FieldError::new(
                "username",
                "must not mix alphabets whose letters look alike",
            ));
        }
        let key = Self::key_of(&name);
        if RESERVED.contains(&key.as_str()) || RESERVED.contains(&Self::skeleton_of(&name).as_str())
        {
            return Err(FieldError::new("username", "is reserved"));
        }
        Ok(Username(name))
    }

    /// What the name looks like (UTS #39 skeleton, case-folded): names with one skeleton would be
    /// mistaken for each other (`paypa1`, `PayPal`), so only one of them may exist.
    pub fn skeleton(&self) -> String {
        Self::skeleton_of(&self.0)
    }

    pub fn skeleton_of(raw: &str) -> String {
        // Folding case after the skeleton too: the prototype of `0` is `O`, of `1` is `l`.
        let once: String = unicode_security::skeleton(&Self::key_of(raw)).collect();
        once.to_lowercase()
    }

    /// The case-insensitive identity of a name: two names with one key cannot both exist.
    pub fn key(&self) -> String {
        Self::key_of(&self.0)
    }

    pub fn key_of(raw: &str) -> String {
        raw.trim().nfkc().collect::<String>().to_lowercase()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A mailbox address, trimmed and lowercased. Deliberately strict: no quoting, comments or
/// characters that could break a mail header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let email = raw.trim().to_lowercase();
        let bad = |m: &str| Err(FieldError::new("email", m));
        if email.is_empty() {
            return bad("is required");
        }
        if email.len() > 254 {
            return bad("must be at most 254 characters");
        }
        let Some((local, domain)) = email.rsplit_once('@') else {
            return bad("is not a valid email address");
        };
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..")
            && local
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c));
        let labels: Vec<&str> = domain.split('.').collect();
        let domain_ok = labels.len() >= 2
            && labels.iter().all(|l| {
                !l.is_empty()
                    && l.len() <= 63
                    && !l.starts_with('-')
                    && !l.ends_with('-')
                    && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            })
            && labels.last().is_some_and(|tld| {
                tld.chars().all(|c| c.is_ascii_alphabetic()) || tld.starts_with("xn--")
            });
        if !local_ok || !domain_ok {
            return bad("is not a valid email address");
        }
        Ok(Email(email))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A password that passed the policy; never printed.
#[derive(Clone)]
pub struct Password(String);

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password([redacted])")
    }
}

/// Passwords seen most often in breach lists; refusing them stops the easiest guessing.
const COMMON_PASSWORDS: &[&str] = &[
    "password",
    "password1",
    "password123",
    "12345678",
    "123456789",
    "1234567890",
    "123123123",
    "11111111",
    "00000000",
    "88888888",
    "66666666",
    "qwertyuiop",
    "qwerty123",
    "1q2w3e4r",
    "1qaz2wsx",
    "abc12345",
    "abcd1234",
    "iloveyou",
    "sunshine",
    "princess",
    "football",
    "baseball",
    "welcome1",
    "admin123",
    "letmein1",
    "passw0rd",
    "trustno1",
    "dragon123",
    "woaini520",
    "woaini1314",
    "5201314520",
    "a123456789",
    "aa123456",
    "qq123456",
    "asdfghjk",
    "zxcvbnm1",
    "987654321",
    "147258369",
    "chorus123",
    "changeme",
];

impl Password {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        Self::parse_for(raw, &[])
    }

    /// Also refuses a password equal to, or containing, one of `personal` (username, email).
    pub fn parse_for(raw: &str, personal: &[&str]) -> Result<Self, FieldError> {
        let len = raw.chars().count();
        let bad = |m: &str| Err(FieldError::new("password", m));
        if len < 8 {
            return bad("must be at least 8 characters");
        }
        if len > 128 {
            return bad("must be at most 128 characters");
        }
        let lower = raw.to_lowercase();
        let distinct: std::collections::HashSet<char> = lower.chars().collect();
        if distinct.len() < 4 || COMMON_PASSWORDS.contains(&lower.as_str()) {
            return bad("is too easy to guess");
        }
        for p in personal.iter().filter(|p| p.chars().count() >= 3) {
            let p = p.to_lowercase();
            let local = p.split('@').next().unwrap_or(&p);
            if lower.contains(&p) || (local.chars().count() >= 4 && lower.contains(local)) {
                return bad("must not contain your username or email");
            }
        }
        Ok(Password(raw.to_string()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_allow_cjk_and_fold_case_and_width() {
        assert!(Username::parse("米粉小王").is_ok());
        assert_eq!(Username::parse("Ｂｏｂ_1").unwrap().key(), "bob_1");
        assert!(Username::parse("ab").is_err());
        assert!(Username::parse("a b c").is_err());
        assert!(Username::parse("<script>").is_err());
        assert!(Username::parse("Admin").is_err());
    }

    #[test]
    fn look_alike_names_share_a_skeleton_and_mixed_scripts_are_refused() {
        // Cyrillic а (U+0430) among Latin letters.
        assert!(Username::parse("demo_\u{430}dmin").is_err());
        assert!(Username::parse("p\u{3b1}ypal").is_err(), "Greek alpha");
        for fine in [
            "米粉_Alice",
            "すし_sushi",
            "Лиса_123",
            "Αλεπού",
            "소녀시대_fan",
        ] {
            assert!(Username::parse(fine).is_ok(), "{fine}");
        }
        let sk = |s: &str| Username::parse(s).unwrap().skeleton();
        assert_eq!(sk("paypal"), sk("paypa1"));
        assert_eq!(sk("demo_admin"), sk("Dem0_Admin"));
        assert_eq!(sk("modern"), sk("rnodern"));
        assert_ne!(sk("米粉小王"), sk("米粉小玉"));
        // A single-script Cyrillic name that reads as a Latin one is the same name.
        assert_eq!(
            Username::skeleton_of("\u{441}\u{43e}\u{440}\u{435}"),
            sk("cope")
        );
        assert!(Username::parse("r00t").is_err(), "reserved by its skeleton");
    }

    #[test]
    fn emails_are_normalised_and_header_safe() {
        assert_eq!(
            Email::parse(" Fan@Example.COM ").unwrap().as_str(),
            "fan@example.com"
        );
        for bad in [
            "a@b",
            "a b@c.com",
            "a@b.com\r\nBcc: x@y.z",
            "<a@b.com>",
            "a@@b.com",
            "@b.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn passwords_follow_the_policy() {
        assert!(Password::parse("correct horse").is_ok());
        assert!(Password::parse("short").is_err());
        assert!(Password::parse(&"x".repeat(129)).is_err());
        assert!(Password::parse("aaaaaaaaaa").is_err());
        assert!(Password::parse("password123").is_err());
        assert!(Password::parse_for("xiaomi-fan-2026", &["xiaomi-fan"]).is_err());
    }
}
