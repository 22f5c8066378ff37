//! antrian-desktop: the Tauri 2 shell around `antrian-core`.
//!
//! - [`shell`]: starts and stops the core runtime, bridges its status and events to the
//!   window.
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
        .invoke_handler(tauri::generate_handler![
            commands::get_connection_status,
            commands::list_queues,
            commands::list_jobs,
            commands::act_on_matching_jobs,
            commands::get_job,
            commands::update_job_data,
            commands::list_throughput,
            commands::add_job,
            commands::check_job,
            commands::retry_job,
            commands::remove_job,
            commands::promote_job,
            commands::retry_failed_jobs,
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
            commands::get_scaling_rules,
            commands::list_products,
            commands::list_sites,
            commands::export_products,
            commands::list_dynamic_schedules,
            commands::add_dynamic_schedule,
            commands::set_dynamic_schedule_enabled,
            commands::remove_dynamic_schedule,
        ])
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
