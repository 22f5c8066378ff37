//! The desktop shell's hold on the core runtime: starts it when the window opens, bridges
//! status changes to the `connection-status` event, and shuts it down when the app exits.

use std::sync::Mutex;

use antrian_core::config::{Config, LoadOptions};
use antrian_core::health::{ConnectionStatus, RedisMode, StatusBoard};
use antrian_core::telemetry::LogGuard;
use antrian_core::{CancellationToken, Runtime};
use tauri::{AppHandle, Emitter};

/// Managed Tauri state.
pub struct Shell {
    /// Latest connection status, shown even while the runtime is starting or failed.
    board: StatusBoard,
    /// The runtime once started.
    runtime: Mutex<Option<Runtime>>,
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
