//! An injectable clock: production reads the system time; tests move it forward instead of waiting.

use chrono::{DateTime, Duration, Utc};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

#[derive(Clone, Default)]
pub struct Clock {
    offset_ms: Arc<AtomicI64>,
}

impl Clock {
    pub fn now(&self) -> DateTime<Utc> {
        Utc::now() + Duration::milliseconds(self.offset_ms.load(Ordering::Relaxed))
    }

    /// Moves this clock (and every copy of it) forward.
    pub fn advance(&self, by: Duration) {
        self.offset_ms
            .fetch_add(by.num_milliseconds(), Ordering::Relaxed);
    }
}

/// Exponential backoff from `base_secs`, capped at a day (jobs and mail alike).
pub fn backoff(base_secs: i64, attempt: i32) -> chrono::Duration {
    let exp = (attempt.max(1) - 1).min(16) as u32;
    chrono::Duration::seconds(
        base_secs
            .max(0)
            .saturating_mul(2i64.saturating_pow(exp))
            .min(86_400),
    )
}

/// A cap on how often one kind of log line is written: true at most once a second per `last`
/// (the unix second it last said yes), so an outage logs a line a second, not thousands.
pub fn log_allowed(last: &AtomicI64) -> bool {
    let now = Utc::now().timestamp();
    let prev = last.load(Ordering::Relaxed);
    prev != now
        && last
            .compare_exchange(prev, now, Ordering::Relaxed, Ordering::Relaxed)
            .is_ok()
}
