//! Configuration: layered defaults < `config.toml` < `.env` < environment, typed and checked
//! once at start-up, before anything touches Redis.
//!
//! - [`settings`]: the table of every setting (names, keys, defaults, meaning).
//! - `sources`: reading the layers into raw strings with their origin.
//! - `parser`: typed access to those strings, with errors that name the variable, the
//!   value, where it came from and what is allowed.
//! - `redis_settings`: where Redis is; `queue`: the `QUEUE_*` settings, worker counts and
//!   pool overrides.
//! - `scrape`, `notify`: the `SCRAPE_*` and the e-mail, webhook and Elasticsearch settings;
//!   `allow`: their lists of internal networks jobs may reach.
//! - this module: assembling [`Config`] from all of them.

mod allow;
pub mod dashboard;
mod notify;
mod parser;
mod queue;
mod redis_settings;
mod scrape;
pub mod settings;
mod sources;
pub mod targets;

use std::path::PathBuf;

pub use allow::AllowList;
pub use notify::{NotifyConfig, SearchConfig, SmtpSecurity};
pub use queue::{PoolOverrides, PoolOverridesByType, QueueConfig, RateLimit, WorkerCounts};
pub use redis_settings::{cluster_address, redact_url, ExternalRedis, RedisConfig, REDIS_VARS};
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
        let redis = RedisConfig::parse(&p)?;
        let queue = QueueConfig::parse(
            &p,
            redis
                .external
                .as_ref()
                .is_some_and(ExternalRedis::is_cluster),
        )?;
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
        let workers = WorkerCounts::parse(&p)?;
        let pools = PoolOverridesByType::parse(&p)?;
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
                    crate::rules::parse_timezone(&tz).map_err(|_| {
                        p.invalid(
                            "SCHEDULER_TIMEZONE",
                            "an IANA time zone such as Europe/Berlin, Asia/Jakarta or UTC",
                        )
                    })?;
                    tz.trim().to_string()
                }
                None => crate::rules::machine_timezone(),
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
    pub fn scaling_rules(&self) -> crate::rules::ScalingRules {
        let q = &self.queue;
        crate::rules::ScalingRules {
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

/// The per-user folder of Antrian's files (`$XDG_CONFIG_HOME/antrian`, usually
/// `~/.config/antrian`): `config.toml`, and the desktop app's settings.
pub fn user_config_dir() -> PathBuf {
    dirs::config_dir()
        .unwrap_or_else(|| PathBuf::from(".config"))
        .join("antrian")
}

#[cfg(test)]
mod tests;
