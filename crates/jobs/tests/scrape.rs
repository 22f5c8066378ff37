//! Scraping jobs end to end: a real redis-server per test, the runtime's scraping pool with
//! the real handlers, and the fixture web site from `antrian-testkit` standing in for
//! marketplaces and shops.

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use antrian_core::config::{Config, LoadOptions};
use antrian_core::queue::{
    JobDefaults, JobOptionsInput, JobState, QueueEvent, QueueManager, Subscription,
};
use antrian_core::runtime::{Services, WorkerPlan};
use antrian_core::worker::WorkerType;
use antrian_core::{CancellationToken, Runtime};
use antrian_testkit::fixture::{self, FixtureSite};
use antrian_testkit::TestRedis;
use serde_json::{json, Value};

mod common;

const WAIT: Duration = Duration::from_secs(30);

struct Env {
    rt: Runtime,
    site: FixtureSite,
    _redis: TestRedis,
    _dir: tempfile::TempDir,
}

/// A runtime with the scraping pool (2 workers × 10) and data processing left to nobody,
/// so enqueued save jobs stay where tests can read them.
async fn env(vars: &[(&str, &str)]) -> Env {
    env_on(TestRedis::start(), FixtureSite::start().await, vars).await
}

/// [`env`] on a given server and site (for settings that need the site's address).
async fn env_on(redis: TestRedis, site: FixtureSite, vars: &[(&str, &str)]) -> Env {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut all: Vec<(&str, &str)> = vec![
        ("SCRAPE_MARKETPLACE_HOSTS", "127.0.0.1"),
        ("SCRAPE_DOMAIN_RATE_LIMIT", "none"),
        ("SCRAPE_DOMAIN_CONCURRENCY", "0"),
        ("QUEUE_CONCURRENCY", "10"),
        // The fixture site is on loopback, which the SSRF guard refuses unless allowed.
        ("SCRAPE_ALLOW_PRIVATE", "127.0.0.1"),
    ];
    all.extend_from_slice(vars);
    let rt = common::runtime(&redis.url(), dir.path(), &all, &[(WorkerType::Scraping, 2)]).await;
    Env {
        rt,
        site,
        _redis: redis,
        _dir: dir,
    }
}

#[derive(Debug)]
enum End {
    Completed(Value),
    Failed { reason: String, attempts: u32 },
}

impl End {
    fn result(self) -> Value {
        match self {
            End::Completed(v) => v,
            End::Failed { reason, .. } => panic!("the job failed: {reason}"),
        }
    }

    fn failure(self) -> (String, u32) {
        match self {
            End::Failed { reason, attempts } => (reason, attempts),
            End::Completed(v) => panic!("the job completed: {v}"),
        }
    }
}

fn opts(attempts: u32) -> JobOptionsInput {
    serde_json::from_value(
        json!({"attempts": attempts, "backoff": {"type": "fixed", "delay": 100}}),
    )
    .expect("opts")
}

impl Env {
    async fn add(&self, name: &str, data: Value, attempts: u32) -> String {
        self.rt
            .queues()
            .add_job("scraping-queue", name, data, &opts(attempts))
            .await
            .expect("add")
            .id
    }

    /// Adds a job and waits for it to complete or fail for good.
    async fn run(&self, name: &str, data: Value, attempts: u32) -> End {
        let mut sub = self.rt.events().subscribe();
        let id = self.add(name, data, attempts).await;
        wait_end(&mut sub, &id).await
    }

    /// A product-scraping job of `url`, to its end.
    async fn product(&self, url: impl AsRef<str>, attempts: u32) -> End {
        self.run("product-scraping", json!({ "url": url.as_ref() }), attempts)
            .await
    }

    async fn data_job(&self, id: &str) -> Value {
        self.rt
            .queues()
            .get_job("data-processing-queue", id)
            .await
            .unwrap_or_else(|e| panic!("save job {id}: {e}"))
            .data
    }
}

async fn wait_end(sub: &mut Subscription, id: &str) -> End {
    let event = sub
        .recv_matching(WAIT, |e| match e {
            QueueEvent::JobCompleted { job_id, .. } => job_id == id,
            QueueEvent::JobFailed {
                job_id, is_final, ..
            } => job_id == id && *is_final,
            _ => false,
        })
        .await
        .unwrap_or_else(|| panic!("job {id} did not finish within {WAIT:?}"));
    match event {
        QueueEvent::JobCompleted { return_value, .. } => End::Completed(return_value),
        QueueEvent::JobFailed {
            failed_reason,
            attempts_made,
            ..
        } => End::Failed {
            reason: failed_reason,
            attempts: attempts_made,
        },
        _ => unreachable!(),
    }
}

