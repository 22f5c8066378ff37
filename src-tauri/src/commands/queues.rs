//! Queues and jobs: the Queues and Jobs pages, the add-job form, health.

use antrian_core::audit::Actor;
use antrian_core::queue::{
    AddedJob, BulkAction, BulkOutcome, CleanOptions, CreatedQueue, HealthStatus, JobDetail,
    JobFilter, JobOptionsInput, JobPage, JobQuery, JobState, QueueStats, QueueThroughput,
};
use antrian_jobs::catalogue::{catalogue, Catalogue};
use serde_json::Value;
use tauri::State;

use crate::shell::Shell;

use super::{fail, Reply};

#[tauri::command]
pub async fn list_queues(shell: State<'_, Shell>) -> Reply<Vec<QueueStats>> {
    shell
        .handle()?
        .queues
        .get_all_queue_stats()
        .await
        .map_err(fail)
}

/// Creates a queue so jobs can be added to it (the Queues page's New queue form).
#[tauri::command]
pub async fn create_queue(shell: State<'_, Shell>, name: String) -> Reply<CreatedQueue> {
    shell.handle()?.create_queue(&name).await.map_err(fail)
}

#[tauri::command]
pub async fn list_jobs(shell: State<'_, Shell>, queue: String, query: JobQuery) -> Reply<JobPage> {
    shell
        .handle()?
        .queues
        .query_jobs(&queue, &query)
        .await
        .map_err(fail)
}

#[tauri::command]
pub async fn act_on_matching_jobs(
    shell: State<'_, Shell>,
    queue: String,
    state: JobState,
    filter: JobFilter,
    action: BulkAction,
) -> Reply<BulkOutcome> {
    let h = shell.handle()?;
    h.queues
        .by(Actor::desktop())
        .act_on_matching(&queue, state, &filter, action)
        .await
        .map_err(fail)
}

#[tauri::command]
pub async fn get_job(shell: State<'_, Shell>, queue: String, id: String) -> Reply<JobDetail> {
    shell
        .handle()?
        .queues
        .get_job(&queue, &id)
        .await
        .map_err(fail)
}

#[tauri::command]
pub async fn list_throughput(shell: State<'_, Shell>, minutes: u32) -> Reply<Vec<QueueThroughput>> {
    shell
        .handle()?
        .queues
        .throughput(minutes)
        .await
        .map_err(fail)
}

#[tauri::command]
pub async fn update_job_data(
    shell: State<'_, Shell>,
    queue: String,
    id: String,
    data: Value,
) -> Reply<JobDetail> {
    let h = shell.handle()?;
    h.queues
        .by(Actor::desktop())
        .update_job_data(&queue, &id, data)
        .await
        .map_err(fail)?;
    h.queues.get_job(&queue, &id).await.map_err(fail)
}

/// The job-type catalogue the add-job and schedule forms are rendered from.
#[tauri::command]
pub fn list_job_types(shell: State<'_, Shell>) -> Reply<Catalogue> {
    Ok(catalogue(shell.handle()?.queues.defaults()))
}

/// Whether `add_job` would take this job; nothing is added.
#[tauri::command]
pub async fn check_job(
    shell: State<'_, Shell>,
    queue: String,
    name: String,
    data: Value,
    opts: JobOptionsInput,
) -> Reply<()> {
    shell
        .handle()?
        .queues
        .check_new_job(&queue, &name, &data, &opts)
        .await
        .map_err(fail)
}

#[tauri::command]
pub async fn add_job(
    shell: State<'_, Shell>,
    queue: String,
    name: String,
    data: Value,
    opts: JobOptionsInput,
) -> Reply<AddedJob> {
    shell
        .handle()?
        .queues
        .add_job(&queue, &name, data, &opts)
        .await
        .map_err(fail)
}

#[tauri::command]
pub async fn retry_job(shell: State<'_, Shell>, queue: String, id: String) -> Reply<()> {
    shell
        .handle()?
        .queues
        .by(Actor::desktop())
        .retry_job(&queue, &id)
        .await
        .map_err(fail)
}

#[tauri::command]
pub async fn remove_job(shell: State<'_, Shell>, queue: String, id: String) -> Reply<()> {
    shell
        .handle()?
        .queues
        .by(Actor::desktop())
        .remove_job(&queue, &id)
        .await
        .map_err(fail)
}

#[tauri::command]
pub async fn promote_job(shell: State<'_, Shell>, queue: String, id: String) -> Reply<()> {
    shell
        .handle()?
        .queues
        .by(Actor::desktop())
        .promote_job(&queue, &id)
        .await
        .map_err(fail)
}

/// Runs every delayed job of the queue now; how many.
#[tauri::command]
pub async fn promote_delayed_jobs(shell: State<'_, Shell>, queue: String) -> Reply<u64> {
    shell
        .handle()?
        .queues
        .by(Actor::desktop())
        .promote_jobs(&queue)
        .await
        .map_err(fail)
}

#[tauri::command]
pub async fn retry_failed_jobs(shell: State<'_, Shell>, queue: String) -> Reply<u64> {
    shell
        .handle()?
        .queues
        .by(Actor::desktop())
        .retry_all_failed(&queue)
        .await
        .map_err(fail)
}

#[tauri::command]
pub async fn pause_queue(shell: State<'_, Shell>, queue: String) -> Reply<()> {
    shell
        .handle()?
        .queues
        .by(Actor::desktop())
        .pause_queue(&queue)
        .await
        .map_err(fail)
}

#[tauri::command]
pub async fn resume_queue(shell: State<'_, Shell>, queue: String) -> Reply<()> {
    shell
        .handle()?
        .queues
        .by(Actor::desktop())
        .resume_queue(&queue)
        .await
        .map_err(fail)
}

#[tauri::command]
pub async fn clean_queue(
    shell: State<'_, Shell>,
    queue: String,
    options: CleanOptions,
) -> Reply<u64> {
    shell
        .handle()?
        .queues
        .by(Actor::desktop())
        .clean_queue(&queue, &options)
        .await
        .map_err(fail)
}

#[tauri::command]
pub async fn get_health(shell: State<'_, Shell>) -> Reply<HealthStatus> {
    shell.handle()?.health_status().await.map_err(fail)
}

#[tauri::command]
pub async fn pause_all_queues(shell: State<'_, Shell>) -> Reply<Vec<String>> {
    shell
        .handle()?
        .queues
        .by(Actor::desktop())
        .pause_all()
        .await
        .map_err(fail)
}

#[tauri::command]
pub async fn resume_all_queues(shell: State<'_, Shell>) -> Reply<Vec<String>> {
    shell
        .handle()?
        .queues
        .by(Actor::desktop())
        .resume_all()
        .await
        .map_err(fail)
}
