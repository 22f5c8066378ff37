//! Schedules against a real redis-server (one per test) with real worker pools.

use std::sync::Arc;
use std::time::Duration;

use antrian_testkit::TestRedis;
use serde_json::json;
use tokio::sync::Semaphore;

use super::*;
use crate::error::ErrorCode;
use crate::queue::{FireKind, JobDefaults, JobOptionsInput, QueueEvent, Subscription};
use crate::worker::{
    handler_fn, JobContext, JobError, PoolSettings, Registry, WorkerManager, WorkerType,
};
use crate::CancellationToken;

const CLEANUP: &str = "cleanup-queue";
const WAIT: Duration = Duration::from_secs(30);

struct Setup {
    redis: TestRedis,
    scheduler: Arc<Scheduler>,
    queues: Arc<QueueManager>,
    events: Arc<EventHub>,
    workers: Option<WorkerManager>,
}

async fn setup(registry: Option<Registry>) -> Setup {
    let redis = TestRedis::start();
    let conn = Connection::open(&redis.url(), "test", &CancellationToken::new(), |_| {})
        .await
        .expect("connect");
    let queues = Arc::new(
        QueueManager::new(conn.clone(), "bull", JobDefaults::default(), 512 * 1024)
            .await
            .expect("queues"),
    );
    let events = Arc::new(EventHub::new(conn.clone(), "bull"));
    for q in ["cleanup-queue", "notifications-queue", "watched-queue"] {
        events.watch(q).await.expect("watch");
    }
    let scheduler = Arc::new(Scheduler::new(
        conn.clone(),
        queues.clone(),
        events.clone(),
        "UTC",
        Duration::from_secs(1),
    ));
    let workers = match registry {
        Some(registry) => {
            let workers = WorkerManager::new(conn, "bull", "test-node", registry);
            workers
                .scale_workers(
                    WorkerType::Cleanup,
                    1,
                    &PoolSettings {
                        concurrency: 5,
                        ..PoolSettings::default()
                    },
                    Duration::from_secs(5),
                )
                .await
                .expect("pool");
            Some(workers)
        }
        None => None,
    };
    Setup {
        redis,
        scheduler,
        queues,
        events,
        workers,
    }
}

impl Setup {
    async fn stop(self) {
        if let Some(w) = self.workers {
            w.shutdown(Duration::from_secs(5)).await;
        }
        self.events.close().await;
    }

    fn delayed_runs(&self, name: &str) -> Vec<String> {
        let mut conn = self.redis.connection();
        let ids: Vec<String> = redis::cmd("ZRANGE")
            .arg("bull:cleanup-queue:delayed")
            .arg(0)
            .arg(-1)
            .query(&mut conn)
            .expect("ZRANGE");
        ids.into_iter()
            .filter(|id| id.starts_with(&format!("repeat:{name}:")))
            .collect()
    }
}

fn registry() -> Registry {
    let mut registry = Registry::new();
    registry.register(
        WorkerType::Cleanup,
        "tick",
        handler_fn(|ctx: JobContext| async move { Ok(json!({"ran": ctx.id()})) }),
    );
    registry
}

fn input(v: serde_json::Value) -> ScheduleInput {
    serde_json::from_value(v).expect("schedule input")
}

fn every_second(name: &str) -> ScheduleInput {
    input(json!({
        "name": name,
        "schedule": "* * * * * *",
        "jobName": "tick",
        "queueName": CLEANUP,
        "jobData": {"n": 1},
    }))
}

/// The next completed job (id, return value) whose id starts with `prefix`.
async fn completed(sub: &mut Subscription, prefix: &str) -> (String, serde_json::Value) {
    match sub
        .recv_matching(
            WAIT,
            |e| matches!(e, QueueEvent::JobCompleted { job_id, .. } if job_id.starts_with(prefix)),
        )
        .await
    {
        Some(QueueEvent::JobCompleted {
            job_id,
            return_value,
            ..
        }) => (job_id, return_value),
        other => panic!("no completed {prefix}* job within {WAIT:?}: {other:?}"),
    }
}

