//! The SSRF guard: a page address that leads into this machine or its private networks is not
//! fetched unless the user allowed it.
//!
//! Three layers, so no single gap opens the door:
//! - an IP-literal host is checked as written (reqwest never asks a resolver about those);
//! - a host name is resolved and every address checked before the request ([`check_url`]), which
//!   also gives the user a readable reason;
//! - the page client's resolver ([`GuardedResolver`]) drops refused addresses again at connect
//!   time, so a name that changes its answer between the check and the connection (DNS
//!   rebinding) still cannot reach a private address.
//!
//! Redirects are followed by hand, and every hop goes through the same checks.

use std::error::Error;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use url::{Host, Url};

/// What kind of address a refused IP is, as a phrase for the user (`"a loopback address"`), or
/// `None` when it is an ordinary public address.
pub fn refused_kind(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => v4_kind(v4),
        IpAddr::V6(v6) => v6_kind(v6),
    }
}

fn v4_kind(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, c, _] = ip.octets();
    Some(if ip.is_unspecified() || a == 0 {
        "an unspecified address"
    } else if ip.is_loopback() {
        "a loopback address"
    } else if ip.is_private() {
        "a private address"
    } else if ip.is_link_local() {
        "a link-local address"
    } else if a == 100 && (b & 0xC0) == 64 {
        "a shared (CGNAT) address"
    } else if ip.is_broadcast() {
        "a broadcast address"
    } else if ip.is_multicast() {
        "a multicast address"
    } else if a >= 240 || (a == 192 && b == 0 && c == 0) || (a == 198 && (b & 0xFE) == 18) {
        // 240/4 reserved, 192.0.0.0/24 protocol assignments, 198.18/15 benchmarking.
        "a reserved address"
    } else {
        return None;
    })
}

fn v6_kind(ip: Ipv6Addr) -> Option<&'static str> {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return v4_kind(v4);
    }
    let seg = ip.segments();
    Some(if ip.is_unspecified() {
        "an unspecified address"
    } else if ip.is_loopback() {
        "a loopback address"
    } else if ip.is_unique_local() {
        "a unique-local address"
    } else if ip.is_unicast_link_local() {
        "a link-local address"
    } else if (seg[0] & 0xFFC0) == 0xFEC0 {
        "a site-local address"
    } else if ip.is_multicast() {
        "a multicast address"
    } else if seg[..6] == [0; 6] {
        // IPv4-compatible (`::a.b.c.d`, deprecated): judged by the embedded address.
        return v4_kind(Ipv4Addr::new((seg[6] >> 8) as u8, seg[6] as u8, (seg[7] >> 8) as u8, seg[7] as u8));
    } else if seg[..6] == [0x64, 0xFF9B, 0, 0, 0, 0] {
        // NAT64 (64:ff9b::/96) reaches the embedded IPv4 address.
        return v4_kind(Ipv4Addr::new((seg[6] >> 8) as u8, seg[6] as u8, (seg[7] >> 8) as u8, seg[7] as u8));
    } else if seg[0] == 0x2002 {
        // 6to4 (2002::/16) tunnels to the embedded IPv4 address.
        return v4_kind(Ipv4Addr::new((seg[1] >> 8) as u8, seg[1] as u8, (seg[2] >> 8) as u8, seg[2] as u8));
    } else if seg[..4] == [0x100, 0, 0, 0] {
        "a reserved address"
    } else {
        return None;
    })
}

/// Why a page address is not fetched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Refusal(pub String);

/// Resolves host names with the operating system's resolver (`getaddrinfo` through tokio).
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemResolver;

impl Resolve for SystemResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

/// The error a [`GuardedResolver`] gives when every address of a name is refused.
#[derive(Debug)]
struct RefusedName {
    host: String,
    ip: IpAddr,
    kind: &'static str,
}

impl fmt::Display for RefusedName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} resolves to {}, {}", self.host, self.ip, self.kind)
    }
}

impl Error for RefusedName {}

/// Wraps a resolver and drops the addresses [`refused_kind`] refuses (all of them refused: an
/// error). The page client's resolver; the search provider's client does not use it.
pub(crate) struct GuardedResolver {
    inner: Arc<dyn Resolve>,
}

