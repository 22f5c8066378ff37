//! The runtime: everything one Antrian process runs, brought up and shut down in one place.
//!
//! Start-up: (configuration is already checked) → embedded Redis when none is configured →
//! connection → queue manager (the four standard queues) → for a long-running process, the
//! connection monitor, one event-stream reader per known queue and the periodic
//! `health:check`; then, as the process asks, worker pools ([`Runtime::start_workers`]) and
//! the scheduler component ([`Runtime::start_scheduler`]).
//!
//! Shutdown is the reverse: cancel the one token (monitor and health tasks stop), close the
//! event readers, then stop the embedded Redis (flushing its AOF). Start-up that fails
//! half-way undoes what it started, so an error leaves no child process behind.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use crate::config::Config;
use crate::connection::status::{self, ConnectionStatus, RedisMode, StatusBoard};
use crate::connection::Connection;
use crate::embedded::{EmbeddedOptions, EmbeddedRedis};
use crate::error::Result;
use crate::queue::{
    health as queue_health, CreatedQueue, EventHub, HealthStatus, HealthThresholds, JobDefaults,
    QueueEvent, QueueManager,
};
use crate::rules::ScalingRules;
use crate::scheduler::{Scheduler, SchedulerService};
use crate::worker::{local_node_id, WorkerManager};

mod workers;

pub use workers::WorkerPlan;

/// What a runtime runs besides the connection and the queue manager.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Services {
    /// Everything a long-running process needs: connection monitor, event readers and the
    /// periodic `health:check` (`antrian start`, the desktop app).
    Full,
    /// Only what one command needs (`antrian jobs add …`): no background tasks.
    OneShot,
    /// A worker node (`antrian workers`): the connection monitor and the periodic health
    /// check, but no readers of the queues' event streams — nothing in such a process
    /// consumes job events, and reading and decoding two or three events per job cost it
    /// about a tenth of its CPU (bench/README.md). Its pools log the jobs they finish.
    Workers,
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
    /// Background tasks (connection monitor, health checks, node agent, autoscaler).
    tasks: Vec<tokio::task::JoinHandle<()>>,
    /// Worker pools, once [`Runtime::start_workers`] ran.
    workers: Option<Arc<WorkerManager>>,
    /// Schedules.
    scheduler: Arc<Scheduler>,
    /// The resident size that stopped it, when the memory ceiling did.
    memory_stop: Arc<std::sync::OnceLock<u64>>,
    /// What it runs beside the queues.
    services: Services,
}

/// What adapters that serve requests concurrently (the HTTP dashboard) need of a running
/// runtime: cheap to clone, shares everything with it.
#[derive(Debug, Clone)]
pub struct Handle {
    /// The queue manager.
    pub queues: Arc<QueueManager>,
    /// Schedules.
    pub scheduler: Arc<Scheduler>,
    /// Queue events from every process.
    pub events: Arc<EventHub>,
    /// The shared connection.
    pub connection: Connection,
    /// Worker pools of this process, when it runs some.
    pub workers: Option<Arc<WorkerManager>>,
    /// The auto-scaling rules every pool of this configuration follows.
    pub scaling: ScalingRules,
    board: StatusBoard,
    thresholds: HealthThresholds,
    services: Services,
}

impl Handle {
    /// Creates the queue `name` so jobs can be added to it (`antrian queues create`,
    /// `POST /api/queues`, the window's New queue form); its events are watched at once in
    /// a process that watches events. Creating an existing queue changes nothing.
    pub async fn create_queue(&self, name: &str) -> Result<CreatedQueue> {
        let created = self.queues.create_queue(name).await?;
        if self.services == Services::Full {
            self.events.watch(name).await?;
        }
        Ok(CreatedQueue {
            queue: self.queues.get_queue_stats(name).await?,
            created,
        })
    }

    /// Health now (the seed's `getHealthStatus`).
    pub async fn health_status(&self) -> Result<HealthStatus> {
        health_status(&self.queues, &self.board, &self.thresholds).await
    }

    /// The current connection status.
    pub fn status(&self) -> ConnectionStatus {
        self.board.current()
    }

