//! The `custom_worker` example (the seed's "Custom Worker" on `my-queue`), run as a user
//! would run it, against a test-owned redis-server: its job completes with the seed's
//! result, its progress of 50 and its log line recorded by BullMQ.

#[allow(dead_code)] // `main` is the example's, not the test's.
#[path = "../examples/custom_worker.rs"]
mod example;

use std::collections::HashMap;

use antrian_core::config::{Config, LoadOptions};
use antrian_core::queue::JobState;
use antrian_testkit::TestRedis;
use serde_json::json;

#[tokio::test(flavor = "multi_thread")]
async fn the_custom_worker_example_runs_my_job_to_completion_with_progress_50() {
    let redis = TestRedis::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let env: HashMap<String, String> = [
        ("REDIS_URL", redis.url()),
        ("ANTRIAN_DATA_DIR", dir.path().display().to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    let config = Config::load(&LoadOptions {
        env,
        ..Default::default()
    })
    .expect("config");
    let job = example::run(config).await.expect("the example runs");
    assert_eq!(job.state, JobState::Completed, "{job:?}");
    assert_eq!(job.progress.as_f64(), Some(50.0), "{}", job.progress);
    assert_eq!(
        job.return_value,
        json!({"success": true, "processedData": {"shop": "shop-1"}})
    );
    assert_eq!(job.logs, ["half way"]);
    // Its queue now exists for producers, like the seed's four.
    let meta: bool = redis::cmd("EXISTS")
        .arg("bull:my-queue:meta")
        .query(&mut redis.connection())
        .expect("EXISTS");
    assert!(meta);
}
