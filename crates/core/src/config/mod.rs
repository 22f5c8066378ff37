//! Configuration: layered defaults < `config.toml` < `.env` < environment, typed and checked
//! once at start-up, before anything touches Redis.
//!
//! - [`settings`]: the table of every setting (names, keys, defaults, meaning).
//! - `sources`: reading the layers into raw strings with their origin.
//! - `parser`: typed access to those strings, with errors that name the variable, the
//!   value, where it came from and what is allowed.
//! - `scrape`, `notify`: the `SCRAPE_*` and the e-mail, webhook and Elasticsearch settings;
//!   `allow`: their lists of internal networks jobs may reach.
//! - this module: assembling [`Config`] from all of them.

mod allow;
pub mod dashboard;
mod notify;
mod parser;
mod scrape;
pub mod settings;
mod sources;
pub mod targets;

use std::path::PathBuf;

pub use allow::AllowList;
pub use notify::{NotifyConfig, SearchConfig, SmtpSecurity};
pub use scrape::{DomainLimits, ScrapeConfig, ShopMode};
pub use sources::{LoadOptions, Origin};
pub use targets::HttpTarget;

use crate::error::Result;
use parser::Parser;
use settings::Setting;
use sources::Layers;

/// The effective configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where Redis is and how to reach it.
    pub redis: RedisConfig,
    /// Queue defaults (the seed's `QUEUE_*`).
    pub queue: QueueConfig,
    /// The HTTP dashboard (the seed's `QUEUE_DASHBOARD_*`).
    pub dashboard: DashboardConfig,
    /// The scheduler (`SCHEDULER_*`).
    pub scheduler: SchedulerConfig,
    /// Workers per pool (the seed's `*_WORKERS`).
    pub workers: WorkerCounts,
    /// Per-pool concurrency and rate limits.
    pub pools: PoolOverridesByType,
    /// Scraping: HTTP client, politeness, proxies, adapters (`SCRAPE_*`).
    pub scrape: ScrapeConfig,
    /// Notifications: e-mail and webhooks (`SMTP_*`, `WEBHOOK_*`).
    pub notify: NotifyConfig,
    /// Elasticsearch / OpenSearch (`ELASTICSEARCH_*`).
    pub search: SearchConfig,
    /// Directories cleanup-temp-files may delete in (absolute; the first resolves relative
    /// job paths).
    pub cleanup_allowed_dirs: Vec<PathBuf>,
    /// Files and logging.
    pub app: AppConfig,
    /// Every setting with its effective value and origin, for `antrian config`.
    entries: Vec<ConfigEntry>,
}

/// Where Redis is.
#[derive(Debug, Clone)]
pub struct RedisConfig {
    /// The external server, or `None` to run the embedded one.
    pub external: Option<ExternalRedis>,
    /// Database number (applied to the embedded server too).
    pub db: u8,
    /// Port of the embedded server on 127.0.0.1; 0 picks a free one.
    pub embedded_port: u16,
    /// The `redis-server` binary the embedded server runs.
    pub redis_server: String,
}

/// An external Redis server.
#[derive(Clone)]
pub struct ExternalRedis {
    /// Full URL, password included; empty on a cluster. Never print it, use
    /// [`ExternalRedis::address`].
    url: String,
    /// Seed node URLs of a Redis Cluster, passwords included; empty for one server.
    cluster_nodes: Vec<String>,
}

impl std::fmt::Debug for ExternalRedis {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExternalRedis")
            .field("address", &self.address())
            .finish()
    }
}

impl ExternalRedis {
    /// The URL with its password, for the client; empty on a cluster.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Whether this is a Redis Cluster (`REDIS_CLUSTER_NODES`).
    pub fn is_cluster(&self) -> bool {
        !self.cluster_nodes.is_empty()
    }

    /// What the client connects with: the URL, or the cluster's seed nodes.
    pub fn options(&self) -> bullmq::options::RedisConnectionOptions {
        bullmq::options::RedisConnectionOptions {
            url: self.url.clone(),
            cluster_nodes: self.cluster_nodes.clone(),
            ..Default::default()
        }
    }

