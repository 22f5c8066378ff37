//! Data-processing and cleanup jobs through the runtime's pools, against a real
//! redis-server, and the chain scrape → save → validate with the fixture site.

use std::time::Duration;

use antrian_core::queue::{JobDefaults, JobOptionsInput, QueueEvent, QueueManager};
use antrian_core::store::{ProductFilter, ProductStore};
use antrian_core::worker::WorkerType;
use antrian_core::Runtime;
use antrian_testkit::fixture::FixtureSite;
use antrian_testkit::TestRedis;
use serde_json::{json, Value};

mod common;

struct Env {
    rt: Runtime,
    site: FixtureSite,
    _redis: TestRedis,
    _dir: tempfile::TempDir,
}

async fn env() -> Env {
    let redis = TestRedis::start();
    let site = FixtureSite::start().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let rt = common::runtime(
        &redis.url(),
        dir.path(),
        &[
            ("SCRAPE_MARKETPLACE_HOSTS", "127.0.0.1"),
            ("SCRAPE_DOMAIN_RATE_LIMIT", "none"),
            ("SCRAPE_ALLOW_PRIVATE", "127.0.0.1"),
        ],
        &[
            (WorkerType::Scraping, 1),
            (WorkerType::DataProcessing, 1),
            (WorkerType::Cleanup, 1),
        ],
    )
    .await;
    Env {
        rt,
        site,
        _redis: redis,
        _dir: dir,
    }
}

/// `Ok(result)` or `Err((reason, attempts))` once the job is done for good.
async fn run(e: &Env, queue: &str, name: &str, data: Value) -> Result<Value, (String, u32)> {
    let mut sub = e.rt.events().subscribe();
    let opts: JobOptionsInput =
        serde_json::from_value(json!({"attempts": 3, "backoff": {"type": "fixed", "delay": 100}}))
            .expect("opts");
    let id =
        e.rt.queues()
            .add_job(queue, name, data, &opts)
            .await
            .expect("add")
            .id;
    wait(&mut sub, queue, &id).await
}

async fn wait(
    sub: &mut antrian_core::queue::Subscription,
    queue: &str,
    id: &str,
) -> Result<Value, (String, u32)> {
    let event = sub
        .recv_matching(Duration::from_secs(30), |ev| match ev {
            QueueEvent::JobCompleted {
                queue: q, job_id, ..
            } => q == queue && job_id == id,
            QueueEvent::JobFailed {
                queue: q,
                job_id,
                is_final,
                ..
            } => q == queue && job_id == id && *is_final,
            _ => false,
        })
        .await
        .unwrap_or_else(|| panic!("{queue} job {id} did not finish"));
    match event {
        QueueEvent::JobCompleted { return_value, .. } => Ok(return_value),
        QueueEvent::JobFailed {
            failed_reason,
            attempts_made,
            ..
        } => Err((failed_reason, attempts_made)),
        _ => unreachable!(),
    }
}

fn products(n: usize, price: f64) -> Value {
    Value::from(
        (0..n)
            .map(|i| json!({"productId": format!("prod{i}"), "name": format!("Sample Product {i}"), "price": price, "rating": 4.5}))
            .collect::<Vec<_>>(),
    )
}

