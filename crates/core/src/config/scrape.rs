//! The `SCRAPE_*` settings: how scraping jobs fetch pages and how politely.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::{AllowList, Parser, RateLimit};
use crate::error::Result;

/// How scraping jobs fetch pages.
#[derive(Clone)]
pub struct ScrapeConfig {
    /// User-Agent header of every request.
    pub user_agent: String,
    /// Whole-request timeout, milliseconds.
    pub timeout_ms: u64,
    /// Redirects followed before a request fails.
    pub max_redirects: usize,
    /// Largest body read, bytes after decompression.
    pub max_body_bytes: u64,
    /// Limits of a site without an override.
    pub default_limits: DomainLimits,
    /// Per-site overrides, by lower-case host.
    pub domain_limits: BTreeMap<String, DomainLimits>,
    /// Proxy URLs for `options.useProxy` (may carry credentials: never log them).
    pub proxies: Vec<String>,
    /// Failures in a row that bench a proxy.
    pub proxy_max_failures: u32,
    /// How long a benched proxy sits out, milliseconds.
    pub proxy_bench_ms: u64,
    /// Hosts the marketplace adapter reads.
    pub marketplace_hosts: Vec<String>,
    /// Base of the marketplace JSON API; `None` means the product URL's own site + `/api/v4`.
    pub marketplace_api_url: Option<String>,
    /// Prefix turning marketplace image ids into URLs.
    pub marketplace_image_url: String,
    /// Seller-centre orders endpoint.
    pub seller_orders_url: String,
    /// Listing pages a shop scrape walks at most.
    pub shop_page_limit: u32,
    /// What a shop scrape does with listed products.
    pub shop_mode: ShopMode,
    /// Most URLs in one batch.
    pub batch_max_urls: u32,
    /// Per-site CSS rules file for the generic adapter.
    pub site_rules: Option<PathBuf>,
    /// Internal destinations pages may be fetched from (none by default).
    pub allow_private: AllowList,
}

impl std::fmt::Debug for ScrapeConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScrapeConfig")
            .field("user_agent", &self.user_agent)
            .field("timeout_ms", &self.timeout_ms)
            .field("default_limits", &self.default_limits)
            .field("domain_limits", &self.domain_limits)
            .field("proxies", &format!("<{} redacted>", self.proxies.len()))
            .field("marketplace_hosts", &self.marketplace_hosts)
            .field("shop_mode", &self.shop_mode)
            .field("allow_private", &self.allow_private)
            .finish_non_exhaustive()
    }
}

/// Politeness limits for one site, shared by every worker on every node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DomainLimits {
    /// Requests per window; `None` for no limit.
    pub rate_limit: Option<RateLimit>,
    /// Requests in flight at once; 0 for no limit.
    pub concurrency: u32,
}

/// What shop-scraping does with the products its listing shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShopMode {
    /// Save the listing's data (name, price, rating, sold, stock) directly.
    Save,
    /// Enqueue a product-scraping job per product for its full details.
    Enqueue,
}

impl ShopMode {
    /// The setting's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            ShopMode::Save => "save",
            ShopMode::Enqueue => "enqueue",
        }
    }
}

