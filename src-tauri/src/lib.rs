//! antrian-desktop: the Tauri 2 shell around `antrian-core`.
//!
//! - [`shell`]: starts and stops the core runtime, bridges its status to events.
//! - [`commands`]: the Tauri commands the UI invokes (thin adapters over core).

mod commands;
mod shell;

use shell::Shell;
use tauri::{Manager, RunEvent};

/// Runs the desktop app until its window closes.
///
/// # Panics
/// When Tauri cannot create the window (no display, no WebKitGTK).
pub fn run() {
    let app = tauri::Builder::default()
        .manage(Shell::new())
        .invoke_handler(tauri::generate_handler![commands::get_connection_status])
        .setup(|app| {
            app.state::<Shell>().start(app.handle().clone());
            Ok(())
        })
        .build(tauri::generate_context!())
        .expect("cannot start the Antrian window");
    app.run(|app, event| {
        if let RunEvent::Exit = event {
            app.state::<Shell>().shutdown();
        }
    });
}
