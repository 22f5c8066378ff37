//! The queue manager against a real redis-server (one per test).

use std::time::Duration;

use antrian_testkit::TestRedis;
use bullmq::options::WorkerOptions;
use bullmq::worker::WorkerEvent;
use serde_json::json;

use super::*;
use crate::connection::Connection;
use crate::error::{Error, ErrorCode};
use crate::rules::STANDARD_QUEUES;
use crate::CancellationToken;

const LIMIT: usize = 512 * 1024;

async fn manager(redis: &TestRedis) -> QueueManager {
    let conn = Connection::open(&redis.url(), "test", &CancellationToken::new(), |_| {})
        .await
        .expect("connect");
    QueueManager::new(conn, "bull", JobDefaults::default(), LIMIT)
        .await
        .expect("manager")
}

fn keys(redis: &TestRedis) -> Vec<(String, String)> {
    redis.snapshot()
}

fn opts(json: serde_json::Value) -> JobOptionsInput {
    serde_json::from_value(json).expect("options")
}

/// A plain bullmq worker's options on the test's server.
pub(super) fn worker_options(redis: &TestRedis) -> WorkerOptions {
    WorkerOptions {
        connection: bullmq::options::RedisConnectionOptions {
            url: redis.url(),
            ..Default::default()
        },
        ..Default::default()
    }
}

/// Runs a bullmq worker whose every attempt fails, until `n` attempts have failed.
async fn fail_jobs(redis: &TestRedis, queue: &str, n: usize) {
    let worker = bullmq::Worker::with_options(
        queue,
        |job: bullmq::Job, _token| async move {
            job.log("fetching the page").await?;
            Err::<serde_json::Value, _>(bullmq::Error::InvalidConfig("boom".into()))
        },
        worker_options(redis),
    )
    .await
    .expect("worker");
    let mut failed = 0;
    tokio::time::timeout(Duration::from_secs(20), async {
        while failed < n {
            if let Some(WorkerEvent::Failed { .. }) = worker.next_event().await {
                failed += 1;
            }
        }
    })
    .await
    .expect("jobs fail within 20 s");
    worker.close(5000).await.expect("close worker");
}

#[tokio::test]
async fn the_four_standard_queues_exist_from_start() {
    let redis = TestRedis::start();
    let m = manager(&redis).await;
    let names = m.queue_names().await.expect("names");
    for q in STANDARD_QUEUES {
        assert!(names.contains(&q.to_string()), "{q} missing from {names:?}");
        let exists: bool = redis::cmd("EXISTS")
            .arg(format!("bull:{q}:meta"))
            .query(&mut redis.connection())
            .expect("EXISTS");
        assert!(exists, "{q} has no BullMQ meta key");
    }
}

#[tokio::test]
async fn queues_created_by_others_are_discovered() {
    let redis = TestRedis::start();
    let m = manager(&redis).await;
    let _: () = redis::cmd("HSET")
        .arg("bull:node-made-queue:meta")
        .arg("version")
        .arg("bullmq:6.7.0")
        .query(&mut redis.connection())
        .expect("HSET");
    assert!(m
        .queue_names()
        .await
        .expect("names")
        .contains(&"node-made-queue".to_string()));
}

#[tokio::test]
async fn jobs_are_refused_on_a_queue_nobody_created_until_it_is_created() {
    let redis = TestRedis::start();
    let m = manager(&redis).await;
    let none = JobOptionsInput::default();
    let before = keys(&redis);
    let refused = |r: crate::error::Result<()>| match r {
        Err(Error::InvalidJob { field, rule }) => {
            assert_eq!(field, "queue");
            assert!(
                rule.contains("there is no queue `scrapping-queue`"),
                "{rule}"
            );
            assert!(
                rule.contains("antrian queues create scrapping-queue"),
                "{rule}"
            );
        }
        other => panic!("a typo'd queue was taken: {other:?}"),
    };
    refused(
        m.add_job("scrapping-queue", "n", json!({}), &none)
            .await
            .map(drop),
    );
    refused(
        m.add_bulk_jobs(
            "scrapping-queue",
            vec![BulkJobInput {
                name: "n".into(),
                data: json!({}),
                priority: None,
                opts: none.clone(),
            }],
        )
        .await
        .map(drop),
    );
    refused(
        m.check_new_job("scrapping-queue", "n", &json!({}), &none)
            .await,
    );
    assert_eq!(keys(&redis), before, "a refused add wrote to Redis");

    assert!(
        m.create_queue("my-queue").await.expect("create"),
        "first create is new"
    );
    assert!(
        !m.create_queue("my-queue").await.expect("again"),
        "second create changes nothing"
    );
    assert!(m
        .queue_names()
        .await
        .expect("names")
        .contains(&"my-queue".to_string()));
    m.check_new_job("my-queue", "n", &json!({}), &none)
        .await
        .expect("check");
    let added = m
        .add_job("my-queue", "n", json!({}), &none)
        .await
        .expect("add");
    assert_eq!(
        m.get_job("my-queue", &added.id).await.expect("job").name,
        "n"
    );
    assert!(matches!(
        m.create_queue("a:b").await,
        Err(Error::InvalidJob { field, .. }) if field == "queue"
    ));
}

