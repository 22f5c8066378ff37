//! Where Redis is: an external server (`REDIS_URL`, `REDIS_CLUSTER_NODES`, `REDIS_HOST`…)
//! or the embedded one, and how its address is shown without credentials.

use super::parser::Parser;
use crate::error::Result;

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
    pub(super) url: String,
    /// Seed node URLs of a Redis Cluster, passwords included; empty for one server.
    pub(super) cluster_nodes: Vec<String>,
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

impl RedisConfig {
    /// The `REDIS_*` settings and the embedded server's.
    pub(super) fn parse(p: &Parser<'_>) -> Result<Self> {
        let external = p.external_redis()?;
        Ok(Self {
            external,
            db: p.number("REDIS_DB", 0, 255, "a database number from 0 to 255")?,
            embedded_port: p.number(
                "ANTRIAN_EMBEDDED_REDIS_PORT",
                0,
                65535,
                "a port from 1 to 65535, or 0 for any free port",
            )?,
            redis_server: p.text("ANTRIAN_REDIS_SERVER")?.unwrap_or_default(),
        })
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
