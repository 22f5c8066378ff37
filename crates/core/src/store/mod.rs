//! Antrian's own data in Redis (beside BullMQ's queues).
//!
//! - [`products`]: the product store scraping fills (save, list, search, export, prune).

pub mod products;

pub use products::{
    ExportFormat, HistoryEntry, ProductFilter, ProductPage, ProductRecord, ProductStore, SaveCounts,
};

#[cfg(test)]
mod tests;
