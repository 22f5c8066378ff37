//! Alerts as OS notifications (freedesktop notifications over D-Bus, through notify-rust).
//! Clicking one — where the notification server supports actions — brings the window to
//! what it is about (for failures: the failed jobs of the group, with "retry these").

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use antrian_core::alerts::Alert;
use tauri::{AppHandle, Emitter, Manager};
use tokio::sync::mpsc;

/// Most notifications waiting for a click at once; beyond it they are shown without one.
const MAX_WAITING: usize = 16;

/// Shows every alert from `alerts` until the channel closes.
pub async fn deliver(app: AppHandle, mut alerts: mpsc::Receiver<Alert>) {
    let waiting = Arc::new(AtomicUsize::new(0));
    while let Some(alert) = alerts.recv().await {
        let app = app.clone();
        let waiting = waiting.clone();
        // notify-rust talks D-Bus synchronously.
        tauri::async_runtime::spawn_blocking(move || show(&app, &alert, &waiting));
    }
}

fn show(app: &AppHandle, alert: &Alert, waiting: &AtomicUsize) {
    let mut note = notify_rust::Notification::new();
    note.appname("Antrian")
        .summary(&alert.title)
        .body(&alert.body)
        .icon("antrian-desktop");
    let clickable = alert.link.is_some() && waiting.load(Ordering::Relaxed) < MAX_WAITING;
    if clickable {
        note.action("default", "Show");
    }
    let handle = match note.show() {
        Ok(handle) => handle,
        Err(e) => {
            tracing::warn!("cannot show a notification ({e}): {}", alert.title);
            return;
        }
    };
    let Some(link) = alert.link.clone().filter(|_| clickable) else {
        return;
    };
    waiting.fetch_add(1, Ordering::Relaxed);
    // Blocks until the notification is clicked or closed.
    handle.wait_for_action(|action| {
        tracing::debug!(action, "notification answered: {}", alert.title);
        if action == "default" {
            tracing::info!("notification clicked: showing {link}");
            open(app, &link);
        }
    });
    waiting.fetch_sub(1, Ordering::Relaxed);
}

/// Shows, raises and focuses the main window, then sends it to `link` (a UI route; empty
/// leaves it where it is).
pub fn open(app: &AppHandle, link: &str) {
    if let Some(window) = app.get_webview_window("main") {
        let _ = window.show();
        let _ = window.unminimize();
        let _ = window.set_focus();
    }
    if !link.is_empty() {
        let _ = app.emit_to("main", "navigate", link);
    }
}