#[tokio::test]
async fn a_seconds_cron_fires_on_time_and_its_runs_are_processed() {
    let t = setup(Some(registry())).await;
    let mut sub = t.events.subscribe();
    let added = t
        .scheduler
        .add_schedule(input(json!({
            "name": "every-2s",
            "schedule": "*/2 * * * * *",
            "jobName": "tick",
            "queueName": CLEANUP,
        })))
        .await
        .expect("added");
    assert_eq!(added.status, ScheduleStatus::Active);
    assert!(added.next_run.is_some());
    // Tolerance: a run starts within 1.5 s of its fire time (BullMQ promotes delayed jobs
    // by a marker the worker blocks on; the rest is this loaded 2-core machine).
    for _ in 0..3 {
        let (id, _) = completed(&mut sub, "repeat:every-2s:").await;
        let (_, fire) = runs::run_of(&id).expect("a schedule run id");
        assert_eq!(fire % 2000, 0, "fires on even seconds: {id}");
        let job = t.queues.get_job(CLEANUP, &id).await.expect("job");
        let late = i64::try_from(job.processed_on.expect("processed")).expect("ms") - fire;
        assert!(
            (0..1500).contains(&late),
            "{id} started {late} ms after its fire time"
        );
    }
    let view = t.scheduler.get_schedule("every-2s").await.expect("view");
    assert!(view.iterations >= 3, "{view:?}");
    let last = view.recent_runs.first().expect("a run");
    assert!(
        view.recent_runs
            .iter()
            .filter(|r| r.outcome == RunOutcome::Completed)
            .count()
            >= 3,
        "{:?}",
        view.recent_runs
    );
    assert!(last.fired_at <= now_ms());
    t.stop().await;
}

#[tokio::test]
async fn disable_stops_firing_and_keeps_the_definition_enable_resumes() {
    let t = setup(Some(registry())).await;
    let mut sub = t.events.subscribe();
    t.scheduler
        .add_schedule(every_second("pulse"))
        .await
        .expect("added");
    completed(&mut sub, "repeat:pulse:").await;

    let disabled = t
        .scheduler
        .disable_schedule("pulse")
        .await
        .expect("disabled");
    assert_eq!(disabled.status, ScheduleStatus::Disabled);
    assert_eq!(disabled.schedule.schedule, "* * * * * *", "definition kept");
    let bull = t.queues.bull_queue(CLEANUP).await.expect("queue");
    assert!(
        bull.get_job_scheduler("pulse")
            .await
            .expect("read")
            .is_none(),
        "BullMQ scheduler removed"
    );
    assert!(t.delayed_runs("pulse").is_empty(), "no run is left to fire");

    let enabled_at = now_ms();
    let enabled = t.scheduler.enable_schedule("pulse").await.expect("enabled");
    assert_eq!(enabled.status, ScheduleStatus::Active);
    let (id, _) = completed(&mut sub, "repeat:pulse:").await;
    let (_, fire) = runs::run_of(&id).expect("run id");
    assert!(fire >= enabled_at - 1000, "a run after enabling: {id}");
    t.stop().await;
}

#[tokio::test]
async fn run_now_adds_one_job_and_leaves_the_cadence() {
    let t = setup(Some(registry())).await;
    let mut sub = t.events.subscribe();
    let view = t
        .scheduler
        .add_schedule(input(json!({
            "name": "yearly",
            "schedule": "0 0 1 1 *",
            "jobName": "tick",
            "queueName": CLEANUP,
            "timezone": "Asia/Jakarta",
            "options": {"priority": "high", "attempts": 2},
        })))
        .await
        .expect("added");
    let next = view.next_run.expect("next run");
    let added = t.scheduler.run_schedule_now("yearly").await.expect("ran");
    assert!(added.id.starts_with("run:yearly:"), "{}", added.id);
    // schedule:fired and the job's completion come from two streams read by two tasks: in
    // either order (waiting for one first would drop the other).
    let (mut fired, mut done) = (None, None);
    while fired.is_none() || done.is_none() {
        let event = sub
            .recv_matching(WAIT, |e| match e {
                QueueEvent::ScheduleFired { name, .. } => name == "yearly",
                QueueEvent::JobCompleted { job_id, .. } => job_id.starts_with("run:yearly:"),
                _ => false,
            })
            .await
            .unwrap_or_else(|| {
                panic!("within {WAIT:?}: schedule:fired {fired:?}, completed {done:?}")
            });
        match event {
            QueueEvent::JobCompleted { ref job_id, .. } => done = Some(job_id.clone()),
            _ => fired = Some(event),
        }
    }
    assert!(
        matches!(fired, Some(QueueEvent::ScheduleFired { kind: FireKind::Manual, ref job_id, .. }) if *job_id == added.id),
        "{fired:?}"
    );
    let id = done.unwrap_or_default();
    assert_eq!(id, added.id);
    let job = t.queues.get_job(CLEANUP, &id).await.expect("job");
    assert_eq!(
        job.options["priority"],
        json!(4),
        "the schedule's options apply: high = BullMQ 4"
    );
    let after = t.scheduler.get_schedule("yearly").await.expect("view");
    assert_eq!(after.next_run, Some(next), "the cadence did not move");
    assert_eq!(after.recent_runs[0].job_id, added.id);
    assert_eq!(after.recent_runs[0].outcome, RunOutcome::Completed);
    t.stop().await;
}

