//! Cron and condition-based schedules, and cron previews.

use antrian_core::queue::AddedJob;
use antrian_core::scheduler::{
    DynamicScheduleInput, DynamicScheduleUpdate, DynamicScheduleView, Preview, ScheduleInput,
    ScheduleUpdate, ScheduleView,
};
use tauri::State;

use crate::shell::Shell;

use super::{fail, Reply};

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
pub async fn update_schedule(
    shell: State<'_, Shell>,
    name: String,
    update: ScheduleUpdate,
) -> Reply<ScheduleView> {
    shell
        .handle()?
        .scheduler
        .update_schedule(&name, update)
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
    count: Option<usize>,
) -> Reply<Preview> {
    shell
        .handle()?
        .scheduler
        .preview_expression(
            &cron,
            timezone.as_deref(),
            count.unwrap_or(antrian_core::scheduler::DEFAULT_PREVIEW),
        )
        .map_err(fail)
}

#[tauri::command]
pub async fn list_dynamic_schedules(shell: State<'_, Shell>) -> Reply<Vec<DynamicScheduleView>> {
    shell
        .handle()?
        .scheduler
        .list_dynamic_schedules()
        .await
        .map_err(fail)
}

#[tauri::command]
pub async fn add_dynamic_schedule(
    shell: State<'_, Shell>,
    input: DynamicScheduleInput,
) -> Reply<DynamicScheduleView> {
    shell
        .handle()?
        .scheduler
        .add_dynamic_schedule(input)
        .await
        .map_err(fail)
}

#[tauri::command]
pub async fn update_dynamic_schedule(
    shell: State<'_, Shell>,
    name: String,
    update: DynamicScheduleUpdate,
) -> Reply<DynamicScheduleView> {
    shell
        .handle()?
        .scheduler
        .update_dynamic_schedule(&name, update)
        .await
        .map_err(fail)
}

#[tauri::command]
pub async fn set_dynamic_schedule_enabled(
    shell: State<'_, Shell>,
    name: String,
    enabled: bool,
) -> Reply<DynamicScheduleView> {
    let h = shell.handle()?;
    h.scheduler
        .set_dynamic_enabled(&name, enabled)
        .await
        .map_err(fail)
}

#[tauri::command]
pub async fn remove_dynamic_schedule(shell: State<'_, Shell>, name: String) -> Reply<()> {
    shell
        .handle()?
        .scheduler
        .remove_dynamic_schedule(&name)
        .await
        .map_err(fail)
}