#[tokio::test]
async fn marketplace_products_come_from_the_item_api_and_are_saved() {
    let e = env(&[]).await;
    for (path, item) in [
        ("/product/123/456", 456),
        ("/Kopi-Arabika-250g-i.123.789", 789),
    ] {
        let mut sub = e.rt.events().subscribe();
        let id = e.add("product-scraping", json!({"url": e.site.url(path), "accountId": "user123", "options": {"useProxy": false, "retryAttempts": 3}}), 1).await;
        let r = wait_end(&mut sub, &id).await.result();
        assert_eq!(r["source"], "marketplace-api", "{r}");
        assert_eq!(r["productId"], item.to_string());
        assert_eq!(r["shopId"], "123");
        // Rp (item % 1000 + 1) × 1000, in minor units (IDR has 2 decimals).
        assert_eq!(r["price"], (item % 1000 + 1) * 1000 * 100);
        assert_eq!(r["currency"], "IDR");
        let saved = e.data_job(&format!("save-{id}-0")).await;
        let product = &saved["productData"][0];
        assert_eq!(product["productId"], item.to_string());
        assert_eq!(product["ratingCount"], 200);
        assert_eq!(product["originalPrice"], (item % 1000 + 2) * 1000 * 100);
        assert!(product["scrapedAt"]
            .as_str()
            .is_some_and(|s| s.ends_with('Z')));
    }
    // The seed's form of URL went to the API only: no page fetch.
    assert!(e.site.requests_to("/product/").is_empty());
}

#[tokio::test]
async fn a_blocked_item_api_falls_back_to_the_page_and_a_missing_item_is_discarded() {
    let e = env(&[]).await;
    let r = e.product(e.site.url("/product/9/403"), 1).await.result();
    assert_eq!(r["source"], "marketplace-page/json-ld", "{r}");
    assert_eq!(r["name"], "Item 403 (page)");
    assert_eq!(r["productId"], "403");

    for item in [404, 4] {
        let (reason, attempts) = e
            .run(
                "product-scraping",
                json!({"url": e.site.url(&format!("/product/9/{item}"))}),
                3,
            )
            .await
            .failure();
        assert!(reason.contains("does not exist"), "{reason}");
        assert_eq!(attempts, 1, "discarded, not retried: {reason}");
    }
    let (reason, _) = e.product(e.site.url("/shop/9"), 1).await.failure();
    assert!(reason.contains("is a shop page"), "{reason}");
}

#[tokio::test]
async fn per_site_css_rules_read_what_the_page_shows() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rules = dir.path().join("rules.toml");
    std::fs::write(
        &rules,
        r#"[sites."localhost"]
name = "h1.title"
price = ".price"
original_price = ".was"
rating = ".rating"
sold = ".sold"
images = "img.gallery@src"
product_id = ".product@data-id"
"#,
    )
    .expect("rules");
    let e = env(&[("SCRAPE_SITE_RULES", rules.to_str().expect("path"))]).await;
    let mut sub = e.rt.events().subscribe();
    let id = e
        .add(
            "product-scraping",
            json!({"url": e.site.localhost_url("/p/css/7")}),
            1,
        )
        .await;
    let r = wait_end(&mut sub, &id).await.result();
    assert_eq!(r["source"], "css-rules", "{r}");
    let p = e.data_job(&format!("save-{id}-0")).await["productData"][0].clone();
    assert_eq!(p["name"], "Sepatu Lari 7");
    assert_eq!(p["productId"], "SEP-7");
    assert_eq!(
        (p["price"].clone(), p["currency"].clone()),
        (json!(25_000_000), json!("IDR"))
    );
    assert_eq!(p["originalPrice"], 30_000_000);
    assert_eq!(
        (p["rating"].clone(), p["sold"].clone()),
        (json!(4.7), json!(1200))
    );
    assert_eq!(
        p["images"],
        json!([
            e.site.localhost_url("/img/7-a.jpg"),
            e.site.localhost_url("/img/7-b.jpg")
        ])
    );
}

/// The adapters that need no rules, on a host that is neither a marketplace nor ruled.
#[tokio::test]
async fn json_ld_opengraph_and_a_windows_1252_page() {
    let e = env(&[("SCRAPE_MARKETPLACE_HOSTS", "marketplace.invalid")]).await;
    let r = e.product(e.site.url("/p/jsonld/1"), 1).await.result();
    assert_eq!(
        (r["source"].clone(), r["name"].clone()),
        (json!("json-ld"), json!("Kopi Arabika 1"))
    );
    assert_eq!(
        (r["price"].clone(), r["currency"].clone()),
        (json!(12_500_000), json!("IDR"))
    );
    let r = e.product(e.site.url("/p/og/2"), 1).await.result();
    assert_eq!(
        (
            r["source"].clone(),
            r["price"].clone(),
            r["currency"].clone()
        ),
        (json!("opengraph"), json!(1990), json!("MYR"))
    );
    assert_eq!(r["productId"], "TEH-2");
    let r = e.product(e.site.url("/bad/cp1252"), 1).await.result();
    assert_eq!(r["name"], "Café Crème – naïve");
    assert_eq!(
        (r["price"].clone(), r["currency"].clone()),
        (json!(450), json!("EUR"))
    );

    let (reason, attempts) = e.product(e.site.url("/p/none"), 3).await.failure();
    assert_eq!(attempts, 1, "{reason}");
    assert!(reason.contains("no product found"), "{reason}");
    assert!(
        reason.contains("CSS rules: none configured for 127.0.0.1"),
        "{reason}"
    );
    assert!(
        reason.contains("JSON-LD: 1 block(s), no Product (types: WebSite)"),
        "{reason}"
    );
    assert!(
        reason.contains("OpenGraph: found the name \"Welcome\" but no price"),
        "{reason}"
    );
}

