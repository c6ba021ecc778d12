//! Pieces every front end needs to compose an engine run over this library: the wall clock the
//! engine reads through its [`Clock`] port, and run ids. The CLI (`catena ask`) and the desktop
//! shell both use these, so a run asked from either sorts and stamps the same way.

use std::time::{SystemTime, UNIX_EPOCH};

use engine::ports::Clock;

/// Wall-clock time for the run record's timestamps (the engine never reads the clock itself).
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_unix_ms(&self) -> i64 {
        // A clock before 1970 is a broken machine, not a reason to fail a question.
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
            .unwrap_or(0)
    }
}

/// A new run id, `r-<unix_ms>-<8 hex>`: ids sort by creation time (13-digit milliseconds until
/// the year 2286), and the random tail keeps two runs started in the same millisecond apart.
pub fn new_run_id(now_ms: i64) -> String {
    use std::hash::{BuildHasher, Hasher};
    // RandomState is seeded from the OS per process; hashing the pid and time on top of it is
    // plenty for an id that only has to be unique within one user's history.
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u32(std::process::id());
    h.write_i64(now_ms);
    format!("r-{now_ms}-{:08x}", h.finish() as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_ids_sort_by_time_and_differ_within_a_millisecond() {
        let a = new_run_id(1_700_000_000_000);
        let b = new_run_id(1_700_000_000_000);
        let c = new_run_id(1_700_000_000_001);
        assert!(a.starts_with("r-1700000000000-") && a.len() == "r-1700000000000-".len() + 8, "{a}");
        assert_ne!(a, b);
        assert!(a < c && b < c);
    }
}