#[tokio::test]
async fn a_queue_another_bullmq_client_made_takes_jobs() {
    let redis = TestRedis::start();
    let m = manager(&redis).await;
    let _: () = redis::cmd("HSET")
        .arg("bull:node-made-queue:meta")
        .arg("version")
        .arg("bullmq:6.7.0")
        .query(&mut redis.connection())
        .expect("HSET");
    m.add_job(
        "node-made-queue",
        "n",
        json!({}),
        &JobOptionsInput::default(),
    )
    .await
    .expect("a queue present in Redis is known");
    assert!(!m.create_queue("node-made-queue").await.expect("create"));
}

#[tokio::test]
async fn add_job_stores_the_seeds_product_scraping_job() {
    let redis = TestRedis::start();
    let m = manager(&redis).await;
    let data = json!({
        "url": "https://shopee.co.id/product/123/456",
        "accountId": "user123",
        "options": {"useProxy": true, "retryAttempts": 3}
    });
    let added = m
        .add_job(
            "scraping-queue",
            "product-scraping",
            data.clone(),
            &opts(json!({"priority": 7, "delay": 0, "attempts": 3})),
        )
        .await
        .expect("added");
    assert!(!added.duplicate);
    let job = m.get_job("scraping-queue", &added.id).await.expect("get");
    assert_eq!(job.name, "product-scraping");
    assert_eq!(job.data, data);
    assert_eq!(job.state, JobState::Waiting);
    assert_eq!(job.options["priority"], 4, "seed's 7 is BullMQ's 4");
    assert_eq!(job.options["attempts"], 3);
    let stats = m.get_queue_stats("scraping-queue").await.expect("stats");
    assert_eq!(stats.waiting, 1);
    assert!(stats.oldest_waiting_ms.is_some());
}

/// The age of the oldest waiting job, read at `stats` time, must lie between the ages at the
/// instants before and after the read.
async fn assert_oldest(m: &QueueManager, queue: &str, oldest_timestamp: u64) {
    let before = crate::now_ms();
    let stats = m.get_queue_stats(queue).await.expect("stats");
    let after = crate::now_ms();
    let age = stats.oldest_waiting_ms.expect("a waiting job");
    assert!(
        (before - oldest_timestamp..=after - oldest_timestamp).contains(&age),
        "age {age} ms, oldest added at {oldest_timestamp}, read between {before} and {after}"
    );
}

#[tokio::test]
async fn oldest_waiting_is_the_oldest_job_in_the_wait_list_or_the_prioritised_set() {
    let redis = TestRedis::start();
    let m = manager(&redis).await;
    let q = "notifications-queue";
    let stats = m.get_queue_stats(q).await.expect("stats");
    assert_eq!(stats.oldest_waiting_ms, None, "nothing waits");
    let data = json!({"to": "ops@example.com", "subject": "s", "template": "notice"});
    let low = m
        .add_job(
            q,
            "send-email",
            data.clone(),
            &opts(json!({"priority": "low"})),
        )
        .await
        .expect("low");
    let low_ts = m.get_job(q, &low.id).await.expect("get").timestamp;
    // Newer jobs (a later millisecond: the clock must move first) ahead of it by priority
    // and in the plain wait list do not hide it.
    while crate::now_ms() <= low_ts {
        tokio::task::yield_now().await;
    }
    for o in [
        json!({"priority": "critical"}),
        json!({"priority": "critical"}),
        json!({"lifo": true}),
    ] {
        m.add_job(q, "send-email", data.clone(), &opts(o))
            .await
            .expect("add");
    }
    assert_oldest(&m, q, low_ts).await;
    // Paused: jobs move to the paused list and still count.
    m.pause_queue(q).await.expect("pause");
    assert_oldest(&m, q, low_ts).await;
}

#[tokio::test]
async fn a_repeated_job_id_adds_nothing_and_says_so() {
    let redis = TestRedis::start();
    let m = manager(&redis).await;
    let o = opts(json!({"jobId": "shop-123"}));
    let first = m
        .add_job(
            "scraping-queue",
            "shop-scraping",
            json!({"shopUrl": "a"}),
            &o,
        )
        .await
        .expect("first");
    let second = m
        .add_job(
            "scraping-queue",
            "shop-scraping",
            json!({"shopUrl": "b"}),
            &o,
        )
        .await
        .expect("second");
    assert_eq!((first.id.as_str(), first.duplicate), ("shop-123", false));
    assert_eq!((second.id.as_str(), second.duplicate), ("shop-123", true));
    assert_eq!(
        m.get_job("scraping-queue", "shop-123")
            .await
            .expect("get")
            .data["shopUrl"],
        "a"
    );
    assert_eq!(
        m.get_queue_stats("scraping-queue")
            .await
            .expect("stats")
            .waiting,
        1
    );
}

