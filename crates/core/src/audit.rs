//! The audit log: who (the desktop app, a dashboard user, the CLI) removed, retried,
//! promoted, cleaned, paused or edited what, and how many jobs it touched. Kept in Redis
//! beside the queues, newest first, capped at [`AUDIT_LOG_LEN`] entries, so every process
//! sharing the Redis writes to and reads the same log (`antrian audit`, `GET /api/audit`,
//! the window's Audit log page).

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::connection::Connection;
use crate::error::{Error, Result};
use crate::keys;

/// How many entries the log keeps; older ones are dropped as new ones arrive.
pub const AUDIT_LOG_LEN: usize = 1000;

/// Entries a listing returns when it does not say.
pub const DEFAULT_AUDIT_LIMIT: usize = 100;

/// The surface an action came through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[ts(export, export_to = "../../../ui/src/api/generated/")]
pub enum Via {
    /// The desktop window (or its tray menu).
    Desktop,
    /// The HTTP dashboard or API.
    Dashboard,
    /// The `antrian` command line.
    Cli,
}

/// Who acted: the surface and a name for the person or machine behind it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[ts(export, export_to = "../../../ui/src/api/generated/")]
pub struct Actor {
    /// desktop, dashboard or cli.
    pub via: Via,
    /// The OS user and host (`ana@ops-laptop`) for the desktop app and the CLI; the
    /// dashboard's user name and the address the request came from (`admin from
    /// 10.0.0.7`) for the HTTP API.
    pub who: String,
}

impl Actor {
    /// The desktop app of the OS user running it.
    pub fn desktop() -> Self {
        Self {
            via: Via::Desktop,
            who: local_user(),
        }
    }

    /// The command line of the OS user running it.
    pub fn cli() -> Self {
        Self {
            via: Via::Cli,
            who: local_user(),
        }
    }

    /// A signed-in dashboard user, from `address`.
    pub fn dashboard(user: &str, address: std::net::IpAddr) -> Self {
        Self {
            via: Via::Dashboard,
            who: format!("{user} from {address}"),
        }
    }
}

/// `user@host`: the OS user (`USER`, `USERNAME` or `LOGNAME`; else `uid N` where the
/// process can say, as in a service or container with no login) and the host name.
fn local_user() -> String {
    let user = ["USER", "USERNAME", "LOGNAME"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|u| !u.is_empty()))
        .or_else(|| {
            let status = std::fs::read_to_string("/proc/self/status").ok()?;
            let uid = status.lines().find_map(|l| l.strip_prefix("Uid:"))?;
            Some(format!("uid {}", uid.split_whitespace().next()?))
        })
        .unwrap_or_else(|| "unknown".into());
    format!("{user}@{}", crate::worker::nodes::hostname())
}

/// What was done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[ts(export, export_to = "../../../ui/src/api/generated/")]
pub enum AuditAction {
    /// Removed jobs.
    Remove,
    /// Retried failed jobs.
    Retry,
    /// Ran delayed jobs now.
    Promote,
    /// Removed finished jobs by age (`clean`).
    Clean,
    /// Replaced a job's data.
    EditData,
    /// Paused a queue.
    Pause,
    /// Resumed a queue.
    Resume,
}

impl AuditAction {
    fn verb(self) -> &'static str {
        match self {
            Self::Remove => "removed",
            Self::Retry => "retried",
            Self::Promote => "promoted",
            Self::Clean => "cleaned",
            Self::EditData => "edited the data of",
            Self::Pause => "paused",
            Self::Resume => "resumed",
        }
    }
}

/// One entry of the log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
#[ts(export, export_to = "../../../ui/src/api/generated/")]
pub struct AuditEntry {
    /// When (ms since the epoch).
    #[ts(type = "number")]
    pub at: u64,
    /// Who.
    pub actor: Actor,
    /// What.
    pub action: AuditAction,
    /// The queue acted on.
    pub queue: String,
    /// How many jobs the action touched (0 for pause and resume).
    #[ts(type = "number")]
    pub count: u64,
    /// Which jobs: a job id, `every failed job`, or the filter a mass action used.
    pub target: String,
    /// The entry in a sentence, e.g. `removed 49 failed jobs matching "HTTP 500" from
    /// scraping-queue`.
    pub summary: String,
}

impl AuditEntry {
    /// An entry stamped now, with its sentence.
    pub fn new(
        actor: Actor,
        action: AuditAction,
        queue: &str,
        count: u64,
        target: impl Into<String>,
    ) -> Self {
        let target = target.into();
        let summary = match action {
            AuditAction::Pause | AuditAction::Resume => format!("{} {queue}", action.verb()),
            _ => {
                let from = if action == AuditAction::Remove || action == AuditAction::Clean {
                    "from"
                } else {
                    "in"
                };
                format!("{} {target} {from} {queue}", action.verb())
            }
        };
        Self {
            at: crate::now_ms(),
            actor,
            action,
            queue: queue.to_string(),
            count,
            target,
            summary,
        }
    }
}

/// `n job`/`n jobs`, for an entry's target.
pub fn jobs(n: u64, kind: &str) -> String {
    let kind = if kind.is_empty() {
        String::new()
    } else {
        format!("{kind} ")
    };
    if n == 1 {
        format!("1 {kind}job")
    } else {
        format!("{n} {kind}jobs")
    }
}

/// Adds `entry` to the log, dropping the oldest beyond [`AUDIT_LOG_LEN`].
pub async fn record(conn: &Connection, entry: &AuditEntry) -> Result<()> {
    crate::store::capped::push(conn, &keys::audit_log(), entry, AUDIT_LOG_LEN).await
}

/// The latest `limit` entries (1 to [`AUDIT_LOG_LEN`]), newest first.
pub async fn recent(conn: &Connection, limit: usize) -> Result<Vec<AuditEntry>> {
    if limit == 0 || limit > AUDIT_LOG_LEN {
        return Err(Error::InvalidJob {
            field: "limit".into(),
            rule: format!("the audit log keeps {AUDIT_LOG_LEN} entries: ask for 1 to {AUDIT_LOG_LEN}, not {limit}"),
        });
    }
    crate::store::capped::latest(conn, &keys::audit_log(), limit).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn someone() -> Actor {
        Actor {
            via: Via::Cli,
            who: "ana@ops".into(),
        }
    }

    #[test]
    fn entries_read_as_sentences() {
        let cases = [
            (
                AuditAction::Remove,
                jobs(49, "failed"),
                "removed 49 failed jobs from scraping-queue",
            ),
            (
                AuditAction::Retry,
                "job 7".to_string(),
                "retried job 7 in scraping-queue",
            ),
            (AuditAction::Pause, String::new(), "paused scraping-queue"),
            (
                AuditAction::Clean,
                jobs(1, "completed"),
                "cleaned 1 completed job from scraping-queue",
            ),
        ];
        for (action, target, want) in cases {
            let e = AuditEntry::new(someone(), action, "scraping-queue", 1, target);
            assert_eq!(e.summary, want);
        }
    }

    #[test]
    fn a_dashboard_actor_names_the_user_and_the_address() {
        let a = Actor::dashboard("admin", "10.0.0.7".parse().expect("an address"));
        assert_eq!(a.who, "admin from 10.0.0.7");
        assert_eq!(a.via, Via::Dashboard);
        assert!(Actor::cli().who.contains('@'));
    }
}
