use std::collections::HashMap;
use std::path::PathBuf;

use super::*;
use crate::error::ErrorCode;

fn env(pairs: &[(&str, &str)]) -> LoadOptions {
    LoadOptions {
        env: pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<HashMap<_, _>>(),
        ..Default::default()
    }
}

fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, text).expect("write test file");
    path
}

fn err(opts: &LoadOptions) -> String {
    Config::load(opts)
        .expect_err("config should be rejected")
        .to_string()
}

#[test]
fn defaults_are_the_seeds_and_embedded_redis() {
    let c = Config::load(&env(&[])).expect("defaults load");
    assert!(c.redis.external.is_none());
    assert_eq!(c.queue.concurrency, 10);
    assert_eq!(c.queue.retry_attempts, 3);
    assert_eq!(c.queue.retry_delay_ms, 5000);
    assert!(c.queue.auto_scaling);
    assert_eq!((c.queue.min_workers, c.queue.max_workers), (2, 20));
    assert_eq!(c.queue.prefix, "bull");
    assert!(c.dashboard.enabled);
    assert_eq!(c.dashboard.port, 3001);
    assert_eq!(c.dashboard.username, "admin");
    assert_eq!(
        c.workers,
        WorkerCounts {
            scraping: 2,
            data_processing: 1,
            notification: 1,
            cleanup: 1
        }
    );
}

#[test]
fn seed_env_block_is_honoured() {
    let c = Config::load(&env(&[
        ("REDIS_HOST", "localhost"),
        ("REDIS_PORT", "6380"),
        ("REDIS_PASSWORD", ""),
        ("QUEUE_CONCURRENCY", "4"),
        ("QUEUE_RETRY_ATTEMPTS", "5"),
        ("QUEUE_RETRY_DELAY", "2000"),
        ("QUEUE_AUTO_SCALING", "false"),
        ("QUEUE_MIN_WORKERS", "1"),
        ("QUEUE_MAX_WORKERS", "8"),
        ("QUEUE_DASHBOARD_ENABLED", "false"),
        ("QUEUE_DASHBOARD_PORT", "3100"),
        ("QUEUE_DASHBOARD_USERNAME", "ops"),
        ("QUEUE_DASHBOARD_PASSWORD", "s3cret"),
        ("SCRAPING_WORKERS", "3"),
        ("DATA_PROCESSING_WORKERS", "2"),
        ("NOTIFICATION_WORKERS", "0"),
        ("CLEANUP_WORKERS", "4"),
    ]))
    .expect("seed values load");
    let ext = c
        .redis
        .external
        .expect("REDIS_HOST selects an external server");
    assert_eq!(ext.url(), "redis://localhost:6380/0");
    assert_eq!(c.queue.concurrency, 4);
    assert_eq!(c.queue.retry_attempts, 5);
    assert_eq!(c.queue.retry_delay_ms, 2000);
    assert!(!c.queue.auto_scaling);
    assert_eq!((c.queue.min_workers, c.queue.max_workers), (1, 8));
    assert!(!c.dashboard.enabled);
    assert_eq!(c.dashboard.port, 3100);
    assert_eq!(c.dashboard.username, "ops");
    assert_eq!(c.dashboard.password, "s3cret");
    assert_eq!(c.workers.scraping, 3);
    assert_eq!(c.workers.data_processing, 2);
    assert_eq!(c.workers.notification, 0);
    assert_eq!(c.workers.cleanup, 4);
}

#[test]
fn redis_url_wins_over_host_and_port_and_takes_redis_db() {
    let c = Config::load(&env(&[
        ("REDIS_URL", "rediss://:pw@cache.example:6390"),
        ("REDIS_HOST", "ignored"),
        ("REDIS_DB", "3"),
    ]))
    .expect("url loads");
    let ext = c.redis.external.expect("external");
    assert_eq!(ext.url(), "rediss://:pw@cache.example:6390/3");
    assert_eq!(ext.address(), "rediss://:***@cache.example:6390/3");
}

#[test]
fn password_alone_means_an_external_server_on_localhost() {
    let c = Config::load(&env(&[("REDIS_PASSWORD", "p@ss word")])).expect("loads");
    let url = c.redis.external.expect("external").url().to_string();
    assert!(
        url.starts_with("redis://:p%40ss%20word@localhost:6379"),
        "{url}"
    );
}