#[tokio::test]
async fn add_bulk_takes_the_seeds_form_and_delays_count_as_delayed() {
    let redis = TestRedis::start();
    let m = manager(&redis).await;
    let jobs: Vec<BulkJobInput> = serde_json::from_value(json!([
        {"name": "product-scraping", "data": {"url": "https://shopee.co.id/product/1/123"}, "priority": 5},
        {"name": "product-scraping", "data": {"url": "https://shopee.co.id/product/2/456"}, "priority": 5},
        {"name": "product-scraping", "data": {"url": "https://shopee.co.id/product/3/789"}, "opts": {"delay": 60000}},
    ]))
    .expect("bulk JSON");
    let added = m.add_bulk_jobs("scraping-queue", jobs).await.expect("bulk");
    assert_eq!(added.len(), 3);
    let stats = m.get_queue_stats("scraping-queue").await.expect("stats");
    assert_eq!((stats.waiting, stats.delayed), (2, 1));
    assert_eq!(m.promote_jobs("scraping-queue").await.expect("promote"), 1);
    assert_eq!(
        m.get_queue_stats("scraping-queue")
            .await
            .expect("stats")
            .waiting,
        3
    );
}

#[tokio::test]
async fn pause_and_resume_show_in_stats() {
    let redis = TestRedis::start();
    let m = manager(&redis).await;
    m.pause_queue("cleanup-queue").await.expect("pause");
    assert!(
        m.get_queue_stats("cleanup-queue")
            .await
            .expect("stats")
            .is_paused
    );
    m.resume_queue("cleanup-queue").await.expect("resume");
    assert!(
        !m.get_queue_stats("cleanup-queue")
            .await
            .expect("stats")
            .is_paused
    );
    let paused = m.pause_all().await.expect("pause all");
    assert!(paused.len() >= 4);
    for s in m.get_all_queue_stats().await.expect("all") {
        assert!(s.is_paused, "{} not paused", s.name);
    }
    m.resume_all().await.expect("resume all");
}

#[test]
fn a_listing_order_is_newest_or_oldest() {
    assert_eq!(QueueManager::oldest_first(None).ok(), Some(false));
    assert_eq!(QueueManager::oldest_first(Some("newest")).ok(), Some(false));
    assert_eq!(QueueManager::oldest_first(Some("oldest")).ok(), Some(true));
    let e = QueueManager::oldest_first(Some("sideways")).expect_err("refused");
    assert_eq!(e.code(), ErrorCode::InvalidInput);
    assert!(
        e.to_string()
            .contains("order: `sideways` must be newest or oldest"),
        "{e}"
    );
}

#[tokio::test]
async fn list_jobs_pages_newest_or_oldest_first() {
    let redis = TestRedis::start();
    let m = manager(&redis).await;
    let mut ids = Vec::new();
    for n in 0..5 {
        ids.push(
            m.add_job(
                "notifications-queue",
                "send-email",
                json!({"n": n}),
                &JobOptionsInput::default(),
            )
            .await
            .expect("add")
            .id,
        );
    }
    let newest = m
        .list_jobs("notifications-queue", JobState::Waiting, 1, 2, false)
        .await
        .expect("page");
    assert_eq!(newest.total, 5);
    assert_eq!(
        newest
            .jobs
            .iter()
            .map(|j| j.data["n"].clone())
            .collect::<Vec<_>>(),
        [json!(4), json!(3)]
    );
    let oldest = m
        .list_jobs("notifications-queue", JobState::Waiting, 1, 2, true)
        .await
        .expect("page");
    assert_eq!(
        oldest
            .jobs
            .iter()
            .map(|j| j.data["n"].clone())
            .collect::<Vec<_>>(),
        [json!(0), json!(1)]
    );
    let last = m
        .list_jobs("notifications-queue", JobState::Waiting, 3, 2, true)
        .await
        .expect("page");
    assert_eq!(last.jobs.len(), 1);
}

#[tokio::test]
async fn failed_jobs_show_their_reason_and_can_be_retried_and_cleaned() {
    let redis = TestRedis::start();
    let m = manager(&redis).await;
    let one = opts(json!({"attempts": 1}));
    let a = m
        .add_job(
            "data-processing-queue",
            "validate-data",
            json!({"data": []}),
            &one,
        )
        .await
        .expect("a");
    m.add_job(
        "data-processing-queue",
        "validate-data",
        json!({"data": []}),
        &one,
    )
    .await
    .expect("b");
    fail_jobs(&redis, "data-processing-queue", 2).await;

    let job = m
        .get_job("data-processing-queue", &a.id)
        .await
        .expect("get");
    assert_eq!(job.state, JobState::Failed);
    assert!(
        job.failed_reason
            .as_deref()
            .is_some_and(|r| r.contains("boom")),
        "{job:?}"
    );
    let stats = m
        .get_queue_stats("data-processing-queue")
        .await
        .expect("stats");
    assert_eq!((stats.failed, stats.failed_last_minute), (2, 2));

    m.retry_job("data-processing-queue", &a.id)
        .await
        .expect("retry");
    assert_eq!(
        m.get_job("data-processing-queue", &a.id)
            .await
            .expect("get")
            .state,
        JobState::Waiting
    );
    let conflict = m
        .retry_job("data-processing-queue", &a.id)
        .await
        .expect_err("not failed");
    assert_eq!(conflict.code(), ErrorCode::Conflict);
    assert!(
        conflict.to_string().contains("is waiting, not failed"),
        "{conflict}"
    );

    let cleaned = m
        .clean_queue(
            "data-processing-queue",
            &CleanOptions {
                failed: true,
                ..Default::default()
            },
        )
        .await
        .expect("clean");
    assert_eq!(cleaned, 1);
    assert_eq!(
        m.retry_all_failed("data-processing-queue")
            .await
            .expect("retry all"),
        0
    );
}

