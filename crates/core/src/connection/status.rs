//! The connection's status: what the Overview shows and what `antrian start` logs (the
//! system's health verdict, which also reads the queues, is [`crate::queue::health`]).
//!
//! A [`StatusBoard`] holds the latest [`ConnectionStatus`]; the monitor task PINGs and reads
//! `INFO` every few seconds and publishes changes. State changes (lost, regained, eviction
//! policy) are logged once each, not once per check.

use std::time::{Duration, Instant};

use serde::Serialize;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use ts_rs::TS;

use super::Connection;
use crate::error::{Error, ErrorCode};
use crate::now_ms;

/// How often the monitor checks the server.
pub const CHECK_INTERVAL: Duration = Duration::from_secs(2);
/// A check slower than this counts as a lost connection.
const CHECK_TIMEOUT: Duration = Duration::from_secs(3);

/// Whether Antrian runs its own Redis or uses one it was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[ts(export, export_to = "../../../ui/src/api/generated/")]
pub enum RedisMode {
    /// Antrian's own `redis-server` child.
    Embedded,
    /// A server named by REDIS_URL / REDIS_HOST.
    External,
}

impl RedisMode {
    /// `embedded` or `external`, as logs and the UI spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            RedisMode::Embedded => "embedded",
            RedisMode::External => "external",
        }
    }
}

/// Where the connection stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[ts(export, export_to = "../../../ui/src/api/generated/")]
pub enum ConnectionState {
    /// Starting, or waiting for the server to answer for the first time.
    Connecting,
    /// The last check succeeded.
    Connected,
    /// The last check failed; the client keeps reconnecting.
    Disconnected,
    /// Start-up failed for a reason retrying cannot fix (see `error`).
    Failed,
}

/// An error as the UI receives it: branch on `code`, show `message`.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[ts(export, export_to = "../../../ui/src/api/generated/")]
pub struct StatusError {
    /// Stable code.
    pub code: ErrorCode,
    /// Human-readable, secrets removed.
    pub message: String,
}

impl From<&Error> for StatusError {
    fn from(e: &Error) -> Self {
        Self {
            code: e.code(),
            message: e.to_string(),
        }
    }
}

/// The connection as the Overview shows it.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
#[ts(export, export_to = "../../../ui/src/api/generated/")]
pub struct ConnectionStatus {
    /// Where the connection stands.
    pub state: ConnectionState,
    /// Embedded or external Redis.
    pub mode: RedisMode,
    /// The server's address without credentials.
    pub address: String,
    /// `redis_version` from INFO.
    pub redis_version: Option<String>,
    /// `used_memory` from INFO, bytes.
    #[ts(type = "number | null")]
    pub used_memory_bytes: Option<u64>,
    /// `maxmemory` from INFO, bytes (0: no limit).
    #[ts(type = "number | null")]
    pub max_memory_bytes: Option<u64>,
    /// `maxmemory_policy` from INFO.
    pub maxmemory_policy: Option<String>,
    /// `connected_clients` from INFO: every process on this Redis (workers, dashboards,
    /// Node.js services), each with its connections.
    #[ts(type = "number | null")]
    pub connected_clients: Option<u64>,
    /// `maxclients` from INFO: past it Redis refuses every new client.
    #[serde(default)]
    #[ts(type = "number | null")]
    pub max_clients: Option<u64>,
    /// Set when the policy lets Redis drop keys, i.e. jobs.
    pub eviction_warning: Option<String>,
    /// Round trip of the last PING, milliseconds.
    pub latency_ms: Option<f64>,
    /// Why the last attempt or check failed.
    pub error: Option<StatusError>,
    /// When the last check ran, milliseconds since the Unix epoch.
    #[ts(type = "number | null")]
    pub checked_at_ms: Option<u64>,
}

impl ConnectionStatus {
    /// The status before the first connection attempt.
    pub fn connecting(mode: RedisMode, address: impl Into<String>) -> Self {
        Self {
            state: ConnectionState::Connecting,
            mode,
            address: address.into(),
            redis_version: None,
            used_memory_bytes: None,
            max_memory_bytes: None,
            maxmemory_policy: None,
            connected_clients: None,
            max_clients: None,
            eviction_warning: None,
            latency_ms: None,
            error: None,
            checked_at_ms: None,
        }
    }
}

/// The latest [`ConnectionStatus`], shared by the runtime and whoever displays it.
#[derive(Debug, Clone)]
pub struct StatusBoard {
    tx: watch::Sender<ConnectionStatus>,
}

impl StatusBoard {
    /// A board that starts in [`ConnectionState::Connecting`].
    pub fn new(mode: RedisMode, address: impl Into<String>) -> Self {
        let (tx, _) = watch::channel(ConnectionStatus::connecting(mode, address));
        Self { tx }
    }

    /// The current status.
    pub fn current(&self) -> ConnectionStatus {
        self.tx.borrow().clone()
    }

    /// A receiver that sees every change.
    pub fn subscribe(&self) -> watch::Receiver<ConnectionStatus> {
        self.tx.subscribe()
    }

    /// Changes the status, notifying subscribers only when something changed.
    pub fn update(&self, f: impl FnOnce(&mut ConnectionStatus)) {
        self.tx.send_if_modified(|status| {
            let before = status.clone();
            f(status);
            *status != before
        });
    }

