//! The UI end to end in a real browser: `tests/node/browser-flows.mjs` drives Debian's chromium
//! (playwright-core, installed by `make test` into `tests/node`) through the HTTP dashboard
//! of a full Antrian process — runtime, the four worker pools with the real job handlers,
//! scheduler and dashboard, as `antrian start` runs them — on a test-owned redis-server,
//! scraping the testkit's fixture site. Then Redis is checked directly: what the browser
//! saw must be what happened. Screenshots of every page go to `test-artifacts/`.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use antrian_core::config::{Config, LoadOptions};
use antrian_core::queue::JobState;
use antrian_core::runtime::{Services, WorkerPlan};
use antrian_core::{CancellationToken, Runtime};
use antrian_server::Server;
use antrian_testkit::fixture::FixtureSite;
use antrian_testkit::TestRedis;

const USER: &str = "admin";
const PASSWORD: &str = "e2e-password";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn artifacts_dir() -> PathBuf {
    let dir = root().join("test-artifacts");
    std::fs::create_dir_all(&dir).expect("create test-artifacts/");
    dir
}

#[tokio::test(flavor = "multi_thread")]
async fn the_ui_adds_runs_retries_and_schedules_in_a_browser() {
    let node = root().join("tests/node");
    assert!(
        node.join("node_modules/playwright-core").is_dir(),
        "playwright-core is not installed: run `npm ci --prefix tests/node` (make test does)"
    );
    assert!(
        root().join("ui/dist/index.html").is_file(),
        "the UI is not built: run `make ui` (make test does)"
    );
    let redis = TestRedis::start();
    let site = FixtureSite::start().await;
    let data = tempfile::tempdir().expect("tempdir");
    let data_dir = data.path().display().to_string();
    let url = redis.url();
    let config = Config::load(&LoadOptions::from_vars(vec![
        ("REDIS_URL", url.as_str()),
        ("ANTRIAN_DATA_DIR", data_dir.as_str()),
        ("QUEUE_AUTO_SCALING", "false"),
        ("QUEUE_DASHBOARD_PORT", "0"),
        ("QUEUE_DASHBOARD_USERNAME", USER),
        ("QUEUE_DASHBOARD_PASSWORD", PASSWORD),
        ("SCRAPE_DOMAIN_RATE_LIMIT", "none"),
        ("SCRAPE_ALLOW_PRIVATE", "127.0.0.1"),
        ("SCHEDULER_TIMEZONE", "UTC"),
    ]))
    .expect("config");
    let cancel = CancellationToken::new();
    let board = Runtime::status_board(&config);
    let mut runtime = Runtime::start(config, board, cancel.clone(), Services::Full)
        .await
        .expect("runtime");
    let registry = antrian_jobs::setup(&runtime).expect("handlers");
    runtime
        .start_workers(registry, &WorkerPlan::default())
        .await
        .expect("workers");
    runtime.start_scheduler();
    let dashboard = runtime.config().dashboard.clone();
    let server = Server::start(runtime.handle(), &dashboard, cancel.clone())
        .await
        .expect("dashboard");

    let base = format!("http://127.0.0.1:{}", server.addr().port());
    let fixture = site.url("");
    let artifacts = artifacts_dir();
    let flows = tokio::task::spawn_blocking(move || {
        let mut child = Command::new("node")
            .arg(node.join("browser-flows.mjs"))
            .current_dir(&node)
            .env("BASE_URL", &base)
            .env("DASHBOARD_USER", USER)
            .env("DASHBOARD_PASSWORD", PASSWORD)
            .env("FIXTURE_URL", fixture.trim_end_matches('/'))
            .env("ARTIFACTS", &artifacts)
            .stdout(Stdio::piped())
            .spawn()
            .expect("start node");
        let lines: Vec<String> = BufReader::new(child.stdout.take().expect("stdout"))
            .lines()
            .map_while(Result::ok)
            .inspect(|l| eprintln!("{l}"))
            .collect();
        (child.wait().expect("node"), lines)
    })
    .await
    .expect("flows");
    let (status, lines) = flows;
    assert!(
        status.success(),
        "a browser flow failed (its message is above; screenshot in test-artifacts/): {lines:?}"
    );
    let done: Vec<&str> = lines
        .iter()
        .filter_map(|l| l.strip_prefix("ok "))
        .filter_map(|l| l.split(' ').next())
        .collect();
    assert_eq!(
        done,
        [
            "overview",
            "add-and-run",
            "fail-then-retry",
            "bulk-retry",
            "edit-and-retry",
            "schedule",
            "results",
            "throughput",
            "pages",
            "accessibility",
            "small-window"
        ]
    );

    // What the browser saw is what happened in Redis.
    let q = runtime.queues();
    let stats = q.get_queue_stats("scraping-queue").await.expect("stats");
    assert_eq!((stats.completed, stats.failed), (23, 0), "{stats:?}");
    let completed = q
        .list_jobs("scraping-queue", JobState::Completed, 1, 50, true)
        .await
        .expect("list");
    assert!(
        completed
            .jobs
            .iter()
            .all(|j| j.data["accountId"] == "user123" && j.name == "product-scraping"),
        "{completed:?}"
    );
    let url = |j: &antrian_core::queue::JobDetail| j.data["url"].as_str().unwrap_or("").to_string();
    let retried = completed
        .jobs
        .iter()
        .filter(|j| url(j).contains("/bad/flaky/") && j.attempts_made == 2)
        .count();
    assert_eq!(
        retried, 21,
        "each flaky job ran twice: failed, then retried"
    );
    assert!(
        completed
            .jobs
            .iter()
            .any(|j| url(j).ends_with("/p/jsonld/e2e-edited")),
        "the job whose data the browser edited ran with it: {completed:?}"
    );
    let view = runtime
        .handle()
        .scheduler
        .get_schedule("e2e-nightly")
        .await
        .expect("the schedule the browser made");
    let schedule = view.schedule;
    assert!(schedule.enabled);
    assert_eq!(
        (schedule.schedule.as_str(), schedule.timezone.as_str()),
        ("0 3 * * 1-5", "Asia/Jakarta"),
        "edited in place, its zone kept"
    );
    let alert = runtime
        .handle()
        .scheduler
        .get_dynamic_schedule("high-queue-alert")
        .await
        .expect("the condition-based schedule the browser made");
    assert_eq!(
        serde_json::to_value(&alert.schedule.condition).expect("json"),
        serde_json::json!({"type": "queue_size", "queueName": "scraping-queue", "operator": ">", "threshold": 500.0})
    );
    cancel.cancel();
    server.stopped().await;
    runtime.shutdown().await;
}
