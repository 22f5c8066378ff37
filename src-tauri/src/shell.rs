//! The desktop shell's hold on the core runtime: starts it when the window opens (on the
//! connection chosen in Settings), restarts it on another connection when the user
//! switches, bridges status changes to `connection-status`, core events to `job-event` and
//! alerts to OS notifications, and shuts it down (draining the workers) when the app exits.

use std::sync::{Mutex, MutexGuard, RwLock};
use std::time::Duration;

use antrian_core::alerts::AlertPrefs;
use antrian_core::config::dashboard::DashboardSettings;
use antrian_core::config::{Config, DashboardConfig, LoadOptions, REDIS_VARS};
use antrian_core::connection::status::{ConnectionStatus, RedisMode, StatusBoard, StatusError};
use antrian_core::queue::QueueEvent;
use antrian_core::runtime::Handle;
use antrian_core::store::connections::ConnectionList;
use antrian_core::telemetry::LogGuard;
use antrian_core::{CancellationToken, ErrorCode, Runtime};
use tauri::{AppHandle, Emitter};
use tokio::sync::watch;

use crate::dashboard::Dashboard;
use crate::secrets::Secrets;
use crate::settings::{DesktopSettings, SettingsFile};

/// The secrets entry holding the signing secret of HTTP targets set up in Settings.
const SIGNING_SECRET_ID: &str = "antrian-signing-secret";

/// Managed Tauri state.
pub struct Shell {
    /// Latest connection status, shown even while the runtime is starting or failed.
    board: StatusBoard,
    /// The runtime on the connection in use; held while one starts.
    session: tokio::sync::Mutex<Option<Runtime>>,
    /// Stops the current runtime, or its start while Redis does not answer yet.
    cancel: Mutex<CancellationToken>,
    /// What commands use, once the runtime has started.
    handle: RwLock<Option<Handle>>,
    /// Stops everything when the app exits.
    exiting: CancellationToken,
    /// The desktop settings file.
    settings: Mutex<SettingsFile>,
    /// Connection passwords.
    pub secrets: Secrets,
    /// Notification preferences, as the alert watcher follows them.
    prefs: watch::Sender<AlertPrefs>,
    /// The HTTP dashboard this app serves.
    pub dashboard: Dashboard,
    /// The configuration's dashboard (Settings change it) and the password in use.
    dashboard_base: Mutex<Option<DashboardConfig>>,
    /// HTTP targets as the runtime in use got them: named by the configuration itself,
    /// and the secret their requests are signed with.
    targets: Mutex<(bool, Option<String>)>,
    /// Keeps the log file writer alive.
    _log: Option<LogGuard>,
}

impl Shell {
    /// Reads the settings and starts logging; a bad configuration is reported in the
    /// window when the runtime starts, not by a crash.
    pub fn new() -> Self {
        let dir = crate::settings::config_dir();
        let settings = SettingsFile::load(&dir);
        let log = Config::load(&LoadOptions::from_process(None))
            .ok()
            .and_then(|config| {
                antrian_core::telemetry::init(&config.app.log_filter, &config.app.log_dir)
                    .map_err(|e| eprintln!("antrian: logging to file disabled: {e}"))
                    .ok()
            });
        let (prefs, _) = watch::channel(settings.current.notifications.clone());
        Self {
            board: StatusBoard::new(RedisMode::Embedded, "not configured"),
            session: tokio::sync::Mutex::new(None),
            cancel: Mutex::new(CancellationToken::new()),
            handle: RwLock::new(None),
            exiting: CancellationToken::new(),
            settings: Mutex::new(settings),
            secrets: Secrets::new(dir),
            prefs,
            dashboard: Dashboard::default(),
            dashboard_base: Mutex::new(None),
            targets: Mutex::new((false, None)),
            _log: log,
        }
    }

    /// The current connection status.
    pub fn status(&self) -> ConnectionStatus {
        self.board.current()
    }

    /// Every change of the connection status.
    pub fn status_changes(&self) -> watch::Receiver<ConnectionStatus> {
        self.board.subscribe()
    }

