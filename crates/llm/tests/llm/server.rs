//! The scripted loopback server every adapter test talks to (the shared `testkit` one).

pub use testkit::{End, Recorded, Reply, Server, closed_port};