#[tokio::test]
async fn retry_all_failed_moves_every_failed_job_back() {
    let redis = TestRedis::start();
    let m = manager(&redis).await;
    let one = opts(json!({"attempts": 1}));
    for _ in 0..3 {
        m.add_job(
            "cleanup-queue",
            "cleanup-temp-files",
            json!({"directories": ["./temp"]}),
            &one,
        )
        .await
        .expect("add");
    }
    fail_jobs(&redis, "cleanup-queue", 3).await;
    assert_eq!(
        m.retry_all_failed("cleanup-queue")
            .await
            .expect("retry all"),
        3
    );
    let stats = m.get_queue_stats("cleanup-queue").await.expect("stats");
    assert_eq!((stats.failed, stats.waiting), (0, 3));
}

#[tokio::test]
async fn remove_job_deletes_it_and_unknown_ids_are_not_found() {
    let redis = TestRedis::start();
    let m = manager(&redis).await;
    let a = m
        .add_job(
            "scraping-queue",
            "product-scraping",
            json!({"url": "x"}),
            &JobOptionsInput::default(),
        )
        .await
        .expect("add");
    m.remove_job("scraping-queue", &a.id).await.expect("remove");
    for result in [
        m.get_job("scraping-queue", &a.id).await.map(|_| ()),
        m.remove_job("scraping-queue", "nope").await,
        m.retry_job("scraping-queue", "nope").await,
    ] {
        let e = result.expect_err("gone");
        assert_eq!(e.code(), ErrorCode::NotFound, "{e}");
    }
}

#[tokio::test]
async fn promote_job_runs_a_delayed_job_now_and_refuses_others() {
    let redis = TestRedis::start();
    let m = manager(&redis).await;
    let q = "notifications-queue";
    let data = json!({"to": "ops@example.com", "subject": "s", "template": "notice"});
    let later = m
        .add_job(
            q,
            "send-email",
            data.clone(),
            &opts(json!({"delay": 3_600_000})),
        )
        .await
        .expect("delayed");
    let now = m
        .add_job(q, "send-email", data, &JobOptionsInput::default())
        .await
        .expect("waiting");
    assert_eq!(
        m.get_job(q, &later.id).await.expect("get").state,
        JobState::Delayed
    );
    m.promote_job(q, &later.id).await.expect("promote");
    assert_eq!(
        m.get_job(q, &later.id).await.expect("get").state,
        JobState::Waiting
    );
    let stats = m.get_queue_stats(q).await.expect("stats");
    assert_eq!((stats.delayed, stats.waiting), (0, 2));
    for (id, code) in [
        (now.id.as_str(), ErrorCode::Conflict),
        ("nope", ErrorCode::NotFound),
    ] {
        let e = m.promote_job(q, id).await.expect_err("refused");
        assert_eq!(e.code(), code, "{e}");
    }
    let e = m.promote_job(q, &now.id).await.expect_err("refused");
    assert!(e.to_string().contains("is waiting, not delayed"), "{e}");
}