#[tokio::test]
async fn save_product_data_counts_inserted_updated_and_unchanged() {
    let e = env().await;
    let q = "data-processing-queue";
    let r = run(
        &e,
        q,
        "save-product-data",
        json!({"productData": products(3, 100_000.0)}),
    )
    .await
    .expect("saved");
    assert_eq!(r, json!({"inserted": 3, "updated": 0, "unchanged": 0}));
    let r = run(
        &e,
        q,
        "save-product-data",
        json!({"productData": products(3, 100_000.0)}),
    )
    .await
    .expect("saved");
    assert_eq!(r, json!({"inserted": 0, "updated": 0, "unchanged": 3}));
    let r = run(
        &e,
        q,
        "save-product-data",
        json!({"productData": products(4, 90_000.0)}),
    )
    .await
    .expect("saved");
    assert_eq!(r, json!({"inserted": 1, "updated": 3, "unchanged": 0}));
    let store = ProductStore::new(e.rt.connection().clone());
    assert_eq!(store.history("prod0").await.expect("history").len(), 2);

    // Bad data: refused when added; discarded when a producer without the check adds it.
    let unchecked = QueueManager::new(
        e.rt.connection().clone(),
        "bull",
        JobDefaults::default(),
        512 * 1024,
    )
    .await
    .expect("manager");
    for (data, says) in [
        (json!({"productData": []}), "`productData` is empty"),
        (
            json!({"productData": [{"name": "x"}]}),
            "missing field `productId`",
        ),
        (
            json!({"productData": [{"productId": "a", "name": "x", "price": -1}]}),
            "`price` must be a number ≥ 0",
        ),
        (json!({"data": 1}), "missing field `productData`"),
    ] {
        let refused =
            e.rt.queues()
                .add_job(
                    q,
                    "save-product-data",
                    data.clone(),
                    &JobOptionsInput::default(),
                )
                .await;
        let refused = refused.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(refused.contains(says), "{data}: {refused}");
        let mut sub = e.rt.events().subscribe();
        let id = unchecked
            .add_job(
                q,
                "save-product-data",
                data.clone(),
                &JobOptionsInput::default(),
            )
            .await
            .expect("add")
            .id;
        let (reason, attempts) = wait(&mut sub, q, &id).await.expect_err("discarded");
        assert!(reason.contains(says), "{data}: {reason}");
        assert_eq!(attempts, 1);
    }
}

#[tokio::test]
async fn validate_data_reports_per_record_errors_and_refuses_bad_rules() {
    let e = env().await;
    let q = "data-processing-queue";
    let rules = json!([
        {"field": "productId", "type": "string", "required": true},
        {"field": "price", "type": "number", "required": true, "min": 0}
    ]);
    let r = run(
        &e,
        q,
        "validate-data",
        json!({
            "data": [{"productId": "a", "price": 1}, {"price": -5}, {"productId": 7, "price": "x"}],
            "validationRules": rules,
        }),
    )
    .await
    .expect("validated");
    assert_eq!(
        (r["valid"].clone(), r["invalid"].clone()),
        (json!(1), json!(2))
    );
    let errors: Vec<(u64, String, String)> = r["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|p| {
            (
                p["index"].as_u64().unwrap_or(99),
                p["field"].as_str().unwrap_or("").into(),
                p["rule"].as_str().unwrap_or("").into(),
            )
        })
        .collect();
    assert_eq!(
        errors,
        vec![
            (1, "productId".into(), "required".into()),
            (1, "price".into(), "min".into()),
            (2, "productId".into(), "type".into()),
            (2, "price".into(), "type".into()),
        ]
    );
    let refused =
        e.rt.queues()
            .add_job(
                q,
                "validate-data",
                json!({"data": [], "validationRules": [{"field": "a", "type": "colour"}]}),
                &JobOptionsInput::default(),
            )
            .await;
    assert!(refused
        .err()
        .is_some_and(|e| e.to_string().contains("unknown type `colour`")));
}

