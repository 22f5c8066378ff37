//! A local web site for scraping tests: product pages of every kind the adapters read, a
//! Shopee-style JSON API, a seller-orders endpoint behind a session, and routes that
//! misbehave the ways real sites do. Every request is logged with its arrival time, so
//! tests can check rate limits from the site's side.
//!
//! It also acts as an HTTP proxy for itself: a request in absolute form
//! (`GET http://host/path`, what clients send to a proxy) is served like any other and
//! logged as proxied.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{Path, Query, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

/// The cookie the seller-orders endpoint accepts.
pub const SESSION_COOKIE: &str = "SPC_SC_TK=fixture-session";
/// The bearer token the seller-orders endpoint accepts.
pub const SESSION_TOKEN: &str = "fixture-token";
/// Products in the fixture shop's listing (3 pages of 30).
pub const SHOP_ITEMS: u64 = 70;
/// Orders per seller-orders page, and pages.
pub const ORDERS_PER_PAGE: u64 = 3;
/// Pages of orders.
pub const ORDER_PAGES: u64 = 2;

/// One request as the site saw it.
#[derive(Debug, Clone)]
pub struct RequestRecord {
    /// When it arrived.
    pub at: Instant,
    /// Path and query.
    pub path: String,
    /// Sent in absolute form, i.e. through a proxy.
    pub proxied: bool,
    /// The `User-Agent` header.
    pub user_agent: Option<String>,
}

#[derive(Default)]
struct SiteState {
    log: Mutex<Vec<RequestRecord>>,
    flaky: Mutex<HashMap<String, u32>>,
}

/// The running site; stops when dropped.
#[derive(Debug)]
pub struct FixtureSite {
    addr: SocketAddr,
    state: Arc<SiteStateHandle>,
    task: tokio::task::JoinHandle<()>,
}

/// Shared state behind a Debug-able handle.
struct SiteStateHandle(SiteState);

impl std::fmt::Debug for SiteStateHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SiteState")
    }
}

impl Drop for FixtureSite {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FixtureSite {
    /// Starts the site on a free port of 127.0.0.1.
    pub async fn start() -> Self {
        let state = Arc::new(SiteStateHandle(SiteState::default()));
        let app = Router::new()
            .route("/product/{shop}/{item}", get(marketplace_page))
            .route("/api/v4/item/get", get(api_item))
            .route("/api/v4/shop/get_shop_detail", get(api_shop))
            .route("/api/v4/shop/search_items", get(api_listing))
            .route("/seller/orders", get(seller_orders))
            .route("/p/jsonld/{id}", get(jsonld_page))
            .route("/p/og/{id}", get(og_page))
            .route("/p/css/{id}", get(css_page))
            .route("/p/none", get(no_product_page))
            .route("/p/big/{id}", get(big_page))
            .route("/p/delay/{ms}/{id}", get(delayed_page))
            .route("/p/gzip/{id}", get(gzip_page))
            .route("/p/br/{id}", get(brotli_page))
            .route("/bad/429", get(too_many))
            .route("/bad/503", get(unavailable))
            .route("/bad/flaky/{key}", get(flaky))
            .route("/bad/status/{code}", get(status))
            .route("/bad/slow", get(slow))
            .route("/bad/huge", get(huge))
            .route("/bad/loop", get(redirect_loop))
            .route("/redirect", get(redirect_to))
            .route("/bad/cp1252", get(cp1252))
            // An HTTP target's endpoint: takes any POSTed job and says so.
            .route(
                "/hook",
                axum::routing::post(|| async { axum::Json(serde_json::json!({"received": true})) }),
            )
            .layer(axum::middleware::from_fn_with_state(
                state.clone(),
                log_request,
            ))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the fixture site");
        let addr = listener.local_addr().expect("fixture address");
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { addr, state, task }
    }

    /// `http://127.0.0.1:PORT{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.addr.port())
    }

    /// The same site as `http://localhost:PORT{path}`: another host name, so another
    /// "site" for per-site settings.
    pub fn localhost_url(&self, path: &str) -> String {
        format!("http://localhost:{}{path}", self.addr.port())
    }