#[test]
fn bad_numbers_name_the_variable_the_value_and_what_is_allowed() {
    let e = err(&env(&[("QUEUE_MAX_WORKERS", "abc")]));
    assert_eq!(
        e,
        "QUEUE_MAX_WORKERS=abc (environment): expected a whole number ≥ QUEUE_MIN_WORKERS (2) and ≤ 1000"
    );
    let e = err(&env(&[
        ("QUEUE_MIN_WORKERS", "5"),
        ("QUEUE_MAX_WORKERS", "4"),
    ]));
    assert!(
        e.starts_with(
            "QUEUE_MAX_WORKERS=4 (environment): expected a whole number ≥ QUEUE_MIN_WORKERS (5)"
        ),
        "{e}"
    );
    let e = err(&env(&[("QUEUE_CONCURRENCY", "0")]));
    assert!(e.starts_with("QUEUE_CONCURRENCY=0 (environment)"), "{e}");
    let e = err(&env(&[("QUEUE_DASHBOARD_PORT", "70000")]));
    assert!(e.contains("a port from 1 to 65535"), "{e}");
    let e = err(&env(&[("QUEUE_AUTO_SCALING", "maybe")]));
    assert!(e.starts_with("QUEUE_AUTO_SCALING=maybe"), "{e}");
    let code = Config::load(&env(&[("REDIS_PORT", "-1")]))
        .expect_err("negative port")
        .code();
    assert_eq!(code, ErrorCode::InvalidInput);
}

#[test]
fn bad_redis_urls_are_rejected_without_echoing_the_password() {
    let e = err(&env(&[("REDIS_URL", "http://:hunter2@example.com")]));
    assert!(e.starts_with("REDIS_URL="), "{e}");
    assert!(!e.contains("hunter2"), "password leaked: {e}");
    let e = err(&env(&[("REDIS_URL", "not a url")]));
    assert!(e.contains("expected a URL such as redis://"), "{e}");
    let e = err(&env(&[("REDIS_URL", "redis://:pw@host:6379/x")]));
    assert!(e.contains("database number"), "{e}");
    assert!(!e.contains(":pw@"), "{e}");
}

#[test]
fn secrets_are_redacted_in_entries() {
    let c = Config::load(&env(&[
        ("QUEUE_DASHBOARD_PASSWORD", "topsecret"),
        ("REDIS_URL", "redis://user:hunter2@h:1/0"),
    ]))
    .expect("loads");
    let all = serde_json::to_string(c.entries()).expect("serialises");
    assert!(
        !all.contains("topsecret") && !all.contains("hunter2"),
        "{all}"
    );
    let url = c
        .entries()
        .iter()
        .find(|e| e.variable == "REDIS_URL")
        .expect("listed");
    assert_eq!(url.value.as_deref(), Some("redis://user:***@h:1/0"));
    assert_eq!(url.source, Origin::Environment);
}

#[test]
fn layers_stack_file_then_dotenv_then_environment() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = write(
        &dir,
        "config.toml",
        "[queue]\nconcurrency = 7\nretry_attempts = 4\nretry_delay = 100\n\n[workers]\nscraping = 5\n",
    );
    let dotenv = write(
        &dir,
        ".env",
        "QUEUE_RETRY_ATTEMPTS=6\nQUEUE_RETRY_DELAY=200\nUNRELATED=1\n",
    );
    let mut opts = env(&[("QUEUE_RETRY_DELAY", "300")]);
    opts.config_file = Some(file.clone());
    opts.dotenv_file = Some(dotenv.clone());
    let c = Config::load(&opts).expect("layers load");
    assert_eq!(c.queue.concurrency, 7);
    assert_eq!(c.queue.retry_attempts, 6);
    assert_eq!(c.queue.retry_delay_ms, 300);
    assert_eq!(c.workers.scraping, 5);
    let source = |var: &str| {
        c.entries()
            .iter()
            .find(|e| e.variable == var)
            .map(|e| e.source.clone())
            .expect("listed")
    };
    assert_eq!(
        source("QUEUE_CONCURRENCY"),
        Origin::File {
            path: file,
            line: 2
        }
    );
    assert_eq!(
        source("QUEUE_RETRY_ATTEMPTS"),
        Origin::DotEnv { path: dotenv }
    );
    assert_eq!(source("QUEUE_RETRY_DELAY"), Origin::Environment);
    assert_eq!(source("QUEUE_MAX_WORKERS"), Origin::Default);
}

