//! Counters for `/metrics` (Prometheus text format), kept in atomics: no lock on the hot path.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

#[derive(Default)]
pub struct Metrics {
    /// Requests by status class: 1xx..5xx.
    by_class: [AtomicU64; 5],
    duration_micros: AtomicU64,
    /// Latency histogram buckets (upper bounds in BUCKETS), cumulative at render time.
    buckets: [AtomicU64; BUCKETS.len()],
}

const BUCKETS: [f64; 8] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0];

impl Metrics {
    pub fn observe(&self, status: u16, elapsed: Duration) {
        let class = ((status / 100).clamp(1, 5) - 1) as usize;
        self.by_class[class].fetch_add(1, Ordering::Relaxed);
        self.duration_micros
            .fetch_add(elapsed.as_micros() as u64, Ordering::Relaxed);
        let secs = elapsed.as_secs_f64();
        if let Some(i) = BUCKETS.iter().position(|b| secs <= *b) {
            self.buckets[i].fetch_add(1, Ordering::Relaxed);
        }
    }

    pub fn render(&self, extra: &[(&str, &str, f64)]) -> String {
        let mut out = String::new();
        out.push_str("# HELP chorus_http_requests_total HTTP responses by status class.\n");
        out.push_str("# TYPE chorus_http_requests_total counter\n");
        let mut total = 0;
        for (i, c) in self.by_class.iter().enumerate() {
            let n = c.load(Ordering::Relaxed);
            total += n;
            out.push_str(&format!(
                "chorus_http_requests_total{{class=\"{}xx\"}} {n}\n",
                i + 1
            ));
        }
        out.push_str("# HELP chorus_http_request_duration_seconds Time to answer a request.\n");
        out.push_str("# TYPE chorus_http_request_duration_seconds histogram\n");
        let mut cumulative = 0;
        for (b, c) in BUCKETS.iter().zip(&self.buckets) {
            cumulative += c.load(Ordering::Relaxed);
            out.push_str(&format!(
                "chorus_http_request_duration_seconds_bucket{{le=\"{b}\"}} {cumulative}\n"
            ));
        }
        out.push_str(&format!(
            "chorus_http_request_duration_seconds_bucket{{le=\"+Inf\"}} {total}\n"
        ));
        let sum = self.duration_micros.load(Ordering::Relaxed) as f64 / 1e6;
        out.push_str(&format!("chorus_http_request_duration_seconds_sum {sum}\n"));
        out.push_str(&format!(
            "chorus_http_request_duration_seconds_count {total}\n"
        ));
        for (name, help, value) in extra {
            out.push_str(&format!(
                "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}\n"
            ));
        }
        out
    }
}