#[tokio::test]
async fn update_job_data_edits_jobs_no_worker_holds_and_refuses_the_rest() {
    let redis = TestRedis::start();
    let m = manager(&redis).await;
    let q = "scraping-queue";
    let url = |n: u32| json!({"url": format!("https://shop.example/p/{n}")});
    let waiting = m
        .add_job(q, "scrape-product", url(1), &JobOptionsInput::default())
        .await
        .expect("add");
    m.update_job_data(q, &waiting.id, url(2))
        .await
        .expect("update a waiting job");
    assert_eq!(m.get_job(q, &waiting.id).await.expect("get").data, url(2));

    // Refused data leaves the job as it was.
    m.set_job_check(std::sync::Arc::new(
        |_q: &str, _name: &str, data: &serde_json::Value| match data["url"].as_str() {
            Some(u) if u.starts_with("https://") => Ok(()),
            _ => Err("url: must be an http(s) URL".to_string().into()),
        },
    ));
    let before = keys(&redis);
    for (bad, says) in [
        (json!({"url": "ftp://x"}), "url: must be an http(s) URL"),
        (json!([1, 2]), "must be a JSON object"),
        (json!({"blob": "x".repeat(LIMIT)}), "over the limit"),
    ] {
        let e = m
            .update_job_data(q, &waiting.id, bad)
            .await
            .expect_err("refused");
        assert_eq!(e.code(), ErrorCode::InvalidInput, "{e}");
        assert!(e.to_string().contains(says), "{e}");
    }
    assert_eq!(keys(&redis), before, "nothing was written");
    let e = m
        .update_job_data(q, "nope", url(3))
        .await
        .expect_err("unknown id");
    assert_eq!(e.code(), ErrorCode::NotFound);

    // A job a worker holds keeps its data; once it completed, too.
    let (release, released) = tokio::sync::oneshot::channel::<()>();
    let released = std::sync::Arc::new(tokio::sync::Mutex::new(Some(released)));
    let worker = bullmq::Worker::with_options(
        q,
        move |_job: bullmq::Job, _token| {
            let released = released.clone();
            async move {
                if let Some(rx) = released.lock().await.take() {
                    let _ = rx.await;
                }
                Ok::<_, bullmq::Error>(json!({}))
            }
        },
        worker_options(&redis),
    )
    .await
    .expect("worker");
    let wait_for = |want: &'static str| {
        let worker = &worker;
        async move {
            tokio::time::timeout(Duration::from_secs(20), async {
                loop {
                    match worker.next_event().await {
                        Some(WorkerEvent::Active { .. }) if want == "active" => return,
                        Some(WorkerEvent::Completed { .. }) if want == "completed" => return,
                        Some(_) => {}
                        None => panic!("worker closed"),
                    }
                }
            })
            .await
            .unwrap_or_else(|_| panic!("no {want} event within 20 s"));
        }
    };
    wait_for("active").await;
    let e = m
        .update_job_data(q, &waiting.id, url(4))
        .await
        .expect_err("active");
    assert_eq!(e.code(), ErrorCode::Conflict);
    assert!(e.to_string().contains("is active"), "{e}");
    release.send(()).expect("release");
    wait_for("completed").await;
    let e = m
        .update_job_data(q, &waiting.id, url(5))
        .await
        .expect_err("completed");
    assert!(e.to_string().contains("has completed"), "{e}");
    worker.close(5000).await.expect("close worker");
    assert_eq!(m.get_job(q, &waiting.id).await.expect("get").data, url(2));
}

