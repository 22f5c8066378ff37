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
