//! The marketplace adapter for Shopee-style sites: URL forms, the JSON item / shop / listing
//! endpoints, and reading their answers into [`Product`]s. Handlers fall back to the
//! product page's embedded structured data (the generic adapter) when the API fails.
//!
//! URL forms: `/product/{shopId}/{itemId}` and `/shop/{shopId}` (the seed's), and the
//! sites' own `/{slug}-i.{shopId}.{itemId}` and `/{shopName}`.

use serde_json::Value;
use url::Url;

use antrian_core::config::ScrapeConfig;

use super::product::{to_minor, Product};

/// Prices in the marketplace API are major units × 100,000.
const PRICE_SCALE: f64 = 100_000.0;

/// Listing page size asked of the shop endpoint.
pub const LISTING_PAGE_SIZE: u32 = 30;

/// What a marketplace URL points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A product.
    Product {
        /// Shop id.
        shop_id: String,
        /// Item id.
        item_id: String,
    },
    /// A shop by id.
    ShopId(String),
    /// A shop by its user name.
    ShopName(String),
}

/// Whether the marketplace adapter reads `url`'s site.
pub fn handles(cfg: &ScrapeConfig, url: &Url) -> bool {
    let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
    let host = host.strip_prefix("www.").unwrap_or(&host);
    cfg.marketplace_hosts.iter().any(|h| h == host)
}

/// Reads a marketplace URL; `None` when it is none of the known forms.
pub fn parse_target(url: &Url) -> Option<Target> {
    let segments: Vec<&str> = url
        .path_segments()
        .map(|s| s.filter(|s| !s.is_empty()).collect())
        .unwrap_or_default();
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    match segments.as_slice() {
        ["product", shop, item] if digits(shop) && digits(item) => Some(Target::Product {
            shop_id: (*shop).to_string(),
            item_id: (*item).to_string(),
        }),
        ["shop", shop] if digits(shop) => Some(Target::ShopId((*shop).to_string())),
        [one] => {
            // `{slug}-i.{shopId}.{itemId}`
            if let Some(at) = one.rfind("-i.") {
                let mut ids = one[at + 3..].split('.');
                if let (Some(shop), Some(item), None) = (ids.next(), ids.next(), ids.next()) {
                    if digits(shop) && digits(item) {
                        return Some(Target::Product {
                            shop_id: shop.to_string(),
                            item_id: item.to_string(),
                        });
                    }
                }
            }
            let name_ok = one
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
            name_ok.then(|| Target::ShopName((*one).to_string()))
        }
        _ => None,
    }
}

/// The API base for a page on `url`'s site.
pub fn api_base(cfg: &ScrapeConfig, url: &Url) -> String {
    match &cfg.marketplace_api_url {
        Some(base) => base.trim_end_matches('/').to_string(),
        None => format!("{}/api/v4", url.origin().ascii_serialization()),
    }
}

/// The item endpoint.
pub fn item_url(
    cfg: &ScrapeConfig,
    page: &Url,
    shop_id: &str,
    item_id: &str,
) -> Result<Url, String> {
    endpoint(&format!(
        "{}/item/get?itemid={item_id}&shopid={shop_id}",
        api_base(cfg, page)
    ))
}

/// The shop detail endpoint, by id or user name.
pub fn shop_url(cfg: &ScrapeConfig, page: &Url, target: &Target) -> Result<Url, String> {
    let base = api_base(cfg, page);
    let mut url = endpoint(&format!("{base}/shop/get_shop_detail"))?;
    match target {
        Target::ShopId(id) => url.query_pairs_mut().append_pair("shopid", id),
        Target::ShopName(name) => url.query_pairs_mut().append_pair("username", name),
        Target::Product { shop_id, .. } => url.query_pairs_mut().append_pair("shopid", shop_id),
    };
    Ok(url)
}

