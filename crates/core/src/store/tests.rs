//! The product store against a real redis-server.

use antrian_testkit::TestRedis;
use serde_json::json;

use super::*;
use crate::connection::Connection;
use crate::CancellationToken;

async fn store(redis: &TestRedis) -> ProductStore {
    let conn = Connection::open(&redis.url(), "test", &CancellationToken::new(), |_| {})
        .await
        .expect("connect");
    ProductStore::new(conn)
}

fn product(id: &str, shop: &str, name: &str, price: f64, at: &str) -> ProductRecord {
    serde_json::from_value(json!({
        "productId": id, "shopId": shop, "name": name, "price": price,
        "currency": "IDR", "stock": 5, "scrapedAt": at
    }))
    .expect("record")
}

#[tokio::test]
async fn saving_counts_inserts_updates_and_unchanged_and_keeps_a_capped_history() {
    let redis = TestRedis::start();
    let s = store(&redis).await;
    let a = product("1", "s1", "Kopi", 100.0, "2026-01-01T00:00:00Z");
    let b = product("2", "s1", "Teh", 50.0, "2026-01-02T00:00:00Z");
    let counts = s.save(&[a.clone(), b.clone()]).await.expect("save");
    assert_eq!(
        (counts.inserted, counts.updated, counts.unchanged),
        (2, 0, 0)
    );
    let again = s.save(&[a.clone(), b.clone()]).await.expect("save");
    assert_eq!((again.inserted, again.updated, again.unchanged), (0, 0, 2));
    assert_eq!(
        s.history("1").await.expect("history").len(),
        1,
        "an unchanged save adds no history"
    );

    // A later scrape with the same price updates the record, not the history.
    let later = product("1", "s1", "Kopi", 100.0, "2026-01-03T00:00:00Z");
    let c = s.save(&[later]).await.expect("save");
    assert_eq!(c.updated, 1);
    assert_eq!(s.history("1").await.expect("history").len(), 1);
    for i in 0..60 {
        let changed = product(
            "1",
            "s1",
            "Kopi",
            200.0 + f64::from(i),
            &format!("2026-02-01T00:00:{:02}Z", i % 60),
        );
        s.save(&[changed]).await.expect("save");
    }
    let history = s.history("1").await.expect("history");
    assert_eq!(history.len(), products::HISTORY_CAP);
    assert_eq!(history[0].price, Some(259.0), "newest first");
    assert_eq!(s.get("1").await.expect("get").price, Some(259.0));
    // A listing carries each product's latest changes for its sparkline, newest first.
    let page = s
        .list(&ProductFilter::default(), 1, 10)
        .await
        .expect("list");
    let prices: Vec<Option<f64>> = page.history["1"].iter().map(|h| h.price).collect();
    assert_eq!(prices.len(), products::HISTORY_IN_LISTING);
    assert_eq!((prices[0], prices[19]), (Some(259.0), Some(240.0)));
    assert_eq!(page.history["2"].len(), 1, "Teh's one price");
    let empty = s
        .list(&ProductFilter::default(), 5, 10)
        .await
        .expect("a page past the end");
    assert!(empty.products.is_empty() && empty.history.is_empty());
    let missing = s.get("nope").await.err().map(|e| e.code());
    assert_eq!(missing, Some(crate::ErrorCode::NotFound));

    // One bad record saves nothing.
    let bad: ProductRecord =
        serde_json::from_value(json!({"productId": "3", "name": " "})).expect("record");
    let err = s
        .save(&[product("4", "s", "ok", 1.0, "2026-01-01T00:00:00Z"), bad])
        .await
        .err();
    assert!(err.is_some_and(|e| e.to_string().contains("productData[1]")));
    assert_eq!(
        s.get("4").await.err().map(|e| e.code()),
        Some(crate::ErrorCode::NotFound)
    );
}

