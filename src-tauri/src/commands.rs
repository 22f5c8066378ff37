//! Tauri commands: one-line adapters over core, named `verb_noun` and grouped by resource.
//! Each answers core's value or a `StatusError` (`{code, message}`) the UI branches on.

use antrian_core::alerts::AlertPrefs;
use antrian_core::audit::{Actor, AuditEntry};
use antrian_core::config::dashboard::{DashboardSettings, DashboardStatus};
use antrian_core::config::targets::{HttpTargetInput, HttpTargetsView};
use antrian_core::connection::status::{ConnectionStatus, StatusError};
use antrian_core::queue::ScalingRecord;
use antrian_core::queue::{
    AddedJob, BulkAction, BulkOutcome, CleanOptions, CreatedQueue, HealthStatus, JobDetail,
    JobFilter, JobOptionsInput, JobPage, JobQuery, JobState, QueueStats, QueueThroughput,
};
use antrian_core::scheduler::{
    DynamicScheduleInput, DynamicScheduleUpdate, DynamicScheduleView, Preview, ScheduleInput,
    ScheduleUpdate, ScheduleView,
};
use antrian_core::store::connections::{
    self, test_connection as test_connection_at, ConnectionInput, ConnectionList, ConnectionTest,
    PasswordChange, SavedConnection,
};
use antrian_core::store::{ExportFormat, ProductFilter, ProductPage, ProductQuery, ProductStore};
use antrian_core::worker::ScalingRules;
use antrian_core::worker::{
    list_nodes as list_nodes_of, scaling_log, send_command, CommandReply, NodeCommand, NodeInfo,
    GONE_AFTER, REPLY_TIMEOUT,
};
use antrian_core::{Error, ErrorCode};
use antrian_jobs::catalogue::{catalogue, Catalogue};
use antrian_jobs::scrape::stats::{domain_stats, DomainStats};
use serde_json::Value;
use tauri::{AppHandle, Manager, State};

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

// Workers and scaling.

#[tauri::command]
pub async fn list_nodes(shell: State<'_, Shell>) -> Reply<Vec<NodeInfo>> {
    list_nodes_of(&shell.handle()?.connection, GONE_AFTER)
        .await
        .map_err(fail)
}

#[tauri::command]
pub async fn send_node_command(
    shell: State<'_, Shell>,
    node: String,
    command: NodeCommand,
) -> Reply<CommandReply> {
    let h = shell.handle()?;
    send_command(&h.connection, &node, &command, REPLY_TIMEOUT)
        .await
        .map_err(fail)
}

#[tauri::command]
pub async fn list_scaling_log(shell: State<'_, Shell>, count: usize) -> Reply<Vec<ScalingRecord>> {
    scaling_log(&shell.handle()?.connection, count)
        .await
        .map_err(fail)
}

/// The audit log, newest first.
#[tauri::command]
pub async fn list_audit(shell: State<'_, Shell>, limit: usize) -> Reply<Vec<AuditEntry>> {
    antrian_core::audit::recent(&shell.handle()?.connection, limit)
        .await
        .map_err(fail)
}

// Results.

/// The auto-scaling rules this app's pools follow.
#[tauri::command]
pub fn get_scaling_rules(shell: State<'_, Shell>) -> Reply<ScalingRules> {
    Ok(shell.handle()?.scaling.clone())
}

#[tauri::command]
pub async fn list_products(shell: State<'_, Shell>, query: ProductQuery) -> Reply<ProductPage> {
    let store = ProductStore::new(shell.handle()?.connection);
    let page_size = query.page_size();
    let filter = ProductFilter {
        shop: query.shop,
        name: query.q,
    };
    store
        .list(&filter, query.page, page_size)
        .await
        .map_err(fail)
}

#[tauri::command]
pub async fn list_sites(shell: State<'_, Shell>) -> Reply<Vec<DomainStats>> {
    let redis = shell.handle()?.connection.redis();
    domain_stats(&redis).await.map_err(|e| fail(Error::from(e)))
}