/// Every rejected call names the field and the rule and leaves Redis exactly as it was.
#[tokio::test]
async fn bad_input_is_rejected_and_redis_is_unchanged() {
    let redis = TestRedis::start();
    let m = manager(&redis).await;
    m.add_job(
        "scraping-queue",
        "product-scraping",
        json!({"url": "x"}),
        &JobOptionsInput::default(),
    )
    .await
    .expect("a job to retry");
    let before = keys(&redis);
    let big = json!({"blob": "x".repeat(LIMIT)});
    let none = JobOptionsInput::default();
    let cases: Vec<(&str, Result<(), Error>, &str)> = vec![
        (
            "empty queue",
            m.add_job("", "n", json!({}), &none).await.map(|_| ()),
            "queue",
        ),
        (
            "queue with colon",
            m.add_job("a:b", "n", json!({}), &none).await.map(|_| ()),
            "queue",
        ),
        (
            "queue with space",
            m.get_queue_stats("my queue").await.map(|_| ()),
            "queue",
        ),
        (
            "queue with a path",
            m.add_job("../../etc", "n", json!({}), &none)
                .await
                .map(|_| ()),
            "queue",
        ),
        (
            "queue of dots",
            m.add_job("..", "n", json!({}), &none).await.map(|_| ()),
            "queue",
        ),
        (
            "empty job name",
            m.add_job("scraping-queue", " ", json!({}), &none)
                .await
                .map(|_| ()),
            "name",
        ),
        (
            "data not an object",
            m.add_job("scraping-queue", "n", json!([1, 2]), &none)
                .await
                .map(|_| ()),
            "data",
        ),
        (
            "data a string",
            m.add_job("scraping-queue", "n", json!("x"), &none)
                .await
                .map(|_| ()),
            "data",
        ),
        (
            "data too big",
            m.add_job("scraping-queue", "n", big, &none)
                .await
                .map(|_| ()),
            "data",
        ),
        (
            "priority 11",
            m.add_job(
                "scraping-queue",
                "n",
                json!({}),
                &opts(json!({"priority": 11})),
            )
            .await
            .map(|_| ()),
            "priority",
        ),
        (
            "unknown level",
            m.add_job(
                "scraping-queue",
                "n",
                json!({}),
                &opts(json!({"priority": "urgent"})),
            )
            .await
            .map(|_| ()),
            "priority",
        ),
        (
            "negative delay",
            m.add_job(
                "scraping-queue",
                "n",
                json!({}),
                &opts(json!({"delay": -1})),
            )
            .await
            .map(|_| ()),
            "delay",
        ),
        (
            "attempts 0",
            m.add_job(
                "scraping-queue",
                "n",
                json!({}),
                &opts(json!({"attempts": 0})),
            )
            .await
            .map(|_| ()),
            "attempts",
        ),
        (
            "attempts 101",
            m.add_job(
                "scraping-queue",
                "n",
                json!({}),
                &opts(json!({"attempts": 101})),
            )
            .await
            .map(|_| ()),
            "attempts",
        ),
        (
            "negative backoff",
            m.add_job(
                "scraping-queue",
                "n",
                json!({}),
                &opts(json!({"backoff": {"type": "fixed", "delay": -5}})),
            )
            .await
            .map(|_| ()),
            "backoff.delay",
        ),
        (
            "empty bulk",
            m.add_bulk_jobs("scraping-queue", vec![]).await.map(|_| ()),
            "jobs",
        ),
        (
            "one bad bulk entry",
            m.add_bulk_jobs(
                "scraping-queue",
                serde_json::from_value(
                    json!([{"name": "ok", "data": {}}, {"name": "bad", "data": 5}]),
                )
                .expect("bulk"),
            )
            .await
            .map(|_| ()),
            "jobs[1].data",
        ),
        (
            "retry waiting job",
            m.retry_job("scraping-queue", "1").await,
            "conflict",
        ),
        (
            "unknown job",
            m.retry_job("scraping-queue", "999").await,
            "not_found",
        ),
        (
            "clean nothing",
            m.clean_queue("scraping-queue", &CleanOptions::default())
                .await
                .map(|_| ()),
            "clean",
        ),
        (
            "page 0",
            m.list_jobs("scraping-queue", JobState::Waiting, 0, 10, false)
                .await
                .map(|_| ()),
            "page",
        ),
        (
            "page size 0",
            m.list_jobs("scraping-queue", JobState::Waiting, 1, 0, false)
                .await
                .map(|_| ()),
            "pageSize",
        ),
        (
            "stats of a queue that does not exist",
            m.get_queue_stats("scraping-queu").await.map(|_| ()),
            "not_found",
        ),
        (
            "pause a queue that does not exist",
            m.pause_queue("no-such-queue").await,
            "not_found",
        ),
    ];
    for (case, result, field) in cases {
        let e = result.expect_err(case);
        match &e {
            Error::InvalidJob { field: f, .. } => assert_eq!(f, field, "{case}: {e}"),
            Error::Conflict(_) => assert_eq!(field, "conflict", "{case}: {e}"),
            Error::NotFound { .. } => assert_eq!(field, "not_found", "{case}: {e}"),
            other => panic!("{case}: unexpected {other}"),
        }
    }
    assert_eq!(keys(&redis), before, "a rejected call changed Redis");
    assert!(
        serde_json::from_value::<CleanOptions>(json!({"completed": true, "stalled": true}))
            .is_err(),
        "unknown clean state"
    );
    assert!(JobState::parse("sleeping").is_none());
}

mod events;

fn filter(name: Option<&str>, field: Option<&str>, text: Option<&str>) -> JobFilter {
    JobFilter {
        name: name.map(String::from),
        field: field.map(String::from),
        text: text.map(String::from),
    }
}

/// Adds `n` jobs to `queue`: even ones `product-scraping` on shop-a for user1, odd ones
/// `shop-scraping` on shop-b for user2; `opts` for all.
async fn add_mixed(
    m: &QueueManager,
    queue: &str,
    n: usize,
    opts: serde_json::Value,
) -> Vec<String> {
    let jobs: Vec<BulkJobInput> = (0..n)
        .map(|i| {
            let (name, shop, account) = if i % 2 == 0 {
                ("product-scraping", "shop-a", "user1")
            } else {
                ("shop-scraping", "shop-b", "user2")
            };
            serde_json::from_value(json!({
                "name": name,
                "data": {"url": format!("https://{shop}.example/p/{i}"), "accountId": account, "options": {"useProxy": i % 3 == 0}},
                "opts": opts,
            }))
            .expect("job")
        })
        .collect();
    m.add_bulk_jobs(queue, jobs)
        .await
        .expect("add")
        .into_iter()
        .map(|a| a.id)
        .collect()
}

