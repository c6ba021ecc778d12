//! Test support (feature `test-support`): a scripted HTTP/1.1 server on loopback that speaks the
//! real wire protocol and records what it was sent, and a resolver with a fixed table, so tests
//! can make `intranet.example` resolve to 10.0.0.7 without real DNS.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
pub use testkit::{End, Recorded, Reply, Server, closed_port};

/// A resolver with a fixed table: a name it does not know fails to resolve. Counts lookups.
#[derive(Debug, Default)]
pub struct StaticResolver {
    table: HashMap<String, Vec<IpAddr>>,
    lookups: Arc<AtomicUsize>,
}

impl StaticResolver {
    /// An empty table.
    pub fn new() -> StaticResolver {
        StaticResolver::default()
    }

    /// `name` resolves to `ips`.
    pub fn map(mut self, name: &str, ips: &[&str]) -> StaticResolver {
        self.table.insert(name.to_ascii_lowercase(), ips.iter().map(|ip| ip.parse().expect("an IP address")).collect());
        self
    }

    /// Lookups so far.
    pub fn lookups(&self) -> usize {
        self.lookups.load(Ordering::SeqCst)
    }
}

impl Resolve for StaticResolver {
    fn resolve(&self, name: Name) -> Resolving {
        self.lookups.fetch_add(1, Ordering::SeqCst);
        let found = self.table.get(&name.as_str().to_ascii_lowercase()).cloned();
        let name = name.as_str().to_owned();
        Box::pin(async move {
            match found {
                Some(ips) => Ok(Box::new(ips.into_iter().map(|ip| SocketAddr::new(ip, 0))) as Addrs),
                None => Err(format!("{name} is not in the test resolver's table").into()),
            }
        })
    }
}