#[tokio::test]
async fn overlap_skip_skips_a_run_while_the_previous_one_is_active() {
    let gate = Arc::new(Semaphore::new(0));
    let mut registry = Registry::new();
    let g = gate.clone();
    registry.register(
        WorkerType::Cleanup,
        "slow",
        handler_fn(move |_ctx: JobContext| {
            let g = g.clone();
            async move {
                // Each run uses up one permit the test hands out.
                g.acquire()
                    .await
                    .map_err(|e| JobError::retry(e.to_string()))?
                    .forget();
                Ok(json!({"done": true}))
            }
        }),
    );
    let t = setup(Some(registry)).await;
    let mut sub = t.events.subscribe();
    t.scheduler
        .add_schedule(input(json!({
            "name": "no-overlap",
            "schedule": "* * * * * *",
            "jobName": "slow",
            "queueName": CLEANUP,
            "overlap": "skip",
        })))
        .await
        .expect("added");
    // The first cadence run blocks on the gate; the next one must give way.
    sub.recv_matching(WAIT, |e| matches!(e, QueueEvent::JobActive { job_id, .. } if job_id.starts_with("repeat:no-overlap:")))
        .await
        .expect("first run active");
    let conflict = t
        .scheduler
        .run_schedule_now("no-overlap")
        .await
        .expect_err("still active");
    assert_eq!(conflict.code(), ErrorCode::Conflict);
    assert!(conflict.to_string().contains("still active"), "{conflict}");
    gate.add_permits(1);
    let (first, value) = completed(&mut sub, "repeat:no-overlap:").await;
    assert_eq!(value, json!({"done": true}), "{first}");

    // Now a run-now blocks, and the cadence run that comes due meanwhile is skipped.
    let manual = t
        .scheduler
        .run_schedule_now("no-overlap")
        .await
        .expect("ran");
    sub.recv_matching(
        WAIT,
        |e| matches!(e, QueueEvent::JobActive { job_id, .. } if *job_id == manual.id),
    )
    .await
    .expect("run-now active");
    let (skipped, value) = completed(&mut sub, "repeat:no-overlap:").await;
    assert_eq!(value["skipped"], json!(true), "{skipped}: {value}");
    assert!(
        value["reason"]
            .as_str()
            .unwrap_or_default()
            .contains(&manual.id),
        "{value}"
    );
    gate.add_permits(100);
    let view = t.scheduler.get_schedule("no-overlap").await.expect("view");
    assert!(
        view.recent_runs
            .iter()
            .any(|r| r.job_id == skipped && r.outcome == RunOutcome::Skipped),
        "{:?}",
        view.recent_runs
    );
    t.stop().await;
}

