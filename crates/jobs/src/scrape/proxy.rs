//! The proxy pool for jobs with `options.useProxy`: round-robin over the configured proxies,
//! skipping one that failed `SCRAPE_PROXY_MAX_FAILURES` times in a row until its bench time
//! is over. Per process: a proxy that fails here may work from another node's network.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// One proxy and its recent record.
struct Entry<C> {
    /// The client that goes through this proxy.
    client: C,
    /// The proxy's address without credentials, for messages.
    label: String,
    /// Failures in a row.
    failures: u32,
    /// Skipped until then.
    benched_until: Option<Instant>,
}

/// The pool, over clients of type `C` (reqwest's; tests use plain values).
pub struct ProxyPool<C = reqwest::Client> {
    entries: Mutex<Vec<Entry<C>>>,
    next: AtomicUsize,
    max_failures: u32,
    bench: Duration,
}

impl<C> std::fmt::Debug for ProxyPool<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProxyPool").finish_non_exhaustive()
    }
}

/// The proxy a request went through.
#[derive(Debug, Clone)]
pub struct ProxyChoice<C = reqwest::Client> {
    /// Index in the pool.
    pub index: usize,
    /// Address without credentials.
    pub label: String,
    /// Its client.
    pub client: C,
}

impl<C: Clone> ProxyPool<C> {
    /// A pool of `(client, label)` pairs.
    pub fn new(proxies: Vec<(C, String)>, max_failures: u32, bench: Duration) -> Self {
        Self {
            entries: Mutex::new(
                proxies
                    .into_iter()
                    .map(|(client, label)| Entry {
                        client,
                        label,
                        failures: 0,
                        benched_until: None,
                    })
                    .collect(),
            ),
            next: AtomicUsize::new(0),
            max_failures,
            bench,
        }
    }

    /// Whether any proxy is configured.
    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    /// The next proxy in rotation that is not benched, or when all are: the one whose
    /// bench ends first is *not* used — the caller retries later, with the time to wait.
    pub fn pick(&self, now: Instant) -> Result<ProxyChoice<C>, Duration> {
        let entries = self.lock();
        let n = entries.len();
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        for offset in 0..n {
            let index = (start + offset) % n;
            let e = &entries[index];
            if e.benched_until.is_none_or(|until| until <= now) {
                return Ok(ProxyChoice {
                    index,
                    label: e.label.clone(),
                    client: e.client.clone(),
                });
            }
        }
        Err(entries
            .iter()
            .filter_map(|e| e.benched_until)
            .min()
            .map_or(Duration::ZERO, |until| until.saturating_duration_since(now)))
    }

    /// Records a request through `index` that got an answer from the site.
    pub fn succeeded(&self, index: usize) {
        if let Some(e) = self.lock().get_mut(index) {
            e.failures = 0;
            e.benched_until = None;
        }
    }

    /// Records a failure through `index`; returns true when this failure benched it.
    pub fn failed(&self, index: usize, now: Instant) -> bool {
        let mut entries = self.lock();
        let Some(e) = entries.get_mut(index) else {
            return false;
        };
        e.failures += 1;
        if e.failures >= self.max_failures {
            e.failures = 0;
            e.benched_until = Some(now + self.bench);
            tracing::warn!(proxy = %e.label, bench = ?self.bench, "proxy benched after repeated failures");
            return true;
        }
        false
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Entry<C>>> {
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool(n: usize) -> ProxyPool<usize> {
        ProxyPool::new(
            (0..n).map(|i| (i, format!("p{i}"))).collect(),
            2,
            Duration::from_secs(60),
        )
    }

    #[test]
    fn rotates_and_benches_a_failing_proxy_until_its_time_is_up() {
        let p = pool(3);
        let now = Instant::now();
        let picks: Vec<usize> = (0..3)
            .map(|_| p.pick(now).map(|c| c.index).unwrap_or(99))
            .collect();
        assert_eq!(picks, vec![0, 1, 2]);
        assert!(!p.failed(1, now));
        assert!(p.failed(1, now), "second failure in a row benches it");
        let picks: Vec<usize> = (0..4)
            .map(|_| p.pick(now).map(|c| c.index).unwrap_or(99))
            .collect();
        assert!(!picks.contains(&1), "benched proxy skipped: {picks:?}");
        let later = now + Duration::from_secs(61);
        let picks: Vec<usize> = (0..3)
            .map(|_| p.pick(later).map(|c| c.index).unwrap_or(99))
            .collect();
        assert!(picks.contains(&1), "back after its bench: {picks:?}");
    }

    #[test]
    fn a_success_resets_the_count_and_all_benched_says_how_long() {
        let p = pool(1);
        let now = Instant::now();
        assert!(!p.failed(0, now));
        p.succeeded(0);
        assert!(!p.failed(0, now), "count restarted after a success");
        assert!(p.failed(0, now));
        let wait = p.pick(now).err();
        assert_eq!(wait, Some(Duration::from_secs(60)));
    }
}
