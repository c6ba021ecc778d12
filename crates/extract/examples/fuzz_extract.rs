//! Long-running mutation fuzzing of the extractors (see `tests/fuzz/mod.rs`).
//!
//!   nice cargo run --release -p extract --example fuzz_extract -- SECONDS_PER_TARGET [SEED]
//!       [FINDINGS_DIR] [--cpu] [--only NAME,NAME…]
//!
//! Prints executions, inputs refused with an error, crashes (panics or hangs) and the CPU time
//! spent per target; crashing inputs are kept in FINDINGS_DIR (default `target/fuzz-findings`).
//! `--cpu` makes SECONDS_PER_TARGET this process's CPU time instead of wall-clock time, so a
//! niced run on a busy machine still gives every target its full budget; `--only` picks targets
//! by name (text, html, markdown, csv, tsv, docx, epub, xlsx, pdf).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

#[path = "../tests/fuzz/mod.rs"]
mod fuzz;

/// CPU seconds this process has used (0 where `/proc` cannot tell).
fn cpu_seconds() -> f64 {
    testkit::fuzz::process_cpu_seconds().unwrap_or(0.0)
}

fn main() {
    let mut positional = Vec::new();
    let (mut cpu, mut only): (bool, Option<Vec<String>>) = (false, None);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--cpu" => cpu = true,
            "--only" => only = Some(args.next().expect("--only NAME,NAME").split(',').map(str::to_owned).collect()),
            _ => positional.push(arg),
        }
    }
    let secs: u64 = positional.first().and_then(|s| s.parse().ok()).unwrap_or(60);
    let seed: u64 = positional.get(1).and_then(|s| s.parse().ok()).unwrap_or(1);
    let findings_dir =
        std::path::PathBuf::from(positional.get(2).cloned().unwrap_or_else(|| "target/fuzz-findings".into()));
    let work = tempfile::tempdir().unwrap();
    let mut total_crashes = 0;
    for (i, target) in fuzz::targets().iter().enumerate() {
        if only.as_ref().is_some_and(|names| !names.iter().any(|n| n == target.name)) {
            continue;
        }
        let (cpu_start, wall_start) = (cpu_seconds(), Instant::now());
        let mut total = fuzz::Findings::default();
        let mut round = 0u64;
        // Slices of at most a minute, each with its own seed, until the budget is spent.
        loop {
            let spent = if cpu { cpu_seconds() - cpu_start } else { wall_start.elapsed().as_secs_f64() };
            let left = secs as f64 - spent;
            if left <= 0.0 {
                break;
            }
            let deadline = Instant::now() + Duration::from_secs_f64(left.min(60.0));
            let run_seed = seed.wrapping_mul(1000).wrapping_add(i as u64).wrapping_add(round.wrapping_mul(1_000_003));
            let f = fuzz::fuzz(target, run_seed, u64::MAX, deadline, work.path(), &findings_dir);
            total.executions += f.executions;
            total.errors += f.errors;
            total.crashes.extend(f.crashes);
            round += 1;
        }
        println!(
            "{:<9} executions {:>9}  refused {:>9}  crashes {}  cpu {:.1} min  wall {:.1} min",
            target.name,
            total.executions,
            total.errors,
            total.crashes.len(),
            (cpu_seconds() - cpu_start) / 60.0,
            wall_start.elapsed().as_secs_f64() / 60.0
        );
        for (name, what) in &total.crashes {
            println!("    {name}: {}", what.lines().next().unwrap_or_default());
        }
        total_crashes += total.crashes.len();
    }
    if total_crashes > 0 {
        std::process::exit(1);
    }
}
