//! Allow-lists of internal networks (`WEBHOOK_ALLOW_PRIVATE`, `SCRAPE_ALLOW_PRIVATE`): the
//! loopback, private or link-local destinations a job may still reach.

use std::net::IpAddr;

use super::Parser;
use crate::error::Result;

/// Networks as (address, prefix length); empty allows nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowList(Vec<(IpAddr, u8)>);

impl AllowList {
    /// Whether `ip` is in one of the networks (an IPv4-mapped IPv6 address as its IPv4).
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.0.iter().any(|(net, len)| match (ip, net) {
            (IpAddr::V4(a), IpAddr::V4(n)) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(*len)).unwrap_or(0);
                u32::from(a) & mask == u32::from(*n) & mask
            }
            (IpAddr::V6(a), IpAddr::V6(n)) => {
                let mask = u128::MAX.checked_shl(128 - u32::from(*len)).unwrap_or(0);
                u128::from(a) & mask == u128::from(*n) & mask
            }
            _ => false,
        })
    }

    /// Whether it allows nothing.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Reads `key`: IP addresses or CIDRs separated by commas.
    pub(super) fn parse(p: &Parser<'_>, key: &str) -> Result<Self> {
        let bad = || {
            p.invalid(
                key,
                "IP addresses or CIDRs separated by commas, e.g. 127.0.0.1,10.0.0.0/8",
            )
        };
        let mut nets = Vec::new();
        for item in p
            .text(key)?
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            let (ip, len) = match item.split_once('/') {
                Some((ip, len)) => (ip, Some(len.parse::<u8>().map_err(|_| bad())?)),
                None => (item, None),
            };
            let ip = ip.parse::<IpAddr>().map_err(|_| bad())?.to_canonical();
            let max = if ip.is_ipv4() { 32 } else { 128 };
            let len = len.unwrap_or(max);
            if len > max {
                return Err(bad());
            }
            nets.push((ip, len));
        }
        Ok(Self(nets))
    }
}