#[tokio::test]
async fn update_changes_a_schedule_in_place_and_remove_deletes_both() {
    let t = setup(None).await;
    t.scheduler
        .add_schedule(input(json!({
            "name": "daily-cleanup",
            "schedule": "0 2 * * *",
            "jobName": "cleanup-old-data",
            "queueName": CLEANUP,
            "jobData": {"collections": ["products"], "olderThan": 30},
            "enabled": true,
        })))
        .await
        .expect("the seed's example");
    let update: ScheduleUpdate = serde_json::from_value(json!({
        "schedule": "30 3 * * *",
        "timezone": "Europe/Berlin",
        "jobData": {"collections": ["products"], "olderThan": 7},
    }))
    .expect("update");
    let view = t
        .scheduler
        .update_schedule("daily-cleanup", update)
        .await
        .expect("updated");
    assert_eq!(view.schedule.schedule, "30 3 * * *");
    let bull = t.queues.bull_queue(CLEANUP).await.expect("queue");
    let all = bull.get_job_schedulers(0, -1, true).await.expect("list");
    assert_eq!(all.len(), 1, "one BullMQ scheduler: {all:?}");
    assert_eq!(all[0].pattern.as_deref(), Some("30 3 * * *"));
    assert_eq!(all[0].tz.as_deref(), Some("Europe/Berlin"));
    assert_eq!(
        all[0].data,
        Some(json!({"collections": ["products"], "olderThan": 7}))
    );
    let preview = t
        .scheduler
        .preview_schedule("daily-cleanup", 5)
        .await
        .expect("preview");
    assert_eq!(preview.times.len(), 5);
    assert!(
        preview.times.iter().all(|t| t.contains("T03:30:00+0")),
        "{preview:?}"
    );
    assert_eq!(
        view.next_run,
        all[0].next.and_then(|n| i64::try_from(n).ok())
    );
    assert_eq!(
        chrono::DateTime::parse_from_rfc3339(&preview.times[0])
            .expect("date")
            .timestamp_millis(),
        view.next_run.expect("next"),
        "the preview's first time is the run BullMQ holds"
    );

    t.scheduler
        .remove_schedule("daily-cleanup")
        .await
        .expect("removed");
    assert_eq!(bull.get_job_schedulers_count().await.expect("count"), 0);
    assert!(t.delayed_runs("daily-cleanup").is_empty());
    let gone = t
        .scheduler
        .get_schedule("daily-cleanup")
        .await
        .expect_err("gone");
    assert_eq!(gone.code(), ErrorCode::NotFound);
    t.stop().await;
}

