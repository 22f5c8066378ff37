//! The runtime: everything one Antrian process runs, brought up and shut down in one place.
//!
//! Start-up: (configuration is already checked) → embedded Redis when none is configured →
//! connection → health monitor. Later issues add the queue manager, worker pools, scheduler
//! and dashboard here, after the connection and before `ready`.
//!
//! Shutdown is the reverse: cancel the one token (monitor stops), then stop the embedded
//! Redis (flushing its AOF). Start-up that fails half-way undoes what it started, so an
//! error leaves no child process behind.

use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use crate::config::Config;
use crate::connection::Connection;
use crate::embedded::{EmbeddedOptions, EmbeddedRedis};
use crate::error::Result;
use crate::health::{self, ConnectionStatus, RedisMode, StatusBoard};

/// A running Antrian process.
#[derive(Debug)]
pub struct Runtime {
    /// The configuration it runs with.
    config: Config,
    /// The embedded server, when Antrian runs its own.
    embedded: Option<EmbeddedRedis>,
    /// The shared connection.
    connection: Connection,
    /// Latest connection health.
    board: StatusBoard,
    /// Stops every task of this runtime.
    cancel: CancellationToken,
    /// The health monitor task.
    monitor: tokio::task::JoinHandle<()>,
}

impl Runtime {
    /// The status board a runtime for `config` will report to; create it first so a UI
    /// can show "connecting" while [`Runtime::start`] waits for Redis.
    pub fn status_board(config: &Config) -> StatusBoard {
        match &config.redis.external {
            Some(ext) => StatusBoard::new(RedisMode::External, ext.address()),
            None => StatusBoard::new(RedisMode::Embedded, "127.0.0.1 (embedded)"),
        }
    }

    /// Brings the runtime up. Waits (retrying) while an external Redis is unreachable
    /// until `cancel` fires; fails at once on mistakes a retry cannot fix.
    pub async fn start(
        config: Config,
        board: StatusBoard,
        cancel: CancellationToken,
    ) -> Result<Self> {
        let result = Self::start_inner(config, &board, cancel).await;
        if let Err(e) = &result {
            board.fail(e);
        }
        result
    }

    async fn start_inner(
        config: Config,
        board: &StatusBoard,
        cancel: CancellationToken,
    ) -> Result<Self> {
        let (embedded, url, address) = match &config.redis.external {
            Some(ext) => (None, ext.url().to_string(), ext.address()),
            None => {
                let embedded = EmbeddedRedis::start(&EmbeddedOptions {
                    dir: config.app.data_dir.join("redis"),
                    port: config.redis.embedded_port,
                    binary: config.redis.redis_server.clone(),
                })
                .await?;
                let mut url = embedded.url().to_string();
                if config.redis.db != 0 {
                    url.push_str(&format!("/{}", config.redis.db));
                }
                let address = format!("127.0.0.1:{} (embedded)", embedded.port());
                (Some(embedded), url, address)
            }
        };
        board.update(|s| s.address.clone_from(&address));
        let connection = Connection::open(&url, &address, &cancel, |e| {
            board.update(|s| s.error = Some(e.into()));
        })
        .await;
        let connection = match connection {
            Ok(c) => c,
            Err(e) => {
                if let Some(embedded) = embedded {
                    embedded.shutdown().await;
                }
                return Err(e);
            }
        };
        health::check(&connection, board).await;
        let monitor = tokio::spawn(health::monitor(
            connection.clone(),
            board.clone(),
            health::CHECK_INTERVAL,
            cancel.clone(),
        ));
        Ok(Self {
            config,
            embedded,
            connection,
            board: board.clone(),
            cancel,
            monitor,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The shared connection.
    pub fn connection(&self) -> &Connection {
        &self.connection
    }

    /// The embedded server, when Antrian runs its own.
    pub fn embedded(&self) -> Option<&EmbeddedRedis> {
        self.embedded.as_ref()
    }

    /// Embedded or external.
    pub fn mode(&self) -> RedisMode {
        if self.embedded.is_some() {
            RedisMode::Embedded
        } else {
            RedisMode::External
        }
    }

    /// The current connection status.
    pub fn status(&self) -> ConnectionStatus {
        self.board.current()
    }

    /// Every change of the connection status.
    pub fn subscribe_status(&self) -> watch::Receiver<ConnectionStatus> {
        self.board.subscribe()
    }

    /// Stops every task, then the embedded Redis.
    pub async fn shutdown(self) {
        self.cancel.cancel();
        let _ = self.monitor.await;
        if let Some(embedded) = self.embedded {
            embedded.shutdown().await;
        }
        tracing::info!("antrian stopped");
    }
}