    /// The port.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// Every request so far, in arrival order.
    pub fn requests(&self) -> Vec<RequestRecord> {
        self.state
            .0
            .log
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Requests whose path starts with `prefix`.
    pub fn requests_to(&self, prefix: &str) -> Vec<RequestRecord> {
        self.requests()
            .into_iter()
            .filter(|r| r.path.starts_with(prefix))
            .collect()
    }
}

async fn log_request(
    State(state): State<Arc<SiteStateHandle>>,
    request: Request,
    next: axum::middleware::Next,
) -> Response {
    let uri = request.uri();
    let record = RequestRecord {
        at: Instant::now(),
        path: uri
            .path_and_query()
            .map_or_else(|| uri.path().to_string(), ToString::to_string),
        proxied: uri.authority().is_some(),
        user_agent: request
            .headers()
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
    };
    state
        .0
        .log
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .push(record);
    next.run(request).await
}

fn html(body: String) -> Response {
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response()
}

fn json(value: serde_json::Value) -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        value.to_string(),
    )
        .into_response()
}

/// The JSON-LD product every JSON-LD page carries.
fn json_ld(id: &str, name: &str) -> String {
    serde_json::json!({
        "@context": "https://schema.org",
        "@type": "Product",
        "name": name,
        "sku": format!("SKU-{id}"),
        "image": [format!("https://img.example/{id}-1.jpg"), format!("https://img.example/{id}-2.jpg")],
        "aggregateRating": {"@type": "AggregateRating", "ratingValue": "4.5", "reviewCount": 120},
        "offers": {"@type": "Offer", "price": "125000.00", "priceCurrency": "IDR",
                   "inventoryLevel": {"@type": "QuantitativeValue", "value": 12}},
    })
    .to_string()
}

async fn marketplace_page(Path((shop, item)): Path<(String, String)>) -> Response {
    html(format!(
        r#"<!doctype html><html><head><title>Item {item}</title>
        <script type="application/ld+json">{}</script></head><body><h1>Item {item}</h1></body></html>"#,
        json_ld(&format!("{shop}-{item}"), &format!("Item {item} (page)"))
    ))
}

/// An item of the API: price and stock derived from its id.
pub fn api_item_json(shop: u64, item: u64) -> serde_json::Value {
    serde_json::json!({
        "itemid": item, "shopid": shop, "name": format!("Item {item}"),
        "price": (item % 1000 + 1) * 1_000 * 100_000,
        "price_before_discount": (item % 1000 + 2) * 1_000 * 100_000,
        "item_rating": {"rating_star": 4.5, "rating_count": [200, 1, 2, 7, 40, 150]},
        "historical_sold": item % 500, "stock": 10 + item % 7,
        "images": [format!("img{item}")],
    })
}

async fn api_item(Query(q): Query<HashMap<String, String>>) -> Response {
    let item: u64 = q.get("itemid").and_then(|v| v.parse().ok()).unwrap_or(0);
    let shop: u64 = q.get("shopid").and_then(|v| v.parse().ok()).unwrap_or(0);
    match item {
        404 => StatusCode::NOT_FOUND.into_response(),
        403 => StatusCode::FORBIDDEN.into_response(),
        4 => json(serde_json::json!({"error": 4, "data": null})),
        _ => json(serde_json::json!({"error": null, "data": api_item_json(shop, item)})),
    }
}

async fn api_shop(Query(q): Query<HashMap<String, String>>) -> Response {
    let shop = match (q.get("shopid"), q.get("username")) {
        (Some(id), _) if id == "404" => return StatusCode::NOT_FOUND.into_response(),
        (Some(id), _) => id.parse::<u64>().unwrap_or(0),
        (None, Some(name)) if name == "missing.shop" => {
            return json(serde_json::json!({"error": 4, "data": null}))
        }
        (None, Some(_)) => 777,
        _ => return StatusCode::BAD_REQUEST.into_response(),
    };
    json(
        serde_json::json!({"error": null, "data": {"shopid": shop, "name": format!("Shop {shop}"), "item_count": SHOP_ITEMS}}),
    )
}

async fn api_listing(Query(q): Query<HashMap<String, String>>) -> Response {
    let shop: u64 = q.get("shopid").and_then(|v| v.parse().ok()).unwrap_or(0);
    let offset: u64 = q.get("offset").and_then(|v| v.parse().ok()).unwrap_or(0);
    let limit: u64 = q.get("limit").and_then(|v| v.parse().ok()).unwrap_or(30);
    let items: Vec<serde_json::Value> = (offset..(offset + limit).min(SHOP_ITEMS))
        .map(|i| serde_json::json!({"item_basic": api_item_json(shop, 1000 + i)}))
        .collect();
    json(serde_json::json!({
        "items": items, "total_count": SHOP_ITEMS, "nomore": offset + limit >= SHOP_ITEMS,
    }))
}

