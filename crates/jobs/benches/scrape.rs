//! Scraping: parse cost of a realistic ~200 KB product page, and end-to-end pages/s for
//! 2,000 fixture product pages through the scraping pool at concurrency 32 with no rate
//! limit, with the process's resident memory sampled through the run (it must stay flat).
//!
//! `cargo bench -p antrian-jobs --bench scrape` (starts its own redis-server and fixture
//! site; see bench/README.md).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use antrian_core::config::{Config, LoadOptions};
use antrian_core::queue::{BulkJobInput, JobOptionsInput, QueueEvent};
use antrian_core::runtime::{Services, WorkerPlan};
use antrian_core::worker::WorkerType;
use antrian_core::{CancellationToken, Runtime};
use antrian_jobs::scrape::generic;
use antrian_jobs::scrape::rules::SiteRules;
use antrian_testkit::fixture::{big_product_page, FixtureSite};
use antrian_testkit::TestRedis;

const PAGES: usize = 2_000;
const CONCURRENCY: &str = "32";
const PARSE_RUNS: usize = 200;

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

/// A field of /proc/self/status in KiB (VmRSS now, VmHWM peak).
fn status_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

fn parse_cost() -> String {
    let page = big_product_page("bench");
    let url = url::Url::parse("https://shop.example/p/bench").expect("url");
    let rules = SiteRules::none();
    let mut micros = Vec::with_capacity(PARSE_RUNS);
    for _ in 0..PARSE_RUNS {
        let started = Instant::now();
        let product = generic::extract(&url, &page, &rules, "now").expect("a product");
        micros.push(started.elapsed().as_secs_f64() * 1e6);
        assert_eq!(product.source, "json-ld");
    }
    format!(
        "parse: {} KB product page, median {:.0} µs per page ({PARSE_RUNS} runs)\n",
        page.len() / 1024,
        median(micros)
    )
}

async fn end_to_end() -> String {
    let redis = TestRedis::start();
    let site = FixtureSite::start().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let dir_s = dir.path().display().to_string();
    let url = redis.url();
    let config = Config::load(&LoadOptions::from_vars([
        ("REDIS_URL", url.as_str()),
        ("ANTRIAN_DATA_DIR", dir_s.as_str()),
        ("SCRAPE_MARKETPLACE_HOSTS", "marketplace.invalid"),
        ("SCRAPE_DOMAIN_RATE_LIMIT", "none"),
        ("SCRAPE_ALLOW_PRIVATE", "127.0.0.1"),
        ("SCRAPE_DOMAIN_CONCURRENCY", "0"),
        ("QUEUE_AUTO_SCALING", "false"),
        ("QUEUE_CONCURRENCY", CONCURRENCY),
        ("QUEUE_REMOVE_ON_COMPLETE", "100"),
    ]))
    .expect("config");
    let board = Runtime::status_board(&config);
    let mut rt = Runtime::start(config, board, CancellationToken::new(), Services::Full)
        .await
        .expect("runtime");
    let registry = antrian_jobs::setup(&rt).expect("handlers");
    let mut sub = rt.events().subscribe();
    for chunk in (0..PAGES).collect::<Vec<_>>().chunks(500) {
        let jobs = chunk
            .iter()
            .map(|i| BulkJobInput {
                name: "product-scraping".into(),
                data: serde_json::json!({"url": site.url(&format!("/p/big/{i}"))}),
                priority: None,
                opts: JobOptionsInput::default(),
            })
            .collect();
        rt.queues()
            .add_bulk_jobs("scraping-queue", jobs)
            .await
            .expect("prefill");
    }
    let rss_before = status_kib("VmRSS:");
    let started = Instant::now();
    rt.start_workers(
        registry,
        &WorkerPlan {
            types: vec![WorkerType::Scraping],
            counts: BTreeMap::from([(WorkerType::Scraping, 1)]),
        },
    )
    .await
    .expect("pool");
    let mut done = 0;
    let mut samples = Vec::new();
    while done < PAGES {
        match sub.recv_matching(Duration::from_secs(60), |e| {
            matches!(e, QueueEvent::JobCompleted { queue, .. } | QueueEvent::JobFailed { queue, .. } if queue == "scraping-queue")
        })
        .await
        {
            Some(QueueEvent::JobCompleted { .. }) => done += 1,
            Some(QueueEvent::JobFailed { failed_reason, .. }) => panic!("a page failed: {failed_reason}"),
            _ => panic!("stalled at {done} of {PAGES}"),
        }
        if done % 250 == 0 {
            samples.push((done, status_kib("VmRSS:") / 1024));
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    let peak = status_kib("VmHWM:") / 1024;
    rt.shutdown().await;
    let rate = PAGES as f64 / elapsed;
    let trace: Vec<String> = samples.iter().map(|(n, mb)| format!("{n}:{mb}")).collect();
    format!(
        "end to end: {PAGES} pages of ~{} KB at concurrency {CONCURRENCY}, no rate limit: {rate:.0} pages/s; \
         RSS {} MiB before, peak {peak} MiB; RSS (MiB) by pages done: {}\n",
        big_product_page("0").len() / 1024,
        rss_before / 1024,
        trace.join(" ")
    )
}

fn main() {
    let mut report = parse_cost();
    let rt = tokio::runtime::Runtime::new().expect("tokio");
    report.push_str(&rt.block_on(end_to_end()));
    std::io::Write::write_all(&mut std::io::stderr(), report.as_bytes()).expect("report");
}
