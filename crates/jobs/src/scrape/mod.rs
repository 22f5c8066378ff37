//! Scraping jobs (the seed's product, order, shop and batch scraping).
//!
//! - [`input`]: the jobs' data, checked before anything is fetched.
//! - [`fetch`]: polite, bounded HTTP with outcomes mapped to retry / retry-after / discard.
//! - [`politeness`]: per-site rate limit and concurrency shared through Redis.
//! - [`proxy`]: the proxy pool with rotation and benching.
//! - [`marketplace`]: the Shopee-style adapter (URL forms, JSON endpoints).
//! - [`generic`]: any other site (CSS rules, JSON-LD, OpenGraph); [`rules`] loads the rules.
//! - [`product`]: the normalised product and price parsing.
//! - [`session`]: marketplace account sessions for order scraping.
//! - [`stats`]: per-site outcome counters.
//! - [`handlers`]: the four jobs.

pub mod fetch;
pub mod generic;
pub mod handlers;
pub mod input;
pub mod marketplace;
pub mod politeness;
pub mod product;
pub mod proxy;
pub mod rules;
pub mod session;
pub mod stats;

pub use handlers::Scraper;
pub use product::Product;

/// Scraping cannot be set up.
#[derive(Debug, thiserror::Error)]
pub enum ScrapeError {
    /// The site rules file is unreadable or wrong.
    #[error(transparent)]
    Rules(#[from] rules::RulesError),
    /// The HTTP client cannot be built.
    #[error(transparent)]
    Client(#[from] fetch::ClientError),
}
