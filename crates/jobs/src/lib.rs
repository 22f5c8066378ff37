//! antrian-jobs: the job handlers the worker pools run (DESIGN.md: `core` ← `jobs`).
//!
//! - [`scrape`]: product, shop, order and batch scraping (scraping-queue).
//! - [`data`]: saving products and validating data (data-processing-queue).
//! - [`notify`]: webhooks (notifications-queue).
//! - [`cleanup`]: pruning old data (cleanup-queue).
//! - [`net`]: the SSRF guard of every request a job makes to an address it was handed.
//! - [`catalogue`]: every job type with the JSON Schema of its data and an example, for
//!   forms, the API and the CLI.
//!
//! [`setup`] gives a runtime the handler routes to start its pools with and makes its queue
//! manager refuse, when they are added, jobs a handler would discard ([`check_job`]).

pub mod catalogue;
pub mod cleanup;
pub mod data;
pub mod net;
pub mod notify;
pub mod scrape;

use std::sync::Arc;

use antrian_core::queue::Refusal;
use antrian_core::worker::Registry;
use antrian_core::Runtime;

pub use scrape::ScrapeError;

/// Sets `runtime` up for this crate's jobs: installs [`check_job`] in its queue manager (a
/// job its handler would discard is refused when added) and returns the handler routes
/// to start its pools with.
pub fn setup(runtime: &Runtime) -> Result<Registry, ScrapeError> {
    install_checks(runtime);
    let mut registry = Registry::new();
    let store = antrian_core::store::ProductStore::new(runtime.connection().clone());
    Arc::new(data::DataJobs::new(
        store.clone(),
        antrian_core::store::OrderStore::new(runtime.connection().clone()),
        runtime.config().search.clone(),
    ))
    .register(&mut registry);
    Arc::new(cleanup::CleanupJobs::new(
        store,
        runtime.config().cleanup_allowed_dirs.clone(),
    ))
    .register(&mut registry);
    Arc::new(notify::NotifyJobs::new(runtime.config().notify.clone())).register(&mut registry);
    notify::target::register(
        &runtime.config().queue.http_targets,
        &runtime.config().notify,
        &mut registry,
    );
    let scraper = Arc::new(scrape::Scraper::new(
        runtime.connection().redis(),
        runtime.queues().clone(),
        &runtime.config().scrape,
    )?);
    scraper.register(&mut registry);
    Ok(registry)
}

/// Makes `runtime`'s queue manager refuse jobs a handler would discard ([`check_job`]),
/// for processes that add jobs without running handlers (one-shot CLI commands).
pub fn install_checks(runtime: &Runtime) {
    let config = runtime.config().clone();
    runtime
        .queues()
        .set_job_check(Arc::new(move |queue, name, data| {
            check_job(&config, queue, name, data)
        }));
}

/// Checks a job the way its handler on `queue` will, so a bad job is refused when it is
/// added rather than discarded later. On one of Antrian's queues a job name no handler
/// runs is refused, naming the ones that run there, unless `QUEUE_OTHER_WORKERS` declares
/// that other workers (Node.js BullMQ services) serve the queue too. Jobs on other queues
/// belong to someone else and pass.
pub fn check_job(
    config: &antrian_core::Config,
    queue: &str,
    name: &str,
    data: &serde_json::Value,
) -> Result<(), Refusal> {
    use antrian_core::worker::WorkerType;
    let Some(worker) = WorkerType::ALL.into_iter().find(|t| t.queue() == queue) else {
        return Ok(());
    };
    if !catalogue::runs(worker, name) {
        if config.queue.other_workers.iter().any(|q| q == queue) {
            return Ok(());
        }
        return Err(Refusal::name(format!(
            "no handler runs `{name}` on {queue}; it runs {}. If other workers (Node.js BullMQ services) serve this queue, declare it in QUEUE_OTHER_WORKERS",
            catalogue::names(worker).join(", ")
        )));
    }
    match worker {
        WorkerType::Scraping => scrape::input::check(name, data, &config.scrape),
        WorkerType::DataProcessing => data::check(name, data),
        WorkerType::Cleanup => cleanup::check(name, data, &config.cleanup_allowed_dirs),
        WorkerType::Notification => notify::check(name, data, &config.notify),
        // Not one of the four (found among them above): its own handlers check its jobs.
        WorkerType::Custom(_) => Ok(()),
    }
    .map_err(Refusal::from)
}
