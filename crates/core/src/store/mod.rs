//! Antrian's own data: in Redis beside BullMQ's queues, and the desktop's saved
//! connections on disk.
//!
//! - [`connections`]: the desktop's saved Redis connections (Settings), their rules and
//!   the one-shot "test connection".
//! - [`products`]: the product store scraping fills (save, list, search, export, prune).
//! - [`orders`]: seller orders per account, from order-scraping.
//! - `capped`: newest-first JSON logs trimmed to a length (scaling log, audit log).

pub(crate) mod capped;
pub mod connections;
pub mod money;
pub mod orders;
pub mod products;

pub use orders::OrderStore;
pub use products::{
    ExportFormat, HistoryEntry, PriceText, ProductFilter, ProductPage, ProductQuery, ProductRecord,
    ProductStore, SaveCounts,
};

#[cfg(test)]
mod tests;
