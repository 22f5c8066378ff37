//! antrian-jobs: the job handlers the worker pools run (DESIGN.md: `core` ← `jobs`).
//!
//! - [`scrape`]: product, shop, order and batch scraping (scraping-queue).
//!
//! [`setup`] gives a runtime the handler routes to start its pools with and makes its queue
//! manager refuse, when they are added, jobs a handler would discard ([`check_job`]).

pub mod scrape;

use std::sync::Arc;

use antrian_core::worker::Registry;
use antrian_core::Runtime;

pub use scrape::ScrapeError;

/// Sets `runtime` up for this crate's jobs: installs [`check_job`] in its queue manager (a
/// job its handler would discard is refused when added) and returns the handler routes
/// to start its pools with.
pub fn setup(runtime: &Runtime) -> Result<Registry, ScrapeError> {
    install_checks(runtime);
    let mut registry = Registry::new();
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
            if queue == antrian_core::worker::WorkerType::Scraping.queue() {
                check_job(&config, name, data)
            } else {
                Ok(())
            }
        }));
}

/// Checks job data the way its handler will, so a bad job is refused when it is added
/// rather than discarded later. Jobs this crate does not handle pass.
pub fn check_job(
    config: &antrian_core::Config,
    name: &str,
    data: &serde_json::Value,
) -> Result<(), String> {
    scrape::input::check(name, data, &config.scrape)
}
