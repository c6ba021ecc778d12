//! Long-running mutation fuzzing of the extractors (see `tests/fuzz/mod.rs`).
//!
//!   nice cargo run -p extract --example fuzz_extract -- SECONDS_PER_TARGET [SEED] [FINDINGS_DIR]
//!
//! Prints executions, inputs refused with an error, and crashes (panics or hangs) per target;
//! crashing inputs are kept in FINDINGS_DIR (default `target/fuzz-findings`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/fuzz/mod.rs"]
mod fuzz;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let secs: u64 = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(60);
    let seed: u64 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(1);
    let findings_dir = std::path::PathBuf::from(args.get(3).cloned().unwrap_or_else(|| "target/fuzz-findings".into()));
    let work = tempfile::tempdir().unwrap();
    let mut total_crashes = 0;
    for (i, target) in fuzz::targets().iter().enumerate() {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
        let f = fuzz::fuzz(target, seed.wrapping_mul(1000) + i as u64, u64::MAX, deadline, work.path(), &findings_dir);
        println!(
            "{:<9} executions {:>7}  refused {:>7}  crashes {}",
            target.name,
            f.executions,
            f.errors,
            f.crashes.len()
        );
        for (name, what) in &f.crashes {
            println!("    {name}: {}", what.lines().next().unwrap_or_default());
        }
        total_crashes += f.crashes.len();
    }
    if total_crashes > 0 {
        std::process::exit(1);
    }
}
