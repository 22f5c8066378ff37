//! The one way Antrian connects to Redis.
//!
//! [`Connection::open`] probes the server first so that mistakes a retry cannot fix fail at
//! once with a clear message (wrong password, something that is not Redis on that port),
//! while an unreachable server is retried with capped backoff — logging one line when it
//! goes missing and one when it comes, not one per try. The connection kept afterwards is
//! `bullmq-official`'s auto-reconnecting one, so queues (BullMQ) and Antrian's own keys share
//! the same client options, TLS and Cluster support included.
//!
//! [`status`]: the connection's state as the Overview shows it, and the monitor that keeps
//! it current.

pub mod status;

use std::time::Duration;

use redis::ErrorKind;
use tokio_util::sync::CancellationToken;

use crate::error::{Error, Result};

/// Longest wait between two connection attempts while Redis is unreachable.
const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// Connect and response timeout of the probe.
const PROBE_TIMEOUT: Duration = Duration::from_secs(3);

/// A live connection to Redis (standalone or Cluster), cheap to clone.
#[derive(Clone)]
pub struct Connection {
    inner: bullmq::redis_connection::RedisConnection,
    address: String,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("address", &self.address)
            .finish_non_exhaustive()
    }
}

/// What one probe of the server found.
enum Probe {
    Ready,
    /// Worth retrying: refused, timed out, DNS, reset.
    Unreachable(redis::RedisError),
}

impl Connection {
    /// Connects to `url`, retrying while the server is unreachable until `cancel` fires.
    /// `on_retry` is told each failed attempt (the UI shows it); `address` is the URL
    /// without credentials, for messages.
    pub async fn open(
        url: &str,
        address: &str,
        cancel: &CancellationToken,
        on_retry: impl FnMut(&Error),
    ) -> Result<Self> {
        let opts = bullmq::options::RedisConnectionOptions {
            url: url.to_string(),
            ..Default::default()
        };
        Self::open_with(&opts, address, cancel, on_retry).await
    }

    /// Connects once, without retrying: the error says why it cannot (unreachable, wrong
    /// password, not Redis, a cluster not serving every slot).
    pub async fn probe_once(
        opts: &bullmq::options::RedisConnectionOptions,
        address: &str,
    ) -> Result<Self> {
        let cancelled = CancellationToken::new();
        cancelled.cancel();
        Self::open_with(opts, address, &cancelled, |_| {}).await
    }

    /// [`Connection::open`] for a server or, when `opts.cluster_nodes` is set, a Redis
    /// Cluster (probed through its seed nodes).
    pub async fn open_with(
        opts: &bullmq::options::RedisConnectionOptions,
        address: &str,
        cancel: &CancellationToken,
        mut on_retry: impl FnMut(&Error),
    ) -> Result<Self> {
        let unusable = |e| Error::RedisUnavailable {
            address: address.to_string(),
            source: e,
        };
        let client = if opts.is_cluster() {
            let cluster = redis::cluster::ClusterClientBuilder::new(opts.cluster_nodes.clone())
                .connection_timeout(PROBE_TIMEOUT)
                .response_timeout(PROBE_TIMEOUT)
                .retries(0)
                .build()
                .map_err(unusable)?;
            ProbeClient::Cluster(cluster)
        } else {
            ProbeClient::Single(redis::Client::open(opts.url.as_str()).map_err(unusable)?)
        };
        let mut backoff = Duration::from_millis(100);
        let mut logged = false;
        loop {
            match probe(&client, address).await? {
                Probe::Ready => break,
                Probe::Unreachable(source) => {
                    let err = Error::RedisUnavailable {
                        address: address.to_string(),
                        source,
                    };
                    if cancel.is_cancelled() {
                        return Err(err);
                    }
                    if !logged {
                        tracing::warn!("{err}; retrying until it answers");
                        logged = true;
                    }
                    on_retry(&err);
                    tokio::select! {
                        () = cancel.cancelled() => return Err(err),
                        () = tokio::time::sleep(backoff) => {}
                    }
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                }
            }
        }
        let inner = bullmq::redis_connection::RedisConnection::new_managed_only(opts).await?;
        tracing::info!(%address, "connected to Redis");
        Ok(Self {
            inner,
            address: address.to_string(),
        })
    }

    /// The server's address without credentials.
    pub fn address(&self) -> &str {
        &self.address
    }

    /// The options with credentials, for components that open their own connections
    /// (BullMQ workers need a blocking one each).
    pub(crate) fn options(&self) -> &bullmq::options::RedisConnectionOptions {
        self.inner.options()
    }

