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

/// Runs the window's JavaScript without JavaScriptCore's JIT compilers (WebKitGTK reads
/// `JSC_useJIT` in the web process it starts, which inherits this environment). The window
/// shows only Antrian's own UI, and the JIT's code and compilers' data were 15 MB of the
/// web process's memory at idle, while the UI's pages render within a few milliseconds of
/// the JIT's times (bench/README.md, "Desktop memory against the platform"); no JIT is
/// also less to attack (Apple's Lockdown Mode turns WebKit's JIT off for that). A
/// `JSC_useJIT` already in the environment wins.
fn interpreted_webview() {
    if cfg!(target_os = "linux") && std::env::var_os("JSC_useJIT").is_none() {
        // Before any thread starts: Tauri has not been built yet.
        std::env::set_var("JSC_useJIT", "false");
    }
}

/// Runs the desktop app until its window closes.
///
/// # Panics
/// When Tauri cannot create the window (no display, no WebKitGTK).
pub fn run() {
    interpreted_webview();
    let app = tauri::Builder::default()
        // First: a second launch hands over to the running app, which shows its window.
        .plugin(tauri_plugin_single_instance::init(|app, _args, _cwd| {
            notifier::open(app, "");
        }))
        .plugin(tauri_plugin_window_state::Builder::default().build())
        .manage(Shell::new())
        .invoke_handler(tauri::generate_handler![
            commands::app::get_connection_status,
            commands::queues::list_queues,
            commands::app::get_dashboard,
            commands::app::save_dashboard,
            commands::app::get_dashboard_password,
            commands::app::get_http_targets,
            commands::app::save_http_targets,
            commands::app::get_signing_secret,
            commands::queues::create_queue,
            commands::queues::list_jobs,
            commands::queues::act_on_matching_jobs,
            commands::queues::get_job,
            commands::queues::update_job_data,
            commands::queues::list_throughput,
            commands::queues::add_job,
            commands::queues::check_job,
            commands::queues::list_job_types,
            commands::queues::retry_job,
            commands::queues::remove_job,
            commands::queues::promote_job,
            commands::queues::retry_failed_jobs,
            commands::queues::promote_delayed_jobs,
            commands::queues::pause_queue,
            commands::queues::resume_queue,
            commands::queues::clean_queue,
            commands::queues::get_health,
            commands::schedules::list_schedules,
            commands::schedules::add_schedule,
            commands::schedules::update_schedule,
            commands::schedules::enable_schedule,
            commands::schedules::disable_schedule,
            commands::schedules::run_schedule,
            commands::schedules::remove_schedule,
            commands::schedules::preview_cron,
            commands::workers::list_nodes,
            commands::workers::send_node_command,
            commands::workers::list_scaling_log,
            commands::workers::list_audit,
            commands::workers::get_scaling_rules,
            commands::results::list_products,
            commands::results::list_sites,
            commands::results::export_products,
            commands::schedules::list_dynamic_schedules,
            commands::schedules::add_dynamic_schedule,
            commands::schedules::update_dynamic_schedule,
            commands::schedules::set_dynamic_schedule_enabled,
            commands::schedules::remove_dynamic_schedule,
            commands::app::get_notification_prefs,
            commands::app::save_notification_prefs,
            commands::app::get_close_to_tray,
            commands::app::set_close_to_tray,
            commands::app::list_connections,
            commands::app::save_connection,
            commands::app::remove_connection,
            commands::app::test_connection,
            commands::app::use_connection,
            commands::queues::pause_all_queues,
            commands::queues::resume_all_queues,
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
