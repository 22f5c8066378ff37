//! Tauri commands: one-line adapters over core, named `verb_noun` and grouped by resource.

use antrian_core::health::ConnectionStatus;
use tauri::State;

use crate::shell::Shell;

/// The Redis connection as the Overview shows it.
#[tauri::command]
pub fn get_connection_status(shell: State<'_, Shell>) -> ConnectionStatus {
    shell.status()
}
