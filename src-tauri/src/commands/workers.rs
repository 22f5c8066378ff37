//! Worker nodes, scaling and the audit log.

use antrian_core::audit::AuditEntry;
use antrian_core::queue::ScalingRecord;
use antrian_core::worker::ScalingRules;
use antrian_core::worker::{
    list_nodes as list_nodes_of, scaling_log, send_command, CommandReply, NodeCommand, NodeInfo,
    GONE_AFTER, REPLY_TIMEOUT,
};
use tauri::State;

use crate::shell::Shell;

use super::{fail, Reply};

#[tauri::command]
pub async fn list_nodes(shell: State<'_, Shell>) -> Reply<Vec<NodeInfo>> {
    list_nodes_of(&shell.handle()?.connection, GONE_AFTER)
        .await
        .map_err(fail)
}

#[tauri::command]
pub async fn send_node_command(
    shell: State<'_, Shell>,
    node: String,
    command: NodeCommand,
) -> Reply<CommandReply> {
    let h = shell.handle()?;
    send_command(&h.connection, &node, &command, REPLY_TIMEOUT)
        .await
        .map_err(fail)
}

#[tauri::command]
pub async fn list_scaling_log(shell: State<'_, Shell>, count: usize) -> Reply<Vec<ScalingRecord>> {
    scaling_log(&shell.handle()?.connection, count)
        .await
        .map_err(fail)
}

/// The audit log, newest first.
#[tauri::command]
pub async fn list_audit(shell: State<'_, Shell>, limit: usize) -> Reply<Vec<AuditEntry>> {
    antrian_core::audit::recent(&shell.handle()?.connection, limit)
        .await
        .map_err(fail)
}

/// The auto-scaling rules this app's pools follow.
#[tauri::command]
pub fn get_scaling_rules(shell: State<'_, Shell>) -> Reply<ScalingRules> {
    Ok(shell.handle()?.scaling.clone())
}