    /// The URL (or the cluster's nodes) without credentials, for logs and the UI.
    pub fn address(&self) -> String {
        if self.is_cluster() {
            cluster_address(&self.cluster_nodes)
        } else {
            redact_url(&self.url)
        }
    }
}

/// Queue defaults.
#[derive(Debug, Clone)]
pub struct QueueConfig {
    /// BullMQ key prefix.
    pub prefix: String,
    /// Jobs each worker runs at once.
    pub concurrency: u32,
    /// Default attempts per job.
    pub retry_attempts: u32,
    /// Default backoff delay, milliseconds.
    pub retry_delay_ms: u64,
    /// Whether pools scale with load.
    pub auto_scaling: bool,
    /// Fewest workers per pool when scaling.
    pub min_workers: u32,
    /// Most workers per pool when scaling.
    pub max_workers: u32,
    /// Completed jobs kept when a job does not say.
    pub remove_on_complete: u32,
    /// Failed jobs kept when a job does not say.
    pub remove_on_fail: u32,
    /// Largest job data accepted, bytes.
    pub max_job_data: u32,
    /// Milliseconds between `health:check` events.
    pub health_interval_ms: u64,
    /// Waiting longer than this degrades health, milliseconds.
    pub health_max_wait_ms: u64,
    /// Percent of a minute's finished jobs that, failed, degrades health.
    pub health_max_failure_rate: u32,
    /// Auto-scaling adds workers above this many waiting jobs.
    pub scale_up_threshold: u64,
    /// Auto-scaling removes a worker below this many waiting jobs.
    pub scale_down_threshold: u64,
    /// Least time between two scaling actions of a pool, milliseconds.
    pub scale_cooldown_ms: u64,
    /// A worker's job lock, milliseconds.
    pub lock_duration_ms: u64,
    /// Between checks for stalled jobs, milliseconds.
    pub stalled_interval_ms: u64,
    /// Time workers get to finish on shutdown, milliseconds.
    pub shutdown_timeout_ms: u64,
    /// Resident memory, megabytes, past which a headless process with pools drains and
    /// stops for its service manager to start a fresh one; 0 for no limit.
    pub max_memory_mb: u64,
    /// Queues other workers (Node.js BullMQ services) also serve: job names Antrian has no
    /// handler for are accepted on them.
    pub other_workers: Vec<String>,
    /// Queues besides the four, created at start so jobs can be added to them.
    pub custom: Vec<String>,
    /// Custom queues whose jobs are POSTed to an HTTP endpoint (`QUEUE_HTTP_TARGETS`).
    pub http_targets: Vec<HttpTarget>,
}

/// The HTTP dashboard.
#[derive(Clone)]
pub struct DashboardConfig {
    /// Served by `antrian start`.
    pub enabled: bool,
    /// TCP port.
    pub port: u16,
    /// Address to bind (default 127.0.0.1).
    pub host: std::net::IpAddr,
    /// Basic-auth user.
    pub username: String,
    /// Basic-auth password (empty when unset).
    pub password: String,
}

impl std::fmt::Debug for DashboardConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DashboardConfig")
            .field("enabled", &self.enabled)
            .field("port", &self.port)
            .field("host", &self.host)
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .finish()
    }
}

/// The scheduler.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchedulerConfig {
    /// Zone of cron schedules that name none.
    pub timezone: String,
    /// Between evaluations of condition-based schedules, milliseconds.
    pub eval_interval_ms: u64,
}

/// Workers per pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkerCounts {
    /// scraping-queue.
    pub scraping: u32,
    /// data-processing-queue.
    pub data_processing: u32,
    /// notifications-queue.
    pub notification: u32,
    /// cleanup-queue.
    pub cleanup: u32,
}

/// A rate limit: at most `max` jobs started per `per_ms` milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Jobs per window.
    pub max: u64,
    /// Window, milliseconds.
    pub per_ms: u64,
}

