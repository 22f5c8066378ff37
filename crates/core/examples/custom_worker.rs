//! The seed's "Custom Worker" in Rust: a handler for any queue (`my-queue`) run in an
//! Antrian pool, with the same retries, progress, logs, statistics, node commands and
//! auto-scaling as the four built-in pools.
//!
//! ```text
//! REDIS_URL=redis://127.0.0.1:6379 cargo run -p antrian-core --example custom_worker
//! ```
//!
//! It adds one job, runs it to completion and prints what the job recorded. A service
//! keeps the runtime until SIGTERM instead (`antrian_core::Runtime::stopped`), while
//! producers — Node.js BullMQ, `antrian jobs add my-queue my-job`, the dashboard — add jobs.
//! `crates/core/tests/custom_worker.rs` runs this file's `run`.

use std::process::ExitCode;
use std::time::Duration;

use antrian_core::config::{Config, LoadOptions};
use antrian_core::queue::{JobDetail, JobOptionsInput, QueueEvent};
use antrian_core::runtime::{Services, WorkerPlan};
use antrian_core::worker::{handler_fn, JobContext, JobError, Registry, WorkerType};
use antrian_core::{CancellationToken, Runtime};
use serde_json::{json, Value};

/// The seed's processor: progress 50, then `{success: true, processedData: data}`. An
/// `Err(JobError::retry(…))` would retry with the job's backoff; `JobError::discard` fails
/// it for good.
pub async fn process(mut job: JobContext) -> Result<Value, JobError> {
    job.progress(50.0).await?;
    job.log("half way").await?;
    Ok(json!({"success": true, "processedData": job.data()}))
}

/// Starts Antrian on `config` with a pool for `my-queue`, adds one `my-job`, waits for it
/// to finish and returns it as Redis keeps it.
pub async fn run(config: Config) -> antrian_core::Result<JobDetail> {
    let board = Runtime::status_board(&config);
    let mut runtime =
        Runtime::start(config, board, CancellationToken::new(), Services::Full).await?;
    let my_queue = WorkerType::custom("my-queue")?;
    let mut registry = Registry::new();
    registry.register(my_queue, "my-job", handler_fn(process));
    runtime
        .start_workers(
            registry,
            &WorkerPlan {
                types: vec![my_queue],
                ..WorkerPlan::default()
            },
        )
        .await?;
    let mut events = runtime.events().subscribe();
    let added = runtime
        .queues()
        .add_job(
            "my-queue",
            "my-job",
            json!({"shop": "shop-1"}),
            &JobOptionsInput::default(),
        )
        .await?;
    let finished = events
        .recv_matching(Duration::from_secs(30), |e| match e {
            QueueEvent::JobCompleted { queue, job_id, .. }
            | QueueEvent::JobFailed { queue, job_id, .. } => {
                queue == "my-queue" && *job_id == added.id
            }
            _ => false,
        })
        .await;
    let job = runtime.queues().get_job("my-queue", &added.id).await;
    runtime.shutdown().await;
    if finished.is_none() {
        eprintln!("my-job {} did not finish within 30 s", added.id);
    }
    job
}

#[tokio::main]
#[expect(clippy::print_stdout)] // An example prints what it did.
async fn main() -> ExitCode {
    let config = match Config::load(&LoadOptions::from_process(None)) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    match run(config).await {
        Ok(job) => {
            println!(
                "my-job {} {:?}: progress {}, result {}",
                job.id, job.state, job.progress, job.return_value
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}
