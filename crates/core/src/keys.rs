//! Every Redis key of Antrian's own data, built in one place (DESIGN.md decision 2). Queue
//! keys are BullMQ's and built by bullmq-official.

/// Antrian's own prefix, separate from BullMQ's.
pub const ROOT: &str = "antrian";

/// Sorted set of node ids scored by their last heartbeat (ms since the epoch).
pub fn nodes() -> String {
    format!("{ROOT}:nodes")
}

/// Hash describing one node.
pub fn node(id: &str) -> String {
    format!("{ROOT}:node:{id}")
}

/// Stream of commands sent to one node.
pub fn node_commands(id: &str) -> String {
    format!("{ROOT}:node:{id}:commands")
}

/// List holding a node's reply to one command (short-lived).
pub fn node_reply(id: &str, command_id: &str) -> String {
    format!("{ROOT}:node:{id}:reply:{command_id}")
}

/// List of the latest scaling decisions, newest first, capped.
pub fn scaling_log() -> String {
    format!("{ROOT}:scaling-log")
}
