//! Tauri commands: one-line adapters over core, named `verb_noun` and grouped by resource.
//! Each answers core's value or a `StatusError` (`{code, message}`) the UI branches on.

use antrian_core::health::{ConnectionStatus, StatusError};
use antrian_core::queue::{
    AddedJob, CleanOptions, HealthStatus, JobDetail, JobOptionsInput, JobPage, JobState, QueueStats,
};
use antrian_core::scheduler::{Preview, ScheduleInput, ScheduleView};
use antrian_core::Error;
use serde_json::Value;
use tauri::State;

use crate::shell::Shell;

type Reply<T> = Result<T, StatusError>;

fn fail(e: Error) -> StatusError {
    StatusError::from(&e)
}

/// The Redis connection as the Overview shows it.
#[tauri::command]
pub fn get_connection_status(shell: State<'_, Shell>) -> ConnectionStatus {
    shell.status()
}

// Queues and jobs.

#[tauri::command]
pub async fn list_queues(shell: State<'_, Shell>) -> Reply<Vec<QueueStats>> {
    shell
        .handle()?
        .queues
        .get_all_queue_stats()
        .await
        .map_err(fail)
}

#[tauri::command]
pub async fn list_jobs(
    shell: State<'_, Shell>,
    queue: String,
    state: JobState,
    page: u32,
    page_size: u32,
    order: String,
) -> Reply<JobPage> {
    let oldest_first = order == "oldest";
    let h = shell.handle()?;
    h.queues
        .list_jobs(&queue, state, page, page_size, oldest_first)
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
        .retry_job(&queue, &id)
        .await
        .map_err(fail)
}

#[tauri::command]
pub async fn remove_job(shell: State<'_, Shell>, queue: String, id: String) -> Reply<()> {
    shell
        .handle()?
        .queues
        .remove_job(&queue, &id)
        .await
        .map_err(fail)
}

#[tauri::command]
pub async fn promote_job(shell: State<'_, Shell>, queue: String, id: String) -> Reply<()> {
    shell
        .handle()?
        .queues
        .promote_job(&queue, &id)
        .await
        .map_err(fail)
}

#[tauri::command]
pub async fn retry_failed_jobs(shell: State<'_, Shell>, queue: String) -> Reply<u64> {
    shell
        .handle()?
        .queues
        .retry_all_failed(&queue)
        .await
        .map_err(fail)
}

#[tauri::command]
pub async fn pause_queue(shell: State<'_, Shell>, queue: String) -> Reply<()> {
    shell
        .handle()?
        .queues
        .pause_queue(&queue)
        .await
        .map_err(fail)
}

#[tauri::command]
pub async fn resume_queue(shell: State<'_, Shell>, queue: String) -> Reply<()> {
    shell
        .handle()?
        .queues
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
        .clean_queue(&queue, &options)
        .await
        .map_err(fail)
}

#[tauri::command]
pub async fn get_health(shell: State<'_, Shell>) -> Reply<HealthStatus> {
    shell.handle()?.health_status().await.map_err(fail)
}

// Schedules.

#[tauri::command]
pub async fn list_schedules(shell: State<'_, Shell>) -> Reply<Vec<ScheduleView>> {
    shell
        .handle()?
        .scheduler
        .list_schedules()
        .await
        .map_err(fail)
}

#[tauri::command]
pub async fn add_schedule(shell: State<'_, Shell>, input: ScheduleInput) -> Reply<ScheduleView> {
    shell
        .handle()?
        .scheduler
        .add_schedule(input)
        .await
        .map_err(fail)
}

#[tauri::command]
pub async fn enable_schedule(shell: State<'_, Shell>, name: String) -> Reply<ScheduleView> {
    shell
        .handle()?
        .scheduler
        .enable_schedule(&name)
        .await
        .map_err(fail)
}

#[tauri::command]
pub async fn disable_schedule(shell: State<'_, Shell>, name: String) -> Reply<ScheduleView> {
    shell
        .handle()?
        .scheduler
        .disable_schedule(&name)
        .await
        .map_err(fail)
}

#[tauri::command]
pub async fn run_schedule(shell: State<'_, Shell>, name: String) -> Reply<AddedJob> {
    shell
        .handle()?
        .scheduler
        .run_schedule_now(&name)
        .await
        .map_err(fail)
}

#[tauri::command]
pub async fn remove_schedule(shell: State<'_, Shell>, name: String) -> Reply<()> {
    shell
        .handle()?
        .scheduler
        .remove_schedule(&name)
        .await
        .map_err(fail)
}

#[tauri::command]
pub async fn preview_cron(
    shell: State<'_, Shell>,
    cron: String,
    timezone: Option<String>,
    count: usize,
) -> Reply<Preview> {
    shell
        .handle()?
        .scheduler
        .preview_expression(&cron, timezone.as_deref(), count)
        .map_err(fail)
}