async fn seller_orders(headers: HeaderMap, Query(q): Query<HashMap<String, String>>) -> Response {
    let cookie_ok = headers
        .get(header::COOKIE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| c.contains(SESSION_COOKIE));
    let token_ok = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        == Some(&format!("Bearer {SESSION_TOKEN}"));
    if !cookie_ok && !token_ok {
        return (StatusCode::UNAUTHORIZED, "login required").into_response();
    }
    let page: u64 = q.get("page").and_then(|v| v.parse().ok()).unwrap_or(1);
    let from = q.get("from").cloned().unwrap_or_default();
    let orders: Vec<serde_json::Value> = (0..ORDERS_PER_PAGE)
        .map(|i| serde_json::json!({"orderSn": format!("ORD-{page}-{i}"), "createdOn": from, "total": 150_000 + i}))
        .collect();
    json(serde_json::json!({"data": {"orders": orders, "more": page < ORDER_PAGES}}))
}

async fn jsonld_page(Path(id): Path<String>) -> Response {
    html(format!(
        r#"<!doctype html><html><head><title>x</title><script type="application/ld+json">{{"@type":"BreadcrumbList"}}</script>
        <script type="application/ld+json">{}</script></head><body><h1>Kopi {id}</h1></body></html>"#,
        json_ld(&id, &format!("Kopi Arabika {id}"))
    ))
}

async fn og_page(Path(id): Path<String>) -> Response {
    html(format!(
        r#"<!doctype html><html><head>
        <meta property="og:title" content="Teh Hijau {id}">
        <meta property="og:url" content="/p/og/{id}">
        <meta property="og:image" content="https://img.example/teh-{id}.jpg">
        <meta property="product:price:amount" content="19.90">
        <meta property="product:price:currency" content="MYR">
        <meta property="product:retailer_item_id" content="TEH-{id}">
        </head><body></body></html>"#
    ))
}

async fn css_page(Path(id): Path<String>) -> Response {
    html(format!(
        r#"<!doctype html><html><head><title>Sepatu</title></head><body>
        <div class="product" data-id="SEP-{id}"><h1 class="title"> Sepatu Lari {id} </h1>
        <span class="price">Rp 250.000</span><span class="was">Rp 300.000</span>
        <span class="rating">4,7</span><span class="sold">1,2RB terjual</span>
        <img class="gallery" src="/img/{id}-a.jpg"><img class="gallery" src="/img/{id}-b.jpg"></div>
        </body></html>"#
    ))
}

async fn no_product_page() -> Response {
    html(r#"<!doctype html><html><head><script type="application/ld+json">{"@type":"WebSite","name":"Fixture"}</script>
        <meta property="og:title" content="Welcome"></head><body>Home</body></html>"#.to_string())
}

/// A realistic ~200 KB product page: navigation, a long inline script, related products
/// and the product's JSON-LD near the end, as big marketplace pages are.
pub fn big_product_page(id: &str) -> String {
    let mut page = String::with_capacity(240_000);
    page.push_str(
        "<!doctype html><html lang=\"id\"><head><meta charset=\"utf-8\"><title>Produk</title>",
    );
    page.push_str("<script>window.__STATE__=");
    page.push_str(&"{\"k\":\"v\",\"list\":[1,2,3,4,5,6,7,8,9]},".repeat(1600));
    page.push_str("null;</script></head><body><nav><ul>");
    for i in 0..800 {
        page.push_str(&format!(
            "<li class=\"nav-item\"><a href=\"/c/{i}\">Kategori {i}</a></li>"
        ));
    }
    page.push_str("</ul></nav><main><section class=\"related\">");
    for i in 0..600 {
        page.push_str(&format!(
            "<div class=\"card\"><a href=\"/p/{i}\"><img src=\"/img/{i}.jpg\" alt=\"Produk {i}\"><span class=\"name\">Produk terkait nomor {i}</span><span class=\"price\">Rp {i}.000</span></a></div>"
        ));
    }
    page.push_str("</section>");
    page.push_str(&format!(
        "<script type=\"application/ld+json\">{}</script>",
        json_ld(id, &format!("Produk Besar {id}"))
    ));
    page.push_str("</main></body></html>");
    page
}

async fn big_page(Path(id): Path<String>) -> Response {
    html(big_product_page(&id))
}

/// A JSON-LD page after `ms` milliseconds (for concurrency limits).
async fn delayed_page(Path((ms, id)): Path<(u64, String)>) -> Response {
    tokio::time::sleep(Duration::from_millis(ms.min(10_000))).await;
    jsonld_page(Path(id)).await
}

fn jsonld_body(id: &str) -> String {
    format!(
        r#"<!doctype html><html><head><script type="application/ld+json">{}</script></head></html>"#,
        json_ld(id, &format!("Kopi Arabika {id}"))
    )
}

/// The JSON-LD page gzip-compressed, whatever the client asked for.
async fn gzip_page(Path(id): Path<String>) -> Response {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let _ = encoder.write_all(jsonld_body(&id).as_bytes());
    let body = encoder.finish().unwrap_or_default();
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CONTENT_ENCODING, "gzip"),
        ],
        body,
    )
        .into_response()
}

