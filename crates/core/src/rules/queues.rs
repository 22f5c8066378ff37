//! Queue names: what BullMQ's keys, URLs and paths can carry.

use super::invalid;
use crate::error::Result;

/// The four queues of the seed, present from start.
pub const STANDARD_QUEUES: [&str; 4] = [
    "scraping-queue",
    "data-processing-queue",
    "notifications-queue",
    "cleanup-queue",
];

/// A queue name: letters, digits, `-`, `_` and `.`, 1 to 100 of them. BullMQ forbids `:`
/// (its key separator); anything else would make keys, URLs and paths ambiguous
/// (`../../etc`, spaces, slashes).
pub fn validate_queue_name(name: &str) -> Result<()> {
    if name.is_empty() || name.len() > 100 {
        return Err(invalid("queue", "a queue name must be 1 to 100 characters"));
    }
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
    if !name.chars().all(allowed) || name.chars().all(|c| c == '.') {
        return Err(invalid(
            "queue",
            format!(
                "`{}` is not a queue name: use letters, digits, `-`, `_` and `.` (no `:`, spaces or `/`)",
                name.escape_debug()
            ),
        ));
    }
    Ok(())
}
