//! The server's clock for the business of items: the system's time, plus an offset that
//! only a test moves (to see lights change as a deadline passes without waiting for it).
//! Sessions, push tokens and logs keep the real time.

use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, Duration, Utc};

/// The time items are judged by: the system clock, shifted by an offset (zero in service).
#[derive(Debug, Default)]
pub struct Clock {
    offset_ms: AtomicI64,
}

impl Clock {
    /// Now, as items see it.
    pub fn now(&self) -> DateTime<Utc> {
        Utc::now() + Duration::milliseconds(self.offset_ms.load(Ordering::Relaxed))
    }

    /// Moves the clock forward by `by` (a simulated clock for tests; never called in service).
    pub fn advance(&self, by: Duration) {
        self.offset_ms
            .fetch_add(by.num_milliseconds(), Ordering::Relaxed);
    }
}
