//! Property-based fuzzing (proptest) of every core parser that takes outside input: job
//! options (priority, delay, attempts, backoff, retention, job id), the backoff strategy
//! names that travel in Redis, cron expressions and time zones, schedule definitions
//! (against a real redis-server), and the configuration (environment variables).
//!
//! Properties: no input panics; a refusal names the field it refuses; an accepted input is
//! within its documented bounds; a refused schedule leaves Redis as it was.
//!
//! Each property runs `PROPTEST_CASES` cases (proptest's default, 256, in `make test`);
//! `make fuzz` runs them with many more. A failure prints the smallest input that fails.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use antrian_core::config::{settings::SETTINGS, Config, LoadOptions};
use antrian_core::connection::Connection;
use antrian_core::queue::options::{backoff_delay, to_bullmq, validate_job_id};
use antrian_core::queue::{EventHub, JobDefaults, JobOptionsInput, QueueManager};
use antrian_core::scheduler::{cron, ScheduleInput, Scheduler};
use antrian_core::{CancellationToken, Error};
use antrian_testkit::TestRedis;
use bullmq::types::BackoffStrategy;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use serde_json::{json, Value};

/// Any JSON value, a few levels deep.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        (-1e6f64..1e6).prop_map(|n| json!(n)),
        prop_oneof![
            Just(-1i64),
            Just(0),
            Just(1),
            Just(10),
            Just(100),
            Just(101)
        ]
        .prop_map(|n| json!(n)),
        ".{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::hash_map("[a-zA-Z]{1,8}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Job options: the real field names (and one unknown) with values that are sometimes
/// right, sometimes the wrong type, sometimes out of range.
fn job_options() -> impl Strategy<Value = Value> {
    let backoff = prop_oneof![
        3 => (
            prop_oneof![Just("fixed"), Just("exponential"), Just("linear"), Just("other")],
            prop_oneof![3 => 0i64..100_000, 1 => any::<i64>()],
            prop::option::of(-5.0f64..20.0),
            prop::option::of(any::<i64>()),
            prop::option::of(-10i64..10_000),
        )
            .prop_map(|(kind, delay, factor, max, inc)| {
                let mut b = json!({"type": kind, "delay": delay});
                if let Some(f) = factor {
                    b["factor"] = json!(f);
                }
                if let Some(m) = max {
                    b["maxDelay"] = json!(m);
                }
                if let Some(i) = inc {
                    b["increment"] = json!(i);
                }
                b
            }),
        1 => any_json(),
    ];
    // Mostly absent or right, sometimes wrong: so both accepted and refused options come
    // up often (`the_fuzz_inputs_reach_both_sides` checks).
    let retention = prop_oneof![
        3 => prop_oneof![
            any::<bool>().prop_map(|b| json!(b)),
            (-2i64..1000).prop_map(|n| json!(n)),
            (prop::option::of(-5i64..100_000), prop::option::of(-5i64..1000))
                .prop_map(|(age, count)| json!({"age": age, "count": count})),
        ],
        1 => any_json(),
    ];
    let fields = (
        prop::option::weighted(
            0.5,
            prop_oneof![
                3 => (-3i64..14).prop_map(|n| json!(n)),
                2 => prop_oneof![Just("critical"), Just("High"), Just("urgent"), Just("")]
                    .prop_map(|s| json!(s)),
                1 => any_json()
            ],
        ),
        prop::option::weighted(
            0.3,
            prop_oneof![
                3 => (-1000i64..40_000_000_000).prop_map(|n| json!(n)),
                1 => any_json()
            ],
        ),
        prop::option::weighted(
            0.5,
            prop_oneof![3 => (-2i64..120).prop_map(|n| json!(n)), 1 => any_json()],
        ),
        prop::option::weighted(0.5, backoff),
        prop::option::weighted(
            0.3,
            prop_oneof![
                3 => "[a-z0-9:_-]{1,20}".prop_map(|s| json!(s)),
                1 => ".{0,300}".prop_map(|s| json!(s)),
                1 => any_json()
            ],
        ),
        prop::option::weighted(
            0.2,
            prop_oneof![3 => any::<bool>().prop_map(|b| json!(b)), 1 => any_json()],
        ),
        prop::option::weighted(0.3, retention),
        prop::option::weighted(0.05, any_json()),
    );
    fields.prop_map(
        |(priority, delay, attempts, backoff, job_id, lifo, on_complete, unknown)| {
            let mut o = serde_json::Map::new();
            let mut put = |k: &str, v: Option<Value>| {
                if let Some(v) = v {
                    o.insert(k.to_string(), v);
                }
            };
            put("priority", priority);
            put("delay", delay);
            put("attempts", attempts);
            put("backoff", backoff);
            put("jobId", job_id);
            put("lifo", lifo);
            put("removeOnComplete", on_complete);
            put("extra", unknown);
            Value::Object(o)
        },
    )
}

