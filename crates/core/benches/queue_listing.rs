//! A queue tab with 100,000 jobs: what the UI asks for when it shows one. 100,000 waiting
//! product-scraping jobs (~200 bytes of data each) in one queue of a bench-owned
//! redis-server; then, 200 times each, with p50/p99: the queue's counts, the first, a
//! middle and the last page of 50 newest first, the first page oldest first, and a filtered
//! page (a data field that 1 job in 10 matches, and one that none does, so the search reads
//! its whole 10,000-job budget). Every call reads one page, never the queue; the figures
//! show that a tab's cost does not grow with the queue. See bench/README.md.

use std::time::{Duration, Instant};

use antrian_core::connection::Connection;
use antrian_core::queue::{BulkJobInput, JobDefaults, JobFilter, JobState, QueueManager};
use antrian_core::CancellationToken;
use antrian_testkit::TestRedis;

const JOBS: usize = 100_000;
const PAGE: u32 = 50;
const SAMPLES: usize = 200;
const QUEUE: &str = "scraping-queue";

/// One line of the report, on stderr like the other benches' (bench/run.sh reads both).
fn say(line: &str) {
    std::io::Write::write_all(&mut std::io::stderr(), format!("{line}\n").as_bytes())
        .expect("report");
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    #[allow(
        clippy::cast_precision_loss,
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss
    )]
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

async fn time<F, Fut, T>(label: &str, mut call: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = T>,
{
    for _ in 0..10 {
        call().await;
    }
    let mut samples: Vec<Duration> = (0..SAMPLES).map(|_| Duration::ZERO).collect();
    for s in &mut samples {
        let started = Instant::now();
        call().await;
        *s = started.elapsed();
    }
    samples.sort();
    say(&format!(
        "{label:<44} p50 {:>7.2} ms   p99 {:>7.2} ms",
        percentile(&samples, 0.5),
        percentile(&samples, 0.99)
    ));
}

fn main() {
    let rt = tokio::runtime::Runtime::new().expect("tokio");
    rt.block_on(async {
        let redis = TestRedis::start();
        let conn = Connection::open(&redis.url(), "bench", &CancellationToken::new(), |_| {})
            .await
            .expect("connect");
        let m = QueueManager::new(conn, "bull", JobDefaults::default(), 512 * 1024)
            .await
            .expect("queues");
        let filled = Instant::now();
        for chunk in 0..JOBS / 1000 {
            let jobs = (0..1000)
                .map(|i| {
                    let n = chunk * 1000 + i;
                    BulkJobInput {
                        name: "product-scraping".into(),
                        data: serde_json::json!({
                            "url": format!("https://shop-{}.example/product/{n}", n % 10),
                            "accountId": format!("user{}", n % 100),
                            "options": {"useProxy": n % 2 == 0},
                            "pad": "x".repeat(80),
                        }),
                        priority: None,
                        opts: antrian_core::queue::JobOptionsInput::default(),
                    }
                })
                .collect();
            m.add_bulk_jobs(QUEUE, jobs).await.expect("fill");
        }
        say(&format!(
            "{JOBS} waiting jobs added in {:.1} s; {SAMPLES} samples each, after 10 warm-up calls",
            filled.elapsed().as_secs_f64()
        ));
        let pages = u32::try_from(JOBS).expect("fits") / PAGE;
        let none = JobFilter::default();
        let page = |n: u32, oldest: bool| {
            let m = &m;
            let none = &none;
            move || async move {
                let p = m
                    .find_jobs(QUEUE, JobState::Waiting, none, n, PAGE, oldest)
                    .await
                    .expect("page");
                assert_eq!(p.jobs.len(), PAGE as usize);
            }
        };
        time("queue counts (get_queue_stats)", || async {
            m.get_queue_stats(QUEUE).await.expect("stats");
        })
        .await;
        time("page 1 of 50, newest first", page(1, false)).await;
        time(
            &format!("page {} of 50 (middle)", pages / 2),
            page(pages / 2, false),
        )
        .await;
        time(&format!("page {pages} of 50 (last)"), page(pages, false)).await;
        time("page 1 of 50, oldest first", page(1, true)).await;
        // Filtered pages run the search script chunk by chunk: how long Redis serves nobody
        // else is one call's time, read from Redis' own command statistics.
        let client = redis::Client::open(redis.url()).expect("url");
        let mut stats = client
            .get_multiplexed_async_connection()
            .await
            .expect("connect");
        let _: () = redis::cmd("CONFIG")
            .arg("RESETSTAT")
            .query_async(&mut stats)
            .await
            .expect("reset");
        let shop = JobFilter {
            field: Some("url".into()),
            text: Some("shop-3.".into()),
            ..JobFilter::default()
        };
        time("filtered page: url contains shop-3. (1 in 10)", || async {
            let p = m
                .find_jobs(QUEUE, JobState::Waiting, &shop, 1, PAGE, false)
                .await
                .expect("filtered");
            assert_eq!(p.jobs.len(), PAGE as usize);
        })
        .await;
        let nothing = JobFilter {
            text: Some("no-such-text".into()),
            ..JobFilter::default()
        };
        time("filtered page: no match (10,000 jobs read)", || async {
            let p = m
                .find_jobs(QUEUE, JobState::Waiting, &nothing, 1, PAGE, false)
                .await
                .expect("filtered");
            assert_eq!(
                p.search.map(|s| (s.scanned, s.complete)),
                Some((10_000, false))
            );
        })
        .await;
        let info: String = redis::cmd("INFO")
            .arg("commandstats")
            .query_async(&mut stats)
            .await
            .expect("info");
        for line in info.lines().filter(|l| l.starts_with("cmdstat_evalsha:")) {
            say(&format!(
                "search script calls (Redis serves nobody else during each): {line}"
            ));
        }
    });
}