#[tokio::test]
async fn cleanup_old_data_dry_run_reports_and_the_real_run_removes() {
    let e = env().await;
    let store = ProductStore::new(e.rt.connection().clone());
    let old = chrono::Utc::now() - chrono::Duration::days(40);
    let recent = chrono::Utc::now() - chrono::Duration::days(1);
    let record = |id: &str, at: chrono::DateTime<chrono::Utc>| {
        serde_json::from_value(json!({"productId": id, "name": id, "scrapedAt": at.to_rfc3339()}))
            .expect("record")
    };
    store
        .save(&[
            record("old1", old),
            record("old2", old),
            record("new1", recent),
        ])
        .await
        .expect("save");
    let q = "cleanup-queue";
    let dry = run(
        &e,
        q,
        "cleanup-old-data",
        json!({"collections": ["products"], "olderThan": 30, "dryRun": true}),
    )
    .await
    .expect("dry run");
    assert_eq!(dry["products"]["matched"], 2);
    assert_eq!(dry["products"]["removed"], 0);
    assert_eq!(
        store
            .list(&ProductFilter::default(), 1, 10)
            .await
            .expect("list")
            .total,
        Some(3)
    );
    let real = run(
        &e,
        q,
        "cleanup-old-data",
        json!({"collections": ["products"], "olderThan": 30}),
    )
    .await
    .expect("cleanup");
    assert_eq!(real["products"]["removed"], 2);
    let mut ids = real["products"]["ids"].as_array().expect("ids").clone();
    ids.sort_by_key(|v| v.to_string());
    assert_eq!(ids, vec![json!("old1"), json!("old2")]);
    let left = store
        .list(&ProductFilter::default(), 1, 10)
        .await
        .expect("list");
    assert_eq!(
        left.products
            .iter()
            .map(|p| p.product_id.as_str())
            .collect::<Vec<_>>(),
        vec!["new1"]
    );
    let refused =
        e.rt.queues()
            .add_job(
                q,
                "cleanup-old-data",
                json!({"collections": ["orders"], "olderThan": 30}),
                &JobOptionsInput::default(),
            )
            .await;
    assert!(refused
        .err()
        .is_some_and(|e| e.to_string().contains("unknown collection `orders`")));
}

#[tokio::test]
async fn a_scraped_product_is_saved_then_validated() {
    let e = env().await;
    let mut sub = e.rt.events().subscribe();
    let scraped = run(
        &e,
        "scraping-queue",
        "product-scraping",
        json!({"url": e.site.url("/product/123/456")}),
    )
    .await
    .expect("scraped");
    let save_job = scraped["saveJobs"][0]
        .as_str()
        .expect("save job")
        .to_string();
    let saved = wait(&mut sub, "data-processing-queue", &save_job)
        .await
        .expect("saved");
    assert_eq!(saved["inserted"], 1);
    let store = ProductStore::new(e.rt.connection().clone());
    let product = store.get("456").await.expect("stored");
    assert_eq!(product.shop_id.as_deref(), Some("123"));
    let validated = run(
        &e,
        "data-processing-queue",
        "validate-data",
        json!({
            "data": [serde_json::to_value(&product).expect("json")],
            "validationRules": [
                {"field": "productId", "type": "string", "required": true},
                {"field": "price", "type": "number", "required": true, "min": 0},
                {"field": "url", "type": "url", "required": true},
                {"field": "currency", "enum": ["IDR", "MYR"]}
            ],
        }),
    )
    .await
    .expect("validated");
    assert_eq!(
        (validated["valid"].clone(), validated["invalid"].clone()),
        (json!(1), json!(0)),
        "{validated}"
    );
}

fn old_file(path: &std::path::Path, days: u64) {
    std::fs::write(path, b"0123456789").expect("write");
    let when = std::time::SystemTime::now() - Duration::from_secs(days * 86_400);
    std::fs::File::options()
        .write(true)
        .open(path)
        .and_then(|f| f.set_modified(when))
        .expect("set mtime");
}