const OPTION_FIELDS: [&str; 8] = [
    "priority",
    "delay",
    "attempts",
    "backoff",
    "jobId",
    "lifo",
    "removeOnComplete",
    "removeOnFail",
];

proptest! {
    /// Job options as an API body or `--opts` gives them: refused with the field named, or
    /// turned into BullMQ options within bounds.
    #[test]
    fn job_options_are_checked_or_refused_by_name(raw in job_options()) {
        let Ok(input) = serde_json::from_value::<JobOptionsInput>(raw.clone()) else {
            // A shape error: serde names the field or the variant (the API's 400 says so).
            return Ok(());
        };
        match to_bullmq(&input, &JobDefaults::default()) {
            Ok(opts) => {
                let attempts = opts.attempts.expect("attempts set");
                prop_assert!((1..=100).contains(&attempts), "{raw}: attempts {attempts}");
                let priority = opts.priority.expect("priority set");
                prop_assert!((1..=10).contains(&priority), "{raw}: priority {priority}");
                prop_assert!(opts.delay.is_none_or(|d| d <= 365 * 24 * 3600 * 1000), "{raw}");
                // Every strategy Antrian writes, it can compute, for any attempt.
                let strategy = opts.backoff.expect("backoff set");
                for attempt in [1, 2, 10, 63, 64, 1000, u32::MAX] {
                    prop_assert!(backoff_delay(&strategy, attempt).is_some(), "{raw}: {strategy:?}");
                }
            }
            Err(Error::InvalidJob { field, rule }) => {
                prop_assert!(OPTION_FIELDS.contains(&field.as_str()) || field.starts_with("backoff"),
                    "{raw}: refused as `{field}`: {rule}");
                prop_assert!(!rule.is_empty());
            }
            Err(other) => prop_assert!(false, "{raw}: not an input error: {other:?}"),
        }
    }

    /// Custom backoff names are read back from Redis, where a Node.js service could have
    /// written anything: no name panics, and an unknown one is `None` (not a guess).
    #[test]
    fn backoff_strategy_names_never_panic(
        kind in prop_oneof![
            prop_oneof![Just("antrian-exponential"), Just("antrian-linear"), Just("x")].prop_map(String::from),
            ".{0,20}",
        ],
        parts in prop::collection::vec(prop_oneof![
            any::<u64>().prop_map(|n| n.to_string()),
            any::<f64>().prop_map(|n| n.to_string()),
            Just("NaN".to_string()), Just("inf".to_string()), Just("-1".to_string()),
            ".{0,8}",
        ], 0..5),
        attempt in any::<u32>(),
    ) {
        let name = std::iter::once(kind).chain(parts).collect::<Vec<_>>().join(":");
        let delay = backoff_delay(&BackoffStrategy::Custom(name.clone()), attempt);
        if !name.starts_with("antrian-") {
            prop_assert_eq!(delay, None, "{}", name);
        }
    }

    /// Job ids: refused (as `jobId`) or tame: no spaces, no control characters, not a plain
    /// number, at most 256 characters.
    #[test]
    fn job_ids_are_tame_or_refused(id in prop_oneof![".{0,300}", "[0-9]{1,12}", "[a-z0-9:_-]{1,20}"]) {
        match validate_job_id(&id) {
            Ok(()) => {
                prop_assert!(!id.is_empty() && id.len() <= 256);
                prop_assert!(!id.chars().all(|c| c.is_ascii_digit()));
                prop_assert!(!id.chars().any(|c| c.is_control() || c.is_whitespace()));
            }
            Err(Error::InvalidJob { field, .. }) => prop_assert_eq!(field, "jobId"),
            Err(other) => prop_assert!(false, "{other:?}"),
        }
    }

    /// Cron expressions from users: parsed, or refused as `schedule` with the expression in
    /// the message; an accepted one previews fire times in any zone without panicking.
    #[test]
    fn cron_expressions_parse_or_are_refused_by_name(
        expr in prop_oneof![
            ".{0,40}",
            prop::collection::vec(prop_oneof![
                Just("*".to_string()), Just("*/5".to_string()), Just("1-5".to_string()),
                Just("MON-FRI".to_string()), Just("L".to_string()), Just("?".to_string()),
                Just("0".to_string()), Just("59".to_string()), Just("60".to_string()),
                Just("31".to_string()), Just("1,15".to_string()), Just("5/0".to_string()),
                Just("JAN".to_string()), Just("7#2".to_string()), Just("-1".to_string()),
                (0u32..100).prop_map(|n| n.to_string()),
            ], 0..8).prop_map(|f| f.join(" ")),
            prop_oneof![Just("@daily"), Just("@hourly"), Just("@yearly"), Just("@reboot"), Just("@")]
                .prop_map(String::from),
        ],
        zone in prop_oneof![Just("UTC"), Just("Asia/Jakarta"), Just("America/New_York"), Just("Nowhere/City"), Just("utc")],
        after in 0i64..4_102_444_800_000,
    ) {
        match cron::parse(&expr) {
            Ok(_) => {
                if let Ok(tz) = antrian_core::rules::parse_timezone(zone) {
                    let times = cron::next_fire_times(&expr, tz, after, 3, cron::Bounds::default());
                    if let Ok(times) = times {
                        prop_assert!(times.windows(2).all(|w| w[0] < w[1]), "{expr}: {times:?}");
                        prop_assert!(times.iter().all(|t| t.timestamp_millis() > after), "{expr}");
                    }
                }
            }
            Err(Error::InvalidJob { field, rule }) => {
                prop_assert_eq!(field, "schedule");
                prop_assert!(!rule.is_empty());
            }
            Err(other) => prop_assert!(false, "{other:?}"),
        }
        match antrian_core::rules::parse_timezone(zone) {
            Ok(_) | Err(Error::InvalidJob { .. }) => {}
            Err(other) => prop_assert!(false, "{other:?}"),
        }
    }

    /// The configuration from the environment: any value of any setting loads or is
    /// refused with the setting's name in the message.
    #[test]
    fn any_setting_value_loads_or_is_refused_by_name(
        picks in prop::collection::vec((0..SETTINGS.len(), prop_oneof![
            ".{0,30}", Just(String::new()), Just("0".to_string()), Just("-1".to_string()),
            Just("99999999999999999999".to_string()), Just("true".to_string()),
            Just("redis://:pw@127.0.0.1:1/0".to_string()), Just("a=1/0s:x".to_string()),
        ]), 1..4),
    ) {
        let vars: Vec<(&str, &str)> = picks.iter().map(|(i, v)| (SETTINGS[*i].env, v.as_str())).collect();
        if let Err(e) = Config::load(&LoadOptions::from_vars(vars.clone())) {
            let message = e.to_string();
            prop_assert!(
                vars.iter().any(|(name, _)| message.contains(name))
                    || SETTINGS.iter().any(|s| message.contains(s.env)),
                "{vars:?}: {message}"
            );
        }
    }
}

