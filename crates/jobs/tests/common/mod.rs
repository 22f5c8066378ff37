//! What the integration tests share: a runtime with antrian-jobs' handlers on a test's own
//! redis-server, running the pools a test asks for.
#![allow(dead_code)] // each test binary uses a part

use std::collections::BTreeMap;
use std::path::Path;

use antrian_core::config::{Config, LoadOptions};
use antrian_core::runtime::{Services, WorkerPlan};
use antrian_core::worker::WorkerType;
use antrian_core::{CancellationToken, Runtime};

/// A full runtime on `redis_url` with data in `data_dir`, auto-scaling off, `vars` over
/// the defaults, and `pools` (type, workers) running the handlers.
pub async fn runtime(
    redis_url: &str,
    data_dir: &Path,
    vars: &[(&str, &str)],
    pools: &[(WorkerType, u32)],
) -> Runtime {
    let data_dir = data_dir.display().to_string();
    let mut all: Vec<(&str, &str)> = vec![
        ("REDIS_URL", redis_url),
        ("ANTRIAN_DATA_DIR", data_dir.as_str()),
        ("QUEUE_AUTO_SCALING", "false"),
    ];
    for (k, v) in vars {
        all.retain(|(key, _)| key != k);
        all.push((k, v));
    }
    let config = Config::load(&LoadOptions::from_vars(all)).expect("config");
    let board = Runtime::status_board(&config);
    let mut rt = Runtime::start(config, board, CancellationToken::new(), Services::Full)
        .await
        .expect("runtime");
    let registry = antrian_jobs::setup(&rt).expect("handlers");
    let plan = WorkerPlan {
        types: pools.iter().map(|(t, _)| *t).collect(),
        counts: pools.iter().copied().collect::<BTreeMap<_, _>>(),
    };
    rt.start_workers(registry, &plan).await.expect("workers");
    rt
}

/// Adds a `name` job to `queue` (3 attempts, 100 ms fixed backoff) and waits for its end:
/// the result, or the final failure's reason and attempts made.
pub async fn run_to_end(
    rt: &Runtime,
    queue: &str,
    name: &str,
    data: serde_json::Value,
) -> (String, Result<serde_json::Value, (String, u32)>) {
    use antrian_core::queue::{JobOptionsInput, QueueEvent};
    let mut sub = rt.events().subscribe();
    let opts: JobOptionsInput = serde_json::from_value(
        serde_json::json!({"attempts": 3, "backoff": {"type": "fixed", "delay": 100}}),
    )
    .expect("opts");
    let id = rt
        .queues()
        .add_job(queue, name, data, &opts)
        .await
        .expect("add")
        .id;
    let event = sub
        .recv_matching(std::time::Duration::from_secs(60), |ev| match ev {
            QueueEvent::JobCompleted { job_id, .. } => *job_id == id,
            QueueEvent::JobFailed {
                job_id, is_final, ..
            } => *job_id == id && *is_final,
            _ => false,
        })
        .await
        .expect("the job finished");
    let end = match event {
        QueueEvent::JobCompleted { return_value, .. } => Ok(return_value),
        QueueEvent::JobFailed {
            failed_reason,
            attempts_made,
            ..
        } => Err((failed_reason, attempts_made)),
        _ => unreachable!("matched above"),
    };
    (id, end)
}