#[tokio::test]
async fn bad_schedules_are_refused_by_name_and_store_nothing() {
    let t = setup(None).await;
    t.scheduler
        .add_schedule(every_second("taken"))
        .await
        .expect("added");
    let before = t.redis.snapshot();
    let base = json!({
        "name": "s", "schedule": "0 2 * * *", "jobName": "tick", "queueName": CLEANUP,
    });
    let with = |patch: serde_json::Value| {
        let mut v = base.clone();
        for (k, val) in patch.as_object().expect("object") {
            v[k] = val.clone();
        }
        input(v)
    };
    for (bad, field, says) in [
        (with(json!({"schedule": "* * * *"})), "schedule", "4 fields"),
        (
            with(json!({"schedule": "0 25 * * *"})),
            "schedule",
            "not a valid cron",
        ),
        (with(json!({"schedule": "whenever"})), "schedule", "1 field"),
        (
            with(json!({"timezone": "Mars/Olympus"})),
            "timezone",
            "not an IANA time zone",
        ),
        (
            with(json!({"queueName": "bad:queue"})),
            "queue",
            "is not a queue name",
        ),
        (
            with(json!({"queueName": "nobody-made-this"})),
            "queue",
            "there is no queue `nobody-made-this`",
        ),
        (with(json!({"jobName": " "})), "name", "1 to 128"),
        (with(json!({"jobData": [1, 2]})), "data", "JSON object"),
        (
            with(json!({"startDate": "2030-01-02T00:00:00Z", "endDate": "2030-01-01T00:00:00Z"})),
            "endDate",
            "after startDate",
        ),
        (with(json!({"endDate": 1000})), "endDate", "in the past"),
        (with(json!({"limit": 0})), "limit", "at least 1"),
        (
            with(json!({"options": {"jobId": "x1"}})),
            "options.jobId",
            "leave jobId out",
        ),
        (
            with(json!({"options": {"attempts": 0}})),
            "attempts",
            "from 1 to 100",
        ),
        (
            with(json!({"name": "has space"})),
            "name",
            "letters, digits",
        ),
    ] {
        let e = t.scheduler.add_schedule(bad).await.expect_err(says);
        assert_eq!(e.code(), ErrorCode::InvalidInput, "{e}");
        let text = e.to_string();
        assert!(
            text.starts_with(&format!("{field}:")) && text.contains(says),
            "{text}"
        );
    }
    let dup = t
        .scheduler
        .add_schedule(every_second("taken"))
        .await
        .expect_err("duplicate");
    assert_eq!(dup.code(), ErrorCode::Conflict);
    assert!(dup.to_string().contains("already exists"), "{dup}");
    let bad_update: ScheduleUpdate =
        serde_json::from_value(json!({"schedule": "61 * * * *"})).expect("parses");
    t.scheduler
        .update_schedule("taken", bad_update)
        .await
        .expect_err("bad cron");
    assert!(serde_json::from_value::<ScheduleInput>(json!({
        "name": "s", "schedule": "0 2 * * *", "jobName": "tick", "queueName": CLEANUP, "shedule": "x"
    }))
    .expect_err("unknown field")
    .to_string()
    .contains("unknown field `shedule`"));

    let dynamic = |v: serde_json::Value| serde_json::from_value::<DynamicScheduleInput>(v);
    let action = json!({"jobName": "send-email", "queueName": "notifications-queue", "jobData": {"to": "admin@example.com", "subject": "x"}});
    let e = dynamic(json!({"name": "d", "condition": {"type": "queue_size", "queueName": "scraping-queue", "operator": "=>", "threshold": 5}, "action": action}))
        .expect_err("unknown operator").to_string();
    assert!(
        e.contains("unknown variant `=>`") && e.contains("`>=`"),
        "{e}"
    );
    let e = dynamic(json!({"name": "d", "condition": {"type": "queue_length", "queueName": "q"}, "action": action}))
        .expect_err("unknown type").to_string();
    assert!(e.contains("unknown variant `queue_length`"), "{e}");
    for (input, field) in [
        (
            json!({"name": "d", "condition": {"type": "queue_size", "queueName": "scraping-queue", "operator": ">", "threshold": -1}, "action": action}),
            "condition.threshold",
        ),
        (
            json!({"name": "d", "condition": {"type": "failure_rate", "queueName": "scraping-queue", "threshold": 120}, "action": action}),
            "condition.threshold",
        ),
        (
            json!({"name": "d", "condition": {"type": "queue_drained", "queueName": "scraping-queue"}, "action": action, "cooldownSeconds": 0}),
            "cooldownSeconds",
        ),
        (
            json!({"name": "d", "condition": {"type": "queue_drained", "queueName": "bad queue"}, "action": action}),
            "condition.queueName",
        ),
        (
            json!({"name": "d", "condition": {"type": "queue_drained", "queueName": "q"}, "action": {"jobName": "", "queueName": "q"}}),
            "action.name",
        ),
        (
            json!({"name": "d", "condition": {"type": "queue_drained", "queueName": "q"}, "action": {"jobName": "tick", "queueName": "nobody-made-this"}}),
            "action.queue",
        ),
    ] {
        let e = t
            .scheduler
            .add_dynamic_schedule(dynamic(input).expect("parses"))
            .await
            .expect_err(field);
        assert!(e.to_string().starts_with(&format!("{field}:")), "{e}");
    }
    assert_eq!(t.redis.snapshot(), before, "nothing was written");
    t.stop().await;
}

/// Adds `n` jobs no worker takes to `watched-queue`.
async fn fill(queues: &QueueManager, n: usize) -> Vec<String> {
    queues.create_queue("watched-queue").await.expect("created");
    let mut ids = Vec::new();
    for _ in 0..n {
        ids.push(
            queues
                .add_job(
                    "watched-queue",
                    "item",
                    json!({}),
                    &JobOptionsInput::default(),
                )
                .await
                .expect("added")
                .id,
        );
    }
    ids
}

async fn drain(queues: &QueueManager, ids: &[String]) {
    for id in ids {
        queues
            .remove_job("watched-queue", id)
            .await
            .expect("removed");
    }
}

