//! The runtime: everything one Antrian process runs, brought up and shut down in one place.
//!
//! Start-up: (configuration is already checked) → embedded Redis when none is configured →
//! connection → queue manager (the four standard queues) → for a long-running process, the
//! connection monitor, one event-stream reader per known queue and the periodic
//! `health:check`. Later issues add worker pools, the scheduler and the dashboard here,
//! before `ready`.
//!
//! Shutdown is the reverse: cancel the one token (monitor and health tasks stop), close the
//! event readers, then stop the embedded Redis (flushing its AOF). Start-up that fails
//! half-way undoes what it started, so an error leaves no child process behind.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use crate::config::Config;
use crate::connection::Connection;
use crate::embedded::{EmbeddedOptions, EmbeddedRedis};
use crate::error::Result;
use crate::health::{self, ConnectionStatus, RedisMode, StatusBoard};
use crate::queue::{
    health as queue_health, EventHub, HealthStatus, HealthThresholds, JobDefaults, QueueEvent,
    QueueManager,
};

/// What a runtime runs besides the connection and the queue manager.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Services {
    /// Everything a long-running process needs: connection monitor, event readers and the
    /// periodic `health:check` (`antrian start`, the desktop app).
    Full,
    /// Only what one command needs (`antrian jobs add …`): no background tasks.
    OneShot,
}

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
    /// The queue manager.
    queues: Arc<QueueManager>,
    /// Queue events from every process.
    events: Arc<EventHub>,
    /// Background tasks (connection monitor, health checks).
    tasks: Vec<tokio::task::JoinHandle<()>>,
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
        services: Services,
    ) -> Result<Self> {
        let result = Self::start_inner(config, &board, cancel, services).await;
        if let Err(e) = &result {
            board.fail(e);
        }
        result
    }

    async fn start_inner(
        config: Config,
        board: &StatusBoard,
        cancel: CancellationToken,
        services: Services,
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
        let defaults = JobDefaults {
            attempts: config.queue.retry_attempts,
            backoff_delay_ms: config.queue.retry_delay_ms,
            keep_completed: config.queue.remove_on_complete as usize,
            keep_failed: config.queue.remove_on_fail as usize,
        };
        let setup = async {
            let queues = QueueManager::new(
                connection.clone(),
                &config.queue.prefix,
                defaults,
                config.queue.max_job_data as usize,
            )
            .await?;
            let events = EventHub::new(connection.clone(), &config.queue.prefix);
            if services == Services::Full {
                for name in queues.queue_names().await? {
                    events.watch(&name).await?;
                }
            }
            Ok::<_, crate::Error>((Arc::new(queues), Arc::new(events)))
        };
        let (queues, events) = match setup.await {
            Ok(parts) => parts,
            Err(e) => {
                if let Some(embedded) = embedded {
                    embedded.shutdown().await;
                }
                return Err(e);
            }
        };
        let mut runtime = Self {
            config,
            embedded,
            connection,
            board: board.clone(),
            cancel,
            queues,
            events,
            tasks: Vec::new(),
        };
        if services == Services::Full {
            runtime.tasks.push(tokio::spawn(health::monitor(
                runtime.connection.clone(),
                runtime.board.clone(),
                health::CHECK_INTERVAL,
                runtime.cancel.clone(),
            )));
            runtime.tasks.push(tokio::spawn(health_checks(
                runtime.queues.clone(),
                runtime.events.clone(),
                runtime.board.clone(),
                runtime.thresholds(),
                Duration::from_millis(runtime.config.queue.health_interval_ms),
                runtime.cancel.clone(),
            )));
        }
        Ok(runtime)
    }

    fn thresholds(&self) -> HealthThresholds {
        HealthThresholds {
            max_waiting_age_ms: self.config.queue.health_max_wait_ms,
            ..HealthThresholds::default()
        }
    }

    /// The queue manager.
    pub fn queues(&self) -> &Arc<QueueManager> {
        &self.queues
    }

    /// Queue events from every process sharing the Redis.
    pub fn events(&self) -> &Arc<EventHub> {
        &self.events
    }

    /// Health now (the seed's `getHealthStatus`).
    pub async fn health_status(&self) -> Result<HealthStatus> {
        health_status(&self.queues, &self.board, &self.thresholds()).await
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
        for task in self.tasks {
            let _ = task.await;
        }
        self.events.close().await;
        if let Some(embedded) = self.embedded {
            embedded.shutdown().await;
        }
        tracing::info!("antrian stopped");
    }
}

async fn health_status(
    queues: &QueueManager,
    board: &StatusBoard,
    thresholds: &HealthThresholds,
) -> Result<HealthStatus> {
    let redis = board.current();
    // With Redis gone there are no stats to read; the connection alone decides.
    let stats = if redis.state == health::ConnectionState::Connected {
        queues.get_all_queue_stats().await.unwrap_or_default()
    } else {
        Vec::new()
    };
    Ok(queue_health::assess(redis, stats, thresholds))
}

/// Publishes `health:check` every `interval`, logging each change of verdict once.
async fn health_checks(
    queues: Arc<QueueManager>,
    events: Arc<EventHub>,
    board: StatusBoard,
    thresholds: HealthThresholds,
    interval: Duration,
    cancel: CancellationToken,
) {
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last = None;
    loop {
        tokio::select! {
            () = cancel.cancelled() => return,
            _ = ticker.tick() => {}
        }
        // Queues created since (by Node.js services, say) get their events watched too.
        if let Ok(names) = queues.refresh_discovery().await {
            for name in names {
                if let Err(e) = events.watch(&name).await {
                    tracing::warn!(queue = %name, "cannot watch queue events: {e}");
                }
            }
        }
        let Ok(health) = health_status(&queues, &board, &thresholds).await else {
            continue;
        };
        if last != Some(health.status) {
            match health.status {
                crate::queue::HealthLevel::Healthy => tracing::info!("health: healthy"),
                _ => {
                    tracing::warn!(status = ?health.status, reasons = %health.reasons.join("; "), "health changed")
                }
            }
            last = Some(health.status);
        }
        events.publish(QueueEvent::HealthCheck { health });
    }
}
