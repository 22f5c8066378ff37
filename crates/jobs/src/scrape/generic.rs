//! The generic adapter: a product from any site's page, from (in this order) the site's CSS
//! rules, schema.org `Product` JSON-LD, or OpenGraph/product meta tags. When none yields a
//! product, the error says what each one found, so an operator can fix the rules.

use scraper::{Html, Selector};
use serde_json::Value;
use url::Url;

use super::product::{currency_from_text, parse_amount, parse_count, to_minor, Product};
use super::rules::SiteRules;

/// What the first adapter to succeed read, or why none did.
pub fn extract(
    url: &Url,
    html: &str,
    rules: &SiteRules,
    scraped_at: &str,
) -> Result<Product, String> {
    let doc = Html::parse_document(html);
    let canonical = canonical_url(url, &doc);
    let mut findings = Vec::new();
    let host = url.host_str().unwrap_or_default();
    match rules.for_host(host) {
        Some(site) => match from_rules(&doc, site, url) {
            Ok(fields) => return Ok(fields.into_product(&canonical, "css-rules", scraped_at)),
            Err(why) => findings.push(format!("CSS rules for {host}: {why}")),
        },
        None => findings.push(format!("CSS rules: none configured for {host}")),
    }
    match from_json_ld(&doc) {
        Ok(fields) => return Ok(fields.into_product(&canonical, "json-ld", scraped_at)),
        Err(why) => findings.push(format!("JSON-LD: {why}")),
    }
    match from_open_graph(&doc) {
        Ok(fields) => return Ok(fields.into_product(&canonical, "opengraph", scraped_at)),
        Err(why) => findings.push(format!("OpenGraph: {why}")),
    }
    Err(format!(
        "no product found on {url}: {}",
        findings.join("; ")
    ))
}

/// What an adapter read, before it is checked and normalised.
#[derive(Debug, Default)]
pub(crate) struct Fields {
    pub product_id: Option<String>,
    pub shop_id: Option<String>,
    pub name: Option<String>,
    pub price: Option<f64>,
    pub original_price: Option<f64>,
    pub currency: Option<String>,
    pub rating: Option<f64>,
    pub rating_count: Option<u64>,
    pub sold: Option<u64>,
    pub stock: Option<u64>,
    pub images: Vec<String>,
    pub url: Option<String>,
}

impl Fields {
    /// `Err` names what is missing when there is no name or no price.
    fn check(self) -> Result<Self, String> {
        match (&self.name, self.price) {
            (Some(_), Some(_)) => Ok(self),
            (Some(n), None) => Err(format!("found the name \"{}\" but no price", short(n))),
            (None, Some(p)) => Err(format!("found a price ({p}) but no name")),
            (None, None) => Err("found neither a name nor a price".into()),
        }
    }

    pub(crate) fn into_product(self, canonical: &str, source: &str, scraped_at: &str) -> Product {
        let currency = self
            .currency
            .unwrap_or_else(|| "USD".into())
            .to_ascii_uppercase();
        let url = self.url.unwrap_or_else(|| canonical.to_string());
        Product {
            product_id: self.product_id.unwrap_or_else(|| url.clone()),
            shop_id: self.shop_id,
            name: self.name.unwrap_or_default(),
            price: self.price.and_then(|p| to_minor(p, &currency)).unwrap_or(0),
            original_price: self.original_price.and_then(|p| to_minor(p, &currency)),
            currency,
            rating: self.rating,
            rating_count: self.rating_count,
            sold: self.sold,
            stock: self.stock,
            images: self.images,
            url,
            source: source.to_string(),
            scraped_at: scraped_at.to_string(),
        }
    }
}

fn short(s: &str) -> String {
    s.chars().take(60).collect()
}

fn selector(css: &str) -> Selector {
    // Only called with the constant selectors below, which parse.
    Selector::parse(css).unwrap_or_else(|_| unreachable!("constant selector {css}"))
}

fn canonical_url(url: &Url, doc: &Html) -> String {
    let href = doc
        .select(&selector("link[rel=canonical]"))
        .find_map(|e| e.value().attr("href"))
        .or_else(|| meta(doc, "og:url"));
    href.and_then(|h| url.join(h).ok())
        .unwrap_or_else(|| url.clone())
        .to_string()
}

fn meta<'a>(doc: &'a Html, property: &str) -> Option<&'a str> {
    metas(doc, property).into_iter().next()
}