    /// A receiver that sees every change of the connection status.
    pub fn status_changes(&self) -> tokio::sync::watch::Receiver<ConnectionStatus> {
        self.board.subscribe()
    }
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
        crate::keys::follow_prefix(&config.queue.prefix);
        let (embedded, options, address) = match &config.redis.external {
            Some(ext) => (None, ext.options(), ext.address()),
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
                let options = bullmq::options::RedisConnectionOptions {
                    url,
                    ..Default::default()
                };
                (Some(embedded), options, address)
            }
        };
        board.update(|s| s.address.clone_from(&address));
        let connection = Connection::open_with(&options, &address, &cancel, |e| {
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
        status::check(&connection, board).await;
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
            let targets = config.queue.http_targets.iter().map(|t| &t.queue);
            for name in config.queue.custom.iter().chain(targets) {
                queues.create_queue(name).await?;
            }
            let events = EventHub::new(connection.clone(), &config.queue.prefix);
            if services == Services::Full {
                for name in queues.queue_names().await? {
                    events.watch(&name).await?;
                }
                events.watch_shared().await?;
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
        let scheduler = Arc::new(Scheduler::new(
            connection.clone(),
            queues.clone(),
            events.clone(),
            &config.scheduler.timezone,
            Duration::from_millis(config.scheduler.eval_interval_ms),
        ));
        let mut runtime = Self {
            scheduler,
            memory_stop: Arc::default(),
            config,
            embedded,
            connection,
            board: board.clone(),
            cancel,
            queues,
            events,
            tasks: Vec::new(),
            workers: None,
            services,
        };
        if services != Services::OneShot {
            runtime.tasks.push(tokio::spawn(status::monitor(
                runtime.connection.clone(),
                runtime.board.clone(),
                status::CHECK_INTERVAL,
                runtime.cancel.clone(),
            )));
            runtime.tasks.push(tokio::spawn(health_checks(
                runtime.queues.clone(),
                runtime.events.clone(),
                services == Services::Full,
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
            max_failure_ratio: f64::from(self.config.queue.health_max_failure_rate) / 100.0,
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

    /// The auto-scaling rules of this configuration (`QUEUE_AUTO_SCALING` and friends).
    pub fn scaling_rules(&self) -> ScalingRules {
        self.config.scaling_rules()
    }

    /// A handle for adapters that serve requests concurrently.
    pub fn handle(&self) -> Handle {
        Handle {
            queues: self.queues.clone(),
            scheduler: self.scheduler.clone(),
            events: self.events.clone(),
            connection: self.connection.clone(),
            workers: self.workers.clone(),
            scaling: self.scaling_rules(),
            board: self.board.clone(),
            thresholds: self.thresholds(),
            services: self.services,
        }
    }

    /// Schedules: cron and condition-based (the seed's `SchedulerService`).
    pub fn scheduler(&self) -> &Arc<Scheduler> {
        &self.scheduler
    }

    /// Starts the scheduler component (the seed's `start-queue-system.js scheduler`):
    /// condition evaluation and cron housekeeping, under a lease shared with every other
    /// instance.
    pub fn start_scheduler(&mut self) {
        let instance = format!("{}-{:08x}", local_node_id(), rand::random::<u32>());
        let service = SchedulerService::new(self.scheduler.clone(), &instance);
        self.tasks
            .push(tokio::spawn(service.run(self.cancel.clone())));
    }

    /// The worker pools, once started.
    pub fn workers(&self) -> Option<&Arc<WorkerManager>> {
        self.workers.as_ref()
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

    /// Stops intake and lets active jobs finish (up to `QUEUE_SHUTDOWN_TIMEOUT`; what is
    /// left is recovered by the next worker), then stops every task, then the embedded
    /// Redis.
    pub async fn shutdown(self) {
        if let Some(workers) = &self.workers {
            workers
                .shutdown(Duration::from_millis(self.config.queue.shutdown_timeout_ms))
                .await;
        }
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
    let mut redis = board.current();
    // With Redis gone there are no stats to read; the connection alone decides. A server
    // that went away since the last connection check must not hold the answer: health is
    // what probes and the Overview read while things are wrong.
    let stats = if redis.state == status::ConnectionState::Connected {
        match tokio::time::timeout(HEALTH_READ_TIMEOUT, queues.get_all_queue_stats()).await {
            Ok(stats) => stats.unwrap_or_default(),
            Err(_) => {
                redis.state = status::ConnectionState::Disconnected;
                redis.error = Some(status::StatusError {
                    code: crate::error::ErrorCode::Unavailable,
                    message: format!(
                        "Redis at {} did not answer within {} s",
                        redis.address,
                        HEALTH_READ_TIMEOUT.as_secs()
                    ),
                });
                Vec::new()
            }
        }
    } else {
        Vec::new()
    };
    Ok(queue_health::assess(redis, stats, thresholds))
}

/// Publishes `health:check` every `interval`, logging each change of verdict once; with
/// `watch_new`, queues discovered since the last check get their events read too.
async fn health_checks(
    queues: Arc<QueueManager>,
    events: Arc<EventHub>,
    watch_new: bool,
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
            for name in names.iter().filter(|_| watch_new) {
                if let Err(e) = events.watch(name).await {
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

/// Longest a health reading waits for the queues' counts.
const HEALTH_READ_TIMEOUT: Duration = Duration::from_secs(3);