    /// Records a start-up failure that retrying cannot fix.
    pub fn fail(&self, error: &Error) {
        self.update(|s| {
            s.state = ConnectionState::Failed;
            s.error = Some(error.into());
        });
    }
}

/// The fields of INFO the Overview shows.
#[derive(Debug, Default, PartialEq)]
struct Info {
    version: Option<String>,
    used_memory: Option<u64>,
    max_memory: Option<u64>,
    policy: Option<String>,
    clients: Option<u64>,
    max_clients: Option<u64>,
}

fn parse_info(text: &str) -> Info {
    let mut info = Info::default();
    for line in text.lines() {
        let Some((key, value)) = line.trim().split_once(':') else {
            continue;
        };
        match key {
            "redis_version" => info.version = Some(value.to_string()),
            "used_memory" => info.used_memory = value.parse().ok(),
            "maxmemory" => info.max_memory = value.parse().ok(),
            "maxmemory_policy" => info.policy = Some(value.to_string()),
            "connected_clients" => info.clients = value.parse().ok(),
            "maxclients" => info.max_clients = value.parse().ok(),
            _ => {}
        }
    }
    info
}

/// The warning for a policy under which Redis may delete keys, i.e. queued jobs.
pub fn eviction_warning(policy: &str) -> Option<String> {
    (policy != "noeviction").then(|| {
        format!(
            "maxmemory-policy is {policy}: when memory runs out Redis will silently delete keys, \
             including queued jobs. Set it to noeviction (CONFIG SET maxmemory-policy noeviction)."
        )
    })
}

/// Runs one check and publishes its result.
pub async fn check(conn: &Connection, board: &StatusBoard) {
    let mut redis = conn.redis();
    let started = Instant::now();
    let result = tokio::time::timeout(CHECK_TIMEOUT, async {
        let _: String = redis::cmd("PING").query_async(&mut redis).await?;
        let latency = started.elapsed();
        // On a cluster, the primary using the most memory speaks for it: that is the one
        // that runs out first (the queues share one slot, so one node holds them).
        let infos: Vec<String> = conn
            .on_every_primary(
                redis::cmd("INFO")
                    .arg("server")
                    .arg("clients")
                    .arg("memory"),
            )
            .await?;
        let info = infos
            .iter()
            .map(|i| parse_info(i))
            .max_by_key(|i| i.used_memory.unwrap_or_default())
            .unwrap_or_else(|| parse_info(""));
        Ok::<_, crate::Error>((latency, info))
    })
    .await;
    let before = board.current();
    match result {
        Ok(Ok((latency, info))) => {
            if before.state == ConnectionState::Disconnected {
                tracing::info!(address = conn.address(), "Redis connection regained");
            }
            let warning = info.policy.as_deref().and_then(eviction_warning);
            if warning.is_some() && warning != before.eviction_warning {
                tracing::warn!("{}", warning.as_deref().unwrap_or_default());
            }
            board.update(|s| {
                s.state = ConnectionState::Connected;
                s.redis_version = info.version;
                s.used_memory_bytes = info.used_memory;
                s.max_memory_bytes = info.max_memory;
                s.maxmemory_policy = info.policy;
                s.connected_clients = info.clients;
                s.max_clients = info.max_clients;
                s.eviction_warning = warning;
                s.latency_ms = Some((latency.as_secs_f64() * 1000.0 * 100.0).round() / 100.0);
                s.error = None;
                s.checked_at_ms = Some(now_ms());
            });
        }
        failed => {
            let message = match failed {
                Ok(Err(e)) => e.to_string(),
                _ => format!("no answer within {CHECK_TIMEOUT:?}"),
            };
            if before.state != ConnectionState::Disconnected {
                tracing::warn!(address = conn.address(), error = %message, "Redis connection lost; reconnecting");
            }
            board.update(|s| {
                s.state = ConnectionState::Disconnected;
                s.latency_ms = None;
                s.error = Some(StatusError {
                    code: ErrorCode::Unavailable,
                    message: format!("lost connection to Redis at {}: {message}", conn.address()),
                });
                s.checked_at_ms = Some(now_ms());
            });
        }
    }
}

/// Checks the connection every `interval` until `cancel` fires.
pub async fn monitor(
    conn: Connection,
    board: StatusBoard,
    interval: Duration,
    cancel: CancellationToken,
) {
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = cancel.cancelled() => return,
            _ = ticker.tick() => check(&conn, &board).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn info_fields_are_read() {
        let info = parse_info(
            "# Server\r\nredis_version:7.0.15\r\nredis_mode:standalone\r\n# Clients\r\nconnected_clients:12\r\nmaxclients:10000\r\n# Memory\r\nused_memory:1048576\r\nmaxmemory:0\r\nmaxmemory_policy:allkeys-lru\r\n",
        );
        assert_eq!(
            info,
            Info {
                version: Some("7.0.15".into()),
                used_memory: Some(1_048_576),
                max_memory: Some(0),
                policy: Some("allkeys-lru".into()),
                clients: Some(12),
                max_clients: Some(10_000),
            }
        );
    }

    #[test]
    fn only_noeviction_is_safe_for_jobs() {
        assert_eq!(eviction_warning("noeviction"), None);
        for policy in [
            "allkeys-lru",
            "volatile-lru",
            "allkeys-random",
            "volatile-ttl",
        ] {
            let w = eviction_warning(policy).expect("warns");
            assert!(w.contains(policy) && w.contains("noeviction"), "{w}");
        }
    }
}