/// What one pool overrides of the queue-wide settings.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PoolOverrides {
    /// Jobs per worker at once, instead of QUEUE_CONCURRENCY.
    pub concurrency: Option<u32>,
    /// The queue's rate limit.
    pub rate_limit: Option<RateLimit>,
}

/// Per-pool overrides for the seed's four worker types.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PoolOverridesByType {
    /// Scraping pool.
    pub scraping: PoolOverrides,
    /// Data-processing pool.
    pub data_processing: PoolOverrides,
    /// Notification pool.
    pub notification: PoolOverrides,
    /// Cleanup pool.
    pub cleanup: PoolOverrides,
}

/// Files and logging.
#[derive(Debug, Clone)]
pub struct AppConfig {
    /// Root of Antrian's data (embedded Redis under `redis/`).
    pub data_dir: PathBuf,
    /// Directory of the daily-rotated log file.
    pub log_dir: PathBuf,
    /// `tracing` filter directive.
    pub log_filter: String,
}

/// One line of `antrian config`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ConfigEntry {
    /// Environment variable name.
    pub variable: &'static str,
    /// `config.toml` key.
    pub key: &'static str,
    /// Effective value, secrets redacted; `None` when unset.
    pub value: Option<String>,
    /// Where the value came from.
    pub source: Origin,
    /// What another setting makes of it (a pool count raised by `QUEUE_MIN_WORKERS`…).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl Config {
    /// Loads and checks the configuration from every layer.
    pub fn load(opts: &LoadOptions) -> Result<Self> {
        Self::from_layers(sources::read_layers(opts)?)
    }

    /// Every setting with its value (secrets redacted) and origin.
    pub fn entries(&self) -> &[ConfigEntry] {
        &self.entries
    }

    fn from_layers(layers: Layers) -> Result<Self> {
        let p = Parser { layers: &layers };
        let external = p.external_redis()?;
        let redis = RedisConfig {
            external,
            db: p.number("REDIS_DB", 0, 255, "a database number from 0 to 255")?,
            embedded_port: p.number(
                "ANTRIAN_EMBEDDED_REDIS_PORT",
                0,
                65535,
                "a port from 1 to 65535, or 0 for any free port",
            )?,
            redis_server: p.text("ANTRIAN_REDIS_SERVER")?.unwrap_or_default(),
        };
        let min_workers = p.number(
            "QUEUE_MIN_WORKERS",
            0,
            1000,
            "a whole number from 0 to 1000",
        )?;
        let max_expected = format!("a whole number ≥ QUEUE_MIN_WORKERS ({min_workers}) and ≤ 1000");
        let queue = QueueConfig {
            prefix: p.prefix(
                redis
                    .external
                    .as_ref()
                    .is_some_and(ExternalRedis::is_cluster),
            )?,
            concurrency: p.number(
                "QUEUE_CONCURRENCY",
                1,
                10_000,
                "a whole number from 1 to 10000",
            )?,
            retry_attempts: p.number(
                "QUEUE_RETRY_ATTEMPTS",
                1,
                1000,
                "a whole number from 1 to 1000",
            )?,
            retry_delay_ms: p.number(
                "QUEUE_RETRY_DELAY",
                0,
                86_400_000,
                "milliseconds from 0 to 86400000 (one day)",
            )?,
            auto_scaling: p.boolean("QUEUE_AUTO_SCALING")?,
            min_workers,
            max_workers: p.number("QUEUE_MAX_WORKERS", min_workers.max(1), 1000, &max_expected)?,
            remove_on_complete: p.number(
                "QUEUE_REMOVE_ON_COMPLETE",
                0,
                1_000_000,
                "a whole number of jobs from 0 to 1000000",
            )?,
            remove_on_fail: p.number(
                "QUEUE_REMOVE_ON_FAIL",
                0,
                1_000_000,
                "a whole number of jobs from 0 to 1000000",
            )?,
            max_job_data: p.number(
                "QUEUE_MAX_JOB_DATA",
                1024,
                64 * 1024 * 1024,
                "bytes from 1024 to 67108864 (64 MiB)",
            )?,
            health_interval_ms: p.number(
                "QUEUE_HEALTH_INTERVAL",
                1000,
                86_400_000,
                "milliseconds from 1000 to 86400000",
            )?,
            health_max_wait_ms: p.number(
                "QUEUE_HEALTH_MAX_WAIT",
                1000,
                604_800_000,
                "milliseconds from 1000 to 604800000 (a week)",
            )?,
            health_max_failure_rate: p.number(
                "QUEUE_HEALTH_MAX_FAILURE_RATE",
                1,
                100,
                "a percentage from 1 to 100",
            )?,
            scale_up_threshold: p.number(
                "QUEUE_SCALE_UP_THRESHOLD",
                1,
                10_000_000,
                "a whole number of jobs from 1 to 10000000",
            )?,
            scale_down_threshold: p.number(
                "QUEUE_SCALE_DOWN_THRESHOLD",
                0,
                10_000_000,
                "a whole number of jobs below QUEUE_SCALE_UP_THRESHOLD",
            )?,
            scale_cooldown_ms: p.number(
                "QUEUE_SCALE_COOLDOWN",
                0,
                86_400_000,
                "milliseconds from 0 to 86400000",
            )?,
            lock_duration_ms: p.number(
                "QUEUE_LOCK_DURATION",
                1000,
                3_600_000,
                "milliseconds from 1000 to 3600000",
            )?,
            stalled_interval_ms: p.number(
                "QUEUE_STALLED_INTERVAL",
                500,
                3_600_000,
                "milliseconds from 500 to 3600000",
            )?,
            shutdown_timeout_ms: p.number(
                "QUEUE_SHUTDOWN_TIMEOUT",
                0,
                3_600_000,
                "milliseconds from 0 to 3600000",
            )?,
            max_memory_mb: p.number(
                "QUEUE_MAX_MEMORY",
                0,
                1_048_576,
                "megabytes from 0 (no limit) to 1048576",
            )?,
            other_workers: p.queue_names("QUEUE_OTHER_WORKERS")?,
            custom: p.queue_names("QUEUE_CUSTOM")?,
            http_targets: p.http_targets("QUEUE_HTTP_TARGETS")?,
        };
        if queue.scale_down_threshold >= queue.scale_up_threshold {
            return Err(p.invalid(
                "QUEUE_SCALE_DOWN_THRESHOLD",
                &format!(
                    "a whole number below QUEUE_SCALE_UP_THRESHOLD ({}), or pools would flap",
                    queue.scale_up_threshold
                ),
            ));
        }
        let dashboard = DashboardConfig {
            enabled: p.boolean("QUEUE_DASHBOARD_ENABLED")?,
            port: p.number(
                "QUEUE_DASHBOARD_PORT",
                0,
                65535,
                "a port from 1 to 65535, or 0 for any free port",
            )?,
            host: match p.text("QUEUE_DASHBOARD_HOST")? {
                None => std::net::IpAddr::from([127, 0, 0, 1]),
                Some(raw) => raw.trim().parse().map_err(|_| {
                    p.invalid(
                        "QUEUE_DASHBOARD_HOST",
                        "an IP address to listen on, such as 127.0.0.1, 0.0.0.0 or ::",
                    )
                })?,
            },
            username: p.text("QUEUE_DASHBOARD_USERNAME")?.unwrap_or_default(),
            password: p.text("QUEUE_DASHBOARD_PASSWORD")?.unwrap_or_default(),
        };
        let workers = WorkerCounts {
            scraping: p.number("SCRAPING_WORKERS", 0, 1000, "a whole number from 0 to 1000")?,
            data_processing: p.number(
                "DATA_PROCESSING_WORKERS",
                0,
                1000,
                "a whole number from 0 to 1000",
            )?,
            notification: p.number(
                "NOTIFICATION_WORKERS",
                0,
                1000,
                "a whole number from 0 to 1000",
            )?,
            cleanup: p.number("CLEANUP_WORKERS", 0, 1000, "a whole number from 0 to 1000")?,
        };
        let pool = |prefix: &str| -> Result<PoolOverrides> {
            let concurrency_var = format!("{prefix}_CONCURRENCY");
            Ok(PoolOverrides {
                concurrency: match p.raw(&concurrency_var) {
                    Some(_) => Some(p.number(
                        &concurrency_var,
                        1,
                        10_000,
                        "a whole number from 1 to 10000",
                    )?),
                    None => None,
                },
                rate_limit: p.rate_limit(&format!("{prefix}_RATE_LIMIT"))?,
            })
        };
        let pools = PoolOverridesByType {
            scraping: pool("SCRAPING")?,
            data_processing: pool("DATA_PROCESSING")?,
            notification: pool("NOTIFICATION")?,
            cleanup: pool("CLEANUP")?,
        };
        let scrape = ScrapeConfig::parse(&p)?;
        let notify = NotifyConfig::parse(&p)?;
        if !queue.http_targets.is_empty() && notify.webhook_secret.is_none() {
            return Err(p.invalid(
                "QUEUE_HTTP_TARGETS",
                "WEBHOOK_SECRET set too: every job POSTed to a target is signed with it",
            ));
        }
        let search = SearchConfig::parse(&p)?;
        let data_dir = match p.text("ANTRIAN_DATA_DIR")? {
            Some(dir) => PathBuf::from(dir),
            None => dirs::data_dir()
                .map(|d| d.join("antrian"))
                .unwrap_or_else(|| PathBuf::from(".antrian")),
        };
        let cleanup_allowed_dirs = match p.text("CLEANUP_ALLOWED_DIRS")? {
            None => vec![data_dir.join("tmp")],
            Some(raw) => {
                let dirs: Vec<PathBuf> = raw
                    .split(',')
                    .map(str::trim)
                    .filter(|d| !d.is_empty())
                    .map(PathBuf::from)
                    .collect();
                if dirs.is_empty()
                    || dirs
                        .iter()
                        .any(|d| !d.is_absolute() || d.parent().is_none())
                {
                    return Err(p.invalid(
                        "CLEANUP_ALLOWED_DIRS",
                        "absolute directories other than `/`, separated by commas",
                    ));
                }
                dirs
            }
        };
        let app = AppConfig {
            log_dir: p
                .text("ANTRIAN_LOG_DIR")?
                .map(PathBuf::from)
                .unwrap_or_else(|| data_dir.join("logs")),
            data_dir,
            log_filter: p.log_filter()?,
        };
        let mut entries: Vec<ConfigEntry> = settings::SETTINGS
            .iter()
            .map(|s| entry(s, layers.get(s.env)))
            .collect();
        // Show the directories actually used, not "(unset)", when they are derived.
        for e in &mut entries {
            let derived = match e.variable {
                "ANTRIAN_DATA_DIR" => &app.data_dir,
                "ANTRIAN_LOG_DIR" => &app.log_dir,
                _ => continue,
            };
            e.value.get_or_insert_with(|| derived.display().to_string());
        }
        let scheduler = SchedulerConfig {
            timezone: match p.text("SCHEDULER_TIMEZONE")? {
                Some(tz) => {
                    crate::scheduler::cron::parse_timezone(&tz).map_err(|_| {
                        p.invalid(
                            "SCHEDULER_TIMEZONE",
                            "an IANA time zone such as Europe/Berlin, Asia/Jakarta or UTC",
                        )
                    })?;
                    tz.trim().to_string()
                }
                None => crate::scheduler::cron::machine_timezone(),
            },
            eval_interval_ms: p.number(
                "SCHEDULER_EVAL_INTERVAL",
                200,
                3_600_000,
                "milliseconds from 200 to 3600000",
            )?,
        };
        let mut config = Config {
            redis,
            queue,
            dashboard,
            scheduler,
            workers,
            pools,
            scrape,
            notify,
            search,
            cleanup_allowed_dirs,
            app,
            entries,
        };
        config.note_pool_bounds();
        Ok(config)
    }

    /// The auto-scaling rules of this configuration; they bound every pool's size.
    pub fn scaling_rules(&self) -> crate::worker::autoscale::decision::ScalingRules {
        let q = &self.queue;
        crate::worker::autoscale::decision::ScalingRules {
            enabled: q.auto_scaling,
            min_workers: q.min_workers,
            max_workers: q.max_workers,
            scale_up_threshold: q.scale_up_threshold,
            scale_down_threshold: q.scale_down_threshold,
            cooldown_ms: q.scale_cooldown_ms,
        }
    }

    /// Says on each pool count (`SCRAPING_WORKERS`…) the size its pool starts at when
    /// `QUEUE_MIN_WORKERS`/`QUEUE_MAX_WORKERS` change it, so `antrian config` shows it.
    fn note_pool_bounds(&mut self) {
        let rules = self.scaling_rules();
        let w = &self.workers;
        let counts = [
            ("SCRAPING_WORKERS", w.scraping),
            ("DATA_PROCESSING_WORKERS", w.data_processing),
            ("NOTIFICATION_WORKERS", w.notification),
            ("CLEANUP_WORKERS", w.cleanup),
        ];
        for (variable, count) in counts {
            let (size, by) = rules.starting_size(count);
            if let (Some(by), Some(e)) =
                (by, self.entries.iter_mut().find(|e| e.variable == variable))
            {
                let how = if size > count { "raised" } else { "capped" };
                e.note = Some(format!("the pool starts at {size}: {how} by {by}"));
            }
        }
    }
}