#[tokio::test]
async fn find_jobs_filters_by_name_and_data_fields_and_pages_the_matches() {
    let redis = TestRedis::start();
    let m = manager(&redis).await;
    let q = "scraping-queue";
    let ids = add_mixed(&m, q, 30, json!({})).await;
    let find = |f: JobFilter, page: u32, size: u32, oldest: bool| {
        let m = &m;
        async move {
            m.find_jobs(q, JobState::Waiting, &f, page, size, oldest)
                .await
                .expect("find")
        }
    };
    let page_ids = |p: &JobPage| p.jobs.iter().map(|j| j.id.clone()).collect::<Vec<_>>();

    // By name: the 15 product jobs, newest first, in pages of 4.
    let first = find(filter(Some("product-scraping"), None, None), 1, 4, false).await;
    assert_eq!(first.total, 15);
    assert_eq!(
        first.search,
        Some(SearchScope {
            scanned: 30,
            complete: true
        })
    );
    let evens: Vec<String> = ids.iter().step_by(2).rev().cloned().collect();
    assert_eq!(page_ids(&first), evens[..4]);
    let fourth = find(filter(Some("product-scraping"), None, None), 4, 4, false).await;
    assert_eq!(page_ids(&fourth), evens[12..], "the last, short page");
    let oldest = find(filter(Some("product-scraping"), None, None), 1, 2, true).await;
    assert_eq!(page_ids(&oldest), [ids[0].clone(), ids[2].clone()]);

    // By a data field (named with spaces around it too), ignoring case; by a nested one;
    // anywhere in the data.
    assert_eq!(
        find(filter(None, Some(" url "), Some("Shop-B")), 1, 50, false)
            .await
            .total,
        15
    );
    assert_eq!(
        find(filter(None, Some("url"), Some("SHOP-B")), 1, 50, false)
            .await
            .total,
        15
    );
    assert_eq!(
        find(filter(None, Some("accountId"), Some("user1")), 1, 50, false)
            .await
            .total,
        15
    );
    assert_eq!(
        find(
            filter(None, Some("options.useProxy"), Some("true")),
            1,
            50,
            false
        )
        .await
        .total,
        10
    );
    assert_eq!(
        find(filter(None, Some("shopId"), Some("x")), 1, 50, false)
            .await
            .total,
        0,
        "no such field"
    );
    let both = find(
        filter(Some("shop-scraping"), None, Some("/p/29")),
        1,
        50,
        false,
    )
    .await;
    assert_eq!(page_ids(&both), [ids[29].clone()]);
    assert_eq!(both.jobs[0].data["accountId"], "user2");

    // No filter: the plain listing, with its exact total.
    let plain = find(filter(None, Some(" "), Some("")), 1, 5, false).await;
    assert_eq!((plain.total, plain.search), (30, None));

    // Bad filters are refused, naming the part.
    let before = keys(&redis);
    for (f, says) in [
        (
            filter(None, Some("url;drop"), Some("x")),
            "not a data field",
        ),
        (filter(None, Some("a..b"), Some("x")), "not a data field"),
        (filter(None, None, Some(&"x".repeat(501))), "text"),
    ] {
        let e = m
            .find_jobs(q, JobState::Waiting, &f, 1, 10, false)
            .await
            .expect_err("refused");
        assert_eq!(e.code(), ErrorCode::InvalidInput, "{e}");
        assert!(e.to_string().contains(says), "{e}");
    }
    assert_eq!(keys(&redis), before);
}

/// A batch reaches the queue in the order given, as Node.js's `addBulk` (a transaction)
/// does, also when Redis has not cached the add scripts (a fresh or restarted server):
/// job ids are handed out as the jobs are added, so they rise in the batch's order.
#[tokio::test]
async fn a_bulk_add_keeps_its_order_on_a_redis_without_the_scripts() {
    let redis = TestRedis::start();
    let m = manager(&redis).await;
    let mut conn = redis.connection();
    for round in 0..5 {
        let _: () = redis::cmd("SCRIPT")
            .arg("FLUSH")
            .query(&mut conn)
            .expect("SCRIPT FLUSH");
        let ids: Vec<u64> = add_mixed(&m, "scraping-queue", 1000, json!({}))
            .await
            .iter()
            .map(|id| id.parse().expect("a numeric id"))
            .collect();
        let out_of_order = ids.windows(2).position(|w| w[0] >= w[1]);
        assert_eq!(out_of_order, None, "round {round}: {ids:?}");
    }
}

#[tokio::test]
async fn a_search_reads_at_most_max_scan_jobs_and_says_so() {
    let redis = TestRedis::start();
    let m = manager(&redis).await;
    let q = "cleanup-queue";
    let n = MAX_SCAN as usize + 40;
    for chunk in 0..(n / 1000 + 1) {
        let size = 1000.min(n - chunk * 1000);
        if size > 0 {
            add_mixed(&m, q, size, json!({})).await;
        }
    }
    let page = m
        .find_jobs(
            q,
            JobState::Waiting,
            &filter(None, None, Some("shop-a")),
            1,
            10,
            false,
        )
        .await
        .expect("find");
    assert_eq!(
        page.search,
        Some(SearchScope {
            scanned: u64::from(MAX_SCAN),
            complete: false
        })
    );
    assert_eq!(page.total, u64::from(MAX_SCAN) / 2);
    assert_eq!(page.jobs.len(), 10);
}