/// One Redis and scheduler for the whole schedule property (a server per case would be
/// slow for no gain: a refused case must leave it as it was, which the property checks).
struct Schedules {
    redis: TestRedis,
    scheduler: Arc<Scheduler>,
    rt: tokio::runtime::Runtime,
}

impl Schedules {
    fn start() -> Self {
        let redis = TestRedis::start();
        let rt = tokio::runtime::Runtime::new().expect("tokio");
        let scheduler = rt.block_on(async {
            let conn = Connection::open(&redis.url(), "fuzz", &CancellationToken::new(), |_| {})
                .await
                .expect("connect");
            let queues = Arc::new(
                QueueManager::new(conn.clone(), "bull", JobDefaults::default(), 512 * 1024)
                    .await
                    .expect("queues"),
            );
            let events = Arc::new(EventHub::new(conn.clone(), "bull"));
            Arc::new(Scheduler::new(
                conn,
                queues,
                events,
                "UTC",
                Duration::from_secs(1),
            ))
        });
        Schedules {
            redis,
            scheduler,
            rt,
        }
    }
}

/// Keys added, removed or changed between two snapshots.
fn changed_keys(before: &[(String, String)], after: &[(String, String)]) -> Vec<String> {
    let before: HashMap<&String, &String> = before.iter().map(|(k, v)| (k, v)).collect();
    let after: HashMap<&String, &String> = after.iter().map(|(k, v)| (k, v)).collect();
    let mut changed: Vec<String> = before
        .keys()
        .chain(after.keys())
        .filter(|k| before.get(*k) != after.get(*k))
        .map(|k| (*k).clone())
        .collect();
    changed.sort();
    changed.dedup();
    changed
}

