//! The seed's job data for the four scraping jobs, checked before anything is fetched or
//! enqueued: bad data is discarded at once with a message that names the problem.

use schemars::JsonSchema;
use serde::Deserialize;
use url::Url;

use antrian_core::config::ScrapeConfig;

/// Options a scrape job may carry (the seed's `options`).
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ScrapeOptions {
    /// Fetch through the configured proxy pool (`SCRAPE_PROXIES`).
    #[serde(default)]
    #[schemars(title = "Use proxy")]
    pub use_proxy: bool,
    /// The seed's field; BullMQ's `attempts` job option is what retries a job, so this is
    /// accepted for compatibility and otherwise unused.
    #[serde(default)]
    #[schemars(title = "Retry attempts (seed field, unused)")]
    pub retry_attempts: Option<u32>,
    /// batch-scraping: children scraped at once (1 to 100, default 3).
    #[serde(default)]
    #[schemars(title = "Concurrency", range(min = 1, max = MAX_BATCH_CONCURRENCY))]
    pub concurrency: Option<u32>,
}

/// `product-scraping`: `{ url, accountId?, options? }`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProductJob {
    /// The product page.
    #[schemars(title = "Product URL", url)]
    pub url: String,
    /// Marketplace account (for sites that show more to a logged-in seller).
    #[serde(default)]
    #[schemars(title = "Account")]
    pub account_id: Option<String>,
    /// Fetch options.
    #[serde(default)]
    #[schemars(title = "Fetch options")]
    pub options: ScrapeOptions,
}

/// `order-scraping`: `{ accountId, dateRange: { start, end } }`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrderJob {
    /// Whose orders (a seller account with a saved session).
    #[schemars(title = "Account", length(min = 1))]
    pub account_id: String,
    /// Inclusive date range, `YYYY-MM-DD`.
    #[schemars(title = "Dates")]
    pub date_range: DateRange,
}

/// An inclusive range of calendar days.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
pub struct DateRange {
    /// First day.
    #[schemars(title = "From", extend("format" = "date"))]
    pub start: String,
    /// Last day.
    #[schemars(title = "To", extend("format" = "date"))]
    pub end: String,
}

/// `shop-scraping`: `{ shopUrl }`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ShopJob {
    /// The shop page.
    #[schemars(title = "Shop URL", url)]
    pub shop_url: String,
    /// Fetch options.
    #[serde(default)]
    #[schemars(title = "Fetch options")]
    pub options: ScrapeOptions,
}

/// `batch-scraping`: `{ urls, type, accountId?, options: { concurrency } }`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct BatchJob {
    /// Pages to scrape, one child job each.
    #[schemars(title = "URLs", length(min = 1), inner(url))]
    pub urls: Vec<String>,
    /// What the URLs are: `product` pages or `shop` pages.
    #[serde(rename = "type")]
    #[schemars(title = "Type", extend("enum" = BATCH_KINDS))]
    pub kind: String,
    /// Passed on to every child.
    #[serde(default)]
    #[schemars(title = "Account")]
    pub account_id: Option<String>,
    /// `concurrency` (children at once) and fetch options passed on to children.
    #[serde(default)]
    #[schemars(title = "Batch options")]
    pub options: ScrapeOptions,
}

/// What a batch's URLs are, so which job each child is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BatchKind {
    /// `product` → product-scraping children.
    Product,
    /// `shop` → shop-scraping children.
    Shop,
}

impl BatchKind {
    /// The child job's name.
    pub fn child_job(self) -> &'static str {
        match self {
            BatchKind::Product => "product-scraping",
            BatchKind::Shop => "shop-scraping",
        }
    }
}

/// A batch's `type`s, as [`BatchKind`] reads them.
pub const BATCH_KINDS: [&str; 2] = ["product", "shop"];

/// Children a batch runs at once when it does not say.
pub const DEFAULT_BATCH_CONCURRENCY: u32 = 3;
/// Most children at once, whatever a batch asks for.
pub const MAX_BATCH_CONCURRENCY: u32 = 100;

/// Parses job data as `T`, naming the job in the error.
pub fn parse<T: serde::de::DeserializeOwned>(
    job: &str,
    data: &serde_json::Value,
) -> Result<T, String> {
    T::deserialize(data).map_err(|e| format!("invalid {job} data: {e}"))
}

