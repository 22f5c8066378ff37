//! The one way Antrian connects to Redis.
//!
//! [`Connection::open`] probes the server first so that mistakes a retry cannot fix fail at
//! once with a clear message (wrong password, something that is not Redis on that port),
//! while an unreachable server is retried with capped backoff — logging one line when it
//! goes missing and one when it comes, not one per try. The connection kept afterwards is
//! `bullmq-official`'s auto-reconnecting one, so queues (BullMQ) and Antrian's own keys share
//! the same client options, TLS and Cluster support included.

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
    /// With credentials: for the workers' own connections. Never shown.
    url: String,
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
        mut on_retry: impl FnMut(&Error),
    ) -> Result<Self> {
        let client = redis::Client::open(url).map_err(|e| Error::RedisUnavailable {
            address: address.to_string(),
            source: e,
        })?;
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
        let opts = bullmq::options::RedisConnectionOptions {
            url: url.to_string(),
            ..Default::default()
        };
        let inner = bullmq::redis_connection::RedisConnection::new_managed_only(&opts).await?;
        tracing::info!(%address, "connected to Redis");
        Ok(Self {
            inner,
            url: url.to_string(),
            address: address.to_string(),
        })
    }

    /// The server's address without credentials.
    pub fn address(&self) -> &str {
        &self.address
    }

    /// The URL with credentials, for components that open their own connections (BullMQ
    /// workers need a blocking one each).
    pub(crate) fn url(&self) -> &str {
        &self.url
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

/// Opens a throwaway connection and PINGs; sorts failures into fatal and retryable.
async fn probe(client: &redis::Client, address: &str) -> Result<Probe> {
    let config = redis::AsyncConnectionConfig::new()
        .set_connection_timeout(Some(PROBE_TIMEOUT))
        .set_response_timeout(Some(PROBE_TIMEOUT));
    let result = match client
        .get_multiplexed_async_connection_with_config(&config)
        .await
    {
        Ok(mut conn) => redis::cmd("PING").query_async::<String>(&mut conn).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(Probe::Ready),
        Err(e) => classify(e, address),
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