    /// Runs `SCAN … MATCH pattern` to the end on the server, or on every primary of a
    /// cluster; stops once `limit` keys are found.
    pub async fn scan_match(&self, pattern: &str, limit: usize) -> Result<Vec<String>> {
        let mut found = Vec::new();
        for mut node in self.primaries().await? {
            found.extend(scan_node(&mut node, pattern, limit - found.len()).await?);
            if found.len() >= limit {
                break;
            }
        }
        Ok(found)
    }

    /// Runs a command that concerns a server rather than a key (`INFO`, `CLIENT LIST`) on
    /// the server, or on every primary of a cluster; one reply per node.
    pub async fn on_every_primary<T: redis::FromRedisValue>(
        &self,
        cmd: &redis::Cmd,
    ) -> Result<Vec<T>> {
        let mut replies = Vec::new();
        for mut node in self.primaries().await? {
            replies.push(parse(node.send(cmd).await?)?);
        }
        Ok(replies)
    }

    /// The server, or each primary of the cluster (from `CLUSTER SLOTS`).
    async fn primaries(&self) -> Result<Vec<NodeRoute>> {
        use bullmq::redis_connection::AnyConnection;
        use redis::cluster_routing::{RoutingInfo, SingleNodeRoutingInfo};
        let cluster = match self.redis() {
            AnyConnection::Cluster(cluster) => cluster,
            single @ AnyConnection::Single(_) => return Ok(vec![NodeRoute::Single(single)]),
        };
        let slots: Vec<Vec<redis::Value>> = parse(
            cluster
                .clone()
                .route_command(
                    redis::cmd("CLUSTER").arg("SLOTS").clone(),
                    RoutingInfo::SingleNode(SingleNodeRoutingInfo::RandomPrimary),
                )
                .await?,
        )?;
        let mut primaries = std::collections::BTreeSet::new();
        for range in slots {
            // Each range: start, end, then the primary as [host, port, id, …].
            let Some(primary) = range.get(2) else {
                continue;
            };
            let primary: Vec<redis::Value> = parse(primary.clone())?;
            if let (Some(host), Some(port)) = (primary.first(), primary.get(1)) {
                primaries.insert((parse::<String>(host.clone())?, parse::<u16>(port.clone())?));
            }
        }
        Ok(primaries
            .into_iter()
            .map(|(host, port)| NodeRoute::Cluster {
                conn: cluster.clone(),
                route: RoutingInfo::SingleNode(SingleNodeRoutingInfo::ByAddress { host, port }),
            })
            .collect())
    }

    /// An auto-reconnecting connection for Antrian's own commands.
    pub fn redis(&self) -> bullmq::redis_connection::AnyConnection {
        self.inner.connection()
    }

    /// The BullMQ connection queues and workers are built on.
    pub fn bullmq(&self) -> &bullmq::redis_connection::RedisConnection {
        &self.inner
    }
}

fn parse<T: redis::FromRedisValue>(value: redis::Value) -> redis::RedisResult<T> {
    Ok(redis::from_redis_value(value)?)
}

/// Where a command about a server goes: the one server, or one node of a cluster.
enum NodeRoute {
    Single(bullmq::redis_connection::AnyConnection),
    Cluster {
        conn: redis::cluster_async::ClusterConnection,
        route: redis::cluster_routing::RoutingInfo,
    },
}

impl NodeRoute {
    async fn send(&mut self, cmd: &redis::Cmd) -> redis::RedisResult<redis::Value> {
        match self {
            Self::Single(conn) => cmd.query_async(conn).await,
            Self::Cluster { conn, route } => conn.route_command(cmd.clone(), route.clone()).await,
        }
    }
}

async fn scan_node(node: &mut NodeRoute, pattern: &str, limit: usize) -> Result<Vec<String>> {
    let mut cursor: u64 = 0;
    let mut found = Vec::new();
    loop {
        let reply = node
            .send(
                redis::cmd("SCAN")
                    .arg(cursor)
                    .arg("MATCH")
                    .arg(pattern)
                    .arg("COUNT")
                    .arg(1000),
            )
            .await?;
        let (next, keys): (u64, Vec<String>) = parse(reply)?;
        found.extend(keys);
        cursor = next;
        if cursor == 0 || found.len() >= limit {
            break;
        }
    }
    found.truncate(limit);
    Ok(found)
}

/// What a probe connects with.
#[expect(clippy::large_enum_variant)] // one per connection attempt, on the stack briefly
enum ProbeClient {
    Single(redis::Client),
    Cluster(redis::cluster::ClusterClient),
}