#[tokio::test]
async fn misbehaving_sites_map_to_retry_retry_after_or_discard() {
    let e = env(&[
        ("SCRAPE_MARKETPLACE_HOSTS", "marketplace.invalid"),
        ("SCRAPE_TIMEOUT", "500"),
        ("SCRAPE_MAX_BODY", "1048576"),
        ("SCRAPE_MAX_REDIRECTS", "3"),
    ])
    .await;
    // 500 then 200: retried, completed on the second attempt.
    let r = e.product(e.site.url("/bad/flaky/k1"), 3).await.result();
    assert_eq!(r["name"], "Kopi Arabika k1");
    assert_eq!(e.site.requests_to("/bad/flaky/k1").len(), 2);

    // Permanent: one attempt only, and the reason names the status.
    for (path, says) in [
        ("/bad/status/404", "404 Not Found: the page does not exist"),
        ("/bad/status/410", "410 Gone: the page does not exist"),
        ("/bad/status/403", "HTTP 403 Forbidden"),
        ("/bad/status/418", "HTTP 418"),
        ("/bad/huge", "larger than 1048576 bytes"),
        ("/bad/loop", "more than 3 redirects"),
    ] {
        let (reason, attempts) = e.product(e.site.url(path), 3).await.failure();
        assert!(reason.contains(says), "{path}: {reason}");
        assert_eq!(attempts, 1, "{path} must not be retried: {reason}");
    }

    // Transient: every attempt used.
    for (path, says) in [
        ("/bad/slow", "within the timeout"),
        ("/bad/503", "HTTP 503"),
        ("/bad/status/502", "HTTP 502"),
    ] {
        let (reason, attempts) = e.product(e.site.url(path), 2).await.failure();
        assert!(reason.contains(says), "{path}: {reason}");
        assert_eq!(attempts, 2, "{path} is retried: {reason}");
    }

    // 429 with Retry-After: 2 → the second attempt comes no sooner than 2 s later (the
    // job's own backoff is 100 ms).
    let (reason, attempts) = e.product(e.site.url("/bad/429"), 2).await.failure();
    assert!(reason.contains("429"), "{reason}");
    assert_eq!(attempts, 2);
    let hits = e.site.requests_to("/bad/429");
    assert_eq!(hits.len(), 2);
    let gap = hits[1].at - hits[0].at;
    assert!(
        gap >= Duration::from_millis(1990),
        "retried after {gap:?}, not Retry-After's 2 s"
    );

    // The per-site counters saw all of it.
    let stats = antrian_jobs::scrape::stats::domain_stats(&e.rt.connection().redis())
        .await
        .expect("stats");
    let site = stats
        .iter()
        .find(|s| s.host == "127.0.0.1")
        .expect("site counted");
    for (field, n) in [
        ("success", 1),
        ("status_500", 1),
        ("status_404", 1),
        ("blocked_403", 1),
        ("blocked_429", 2),
        ("timeout", 2),
        ("too_large", 1),
        ("redirect_loop", 1),
    ] {
        assert_eq!(
            site.counts.get(field).copied(),
            Some(n),
            "{field} in {:?}",
            site.counts
        );
    }
}

#[tokio::test]
async fn shop_scraping_walks_the_listing_and_saves_or_enqueues() {
    let e = env(&[]).await;
    let r = e
        .run(
            "shop-scraping",
            json!({"shopUrl": e.site.url("/shop/55")}),
            1,
        )
        .await
        .result();
    assert_eq!(r["shopId"], "55");
    assert_eq!(r["products"], fixture::SHOP_ITEMS);
    assert_eq!(
        (r["pages"].clone(), r["complete"].clone()),
        (json!(3), json!(true))
    );
    assert_eq!(r["mode"], "saved listing data");
    let listing = e.site.requests_to("/api/v4/shop/search_items");
    let offsets: Vec<bool> = ["offset=0", "offset=30", "offset=60"]
        .iter()
        .map(|o| listing.iter().any(|r| r.path.contains(o)))
        .collect();
    assert_eq!(offsets, vec![true, true, true]);
    let job = r["jobs"][0].as_str().expect("a save job");
    let saved = e.data_job(job).await;
    assert_eq!(saved["productData"].as_array().map(Vec::len), Some(70));
    assert_eq!(saved["productData"][0]["source"], "marketplace-listing");

    // By the shop's user name.
    let r = e
        .run(
            "shop-scraping",
            json!({"shopUrl": e.site.url("/kopi.nusantara")}),
            1,
        )
        .await
        .result();
    assert_eq!(r["shopId"], "777");
    let (reason, attempts) = e
        .run(
            "shop-scraping",
            json!({"shopUrl": e.site.url("/missing.shop")}),
            3,
        )
        .await
        .failure();
    assert!(reason.contains("does not exist"), "{reason}");
    assert_eq!(attempts, 1);
}