    /// The runtime's handle, or why there is none yet.
    pub fn handle(&self) -> Result<Handle, StatusError> {
        let handle = self
            .handle
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        handle.ok_or_else(|| {
            let status = self.board.current();
            status.error.unwrap_or(StatusError {
                code: ErrorCode::Unavailable,
                message: "Antrian is still starting: Redis is not connected yet".into(),
            })
        })
    }

    /// The settings as saved.
    pub fn settings(&self) -> DesktopSettings {
        self.settings_file().current.clone()
    }

    fn settings_file(&self) -> MutexGuard<'_, SettingsFile> {
        self.settings.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Saves settings changed by `change`; the notification preferences take effect at once.
    pub fn update_settings(
        &self,
        change: impl FnOnce(&mut DesktopSettings),
    ) -> Result<DesktopSettings, StatusError> {
        let mut file = self.settings_file();
        let mut next = file.current.clone();
        change(&mut next);
        file.save(next.clone()).map_err(|e| StatusError {
            code: ErrorCode::Unavailable,
            message: format!("cannot save the settings: {e}"),
        })?;
        self.prefs.send_replace(next.notifications.clone());
        Ok(next)
    }

    /// The saved connections as Settings shows them.
    pub fn connections(&self) -> ConnectionList {
        let settings = self.settings();
        ConnectionList {
            connections: settings.connections,
            active: settings.active_connection,
            secret_store: self.secrets.store(),
            overridden_by: REDIS_VARS
                .iter()
                .find(|v| std::env::var_os(v).is_some())
                .map(|v| (*v).to_string()),
        }
    }

    /// Starts the status bridge and the runtime on Tauri's async runtime.
    pub fn start(&self, app: AppHandle) {
        let mut changes = self.board.subscribe();
        tauri::async_runtime::spawn({
            let app = app.clone();
            async move {
                while changes.changed().await.is_ok() {
                    let status = changes.borrow_and_update().clone();
                    let _ = app.emit("connection-status", status);
                }
            }
        });
        tauri::async_runtime::spawn(async move {
            use tauri::Manager;
            let shell = app.state::<Shell>();
            let mut session = shell.session.lock().await;
            shell.launch(&app, &mut session).await;
        });
    }

    /// Stops the runtime on the current connection and starts one on the connection now
    /// saved as active. Workers drain first; jobs they hold go back to their queues.
    pub async fn restart(&self, app: &AppHandle) {
        // First stop a start that may be waiting for an unreachable server.
        self.cancel
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .cancel();
        let mut session = self.session.lock().await;
        *self.handle.write().unwrap_or_else(|p| p.into_inner()) = None;
        self.dashboard.stop().await;
        if let Some(runtime) = session.take() {
            runtime.shutdown().await;
        }
        self.launch(app, &mut session).await;
    }

    /// The configuration, with the saved active connection applied unless the
    /// environment names a Redis itself.
    fn config(&self) -> antrian_core::Result<Config> {
        let mut opts = LoadOptions::from_process(None);
        let settings = self.settings();
        let chosen = settings
            .active_connection
            .as_ref()
            .and_then(|id| settings.connections.iter().find(|c| &c.id == id));
        if let Some(saved) = chosen {
            if !REDIS_VARS.iter().any(|v| opts.env.contains_key(*v)) {
                let password = self.secrets.get(&saved.id);
                let (var, value) = saved.env_with(password.as_deref())?;
                opts.env.insert(var.into(), value);
            }
        }
        let mut config = Config::load(&opts)?;
        let from_config = !config.queue.http_targets.is_empty();
        // HTTP targets saved in Settings, unless the configuration names its own; signed
        // with WEBHOOK_SECRET, or with a secret generated and kept in the keyring.
        if config.queue.http_targets.is_empty() && !settings.http_targets.is_empty() {
            let checked: Result<Vec<_>, String> = settings
                .http_targets
                .iter()
                .map(antrian_core::config::targets::check)
                .collect();
            match checked {
                Ok(targets) => {
                    config.queue.http_targets = targets;
                    if config.notify.webhook_secret.is_none() {
                        config.notify.webhook_secret = Some(self.signing_secret());
                    }
                }
                Err(e) => tracing::error!("the HTTP targets in Settings are ignored: {e}"),
            }
        }
        *self.targets.lock().unwrap_or_else(|p| p.into_inner()) =
            (from_config, config.notify.webhook_secret.clone());
        Ok(config)
    }