/// Opens a throwaway connection and PINGs; sorts failures into fatal and retryable.
async fn probe(client: &ProbeClient, address: &str) -> Result<Probe> {
    let result = match client {
        ProbeClient::Single(client) => {
            let config = redis::AsyncConnectionConfig::new()
                .set_connection_timeout(Some(PROBE_TIMEOUT))
                .set_response_timeout(Some(PROBE_TIMEOUT));
            match client
                .get_multiplexed_async_connection_with_config(&config)
                .await
            {
                Ok(mut conn) => match redis::cmd("PING").query_async::<String>(&mut conn).await {
                    Ok(_) if in_cluster_mode(&mut conn).await => {
                        return Err(cluster_node_named_alone(address));
                    }
                    other => other,
                },
                Err(e) => Err(e),
            }
        }
        ProbeClient::Cluster(client) => match client.get_async_connection().await {
            Ok(mut conn) => cluster_ready(&mut conn).await,
            Err(e) => Err(e),
        },
    };
    match result {
        Ok(_) => Ok(Probe::Ready),
        Err(e) => classify(e, address),
    }
}

/// Whether the server runs in cluster mode (`INFO cluster`); a server that will not say
/// (a proxy that hides `INFO`) is taken as not.
pub(crate) async fn in_cluster_mode(conn: &mut impl redis::aio::ConnectionLike) -> bool {
    redis::cmd("INFO")
        .arg("cluster")
        .query_async::<String>(conn)
        .await
        .is_ok_and(|info| info.lines().any(|l| l.trim() == "cluster_enabled:1"))
}

/// The error for one node of a Redis Cluster named as a server: its keys live on other
/// nodes too, which only a cluster client follows.
pub(crate) fn cluster_node_named_alone(address: &str) -> Error {
    Error::ClusterMismatch {
        address: address.to_string(),
        detail: "this Redis server is a node of a Redis Cluster; list the cluster's nodes in \
                 REDIS_CLUSTER_NODES (or as host:port,host:port in the desktop's connection \
                 settings) instead of REDIS_URL"
            .into(),
    }
}

/// A cluster answers and says its slots are all served (`cluster_state:ok`); a cluster
/// still forming, or one that lost a primary without a replica to promote, is retried.
async fn cluster_ready(
    conn: &mut redis::cluster_async::ClusterConnection,
) -> redis::RedisResult<String> {
    use redis::cluster_routing::{RoutingInfo, SingleNodeRoutingInfo};
    let info: String = redis::from_redis_value(
        conn.route_command(
            redis::cmd("CLUSTER").arg("INFO").clone(),
            RoutingInfo::SingleNode(SingleNodeRoutingInfo::RandomPrimary),
        )
        .await?,
    )?;
    if info.lines().any(|l| l.trim() == "cluster_state:ok") {
        Ok(info)
    } else {
        Err(redis::RedisError::from(std::io::Error::new(
            std::io::ErrorKind::NotConnected,
            "the cluster is not serving every slot (cluster_state is not ok)",
        )))
    }
}

fn classify(e: redis::RedisError, address: &str) -> Result<Probe> {
    let text = e.to_string();
    let auth = e.kind() == ErrorKind::AuthenticationFailed
        || [
            "WRONGPASS",
            "NOAUTH",
            "invalid password",
            "invalid username-password",
        ]
        .iter()
        .any(|m| text.contains(m));
    if auth {
        return Err(Error::RedisAuth {
            address: address.to_string(),
            detail: text,
        });
    }
    if text.contains("cluster support disabled") {
        return Err(Error::ClusterMismatch {
            address: address.to_string(),
            detail: "this Redis server does not run in cluster mode; name it with REDIS_URL \
                     (or REDIS_HOST/REDIS_PORT), not REDIS_CLUSTER_NODES"
                .into(),
        });
    }
    if matches!(e.kind(), ErrorKind::Parse | ErrorKind::UnexpectedReturnType) {
        return Err(Error::NotRedis {
            address: address.to_string(),
            detail: text,
        });
    }
    // A peer that accepts the connection and then closes it on our first command is not
    // Redis either (Redis answers, even if only with an error).
    if e.is_connection_dropped() && !e.is_connection_refusal() && !e.is_timeout() {
        return Err(Error::NotRedis {
            address: address.to_string(),
            detail: text,
        });
    }
    Ok(Probe::Unreachable(e))
}

/// `e` as the error a user reads: a wrong password, not Redis, or unreachable.
pub(crate) fn explain(e: redis::RedisError, address: &str) -> Error {
    match classify(e, address) {
        Err(err) => err,
        Ok(Probe::Unreachable(source)) => Error::RedisUnavailable {
            address: address.to_string(),
            source,
        },
        Ok(Probe::Ready) => Error::Corrupt(format!("{address}: an error that is not one")),
    }
}

#[cfg(test)]
mod tests;