fn alert(name: &str, condition: serde_json::Value, cooldown: u64) -> DynamicScheduleInput {
    serde_json::from_value(json!({
        "name": name,
        "condition": condition,
        "action": {"jobName": "send-email", "queueName": "notifications-queue",
                   "jobData": {"to": "admin@example.com", "subject": format!("{name} alert")}},
        "cooldownSeconds": cooldown,
    }))
    .expect("dynamic input")
}

async fn alerts(t: &Setup) -> u64 {
    t.queues
        .get_queue_stats("notifications-queue")
        .await
        .expect("stats")
        .waiting
}

#[tokio::test]
async fn queue_size_fires_once_per_episode_and_respects_its_cooldown() {
    let t = setup(None).await;
    let mut sub = t.events.subscribe();
    t.scheduler
        .add_dynamic_schedule(alert(
            "high-queue-alert",
            json!({"type": "queue_size", "queueName": "watched-queue", "operator": ">", "threshold": 2}),
            60,
        ))
        .await
        .expect("the seed's example");
    let t0 = now_ms();
    assert!(
        t.scheduler.evaluate(t0).await.expect("eval").is_empty(),
        "empty queue"
    );
    let first = fill(&t.queues, 3).await;
    assert_eq!(
        t.scheduler.evaluate(t0 + 1000).await.expect("eval"),
        ["high-queue-alert"]
    );
    assert!(
        t.scheduler
            .evaluate(t0 + 2000)
            .await
            .expect("eval")
            .is_empty(),
        "still true: no second fire"
    );
    let fired = sub
        .recv_matching(WAIT, |e| {
            matches!(
                e,
                QueueEvent::ScheduleFired {
                    kind: FireKind::Condition,
                    ..
                }
            )
        })
        .await;
    assert!(
        matches!(fired, Some(QueueEvent::ScheduleFired { ref name, .. }) if name == "high-queue-alert"),
        "{fired:?}"
    );
    drain(&t.queues, &first).await;
    assert!(
        t.scheduler
            .evaluate(t0 + 3000)
            .await
            .expect("eval")
            .is_empty(),
        "false: re-armed"
    );
    let second = fill(&t.queues, 3).await;
    assert!(
        t.scheduler
            .evaluate(t0 + 4000)
            .await
            .expect("eval")
            .is_empty(),
        "true again, but within the cooldown"
    );
    assert_eq!(
        t.scheduler.evaluate(t0 + 61_000).await.expect("eval"),
        ["high-queue-alert"],
        "cooldown over, still true"
    );
    assert_eq!(alerts(&t).await, 2, "one alert job per fire");
    let view = t
        .scheduler
        .get_dynamic_schedule("high-queue-alert")
        .await
        .expect("view");
    assert_eq!(view.state.fire_count, 2);
    assert_eq!(view.state.last_fired, Some(t0 + 61_000));
    assert_eq!(view.state.last_evaluated, Some(t0 + 61_000));
    assert_eq!(view.cooldown_until, Some(t0 + 121_000));
    drain(&t.queues, &second).await;
    t.stop().await;
}

#[tokio::test]
async fn drained_and_no_workers_fire_once_per_episode() {
    let t = setup(None).await;
    t.scheduler
        .add_dynamic_schedule(alert(
            "drained",
            json!({"type": "queue_drained", "queueName": "watched-queue"}),
            1,
        ))
        .await
        .expect("added");
    t.scheduler
        .add_dynamic_schedule(alert(
            "starved",
            json!({"type": "no_workers", "queueName": "watched-queue", "forSeconds": 10}),
            1,
        ))
        .await
        .expect("added");
    let t0 = now_ms();
    assert!(
        t.scheduler.evaluate(t0).await.expect("eval").is_empty(),
        "empty from the start is not drained"
    );
    let ids = fill(&t.queues, 2).await;
    assert!(
        t.scheduler
            .evaluate(t0 + 1000)
            .await
            .expect("eval")
            .is_empty(),
        "work, starved for 0 s"
    );
    assert_eq!(
        t.scheduler.evaluate(t0 + 11_000).await.expect("eval"),
        ["starved"],
        "10 s with no worker"
    );
    assert!(
        t.scheduler
            .evaluate(t0 + 20_000)
            .await
            .expect("eval")
            .is_empty(),
        "still starved: once"
    );
    drain(&t.queues, &ids).await;
    assert_eq!(
        t.scheduler.evaluate(t0 + 21_000).await.expect("eval"),
        ["drained"]
    );
    assert!(
        t.scheduler
            .evaluate(t0 + 22_000)
            .await
            .expect("eval")
            .is_empty(),
        "still empty: once"
    );
    assert_eq!(alerts(&t).await, 2);
    t.stop().await;
}