/// The JSON-LD page brotli-compressed.
async fn brotli_page(Path(id): Path<String>) -> Response {
    let mut body = Vec::new();
    let mut input = std::io::Cursor::new(jsonld_body(&id).into_bytes());
    let params = brotli::enc::BrotliEncoderParams::default();
    let _ = brotli::BrotliCompress(&mut input, &mut body, &params);
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CONTENT_ENCODING, "br"),
        ],
        body,
    )
        .into_response()
}

async fn too_many() -> Response {
    (
        StatusCode::TOO_MANY_REQUESTS,
        [(header::RETRY_AFTER, "2")],
        "slow down",
    )
        .into_response()
}

async fn unavailable() -> Response {
    (StatusCode::SERVICE_UNAVAILABLE, "maintenance").into_response()
}

async fn flaky(State(state): State<Arc<SiteStateHandle>>, Path(key): Path<String>) -> Response {
    let seen = {
        let mut flaky = state
            .0
            .flaky
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let n = flaky.entry(key.clone()).or_insert(0);
        *n += 1;
        *n
    };
    if seen == 1 {
        (StatusCode::INTERNAL_SERVER_ERROR, "oops").into_response()
    } else {
        jsonld_page(Path(key)).await
    }
}

async fn status(Path(code): Path<u16>) -> Response {
    StatusCode::from_u16(code)
        .unwrap_or(StatusCode::BAD_REQUEST)
        .into_response()
}

/// Answers after 3 s: beyond the timeout tests set.
async fn slow() -> Response {
    tokio::time::sleep(Duration::from_secs(3)).await;
    jsonld_page(Path("slow".into())).await
}

/// 4 MiB without a Content-Length, so only reading tells the size.
async fn huge() -> Response {
    let chunks = (0..64).map(|_| Ok::<_, std::io::Error>(vec![b'x'; 64 * 1024]));
    let body = Body::from_stream(futures_util::stream::iter(chunks));
    ([(header::CONTENT_TYPE, "text/html")], body).into_response()
}

/// `302` to the `to` query parameter, wherever that is (the SSRF guard's tests).
async fn redirect_to(Query(q): Query<HashMap<String, String>>) -> Response {
    let to = q.get("to").cloned().unwrap_or_default();
    (StatusCode::FOUND, [(header::LOCATION, to)]).into_response()
}

async fn redirect_loop() -> Response {
    (StatusCode::FOUND, [(header::LOCATION, "/bad/loop")]).into_response()
}

/// A windows-1252 page labelled only by its `<meta charset>`.
async fn cp1252() -> Response {
    let (bytes, _, _) = encoding_rs::WINDOWS_1252.encode(
        r#"<!doctype html><html><head><meta charset="windows-1252">
        <meta property="og:title" content="Café Crème – naïve">
        <meta property="product:price:amount" content="4.50">
        <meta property="product:price:currency" content="EUR"></head><body>Café</body></html>"#,
    );
    ([(header::CONTENT_TYPE, "text/html")], bytes.into_owned()).into_response()
}
