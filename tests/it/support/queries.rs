//! Counts the SQL statements this thread sends, through diesel's instrumentation hook: the
//! evidence for "a page is a fixed number of queries whatever its size".

use diesel::connection::{set_default_instrumentation, Instrumentation, InstrumentationEvent};
use std::cell::Cell;
use std::sync::Once;

thread_local! {
    static QUERIES: Cell<usize> = const { Cell::new(0) };
}

struct Counter;

impl Instrumentation for Counter {
    fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
        if let InstrumentationEvent::StartQuery { .. } = event {
            QUERIES.with(|q| q.set(q.get() + 1));
        }
    }
}

/// Must run before the connections to count are opened.
pub fn install() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        set_default_instrumentation(|| Some(Box::new(Counter))).expect("instrumentation")
    });
}

pub fn so_far() -> usize {
    QUERIES.with(|q| q.get())
}
