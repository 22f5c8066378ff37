//! What the integration tests share: a runtime with antrian-jobs' handlers on a test's own
//! redis-server, running the pools a test asks for.

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
