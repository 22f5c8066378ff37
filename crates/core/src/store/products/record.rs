//! What a product is: the record as scraping gives it and the rules it must pass before it
//! is saved, and the shapes listings, history and the UI's price column take.

use serde::{Deserialize, Serialize};

use super::DEFAULT_PAGE;
use crate::store::money;

/// A product as stored: the fields scraping produces; only `productId` and `name` are
/// required, so the seed's minimal `{productId, name, price, rating}` saves too.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS, schemars::JsonSchema)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
#[ts(export, export_to = "../../../ui/src/api/generated/")]
pub struct ProductRecord {
    /// The site's product id.
    pub product_id: String,
    /// Shop / seller id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shop_id: Option<String>,
    /// Name.
    pub name: String,
    /// Price (minor units when scraped by Antrian).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(type = "number")]
    pub price: Option<f64>,
    /// Price before discount.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(type = "number")]
    pub original_price: Option<f64>,
    /// ISO 4217 currency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// Average rating.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rating: Option<f64>,
    /// Ratings behind it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(type = "number")]
    pub rating_count: Option<u64>,
    /// Units sold.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(type = "number")]
    pub sold: Option<u64>,
    /// Units in stock.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(type = "number")]
    pub stock: Option<u64>,
    /// Image URLs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub images: Vec<String>,
    /// Page URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Adapter that read it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// When it was scraped (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scraped_at: Option<String>,
}

/// What one save did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct SaveCounts {
    /// New products.
    pub inserted: u64,
    /// Products whose record changed.
    pub updated: u64,
    /// Products saved exactly as stored already.
    pub unchanged: u64,
}

/// One price/stock change.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
#[ts(export, export_to = "../../../ui/src/api/generated/")]
pub struct HistoryEntry {
    /// When (ms since the epoch).
    #[ts(type = "number")]
    pub at: i64,
    /// Price then.
    #[ts(type = "number | null")]
    pub price: Option<f64>,
    /// Stock then.
    #[ts(type = "number | null")]
    pub stock: Option<u64>,
}

/// A page of products, newest scraped first.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
#[ts(export, export_to = "../../../ui/src/api/generated/")]
pub struct ProductPage {
    /// The products.
    pub products: Vec<ProductRecord>,
    /// Products matching the filter in all (`None` when a name filter made counting
    /// everything too costly; `hasMore` still tells whether there is a next page).
    #[ts(type = "number | null")]
    pub total: Option<u64>,
    /// Whether another page follows.
    pub has_more: bool,
    /// Each listed product's latest price/stock changes (at most
    /// [`HISTORY_IN_LISTING`]), newest first, for a sparkline beside it.
    pub history: std::collections::HashMap<String, Vec<HistoryEntry>>,
    /// Each listed product's prices as a shopper reads them (`15,990 IDR`), by id.
    pub prices: std::collections::HashMap<String, PriceText>,
    /// Minor-unit digits of each currency on the page (`IDR` → 2), to read history prices.
    pub minor_digits: std::collections::HashMap<String, u32>,
}

/// A product's prices in words (major units and currency), from [`crate::store::money::display`].
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
#[ts(export, export_to = "../../../ui/src/api/generated/")]
pub struct PriceText {
    /// The price now.
    pub price: Option<String>,
    /// Before discount.
    pub original_price: Option<String>,
}

impl PriceText {
    /// `p`'s prices in words.
    pub fn of(p: &ProductRecord) -> Self {
        let show = |v: Option<f64>| v.map(|v| money::display(v, p.currency.as_deref()));
        Self {
            price: show(p.price),
            original_price: show(p.original_price),
        }
    }
}

/// Changes per product a listing carries.
pub const HISTORY_IN_LISTING: usize = 20;

/// Which page of which products (the window's query; the HTTP API takes the same fields
/// as URL parameters).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[ts(export, export_to = "../../../ui/src/api/generated/", optional_fields)]
pub struct ProductQuery {
    /// Only names containing this (case-insensitive).
    #[serde(default)]
    pub q: Option<String>,
    /// Only this shop's.
    #[serde(default)]
    pub shop: Option<String>,
    /// 1-based page.
    #[ts(type = "number")]
    pub page: usize,
    /// Products per page (1 to [`MAX_PAGE`]; [`DEFAULT_PAGE`] when a caller does not say).
    #[serde(default)]
    #[ts(type = "number", optional)]
    pub page_size: Option<usize>,
}

impl ProductQuery {
    /// Products per page, the default filled in.
    pub fn page_size(&self) -> usize {
        self.page_size.unwrap_or(DEFAULT_PAGE)
    }
}

/// Which products to list.
#[derive(Debug, Clone, Default)]
pub struct ProductFilter {
    /// Only this shop's.
    pub shop: Option<String>,
    /// Only names containing this (case-insensitive).
    pub name: Option<String>,
}

/// Checks one record: what `save-product-data` refuses.
pub fn check_record(p: &ProductRecord) -> std::result::Result<(), String> {
    let id_ok = !p.product_id.is_empty()
        && p.product_id.len() <= 512
        && !p.product_id.chars().any(char::is_control);
    if !id_ok {
        return Err(format!(
            "productId `{}` must be 1 to 512 characters without control characters",
            p.product_id
        ));
    }
    if p.name.trim().is_empty() {
        return Err(format!("product {}: `name` is empty", p.product_id));
    }
    for (field, v) in [("price", p.price), ("originalPrice", p.original_price)] {
        if v.is_some_and(|v| !v.is_finite() || v < 0.0) {
            return Err(format!(
                "product {}: `{field}` must be a number ≥ 0",
                p.product_id
            ));
        }
    }
    if let Some(at) = &p.scraped_at {
        if chrono::DateTime::parse_from_rfc3339(at).is_err() {
            return Err(format!(
                "product {}: scrapedAt `{at}` is not an RFC 3339 time",
                p.product_id
            ));
        }
    }
    Ok(())
}
