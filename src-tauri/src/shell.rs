//! The desktop shell's hold on the core runtime: starts it when the window opens, bridges
//! status changes to the `connection-status` event and core events to `job-event`, and
//! shuts it down when the app exits.

use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use antrian_core::config::{Config, LoadOptions};
use antrian_core::health::{ConnectionStatus, RedisMode, StatusBoard, StatusError};
use antrian_core::queue::QueueEvent;
use antrian_core::runtime::Handle;
use antrian_core::telemetry::LogGuard;
use antrian_core::{CancellationToken, Runtime};
use tauri::{AppHandle, Emitter};

/// Managed Tauri state.
pub struct Shell {
    /// Latest connection status, shown even while the runtime is starting or failed.
    board: StatusBoard,
    /// The runtime once started.
    runtime: Mutex<Option<Runtime>>,
    /// What commands use, once the runtime has started.
    handle: OnceLock<Handle>,
    /// Stops the runtime (and a start-up still waiting for Redis).
    cancel: CancellationToken,
    /// The configuration, or `None` when it did not load (the board says why).
    config: Mutex<Option<Config>>,
    /// Keeps the log file writer alive.
    _log: Option<LogGuard>,
}

impl Shell {
    /// Loads the configuration; a bad one is reported in the window, not by a crash.
    pub fn new() -> Self {
        match Config::load(&LoadOptions::from_process(None)) {
            Ok(config) => {
                let log =
                    antrian_core::telemetry::init(&config.app.log_filter, &config.app.log_dir)
                        .map_err(|e| eprintln!("antrian: logging to file disabled: {e}"))
                        .ok();
                Self {
                    board: Runtime::status_board(&config),
                    runtime: Mutex::new(None),
                    handle: OnceLock::new(),
                    cancel: CancellationToken::new(),
                    config: Mutex::new(Some(config)),
                    _log: log,
                }
            }
            Err(e) => {
                let board = StatusBoard::new(RedisMode::Embedded, "not configured");
                board.fail(&e);
                Self {
                    board,
                    runtime: Mutex::new(None),
                    handle: OnceLock::new(),
                    cancel: CancellationToken::new(),
                    config: Mutex::new(None),
                    _log: None,
                }
            }
        }
    }

    /// The current connection status.
    pub fn status(&self) -> ConnectionStatus {
        self.board.current()
    }

    /// The runtime's handle, or why there is none yet.
    pub fn handle(&self) -> Result<Handle, StatusError> {
        self.handle.get().cloned().ok_or_else(|| {
            let status = self.board.current();
            status.error.unwrap_or(StatusError {
                code: antrian_core::ErrorCode::Unavailable,
                message: "Antrian is still starting: Redis is not connected yet".into(),
            })
        })
    }

    /// Starts the runtime and the event bridge on Tauri's async runtime.
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
        let Some(config) = self.config.lock().ok().and_then(|mut c| c.take()) else {
            return;
        };
        let board = self.board.clone();
        let cancel = self.cancel.clone();
        tauri::async_runtime::spawn(async move {
            match Runtime::start(config, board, cancel, antrian_core::runtime::Services::Full).await
            {
                Ok(mut runtime) => {
                    use tauri::Manager;
                    // The desktop runs the pools too, and shows up among the worker nodes.
                    match antrian_jobs::setup(&runtime) {
                        Ok(registry) => {
                            if let Err(e) = runtime
                                .start_workers(
                                    registry,
                                    &antrian_core::runtime::WorkerPlan::default(),
                                )
                                .await
                            {
                                tracing::error!("worker pools did not start: {e}");
                            }
                        }
                        Err(e) => tracing::error!("job handlers did not start: {e}"),
                    }
                    // And the scheduler, which evaluates only while it holds the lease
                    // shared with any headless `antrian scheduler`.
                    runtime.start_scheduler();
                    let shell = app.state::<Shell>();
                    let handle = runtime.handle();
                    tauri::async_runtime::spawn(bridge_events(
                        app.clone(),
                        handle.clone(),
                        shell.cancel.clone(),
                    ));
                    let _ = shell.handle.set(handle);
                    // The app may have exited while Redis was starting: then stop at once.
                    let late = {
                        let mut slot = shell.runtime.lock().unwrap_or_else(|p| p.into_inner());
                        if shell.cancel.is_cancelled() {
                            Some(runtime)
                        } else {
                            *slot = Some(runtime);
                            None
                        }
                    };
                    if let Some(runtime) = late {
                        runtime.shutdown().await;
                    }
                }
                Err(e) => tracing::error!("{e}"),
            }
        });
    }

    /// Stops the runtime (the embedded Redis flushes and exits). Called once, on exit.
    pub fn shutdown(&self) {
        let runtime = {
            let mut slot = self.runtime.lock().unwrap_or_else(|p| p.into_inner());
            self.cancel.cancel();
            slot.take()
        };
        if let Some(runtime) = runtime {
            tauri::async_runtime::block_on(runtime.shutdown());
        }
    }
}

/// Longest a core event waits before the window hears of it.
const BATCH_EVERY: Duration = Duration::from_millis(250);
/// Most events in one `job-event`; beyond it the window gets a `missed` count and reloads.
const BATCH_MAX: usize = 500;

/// Core events to the window as `job-event`, in batches: a busy queue produces thousands
/// of events a second, and one IPC message per event would swamp the webview.
async fn bridge_events(app: AppHandle, handle: Handle, cancel: CancellationToken) {
    let mut sub = handle.events.subscribe();
    let mut batch: Vec<QueueEvent> = Vec::new();
    let mut missed = 0u64;
    let mut tick = tokio::time::interval(BATCH_EVERY);
    loop {
        tokio::select! {
            () = cancel.cancelled() => return,
            event = sub.recv() => match event {
                Some(event) if batch.len() < BATCH_MAX => batch.push(event),
                Some(_) => missed += 1,
                None => return,
            },
            _ = tick.tick() => {
                if missed > 0 {
                    batch.push(QueueEvent::Missed { count: missed });
                    missed = 0;
                }
                if !batch.is_empty() {
                    let _ = app.emit("job-event", std::mem::take(&mut batch));
                }
            }
        }
    }
}
