//! The table of every setting Antrian reads: its environment variable (the seed's names),
//! its key in `config.toml`, its default and its meaning.
//!
//! README's configuration reference and `antrian config` are both read from this table, so a
//! setting that is not here does not exist.

/// One configurable value.
#[derive(Debug, Clone, Copy)]
pub struct Setting {
    /// Environment / `.env` variable name (the seed's spelling).
    pub env: &'static str,
    /// Dotted key in `config.toml` (`section.key`).
    pub key: &'static str,
    /// Default shown to users; `None` when unset by default.
    pub default: Option<&'static str>,
    /// Secrets are never printed or logged.
    pub secret: bool,
    /// One-line meaning, as README shows it.
    pub help: &'static str,
}

const fn setting(
    env: &'static str,
    key: &'static str,
    default: Option<&'static str>,
    help: &'static str,
) -> Setting {
    Setting {
        env,
        key,
        default,
        secret: false,
        help,
    }
}

const fn secret(env: &'static str, key: &'static str, help: &'static str) -> Setting {
    Setting {
        env,
        key,
        default: None,
        secret: true,
        help,
    }
}

/// Every setting, in the order README and `antrian config` list them.
pub const SETTINGS: &[Setting] = &[
    setting("REDIS_URL", "redis.url", None, "Redis URL (`redis://`, `rediss://` for TLS, `unix://`); wins over REDIS_HOST/REDIS_PORT/REDIS_PASSWORD. With none of REDIS_URL, REDIS_CLUSTER_NODES, REDIS_HOST, REDIS_PORT, REDIS_PASSWORD set, Antrian runs its own embedded redis-server"),
    setting("REDIS_CLUSTER_NODES", "redis.cluster_nodes", None, "Seed nodes of a Redis Cluster, comma-separated `host:port` (or `redis://`/`rediss://` URLs; REDIS_PASSWORD applies to each); wins over REDIS_HOST/REDIS_PORT. The queue prefix then defaults to `{bull}`, and a QUEUE_PREFIX without a hash tag is refused"),
    setting("REDIS_HOST", "redis.host", None, "Redis host of an external server (`localhost` when only REDIS_PORT or REDIS_PASSWORD is set)"),
    setting("REDIS_PORT", "redis.port", Some("6379"), "Redis port of an external server"),
    secret("REDIS_PASSWORD", "redis.password", "Redis password of an external server"),
    setting("REDIS_DB", "redis.db", Some("0"), "Redis database number (ignored when REDIS_URL names one)"),
    setting("QUEUE_PREFIX", "queue.prefix", Some("bull"), "BullMQ key prefix shared with Node.js services (`{bull}` for Redis Cluster)"),
    setting("QUEUE_CONCURRENCY", "queue.concurrency", Some("10"), "Jobs each worker runs at once"),
    setting("QUEUE_RETRY_ATTEMPTS", "queue.retry_attempts", Some("3"), "Default attempts per job"),
    setting("QUEUE_RETRY_DELAY", "queue.retry_delay", Some("5000"), "Default backoff delay between attempts, in milliseconds"),
    setting("QUEUE_REMOVE_ON_COMPLETE", "queue.remove_on_complete", Some("50"), "Completed jobs kept per queue when a job does not say (the seed's removeOnComplete)"),
    setting("QUEUE_REMOVE_ON_FAIL", "queue.remove_on_fail", Some("20"), "Failed jobs kept per queue when a job does not say (the seed's removeOnFail)"),
    setting("QUEUE_MAX_JOB_DATA", "queue.max_job_data", Some("524288"), "Largest job data accepted, in bytes of JSON"),
    setting("QUEUE_HEALTH_INTERVAL", "queue.health_interval", Some("60000"), "Milliseconds between `health:check` events"),
    setting("QUEUE_HEALTH_MAX_WAIT", "queue.health_max_wait", Some("300000"), "A job waiting longer than this (milliseconds) degrades health"),
    setting("QUEUE_HEALTH_MAX_FAILURE_RATE", "queue.health_max_failure_rate", Some("50"), "A queue whose jobs failed at or above this percentage in the last minute (of at least 10 finished) degrades health, naming it"),
    setting("QUEUE_AUTO_SCALING", "queue.auto_scaling", Some("true"), "Scale worker pools with queue load"),
    setting("QUEUE_MIN_WORKERS", "queue.min_workers", Some("2"), "Fewest workers per pool when auto-scaling"),
    setting("QUEUE_MAX_WORKERS", "queue.max_workers", Some("20"), "Most workers per pool when auto-scaling"),
    setting("QUEUE_DASHBOARD_ENABLED", "dashboard.enabled", Some("true"), "Serve the HTTP dashboard with `antrian start`"),
    setting("QUEUE_DASHBOARD_PORT", "dashboard.port", Some("3001"), "HTTP dashboard port; 0 picks a free one (logged at start)"),
    setting("QUEUE_DASHBOARD_HOST", "dashboard.host", Some("127.0.0.1"), "Address the HTTP dashboard listens on (`0.0.0.0` for every interface: then a real password is required)"),
    setting("QUEUE_DASHBOARD_USERNAME", "dashboard.username", Some("admin"), "HTTP dashboard basic-auth user"),
    secret("QUEUE_DASHBOARD_PASSWORD", "dashboard.password", "HTTP dashboard basic-auth password; unset on a loopback address, one is generated on first start and kept in the data directory (`dashboard-password`)"),
    setting("QUEUE_SCALE_UP_THRESHOLD", "queue.scale_up_threshold", Some("10"), "Auto-scaling adds workers when more jobs than this wait"),
    setting("QUEUE_SCALE_DOWN_THRESHOLD", "queue.scale_down_threshold", Some("2"), "Auto-scaling removes a worker when fewer jobs than this wait (must be below the up threshold)"),
    setting("QUEUE_SCALE_COOLDOWN", "queue.scale_cooldown", Some("300000"), "Milliseconds between two scaling actions of a pool"),
    setting("QUEUE_LOCK_DURATION", "queue.lock_duration", Some("30000"), "Milliseconds a worker's lock on a job lasts without renewal; a dead worker's jobs return after it"),
    setting("QUEUE_STALLED_INTERVAL", "queue.stalled_interval", Some("30000"), "Milliseconds between checks for jobs of dead workers"),
    setting("QUEUE_SHUTDOWN_TIMEOUT", "queue.shutdown_timeout", Some("30000"), "Milliseconds workers may finish active jobs on shutdown before they are left to recovery"),
    setting("QUEUE_OTHER_WORKERS", "queue.other_workers", None, "Antrian's queues whose jobs other workers (Node.js BullMQ services) also run, comma-separated: job names Antrian has no handler for are accepted on them instead of refused"),
    setting("QUEUE_CUSTOM", "queue.custom", None, "Queues besides the four standard ones, comma-separated, created at start so jobs can be added to them (served by Node.js BullMQ services, say). Jobs are refused on queues nobody created; `antrian queues create NAME` creates one too"),
    setting("QUEUE_HTTP_TARGETS", "queue.http_targets", None, "Custom queues served by an HTTP endpoint, `queue=URL` comma-separated: each job is POSTed as signed JSON (WEBHOOK_SECRET); 2xx completes with the response as result, 4xx fails it, 5xx and timeouts retry with its backoff, 429 waits for Retry-After. Private addresses need WEBHOOK_ALLOW_PRIVATE"),
    setting("QUEUE_MAX_MEMORY", "queue.max_memory", Some("2048"), "Megabytes of resident memory past which `antrian start`/`workers` drain and exit with status 75, for the service manager to start a fresh process (a leaking job handler cannot grow it without bound); 0 for no limit. The desktop app does not stop itself"),
    setting("SCHEDULER_TIMEZONE", "scheduler.timezone", None, "IANA time zone of cron schedules that name none (default: this machine's zone)"),
    setting("SCHEDULER_EVAL_INTERVAL", "scheduler.eval_interval", Some("5000"), "Milliseconds between evaluations of condition-based schedules (one scheduler instance evaluates at a time)"),
    setting("SCRAPING_WORKERS", "workers.scraping", Some("2"), "Scraping workers (scraping-queue)"),
    setting("DATA_PROCESSING_WORKERS", "workers.data_processing", Some("1"), "Data-processing workers (data-processing-queue)"),
    setting("NOTIFICATION_WORKERS", "workers.notification", Some("1"), "Notification workers (notifications-queue)"),
    setting("CLEANUP_WORKERS", "workers.cleanup", Some("1"), "Cleanup workers (cleanup-queue)"),
    setting("SCRAPING_CONCURRENCY", "workers.scraping_concurrency", None, "Jobs each scraping worker runs at once (default QUEUE_CONCURRENCY)"),
    setting("DATA_PROCESSING_CONCURRENCY", "workers.data_processing_concurrency", None, "Jobs each data-processing worker runs at once (default QUEUE_CONCURRENCY)"),
    setting("NOTIFICATION_CONCURRENCY", "workers.notification_concurrency", None, "Jobs each notification worker runs at once (default QUEUE_CONCURRENCY)"),
    setting("CLEANUP_CONCURRENCY", "workers.cleanup_concurrency", None, "Jobs each cleanup worker runs at once (default QUEUE_CONCURRENCY)"),
    setting("SCRAPING_RATE_LIMIT", "workers.scraping_rate_limit", None, "Most scraping jobs started per time window across all workers, e.g. `10/1s` (BullMQ's limiter)"),
    setting("DATA_PROCESSING_RATE_LIMIT", "workers.data_processing_rate_limit", None, "Rate limit of data-processing-queue, e.g. `100/1s`"),
    setting("NOTIFICATION_RATE_LIMIT", "workers.notification_rate_limit", None, "Rate limit of notifications-queue, e.g. `30/1m`"),
    setting("CLEANUP_RATE_LIMIT", "workers.cleanup_rate_limit", None, "Rate limit of cleanup-queue"),
    setting("SCRAPE_USER_AGENT", "scrape.user_agent", Some("Mozilla/5.0 (compatible; Antrian/0.1; +https://github.com/antrian/antrian)"), "User-Agent header of every scraping request"),
    setting("SCRAPE_TIMEOUT", "scrape.timeout", Some("30000"), "Milliseconds a scraping request may take, connect to last byte"),
    setting("SCRAPE_MAX_REDIRECTS", "scrape.max_redirects", Some("5"), "Redirects a scraping request follows before it fails"),
    setting("SCRAPE_MAX_BODY", "scrape.max_body", Some("10485760"), "Largest page or API response read, in bytes after decompression"),
    setting("SCRAPE_DOMAIN_RATE_LIMIT", "scrape.domain_rate_limit", Some("2/1s"), "Requests per time window to one site, shared by every worker on every node (`none` for no limit)"),
    setting("SCRAPE_DOMAIN_CONCURRENCY", "scrape.domain_concurrency", Some("4"), "Requests in flight to one site at once, across all nodes (0 for no limit)"),
    setting("SCRAPE_DOMAIN_LIMITS", "scrape.domain_limits", None, "Per-site overrides `host=RATE:CONCURRENCY,…`, e.g. `shopee.co.id=1/1s:2,example.com=none:8`"),
    secret("SCRAPE_PROXIES", "scrape.proxies", "Proxies for jobs with `options.useProxy`, comma-separated (`http://user:pass@host:port`), used in rotation"),
    setting("SCRAPE_PROXY_MAX_FAILURES", "scrape.proxy_max_failures", Some("3"), "Failures in a row after which a proxy is benched"),
    setting("SCRAPE_PROXY_BENCH", "scrape.proxy_bench", Some("300000"), "Milliseconds a failing proxy sits out"),
    setting("SCRAPE_MARKETPLACE_HOSTS", "scrape.marketplace_hosts", Some("shopee.co.id,shopee.com.my,shopee.sg,shopee.ph,shopee.co.th,shopee.vn,shopee.tw,shopee.com.br"), "Sites the marketplace adapter reads (others go to the generic adapter)"),
    setting("SCRAPE_MARKETPLACE_API_URL", "scrape.marketplace_api_url", None, "Base of the marketplace's JSON API; default `<the product URL's site>/api/v4`"),
    setting("SCRAPE_MARKETPLACE_IMAGE_URL", "scrape.marketplace_image_url", Some("https://down-id.img.susercontent.com/file/"), "Prefix that turns the marketplace's image ids into image URLs"),
    setting("SCRAPE_SELLER_ORDERS_URL", "scrape.seller_orders_url", Some("https://seller.shopee.co.id/api/v3/order/get_order_list"), "Seller-centre endpoint order-scraping reads with an account's session"),
    setting("SCRAPE_SHOP_PAGE_LIMIT", "scrape.shop_page_limit", Some("10"), "Listing pages shop-scraping walks at most"),
    setting("SCRAPE_SHOP_MODE", "scrape.shop_mode", Some("save"), "What shop-scraping does with listed products: `save` their listing data, or `enqueue` a product-scraping job each"),
    setting("SCRAPE_BATCH_MAX_URLS", "scrape.batch_max_urls", Some("1000"), "Most URLs one batch-scraping job may carry"),
    setting("SCRAPE_ALLOW_PRIVATE", "scrape.allow_private", None, "Private, loopback or link-local addresses pages may be fetched from, comma-separated IPs or CIDRs (all refused by default: a job or a redirect cannot reach cloud metadata or the LAN)"),
    setting("SCRAPE_SITE_RULES", "scrape.site_rules", None, "TOML file of per-site CSS selector rules for the generic adapter (see README, \"Scraping\")"),
    setting("ELASTICSEARCH_URL", "elasticsearch.url", None, "Elasticsearch/OpenSearch base URL for update-elasticsearch (unset: those jobs fail saying so)"),
    setting("ELASTICSEARCH_USERNAME", "elasticsearch.username", None, "Basic-auth user for Elasticsearch"),
    secret("ELASTICSEARCH_PASSWORD", "elasticsearch.password", "Basic-auth password for Elasticsearch"),
    secret("ELASTICSEARCH_API_KEY", "elasticsearch.api_key", "Elasticsearch API key (sent as `Authorization: ApiKey …`; wins over user/password)"),
    setting("ELASTICSEARCH_BATCH_SIZE", "elasticsearch.batch_size", Some("500"), "Documents per `_bulk` request"),
    setting("SMTP_HOST", "notify.smtp_host", None, "SMTP server for send-email (unset: e-mail jobs fail saying so)"),
    setting("SMTP_PORT", "notify.smtp_port", Some("587"), "SMTP port"),
    setting("SMTP_SECURITY", "notify.smtp_security", Some("starttls"), "`starttls` (required), `tls` (implicit, port 465) or `none` (local relays only)"),
    setting("SMTP_USER", "notify.smtp_user", None, "SMTP user name (no authentication when unset)"),
    secret("SMTP_PASSWORD", "notify.smtp_password", "SMTP password"),
    setting("SMTP_FROM", "notify.smtp_from", Some("Antrian <antrian@localhost>"), "From address of every e-mail"),
    secret("WEBHOOK_SECRET", "notify.webhook_secret", "Signing secret of send-webhook (Standard Webhooks: `whsec_` + base64, or any string)"),
    setting("WEBHOOK_TIMEOUT", "notify.webhook_timeout", Some("10000"), "Milliseconds a webhook delivery may take"),
    setting("WEBHOOK_ALLOW_PRIVATE", "notify.webhook_allow_private", None, "Private, loopback or link-local destinations webhooks may reach, comma-separated IPs or CIDRs (all refused by default)"),
    setting("CLEANUP_ALLOWED_DIRS", "cleanup.allowed_dirs", None, "Absolute directories cleanup-temp-files may delete in, comma-separated; relative job paths resolve against the first (default `<data dir>/tmp`)"),
    setting("ANTRIAN_DATA_DIR", "app.data_dir", None, "Data directory (embedded Redis, logs); default `$XDG_DATA_HOME/antrian`"),
    setting("ANTRIAN_LOG_DIR", "app.log_dir", None, "Directory of the daily-rotated log file; default `<data dir>/logs`"),
    setting("ANTRIAN_LOG", "app.log", Some("info"), "Log filter (`info`, `debug`, `antrian_core=debug,info`…)"),
    setting("ANTRIAN_EMBEDDED_REDIS_PORT", "embedded.port", Some("0"), "Port of the embedded Redis on 127.0.0.1; 0 picks a free port"),
    setting("ANTRIAN_REDIS_SERVER", "embedded.redis_server", Some("redis-server"), "The redis-server binary the embedded Redis runs"),
];