    /// The HTTP targets as Settings shows them.
    pub fn http_targets(&self) -> antrian_core::config::targets::HttpTargetsView {
        let (configured_elsewhere, secret) = self
            .targets
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let from_env = std::env::var_os("WEBHOOK_SECRET").is_some();
        antrian_core::config::targets::HttpTargetsView {
            targets: self.settings().http_targets,
            configured_elsewhere,
            signed_with: match (secret, from_env) {
                (_, true) => "WEBHOOK_SECRET".into(),
                (Some(_), false) => "the secret Settings shows".into(),
                (None, false) => "a secret generated when the first target is saved".into(),
            },
        }
    }

    /// The secret HTTP targets' requests are signed with in the runtime in use.
    pub fn signing_secret_in_use(&self) -> Option<String> {
        self.targets
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .1
            .clone()
    }

    /// The secret HTTP targets' requests are signed with when WEBHOOK_SECRET is not set:
    /// generated once, kept with the connection passwords. Talks to the keyring.
    pub fn signing_secret(&self) -> String {
        if let Some(kept) = self
            .secrets
            .get(SIGNING_SECRET_ID)
            .filter(|s| !s.is_empty())
        {
            return kept;
        }
        let fresh = antrian_server::credentials::generate();
        if let Err(e) = self.secrets.set(SIGNING_SECRET_ID, &fresh) {
            tracing::warn!("cannot keep the signing secret ({e}): a new one is made next start");
        }
        fresh
    }

    /// Starts a runtime (with pools, scheduler, event bridge and alerts) for `session`.
    async fn launch(&self, app: &AppHandle, session: &mut Option<Runtime>) {
        let cancel = self.exiting.child_token();
        *self.cancel.lock().unwrap_or_else(|p| p.into_inner()) = cancel.clone();
        let config = match self.config() {
            Ok(config) => config,
            Err(e) => {
                self.board.fail(&e);
                tracing::error!("{e}");
                return;
            }
        };
        let fresh = Runtime::status_board(&config).current();
        self.board.update(|s| *s = fresh);
        let board = self.board.clone();
        let services = antrian_core::runtime::Services::Full;
        let mut runtime = match Runtime::start(config, board, cancel.clone(), services).await {
            Ok(runtime) => runtime,
            Err(e) => {
                tracing::error!("{e}");
                return;
            }
        };
        // The desktop runs the pools too, and shows up among the worker nodes.
        match antrian_jobs::setup(&runtime) {
            Ok(registry) => {
                let plan = antrian_core::runtime::WorkerPlan::default();
                if let Err(e) = runtime.start_workers(registry, &plan).await {
                    tracing::error!("worker pools did not start: {e}");
                }
            }
            Err(e) => tracing::error!("job handlers did not start: {e}"),
        }
        // And the scheduler, which evaluates only while it holds the lease shared with
        // any headless `antrian scheduler`.
        runtime.start_scheduler();
        let handle = runtime.handle();
        tauri::async_runtime::spawn(bridge_events(app.clone(), handle.clone(), cancel.clone()));
        let (alerts, delivered) = tokio::sync::mpsc::channel(64);
        tauri::async_runtime::spawn(antrian_core::alerts::watch(
            handle.clone(),
            self.prefs.subscribe(),
            alerts,
            cancel.clone(),
        ));
        tauri::async_runtime::spawn(crate::notifier::deliver(app.clone(), delivered));
        *self.handle.write().unwrap_or_else(|p| p.into_inner()) = Some(handle);
        *self
            .dashboard_base
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = Some(runtime.config().dashboard.clone());
        self.serve_dashboard().await;
        if cancel.is_cancelled() {
            // The app exited while Redis was starting: stop at once.
            runtime.shutdown().await;
        } else {
            *session = Some(runtime);
        }
    }

    /// The dashboard's settings: as saved in Settings, else as configured.
    pub fn dashboard_settings(&self) -> Option<DashboardSettings> {
        let base = self
            .dashboard_base
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()?;
        Some(
            self.settings()
                .dashboard
                .unwrap_or_else(|| DashboardSettings::of(&base)),
        )
    }

