//! Per-site outcome counters kept in Redis for the UI: successes, blocks (403, 429) and
//! errors by status, across every node.

use std::collections::BTreeMap;

use antrian_core::keys;
use bullmq::redis_connection::AnyConnection;
use serde::Serialize;

/// What happened to one request, as counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// A 2xx answer.
    Success,
    /// An HTTP status other than 2xx.
    Status(u16),
    /// No answer in time.
    Timeout,
    /// Connection refused, reset, DNS, TLS.
    Network,
    /// Too many redirects.
    RedirectLoop,
    /// The body was over the size limit.
    TooLarge,
}

impl Outcome {
    /// The counter's field name.
    pub fn field(self) -> String {
        match self {
            Outcome::Success => "success".into(),
            Outcome::Status(s @ (403 | 429)) => format!("blocked_{s}"),
            Outcome::Status(s) => format!("status_{s}"),
            Outcome::Timeout => "timeout".into(),
            Outcome::Network => "network_error".into(),
            Outcome::RedirectLoop => "redirect_loop".into(),
            Outcome::TooLarge => "too_large".into(),
        }
    }
}

/// One site's counters.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
#[ts(export, export_to = "../../../ui/src/api/generated/")]
pub struct DomainStats {
    /// The site's host.
    pub host: String,
    /// Counter name (`success`, `status_500`, `blocked_429`, `timeout`…) → count.
    #[ts(type = "Record<string, number>")]
    pub counts: BTreeMap<String, u64>,
}

impl DomainStats {
    /// Requests answered 2xx.
    pub fn successes(&self) -> u64 {
        self.counts.get("success").copied().unwrap_or(0)
    }

    /// Requests the site blocked (403, 429).
    pub fn blocked(&self) -> u64 {
        self.counts
            .iter()
            .filter(|(k, _)| k.starts_with("blocked_"))
            .map(|(_, n)| n)
            .sum()
    }

    /// Every other outcome (statuses, timeouts, network errors…) with its count.
    pub fn errors(&self) -> impl Iterator<Item = (&str, u64)> {
        self.counts
            .iter()
            .filter(|(k, _)| *k != "success" && !k.starts_with("blocked_"))
            .map(|(k, n)| (k.as_str(), *n))
    }
}

/// Counts one outcome for `host`. Best effort: a lost count never fails a job.
pub async fn record(redis: &AnyConnection, host: &str, outcome: Outcome) {
    let mut redis = redis.clone();
    let result: redis::RedisResult<()> = redis::pipe()
        .sadd(keys::scrape_domains(), host)
        .ignore()
        .hincr(keys::scrape_domain_stats(host), outcome.field(), 1)
        .ignore()
        .query_async(&mut redis)
        .await;
    if let Err(e) = result {
        tracing::debug!(host, error = %e, "could not count a scrape outcome");
    }
}

/// Every site's counters, by host.
pub async fn domain_stats(redis: &AnyConnection) -> redis::RedisResult<Vec<DomainStats>> {
    let mut redis = redis.clone();
    let mut hosts: Vec<String> = redis::cmd("SMEMBERS")
        .arg(keys::scrape_domains())
        .query_async(&mut redis)
        .await?;
    hosts.sort();
    let mut out = Vec::with_capacity(hosts.len());
    for host in hosts {
        let counts: BTreeMap<String, u64> = redis::cmd("HGETALL")
            .arg(keys::scrape_domain_stats(&host))
            .query_async(&mut redis)
            .await?;
        out.push(DomainStats { host, counts });
    }
    Ok(out)
}
