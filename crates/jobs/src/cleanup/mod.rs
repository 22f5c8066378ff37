//! Cleanup jobs (cleanup-queue): `cleanup-old-data` prunes the product store;
//! `cleanup-temp-files` deletes old files inside the allowed roots.
//!
//! - [`temp_files`]: the symlink-safe file walk.

pub mod temp_files;

use std::sync::Arc;

use antrian_core::store::ProductStore;
use antrian_core::worker::{handler_fn, JobContext, JobError, Registry, WorkerType};
use serde::Deserialize;
use serde_json::{json, Value};

/// The jobs this module handles.
pub const JOBS: [&str; 2] = ["cleanup-old-data", "cleanup-temp-files"];

/// Collections `cleanup-old-data` knows.
pub const COLLECTIONS: [&str; 1] = ["products"];

/// Ids listed in a result at most (a dry run over millions would not fit a job result).
const LISTED: usize = 1000;

/// `cleanup-old-data`: `{ collections, olderThan, dryRun? }`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OldDataJob {
    /// What to prune.
    #[schemars(title = "Collections", length(min = 1), extend("items" = {"type": "string", "enum": COLLECTIONS}))]
    pub collections: Vec<String>,
    /// Records scraped longer ago than this many days go (0 to 36500).
    #[schemars(title = "Older than (days)", range(min = 0, max = 36_500))]
    pub older_than: f64,
    /// Only count what would go.
    #[serde(default)]
    #[schemars(title = "Dry run (count only)")]
    pub dry_run: bool,
}

/// The cleanup handlers.
#[derive(Debug)]
pub struct CleanupJobs {
    store: ProductStore,
    roots: Vec<std::path::PathBuf>,
}

impl CleanupJobs {
    /// Handlers over `store`, deleting files only inside `roots`.
    pub fn new(store: ProductStore, roots: Vec<std::path::PathBuf>) -> Self {
        Self { store, roots }
    }

    /// Routes this module's jobs.
    pub fn register(self: &Arc<Self>, registry: &mut Registry) {
        for name in JOBS {
            let s = self.clone();
            registry.register(
                WorkerType::Cleanup,
                name,
                handler_fn(move |ctx| {
                    let s = s.clone();
                    async move {
                        match ctx.name() {
                            "cleanup-old-data" => s.old_data(ctx).await,
                            _ => s.temp_files(ctx).await,
                        }
                    }
                }),
            );
        }
    }

    async fn old_data(&self, ctx: JobContext) -> Result<Value, JobError> {
        let job = parse_old_data(ctx.data()).map_err(JobError::discard)?;
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

impl CleanupJobs {
    async fn temp_files(&self, ctx: JobContext) -> Result<Value, JobError> {
        let (job, targets) =
            parse_temp_files(ctx.data(), &self.roots).map_err(JobError::discard)?;
        let cutoff = chrono::Utc::now().timestamp() - (job.older_than * 86_400.0) as i64;
        let extensions = job.extensions.clone();
        let report = tokio::task::spawn_blocking(move || {
            let mut total = temp_files::Removed::default();
            let mut per_dir = Vec::new();
            for (raw, root, inside) in targets {
                // A root that does not resolve cannot hold anything to delete.
                let root = std::fs::canonicalize(&root)
                    .map_err(|e| format!("allowed root {} is unusable: {e}", root.display()))?;
                let r = temp_files::clean(&root, &inside, cutoff, &extensions, &mut |_| {})?;
                total.files += r.files;
                total.bytes += r.bytes;
                total.symlinks_skipped += r.symlinks_skipped;
                total.errors += r.errors;
                per_dir.push(json!({"directory": raw, "files": r.files, "bytes": r.bytes}));
            }
            Ok::<_, String>(json!({
                "files": total.files, "bytes": total.bytes,
                "symlinksSkipped": total.symlinks_skipped, "errors": total.errors,
                "directories": per_dir,
            }))
        })
        .await
        .map_err(|e| JobError::retry(format!("the cleanup crashed: {e}")))?;
        report.map_err(JobError::discard)
    }
}

type Target = (String, std::path::PathBuf, std::path::PathBuf);

fn parse_temp_files(
    data: &Value,
    roots: &[std::path::PathBuf],
) -> Result<(temp_files::TempFilesJob, Vec<Target>), String> {
    let job: temp_files::TempFilesJob = crate::scrape::input::parse("cleanup-temp-files", data)?;
    if job.directories.is_empty() {
        return Err("invalid cleanup-temp-files data: `directories` is empty".into());
    }
    if !job.older_than.is_finite() || job.older_than < 0.0 || job.older_than > 36_500.0 {
        return Err(format!(
            "invalid cleanup-temp-files data: olderThan must be days from 0 to 36500, not {}",
            job.older_than
        ));
    }
    let targets = job
        .directories
        .iter()
        .map(|d| {
            temp_files::resolve(roots, d)
                .map(|(root, inside)| (d.clone(), root, inside))
                .map_err(|e| format!("invalid cleanup-temp-files data: {e}"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok((job, targets))
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
pub fn check(name: &str, data: &Value, roots: &[std::path::PathBuf]) -> Result<(), String> {
    match name {
        "cleanup-old-data" => parse_old_data(data).map(|_| ()),
        "cleanup-temp-files" => parse_temp_files(data, roots).map(|_| ()),
        _ => Ok(()),
    }
}