#[tokio::test]
async fn listing_pages_filters_exports_and_prunes() {
    let redis = TestRedis::start();
    let s = store(&redis).await;
    let products: Vec<ProductRecord> = (0..25)
        .map(|i| {
            product(
                &format!("p{i}"),
                if i % 2 == 0 { "even" } else { "odd" },
                &format!("{} Kopi {i}", if i % 5 == 0 { "Special" } else { "Plain" }),
                f64::from(i),
                &format!("2026-01-{:02}T00:00:00Z", i + 1),
            )
        })
        .collect();
    s.save(&products).await.expect("save");

    let page = s
        .list(&ProductFilter::default(), 1, 10)
        .await
        .expect("page 1");
    assert_eq!((page.total, page.has_more), (Some(25), true));
    assert_eq!(page.products[0].product_id, "p24", "newest first");
    let last = s
        .list(&ProductFilter::default(), 3, 10)
        .await
        .expect("page 3");
    assert_eq!((last.products.len(), last.has_more), (5, false));
    let odd = s
        .list(
            &ProductFilter {
                shop: Some("odd".into()),
                name: None,
            },
            1,
            100,
        )
        .await
        .expect("shop");
    assert_eq!(odd.total, Some(12));
    assert!(odd
        .products
        .iter()
        .all(|p| p.shop_id.as_deref() == Some("odd")));
    let special = s
        .list(
            &ProductFilter {
                shop: None,
                name: Some("SPECIAL".into()),
            },
            1,
            3,
        )
        .await
        .expect("name");
    let ids: Vec<&str> = special
        .products
        .iter()
        .map(|p| p.product_id.as_str())
        .collect();
    assert_eq!(ids, vec!["p20", "p15", "p10"]);
    assert!(special.has_more);
    let bad = s
        .list(&ProductFilter::default(), 0, 10)
        .await
        .err()
        .map(|e| e.code());
    assert_eq!(bad, Some(crate::ErrorCode::InvalidInput));

    let mut csv = Vec::new();
    assert_eq!(
        s.export(ExportFormat::Csv, &mut csv).await.expect("csv"),
        25
    );
    let csv = String::from_utf8(csv).expect("utf-8");
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 26);
    assert!(
        lines[0].starts_with(
            "productId,shopId,name,price (major units),originalPrice (major units),currency"
        ),
        "the price columns name their unit: {}",
        lines[0]
    );
    assert!(
        lines[1].starts_with("p0,even,Special Kopi 0,0.00,"),
        "{}",
        lines[1]
    );
    // 12 minor units of IDR (2 digits) are 0.12 rupiah, as a shopper would read them.
    assert!(
        lines[13].starts_with("p12,even,Plain Kopi 12,0.12,,IDR,"),
        "{}",
        lines[13]
    );
    let mut out = Vec::new();
    s.export(ExportFormat::Json, &mut out).await.expect("json");
    let all: Vec<ProductRecord> = serde_json::from_slice(&out).expect("a JSON array");
    assert_eq!(all.len(), 25);

    // Prune before Jan 11th: p0..p9. A dry run removes nothing.
    let cutoff = chrono::DateTime::parse_from_rfc3339("2026-01-11T00:00:00Z")
        .expect("time")
        .timestamp_millis();
    let would = s.remove_older_than(cutoff, true).await.expect("dry run");
    assert_eq!(would.len(), 10);
    assert_eq!(
        s.list(&ProductFilter::default(), 1, 1)
            .await
            .expect("list")
            .total,
        Some(25)
    );
    let removed = s.remove_older_than(cutoff, false).await.expect("prune");
    assert_eq!(removed, would);
    assert_eq!(
        s.list(&ProductFilter::default(), 1, 1)
            .await
            .expect("list")
            .total,
        Some(15)
    );
    let even = s
        .list(
            &ProductFilter {
                shop: Some("even".into()),
                name: None,
            },
            1,
            100,
        )
        .await
        .expect("shop");
    assert_eq!(
        even.total,
        Some(8),
        "shop index pruned too: 13 even, 5 of them old"
    );
    let mut conn = redis.connection();
    let left: Vec<String> = redis::cmd("KEYS")
        .arg("antrian:product:p3*")
        .query(&mut conn)
        .expect("KEYS");
    assert!(left.is_empty(), "record and history gone: {left:?}");
}

#[test]
fn export_formats_are_csv_or_json_and_anything_else_names_the_field() {
    assert_eq!(ExportFormat::parse("csv").expect("csv"), ExportFormat::Csv);
    let json = ExportFormat::parse("json").expect("json");
    assert_eq!(
        (json.extension(), json.media_type()),
        ("json", "application/json")
    );
    let e = ExportFormat::parse("xml").expect_err("refused");
    assert_eq!(e.code(), crate::ErrorCode::InvalidInput);
    assert!(
        e.to_string().contains("format: `xml` must be csv or json"),
        "{e}"
    );
}