/// Writes every product to `Downloads/antrian-products-<time>.<csv|json>`; the file's path.
#[tauri::command]
pub async fn export_products(
    app: tauri::AppHandle,
    shell: State<'_, Shell>,
    format: String,
) -> Reply<String> {
    use tauri::Manager;
    let kind = ExportFormat::parse(&format).map_err(fail)?;
    let ext = kind.extension();
    let dir = app
        .path()
        .download_dir()
        .or_else(|_| app.path().home_dir())
        .map_err(|e| StatusError {
            code: antrian_core::ErrorCode::Unavailable,
            message: format!("no folder to save the export in: {e}"),
        })?;
    let stamp = chrono::Local::now().format("%Y%m%d-%H%M%S");
    let path = dir.join(format!("antrian-products-{stamp}.{ext}"));
    let store = ProductStore::new(shell.handle()?.connection);
    let file = std::fs::File::create(&path).map_err(|e| {
        fail(Error::Io {
            context: format!("cannot create {}", path.display()),
            source: e,
        })
    })?;
    let mut out = std::io::BufWriter::new(file);
    store.export(kind, &mut out).await.map_err(fail)?;
    std::io::Write::flush(&mut out).map_err(|e| {
        fail(Error::Io {
            context: format!("cannot write {}", path.display()),
            source: e,
        })
    })?;
    Ok(path.display().to_string())
}

// Condition-based schedules.

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

// Desktop settings: notifications, the tray, saved connections.

#[tauri::command]
pub fn get_notification_prefs(shell: State<'_, Shell>) -> AlertPrefs {
    shell.settings().notifications
}

#[tauri::command]
pub fn save_notification_prefs(shell: State<'_, Shell>, prefs: AlertPrefs) -> Reply<AlertPrefs> {
    prefs.validate().map_err(fail)?;
    shell
        .update_settings(|s| s.notifications = prefs)
        .map(|s| s.notifications)
}

#[tauri::command]
pub fn get_close_to_tray(shell: State<'_, Shell>) -> bool {
    shell.settings().close_to_tray
}

#[tauri::command]
pub fn set_close_to_tray(shell: State<'_, Shell>, on: bool) -> Reply<bool> {
    shell
        .update_settings(|s| s.close_to_tray = on)
        .map(|s| s.close_to_tray)
}

/// The HTTP dashboard this app serves: its settings, its address while it runs, or why
/// it does not.
#[tauri::command]
pub async fn get_dashboard(app: AppHandle) -> Reply<DashboardStatus> {
    let shell = app.state::<Shell>();
    let settings = shell.dashboard_settings().ok_or_else(not_started)?;
    // Where the password is kept may take a keyring round trip.
    let app2 = app.clone();
    let store = blocking(move || Ok(app2.state::<Shell>().secrets.store())).await?;
    Ok(shell.dashboard.status(settings, store).await)
}

/// Saves the dashboard's settings (checked first: nothing is saved when one is bad) and
/// serves it again with them.
#[tauri::command]
pub async fn save_dashboard(app: AppHandle, settings: DashboardSettings) -> Reply<DashboardStatus> {
    settings.check().map_err(fail)?;
    app.state::<Shell>()
        .update_settings(|s| s.dashboard = Some(settings))?;
    app.state::<Shell>().serve_dashboard().await;
    get_dashboard(app).await
}

/// The dashboard's password, for Settings to show or copy.
#[tauri::command]
pub async fn get_dashboard_password(app: AppHandle) -> Reply<String> {
    blocking(move || {
        app.state::<Shell>()
            .dashboard_password()
            .ok_or_else(not_started)
    })
    .await
}

/// The HTTP targets saved in Settings (custom queues whose jobs are POSTed to an endpoint).
#[tauri::command]
pub fn get_http_targets(shell: State<'_, Shell>) -> HttpTargetsView {
    shell.http_targets()
}

/// Saves the HTTP targets (checked first: nothing is saved when one is bad) and restarts
/// Antrian on them: the workers drain, then the pools start again with the new queues.
#[tauri::command]
pub async fn save_http_targets(
    app: AppHandle,
    targets: Vec<HttpTargetInput>,
) -> Reply<HttpTargetsView> {
    antrian_core::config::targets::to_env(&targets).map_err(|message| StatusError {
        code: ErrorCode::InvalidInput,
        message,
    })?;
    app.state::<Shell>()
        .update_settings(|s| s.http_targets = targets)?;
    app.state::<Shell>().restart(&app).await;
    Ok(app.state::<Shell>().http_targets())
}