#[test]
fn unknown_toml_key_is_named_with_its_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = write(
        &dir,
        "config.toml",
        "[queue]\nconcurrency = 2\nconcurency = 3\n",
    );
    let mut opts = env(&[]);
    opts.config_file = Some(file.clone());
    assert_eq!(
        err(&opts),
        format!(
            "{}:3: unknown setting `queue.concurency`; known settings are listed by `antrian config`",
            file.display()
        )
    );
    let file = write(&dir, "other.toml", "\n[nope]\nx = 1\n");
    opts.config_file = Some(file);
    assert!(err(&opts).contains(":2: unknown setting `nope`;"));
}

#[test]
fn toml_values_are_checked_like_environment_values() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = write(&dir, "config.toml", "[queue]\n\nmax_workers = \"lots\"\n");
    let mut opts = env(&[]);
    opts.config_file = Some(file.clone());
    let e = err(&opts);
    assert!(
        e.starts_with(&format!("QUEUE_MAX_WORKERS=lots ({}:3)", file.display())),
        "{e}"
    );
    let file = write(&dir, "syntax.toml", "[queue\nconcurrency = 1\n");
    opts.config_file = Some(file.clone());
    let e = err(&opts);
    assert!(e.starts_with(&format!("{}:1:", file.display())), "{e}");
    let file = write(&dir, "array.toml", "[queue]\nconcurrency = [1]\n");
    opts.config_file = Some(file);
    assert!(err(&opts).contains(":2: `queue.concurrency` must be a string, number or boolean"));
}

#[test]
fn a_named_config_file_must_be_readable() {
    let mut opts = env(&[]);
    opts.config_file = Some(PathBuf::from("/nonexistent/antrian.toml"));
    let e = err(&opts);
    assert!(
        e.starts_with("cannot read config file /nonexistent/antrian.toml"),
        "{e}"
    );
    // The per-user default file is optional.
    opts.config_file = None;
    opts.default_config_file = Some(PathBuf::from("/nonexistent/antrian.toml"));
    assert!(Config::load(&opts).is_ok());
}

#[test]
fn bad_dotenv_line_is_reported() {
    let dir = tempfile::tempdir().expect("tempdir");
    let dotenv = write(&dir, ".env", "QUEUE_CONCURRENCY=3\nBROKEN LINE 'x\n");
    let mut opts = env(&[]);
    opts.dotenv_file = Some(dotenv.clone());
    let e = err(&opts);
    assert!(e.starts_with(&format!("{}:2:", dotenv.display())), "{e}");
}

#[test]
fn bad_prefix_and_log_filter_are_rejected() {
    assert!(err(&env(&[("QUEUE_PREFIX", "a:b")])).starts_with("QUEUE_PREFIX=a:b"));
    assert!(err(&env(&[("ANTRIAN_LOG", "[[[")])).starts_with("ANTRIAN_LOG=[[["));
}

#[test]
fn scaling_thresholds_that_would_flap_are_rejected() {
    let e = err(&env(&[
        ("QUEUE_SCALE_UP_THRESHOLD", "5"),
        ("QUEUE_SCALE_DOWN_THRESHOLD", "5"),
    ]));
    assert!(e.starts_with("QUEUE_SCALE_DOWN_THRESHOLD=5 (environment): expected a whole number below QUEUE_SCALE_UP_THRESHOLD (5)"), "{e}");
    let c = Config::load(&env(&[])).expect("defaults");
    assert_eq!(
        (
            c.queue.scale_up_threshold,
            c.queue.scale_down_threshold,
            c.queue.scale_cooldown_ms
        ),
        (10, 2, 300_000)
    );
}