fn metas<'a>(doc: &'a Html, property: &str) -> Vec<&'a str> {
    doc.select(&selector("meta"))
        .filter(|e| {
            e.value()
                .attr("property")
                .or_else(|| e.value().attr("name"))
                == Some(property)
        })
        .filter_map(|e| e.value().attr("content"))
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect()
}

fn from_rules(
    doc: &Html,
    site: &std::collections::BTreeMap<String, super::rules::FieldRule>,
    url: &Url,
) -> Result<Fields, String> {
    let read = |field: &str| -> Vec<String> {
        let Some(rule) = site.get(field) else {
            return Vec::new();
        };
        doc.select(&rule.selector)
            .filter_map(|e| match &rule.attribute {
                Some(attr) => e.value().attr(attr).map(str::to_string),
                None => Some(e.text().collect::<String>()),
            })
            .map(|s| s.split_whitespace().collect::<Vec<_>>().join(" "))
            .filter(|s| !s.is_empty())
            .collect()
    };
    let first = |field: &str| read(field).into_iter().next();
    let price_text = first("price");
    let fields = Fields {
        product_id: first("product_id"),
        name: first("name"),
        price: price_text.as_deref().and_then(parse_amount),
        original_price: first("original_price").as_deref().and_then(parse_amount),
        currency: first("currency")
            .map(|c| currency_from_text(&c).unwrap_or(c))
            .or_else(|| price_text.as_deref().and_then(currency_from_text)),
        rating: first("rating").as_deref().and_then(parse_amount),
        rating_count: first("rating_count").as_deref().and_then(parse_count),
        sold: first("sold").as_deref().and_then(parse_count),
        stock: first("stock").as_deref().and_then(parse_count),
        images: read("images")
            .into_iter()
            .filter_map(|src| url.join(&src).ok().map(String::from))
            .collect(),
        ..Fields::default()
    };
    fields.check()
}

fn from_json_ld(doc: &Html) -> Result<Fields, String> {
    let mut types = Vec::new();
    let mut blocks = 0;
    let mut broken = 0;
    for script in doc.select(&selector(r#"script[type="application/ld+json"]"#)) {
        blocks += 1;
        let text: String = script.text().collect();
        let Ok(value) = serde_json::from_str::<Value>(text.trim()) else {
            broken += 1;
            continue;
        };
        let mut nodes = Vec::new();
        flatten(&value, &mut nodes);
        for node in nodes {
            let t = type_names(node);
            if t.iter().any(|t| t == "Product") {
                return product_from_json_ld(node).check();
            }
            types.extend(t);
        }
    }
    Err(match (blocks, broken) {
        (0, _) => "no JSON-LD blocks".into(),
        (b, x) if x == b => format!("{b} block(s), none valid JSON"),
        (b, _) => {
            types.sort();
            types.dedup();
            format!(
                "{b} block(s), no Product (types: {})",
                if types.is_empty() {
                    "none".into()
                } else {
                    types.join(", ")
                }
            )
        }
    })
}

/// Objects of a JSON-LD document: top-level arrays and `@graph` expanded.
fn flatten<'a>(value: &'a Value, out: &mut Vec<&'a Value>) {
    match value {
        Value::Array(items) => items.iter().for_each(|v| flatten(v, out)),
        Value::Object(map) => {
            out.push(value);
            if let Some(graph) = map.get("@graph") {
                flatten(graph, out);
            }
        }
        _ => {}
    }
}

fn type_names(node: &Value) -> Vec<String> {
    match node.get("@type") {
        Some(Value::String(s)) => vec![s.trim_start_matches("schema:").to_string()],
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        _ => Vec::new(),
    }
}

fn text_of(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        Value::Object(o) => text_of(o.get("name").or_else(|| o.get("@id"))),
        _ => None,
    }
}

fn number_of(v: Option<&Value>) -> Option<f64> {
    match v? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => parse_amount(s),
        _ => None,
    }
}

