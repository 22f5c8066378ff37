//! System health (the seed's `getHealthStatus` and `health:check`): the Redis connection
//! plus what the queues say, judged healthy, degraded or unhealthy with every reason spelled
//! out.

use serde::Serialize;
use ts_rs::TS;

use super::model::QueueStats;
use crate::connection::status::{ConnectionState, ConnectionStatus};

/// The verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
#[ts(export, export_to = "../../../ui/src/api/generated/")]
pub enum HealthLevel {
    /// Nothing to report.
    Healthy,
    /// Working, but something needs attention.
    Degraded,
    /// Not working.
    Unhealthy,
}

/// Health with its reasons.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
#[ts(export, export_to = "../../../ui/src/api/generated/")]
pub struct HealthStatus {
    /// The verdict: the worst of the reasons.
    pub status: HealthLevel,
    /// Why it is not healthy, one sentence each.
    pub reasons: Vec<String>,
    /// The Redis connection.
    pub redis: ConnectionStatus,
    /// Every queue's stats at the time of the check.
    pub queues: Vec<QueueStats>,
}

/// Thresholds that turn facts into reasons.
#[derive(Debug, Clone, Copy)]
pub struct HealthThresholds {
    /// A waiting job older than this degrades health, milliseconds.
    pub max_waiting_age_ms: u64,
    /// A PING slower than this degrades health, milliseconds.
    pub max_latency_ms: f64,
    /// Used memory above this share of maxmemory degrades health.
    pub memory_warn_ratio: f64,
    /// Connected clients above this share of maxclients degrade health.
    pub clients_warn_ratio: f64,
    /// A queue whose jobs failed at or above this share in the last minute degrades health
    /// (`QUEUE_HEALTH_MAX_FAILURE_RATE`)…
    pub max_failure_ratio: f64,
    /// …once at least this many finished in that minute.
    pub min_finished: u64,
}

impl Default for HealthThresholds {
    fn default() -> Self {
        Self {
            max_waiting_age_ms: 5 * 60 * 1000,
            max_latency_ms: 100.0,
            memory_warn_ratio: 0.9,
            clients_warn_ratio: 0.9,
            max_failure_ratio: 0.5,
            min_finished: 10,
        }
    }
}

