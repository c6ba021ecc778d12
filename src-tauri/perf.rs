//! Start-up timing for `scripts/perf-app`.
//!
//! [`mark_start`] stores an `Instant` as the first thing [`crate::run`] does. The page calls
//! [`ui_ready`] once, after its first render has reached the screen (two animation frames later).
//! With `CATENA_PERF=1` the shell then prints one line on stderr,
//! `catena-perf first_paint_ms=N process_first_paint_ms=M page_ms=P rendering=R`: `N` counted from `run`, `M`
//! from the start of the OS process (dynamic loading included; Linux only, 10 ms resolution), `P`
//! from the page's navigation start (what the page itself took), and the page learns that it may
//! expose its measurement hooks. Without the variable nothing is printed and the
//! cost is one `Instant`.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde::Serialize;

/// Turns the measurement output and the page's perf hooks on when set to `1`.
pub const PERF_ENV: &str = "CATENA_PERF";

static START: OnceLock<Instant> = OnceLock::new();
static FIRST_PAINT: OnceLock<Duration> = OnceLock::new();
static RENDERING: OnceLock<&'static str> = OnceLock::new();

/// Records how the webview renders (see [`crate::rendering`]), for the measurement line.
pub fn set_rendering(rendering: crate::rendering::Rendering) {
    RENDERING.get_or_init(|| rendering.name());
}

/// Records the moment the shell started. Later calls keep the first moment.
pub fn mark_start() {
    START.get_or_init(Instant::now);
}

/// Whether `CATENA_PERF=1` is set.
pub fn enabled() -> bool {
    std::env::var_os(PERF_ENV).is_some_and(|v| v == "1")
}

/// The two-line page the window shows under `CATENA_PERF=shell` (`ui/public/shell.html`).
pub const SHELL_PAGE: &str = "shell.html";

/// Whether `CATENA_PERF=shell` is set: the window shows [`SHELL_PAGE`] instead of Catena's page.
pub fn shell_only() -> bool {
    std::env::var_os(PERF_ENV).is_some_and(|v| v == "shell")
}

/// Called when [`SHELL_PAGE`] has loaded: prints the measurement line (with no page figure,
/// since that page runs no script), once.
pub fn shell_page_loaded() {
    record_first_paint(None, true);
}

/// Records the first paint (only the first call counts) and, when `print`, writes the
/// measurement line `scripts/perf-app` reads.
fn record_first_paint(page_ms: Option<f64>, print: bool) {
    let since_start = START.get().map(Instant::elapsed).unwrap_or_default();
    if FIRST_PAINT.set(since_start).is_ok() && print {
        let process = process_age().map_or_else(|| "unknown".to_owned(), |age| age.as_millis().to_string());
        let page = page_ms.filter(|ms| ms.is_finite()).map_or_else(|| "unknown".to_owned(), |ms| format!("{ms:.0}"));
        eprintln!(
            "catena-perf first_paint_ms={} process_first_paint_ms={process} page_ms={page} rendering={}",
            since_start.as_millis(),
            RENDERING.get().copied().unwrap_or("unknown")
        );
    }
}

/// What the page learns when it reports its first paint.
#[derive(Debug, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct UiReady {
    /// The app runs under `CATENA_PERF=1`: the page exposes `window.__catenaPerf`.
    pub perf: bool,
}

/// Called by the page once its first frame is on screen, with the milliseconds since its navigation
/// started; only the first call is recorded.
#[tauri::command]
pub fn ui_ready(page_ms: Option<f64>) -> UiReady {
    let perf = enabled();
    record_first_paint(page_ms, perf);
    UiReady { perf }
}

/// Time since the OS started this process, from `/proc/self/stat` and `/proc/uptime`.
#[cfg(target_os = "linux")]
fn process_age() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let uptime = std::fs::read_to_string("/proc/uptime").ok()?;
    process_age_from(&stat, &uptime)
}

#[cfg(not(target_os = "linux"))]
fn process_age() -> Option<Duration> {
    None
}

/// Clock ticks per second in `/proc`: `USER_HZ`, 100 on every Linux architecture we build for.
const USER_HZ: f64 = 100.0;

/// Parses `starttime` (field 22, in clock ticks after boot) and the uptime in seconds.
fn process_age_from(stat: &str, uptime: &str) -> Option<Duration> {
    // The command name (field 2) may hold spaces and parentheses; the fields after it follow the last ')'.
    let after_name = &stat[stat.rfind(')')? + 1..];
    // `after_name` starts with field 3, so field 22 is the 20th.
    let start_ticks: f64 = after_name.split_whitespace().nth(19)?.parse().ok()?;
    let uptime_s: f64 = uptime.split_whitespace().next()?.parse().ok()?;
    let age = uptime_s - start_ticks / USER_HZ;
    (age >= 0.0).then(|| Duration::from_secs_f64(age))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn process_age_reads_starttime_after_the_command_name() {
        // A name with spaces and a ')' must not shift the fields.
        let stat = "4242 (my (odd) app) S 1 4242 4242 0 -1 4194560 1 0 0 0 2 3 0 0 20 0 9 0 12345 0 0";
        let age = process_age_from(stat, "130.00 250.00").expect("parses");
        assert_eq!(age.as_millis(), 6550);
        assert_eq!(process_age_from(stat, "100.00 1.00"), None, "a start after now is refused");
        assert_eq!(process_age_from("garbage", "1.0"), None);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn this_process_has_an_age() {
        assert!(process_age().is_some());
    }
}