#[tokio::test]
async fn shop_scraping_can_enqueue_product_jobs_and_stops_at_the_page_limit() {
    let e = env(&[
        ("SCRAPE_SHOP_MODE", "enqueue"),
        ("SCRAPE_SHOP_PAGE_LIMIT", "2"),
    ])
    .await;
    e.rt.workers()
        .expect("pools")
        .pause_pool(WorkerType::Scraping)
        .await;
    let mut sub = e.rt.events().subscribe();
    let id = e
        .add(
            "shop-scraping",
            json!({"shopUrl": e.site.url("/shop/55")}),
            1,
        )
        .await;
    e.rt.workers()
        .expect("pools")
        .resume_pool(WorkerType::Scraping)
        .await;
    let r = wait_end(&mut sub, &id).await.result();
    assert_eq!(
        (r["products"].clone(), r["complete"].clone()),
        (json!(60), json!(false))
    );
    assert_eq!(r["mode"], "enqueued product-scraping jobs");
    let jobs = r["jobs"].as_array().expect("jobs");
    assert_eq!(jobs.len(), 60);
    let first =
        e.rt.queues()
            .get_job("scraping-queue", jobs[0].as_str().expect("id"))
            .await
            .expect("a product job");
    assert_eq!(first.name, "product-scraping");
    assert_eq!(first.data["url"], e.site.url("/product/55/1000"));
}

#[tokio::test]
async fn order_scraping_uses_the_accounts_stored_session() {
    let site = FixtureSite::start().await;
    let orders_url = site.url("/seller/orders");
    let e = env_on(
        TestRedis::start(),
        site,
        &[("SCRAPE_SELLER_ORDERS_URL", &orders_url)],
    )
    .await;
    let data =
        json!({"accountId": "user123", "dateRange": {"start": "2024-01-01", "end": "2024-01-31"}});

    let (reason, attempts) = e.run("order-scraping", data.clone(), 3).await.failure();
    assert_eq!(attempts, 1, "{reason}");
    assert!(
        reason.contains("no stored session for account user123"),
        "{reason}"
    );
    assert!(
        reason.contains("antrian accounts set-session user123"),
        "{reason}"
    );
    assert!(
        e.site.requests_to("/seller/orders").is_empty(),
        "no request without a session"
    );

    let redis = e.rt.connection().redis();
    use antrian_jobs::scrape::session::{self, Credential};
    session::store(
        &redis,
        "user123",
        &Credential::Cookie("SPC_SC_TK=wrong".into()),
    )
    .await
    .expect("store");
    let (reason, _) = e.run("order-scraping", data.clone(), 1).await.failure();
    assert!(
        reason.contains("rejected the session of account user123 (HTTP 401)"),
        "{reason}"
    );
    assert!(
        !reason.contains("SPC_SC_TK"),
        "the session never shows: {reason}"
    );

    session::store(
        &redis,
        "user123",
        &Credential::Cookie(fixture::SESSION_COOKIE.into()),
    )
    .await
    .expect("store");
    let r = e.run("order-scraping", data.clone(), 1).await.result();
    assert_eq!(r["orders"], fixture::ORDERS_PER_PAGE * fixture::ORDER_PAGES);
    assert_eq!(r["pages"], fixture::ORDER_PAGES);
    let saved = e.data_job(r["saveJobs"][0].as_str().expect("id")).await;
    assert_eq!(saved["orderData"].as_array().map(Vec::len), Some(6));
    assert_eq!(saved["dateRange"]["end"], "2024-01-31");
    let asked = e.site.requests_to("/seller/orders");
    assert!(asked
        .iter()
        .all(|r| r.path.contains("from=2024-01-01") && r.path.contains("to=2024-01-31")));

    session::store(
        &redis,
        "user123",
        &Credential::Token(fixture::SESSION_TOKEN.into()),
    )
    .await
    .expect("store");
    let r = e.run("order-scraping", data, 1).await.result();
    assert_eq!(r["orders"], 6);
    let listed = session::list(&redis).await.expect("list");
    assert_eq!(listed.len(), 1);
    assert_eq!(
        (listed[0].account_id.as_str(), listed[0].kind.as_str()),
        ("user123", "token")
    );
}