/// Looks a setting up by its environment variable name.
pub fn by_env(env: &str) -> Option<&'static Setting> {
    SETTINGS.iter().find(|s| s.env == env)
}

/// Looks a setting up by its dotted TOML key.
pub fn by_key(key: &str) -> Option<&'static Setting> {
    SETTINGS.iter().find(|s| s.key == key)
}

/// Renders the configuration reference as a Markdown table (README embeds it; a test keeps
/// the two equal).
pub fn reference_markdown() -> String {
    let mut out =
        String::from("| Variable | `config.toml` key | Default | Meaning |\n|---|---|---|---|\n");
    for s in SETTINGS {
        let default = match s.default {
            Some(d) => format!("`{d}`"),
            None => "(unset)".to_string(),
        };
        out.push_str(&format!(
            "| `{}` | `{}` | {} | {} |\n",
            s.env, s.key, default, s.help
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_names_and_keys_are_unique() {
        for (i, a) in SETTINGS.iter().enumerate() {
            for b in &SETTINGS[i + 1..] {
                assert_ne!(a.env, b.env);
                assert_ne!(a.key, b.key);
            }
        }
    }

    #[test]
    fn every_variable_of_the_seed_env_block_is_a_setting() {
        let seed = [
            "REDIS_HOST",
            "REDIS_PORT",
            "REDIS_PASSWORD",
            "QUEUE_CONCURRENCY",
            "QUEUE_RETRY_ATTEMPTS",
            "QUEUE_RETRY_DELAY",
            "QUEUE_AUTO_SCALING",
            "QUEUE_MIN_WORKERS",
            "QUEUE_MAX_WORKERS",
            "QUEUE_DASHBOARD_ENABLED",
            "QUEUE_DASHBOARD_PORT",
            "QUEUE_DASHBOARD_USERNAME",
            "QUEUE_DASHBOARD_PASSWORD",
            "SCRAPING_WORKERS",
            "DATA_PROCESSING_WORKERS",
            "NOTIFICATION_WORKERS",
        ];
        for env in seed {
            assert!(by_env(env).is_some(), "{env} is missing from SETTINGS");
        }
    }

    #[test]
    fn readme_configuration_reference_matches_the_table() {
        let readme = include_str!("../../../../README.md");
        assert!(
            readme.contains(&reference_markdown()),
            "README.md's configuration table is out of date (scripts/update-readme-config.sh rewrites it); paste this in:\n{}",
            reference_markdown()
        );
    }
}