#[test]
fn per_pool_concurrency_and_rate_limits() {
    let c = Config::load(&env(&[
        ("SCRAPING_CONCURRENCY", "3"),
        ("SCRAPING_RATE_LIMIT", "10/1s"),
        ("NOTIFICATION_RATE_LIMIT", "30/1m"),
    ]))
    .expect("loads");
    assert_eq!(c.pools.scraping.concurrency, Some(3));
    assert_eq!(
        c.pools.scraping.rate_limit,
        Some(RateLimit {
            max: 10,
            per_ms: 1000
        })
    );
    assert_eq!(
        c.pools.notification.rate_limit,
        Some(RateLimit {
            max: 30,
            per_ms: 60_000
        })
    );
    assert_eq!(c.pools.cleanup, PoolOverrides::default());
    for bad in ["10", "0/1s", "10/0s", "ten/1s", "10/1 week"] {
        let e = err(&env(&[("SCRAPING_RATE_LIMIT", bad)]));
        assert!(
            e.starts_with(&format!(
                "SCRAPING_RATE_LIMIT={bad} (environment): expected jobs per time window"
            )),
            "{e}"
        );
    }
    assert!(err(&env(&[("CLEANUP_CONCURRENCY", "0")])).starts_with("CLEANUP_CONCURRENCY=0"));
}

#[test]
fn allow_lists_take_addresses_and_networks_and_name_bad_ones() {
    let c = Config::load(&env(&[
        ("WEBHOOK_ALLOW_PRIVATE", "127.0.0.1, 10.0.0.0/8"),
        ("SCRAPE_ALLOW_PRIVATE", "fd00::/8,::ffff:192.168.1.5"),
    ]))
    .expect("allow-lists load");
    let ip = |s: &str| s.parse::<std::net::IpAddr>().expect("ip");
    let hook = &c.notify.webhook_allow_private;
    assert!(hook.contains(ip("127.0.0.1")) && hook.contains(ip("10.9.9.9")));
    assert!(
        hook.contains(ip("::ffff:10.1.1.1")),
        "a mapped address as its IPv4"
    );
    assert!(!hook.contains(ip("127.0.0.2")) && !hook.contains(ip("::1")));
    let scrape = &c.scrape.allow_private;
    assert!(scrape.contains(ip("fd12::1")) && !scrape.contains(ip("fe80::1")));
    assert!(
        scrape.contains(ip("192.168.1.5")),
        "listed in its mapped form"
    );
    assert!(!scrape.contains(ip("127.0.0.1")));
    assert!(Config::load(&env(&[]))
        .expect("defaults")
        .scrape
        .allow_private
        .is_empty());
    for bad in [
        "localhost",
        "10.0.0.0/33",
        "10.0.0.0/x",
        "10.0.0.0/",
        "::1/129",
    ] {
        let e = err(&env(&[("SCRAPE_ALLOW_PRIVATE", bad)]));
        assert!(
            e.contains("SCRAPE_ALLOW_PRIVATE") && e.contains("CIDRs"),
            "{bad}: {e}"
        );
    }
}

#[test]
fn a_cluster_gets_its_nodes_the_password_and_a_hash_tagged_prefix() {
    let c = Config::load(&env(&[
        (
            "REDIS_CLUSTER_NODES",
            "10.0.0.1:7000, rediss://10.0.0.2:7001/0,",
        ),
        ("REDIS_PASSWORD", "s3cret"),
    ]))
    .expect("a cluster");
    let ext = c.redis.external.as_ref().expect("external");
    assert!(ext.is_cluster());
    assert_eq!(
        ext.options().cluster_nodes,
        [
            "redis://:s3cret@10.0.0.1:7000",
            "rediss://:s3cret@10.0.0.2:7001"
        ]
    );
    assert_eq!(ext.address(), "cluster 10.0.0.1:7000,10.0.0.2:7001 (TLS)");
    assert!(!format!("{ext:?}").contains("s3cret"));
    assert_eq!(c.queue.prefix, "{bull}");
    let shown = c
        .entries()
        .iter()
        .find(|e| e.variable == "REDIS_CLUSTER_NODES")
        .and_then(|e| e.value.clone());
    assert_eq!(
        shown.as_deref(),
        Some("10.0.0.1:7000,rediss://10.0.0.2:7001/0,")
    );

    let tagged = Config::load(&env(&[
        ("REDIS_CLUSTER_NODES", "10.0.0.1:7000"),
        ("QUEUE_PREFIX", "{shop}bull"),
    ]))
    .expect("a tagged prefix");
    assert_eq!(tagged.queue.prefix, "{shop}bull");
    // A standalone server keeps the plain default.
    let single = Config::load(&env(&[("REDIS_URL", "redis://10.0.0.1:6379")])).expect("url");
    assert!(!single
        .redis
        .external
        .as_ref()
        .expect("external")
        .is_cluster());
    assert_eq!(single.queue.prefix, "bull");
}