/// A root with old and new files, another extension, a subdirectory, and symlinks to a
/// canary outside the root: only the old matching files inside go.
#[tokio::test]
async fn cleanup_temp_files_deletes_old_files_inside_the_root_and_never_through_a_symlink() {
    let root = tempfile::tempdir().expect("root");
    let outside = tempfile::tempdir().expect("outside");
    let canary = outside.path().join("canary.tmp");
    old_file(&canary, 30);
    let temp = root.path().join("temp");
    std::fs::create_dir_all(temp.join("sub")).expect("dirs");
    old_file(&temp.join("old.tmp"), 3);
    old_file(&temp.join("new.tmp"), 0);
    old_file(&temp.join("old.log"), 3);
    old_file(&temp.join("sub/old.temp"), 3);
    std::os::unix::fs::symlink(outside.path(), temp.join("escape")).expect("dir link");
    std::os::unix::fs::symlink(&canary, temp.join("canary-link.tmp")).expect("file link");

    let redis = TestRedis::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let roots = root.path().display().to_string();
    let rt = common::runtime(
        &redis.url(),
        dir.path(),
        &[("CLEANUP_ALLOWED_DIRS", roots.as_str())],
        &[(WorkerType::Cleanup, 1)],
    )
    .await;
    let e = Env {
        rt,
        site: FixtureSite::start().await,
        _redis: redis,
        _dir: dir,
    };
    let r = run(
        &e,
        "cleanup-queue",
        "cleanup-temp-files",
        json!({
            "directories": ["./temp"], "olderThan": 1, "extensions": [".tmp", ".temp"]
        }),
    )
    .await
    .expect("cleaned");
    assert_eq!(
        (r["files"].clone(), r["bytes"].clone()),
        (json!(2), json!(20)),
        "{r}"
    );
    assert_eq!(r["symlinksSkipped"], 2);
    assert!(!temp.join("old.tmp").exists() && !temp.join("sub/old.temp").exists());
    assert!(temp.join("new.tmp").exists() && temp.join("old.log").exists());
    assert!(canary.exists(), "the canary outside the root survives");
    assert!(
        temp.join("canary-link.tmp").symlink_metadata().is_ok(),
        "links are left alone"
    );

    for (dirs, says) in [
        (json!(["../etc"]), "contains `..`"),
        (json!(["/etc"]), "outside the allowed roots"),
        (json!(["a\u{0}b"]), "NUL byte"),
        (json!([]), "`directories` is empty"),
    ] {
        let refused =
            e.rt.queues()
                .add_job(
                    "cleanup-queue",
                    "cleanup-temp-files",
                    json!({"directories": dirs, "olderThan": 1}),
                    &JobOptionsInput::default(),
                )
                .await
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
        assert!(refused.contains(says), "{dirs}: {refused}");
    }
}

/// The race the descriptor walk exists for: a directory replaced by a symlink to the
/// outside after it was listed as a directory and before it is entered.
#[test]
fn a_directory_swapped_for_a_symlink_mid_run_is_not_followed() {
    let root = tempfile::tempdir().expect("root");
    let outside = tempfile::tempdir().expect("outside");
    let canary = outside.path().join("canary.tmp");
    old_file(&canary, 30);
    let sub = root.path().join("sub");
    std::fs::create_dir(&sub).expect("sub");
    old_file(&sub.join("old.tmp"), 3);
    let root_path = std::fs::canonicalize(root.path()).expect("canonical");
    let cutoff = chrono::Utc::now().timestamp() - 86_400;
    let mut swapped = false;
    let removed = antrian_jobs::cleanup::temp_files::clean(
        &root_path,
        std::path::Path::new(""),
        cutoff,
        &[],
        &mut |name| {
            if name == "sub" {
                std::fs::rename(&sub, root_path.join("sub-moved")).expect("move away");
                std::os::unix::fs::symlink(outside.path(), &sub).expect("swap in a link");
                swapped = true;
            }
        },
    )
    .expect("clean");
    assert!(swapped, "the hook ran");
    assert!(
        canary.exists(),
        "the canary behind the swapped-in link survives"
    );
    assert_eq!(removed.files, 0, "{removed:?}");
    assert_eq!(removed.symlinks_skipped, 1);
}

/// A stand-in for Elasticsearch's `_bulk` endpoint (no Elasticsearch can run on this
/// machine): it checks the bulk NDJSON contract strictly — content type, action lines,
/// document lines, the trailing newline, basic auth — records any violation, and answers
/// like Elasticsearch, failing documents whose `price` is not a number.
#[derive(Default)]
struct Bulk {
    requests: std::sync::Mutex<Vec<String>>,
    violations: std::sync::Mutex<Vec<String>>,
    throttle_first: std::sync::atomic::AtomicBool,
}

