//! Times as a person reads them: in their time zone (chosen in settings, else the default for
//! their language), absolute with the offset named, or relative ("3分钟前") in lists.

use crate::fields::Locale;
use chrono::{DateTime, Offset, Utc};
use chrono_tz::Tz;

/// Where a zh-CN reader is assumed to be until they say otherwise; English readers get UTC.
pub fn default_zone(l: Locale) -> Tz {
    match l {
        Locale::ZhCn => chrono_tz::Asia::Shanghai,
        Locale::En => chrono_tz::UTC,
    }
}

/// The person's zone if it is a valid IANA name, else the default for their language.
pub fn zone(name: Option<&str>, l: Locale) -> Tz {
    name.and_then(parse_zone).unwrap_or_else(|| default_zone(l))
}

pub fn parse_zone(name: &str) -> Option<Tz> {
    name.trim().parse::<Tz>().ok()
}

/// Zones offered in settings (any IANA name is accepted).
pub const COMMON_ZONES: &[&str] = &[
    "Asia/Shanghai",
    "Asia/Hong_Kong",
    "Asia/Taipei",
    "Asia/Singapore",
    "Asia/Tokyo",
    "Asia/Seoul",
    "Asia/Kolkata",
    "Asia/Dubai",
    "Europe/London",
    "Europe/Paris",
    "Europe/Berlin",
    "Europe/Moscow",
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "America/Sao_Paulo",
    "Australia/Sydney",
    "Africa/Johannesburg",
    "UTC",
];

/// "2026-12-04 17:19 (UTC+8)".
pub fn absolute(t: DateTime<Utc>, tz: Tz) -> String {
    let local = t.with_timezone(&tz);
    let secs = local.offset().fix().local_minus_utc();
    let (h, m) = (secs / 3600, (secs.abs() % 3600) / 60);
    let offset = match (h, m) {
        (0, 0) => "UTC".to_string(),
        (h, 0) => format!("UTC{h:+}"),
        (h, m) => format!("UTC{h:+}:{m:02}"),
    };
    format!("{} ({offset})", local.format("%Y-%m-%d %H:%M"))
}

/// How long ago, as a strings key and a count: `time.just_now`, `time.minutes_ago` and so on;
/// None past a week (show the date instead). The future reads as "in …" (`time.in_*`).
pub fn relative(t: DateTime<Utc>, now: DateTime<Utc>) -> Option<(&'static str, i64)> {
    let secs = (now - t).num_seconds();
    let (future, secs) = (secs < 0, secs.abs());
    let (unit, n) = match secs {
        0..60 if !future => return Some(("time.just_now", 0)),
        0..3600 => ("minutes", (secs / 60).max(1)),
        3600..86_400 => ("hours", secs / 3600),
        86_400..604_800 => ("days", secs / 86_400),
        _ => return None,
    };
    Some(match (future, unit) {
        (false, "minutes") => ("time.minutes_ago", n),
        (false, "hours") => ("time.hours_ago", n),
        (false, _) => ("time.days_ago", n),
        (true, "minutes") => ("time.in_minutes", n),
        (true, "hours") => ("time.in_hours", n),
        (true, _) => ("time.in_days", n),
    })
}

/// A deadline against now, as a strings key and a count: `time.due_in_hours` ("due in 3 h") or
/// `time.overdue_by_days` ("overdue by 2 d"), in whole minutes, hours or days, never capped.
pub fn deadline(due: DateTime<Utc>, now: DateTime<Utc>) -> (&'static str, i64) {
    let secs = (due - now).num_seconds();
    let (late, secs) = (secs < 0, secs.abs());
    let (unit, n) = match secs {
        0..3600 => (0, (secs / 60).max(1)),
        3600..172_800 => (1, secs / 3600),
        _ => (2, secs / 86_400),
    };
    let key = match (late, unit) {
        (false, 0) => "time.due_in_minutes",
        (false, 1) => "time.due_in_hours",
        (false, _) => "time.due_in_days",
        (true, 0) => "time.overdue_by_minutes",
        (true, 1) => "time.overdue_by_hours",
        (true, _) => "time.overdue_by_days",
    };
    (key, n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn shanghai_is_named_by_its_offset_and_bad_zones_fall_back() {
        let t = Utc.with_ymd_and_hms(2026, 12, 4, 9, 19, 30).unwrap();
        assert_eq!(
            absolute(t, zone(None, Locale::ZhCn)),
            "2026-12-04 17:19 (UTC+8)"
        );
        assert_eq!(
            absolute(t, zone(None, Locale::En)),
            "2026-12-04 09:19 (UTC)"
        );
        assert_eq!(
            absolute(t, zone(Some("Asia/Kolkata"), Locale::En)),
            "2026-12-04 14:49 (UTC+5:30)"
        );
        assert_eq!(
            absolute(t, zone(Some("Mars/Olympus"), Locale::ZhCn)),
            "2026-12-04 17:19 (UTC+8)"
        );
        let ny = zone(Some("America/New_York"), Locale::En);
        assert_eq!(absolute(t, ny), "2026-12-04 04:19 (UTC-5)");
    }

    #[test]
    fn relative_times_pick_the_largest_whole_unit() {
        let now = Utc.with_ymd_and_hms(2026, 12, 4, 12, 0, 0).unwrap();
        let ago = |s: i64| relative(now - chrono::Duration::seconds(s), now);
        assert_eq!(ago(10), Some(("time.just_now", 0)));
        assert_eq!(ago(180), Some(("time.minutes_ago", 3)));
        assert_eq!(ago(3 * 3600 + 5), Some(("time.hours_ago", 3)));
        assert_eq!(ago(2 * 86_400), Some(("time.days_ago", 2)));
        assert_eq!(ago(8 * 86_400), None);
        assert_eq!(ago(-3 * 3600), Some(("time.in_hours", 3)));
        assert_eq!(ago(-30), Some(("time.in_minutes", 1)));
    }
}