impl GuardedResolver {
    pub(crate) fn new(inner: Arc<dyn Resolve>) -> GuardedResolver {
        GuardedResolver { inner }
    }
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_owned();
        let resolving = self.inner.resolve(name);
        Box::pin(async move {
            let mut first_refused = None;
            let allowed: Vec<SocketAddr> = resolving
                .await?
                .filter(|a| match refused_kind(a.ip()) {
                    None => true,
                    Some(kind) => {
                        first_refused.get_or_insert((a.ip(), kind));
                        false
                    }
                })
                .collect();
            match (allowed.is_empty(), first_refused) {
                (true, Some((ip, kind))) => {
                    Err(Box::new(RefusedName { host, ip, kind }) as Box<dyn Error + Send + Sync>)
                }
                _ => Ok(Box::new(allowed.into_iter()) as Addrs),
            }
        })
    }
}

/// Checks one page address before it is requested: the scheme, an IP-literal host, or every
/// address a host name resolves to. `allow_private` skips the address checks (the scheme is
/// always checked).
pub(crate) async fn check_url(
    url: &Url,
    resolver: &dyn Resolve,
    allow_private: bool,
    timeout: Duration,
) -> Result<(), Refusal> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Refusal(format!("{url} is not an http(s) address")));
    }
    if allow_private {
        return Ok(());
    }
    let host = match url.host() {
        None => return Err(Refusal(format!("{url} has no host"))),
        Some(Host::Ipv4(ip)) => IpAddr::V4(ip),
        Some(Host::Ipv6(ip)) => IpAddr::V6(ip),
        Some(Host::Domain(name)) => return check_name(name, resolver, timeout).await,
    };
    match refused_kind(host) {
        Some(kind) => Err(Refusal(format!("{url} is {kind}"))),
        None => Ok(()),
    }
}

async fn check_name(name: &str, resolver: &dyn Resolve, timeout: Duration) -> Result<(), Refusal> {
    let parsed = Name::from_str(name).map_err(|_| Refusal(format!("{name} is not a valid host name")))?;
    let addrs: Vec<SocketAddr> = match tokio::time::timeout(timeout, resolver.resolve(parsed)).await {
        Err(_) => return Err(Refusal(format!("{name} could not be resolved in time"))),
        Ok(Err(e)) => return Err(Refusal(format!("{name} could not be resolved: {e}"))),
        Ok(Ok(addrs)) => addrs.collect(),
    };
    if addrs.is_empty() {
        return Err(Refusal(format!("{name} has no addresses")));
    }
    // A name with any public address is let through; the guarded resolver then connects only to
    // its public addresses.
    if addrs.iter().any(|a| refused_kind(a.ip()).is_none()) {
        return Ok(());
    }
    let ip = addrs[0].ip();
    let kind = refused_kind(ip).unwrap_or("a refused address");
    Err(Refusal(format!("{name} resolves to {ip}, {kind}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn address_kinds() {
        let cases: &[(&str, Option<&str>)] = &[
            ("127.0.0.1", Some("a loopback address")),
            ("127.255.0.9", Some("a loopback address")),
            ("10.0.0.7", Some("a private address")),
            ("172.16.5.4", Some("a private address")),
            ("172.32.0.1", None),
            ("192.168.1.1", Some("a private address")),
            ("169.254.169.254", Some("a link-local address")),
            ("100.64.0.1", Some("a shared (CGNAT) address")),
            ("100.128.0.1", None),
            ("0.0.0.0", Some("an unspecified address")),
            ("0.1.2.3", Some("an unspecified address")),
            ("255.255.255.255", Some("a broadcast address")),
            ("224.0.0.251", Some("a multicast address")),
            ("240.0.0.1", Some("a reserved address")),
            ("93.184.215.14", None),
            ("8.8.8.8", None),
            ("::1", Some("a loopback address")),
            ("::", Some("an unspecified address")),
            ("::ffff:127.0.0.1", Some("a loopback address")),
            ("::ffff:10.1.2.3", Some("a private address")),
            ("::ffff:8.8.8.8", None),
            ("::127.0.0.1", Some("a loopback address")),
            ("64:ff9b::a00:1", Some("a private address")),
            ("2002:c0a8:101::1", Some("a private address")),
            ("fd12:3456::1", Some("a unique-local address")),
            ("fc00::1", Some("a unique-local address")),
            ("fe80::1", Some("a link-local address")),
            ("fec0::1", Some("a site-local address")),
            ("ff02::1", Some("a multicast address")),
            ("2606:4700:4700::1111", None),
        ];
        for (ip, want) in cases {
            let got = refused_kind(ip.parse().unwrap());
            assert_eq!(got, *want, "{ip}");
        }
    }
}
