//! The `catena-bench` binary as a user runs it: real files, a real data directory, JSON on
//! stdout; remote model servers are scripted on loopback.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod agent;
mod eval;
mod eval_reader;
mod eval_retrieval;
mod eval_tableqa;

use testkit::cli::Binary;

/// `catena-bench` against its own temporary data directory (`cmd`, `bare`, `run`, `json` and
/// `data` come from [`Binary`]).
pub(crate) struct Bench(Binary);

impl std::ops::Deref for Bench {
    type Target = Binary;

    fn deref(&self) -> &Binary {
        &self.0
    }
}

impl Bench {
    pub(crate) fn new() -> Bench {
        Bench(Binary::new(env!("CARGO_BIN_EXE_catena-bench")))
    }
}