#[tokio::test]
async fn failure_rate_counts_finished_jobs_from_the_event_stream() {
    let mut registry = Registry::new();
    registry.register(
        WorkerType::Cleanup,
        "flip",
        handler_fn(|ctx: JobContext| async move {
            if ctx.data()["fail"] == json!(true) {
                Err(JobError::discard("told to fail"))
            } else {
                Ok(json!({}))
            }
        }),
    );
    let t = setup(Some(registry)).await;
    t.scheduler
        .add_dynamic_schedule(alert(
            "failing",
            json!({"type": "failure_rate", "queueName": CLEANUP, "threshold": 40, "windowSeconds": 60, "minJobs": 6}),
            1,
        ))
        .await
        .expect("added");
    let mut sub = t.events.subscribe();
    let mut ids = Vec::new();
    for fail in [false, true, false, true, false, true] {
        ids.push(
            t.queues
                .add_job(
                    CLEANUP,
                    "flip",
                    json!({"fail": fail}),
                    &serde_json::from_value(json!({"attempts": 1})).expect("opts"),
                )
                .await
                .expect("added")
                .id,
        );
    }
    let mut finished = 0;
    while finished < ids.len() {
        sub.recv_matching(WAIT, |e| {
            matches!(e, QueueEvent::JobCompleted { job_id, .. } | QueueEvent::JobFailed { job_id, is_final: true, .. } if ids.contains(job_id))
        })
        .await
        .expect("every job finishes");
        finished += 1;
    }
    assert_eq!(
        t.scheduler.evaluate(now_ms()).await.expect("eval"),
        ["failing"]
    );
    let view = t
        .scheduler
        .get_dynamic_schedule("failing")
        .await
        .expect("view");
    assert_eq!(view.state.last_value, Some(50.0), "3 of 6 failed");
    t.stop().await;
}

#[tokio::test]
async fn two_evaluators_never_fire_twice_and_one_holds_the_lease() {
    let t = setup(None).await;
    t.scheduler
        .add_dynamic_schedule(alert(
            "race",
            json!({"type": "queue_size", "queueName": "watched-queue", "operator": ">=", "threshold": 1}),
            1,
        ))
        .await
        .expect("added");
    fill(&t.queues, 1).await;
    let other = Arc::new((*t.scheduler).clone());
    let now = now_ms();
    let (a, b) = tokio::join!(t.scheduler.evaluate(now), other.evaluate(now));
    let fired = a.expect("a").len() + b.expect("b").len();
    assert_eq!(fired, 1, "recorded once");
    assert_eq!(alerts(&t).await, 1, "one alert job whichever evaluator won");

    let mut one = SchedulerService::new(t.scheduler.clone(), "instance-a");
    let mut two = SchedulerService::new(other, "instance-b");
    assert!(one.hold_lease().await.expect("lease"));
    assert!(!two.hold_lease().await.expect("lease"), "held by the other");
    assert!(
        one.hold_lease().await.expect("renew"),
        "renewed by its holder"
    );
    t.stop().await;
}

