//! The tray icon: the connection and failures of the last hour at a glance, and a menu to
//! open the window, pause or resume every queue, and quit (which drains the workers).

use std::time::Duration;

use antrian_core::audit::Actor;
use antrian_core::connection::status::{ConnectionState, ConnectionStatus};
use tauri::menu::{Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::TrayIconBuilder;
use tauri::{AppHandle, Manager, Wry};

use crate::shell::Shell;

/// How often the failure count is re-read.
const REFRESH_EVERY: Duration = Duration::from_secs(30);

/// The menu's status line, kept to change its text.
pub struct TrayStatus(MenuItem<Wry>);

/// Builds the tray icon and its menu, and keeps the status line current.
pub fn install(app: &AppHandle) -> tauri::Result<()> {
    let status = MenuItem::with_id(app, "status", "Starting…", false, None::<&str>)?;
    let menu = Menu::with_items(
        app,
        &[
            &status,
            &PredefinedMenuItem::separator(app)?,
            &MenuItem::with_id(app, "open", "Open Antrian", true, None::<&str>)?,
            &MenuItem::with_id(app, "pause-all", "Pause all queues", true, None::<&str>)?,
            &MenuItem::with_id(app, "resume-all", "Resume all queues", true, None::<&str>)?,
            &PredefinedMenuItem::separator(app)?,
            &MenuItem::with_id(app, "quit", "Quit Antrian", true, None::<&str>)?,
        ],
    )?;
    let mut tray = TrayIconBuilder::with_id("antrian")
        .tooltip("Antrian")
        .menu(&menu)
        .on_menu_event(|app, event| on_menu(app, event.id().as_ref()));
    if let Some(icon) = app.default_window_icon() {
        tray = tray.icon(icon.clone());
    }
    tray.build(app)?;
    app.manage(TrayStatus(status));
    tauri::async_runtime::spawn(refresh_loop(app.clone()));
    Ok(())
}

fn on_menu(app: &AppHandle, id: &str) {
    match id {
        "open" => crate::notifier::open(app, ""),
        "pause-all" | "resume-all" => {
            let app = app.clone();
            let pause = id == "pause-all";
            tauri::async_runtime::spawn(async move {
                let Ok(handle) = app.state::<Shell>().handle() else {
                    tracing::warn!("tray: not connected, queues unchanged");
                    return;
                };
                let result = if pause {
                    handle.queues.by(Actor::desktop()).pause_all().await
                } else {
                    handle.queues.by(Actor::desktop()).resume_all().await
                };
                match result {
                    Ok(queues) => tracing::info!(
                        "tray: {} {} queue(s)",
                        if pause { "paused" } else { "resumed" },
                        queues.len()
                    ),
                    Err(e) => tracing::error!("tray: {e}"),
                }
            });
        }
        "quit" => app.exit(0),
        _ => {}
    }
}

/// Updates the status line when the connection changes, and every [`REFRESH_EVERY`].
async fn refresh_loop(app: AppHandle) {
    let mut changes = app.state::<Shell>().status_changes();
    let mut tick = tokio::time::interval(REFRESH_EVERY);
    loop {
        let status = changes.borrow_and_update().clone();
        let line = status_line(&app, &status).await;
        if let Some(item) = app.try_state::<TrayStatus>() {
            let _ = item.0.set_text(&line);
        }
        tokio::select! {
            changed = changes.changed() => if changed.is_err() { return },
            _ = tick.tick() => {}
        }
    }
}

async fn status_line(app: &AppHandle, status: &ConnectionStatus) -> String {
    let state = match status.state {
        ConnectionState::Connected => "Connected",
        ConnectionState::Connecting => "Connecting",
        ConnectionState::Disconnected => "Disconnected",
        ConnectionState::Failed => "Not connected",
    };
    let failed = match app.state::<Shell>().handle() {
        Ok(handle) if status.state == ConnectionState::Connected => {
            handle.queues.throughput(60).await.ok().map(|queues| {
                queues
                    .iter()
                    .flat_map(|q| &q.minutes)
                    .map(|m| m.failed)
                    .sum::<u64>()
            })
        }
        _ => None,
    };
    match failed {
        Some(n) => format!("{state} · {n} failed in the last hour"),
        None => format!("{state} · {}", status.address),
    }
}
