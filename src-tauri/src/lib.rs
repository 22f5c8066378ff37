//! antrian-desktop: the Tauri 2 shell around `antrian-core`.
//!
//! - [`shell`]: starts and stops the core runtime on the chosen connection, bridges its
//!   status, events and alerts to the window and the OS.
//! - [`commands`]: the Tauri commands the UI invokes (thin adapters over core).
//! - [`notifier`], [`tray`]: OS notifications and the tray icon.
//! - [`settings`], [`secrets`]: the app's settings file and connection passwords.
//! - [`dashboard`]: the seed's HTTP dashboard, served by the desktop app too.

mod commands;
mod dashboard;
mod notifier;
mod secrets;
mod settings;
mod shell;
mod tray;

use shell::Shell;
use tauri::{Manager, RunEvent, WindowEvent};

/// Runs the desktop app until its window closes.
///
/// # Panics
/// When Tauri cannot create the window (no display, no WebKitGTK).
pub fn run() {
    let app = tauri::Builder::default()
        // First: a second launch hands over to the running app, which shows its window.
        .plugin(tauri_plugin_single_instance::init(|app, _args, _cwd| {
            notifier::open(app, "");
        }))
        .plugin(tauri_plugin_window_state::Builder::default().build())
        .manage(Shell::new())
        .invoke_handler(tauri::generate_handler![
            commands::get_connection_status,
            commands::list_queues,
            commands::get_dashboard,
            commands::save_dashboard,
            commands::get_dashboard_password,
            commands::get_http_targets,
            commands::save_http_targets,
            commands::get_signing_secret,
            commands::create_queue,
            commands::list_jobs,
            commands::act_on_matching_jobs,
            commands::get_job,
            commands::update_job_data,
            commands::list_throughput,
            commands::add_job,
            commands::check_job,
            commands::list_job_types,
            commands::retry_job,
            commands::remove_job,
            commands::promote_job,
            commands::retry_failed_jobs,
            commands::promote_delayed_jobs,
            commands::pause_queue,
            commands::resume_queue,
            commands::clean_queue,
            commands::get_health,
            commands::list_schedules,
            commands::add_schedule,
            commands::update_schedule,
            commands::enable_schedule,
            commands::disable_schedule,
            commands::run_schedule,
            commands::remove_schedule,
            commands::preview_cron,
            commands::list_nodes,
            commands::send_node_command,
            commands::list_scaling_log,
            commands::list_audit,
            commands::get_scaling_rules,
            commands::list_products,
            commands::list_sites,
            commands::export_products,
            commands::list_dynamic_schedules,
            commands::add_dynamic_schedule,
            commands::update_dynamic_schedule,
            commands::set_dynamic_schedule_enabled,
            commands::remove_dynamic_schedule,
            commands::get_notification_prefs,
            commands::save_notification_prefs,
            commands::get_close_to_tray,
            commands::set_close_to_tray,
            commands::list_connections,
            commands::save_connection,
            commands::remove_connection,
            commands::test_connection,
            commands::use_connection,
            commands::pause_all_queues,
            commands::resume_all_queues,
        ])
        .setup(|app| {
            app.state::<Shell>().start(app.handle().clone());
            if let Err(e) = tray::install(app.handle()) {
                // No tray on this desktop: the window still works, it just quits on close.
                tracing::warn!("no tray icon: {e}");
            }
            Ok(())
        })
        .on_window_event(|window, event| {
            if let WindowEvent::CloseRequested { api, .. } = event {
                let shell = window.app_handle().state::<Shell>();
                // Only with a tray to come back from.
                let tray = window
                    .app_handle()
                    .try_state::<tray::TrayStatus>()
                    .is_some();
                if tray && shell.settings().close_to_tray {
                    api.prevent_close();
                    let _ = window.hide();
                }
            }
        })
        .build(tauri::generate_context!())
        .expect("cannot start the Antrian window");
    app.run(|app, event| {
        if let RunEvent::Exit = event {
            app.state::<Shell>().shutdown();
        }
    });
}