#[tokio::test]
async fn schedule_fired_reaches_other_processes_once() {
    let t = setup(None).await;
    t.scheduler
        .add_schedule(every_second("shared"))
        .await
        .expect("added");
    // Another process's hub, reading the shared stream; this process reads it too and
    // must not deliver its own event twice.
    let conn = Connection::open(&t.redis.url(), "test", &CancellationToken::new(), |_| {})
        .await
        .expect("connect");
    let other = EventHub::new(conn, "bull");
    other.watch_shared().await.expect("watch");
    t.events.watch_shared().await.expect("watch");
    let mut theirs = other.subscribe();
    let mut ours = t.events.subscribe();
    let added = t.scheduler.run_schedule_now("shared").await.expect("ran");
    let is_fired = |e: &QueueEvent| matches!(e, QueueEvent::ScheduleFired { .. });
    for sub in [&mut theirs, &mut ours] {
        match sub.recv_matching(WAIT, is_fired).await {
            Some(QueueEvent::ScheduleFired {
                name, kind, job_id, ..
            }) => {
                assert_eq!(
                    (name.as_str(), kind, job_id.as_str()),
                    ("shared", FireKind::Manual, added.id.as_str())
                );
            }
            other => panic!("no schedule:fired: {other:?}"),
        }
    }
    // A second, later event proves nothing else was queued before it.
    let again = t.scheduler.run_schedule_now("shared").await.expect("ran");
    match ours.recv_matching(WAIT, is_fired).await {
        Some(QueueEvent::ScheduleFired { job_id, .. }) => {
            assert_eq!(job_id, again.id, "our own event came once")
        }
        other => panic!("no schedule:fired: {other:?}"),
    }
    other.close().await;
    t.stop().await;
}

#[tokio::test]
async fn the_component_makes_bullmq_match_the_registry_both_ways() {
    let t = setup(None).await;
    t.scheduler
        .add_schedule(every_second("kept"))
        .await
        .expect("added");
    t.scheduler
        .add_schedule(every_second("off"))
        .await
        .expect("added");
    t.scheduler.disable_schedule("off").await.expect("disabled");
    let bull = t.queues.bull_queue(CLEANUP).await.expect("queue");
    // Another tool removes one and recreates the other behind Antrian's back.
    bull.remove_job_scheduler("kept").await.expect("removed");
    bull.upsert_job_scheduler(
        "off",
        bullmq::job_scheduler::RepeatOptions {
            pattern: Some("* * * * * *".into()),
            ..Default::default()
        },
        Some("tick"),
        None,
        None,
    )
    .await
    .expect("recreated");
    let view = t.scheduler.get_schedule("kept").await.expect("view");
    assert_eq!(view.status, ScheduleStatus::Missing);

    let mut service = SchedulerService::new(t.scheduler.clone(), "instance-a");
    assert!(service.hold_lease().await.expect("lease"));
    service.tick(now_ms()).await.expect("tick");
    assert!(
        bull.get_job_scheduler("kept")
            .await
            .expect("read")
            .is_some(),
        "restored"
    );
    assert!(
        bull.get_job_scheduler("off").await.expect("read").is_none(),
        "removed"
    );
    assert_eq!(
        t.scheduler.get_schedule("kept").await.expect("view").status,
        ScheduleStatus::Active
    );
    t.stop().await;
}

#[tokio::test]
async fn a_run_limit_stops_the_schedule_after_its_runs() {
    let t = setup(Some(registry())).await;
    let mut sub = t.events.subscribe();
    let mut twice = every_second("twice");
    twice.limit = Some(2);
    t.scheduler.add_schedule(twice).await.expect("added");
    let (first, _) = completed(&mut sub, "repeat:twice:").await;
    let (second, _) = completed(&mut sub, "repeat:twice:").await;
    assert_ne!(first, second);
    // A third run would be added as a delayed job within a second and start a second
    // later; "no third run" can only be observed over that window.
    let third = sub
        .recv_matching(Duration::from_millis(2500), |e| {
            matches!(e, QueueEvent::JobAdded { job_id, .. } | QueueEvent::JobDelayed { job_id, .. } | QueueEvent::JobCompleted { job_id, .. } if job_id.starts_with("repeat:twice:") && *job_id != first && *job_id != second)
        })
        .await;
    assert!(third.is_none(), "a run beyond the limit: {third:?}");
    let view = t.scheduler.get_schedule("twice").await.expect("view");
    assert_eq!(view.status, ScheduleStatus::Finished, "{view:?}");
    assert_eq!(view.iterations, 2);
    assert_eq!(view.next_run, None);
    let preview = t
        .scheduler
        .preview_schedule("twice", 5)
        .await
        .expect("preview");
    assert!(
        preview.times.is_empty(),
        "no runs left to preview: {preview:?}"
    );
    t.stop().await;
}