/// Checks a URL a job wants fetched: absolute, http or https, with a host.
pub fn page_url(field: &str, raw: &str) -> Result<Url, String> {
    let url = Url::parse(raw.trim()).map_err(|e| {
        let why = match e {
            url::ParseError::RelativeUrlWithoutBase => {
                "write it whole, starting with https:// (e.g. https://shop.example/p/1)"
            }
            url::ParseError::EmptyHost => "it has no host after the //",
            url::ParseError::InvalidPort => "its port is not a number from 1 to 65535",
            url::ParseError::InvalidIpv4Address | url::ParseError::InvalidIpv6Address => {
                "its IP address is not valid"
            }
            url::ParseError::InvalidDomainCharacter | url::ParseError::IdnaError => {
                "its host name has characters a host name cannot have"
            }
            _ => "write it as https://host/path",
        };
        format!("{field} `{raw}` is not a web address: {why}")
    })?;
    match url.scheme() {
        "http" | "https" => {}
        other => {
            return Err(format!(
                "{field} `{raw}` uses `{other}:`; only http and https pages can be scraped"
            ))
        }
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(format!("{field} `{raw}` has no host"));
    }
    Ok(url)
}

/// A page URL a job may be added with: [`page_url`], and not an internal address written
/// as such that `SCRAPE_ALLOW_PRIVATE` does not name (a host name is checked when fetched).
pub fn allowed_page_url(field: &str, raw: &str, cfg: &ScrapeConfig) -> Result<Url, String> {
    let url = page_url(field, raw)?;
    crate::net::check_literal(&url, &cfg.allow_private, "SCRAPE_ALLOW_PRIVATE")
        .map_err(|r| format!("{field} `{raw}`: {r}"))?;
    Ok(url)
}

impl BatchJob {
    /// Checks a batch as a whole: URLs, kind, size and concurrency.
    pub fn check(&self, cfg: &ScrapeConfig) -> Result<(BatchKind, Vec<Url>, u32), String> {
        let kind = match self.kind.as_str() {
            "product" => BatchKind::Product,
            "shop" => BatchKind::Shop,
            other => {
                return Err(format!(
                    "invalid batch-scraping data: unknown type `{other}`; use `{}`",
                    BATCH_KINDS.join("` or `")
                ))
            }
        };
        if self.urls.is_empty() {
            return Err("invalid batch-scraping data: `urls` is empty".into());
        }
        let max = usize::try_from(cfg.batch_max_urls).unwrap_or(usize::MAX);
        if self.urls.len() > max {
            return Err(format!(
                "invalid batch-scraping data: {} URLs is over the limit of {max} (SCRAPE_BATCH_MAX_URLS); split the batch",
                self.urls.len()
            ));
        }
        let urls = self
            .urls
            .iter()
            .enumerate()
            .map(|(i, u)| allowed_page_url(&format!("urls[{i}]"), u, cfg))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| format!("invalid batch-scraping data: {e}"))?;
        let concurrency = self
            .options
            .concurrency
            .unwrap_or(DEFAULT_BATCH_CONCURRENCY);
        if concurrency == 0 || concurrency > MAX_BATCH_CONCURRENCY {
            return Err(format!(
                "invalid batch-scraping data: options.concurrency must be from 1 to {MAX_BATCH_CONCURRENCY}, not {concurrency}"
            ));
        }
        Ok((kind, urls, concurrency))
    }
}

impl OrderJob {
    /// Checks the account id and the date range.
    pub fn check(&self) -> Result<(chrono::NaiveDate, chrono::NaiveDate), String> {
        if self.account_id.trim().is_empty() {
            return Err("invalid order-scraping data: `accountId` is empty".into());
        }
        let day = |field: &str, v: &str| {
            chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d").map_err(|_| {
                format!("invalid order-scraping data: dateRange.{field} `{v}` is not a date like 2024-01-31")
            })
        };
        let start = day("start", &self.date_range.start)?;
        let end = day("end", &self.date_range.end)?;
        if end < start {
            return Err(format!(
                "invalid order-scraping data: dateRange ends ({end}) before it starts ({start})"
            ));
        }
        Ok((start, end))
    }
}

/// Checks a scraping job's data without running it (for adding jobs: the CLI, the HTTP API
/// and the UI reject what a handler would discard). Unknown job names pass: other services
/// may handle them.
pub fn check(name: &str, data: &serde_json::Value, cfg: &ScrapeConfig) -> Result<(), String> {
    match name {
        "product-scraping" => {
            let job: ProductJob = parse(name, data)?;
            allowed_page_url("url", &job.url, cfg)
                .map_err(|e| format!("invalid {name} data: {e}"))?;
        }
        "shop-scraping" => {
            let job: ShopJob = parse(name, data)?;
            allowed_page_url("shopUrl", &job.shop_url, cfg)
                .map_err(|e| format!("invalid {name} data: {e}"))?;
        }
        "order-scraping" => {
            parse::<OrderJob>(name, data)?.check()?;
        }
        "batch-scraping" => {
            parse::<BatchJob>(name, data)?.check(cfg)?;
        }
        _ => {}
    }
    Ok(())
}