/// One page of a shop's listing.
pub fn listing_url(
    cfg: &ScrapeConfig,
    page: &Url,
    shop_id: &str,
    offset: u32,
) -> Result<Url, String> {
    endpoint(&format!(
        "{}/shop/search_items?shopid={shop_id}&offset={offset}&limit={LISTING_PAGE_SIZE}&sort_by=pop",
        api_base(cfg, page)
    ))
}

fn endpoint(raw: &str) -> Result<Url, String> {
    Url::parse(raw)
        .map_err(|e| format!("bad marketplace API URL {raw}: {e} (SCRAPE_MARKETPLACE_API_URL)"))
}

/// The canonical product page on the marketplace site.
pub fn product_page(site: &Url, shop_id: &str, item_id: &str) -> String {
    format!(
        "{}/product/{shop_id}/{item_id}",
        site.origin().ascii_serialization()
    )
}

/// The currency a marketplace site sells in, from its domain.
pub fn site_currency(site: &Url) -> &'static str {
    let host = site.host_str().unwrap_or_default();
    let by_suffix = [
        (".co.id", "IDR"),
        (".com.my", "MYR"),
        (".sg", "SGD"),
        (".ph", "PHP"),
        (".co.th", "THB"),
        (".vn", "VND"),
        (".tw", "TWD"),
        (".com.br", "BRL"),
    ];
    by_suffix
        .iter()
        .find(|(suffix, _)| host.ends_with(suffix))
        .map_or("IDR", |(_, c)| c)
}

/// The `data` of an API answer, or why there is none (the API answers 200 with an
/// `error` code for missing items).
pub fn api_data<'a>(body: &'a Value, what: &str) -> Result<&'a Value, ApiError> {
    let error = body
        .get("error")
        .filter(|e| !e.is_null() && *e != &Value::from(0));
    match (error, body.get("data")) {
        (None, Some(data)) if data.is_object() => Ok(data),
        (Some(e), _) if e == &Value::from(4) || e == &Value::from(404) => Err(ApiError::Missing(
            format!("{what} does not exist (API error {e})"),
        )),
        (Some(e), _) => Err(ApiError::Other(format!(
            "{what}: the API answered error {e}"
        ))),
        (None, _) => Err(ApiError::Other(format!(
            "{what}: the API answer has no `data`"
        ))),
    }
}

/// Why an API answer held no data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiError {
    /// The thing does not exist: permanent.
    Missing(String),
    /// Anything else: worth the page fallback or a retry.
    Other(String),
}

