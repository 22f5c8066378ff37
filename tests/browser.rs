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
        ("WEBHOOK_ALLOW_PRIVATE", "127.0.0.1"),
        ("WEBHOOK_SECRET", "e2e-secret"),
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
    let mut dashboard = runtime.config().dashboard.clone();
    let server_cancel = cancel.child_token();
    let server = Server::start(runtime.handle(), &dashboard, server_cancel.clone())
        .await
        .expect("dashboard");
    // The flows stop and start the dashboard (`control stop-backend` / `control
    // start-backend` on their stdout) to see the window go stale and recover by itself.
    dashboard.port = server.addr().port();
    let base = format!("http://127.0.0.1:{}", dashboard.port);
    let (control, mut controls) = tokio::sync::mpsc::unbounded_channel::<String>();
    let handle = runtime.handle();
    let outer = cancel.clone();
    let backend = tokio::spawn(async move {
        let cancel = outer;
        let mut running = Some((server, server_cancel));
        while let Some(command) = controls.recv().await {
            match (command.as_str(), running.take()) {
                ("stop-backend", Some((server, token))) => {
                    token.cancel();
                    server.stopped().await;
                }
                ("start-backend", None) => {
                    let token = cancel.child_token();
                    let server = Server::start(handle.clone(), &dashboard, token.clone())
                        .await
                        .expect("the dashboard starts again on its port");
                    running = Some((server, token));
                }
                (other, now) => panic!("unexpected control `{other}` (running: {})", now.is_some()),
            }
        }
        running.map(|(server, _)| server)
    });

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
            .inspect(|l| {
                if let Some(command) = l.strip_prefix("control ") {
                    let _ = control.send(command.to_string());
                }
            })
            .collect();
        (child.wait().expect("node"), lines)
    })
    .await
    .expect("flows");
    let (status, lines) = flows;
    let server = backend.await.expect("the backend control task");
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
            "every-type",
            "backoff",
            "new-queue",
            "scale-by-hand",
            "schedule",
            "results",
            "throughput",
            "remove-and-audit",
            "backend-gone",
            "failing-queue",
            "pages",
            "accessibility",
            "small-window"
        ]
    );

    // What the browser saw is what happened in Redis.
    let q = runtime.queues();
    let completed = q
        .list_jobs("scraping-queue", JobState::Completed, 1, 200, true)
        .await
        .expect("list");
    let failed = q
        .list_jobs("scraping-queue", JobState::Failed, 1, 200, true)
        .await
        .expect("list");
    let by_user = |page: &antrian_core::queue::JobPage| {
        page.jobs
            .iter()
            .filter(|j| j.data["accountId"] == "user123")
            .cloned()
            .collect::<Vec<_>>()
    };
    let (completed, failed) = (by_user(&completed), by_user(&failed));
    assert_eq!(
        (completed.len(), failed.len()),
        (23, 0),
        "{completed:?} {failed:?}"
    );
    assert!(
        completed.iter().all(|j| j.name == "product-scraping"),
        "{completed:?}"
    );
    let url = |j: &antrian_core::queue::JobDetail| j.data["url"].as_str().unwrap_or("").to_string();
    let retried = completed
        .iter()
        .filter(|j| url(j).contains("/bad/flaky/") && j.attempts_made == 2)
        .count();
    assert_eq!(
        retried, 21,
        "each flaky job ran twice: failed, then retried"
    );
    assert!(
        completed
            .iter()
            .any(|j| url(j).ends_with("/p/jsonld/e2e-edited")),
        "the job whose data the browser edited ran with it: {completed:?}"
    );

    // One job of every catalogue type, added through its generated form, ended as its
    // handler ends that input: nothing refused, nothing left waiting.
    let facts = lines
        .iter()
        .find_map(|l| l.strip_prefix("ok every-type "))
        .expect("the every-type flow's facts");
    let facts: serde_json::Value = serde_json::from_str(facts).expect("JSON facts");
    let jobs = facts["jobs"].as_array().expect("jobs");
    let names: Vec<&str> = jobs.iter().filter_map(|j| j["name"].as_str()).collect();
    let catalogue: Vec<String> = antrian_jobs::catalogue::job_types()
        .into_iter()
        .map(|t| t.name)
        .collect();
    assert_eq!(names, catalogue, "a job of every type");
    for j in jobs {
        let (queue, id) = (
            j["queue"].as_str().expect("queue"),
            j["id"].as_str().expect("id"),
        );
        let job = q.get_job(queue, id).await.expect("the added job");
        let state = serde_json::to_value(job.state).expect("state");
        assert_eq!(state, j["state"], "{job:?}");
        match job.state {
            JobState::Completed => {}
            JobState::Failed => assert!(
                job.failed_reason.as_deref().is_some_and(|r| !r.is_empty()),
                "{job:?}"
            ),
            other => panic!("{} ended {other:?}", job.name),
        }
    }
    let state_of = |name: &str| {
        jobs.iter()
            .find(|j| j["name"] == name)
            .map(|j| j["state"].clone())
            .expect(name)
    };
    // Runs that need nothing outside: they complete, the batch with its children.
    for name in [
        "product-scraping",
        "batch-scraping",
        "save-product-data",
        "save-order-data",
        "validate-data",
        "cleanup-old-data",
    ] {
        assert_eq!(state_of(name), "completed", "{name}");
    }
    // The webhook reached the fixture site (410 is permanent) rather than being refused.
    let webhook = jobs
        .iter()
        .find(|j| j["name"] == "send-webhook")
        .and_then(|j| j["id"].as_str())
        .expect("webhook");
    let webhook = q
        .get_job("notifications-queue", webhook)
        .await
        .expect("job");
    assert!(
        webhook
            .failed_reason
            .as_deref()
            .is_some_and(|r| r.contains("410")),
        "{webhook:?}"
    );

    // Each backoff strategy as the browser set it, as core writes it for BullMQ.
    let defaults = q.defaults().clone();
    for (id, backoff) in [
        (
            "e2e-backoff-fixed",
            serde_json::json!({"type": "fixed", "delay": 1500}),
        ),
        (
            "e2e-backoff-exponential",
            serde_json::json!({"type": "exponential", "delay": 2000, "factor": 3.0, "maxDelay": 30000}),
        ),
        (
            "e2e-backoff-linear",
            serde_json::json!({"type": "linear", "delay": 1000, "increment": 700}),
        ),
    ] {
        let input: antrian_core::queue::JobOptionsInput =
            serde_json::from_value(serde_json::json!({"backoff": backoff, "attempts": 4}))
                .expect("options");
        let expected = antrian_core::queue::options::to_bullmq(&input, &defaults).expect("valid");
        let job = q.get_job("cleanup-queue", id).await.expect("the job");
        assert_eq!(job.state, JobState::Delayed, "{job:?}");
        assert_eq!(
            job.options["backoff"],
            serde_json::to_value(&expected.backoff).expect("json"),
            "{id}"
        );
        assert_eq!(job.options["attempts"], 4, "{id}");
    }

    // The browser's size and hand-back are in the scaling history, newest first.
    let log = antrian_core::worker::scaling_log(runtime.connection(), 2)
        .await
        .expect("scaling log");
    assert!(
        log[0].reason.contains("handed back to auto-scaling")
            && log[1].reason.contains("set by an operator")
            && log[1].to == 3,
        "{log:?}"
    );

    let partner = q
        .list_jobs("partner-feed", JobState::Waiting, 1, 10, true)
        .await
        .expect("the queue the browser created");
    assert_eq!(
        partner.total, 1,
        "only the job added after creating the queue"
    );
    assert_eq!(partner.jobs[0].data, serde_json::json!({"partner": "acme"}));

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
    // What the editor set when it made the schedule, kept through the edit.
    assert_eq!(
        schedule.job_data,
        serde_json::json!({"collections": ["products"], "olderThan": 45, "dryRun": true})
    );
    assert_eq!(
        serde_json::to_value(&schedule.options).expect("json"),
        serde_json::json!({"priority": "low", "attempts": 2, "backoff": {"type": "exponential", "delay": 2000, "factor": 3.0, "maxDelay": 60000}})
    );
    assert_eq!(schedule.limit, Some(10));
    assert_eq!(schedule.overlap, antrian_core::scheduler::Overlap::Skip);
    let (start, end) = (
        schedule.start_date.expect("a start"),
        schedule.end_date.expect("an end"),
    );
    // 2027-01-01T00:00 and 2027-12-31T23:30 in the browser's zone (UTC ± 14 h).
    let day = 14 * 3_600_000;
    assert!((start - 1_798_761_600_000).abs() <= day, "{start}");
    assert!((end - 1_830_295_800_000).abs() <= day, "{end}");
    let alert = runtime
        .handle()
        .scheduler
        .get_dynamic_schedule("high-queue-alert")
        .await
        .expect("the condition-based schedule the browser made");
    assert_eq!(
        serde_json::to_value(&alert.schedule.condition).expect("json"),
        serde_json::json!({"type": "queue_size", "queueName": "scraping-queue", "operator": ">", "threshold": 750.0}),
        "edited in place"
    );
    assert_eq!(alert.schedule.cooldown_seconds, 600);
    assert_eq!(
        alert.schedule.action.job_data["subject"],
        "Scraping backs up"
    );
    assert!(!alert.schedule.enabled, "disabled from its row");
    cancel.cancel();
    if let Some(server) = server {
        server.stopped().await;
    }
    runtime.shutdown().await;
}