#[tokio::test]
async fn a_batch_of_200_urls_runs_as_a_flow_five_at_a_time_with_a_per_url_summary() {
    let e = env(&[("SCRAPE_MARKETPLACE_HOSTS", "marketplace.invalid")]).await;
    let urls: Vec<String> = (0..200)
        .map(|i| {
            if i % 20 == 7 {
                e.site.url(&format!("/bad/status/404?n={i}"))
            } else {
                e.site.url(&format!("/p/jsonld/{i}"))
            }
        })
        .collect();
    let mut sub = e.rt.events().subscribe();
    let batch = e
        .add(
            "batch-scraping",
            json!({"urls": urls, "type": "product", "accountId": "user123", "options": {"concurrency": 5}}),
            1,
        )
        .await;
    let prefix = format!("{batch}-");
    let mut active: HashSet<String> = HashSet::new();
    let mut peak = 0;
    let mut progress = Vec::new();
    let summary = loop {
        let event = sub
            .recv_matching(Duration::from_secs(60), |_| true)
            .await
            .expect("the batch went quiet for 60 s");
        match event {
            QueueEvent::JobActive { job_id, .. } if job_id.starts_with(&prefix) => {
                active.insert(job_id);
                peak = peak.max(active.len());
            }
            QueueEvent::JobCompleted { job_id, .. } | QueueEvent::JobFailed { job_id, .. }
                if job_id.starts_with(&prefix) =>
            {
                active.remove(&job_id);
            }
            QueueEvent::JobProgress {
                job_id,
                progress: p,
                ..
            } if job_id == batch => {
                progress.push(p.as_f64().unwrap_or(-1.0));
            }
            QueueEvent::JobCompleted {
                job_id,
                return_value,
                ..
            } if job_id == batch => {
                break return_value;
            }
            QueueEvent::JobFailed {
                job_id,
                failed_reason,
                ..
            } if job_id == batch => {
                panic!("the batch failed: {failed_reason}")
            }
            _ => {}
        }
    };
    assert!(peak <= 5, "{peak} children ran at once; the batch allows 5");
    assert!(peak >= 2, "children ran one by one (peak {peak})");
    assert_eq!(summary["total"], 200);
    assert_eq!(summary["succeeded"], 190);
    assert_eq!(summary["failed"], 10);
    let results = summary["results"].as_array().expect("results");
    for (i, r) in results.iter().enumerate() {
        assert_eq!(r["url"], urls[i], "results are in URL order");
        if i % 20 == 7 {
            assert_eq!(r["status"], "failed");
            assert!(
                r["error"].as_str().is_some_and(|e| e.contains("404")),
                "{r}"
            );
        } else {
            assert_eq!(r["status"], "completed");
            assert_eq!(r["result"]["name"], format!("Kopi Arabika {i}"));
        }
    }
    assert!(
        progress.len() >= 10,
        "progress as children finish: {progress:?}"
    );
    assert!(progress.windows(2).all(|w| w[0] <= w[1]), "{progress:?}");
    assert_eq!(progress.last().copied(), Some(100.0));
    // The batch's page lists its children (the flow) in order, each with its state, and a
    // child names its batch.
    let page =
        e.rt.queues()
            .get_job("scraping-queue", &batch)
            .await
            .expect("the batch");
    assert_eq!(page.children_total, 200);
    assert_eq!(
        page.children.len(),
        antrian_core::queue::FLOW_CHILDREN_SHOWN
    );
    for (i, child) in page.children.iter().enumerate() {
        assert_eq!(child.id, format!("{batch}-{i}"));
        let state = if i % 20 == 7 {
            JobState::Failed
        } else {
            JobState::Completed
        };
        // Retention removed most completed children (50 kept); how they ended stays known.
        assert_eq!(child.state, state, "{child:?}");
        assert_eq!(child.name.is_empty(), child.gone, "{child:?}");
        assert!(child.gone || child.name == "product-scraping", "{child:?}");
    }
    assert!(
        page.children.iter().any(|c| c.gone),
        "190 completed, 50 kept"
    );
    let child =
        e.rt.queues()
            .get_job("scraping-queue", &format!("{batch}-7"))
            .await
            .expect("a failed child, kept");
    let parent = child.parent.expect("its batch");
    assert_eq!(
        (parent.queue.as_str(), parent.id.as_str()),
        ("scraping-queue", batch.as_str())
    );
    assert_eq!(parent.name, "batch-scraping");
    assert_eq!(parent.state, JobState::Completed);
    assert!(child.children.is_empty() && child.children_total == 0);
}

#[tokio::test]
async fn bad_job_data_is_discarded_with_a_clear_message_and_nothing_is_enqueued() {
    let e = env(&[("SCRAPE_BATCH_MAX_URLS", "3")]).await;
    let cases = [
        (
            "product-scraping",
            json!({"accountId": "user123"}),
            "missing field `url`",
        ),
        (
            "product-scraping",
            json!({"url": "ftp://shopee.co.id/product/1/2"}),
            "only http and https",
        ),
        (
            "product-scraping",
            json!({"url": "file:///etc/passwd"}),
            "uses `file:`",
        ),
        (
            "product-scraping",
            json!({"url": "not a url"}),
            "is not a web address: write it whole, starting with https://",
        ),
        (
            "shop-scraping",
            json!({"shopUrl": 42}),
            "invalid shop-scraping data",
        ),
        (
            "order-scraping",
            json!({"accountId": "u", "dateRange": {"start": "2024-02-30", "end": "2024-03-01"}}),
            "is not a date",
        ),
        (
            "order-scraping",
            json!({"accountId": "u", "dateRange": {"start": "2024-03-01", "end": "2024-01-01"}}),
            "ends (2024-01-01) before it starts",
        ),
        (
            "batch-scraping",
            json!({"urls": [], "type": "product"}),
            "`urls` is empty",
        ),
        (
            "batch-scraping",
            json!({"urls": ["http://a.example/1", "http://a.example/2", "http://a.example/3", "http://a.example/4"], "type": "product"}),
            "over the limit of 3",
        ),
        (
            "batch-scraping",
            json!({"urls": ["http://a.example/1"], "type": "video"}),
            "unknown type `video`",
        ),
        (
            "batch-scraping",
            json!({"urls": ["http://a.example/1", "javascript:alert(1)"], "type": "product"}),
            "urls[1]",
        ),
        (
            "batch-scraping",
            json!({"urls": ["http://a.example/1"], "type": "product", "options": {"concurrency": 0}}),
            "options.concurrency",
        ),
    ];
    // A producer without Antrian's checks (a Node.js service, say) can still add them.
    let unchecked = QueueManager::new(
        e.rt.connection().clone(),
        "bull",
        JobDefaults::default(),
        512 * 1024,
    )
    .await
    .expect("a queue manager without the handlers' checks");
    for (name, data, says) in cases {
        let refused =
            e.rt.queues()
                .add_job("scraping-queue", name, data.clone(), &opts(3))
                .await;
        let refused = refused.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(
            refused.contains(says),
            "{name} {data}: adding it said {refused:?}"
        );
        let mut sub = e.rt.events().subscribe();
        let id = unchecked
            .add_job("scraping-queue", name, data.clone(), &opts(3))
            .await
            .expect("add unchecked")
            .id;
        let (reason, attempts) = wait_end(&mut sub, &id).await.failure();
        assert!(reason.contains(says), "{name} {data}: {reason}");
        assert_eq!(attempts, 1, "{name} {data}: discarded, not retried");
    }
    assert!(e.site.requests().is_empty(), "nothing was fetched");
    let counts =
        e.rt.queues()
            .get_queue_stats("data-processing-queue")
            .await
            .expect("stats");
    assert_eq!(
        counts.waiting + counts.delayed + counts.active + counts.completed + counts.failed,
        0,
        "nothing was saved: {counts:?}"
    );
    let scraping =
        e.rt.queues()
            .get_queue_stats("scraping-queue")
            .await
            .expect("stats");
    assert_eq!(
        scraping.waiting + scraping.delayed + scraping.active,
        0,
        "no children: {scraping:?}"
    );
}