impl ScrapeConfig {
    pub(super) fn parse(p: &Parser<'_>) -> Result<Self> {
        let default_limits = DomainLimits {
            rate_limit: optional_rate(p, "SCRAPE_DOMAIN_RATE_LIMIT")?,
            concurrency: p.number(
                "SCRAPE_DOMAIN_CONCURRENCY",
                0,
                10_000,
                "a whole number from 0 (no limit) to 10000",
            )?,
        };
        Ok(ScrapeConfig {
            user_agent: p.text("SCRAPE_USER_AGENT")?.unwrap_or_default(),
            timeout_ms: p.number(
                "SCRAPE_TIMEOUT",
                100,
                600_000,
                "milliseconds from 100 to 600000",
            )?,
            max_redirects: p.number(
                "SCRAPE_MAX_REDIRECTS",
                0,
                30,
                "a whole number from 0 to 30",
            )?,
            max_body_bytes: p.number(
                "SCRAPE_MAX_BODY",
                1024,
                1 << 30,
                "bytes from 1024 to 1073741824",
            )?,
            default_limits,
            domain_limits: domain_limits(p)?,
            proxies: proxies(p)?,
            proxy_max_failures: p.number(
                "SCRAPE_PROXY_MAX_FAILURES",
                1,
                1000,
                "a whole number from 1 to 1000",
            )?,
            proxy_bench_ms: p.number(
                "SCRAPE_PROXY_BENCH",
                0,
                86_400_000,
                "milliseconds from 0 to 86400000",
            )?,
            marketplace_hosts: p
                .text("SCRAPE_MARKETPLACE_HOSTS")?
                .unwrap_or_default()
                .split(',')
                .map(|h| h.trim().to_ascii_lowercase())
                .filter(|h| !h.is_empty())
                .collect(),
            marketplace_api_url: match p.text("SCRAPE_MARKETPLACE_API_URL")? {
                Some(_) => Some(http_url(p, "SCRAPE_MARKETPLACE_API_URL")?),
                None => None,
            },
            marketplace_image_url: http_url(p, "SCRAPE_MARKETPLACE_IMAGE_URL")?,
            seller_orders_url: http_url(p, "SCRAPE_SELLER_ORDERS_URL")?,
            shop_page_limit: p.number(
                "SCRAPE_SHOP_PAGE_LIMIT",
                1,
                1000,
                "a whole number from 1 to 1000",
            )?,
            shop_mode: match p.text("SCRAPE_SHOP_MODE")?.as_deref() {
                Some("save") | None => ShopMode::Save,
                Some("enqueue") => ShopMode::Enqueue,
                Some(_) => return Err(p.invalid("SCRAPE_SHOP_MODE", "`save` or `enqueue`")),
            },
            batch_max_urls: p.number(
                "SCRAPE_BATCH_MAX_URLS",
                1,
                100_000,
                "a whole number from 1 to 100000",
            )?,
            site_rules: p.text("SCRAPE_SITE_RULES")?.map(PathBuf::from),
            allow_private: AllowList::parse(p, "SCRAPE_ALLOW_PRIVATE")?,
        })
    }

    /// The limits that apply to `host`.
    pub fn limits_for(&self, host: &str) -> DomainLimits {
        self.domain_limits
            .get(&host.to_ascii_lowercase())
            .copied()
            .unwrap_or(self.default_limits)
    }
}

/// A rate limit where `none` (or `0`) means no limit.
fn optional_rate(p: &Parser<'_>, env: &str) -> Result<Option<RateLimit>> {
    match p.raw(env) {
        Some((v, _)) if v == "none" || v == "0" => Ok(None),
        _ => p.rate_limit(env),
    }
}

fn http_url(p: &Parser<'_>, env: &str) -> Result<String> {
    let raw = p.text(env)?.unwrap_or_default();
    match url::Url::parse(&raw) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some() => Ok(raw),
        _ => Err(p.invalid(env, "an http:// or https:// URL")),
    }
}

fn proxies(p: &Parser<'_>) -> Result<Vec<String>> {
    let Some(raw) = p.text("SCRAPE_PROXIES")? else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for proxy in raw.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        match url::Url::parse(proxy) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some() => {
                out.push(proxy.to_string());
            }
            _ => {
                return Err(p.invalid(
                    "SCRAPE_PROXIES",
                    "comma-separated proxy URLs such as http://user:pass@10.0.0.2:3128",
                ))
            }
        }
    }
    Ok(out)
}

/// `host=RATE:CONCURRENCY,…`; RATE is `none` or like `2/1s`.
fn domain_limits(p: &Parser<'_>) -> Result<BTreeMap<String, DomainLimits>> {
    let env = "SCRAPE_DOMAIN_LIMITS";
    let Some(raw) = p.text(env)? else {
        return Ok(BTreeMap::new());
    };
    let expected = "`host=RATE:CONCURRENCY` entries separated by commas, RATE like 2/1s or `none`, CONCURRENCY a whole number (0 for no limit), e.g. shopee.co.id=1/1s:2,example.com=none:8";
    let mut out = BTreeMap::new();
    for item in raw.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let bad = || p.invalid(env, expected);
        let (host, limits) = item.split_once('=').ok_or_else(bad)?;
        let (rate, concurrency) = limits.rsplit_once(':').ok_or_else(bad)?;
        let host = host.trim().to_ascii_lowercase();
        if host.is_empty() || host.contains(['/', ' ']) {
            return Err(bad());
        }
        let rate_limit = match rate.trim() {
            "none" | "0" => None,
            r => Some(super::parser::parse_rate(r).ok_or_else(bad)?),
        };
        let concurrency: u32 = concurrency.trim().parse().map_err(|_| bad())?;
        out.insert(
            host,
            DomainLimits {
                rate_limit,
                concurrency,
            },
        );
    }
    Ok(out)
}