    /// The dashboard's password in use (configured, or kept in the keyring).
    pub fn dashboard_password(&self) -> Option<String> {
        let base = self
            .dashboard_base
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()?;
        Some(crate::dashboard::password(&base.password, &self.secrets))
    }

    /// (Re)starts the HTTP dashboard with the current settings, for the runtime in use; a
    /// dashboard that cannot start is reported in Settings and by a notification.
    pub async fn serve_dashboard(&self) {
        let (Ok(handle), Some(settings), Some(password)) = (
            self.handle(),
            self.dashboard_settings(),
            self.dashboard_password(),
        ) else {
            return;
        };
        let Some(base) = self
            .dashboard_base
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
        else {
            return;
        };
        let config = settings.apply(&base, password);
        let parent = self
            .cancel
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        if let Some(why) = self
            .dashboard
            .serve(handle, settings, config, &parent)
            .await
        {
            tauri::async_runtime::spawn_blocking(move || {
                crate::dashboard::notify_not_running(&why)
            });
        }
    }

    /// Stops the runtime (workers drain, the embedded Redis flushes and exits). Called
    /// once, on exit.
    pub fn shutdown(&self) {
        self.exiting.cancel();
        tauri::async_runtime::block_on(async {
            self.dashboard.stop().await;
            let mut session = self.session.lock().await;
            if let Some(runtime) = session.take() {
                runtime.shutdown().await;
            }
        });
    }
}

/// Longest a core event waits before the window hears of it.
const BATCH_EVERY: Duration = Duration::from_millis(250);
/// Most events in one `job-event`; beyond it the window gets a `missed` count and reloads.
const BATCH_MAX: usize = 500;

/// Events collected between two sends: at most [`BATCH_MAX`], then only counted.
#[derive(Debug, Default)]
struct Batch {
    events: Vec<QueueEvent>,
    missed: u64,
}

impl Batch {
    fn push(&mut self, event: QueueEvent) {
        if self.events.len() < BATCH_MAX {
            self.events.push(event);
        } else {
            self.missed += 1;
        }
    }

    /// What to send now (with a `missed` count last when some were dropped), if anything.
    fn take(&mut self) -> Option<Vec<QueueEvent>> {
        if self.missed > 0 {
            self.events.push(QueueEvent::Missed { count: self.missed });
            self.missed = 0;
        }
        (!self.events.is_empty()).then(|| std::mem::take(&mut self.events))
    }
}

/// Core events to the window as `job-event`, in batches: a busy queue produces thousands
/// of events a second, and one IPC message per event would swamp the webview.
async fn bridge_events(app: AppHandle, handle: Handle, cancel: CancellationToken) {
    let mut sub = handle.events.subscribe();
    let mut batch = Batch::default();
    let mut tick = tokio::time::interval(BATCH_EVERY);
    loop {
        tokio::select! {
            () = cancel.cancelled() => return,
            event = sub.recv() => match event {
                Some(event) => batch.push(event),
                None => return,
            },
            _ = tick.tick() => {
                if let Some(events) = batch.take() {
                    let _ = app.emit("job-event", events);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paused(i: usize) -> QueueEvent {
        QueueEvent::QueuePaused {
            queue: format!("q{i}"),
        }
    }

    #[test]
    fn a_batch_sends_up_to_its_limit_then_counts_what_it_dropped() {
        let mut batch = Batch::default();
        assert_eq!(batch.take(), None, "nothing to send");
        for i in 0..BATCH_MAX + 7 {
            batch.push(paused(i));
        }
        let sent = batch.take().expect("a batch");
        assert_eq!(sent.len(), BATCH_MAX + 1);
        assert_eq!(sent[0], paused(0));
        assert_eq!(sent[BATCH_MAX - 1], paused(BATCH_MAX - 1));
        assert_eq!(sent[BATCH_MAX], QueueEvent::Missed { count: 7 });
        assert_eq!(batch.take(), None, "emptied");
        batch.push(paused(1));
        assert_eq!(batch.take(), Some(vec![paused(1)]));
    }
}