/// The secret HTTP targets' requests are signed with, for receivers to verify them.
#[tauri::command]
pub fn get_signing_secret(shell: State<'_, Shell>) -> Reply<String> {
    shell.signing_secret_in_use().ok_or_else(|| StatusError {
        code: ErrorCode::NotFound,
        message: "no signing secret yet: set WEBHOOK_SECRET, or save an HTTP target".into(),
    })
}

fn not_started() -> StatusError {
    StatusError {
        code: ErrorCode::Unavailable,
        message: "Antrian is still starting: the dashboard starts once Redis is connected".into(),
    }
}

#[tauri::command]
pub async fn list_connections(app: AppHandle) -> Reply<ConnectionList> {
    // Asking the keyring where passwords go may take a D-Bus round trip.
    blocking(move || Ok(app.state::<Shell>().connections())).await
}

#[tauri::command]
pub async fn save_connection(app: AppHandle, input: ConnectionInput) -> Reply<SavedConnection> {
    let app2 = app.clone();
    let (saved, active) = blocking(move || {
        let shell = app2.state::<Shell>();
        let settings = shell.settings();
        // Checked before anything is written.
        let saved = input.resolve(&settings.connections).map_err(fail)?;
        let id = saved.id.clone();
        match input.password_change() {
            PasswordChange::Remove => shell.secrets.delete(&id).map_err(unavailable)?,
            PasswordChange::Set(p) => shell.secrets.set(&id, p).map_err(unavailable)?,
            PasswordChange::Keep => {}
        }
        let next =
            shell.update_settings(|s| connections::upsert(&mut s.connections, saved.clone()))?;
        Ok((
            saved,
            next.active_connection.as_deref() == Some(id.as_str()),
        ))
    })
    .await?;
    if active {
        // The connection in use changed: reconnect with what was saved.
        app.state::<Shell>().restart(&app).await;
    }
    Ok(saved)
}

#[tauri::command]
pub async fn remove_connection(app: AppHandle, id: String) -> Reply<()> {
    blocking(move || {
        let shell = app.state::<Shell>();
        let settings = shell.settings();
        connections::check_removable(
            &settings.connections,
            settings.active_connection.as_deref(),
            &id,
        )
        .map_err(fail)?;
        shell.secrets.delete(&id).map_err(unavailable)?;
        shell.update_settings(|s| s.connections.retain(|c| c.id != id))?;
        Ok(())
    })
    .await
}

#[tauri::command]
pub async fn test_connection(app: AppHandle, input: ConnectionInput) -> Reply<ConnectionTest> {
    let url = blocking(move || {
        let shell = app.state::<Shell>();
        let stored = input.id.as_deref().and_then(|id| shell.secrets.get(id));
        let password = input.password_to_test(stored);
        let saved = input.to_saved("test".into(), false).map_err(fail)?;
        saved.url_with(password.as_deref()).map_err(fail)
    })
    .await?;
    test_connection_at(&url).await.map_err(fail)
}

#[tauri::command]
pub async fn use_connection(app: AppHandle, id: Option<String>) -> Reply<()> {
    let shell = app.state::<Shell>();
    if let Some(id) = &id {
        connections::find(&shell.settings().connections, id).map_err(fail)?;
    }
    shell.update_settings(|s| s.active_connection = id)?;
    shell.restart(&app).await;
    Ok(())
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

/// Runs `f` on a blocking thread (keyring and file work).
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Reply<T> + Send + 'static) -> Reply<T> {
    tauri::async_runtime::spawn_blocking(f)
        .await
        .map_err(|e| StatusError {
            code: ErrorCode::Internal,
            message: e.to_string(),
        })?
}

fn unavailable(message: String) -> StatusError {
    StatusError {
        code: ErrorCode::Unavailable,
        message,
    }
}