#[test]
fn queue_lists_take_names_and_name_a_bad_one() {
    let c = Config::load(&env(&[
        ("QUEUE_CUSTOM", " partner-feed, exports ,"),
        ("QUEUE_OTHER_WORKERS", "scraping-queue"),
    ]))
    .expect("config");
    assert_eq!(c.queue.custom, ["partner-feed", "exports"]);
    assert_eq!(c.queue.other_workers, ["scraping-queue"]);
    for env_name in ["QUEUE_CUSTOM", "QUEUE_OTHER_WORKERS"] {
        let e = err(&env(&[(env_name, "ok,bad:queue")]));
        assert!(
            e.starts_with(&format!(
                "{env_name}=ok,bad:queue (environment): expected queue names"
            )),
            "{e}"
        );
    }
}

#[test]
fn http_targets_take_queue_url_pairs_and_need_the_signing_secret() {
    let c = Config::load(&env(&[
        (
            "QUEUE_HTTP_TARGETS",
            "partner-feed=https://hooks.example/antrian, erp=http://erp.local:8080/jobs",
        ),
        ("WEBHOOK_SECRET", "s3cret"),
    ]))
    .expect("config");
    let targets: Vec<(&str, &str)> = c
        .queue
        .http_targets
        .iter()
        .map(|t| (t.queue.as_str(), t.url.as_str()))
        .collect();
    assert_eq!(
        targets,
        [
            ("partner-feed", "https://hooks.example/antrian"),
            ("erp", "http://erp.local:8080/jobs")
        ]
    );
    let unsigned = err(&env(&[(
        "QUEUE_HTTP_TARGETS",
        "partner-feed=https://hooks.example/a",
    )]));
    assert!(unsigned.contains("WEBHOOK_SECRET"), "{unsigned}");
    for bad in [
        "partner-feed",
        "partner-feed=ftp://hooks.example/a",
        "bad:queue=https://hooks.example/a",
        "scraping-queue=https://hooks.example/a",
        "a=https://x.example/1,a=https://x.example/2",
    ] {
        let e = err(&env(&[
            ("QUEUE_HTTP_TARGETS", bad),
            ("WEBHOOK_SECRET", "s3cret"),
        ]));
        assert!(e.contains("expected queue=URL pairs"), "{bad}: {e}");
    }
}

#[test]
fn bad_cluster_settings_name_the_setting() {
    let nodes = ("REDIS_CLUSTER_NODES", "10.0.0.1:7000");
    for (pairs, starts) in [
        (vec![nodes, ("QUEUE_PREFIX", "bull")], "QUEUE_PREFIX=bull"),
        (
            vec![nodes, ("QUEUE_PREFIX", "{}bull")],
            "QUEUE_PREFIX={}bull",
        ),
        (vec![nodes, ("REDIS_DB", "1")], "REDIS_DB=1"),
        (
            vec![nodes, ("REDIS_URL", "redis://10.0.0.1:6379")],
            "REDIS_CLUSTER_NODES=",
        ),
        (
            vec![("REDIS_CLUSTER_NODES", "10.0.0.1")],
            "REDIS_CLUSTER_NODES=",
        ),
        (
            vec![("REDIS_CLUSTER_NODES", "unix:///r.sock")],
            "REDIS_CLUSTER_NODES=",
        ),
        (
            vec![("REDIS_CLUSTER_NODES", "redis://h:7000/3")],
            "REDIS_CLUSTER_NODES=",
        ),
        (vec![("REDIS_CLUSTER_NODES", ",")], "REDIS_CLUSTER_NODES="),
    ] {
        let e = err(&env(&pairs));
        assert!(e.starts_with(starts), "{pairs:?}: {e}");
    }
}
