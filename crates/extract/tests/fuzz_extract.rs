//! A fixed budget of mutated inputs per format through `extract::extract`: none may panic or
//! hang. `CATENA_FUZZ_CASES` raises the budget; `examples/fuzz_extract.rs` runs for minutes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod fuzz;

#[test]
fn mutated_files_of_every_format_never_panic_or_hang() {
    let budget: u64 = std::env::var("CATENA_FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(150);
    let work = tempfile::tempdir().unwrap();
    let findings_dir = work.path().join("findings");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(3600);
    let mut crashes = Vec::new();
    for (i, target) in fuzz::targets().iter().enumerate() {
        let f = fuzz::fuzz(target, 0xC47E_0000 + i as u64, budget, deadline, work.path(), &findings_dir);
        assert_eq!(f.executions, budget);
        // Most mutants must still be read, or the mutator only tests the error paths.
        assert!(f.errors < budget, "{}: every input was refused", target.name);
        crashes.extend(f.crashes.into_iter().map(|(name, what)| format!("{}: {name}: {what}", target.name)));
    }
    assert!(crashes.is_empty(), "{crashes:#?}");
}
