//! Typed access to the merged raw configuration values: numbers, booleans, rate limits,
//! the prefix, the log filter and the Redis address, each failing with an error that names
//! the variable, the value, where it came from and what is allowed.

use super::sources::Layers;
use super::{display_value, settings, ExternalRedis, Origin, RateLimit};
use crate::error::{Error, Result};

/// `MAX/WINDOW`: `10/1s`, `100/1m`, `5/500ms`, or a window in plain milliseconds.
pub(super) fn parse_rate(value: &str) -> Option<RateLimit> {
    let (max, window) = value.split_once('/')?;
    let max: u64 = max.trim().parse().ok().filter(|m| *m > 0)?;
    let window = window.trim();
    let split = window
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(window.len());
    let (n, unit) = window.split_at(split);
    let n: u64 = n.parse().ok().filter(|n| *n > 0)?;
    let factor = match unit {
        "" | "ms" => 1,
        "s" => 1000,
        "m" => 60_000,
        "h" => 3_600_000,
        _ => return None,
    };
    Some(RateLimit {
        max,
        per_ms: n.checked_mul(factor)?,
    })
}

/// Typed access to the merged raw values; every error names the variable, value and origin.
pub(super) struct Parser<'a> {
    pub(super) layers: &'a Layers,
}

impl Parser<'_> {
    pub(super) fn raw(&self, env: &str) -> Option<&(String, Origin)> {
        self.layers.get(env)
    }

    pub(super) fn invalid(&self, env: &str, expected: &str) -> Error {
        let (value, origin) = self
            .raw(env)
            .cloned()
            .unwrap_or_else(|| (String::new(), Origin::Default));
        let shown = settings::by_env(env)
            .map(|s| display_value(s, &value))
            .unwrap_or(value);
        Error::InvalidSetting {
            setting: env.to_string(),
            value: shown,
            origin: origin.to_string(),
            expected: expected.to_string(),
        }
    }

    pub(super) fn text(&self, env: &str) -> Result<Option<String>> {
        Ok(self.raw(env).map(|(v, _)| v.clone()))
    }

    pub(super) fn number<T>(&self, env: &str, min: T, max: T, expected: &str) -> Result<T>
    where
        T: std::str::FromStr + PartialOrd + Copy + Default,
    {
        let Some((value, _)) = self.raw(env) else {
            return Ok(T::default());
        };
        match value.parse::<T>() {
            Ok(n) if n >= min && n <= max => Ok(n),
            _ => Err(self.invalid(env, expected)),
        }
    }

    /// `MAX/WINDOW`: `10/1s`, `100/1m`, `5/500ms`, or a window in plain milliseconds.
    /// A comma-separated list of queue names (empty when unset).
    pub(super) fn queue_names(&self, env: &str) -> Result<Vec<String>> {
        let Some(raw) = self.text(env)? else {
            return Ok(Vec::new());
        };
        let names: Vec<String> = raw
            .split(',')
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(String::from)
            .collect();
        for name in &names {
            crate::rules::validate_queue_name(name).map_err(|_| {
                self.invalid(
                    env,
                    "queue names (letters, digits, `-`, `_`, `.`), comma-separated",
                )
            })?;
        }
        Ok(names)
    }

    /// `queue=url,queue=url`: custom queues whose jobs are POSTed to an HTTP endpoint.
    pub(super) fn http_targets(&self, env: &str) -> Result<Vec<super::HttpTarget>> {
        match self.text(env)? {
            None => Ok(Vec::new()),
            Some(raw) => super::targets::parse_list(&raw)
                .map_err(|_| self.invalid(env, super::targets::EXPECTED)),
        }
    }

    pub(super) fn rate_limit(&self, env: &str) -> Result<Option<RateLimit>> {
        let Some((value, _)) = self.raw(env) else {
            return Ok(None);
        };
        parse_rate(value).map(Some).ok_or_else(|| {
            self.invalid(
                env,
                "jobs per time window, such as 10/1s, 100/1m or 5/500ms",
            )
        })
    }

    pub(super) fn boolean(&self, env: &str) -> Result<bool> {
        let Some((value, _)) = self.raw(env) else {
            return Ok(false);
        };
        match value.to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "on" => Ok(true),
            "false" | "0" | "no" | "off" => Ok(false),
            _ => Err(self.invalid(env, "true or false (also 1/0, yes/no, on/off)")),
        }
    }

    /// The queue prefix. On a Redis Cluster it must carry a hash tag (`{bull}`, the default
    /// there) so that each queue's keys, which BullMQ's scripts use together, share a slot.
    pub(super) fn prefix(&self, cluster: bool) -> Result<String> {
        let user_set = matches!(self.raw("QUEUE_PREFIX"), Some((_, o)) if *o != Origin::Default);
        if cluster && !user_set {
            return Ok(format!(
                "{{{}}}",
                self.text("QUEUE_PREFIX")?.unwrap_or_default()
            ));
        }
        let prefix = self.text("QUEUE_PREFIX")?.unwrap_or_default();
        let ok = !prefix.is_empty()
            && prefix.len() <= 64
            && !prefix.contains(':')
            && prefix.chars().all(|c| c.is_ascii_graphic());
        if !ok {
            return Err(self.invalid(
                "QUEUE_PREFIX",
                "1 to 64 visible ASCII characters without `:` (BullMQ adds the `:` itself)",
            ));
        }
        if cluster && crate::keys::hash_tag(&prefix).is_none() {
            return Err(self.invalid(
                "QUEUE_PREFIX",
                "a hash-tagged prefix such as `{bull}` on a Redis Cluster (REDIS_CLUSTER_NODES): \
                 each queue's keys must share one slot",
            ));
        }
        Ok(prefix)
    }

    pub(super) fn log_filter(&self) -> Result<String> {
        let filter = self.text("ANTRIAN_LOG")?.unwrap_or_else(|| "info".into());
        match tracing_subscriber::EnvFilter::try_new(&filter) {
            Ok(_) => Ok(filter),
            Err(_) => Err(self.invalid(
                "ANTRIAN_LOG",
                "a tracing filter such as `info`, `debug` or `antrian_core=debug,info`",
            )),
        }
    }

    /// External mode when any of REDIS_URL, REDIS_HOST, REDIS_PORT, REDIS_PASSWORD is set by
    /// the user (a default does not count); embedded otherwise.
    pub(super) fn external_redis(&self) -> Result<Option<ExternalRedis>> {
        let user_set = |env: &str| matches!(self.raw(env), Some((_, o)) if *o != Origin::Default);
        if let Some((nodes, _)) = self.raw("REDIS_CLUSTER_NODES") {
            return self.cluster(nodes).map(Some);
        }
        if let Some((url, _)) = self.raw("REDIS_URL") {
            return self.redis_url(url).map(Some);
        }
        if !super::REDIS_VARS.iter().any(|e| user_set(e)) {
            return Ok(None);
        }
        let host = self
            .text("REDIS_HOST")?
            .unwrap_or_else(|| "localhost".into());
        if host.contains(['/', '@', ' ']) {
            return Err(self.invalid(
                "REDIS_HOST",
                "a host name or IP address (use REDIS_URL for a full URL)",
            ));
        }
        let opts = bullmq::options::RedisConnectionOptions {
            host: Some(host),
            port: Some(self.number("REDIS_PORT", 1, 65535, "a port from 1 to 65535")?),
            password: self.text("REDIS_PASSWORD")?,
            db: Some(self.number("REDIS_DB", 0, 255, "a database number from 0 to 255")?),
            ..Default::default()
        };
        Ok(Some(ExternalRedis {
            url: opts.effective_url(),
            cluster_nodes: Vec::new(),
        }))
    }

    /// `REDIS_CLUSTER_NODES`: seed nodes as `host:port` or `redis://`/`rediss://` URLs,
    /// comma-separated; REDIS_PASSWORD applies to those that carry none.
    fn cluster(&self, raw: &str) -> Result<ExternalRedis> {
        const VAR: &str = "REDIS_CLUSTER_NODES";
        let expected = "comma-separated cluster nodes such as 10.0.0.1:7000,10.0.0.2:7000 \
                        (or redis:// / rediss:// URLs)";
        if self.raw("REDIS_URL").is_some() {
            return Err(self.invalid(
                VAR,
                "either REDIS_CLUSTER_NODES or REDIS_URL, not both: unset REDIS_URL for a cluster",
            ));
        }
        if self.number::<u8>("REDIS_DB", 0, 255, "a database number from 0 to 255")? != 0 {
            return Err(self.invalid(
                "REDIS_DB",
                "0 on a Redis Cluster (REDIS_CLUSTER_NODES): a cluster has only database 0",
            ));
        }
        let password = self.text("REDIS_PASSWORD")?.filter(|p| !p.is_empty());
        let mut nodes = Vec::new();
        for item in raw.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let text = if item.contains("://") {
                item.to_string()
            } else {
                format!("redis://{item}")
            };
            let mut url = url::Url::parse(&text).map_err(|_| self.invalid(VAR, expected))?;
            let fine = matches!(url.scheme(), "redis" | "rediss")
                && url.host_str().is_some_and(|h| !h.is_empty())
                && url.port().is_some()
                && url
                    .path()
                    .trim_matches('/')
                    .parse::<u8>()
                    .map_or(url.path().trim_matches('/').is_empty(), |db| db == 0);
            if !fine {
                return Err(self.invalid(VAR, expected));
            }
            url.set_path("");
            if let (Some(pw), None) = (&password, url.password()) {
                // Cannot fail: a redis:// URL with a host can carry a password.
                let _ = url.set_password(Some(pw));
            }
            nodes.push(String::from(url).trim_end_matches('/').to_string());
        }
        if nodes.is_empty() {
            return Err(self.invalid(VAR, expected));
        }
        Ok(ExternalRedis {
            url: String::new(),
            cluster_nodes: nodes,
        })
    }

    pub(super) fn redis_url(&self, raw: &str) -> Result<ExternalRedis> {
        let expected = "a URL such as redis://host:6379, rediss://user:password@host:6380/0 or unix:///run/redis.sock";
        let mut url = url::Url::parse(raw).map_err(|_| self.invalid("REDIS_URL", expected))?;
        match url.scheme() {
            "redis" | "rediss" if url.host_str().is_some_and(|h| !h.is_empty()) => {}
            "unix" | "redis+unix" => {}
            _ => return Err(self.invalid("REDIS_URL", expected)),
        }
        let path = url.path().trim_matches('/').to_string();
        if path.is_empty() && url.scheme().starts_with("redis") {
            let db: u8 = self.number("REDIS_DB", 0, 255, "a database number from 0 to 255")?;
            if db != 0 {
                url.set_path(&format!("/{db}"));
            }
        } else if url.scheme().starts_with("redis") && path.parse::<u8>().is_err() {
            return Err(self.invalid(
                "REDIS_URL",
                "a database number from 0 to 255 after the last `/`",
            ));
        }
        Ok(ExternalRedis {
            url: url.into(),
            cluster_nodes: Vec::new(),
        })
    }
}
