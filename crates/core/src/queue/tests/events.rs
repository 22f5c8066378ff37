//! Queue events against a real redis-server: names, sources, lag.

use std::time::Duration;

use antrian_testkit::TestRedis;
use serde_json::json;

use super::super::*;
use super::{fail_jobs, manager, opts};
use crate::connection::Connection;
use crate::CancellationToken;

async fn hub(redis: &TestRedis, m: &QueueManager) -> EventHub {
    let conn = Connection::open(&redis.url(), "test", &CancellationToken::new(), |_| {})
        .await
        .expect("connect");
    let hub = EventHub::new(conn, "bull");
    for q in m.queue_names().await.expect("names") {
        hub.watch(&q).await.expect("watch");
    }
    hub
}

async fn next_matching(
    sub: &mut Subscription,
    what: &str,
    pred: impl Fn(&QueueEvent) -> bool,
) -> QueueEvent {
    sub.recv_matching(Duration::from_secs(20), pred)
        .await
        .unwrap_or_else(|| panic!("no {what} event within 20 s"))
}

#[tokio::test]
async fn events_carry_the_seeds_names_from_bullmqs_streams() {
    let redis = TestRedis::start();
    let m = manager(&redis).await;
    let hub = hub(&redis, &m).await;
    let mut sub = hub.subscribe();

    let added = m
        .add_job(
            "notifications-queue",
            "send-email",
            json!({"to": "admin@example.com"}),
            &opts(json!({"attempts": 1})),
        )
        .await
        .expect("add");
    let e = next_matching(&mut sub, "job:added", |e| {
        matches!(e, QueueEvent::JobAdded { .. })
    })
    .await;
    assert_eq!(
        serde_json::to_value(&e).expect("json"),
        json!({"event": "job:added", "queue": "notifications-queue", "jobId": added.id, "name": "send-email"})
    );
    m.pause_queue("notifications-queue").await.expect("pause");
    next_matching(
        &mut sub,
        "queue:paused",
        |e| matches!(e, QueueEvent::QueuePaused { queue } if queue == "notifications-queue"),
    )
    .await;
    m.resume_queue("notifications-queue").await.expect("resume");
    next_matching(&mut sub, "queue:resumed", |e| {
        matches!(e, QueueEvent::QueueResumed { .. })
    })
    .await;

    fail_jobs(&redis, "notifications-queue", 1).await;
    let failed = next_matching(&mut sub, "job:failed", |e| {
        matches!(e, QueueEvent::JobFailed { .. })
    })
    .await;
    let QueueEvent::JobFailed {
        job_id,
        failed_reason,
        attempts_made,
        is_final,
        ..
    } = failed
    else {
        unreachable!("matched above")
    };
    assert_eq!(job_id, added.id);
    assert!(failed_reason.contains("boom"), "{failed_reason}");
    assert_eq!((attempts_made, is_final), (1, true));
    let json = serde_json::to_value(QueueEvent::JobFailed {
        queue: "q".into(),
        job_id: "1".into(),
        failed_reason: "x".into(),
        attempts_made: 1,
        is_final: true,
    })
    .expect("json");
    assert_eq!(json["event"], "job:failed");
    assert_eq!(json["final"], true);
    assert_eq!(json["attemptsMade"], 1);
    hub.close().await;
}

#[tokio::test]
async fn completed_jobs_report_the_workers_return_value() {
    let redis = TestRedis::start();
    let m = manager(&redis).await;
    let hub = hub(&redis, &m).await;
    let mut sub = hub.subscribe();
    let added = m
        .add_job(
            "cleanup-queue",
            "cleanup-old-data",
            json!({"olderThan": 30}),
            &JobOptionsInput::default(),
        )
        .await
        .expect("add");
    let worker = bullmq::Worker::with_options(
        "cleanup-queue",
        |_job: bullmq::Job, _token| async move { Ok(json!({"removed": 7})) },
        super::worker_options(&redis),
    )
    .await
    .expect("worker");
    let e = next_matching(&mut sub, "job:completed", |e| {
        matches!(e, QueueEvent::JobCompleted { .. })
    })
    .await;
    assert_eq!(
        e,
        QueueEvent::JobCompleted {
            queue: "cleanup-queue".into(),
            job_id: added.id.clone(),
            return_value: json!({"removed": 7})
        }
    );
    worker.close(5000).await.expect("close");
    let job = m.get_job("cleanup-queue", &added.id).await.expect("get");
    assert_eq!(
        (job.state, job.return_value),
        (JobState::Completed, json!({"removed": 7}))
    );
    assert_eq!(
        m.get_queue_stats("cleanup-queue")
            .await
            .expect("stats")
            .completed_last_minute,
        1
    );
}

#[tokio::test]
async fn a_slow_subscriber_is_told_what_it_missed_and_others_are_not_held_up() {
    let redis = TestRedis::start();
    let m = manager(&redis).await;
    let hub = hub(&redis, &m).await;
    let mut slow = hub.subscribe();
    let mut fast = hub.subscribe();
    for n in 0..5000u32 {
        hub.publish(QueueEvent::QueuePaused {
            queue: format!("q{n}"),
        });
        // The fast subscriber keeps up.
        assert!(matches!(
            fast.recv().await,
            Some(QueueEvent::QueuePaused { .. })
        ));
    }
    match slow.recv().await {
        Some(QueueEvent::Missed { count }) => assert!(count >= 5000 - 4096, "missed {count}"),
        other => panic!("expected a missed notice, got {other:?}"),
    }
    assert!(matches!(
        slow.recv().await,
        Some(QueueEvent::QueuePaused { .. })
    ));
}

#[tokio::test]
async fn a_retried_attempt_is_a_non_final_failure_and_the_last_one_is_final() {
    let redis = TestRedis::start();
    let m = manager(&redis).await;
    let hub = hub(&redis, &m).await;
    let mut sub = hub.subscribe();
    let backoff = opts(json!({"attempts": 3, "backoff": {"type": "fixed", "delay": 20}}));
    let with_backoff = m
        .add_job(
            "notifications-queue",
            "send-webhook",
            json!({"url": "x"}),
            &backoff,
        )
        .await
        .expect("add");
    let no_backoff = opts(json!({"attempts": 2, "backoff": {"type": "fixed", "delay": 0}}));
    let immediate = m
        .add_job(
            "notifications-queue",
            "send-webhook",
            json!({"url": "y"}),
            &no_backoff,
        )
        .await
        .expect("add");
    fail_jobs(&redis, "notifications-queue", 3 + 2).await;

    let mut failures: Vec<(String, u32, bool)> = Vec::new();
    while failures.iter().filter(|f| f.2).count() < 2 {
        if let QueueEvent::JobFailed {
            job_id,
            attempts_made,
            is_final,
            failed_reason,
            ..
        } = next_matching(&mut sub, "job:failed", |e| {
            matches!(e, QueueEvent::JobFailed { .. })
        })
        .await
        {
            // bullmq-official's worker keeps the reason of the final attempt only.
            assert!(
                failed_reason.contains("boom")
                    || (!is_final && failed_reason.contains("did not record why")),
                "{failed_reason}"
            );
            failures.push((job_id, attempts_made, is_final));
        }
    }
    let of = |id: &str| {
        failures
            .iter()
            .filter(|f| f.0 == id)
            .map(|f| (f.1, f.2))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        of(&with_backoff.id),
        [(1, false), (2, false), (3, true)],
        "retries with backoff"
    );
    assert_eq!(
        of(&immediate.id),
        [(1, false), (2, true)],
        "retries without backoff"
    );
    hub.close().await;
}
