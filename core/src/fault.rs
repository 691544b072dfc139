//! Crash points for the crash tests. With the `fault-injection` feature, the process aborts
//! at the N-th point it passes when `DUBAN_CRASH_AT=N` is set — in the middle of a store
//! transaction, after a request was sent and before its answer was recorded, between the
//! chunks of an upload — so that tests can check that nothing is lost or doubled however a
//! sync is cut short. Without the feature every point is an empty inline function.

/// A crash point.
#[cfg(feature = "fault-injection")]
pub fn point(name: &str) {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::OnceLock;
    static TARGET: OnceLock<Option<u64>> = OnceLock::new();
    static PASSED: AtomicU64 = AtomicU64::new(0);
    let target = TARGET.get_or_init(|| {
        std::env::var("DUBAN_CRASH_AT")
            .ok()
            .and_then(|v| v.parse().ok())
    });
    let n = PASSED.fetch_add(1, Ordering::SeqCst) + 1;
    if *target == Some(n) {
        eprintln!("duban: crash point {n} ({name}): aborting");
        std::process::abort();
    }
}

/// A crash point (inactive: built without `fault-injection`).
#[cfg(not(feature = "fault-injection"))]
#[inline(always)]
pub fn point(_name: &str) {}