/// Judges health from the connection and the queues' stats.
pub fn assess(
    redis: ConnectionStatus,
    queues: Vec<QueueStats>,
    t: &HealthThresholds,
) -> HealthStatus {
    let mut reasons: Vec<(HealthLevel, String)> = Vec::new();
    match redis.state {
        ConnectionState::Connected => {}
        other => reasons.push((
            HealthLevel::Unhealthy,
            format!(
                "Redis at {} is {}{}",
                redis.address,
                serde_json::to_value(other)
                    .ok()
                    .and_then(|v| v.as_str().map(String::from))
                    .unwrap_or_default(),
                redis
                    .error
                    .as_ref()
                    .map(|e| format!(": {}", e.message))
                    .unwrap_or_default()
            ),
        )),
    }
    if let Some(latency) = redis.latency_ms.filter(|l| *l > t.max_latency_ms) {
        reasons.push((
            HealthLevel::Degraded,
            format!("Redis answers slowly: PING took {latency:.0} ms"),
        ));
    }
    if let (Some(used), Some(max)) = (
        redis.used_memory_bytes,
        redis.max_memory_bytes.filter(|m| *m > 0),
    ) {
        let ratio = used as f64 / max as f64;
        if ratio > t.memory_warn_ratio {
            reasons.push((
                HealthLevel::Degraded,
                format!(
                    "Redis memory is {:.0}% of maxmemory ({used} of {max} bytes)",
                    ratio * 100.0
                ),
            ));
        }
    }
    if let Some(warning) = &redis.eviction_warning {
        reasons.push((HealthLevel::Degraded, warning.clone()));
    }
    if let (Some(connected), Some(max)) = (
        redis.connected_clients,
        redis.max_clients.filter(|m| *m > 0),
    ) {
        if connected as f64 > t.clients_warn_ratio * max as f64 {
            reasons.push((
                HealthLevel::Degraded,
                format!(
                    "Redis has {connected} clients of maxclients {max}: new clients (workers, dashboards, Node.js services) will soon be refused"
                ),
            ));
        }
    }
    for q in &queues {
        // Delayed jobs alone are not late yet: only waiting ones make the queue degraded.
        if q.waiting > 0 && q.lacks_worker() {
            reasons.push((
                HealthLevel::Degraded,
                format!(
                    "no worker is consuming {} ({} jobs waiting)",
                    q.name, q.waiting
                ),
            ));
        }
        let finished = q.completed_last_minute + q.failed_last_minute;
        let failing = finished >= t.min_finished.max(1)
            && q.failed_last_minute as f64 >= t.max_failure_ratio * finished as f64;
        if failing {
            reasons.push((
                HealthLevel::Degraded,
                format!(
                    "{} failed {} of {} jobs in the last minute ({:.0}%)",
                    q.name,
                    q.failed_last_minute,
                    finished,
                    100.0 * q.failed_last_minute as f64 / finished as f64
                ),
            ));
        }
        // A paused queue's jobs wait on purpose.
        if let Some(age) = q
            .oldest_waiting_ms
            .filter(|a| *a > t.max_waiting_age_ms && !q.is_paused)
        {
            reasons.push((
                HealthLevel::Degraded,
                format!(
                    "the oldest waiting job in {} has waited {} s",
                    q.name,
                    age / 1000
                ),
            ));
        }
    }
    HealthStatus {
        status: reasons
            .iter()
            .map(|(l, _)| *l)
            .max()
            .unwrap_or(HealthLevel::Healthy),
        reasons: reasons.into_iter().map(|(_, r)| r).collect(),
        redis,
        queues,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connection::status::RedisMode;

    fn connected() -> ConnectionStatus {
        let mut s = ConnectionStatus::connecting(RedisMode::External, "redis://r:6379");
        s.state = ConnectionState::Connected;
        s.latency_ms = Some(0.4);
        s.used_memory_bytes = Some(1000);
        s.max_memory_bytes = Some(0);
        s.maxmemory_policy = Some("noeviction".into());
        s
    }

    fn queue(name: &str) -> QueueStats {
        QueueStats {
            name: name.into(),
            waiting: 0,
            active: 0,
            delayed: 0,
            completed: 0,
            failed: 0,
            paused: 0,
            is_paused: false,
            workers: 1,
            oldest_waiting_ms: None,
            completed_last_minute: 0,
            failed_last_minute: 0,
            needs_worker: false,
        }
    }

    #[test]
    fn a_queue_lacks_a_worker_only_with_jobs_to_run_unpaused_and_none_connected() {
        let mut q = queue("q");
        q.workers = 0;
        assert!(!q.lacks_worker(), "nothing to run");
        q.delayed = 1;
        assert!(q.lacks_worker(), "delayed jobs need a worker too");
        q.is_paused = true;
        assert!(!q.lacks_worker(), "a paused queue waits on purpose");
        q.is_paused = false;
        q.workers = 1;
        assert!(!q.lacks_worker(), "a worker is connected");
    }

    #[test]
    fn all_good_is_healthy() {
        let h = assess(
            connected(),
            vec![queue("scraping-queue")],
            &HealthThresholds::default(),
        );
        assert_eq!(h.status, HealthLevel::Healthy);
        assert!(h.reasons.is_empty());
    }

    #[test]
    fn each_problem_is_a_reason_and_the_worst_wins() {
        let mut redis = connected();
        redis.latency_ms = Some(250.0);
        redis.max_memory_bytes = Some(1050);
        redis.eviction_warning = Some("maxmemory-policy is allkeys-lru: …".into());
        let mut idle = queue("scraping-queue");
        idle.waiting = 12;
        idle.workers = 0;
        idle.oldest_waiting_ms = Some(600_000);
        redis.connected_clients = Some(9_500);
        redis.max_clients = Some(10_000);
        let mut paused = queue("cleanup-queue");
        paused.waiting = 3;
        paused.workers = 0;
        paused.is_paused = true;
        paused.oldest_waiting_ms = Some(3_600_000);
        let mut failing = queue("notifications-queue");
        failing.failed_last_minute = 49;
        failing.completed_last_minute = 0;
        let mut few = queue("data-processing-queue");
        few.failed_last_minute = 3;
        let h = assess(
            redis,
            vec![idle, paused, failing, few],
            &HealthThresholds::default(),
        );
        assert_eq!(h.status, HealthLevel::Degraded);
        let text = h.reasons.join("\n");
        for expected in [
            "PING took 250 ms",
            "memory is 95% of maxmemory",
            "allkeys-lru",
            "no worker is consuming scraping-queue (12 jobs waiting)",
            "oldest waiting job in scraping-queue has waited 600 s",
            "9500 clients of maxclients 10000",
            "notifications-queue failed 49 of 49 jobs in the last minute (100%)",
        ] {
            assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
        }
        assert!(
            !text.contains("cleanup-queue"),
            "a paused queue needs no worker and its jobs wait on purpose: {text}"
        );
        assert!(
            !text.contains("data-processing-queue"),
            "3 failures are too few to judge: {text}"
        );
    }

    #[test]
    fn lost_redis_is_unhealthy() {
        let mut redis = connected();
        redis.state = ConnectionState::Disconnected;
        let h = assess(redis, vec![], &HealthThresholds::default());
        assert_eq!(h.status, HealthLevel::Unhealthy);
        assert!(h.reasons[0].contains("is disconnected"), "{:?}", h.reasons);
    }
}
