//! Alerts from a running runtime against a test-owned redis-server: final failures grouped
//! with a cooldown and summarised, the connection lost and regained, health degrading
//! (an evicting `maxmemory-policy`) and a condition-based schedule firing.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use antrian_core::alerts::{self, Alert, AlertKind, AlertPrefs};
use antrian_core::config::{Config, LoadOptions};
use antrian_core::queue::{JobOptionsInput, QueueEvent};
use antrian_core::runtime::{Services, WorkerPlan};
use antrian_core::worker::{handler_fn, JobContext, JobError, Registry, WorkerType};
use antrian_core::{CancellationToken, Runtime};
use antrian_testkit::TestRedis;
use serde_json::json;
use tokio::sync::{mpsc, watch};

const WAIT: Duration = Duration::from_secs(20);

fn config(redis: &TestRedis, dir: &std::path::Path) -> Config {
    let env: HashMap<String, String> = [
        ("REDIS_URL", redis.url()),
        ("ANTRIAN_DATA_DIR", dir.display().to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    Config::load(&LoadOptions {
        env,
        ..Default::default()
    })
    .expect("config")
}

async fn next_alert(rx: &mut mpsc::Receiver<Alert>, what: &str) -> Alert {
    tokio::time::timeout(WAIT, rx.recv())
        .await
        .unwrap_or_else(|_| panic!("no alert ({what}) within {WAIT:?}"))
        .expect("the watcher runs")
}

#[tokio::test]
async fn final_failures_notify_once_per_group_then_summarise_and_the_connection_is_watched() {
    let mut redis = TestRedis::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let config = config(&redis, dir.path());
    let board = Runtime::status_board(&config);
    let cancel = CancellationToken::new();
    let mut rt = Runtime::start(config, board, cancel.clone(), Services::Full)
        .await
        .expect("runtime");
    let mut registry = Registry::new();
    registry.register(
        WorkerType::Scraping,
        "scrape-product",
        handler_fn(|ctx: JobContext| async move {
            let url = ctx.data()["url"].as_str().unwrap_or_default().to_string();
            Err::<serde_json::Value, _>(JobError::discard(format!(
                "{url}: HTTP 429 Too Many Requests"
            )))
        }),
    );
    rt.start_workers(registry, &WorkerPlan::default())
        .await
        .expect("workers");

    let cooldown = Duration::from_secs(3);
    let (prefs_tx, prefs_rx) = watch::channel(AlertPrefs {
        cooldown_secs: 3,
        ..AlertPrefs::default()
    });
    let (tx, mut rx) = mpsc::channel(64);
    tokio::spawn(alerts::watch(rt.handle(), prefs_rx, tx, cancel.clone()));
    let mut events = rt.events().subscribe();
    let add = |n: u32| {
        let queues = rt.queues().clone();
        async move {
            queues
                .add_job(
                    "scraping-queue",
                    "scrape-product",
                    json!({"url": format!("https://shop.example/p/{n}")}),
                    &JobOptionsInput::default(),
                )
                .await
                .expect("add")
                .id
        }
    };

    let first_id = add(0).await;
    let first = next_alert(&mut rx, "the first failure").await;
    let opened = Instant::now();
    assert_eq!(first.kind, AlertKind::Failures);
    assert_eq!(
        first.title,
        "scrape-product on shop.example failed: HTTP 429 Too Many Requests"
    );
    assert!(
        first.body.contains(&format!("job {first_id}")),
        "{}",
        first.body
    );
    assert!(first.link.as_deref().is_some_and(|l| l.starts_with(
        "#/queues/scraping-queue?state=failed&name=scrape-product&text=shop.example"
    )));

    // Twenty more in the same group, inside the cooldown: counted, not notified.
    for n in 1..=20 {
        add(n).await;
    }
    let mut failed = 0;
    while failed < 20 {
        match events
            .recv_matching(WAIT, |e| {
                matches!(e, QueueEvent::JobFailed { is_final: true, .. })
            })
            .await
        {
            Some(_) => failed += 1,
            None => panic!("only {failed} of 20 jobs failed within {WAIT:?}"),
        }
    }
    assert!(
        opened.elapsed() < cooldown,
        "the twenty failed inside the cooldown (took {:?}); make it longer",
        opened.elapsed()
    );
    // The next alert is the summary, when the cooldown ends: no other came before it.
    let summary = next_alert(&mut rx, "the summary").await;
    assert_eq!(
        summary.title,
        "21 scrape-product jobs failed on shop.example: HTTP 429 Too Many Requests"
    );
    assert!(
        summary.body.contains("20 in the last 3 s"),
        "{}",
        summary.body
    );
    assert!(
        opened.elapsed() >= cooldown - Duration::from_millis(100),
        "the summary waited for the cooldown ({:?})",
        opened.elapsed()
    );

    // A muted queue does not silence connection alerts.
    prefs_tx.send_modify(|p| p.muted_queues = vec!["scraping-queue".into()]);
    redis.kill();
    let lost = next_alert(&mut rx, "connection lost").await;
    assert_eq!(lost.kind, AlertKind::Connection);
    assert_eq!(lost.title, "Redis connection lost");
    redis.restart();
    let regained = next_alert(&mut rx, "connection regained").await;
    assert_eq!(regained.title, "Redis connection regained");

    cancel.cancel();
    rt.shutdown().await;
}

#[tokio::test]
async fn health_getting_worse_and_a_condition_schedule_firing_notify() {
    let redis = TestRedis::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let env: HashMap<String, String> = [
        ("REDIS_URL", redis.url()),
        ("ANTRIAN_DATA_DIR", dir.path().display().to_string()),
        ("QUEUE_HEALTH_INTERVAL", "1000".to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    let config = Config::load(&LoadOptions {
        env,
        ..Default::default()
    })
    .expect("config");
    let board = Runtime::status_board(&config);
    let cancel = CancellationToken::new();
    let rt = Runtime::start(config, board, cancel.clone(), Services::Full)
        .await
        .expect("runtime");
    let (_prefs, prefs_rx) = watch::channel(AlertPrefs::default());
    let (tx, mut rx) = mpsc::channel(64);
    tokio::spawn(alerts::watch(rt.handle(), prefs_rx, tx, cancel.clone()));

    // Redis may now drop jobs to make room: health degrades, once.
    let mut conn = redis.connection();
    let _: () = redis::cmd("CONFIG")
        .arg("SET")
        .arg("maxmemory-policy")
        .arg("allkeys-lru")
        .query(&mut conn)
        .expect("config set");
    let health = next_alert(&mut rx, "health degraded").await;
    assert_eq!(health.kind, AlertKind::Health);
    assert_eq!(health.title, "Antrian is degraded");
    assert!(health.body.contains("allkeys-lru"), "{}", health.body);

    // A condition-based schedule fires: its alert names it and links to the job it added.
    let input = serde_json::from_value(json!({
        "name": "high-queue-alert",
        "condition": {"type": "queue_size", "queueName": "watched-queue", "operator": ">", "threshold": 0},
        "action": {"jobName": "send-email", "queueName": "notifications-queue",
                   "jobData": {"to": "admin@example.com", "subject": "High queue"}},
    }))
    .expect("dynamic schedule");
    let handle = rt.handle();
    handle
        .scheduler
        .add_dynamic_schedule(input)
        .await
        .expect("add");
    rt.queues()
        .create_queue("watched-queue")
        .await
        .expect("create");
    rt.queues()
        .add_job("watched-queue", "x", json!({}), &JobOptionsInput::default())
        .await
        .expect("add");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_millis();
    let fired = handle
        .scheduler
        .evaluate(i64::try_from(now).expect("ms"))
        .await
        .expect("evaluate");
    assert_eq!(fired, ["high-queue-alert"]);
    let alert = next_alert(&mut rx, "the schedule fired").await;
    assert_eq!(alert.kind, AlertKind::Schedules);
    assert_eq!(alert.title, "Schedule high-queue-alert fired");
    assert!(alert
        .link
        .as_deref()
        .is_some_and(|l| l.starts_with("#/queues/notifications-queue/jobs/")));

    cancel.cancel();
    rt.shutdown().await;
}