/// Set in the child processes of the rate-limit test: the Redis URL and the site's host.
const CHILD_ENV: &str = "ANTRIAN_TEST_SCRAPE_CHILD";

/// Not a test on its own: the rate-limit test runs this binary twice more with only this
/// test selected and [`CHILD_ENV`] set, so two separate processes run scraping pools.
#[tokio::test]
#[ignore = "runs only as a child process of the per-site rate-limit test"]
async fn child_scraping_process() {
    let Ok(url) = std::env::var(CHILD_ENV) else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let dir_s = dir.path().display().to_string();
    let config = Config::load(&LoadOptions::from_vars([
        ("REDIS_URL", url.as_str()),
        ("ANTRIAN_DATA_DIR", dir_s.as_str()),
        ("SCRAPE_MARKETPLACE_HOSTS", "marketplace.invalid"),
        ("SCRAPE_DOMAIN_RATE_LIMIT", "5/1s"),
        ("SCRAPE_ALLOW_PRIVATE", "127.0.0.1"),
        ("SCRAPE_DOMAIN_CONCURRENCY", "0"),
        ("QUEUE_AUTO_SCALING", "false"),
        ("QUEUE_CONCURRENCY", "10"),
    ]))
    .expect("config");
    let board = Runtime::status_board(&config);
    let mut rt = Runtime::start(config, board, CancellationToken::new(), Services::OneShot)
        .await
        .expect("runtime");
    let registry = antrian_jobs::setup(&rt).expect("registry");
    rt.start_workers(
        registry,
        &WorkerPlan {
            types: vec![WorkerType::Scraping],
            counts: BTreeMap::from([(WorkerType::Scraping, 2)]),
        },
    )
    .await
    .expect("workers");
    std::future::pending::<()>().await;
}

#[tokio::test]
async fn the_per_site_rate_limit_holds_across_two_processes() {
    let redis = TestRedis::start();
    let site = FixtureSite::start().await;
    let spawn = || {
        std::process::Command::new(std::env::current_exe().expect("test binary"))
            .args([
                "child_scraping_process",
                "--exact",
                "--ignored",
                "--nocapture",
            ])
            .env(CHILD_ENV, redis.url())
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("spawn a child scraping process")
    };
    let mut children = [spawn(), spawn()];
    let dir = tempfile::tempdir().expect("tempdir");
    let dir_s = dir.path().display().to_string();
    let config = Config::load(&LoadOptions::from_vars([
        ("REDIS_URL", redis.url().as_str()),
        ("ANTRIAN_DATA_DIR", dir_s.as_str()),
    ]))
    .expect("config");
    let board = Runtime::status_board(&config);
    let rt = Runtime::start(config, board, CancellationToken::new(), Services::Full)
        .await
        .expect("runtime");
    let mut sub = rt.events().subscribe();
    const JOBS: usize = 30;
    let mut ids = HashSet::new();
    for i in 0..JOBS {
        let added = rt
            .queues()
            .add_job(
                "scraping-queue",
                "product-scraping",
                json!({"url": site.url(&format!("/p/jsonld/{i}"))}),
                &opts(1),
            )
            .await
            .expect("add");
        ids.insert(added.id);
    }
    while !ids.is_empty() {
        match sub.recv_matching(Duration::from_secs(60), |_| true).await {
            Some(QueueEvent::JobCompleted { job_id, .. }) => {
                ids.remove(&job_id);
            }
            Some(QueueEvent::JobFailed { failed_reason, .. }) => {
                panic!("a job failed: {failed_reason}")
            }
            Some(_) => {}
            None => panic!("{} jobs still unfinished after a quiet minute", ids.len()),
        }
    }
    for c in &mut children {
        c.kill().expect("stop a child");
        c.wait().expect("reap");
    }
    let hits = site.requests_to("/p/jsonld/");
    assert_eq!(hits.len(), JOBS);
    // 5 per second, measured where it matters, at the site. 50 ms of slack for the
    // network between a request's reserved start and its arrival.
    let window = Duration::from_millis(950);
    for (i, first) in hits.iter().enumerate() {
        let within = hits[i..]
            .iter()
            .take_while(|h| h.at - first.at < window)
            .count();
        assert!(
            within <= 5,
            "{within} requests within {window:?} of request {i}"
        );
    }
    let span = hits[JOBS - 1].at - hits[0].at;
    assert!(
        span >= Duration::from_millis(5000),
        "30 requests at 5/s took only {span:?}"
    );
}