#[tokio::test]
async fn act_on_matching_promotes_or_removes_every_match_and_names_what_it_skipped() {
    let redis = TestRedis::start();
    let m = manager(&redis).await;
    let q = "scraping-queue";
    add_mixed(&m, q, 8, json!({"delay": 3_600_000})).await;
    let shop_a = filter(None, Some("url"), Some("shop-a"));

    // Retry applies to failed jobs only: each delayed match is skipped, with why.
    let refused = m
        .act_on_matching(q, JobState::Delayed, &shop_a, BulkAction::Retry)
        .await
        .expect("retry");
    assert_eq!(
        (refused.matched, refused.done, refused.skipped.len()),
        (4, 0, 4)
    );
    assert!(refused.skipped[0].contains("not failed"), "{refused:?}");

    let promoted = m
        .act_on_matching(q, JobState::Delayed, &shop_a, BulkAction::Promote)
        .await
        .expect("promote");
    assert_eq!((promoted.matched, promoted.done), (4, 4));
    let stats = m.get_queue_stats(q).await.expect("stats");
    assert_eq!((stats.delayed, stats.waiting), (4, 4));

    let removed = m
        .act_on_matching(
            q,
            JobState::Delayed,
            &filter(Some("shop-scraping"), None, None),
            BulkAction::Remove,
        )
        .await
        .expect("remove");
    assert_eq!((removed.done, removed.search.complete), (4, true));
    let stats = m.get_queue_stats(q).await.expect("stats");
    assert_eq!((stats.delayed, stats.waiting), (0, 4));
}

#[tokio::test]
async fn changes_made_for_someone_are_in_the_audit_log_newest_first_and_capped() {
    use crate::audit::{self, Actor, AuditAction, Via, AUDIT_LOG_LEN};
    let redis = TestRedis::start();
    let m = manager(&redis).await;
    let q = "scraping-queue";
    let ids = add_mixed(&m, q, 6, json!({"delay": 3_600_000})).await;
    let ana = Actor {
        via: Via::Desktop,
        who: "ana@ops".into(),
    };
    let bob = Actor::dashboard("admin", "10.0.0.7".parse().expect("an address"));

    m.by(ana.clone())
        .remove_job(q, &ids[0])
        .await
        .expect("remove");
    let promoted = m
        .by(bob.clone())
        .act_on_matching(
            q,
            JobState::Delayed,
            &filter(None, Some("url"), Some("shop-a")),
            BulkAction::Promote,
        )
        .await
        .expect("promote");
    assert_eq!(promoted.done, 2);
    m.by(ana.clone()).pause_queue(q).await.expect("pause");
    // What fails changes nothing and is not recorded; an action on no job is not either.
    assert!(m
        .by(ana.clone())
        .remove_job(q, "no-such-job")
        .await
        .is_err());
    assert_eq!(
        m.by(ana.clone()).retry_all_failed(q).await.expect("retry"),
        0
    );

    let log = audit::recent(&m.conn, 10).await.expect("log");
    let seen: Vec<_> = log
        .iter()
        .map(|e| (e.actor.clone(), e.action, e.count, e.summary.as_str()))
        .collect();
    assert_eq!(
        seen,
        vec![
            (ana.clone(), AuditAction::Pause, 0, "paused scraping-queue"),
            (
                bob,
                AuditAction::Promote,
                2,
                "promoted 2 delayed jobs whose url contains \"shop-a\" in scraping-queue"
            ),
            (
                ana.clone(),
                AuditAction::Remove,
                1,
                &*format!("removed job {} from scraping-queue", ids[0])
            ),
        ]
    );

    // Bounded: the oldest entries go.
    for _ in 0..AUDIT_LOG_LEN {
        m.by(ana.clone()).resume_queue(q).await.expect("resume");
    }
    let all = audit::recent(&m.conn, AUDIT_LOG_LEN).await.expect("log");
    assert_eq!(all.len(), AUDIT_LOG_LEN);
    assert!(all.iter().all(|e| e.action == AuditAction::Resume));
    let err = audit::recent(&m.conn, AUDIT_LOG_LEN + 1)
        .await
        .expect_err("more than is kept");
    assert!(err.to_string().contains("ask for 1 to 1000"), "{err}");
}

#[tokio::test]
async fn every_failed_attempt_keeps_its_error() {
    let redis = TestRedis::start();
    let m = manager(&redis).await;
    let q = "data-processing-queue";
    let added = m
        .add_job(
            q,
            "validate-data",
            json!({"data": []}),
            &opts(json!({"attempts": 3, "backoff": {"type": "fixed", "delay": 0}})),
        )
        .await
        .expect("add");
    fail_jobs(&redis, q, 3).await;

    let job = m.get_job(q, &added.id).await.expect("get");
    assert_eq!((job.state, job.attempts_made), (JobState::Failed, 3));
    // The engine's `stacktrace` list holds one entry per failed attempt, oldest first,
    // as Node.js BullMQ keeps it; the page shows each attempt's error from it.
    assert_eq!(job.stacktrace.len(), 3, "{:?}", job.stacktrace);
    assert!(job.stacktrace.iter().all(|t| t.contains("boom")), "{job:?}");
    assert_eq!(job.logs, vec!["fetching the page"; 3]);
}
