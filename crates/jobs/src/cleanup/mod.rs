//! Cleanup jobs (cleanup-queue): `cleanup-old-data` prunes the product store.

use std::sync::Arc;

use antrian_core::store::ProductStore;
use antrian_core::worker::{handler_fn, JobContext, JobError, Registry, WorkerType};
use serde::Deserialize;
use serde_json::{json, Value};

/// The jobs this module handles.
pub const JOBS: [&str; 1] = ["cleanup-old-data"];

/// Collections `cleanup-old-data` knows.
pub const COLLECTIONS: [&str; 1] = ["products"];

/// Ids listed in a result at most (a dry run over millions would not fit a job result).
const LISTED: usize = 1000;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct OldDataJob {
    collections: Vec<String>,
    older_than: f64,
    #[serde(default)]
    dry_run: bool,
}

/// The cleanup handlers.
#[derive(Debug)]
pub struct CleanupJobs {
    store: ProductStore,
}

impl CleanupJobs {
    /// Handlers over `store`.
    pub fn new(store: ProductStore) -> Self {
        Self { store }
    }

    /// Routes this module's jobs.
    pub fn register(self: &Arc<Self>, registry: &mut Registry) {
        let s = self.clone();
        registry.register(
            WorkerType::Cleanup,
            "cleanup-old-data",
            handler_fn(move |ctx| {
                let s = s.clone();
                async move { s.old_data(ctx).await }
            }),
        );
    }

    async fn old_data(&self, ctx: JobContext) -> Result<Value, JobError> {
        let job = parse_old_data(ctx.data()).map_err(JobError::discard)?;
        #[allow(clippy::cast_possible_truncation)]
        let cutoff = chrono::Utc::now().timestamp_millis() - (job.older_than * 86_400_000.0) as i64;
        let ids = self
            .store
            .remove_older_than(cutoff, job.dry_run)
            .await
            .map_err(|e| JobError::retry(format!("cannot prune products: {e}")))?;
        Ok(json!({
            "dryRun": job.dry_run,
            "products": {
                "matched": ids.len(),
                "removed": if job.dry_run { 0 } else { ids.len() },
                "ids": ids.iter().take(LISTED).collect::<Vec<_>>(),
                "idsTruncated": ids.len() > LISTED,
            },
            "olderThanDays": job.older_than,
        }))
    }
}

fn parse_old_data(data: &Value) -> Result<OldDataJob, String> {
    let job: OldDataJob = crate::scrape::input::parse("cleanup-old-data", data)?;
    if job.collections.is_empty() {
        return Err("invalid cleanup-old-data data: `collections` is empty".into());
    }
    for c in &job.collections {
        if !COLLECTIONS.contains(&c.as_str()) {
            return Err(format!(
                "invalid cleanup-old-data data: unknown collection `{c}`; known: {}",
                COLLECTIONS.join(", ")
            ));
        }
    }
    if !job.older_than.is_finite() || job.older_than < 0.0 || job.older_than > 36_500.0 {
        return Err(format!(
            "invalid cleanup-old-data data: olderThan must be days from 0 to 36500, not {}",
            job.older_than
        ));
    }
    Ok(job)
}

/// Checks a cleanup job's data without running it.
pub fn check(name: &str, data: &Value) -> Result<(), String> {
    match name {
        "cleanup-old-data" => parse_old_data(data).map(|_| ()),
        _ => Ok(()),
    }
}
