//! This process's resident memory, for the memory ceiling (`QUEUE_MAX_MEMORY`): a job
//! handler that leaks cannot be stopped from inside the process (Rust cannot take memory
//! back from a running task), so a process past its ceiling drains and exits, and its
//! service manager starts a fresh one — what PM2's `max_memory_restart` and Celery's
//! `worker_max_memory_per_child` do.

use std::time::Duration;

/// Resident memory now, bytes (`VmRSS` of `/proc/self/status`); `None` where there is none.
pub fn resident_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kib = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))?
        .trim()
        .strip_suffix("kB")?
        .trim()
        .parse::<u64>()
        .ok()?;
    Some(kib * 1024)
}

/// Resolves with the resident size once it is over `limit` bytes, checked every `every`.
/// Where the size cannot be read it never resolves (and says so once).
pub async fn over_limit(limit: u64, every: Duration) -> u64 {
    if resident_bytes().is_none() {
        tracing::warn!(
            "this system does not report resident memory: QUEUE_MAX_MEMORY is not enforced"
        );
        return std::future::pending().await;
    }
    let mut tick = tokio::time::interval(every);
    loop {
        tick.tick().await;
        if let Some(rss) = resident_bytes().filter(|rss| *rss > limit) {
            return rss;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_resident_size_is_read_and_a_limit_below_it_trips_at_once() {
        let rss = resident_bytes().expect("Linux reports VmRSS");
        assert!(rss > 1 << 20, "{rss}");
        let over = tokio::time::timeout(
            Duration::from_secs(5),
            over_limit(1 << 20, Duration::from_millis(10)),
        )
        .await
        .expect("a 1 MiB limit trips at once");
        assert!(over > 1 << 20);
        let far = tokio::time::timeout(
            Duration::from_millis(200),
            over_limit(u64::MAX, Duration::from_millis(10)),
        )
        .await;
        assert!(far.is_err(), "an unreachable limit never trips");
    }
}