fn product_from_json_ld(node: &Value) -> Fields {
    let offer = match node.get("offers") {
        Some(Value::Array(a)) => a.first(),
        other => other,
    };
    let price = offer.and_then(|o| {
        number_of(o.get("price"))
            .or_else(|| number_of(o.get("lowPrice")))
            .or_else(|| number_of(o.get("priceSpecification").and_then(|p| p.get("price"))))
    });
    let rating = node.get("aggregateRating");
    let images = match node.get("image") {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|i| {
                i.as_str()
                    .map(str::to_string)
                    .or_else(|| text_of(i.get("url")))
            })
            .collect(),
        Some(Value::Object(o)) => text_of(o.get("url")).into_iter().collect(),
        _ => Vec::new(),
    };
    Fields {
        product_id: text_of(node.get("sku"))
            .or_else(|| text_of(node.get("productID")))
            .or_else(|| text_of(node.get("mpn"))),
        name: text_of(node.get("name")),
        price,
        currency: offer.and_then(|o| text_of(o.get("priceCurrency"))),
        rating: rating.and_then(|r| number_of(r.get("ratingValue"))),
        rating_count: rating
            .and_then(|r| {
                number_of(r.get("ratingCount")).or_else(|| number_of(r.get("reviewCount")))
            })
            .map(|n| n as u64),
        stock: offer
            .and_then(|o| o.get("inventoryLevel"))
            .and_then(|i| number_of(i.get("value")).or_else(|| number_of(Some(i))))
            .map(|n| n as u64),
        images,
        url: text_of(node.get("url")),
        ..Fields::default()
    }
}

fn from_open_graph(doc: &Html) -> Result<Fields, String> {
    let price = meta(doc, "product:price:amount").or_else(|| meta(doc, "og:price:amount"));
    let fields = Fields {
        product_id: meta(doc, "product:retailer_item_id").map(str::to_string),
        name: meta(doc, "og:title").map(str::to_string),
        price: price.and_then(parse_amount),
        currency: meta(doc, "product:price:currency")
            .or_else(|| meta(doc, "og:price:currency"))
            .map(str::to_string),
        images: metas(doc, "og:image")
            .into_iter()
            .map(str::to_string)
            .collect(),
        ..Fields::default()
    };
    if fields.name.is_none() && price.is_none() {
        return Err("no og:title or product:price:amount tags".into());
    }
    fields.check()
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: &str = "2026-11-28T00:00:00Z";

    fn url() -> Url {
        Url::parse("https://shop.example/p/1").unwrap_or_else(|_| unreachable!())
    }

    #[test]
    fn json_ld_product_in_a_graph_with_offers_array() {
        let html = r#"<html><head><script type="application/ld+json">
            {"@context":"https://schema.org","@graph":[{"@type":"WebSite"},
             {"@type":["Product"],"name":"Kopi Luwak 250g","sku":"KL-250",
              "image":[{"url":"https://cdn.example/a.jpg"},"https://cdn.example/b.jpg"],
              "aggregateRating":{"ratingValue":"4.8","reviewCount":1200},
              "offers":[{"price":"125000","priceCurrency":"IDR","inventoryLevel":{"value":7}}]}]}
            </script></head></html>"#;
        let p = extract(&url(), html, &SiteRules::none(), NOW);
        let p = p.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(p.name, "Kopi Luwak 250g");
        assert_eq!(p.product_id, "KL-250");
        assert_eq!((p.price, p.currency.as_str()), (12_500_000, "IDR"));
        assert_eq!(
            (p.rating, p.rating_count, p.stock),
            (Some(4.8), Some(1200), Some(7))
        );
        assert_eq!(p.images.len(), 2);
        assert_eq!(p.source, "json-ld");
    }

    #[test]
    fn opengraph_when_there_is_no_json_ld() {
        let html = r#"<head><meta property="og:title" content="Teh Hijau">
            <meta property="product:price:amount" content="19.90">
            <meta property="product:price:currency" content="MYR">
            <meta property="og:image" content="https://cdn.example/t.jpg">
            <link rel="canonical" href="/p/teh-hijau"></head>"#;
        let p = extract(&url(), html, &SiteRules::none(), NOW).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (p.price, p.currency.as_str(), p.source.as_str()),
            (1990, "MYR", "opengraph")
        );
        assert_eq!(p.url, "https://shop.example/p/teh-hijau");
    }

    #[test]
    fn no_product_says_what_each_adapter_found() {
        let html = r#"<head><script type="application/ld+json">{"@type":"WebSite"}</script>
            <meta property="og:title" content="Home"></head>"#;
        let err = extract(&url(), html, &SiteRules::none(), NOW)
            .err()
            .unwrap_or_default();
        assert!(
            err.contains("CSS rules: none configured for shop.example"),
            "{err}"
        );
        assert!(
            err.contains("JSON-LD: 1 block(s), no Product (types: WebSite)"),
            "{err}"
        );
        assert!(
            err.contains("OpenGraph: found the name \"Home\" but no price"),
            "{err}"
        );
    }
}