#[tokio::test]
async fn use_proxy_goes_through_the_pool_and_a_dead_proxy_is_benched() {
    let site = FixtureSite::start().await;
    // The fixture serves proxy requests too; the other proxy refuses connections.
    let proxies = format!(
        "http://127.0.0.1:{},{}",
        antrian_testkit::free_port(),
        site.url("")
    );
    let e = env_on(
        TestRedis::start(),
        site,
        &[
            ("SCRAPE_PROXIES", &proxies),
            ("SCRAPE_PROXY_MAX_FAILURES", "1"),
            ("SCRAPE_MARKETPLACE_HOSTS", "marketplace.invalid"),
        ],
    )
    .await;
    let mut attempts = Vec::new();
    for i in 0..4 {
        // A host only the proxy can reach: the request must go through it.
        let url = format!("http://shop.invalid/p/jsonld/{i}");
        let mut sub = e.rt.events().subscribe();
        let id = e
            .add(
                "product-scraping",
                json!({"url": url, "options": {"useProxy": true}}),
                3,
            )
            .await;
        let r = wait_end(&mut sub, &id).await.result();
        assert_eq!(r["name"], format!("Kopi Arabika {i}"));
        let job =
            e.rt.queues()
                .get_job("scraping-queue", &id)
                .await
                .expect("job");
        attempts.push(job.attempts_made);
    }
    // The first attempt met the dead proxy and benched it; everything after went through
    // the live one at the first try.
    assert_eq!(attempts, vec![2, 1, 1, 1]);
    let hits = e.site.requests_to("/p/jsonld/");
    assert_eq!(hits.len(), 4, "{hits:?}");
    assert!(hits.iter().all(|h| h.proxied), "{hits:?}");

    // Without useProxy the request goes straight to the site.
    let r = e.product(e.site.url("/p/jsonld/9"), 1).await.result();
    assert_eq!(r["name"], "Kopi Arabika 9");
    assert!(e.site.requests_to("/p/jsonld/9").iter().all(|h| !h.proxied));
}

#[tokio::test]
async fn the_per_site_concurrency_limit_holds_and_other_sites_are_not_held_up() {
    let e = env(&[
        ("SCRAPE_MARKETPLACE_HOSTS", "marketplace.invalid"),
        ("SCRAPE_DOMAIN_CONCURRENCY", "2"),
        // localhost is the same fixture under another name: its own limit.
        ("SCRAPE_DOMAIN_LIMITS", "localhost=none:0"),
    ])
    .await;
    e.rt.workers()
        .expect("pools")
        .pause_pool(WorkerType::Scraping)
        .await;
    let mut sub = e.rt.events().subscribe();
    let mut ids = HashSet::new();
    for i in 0..8 {
        ids.insert(
            e.add(
                "product-scraping",
                json!({"url": e.site.url(&format!("/p/delay/400/{i}"))}),
                1,
            )
            .await,
        );
    }
    for i in 0..4 {
        ids.insert(
            e.add(
                "product-scraping",
                json!({"url": e.site.localhost_url(&format!("/p/delay/400/l{i}"))}),
                1,
            )
            .await,
        );
    }
    e.rt.workers()
        .expect("pools")
        .resume_pool(WorkerType::Scraping)
        .await;
    while !ids.is_empty() {
        let id = match wait_any_end(&mut sub).await {
            (id, End::Completed(_)) => id,
            (id, End::Failed { reason, .. }) => panic!("job {id} failed: {reason}"),
        };
        ids.remove(&id);
    }
    let requests = e.site.requests_to("/p/delay/400/");
    let limited: Vec<_> = requests.iter().filter(|r| !r.path.contains("/l")).collect();
    let free: Vec<_> = requests.iter().filter(|r| r.path.contains("/l")).collect();
    assert_eq!((limited.len(), free.len()), (8, 4));
    // Each request takes 400 ms: with 2 at a time, no 3 limited requests start within
    // 350 ms of each other (50 ms of slack for the network), and the 8 take 4 rounds.
    for (i, first) in limited.iter().enumerate() {
        let close = limited[i..]
            .iter()
            .take_while(|r| r.at - first.at < Duration::from_millis(350))
            .count();
        assert!(close <= 2, "{close} requests to 127.0.0.1 started together");
    }
    let span = limited[7].at - limited[0].at;
    assert!(
        span >= Duration::from_millis(1150),
        "8 requests 2 at a time took only {span:?}"
    );
    // The unlimited site's 4 ran side by side, not behind the limited one.
    let free_span = free[3].at - free[0].at;
    assert!(
        free_span < Duration::from_millis(350),
        "localhost waited: {free_span:?}"
    );
}