fn entry(s: &'static Setting, raw: Option<&(String, Origin)>) -> ConfigEntry {
    let value = raw.map(|(v, _)| display_value(s, v));
    ConfigEntry {
        variable: s.env,
        key: s.key,
        value,
        source: raw.map(|(_, o)| o.clone()).unwrap_or(Origin::Default),
        note: None,
    }
}

fn display_value(s: &Setting, value: &str) -> String {
    if s.secret {
        "<redacted>".to_string()
    } else if s.env == "REDIS_URL" {
        redact_url(value)
    } else if s.env == "REDIS_CLUSTER_NODES" {
        value
            .split(',')
            .map(|n| {
                if n.contains("://") {
                    redact_url(n.trim())
                } else {
                    n.trim().to_string()
                }
            })
            .collect::<Vec<_>>()
            .join(",")
    } else {
        value.to_string()
    }
}

/// The variables that name an external Redis: with any of them set by the user, Antrian
/// does not run its embedded one (and the desktop's saved connection does not apply).
pub const REDIS_VARS: [&str; 5] = [
    "REDIS_URL",
    "REDIS_CLUSTER_NODES",
    "REDIS_HOST",
    "REDIS_PORT",
    "REDIS_PASSWORD",
];

/// The per-user folder of Antrian's files (`$XDG_CONFIG_HOME/antrian`, usually
/// `~/.config/antrian`): `config.toml`, and the desktop app's settings.
pub fn user_config_dir() -> PathBuf {
    dirs::config_dir()
        .unwrap_or_else(|| PathBuf::from(".config"))
        .join("antrian")
}

/// A cluster's seed nodes as `cluster host:port,host:port` (` (TLS)` after them when they
/// use it), without credentials.
pub fn cluster_address(nodes: &[String]) -> String {
    let hosts: Vec<String> = nodes
        .iter()
        .map(|n| match url::Url::parse(n) {
            Ok(u) => format!(
                "{}:{}",
                u.host_str().unwrap_or_default(),
                u.port().unwrap_or(6379)
            ),
            Err(_) => "<unparseable URL>".to_string(),
        })
        .collect();
    let tls = if nodes.iter().any(|n| n.starts_with("rediss://")) {
        " (TLS)"
    } else {
        ""
    };
    format!("cluster {}{tls}", hosts.join(","))
}

/// Replaces the password of a URL with `***` (the user name is kept: it is not a secret and
/// helps tell ACL users apart).
pub fn redact_url(raw: &str) -> String {
    match url::Url::parse(raw) {
        Ok(mut u) if u.password().is_some() => {
            // Cannot fail: a URL that has a password can carry one.
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        Ok(u) => u.to_string(),
        Err(_) => "<unparseable URL>".to_string(),
    }
}

#[cfg(test)]
mod tests;