async fn bulk_server(state: std::sync::Arc<Bulk>) -> String {
    use axum::http::{header, HeaderMap, StatusCode};
    use axum::response::IntoResponse;
    let app = axum::Router::new().route(
        "/_bulk",
        axum::routing::post(move |headers: HeaderMap, body: String| {
            let state = state.clone();
            async move {
                let auth = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
                if auth != Some("Basic ZWxhc3RpYzpzZWNyZXQ=") {
                    return (StatusCode::UNAUTHORIZED, "{}").into_response();
                }
                if state.throttle_first.swap(false, std::sync::atomic::Ordering::SeqCst) {
                    return (StatusCode::TOO_MANY_REQUESTS, [(header::RETRY_AFTER, "1")], "{}").into_response();
                }
                state.requests.lock().expect("lock").push(body.clone());
                let violation = |m: String| state.violations.lock().expect("lock").push(m);
                if headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) != Some("application/x-ndjson") {
                    violation("content type is not application/x-ndjson".into());
                }
                if !body.ends_with('\n') {
                    violation("the body does not end with a newline".into());
                }
                let mut lines = body.lines();
                let mut items = Vec::new();
                while let Some(action) = lines.next() {
                    let Ok(Value::Object(action)) = serde_json::from_str::<Value>(action) else {
                        violation(format!("action line is not a JSON object: {action}"));
                        break;
                    };
                    let (op, meta) = match action.iter().next() {
                        Some((op, meta)) if action.len() == 1 && ["index", "create", "update", "delete"].contains(&op.as_str()) => (op.clone(), meta.clone()),
                        _ => {
                            violation(format!("bad action {action:?}"));
                            break;
                        }
                    };
                    if !meta["_index"].is_string() {
                        violation(format!("action without _index: {meta}"));
                    }
                    let id = meta["_id"].as_str().map_or_else(|| format!("gen{}", items.len()), str::to_string);
                    let mut status = if op == "delete" { 200 } else { 201 };
                    let mut error = Value::Null;
                    if op != "delete" {
                        match lines.next().map(serde_json::from_str::<Value>) {
                            Some(Ok(doc @ Value::Object(_))) => {
                                let doc = if op == "update" { doc["doc"].clone() } else { doc };
                                if doc.is_null() {
                                    violation("update without a doc".into());
                                }
                                if doc.get("price").is_some_and(|p| !p.is_number()) {
                                    status = 400;
                                    error = json!({"type": "mapper_parsing_exception", "reason": "failed to parse field [price]"});
                                }
                            }
                            _ => violation(format!("{op} without a document line")),
                        }
                    }
                    items.push(json!({op: {"_index": meta["_index"], "_id": id, "status": status, "error": error}}));
                }
                axum::Json(json!({"took": 1, "errors": items.iter().any(|i| i.to_string().contains("\"status\":400")), "items": items})).into_response()
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!(
        "http://127.0.0.1:{}",
        listener.local_addr().expect("addr").port()
    );
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

#[tokio::test]
async fn update_elasticsearch_sends_strict_bulk_requests_and_reports_item_errors() {
    let state = std::sync::Arc::new(Bulk::default());
    let es = bulk_server(state.clone()).await;
    let redis = TestRedis::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let rt = common::runtime(
        &redis.url(),
        dir.path(),
        &[
            ("ELASTICSEARCH_URL", es.as_str()),
            ("ELASTICSEARCH_USERNAME", "elastic"),
            ("ELASTICSEARCH_PASSWORD", "secret"),
            ("ELASTICSEARCH_BATCH_SIZE", "2"),
        ],
        &[(WorkerType::DataProcessing, 1)],
    )
    .await;
    let e = Env {
        rt,
        site: FixtureSite::start().await,
        _redis: redis,
        _dir: dir,
    };
    let q = "data-processing-queue";
    let docs = json!([
        {"productId": "p1", "name": "a", "price": 1},
        {"productId": "p2", "name": "b", "price": "free"},
        {"productId": "p3", "name": "c", "price": 3}
    ]);
    let r = run(
        &e,
        q,
        "update-elasticsearch",
        json!({"data": docs, "indexName": "products", "operation": "index"}),
    )
    .await
    .expect("indexed");
    assert_eq!(
        (r["succeeded"].clone(), r["failed"].clone()),
        (json!(2), json!(1)),
        "{r}"
    );
    assert_eq!(r["errors"][0]["id"], "p2");
    assert_eq!(r["errors"][0]["reason"], "failed to parse field [price]");
    assert_eq!(
        state.requests.lock().expect("lock").len(),
        2,
        "batches of 2"
    );

    // 429 first: retried after Retry-After, then delivered.
    state
        .throttle_first
        .store(true, std::sync::atomic::Ordering::SeqCst);
    let r = run(
        &e,
        q,
        "update-elasticsearch",
        json!({"data": [{"id": 7, "price": 9}], "indexName": "products", "operation": "update"}),
    )
    .await
    .expect("updated");
    assert_eq!(r["succeeded"], 1);
    let r = run(&e, q, "update-elasticsearch", json!({"data": [{"_id": "p1"}, {"_id": "p3"}], "indexName": "products", "operation": "delete"})).await.expect("deleted");
    assert_eq!(r["succeeded"], 2);
    assert!(
        state.violations.lock().expect("lock").is_empty(),
        "{:?}",
        state.violations.lock().expect("lock")
    );
    let last = state
        .requests
        .lock()
        .expect("lock")
        .last()
        .cloned()
        .unwrap_or_default();
    assert_eq!(last, "{\"delete\":{\"_index\":\"products\",\"_id\":\"p1\"}}\n{\"delete\":{\"_index\":\"products\",\"_id\":\"p3\"}}\n");
}

#[tokio::test]
async fn update_elasticsearch_without_a_url_fails_clearly() {
    let e = env().await;
    let (reason, attempts) = run(
        &e,
        "data-processing-queue",
        "update-elasticsearch",
        json!({"data": {"id": 1}, "indexName": "products", "operation": "index"}),
    )
    .await
    .expect_err("not configured");
    assert!(reason.contains("ELASTICSEARCH_URL is not set"), "{reason}");
    assert_eq!(attempts, 1);
}

#[tokio::test]
async fn save_order_data_keeps_each_order_once_per_account() {
    let e = env().await;
    let q = "data-processing-queue";
    let orders = json!([
        {"orderSn": "ORD-1-0", "total": 150000},
        {"orderSn": "ORD-1-1", "total": 150001},
        {"orderSn": "ORD-1-2", "total": 150002}
    ]);
    let data = json!({"accountId": "user123", "dateRange": {"start": "2024-01-01", "end": "2024-01-31"}, "orderData": orders});
    let r = run(&e, q, "save-order-data", data.clone())
        .await
        .expect("saved");
    assert_eq!(r, json!({"inserted": 3, "updated": 0, "unchanged": 0}));
    let r = run(&e, q, "save-order-data", data).await.expect("saved");
    assert_eq!(r, json!({"inserted": 0, "updated": 0, "unchanged": 3}));
    let changed =
        json!({"accountId": "user123", "orderData": [{"orderSn": "ORD-1-0", "total": 1}]});
    let r = run(&e, q, "save-order-data", changed).await.expect("saved");
    assert_eq!(r["updated"], 1);
    let store = antrian_core::store::OrderStore::new(e.rt.connection().clone());
    assert_eq!(store.count("user123").await.expect("count"), 3);
    let refused =
        e.rt.queues()
            .add_job(
                q,
                "save-order-data",
                json!({"accountId": "user123", "orderData": [{"total": 1}]}),
                &JobOptionsInput::default(),
            )
            .await
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
    assert!(refused.contains("has no `orderSn`"), "{refused}");
}