async fn wait_any_end(sub: &mut Subscription) -> (String, End) {
    let event = sub
        .recv_matching(WAIT, |e| {
            matches!(
                e,
                QueueEvent::JobCompleted { .. } | QueueEvent::JobFailed { is_final: true, .. }
            )
        })
        .await
        .expect("a job to finish");
    match event {
        QueueEvent::JobCompleted {
            job_id,
            return_value,
            ..
        } => (job_id, End::Completed(return_value)),
        QueueEvent::JobFailed {
            job_id,
            failed_reason,
            attempts_made,
            ..
        } => (
            job_id,
            End::Failed {
                reason: failed_reason,
                attempts: attempts_made,
            },
        ),
        _ => unreachable!(),
    }
}

#[tokio::test]
async fn compressed_pages_and_the_configured_user_agent() {
    let e = env(&[
        ("SCRAPE_MARKETPLACE_HOSTS", "marketplace.invalid"),
        ("SCRAPE_USER_AGENT", "AntrianTest/1.0 (+ops@example.com)"),
    ])
    .await;
    for path in ["/p/gzip/g1", "/p/br/b1"] {
        let r = e.product(e.site.url(path), 1).await.result();
        assert_eq!(
            r["name"],
            format!("Kopi Arabika {}", &path[path.len() - 2..]),
            "{path}: {r}"
        );
    }
    let seen = e.site.requests_to("/p/");
    assert_eq!(seen.len(), 2);
    assert!(seen
        .iter()
        .all(|r| r.user_agent.as_deref() == Some("AntrianTest/1.0 (+ops@example.com)")));
}

/// The SSRF guard: a page, a redirect or a host name that is an internal address is
/// refused unless `SCRAPE_ALLOW_PRIVATE` names it — when the job is added if its URL is an
/// address, when fetched otherwise — without a retry, and no request reaches it.
#[tokio::test]
async fn internal_addresses_are_refused_unless_allowed() {
    // Nothing allowed: the fixture site at 127.0.0.1 is internal.
    let generic = ("SCRAPE_MARKETPLACE_HOSTS", "marketplace.invalid");
    let e = env(&[generic, ("SCRAPE_ALLOW_PRIVATE", "")]).await;
    for (name, data, field) in [
        (
            "product-scraping",
            json!({"url": "http://169.254.169.254/latest/meta-data/"}),
            "url `http://169.254.169.254/latest/meta-data/`",
        ),
        (
            "shop-scraping",
            json!({"shopUrl": e.site.url("/shop/1")}),
            "shopUrl",
        ),
        (
            "batch-scraping",
            json!({"type": "product", "urls": ["https://shop.example/p/1", "http://[::1]/p/2"]}),
            "urls[1]",
        ),
    ] {
        let refused =
            e.rt.queues()
                .add_job("scraping-queue", name, data, &opts(1))
                .await
                .expect_err("an internal address is refused when added");
        let says = refused.to_string();
        assert!(
            says.contains(field)
                && says.contains("an internal address")
                && says.contains("SCRAPE_ALLOW_PRIVATE"),
            "{name}: {says}"
        );
    }
    let counts =
        e.rt.queues()
            .get_queue_stats("scraping-queue")
            .await
            .expect("stats");
    assert_eq!(
        counts.waiting + counts.active + counts.delayed + counts.failed + counts.completed,
        0,
        "nothing was added: {counts:?}"
    );
    // A host name is checked when it is resolved: added, then refused without a retry.
    let (reason, attempts) = e
        .product(e.site.localhost_url("/p/jsonld/1"), 3)
        .await
        .failure();
    assert!(
        reason.contains("refused: localhost is") && reason.contains("SCRAPE_ALLOW_PRIVATE"),
        "{reason}"
    );
    assert_eq!(attempts, 1, "a refusal is not retried: {reason}");
    assert!(e.site.requests().is_empty(), "{:?}", e.site.requests());

    // The site allowed: its pages are fetched, by address or by name (localhost's ::1
    // answer dropped, 127.0.0.1 kept), but its redirects to other internal addresses are
    // refused.
    let e = env(&[generic, ("SCRAPE_ALLOW_PRIVATE", "127.0.0.1")]).await;
    for url in [
        e.site.url("/p/jsonld/2"),
        e.site.localhost_url("/p/jsonld/3"),
    ] {
        let page = e.product(&url, 1).await.result();
        assert!(
            page["name"]
                .as_str()
                .is_some_and(|n| n.starts_with("Kopi Arabika")),
            "{page}"
        );
    }
    for (to, ip) in [
        (
            "http://169.254.169.254/latest/meta-data/",
            "169.254.169.254",
        ),
        ("http://10.0.0.1/admin", "10.0.0.1"),
        ("http://[::ffff:169.254.169.254]/", "::ffff:169.254.169.254"),
    ] {
        let from = e.site.url(&format!("/redirect?to={}", urlencode(to)));
        let (reason, attempts) = e.product(&from, 3).await.failure();
        assert!(
            reason.contains(&format!("{ip} is an internal address"))
                && reason.contains("SCRAPE_ALLOW_PRIVATE"),
            "{to}: {reason}"
        );
        assert_eq!(attempts, 1, "a refusal is not retried: {reason}");
    }
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}