/// An item of the item endpoint (or a listing's `item_basic`) as a [`Product`].
pub fn item_product(
    cfg: &ScrapeConfig,
    site: &Url,
    item: &Value,
    source: &str,
    scraped_at: &str,
) -> Result<Product, String> {
    let id = |k: &str| match item.get(k) {
        Some(Value::Number(n)) => Some(n.to_string()),
        Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
        _ => None,
    };
    let num = |k: &str| item.get(k).and_then(Value::as_f64);
    let count = |k: &str| item.get(k).and_then(Value::as_u64);
    let item_id = id("itemid").ok_or("the item has no `itemid`")?;
    let shop_id = id("shopid").ok_or("the item has no `shopid`")?;
    let name = item
        .get("name")
        .and_then(Value::as_str)
        .filter(|n| !n.trim().is_empty())
        .ok_or_else(|| format!("item {item_id} has no `name`"))?;
    let currency = item
        .get("currency")
        .and_then(Value::as_str)
        .unwrap_or_else(|| site_currency(site))
        .to_ascii_uppercase();
    let price = num("price")
        .or_else(|| num("price_min"))
        .and_then(|p| to_minor(p / PRICE_SCALE, &currency))
        .ok_or_else(|| format!("item {item_id} has no `price`"))?;
    let original_price = num("price_before_discount")
        .filter(|p| *p > 0.0)
        .and_then(|p| to_minor(p / PRICE_SCALE, &currency));
    let rating = item.get("item_rating");
    let images = item
        .get("images")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(|id| format!("{}{id}", cfg.marketplace_image_url))
                .collect()
        })
        .unwrap_or_default();
    Ok(Product {
        product_id: item_id.clone(),
        shop_id: Some(shop_id.clone()),
        name: name.trim().to_string(),
        price,
        original_price,
        currency,
        rating: rating
            .and_then(|r| r.get("rating_star"))
            .and_then(Value::as_f64),
        rating_count: rating
            .and_then(|r| r.get("rating_count"))
            .and_then(|c| c.get(0).or(Some(c)))
            .and_then(Value::as_u64),
        sold: count("historical_sold").or_else(|| count("sold")),
        stock: count("stock"),
        images,
        url: product_page(site, &shop_id, &item_id),
        source: source.to_string(),
        scraped_at: scraped_at.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(s: &str) -> Url {
        Url::parse(s).unwrap_or_else(|_| unreachable!())
    }

    #[test]
    fn the_four_url_forms() {
        let product = Target::Product {
            shop_id: "123".into(),
            item_id: "456".into(),
        };
        assert_eq!(
            parse_target(&u("https://shopee.co.id/product/123/456")),
            Some(product.clone())
        );
        assert_eq!(
            parse_target(&u(
                "https://shopee.co.id/Kopi-Arabika-250g-i.123.456?sp_atk=x"
            )),
            Some(product)
        );
        assert_eq!(
            parse_target(&u("https://shopee.co.id/shop/123456")),
            Some(Target::ShopId("123456".into()))
        );
        assert_eq!(
            parse_target(&u("https://shopee.co.id/kopi.nusantara")),
            Some(Target::ShopName("kopi.nusantara".into()))
        );
        assert_eq!(parse_target(&u("https://shopee.co.id/product/abc/1")), None);
        assert_eq!(parse_target(&u("https://shopee.co.id/")), None);
        assert_eq!(parse_target(&u("https://shopee.co.id/a/b/c/d")), None);
    }

    #[test]
    fn api_items_become_products_in_minor_units() {
        let cfg = antrian_core::Config::load(&antrian_core::config::LoadOptions::from_vars([]))
            .map(|c| c.scrape)
            .unwrap_or_else(|e| panic!("{e}"));
        let item = serde_json::json!({
            "itemid": 456, "shopid": 123, "name": "Kopi Arabika 250g",
            "price": 10_000_000_000_i64, "price_before_discount": 12_500_000_000_i64,
            "item_rating": {"rating_star": 4.9, "rating_count": [321, 1, 0, 5, 15, 300]},
            "historical_sold": 1500, "stock": 42, "images": ["abc", "def"]
        });
        let site = u("https://shopee.co.id/product/123/456");
        let p = item_product(&cfg, &site, &item, "marketplace-api", "now")
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (p.price, p.original_price, p.currency.as_str()),
            (10_000_000, Some(12_500_000), "IDR")
        );
        assert_eq!(
            (p.rating, p.rating_count, p.sold, p.stock),
            (Some(4.9), Some(321), Some(1500), Some(42))
        );
        assert_eq!(p.images[0], "https://down-id.img.susercontent.com/file/abc");
        assert_eq!(p.url, "https://shopee.co.id/product/123/456");
        let err = item_product(
            &cfg,
            &site,
            &serde_json::json!({"itemid": 1, "shopid": 2, "name": "x"}),
            "a",
            "n",
        );
        assert_eq!(err.err().as_deref(), Some("item 1 has no `price`"));
    }

    #[test]
    fn api_errors_tell_missing_from_other() {
        let ok = serde_json::json!({"error": null, "data": {"itemid": 1}});
        assert!(api_data(&ok, "item").is_ok());
        let missing = serde_json::json!({"error": 4, "data": null});
        assert!(matches!(
            api_data(&missing, "item 1"),
            Err(ApiError::Missing(_))
        ));
        let other = serde_json::json!({"error": 90309999});
        assert!(matches!(
            api_data(&other, "item 1"),
            Err(ApiError::Other(_))
        ));
    }
}
