//! Per-site rate limit and concurrency, shared by every worker on every node through Redis.
//!
//! - **Concurrency**: a sorted set of leases per site scored by expiry. A request takes a
//!   lease when fewer than the limit are live; a crashed worker's lease expires after the
//!   request timeout, so a slot is never lost for good.
//! - **Rate**: the next free start time per site, on Redis' clock. Each request reserves
//!   the next slot (`max(now, next)`) and moves it on by `window / max`, then waits for its
//!   slot. Starts are thus spaced evenly: any window of the configured length holds at most
//!   `max` starts, across all nodes, and a burst queues up instead of being refused.
//!
//! Both are Lua scripts, so each step is atomic. Rejected alternative: BullMQ's own
//! limiter is per queue, not per site — one slow site would throttle every other site.

use std::time::Duration;

use antrian_core::config::{DomainLimits, ScrapeConfig};
use antrian_core::keys;
use antrian_core::worker::{CancelToken, JobError};
use bullmq::redis_connection::AnyConnection;

const TAKE_LEASE: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[3])
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]) * 2)
  return 1
end
return 0
";

const RESERVE_START: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local nxt = tonumber(redis.call('GET', KEYS[1]) or '0')
local at = math.max(now, nxt)
local after = at + tonumber(ARGV[1])
redis.call('SET', KEYS[1], string.format('%.0f', after), 'PX', math.floor((after - now) / 1000) + 1000)
return math.floor(at - now)
";

const RENEW_LEASE: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
return redis.call('ZADD', KEYS[1], 'XX', now + tonumber(ARGV[1]), ARGV[2])
";

/// How often a request waiting for a site's concurrency slot asks again.
const LEASE_POLL: Duration = Duration::from_millis(25);

/// The shared limiter.
#[derive(Clone)]
pub struct Politeness {
    redis: AnyConnection,
    take_lease: redis::Script,
    reserve_start: redis::Script,
    renew_lease: redis::Script,
    config: std::sync::Arc<ScrapeConfig>,
}

impl std::fmt::Debug for Politeness {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Politeness").finish_non_exhaustive()
    }
}

/// A request's place at a site; give it back with [`Politeness::release`].
#[derive(Debug)]
pub struct Permit {
    host: String,
    lease: Option<String>,
}

impl Politeness {
    /// A limiter over `redis` with the limits of `config`.
    pub fn new(redis: AnyConnection, config: std::sync::Arc<ScrapeConfig>) -> Self {
        Self {
            redis,
            take_lease: redis::Script::new(TAKE_LEASE),
            reserve_start: redis::Script::new(RESERVE_START),
            renew_lease: redis::Script::new(RENEW_LEASE),
            config,
        }
    }

    /// Waits until a request to `host` may start: a concurrency slot, then a rate slot.
    /// Returns early with a retryable error when the job is cancelled or Redis fails.
    pub async fn acquire(&self, host: &str, cancel: &CancelToken) -> Result<Permit, JobError> {
        let limits: DomainLimits = self.config.limits_for(host);
        let mut permit = Permit {
            host: host.to_string(),
            lease: None,
        };
        let mut redis = self.redis.clone();
        let lease_ms = self.config.timeout_ms + 5_000;
        if limits.concurrency > 0 {
            let lease = format!("{:016x}", rand::random::<u64>());
            loop {
                let got: i64 = self
                    .take_lease
                    .key(keys::scrape_domain_slots(host))
                    .arg(limits.concurrency)
                    .arg(lease_ms)
                    .arg(&lease)
                    .invoke_async(&mut redis)
                    .await
                    .map_err(redis_error)?;
                if got == 1 {
                    permit.lease = Some(lease);
                    break;
                }
                tokio::select! {
                    () = tokio::time::sleep(LEASE_POLL) => {}
                    () = cancel.cancelled() => return Err(JobError::retry("cancelled while waiting for a request slot")),
                }
            }
        }
        if let Some(rate) = limits.rate_limit {
            let spacing_us = (rate.per_ms * 1000).div_ceil(rate.max.max(1));
            let wait_us: i64 = self
                .reserve_start
                .key(keys::scrape_domain_next(host))
                .arg(spacing_us)
                .invoke_async(&mut redis)
                .await
                .map_err(redis_error)?;
            if wait_us > 0 {
                let wait = Duration::from_micros(wait_us.unsigned_abs());
                tokio::select! {
                    () = tokio::time::sleep(wait) => {}
                    () = cancel.cancelled() => {
                        self.release(permit).await;
                        return Err(JobError::retry("cancelled while waiting for the site's rate limit"));
                    }
                }
                // The wait may have been long: renew the lease so it cannot lapse mid-request.
                if let Some(lease) = &permit.lease {
                    let _: redis::RedisResult<i64> = self
                        .renew_lease
                        .key(keys::scrape_domain_slots(host))
                        .arg(lease_ms)
                        .arg(lease)
                        .invoke_async(&mut redis)
                        .await;
                }
            }
        }
        Ok(permit)
    }

    /// Gives a site slot back. Best effort: an unreturned lease expires on its own.
    pub async fn release(&self, permit: Permit) {
        if let Some(lease) = permit.lease {
            let mut redis = self.redis.clone();
            let _: redis::RedisResult<i64> = redis::cmd("ZREM")
                .arg(keys::scrape_domain_slots(&permit.host))
                .arg(lease)
                .query_async(&mut redis)
                .await;
        }
    }
}

fn redis_error(e: redis::RedisError) -> JobError {
    JobError::retry(format!("Redis unavailable for the per-site limits: {e}"))
}
