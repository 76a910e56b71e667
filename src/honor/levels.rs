//! Levels Lv1–Lv10 from all-time honor; their names live in the theme's i18n (`level.N`).

/// The level for `honor` points given the ten thresholds (Lv1 at `levels[0]`).
pub fn level_for(levels: &[i32], honor: i32) -> i16 {
    levels.iter().filter(|t| honor >= **t).count().clamp(1, 10) as i16
}

/// Flag weight by level: low-trust flags need company to hide a post, a trusted one does not.
const FLAG_WEIGHT: [f64; 10] = [0.5, 1.0, 1.25, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 5.0];

/// A flag's weight: level weight times accuracy `2·(agreed+1)/(agreed+disagreed+2)`, which is
/// 1 with no history and tends to 0 or 2 as outcomes accumulate.
pub fn flag_weight(level: i16, agreed: i32, disagreed: i32) -> f64 {
    let base = FLAG_WEIGHT[(level.clamp(1, 10) - 1) as usize];
    let accuracy = (agreed.max(0) as f64 + 1.0) / ((agreed + disagreed).max(0) as f64 + 2.0);
    base * 2.0 * accuracy
}

/// Reporter credibility for triage, bounded to 0.5–2.0: `(0.8 + 0.1·(level−1))` times
/// `(0.5 + (acknowledged+1)/(acknowledged+declined+2))`. A new reporter with no history is 0.8.
pub fn reporter_credibility(level: i16, acknowledged: i64, declined: i64) -> f64 {
    let base = 0.8 + 0.1 * (level.clamp(1, 10) - 1) as f64;
    let track =
        (acknowledged.max(0) as f64 + 1.0) / ((acknowledged + declined).max(0) as f64 + 2.0);
    (base * (0.5 + track)).clamp(0.5, 2.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_follow_thresholds() {
        let l = [0, 20, 60, 150, 300, 600, 1200, 2500, 5000, 10000];
        assert_eq!(level_for(&l, -50), 1);
        assert_eq!(level_for(&l, 0), 1);
        assert_eq!(level_for(&l, 19), 1);
        assert_eq!(level_for(&l, 20), 2);
        assert_eq!(level_for(&l, 9999), 9);
        assert_eq!(level_for(&l, 1_000_000), 10);
    }

    #[test]
    fn weights_and_credibility_are_bounded() {
        assert_eq!(flag_weight(1, 0, 0), 0.5);
        assert_eq!(flag_weight(7, 0, 0), 3.0);
        assert!(
            flag_weight(7, 0, 20) < 0.5,
            "a flagger proven wrong loses weight"
        );
        assert!(flag_weight(2, 50, 0) > 1.9);
        assert!((reporter_credibility(1, 0, 0) - 0.8).abs() < 1e-9);
        assert_eq!(reporter_credibility(10, 1000, 0), 2.0);
        assert_eq!(reporter_credibility(1, 0, 1000), 0.5);
    }
}