fn schedule_input() -> impl Strategy<Value = Value> {
    // Each field mostly right, so whole definitions are accepted often enough (checked
    // by `the_fuzz_inputs_reach_both_sides`), and each sometimes wrong.
    (
        prop_oneof![4 => "[a-z0-9-]{1,12}", 1 => ".{0,110}"],
        prop_oneof![Just("0 2 * * *"), Just("*/5 * * * * *"), Just("@daily"), Just("61 * * * *"), Just("")]
            .prop_map(String::from),
        prop_oneof![4 => Just("cleanup-old-data"), 1 => Just("no-such-job"), 1 => Just("")],
        prop_oneof![4 => Just("cleanup-queue"), 1 => Just("nowhere-queue"), 1 => Just("bull:x")],
        prop_oneof![4 => Just(json!({"olderThan": 30})), 1 => Just(json!([1])), 1 => any_json()],
        prop::option::weighted(0.3, prop_oneof![3 => Just("Asia/Jakarta"), 1 => Just("Mars/Base")]),
        prop::option::weighted(0.3, job_options()),
        prop::option::weighted(0.2, prop_oneof![
            3 => Just(json!("2020-01-01T00:00:00Z")),
            1 => Just(json!("tomorrow")),
            1 => Just(json!(-5)),
            1 => any_json()
        ]),
        prop::option::weighted(0.2, prop_oneof![3 => (0i64..1000).prop_map(|n| json!(n)), 1 => any_json()]),
    )
        .prop_map(|(name, cron, job, queue, data, tz, opts, start, limit)| {
            let mut v = json!({"name": name, "schedule": cron, "jobName": job, "queueName": queue, "jobData": data});
            if let Some(tz) = tz {
                v["timezone"] = json!(tz);
            }
            if let Some(o) = opts {
                v["options"] = o;
            }
            if let Some(s) = start {
                v["startDate"] = s;
            }
            if let Some(l) = limit {
                v["limit"] = l;
            }
            v
        })
}

/// Schedule definitions as the API and CLI take them: added, or refused with the field
/// named and Redis exactly as it was. The test owns its server (a static one would outlive
/// the test binary) and no other test writes to it while it compares snapshots.
#[test]
fn schedule_definitions_are_added_or_refused_without_a_trace() {
    let s = Schedules::start();
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(64);
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
        cases,
        ..ProptestConfig::default()
    });
    let outcome = runner.run(&schedule_input(), |raw| {
        let Ok(input) = serde_json::from_value::<ScheduleInput>(raw.clone()) else {
            return Ok(());
        };
        let before = s.redis.snapshot();
        match s.rt.block_on(s.scheduler.add_schedule(input)) {
            Ok(view) => {
                let removed =
                    s.rt.block_on(s.scheduler.remove_schedule(&view.schedule.name));
                prop_assert!(removed.is_ok(), "{raw}: {removed:?}");
            }
            Err(e) => {
                let named = match &e {
                    Error::InvalidJob { field, rule } => !field.is_empty() && !rule.is_empty(),
                    Error::Conflict(message) => !message.is_empty(),
                    Error::NotFound { .. } => true,
                    _ => false,
                };
                prop_assert!(named, "{raw}: not an input error: {e:?}");
                let changed = changed_keys(&before, &s.redis.snapshot());
                prop_assert!(
                    changed.is_empty(),
                    "{raw} ({e}) left a trace in {changed:?}"
                );
            }
        }
        Ok(())
    });
    if let Err(e) = outcome {
        panic!("{e}");
    }
}

#[test]
fn the_fuzz_inputs_reach_both_sides() {
    // A guard against a generator that never produces an accepted (or a refused) input:
    // then the properties above would test only one branch.
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let mut outcomes: HashMap<bool, usize> = HashMap::new();
    for _ in 0..500 {
        let raw = job_options().new_tree(&mut runner).expect("tree").current();
        let ok = serde_json::from_value::<JobOptionsInput>(raw)
            .ok()
            .is_some_and(|i| to_bullmq(&i, &JobDefaults::default()).is_ok());
        *outcomes.entry(ok).or_default() += 1;
    }
    assert!(
        outcomes.get(&true).copied().unwrap_or(0) > 50,
        "options: {outcomes:?}"
    );
    assert!(
        outcomes.get(&false).copied().unwrap_or(0) > 50,
        "options: {outcomes:?}"
    );

    let s = Schedules::start();
    let mut outcomes: HashMap<bool, usize> = HashMap::new();
    for _ in 0..200 {
        let raw = schedule_input()
            .new_tree(&mut runner)
            .expect("tree")
            .current();
        let added = serde_json::from_value::<ScheduleInput>(raw)
            .ok()
            .and_then(|input| s.rt.block_on(s.scheduler.add_schedule(input)).ok());
        if let Some(view) = &added {
            s.rt.block_on(s.scheduler.remove_schedule(&view.schedule.name))
                .expect("remove");
        }
        *outcomes.entry(added.is_some()).or_default() += 1;
    }
    assert!(
        outcomes.get(&true).copied().unwrap_or(0) > 10,
        "schedules: {outcomes:?}"
    );
    assert!(
        outcomes.get(&false).copied().unwrap_or(0) > 10,
        "schedules: {outcomes:?}"
    );
}
