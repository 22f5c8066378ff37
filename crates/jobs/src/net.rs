//! The SSRF guard of every request a job makes to an address it was handed (scraped pages,
//! webhooks): loopback, private, link-local (cloud metadata at 169.254.169.254 included) and
//! other internal addresses are refused unless the job type's allow-list names them.

use std::net::{IpAddr, SocketAddr};

use antrian_core::config::AllowList;

/// Whether an address is one the public internet cannot be: loopback, private, link-local,
/// unspecified, multicast, broadcast, documentation, carrier-grade NAT, unique-local, or an
/// IPv4-mapped IPv6 form of those.
pub fn is_internal(ip: IpAddr) -> bool {
    match ip.to_canonical() {
        IpAddr::V4(v4) => {
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_multicast()
                || v4.is_broadcast()
                || v4.is_documentation()
                // 100.64.0.0/10, carrier-grade NAT
                || (v4.octets()[0] == 100 && (v4.octets()[1] & 0xc0) == 64)
        }
        IpAddr::V6(v6) => {
            let first = v6.segments()[0];
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00 // unique local fc00::/7
                || (first & 0xffc0) == 0xfe80 // link-local fe80::/10
        }
    }
}

/// Whether a job may connect to `ip`.
pub fn permitted(ip: IpAddr, allow: &AllowList) -> bool {
    !is_internal(ip) || allow.contains(ip)
}

/// A destination the guard refused.
#[derive(Debug, Clone)]
pub struct Refused {
    /// The host as the URL named it.
    pub host: String,
    /// The first refused address.
    pub ip: IpAddr,
    /// The allow-list setting that would let it through.
    pub setting: &'static str,
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let bare = self.host.trim_start_matches('[').trim_end_matches(']');
        let what = if bare.parse::<IpAddr>().is_ok() {
            format!("{} is", self.ip)
        } else {
            format!("{} is {},", self.host, self.ip)
        };
        write!(
            f,
            "refused: {what} an internal address (loopback, private, link-local or cloud metadata); allow it with {} if that is intended",
            self.setting
        )
    }
}

impl std::error::Error for Refused {}

/// Refuses a URL whose host is an IP address the guard does not permit (a host name is
/// checked when it is resolved, by [`GuardedResolver`]).
pub fn check_literal(
    url: &url::Url,
    allow: &AllowList,
    setting: &'static str,
) -> Result<(), Refused> {
    let ip = match url.host() {
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip),
        _ => return Ok(()),
    };
    if permitted(ip, allow) {
        Ok(())
    } else {
        Err(Refused {
            host: url.host_str().unwrap_or_default().to_string(),
            ip,
            setting,
        })
    }
}

/// The refusal somewhere in an error's chain of causes, if that is why it failed.
pub fn refusal<'a>(e: &'a (dyn std::error::Error + 'static)) -> Option<&'a Refused> {
    let mut cause = Some(e);
    while let Some(e) = cause {
        if let Some(r) = e.downcast_ref::<Refused>() {
            return Some(r);
        }
        cause = e.source();
    }
    None
}

/// The HTTP client's resolver: the system's answers without the internal addresses the
/// allow-list does not name, so every connection — redirects included, and whatever a
/// second DNS answer says — goes only where the guard permits. A name left with no address
/// fails with [`Refused`].
#[derive(Debug, Clone)]
pub struct GuardedResolver {
    allow: AllowList,
    setting: &'static str,
}

impl GuardedResolver {
    /// A resolver permitting `allow`, whose refusals name `setting`.
    pub fn new(allow: AllowList, setting: &'static str) -> Self {
        Self { allow, setting }
    }
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let guard = self.clone();
        Box::pin(async move {
            let host = name.as_str().to_string();
            // The client puts its own port on the addresses.
            let answers: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let (ok, refused): (Vec<SocketAddr>, Vec<SocketAddr>) = answers
                .into_iter()
                .partition(|a| permitted(a.ip(), &guard.allow));
            match (ok.is_empty(), refused.first()) {
                (true, Some(bad)) => Err(Box::new(Refused {
                    host,
                    ip: bad.ip(),
                    setting: guard.setting,
                })
                    as Box<dyn std::error::Error + Send + Sync>),
                _ => Ok(Box::new(ok.into_iter()) as reqwest::dns::Addrs),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_addresses_and_their_mapped_forms() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "::ffff:169.254.169.254",
            "fd00::1",
            "fe80::1",
        ] {
            assert!(is_internal(ip.parse().expect("ip")), "{ip}");
        }
        for ip in ["93.184.216.34", "2606:4700::1111", "::ffff:8.8.8.8"] {
            assert!(!is_internal(ip.parse().expect("ip")), "{ip}");
        }
    }

    #[test]
    fn literal_hosts_are_checked_against_the_allow_list() {
        let none = AllowList::default();
        let url = |u: &str| url::Url::parse(u).expect("url");
        let refused = check_literal(&url("http://169.254.169.254/latest/"), &none, "X_ALLOW")
            .expect_err("metadata refused");
        assert_eq!(refused.ip.to_string(), "169.254.169.254");
        assert!(refused.to_string().contains("X_ALLOW"), "{refused}");
        assert!(check_literal(&url("http://[::ffff:7f00:1]/"), &none, "X").is_err());
        assert!(check_literal(&url("https://93.184.216.34/"), &none, "X").is_ok());
        // Names are the resolver's to check.
        assert!(check_literal(&url("http://localhost/"), &none, "X").is_ok());
    }
}
