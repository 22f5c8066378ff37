//! Embedded Redis time-to-ready: from `EmbeddedRedis::start` until the server answers PING
//! with its password, on a fresh data dir (first run: password and config written) and on
//! an existing one (every later start, AOF loaded). `cargo bench -p antrian-core --bench
//! embedded_ready`; see bench/README.md.

use std::time::{Duration, Instant};

use antrian_core::embedded::{EmbeddedOptions, EmbeddedRedis};

const RUNS: usize = 20;

fn summary(name: &str, mut samples: Vec<Duration>) -> String {
    samples.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let pick = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
    format!(
        "{name}: n={} min={:.1} ms median={:.1} ms p95={:.1} ms max={:.1} ms",
        samples.len(),
        ms(samples[0]),
        ms(pick(0.5)),
        ms(pick(0.95)),
        ms(samples[samples.len() - 1]),
    )
}

fn main() {
    let rt = tokio::runtime::Runtime::new().expect("tokio runtime");
    let mut fresh = Vec::new();
    let mut existing = Vec::new();
    rt.block_on(async {
        for _ in 0..RUNS {
            let dir = tempfile::tempdir().expect("tempdir");
            let opts = EmbeddedOptions {
                dir: dir.path().join("redis"),
                port: 0,
                binary: "redis-server".into(),
            };
            let started = Instant::now();
            let redis = EmbeddedRedis::start(&opts).await.expect("start");
            fresh.push(started.elapsed());
            redis.shutdown().await;

            let started = Instant::now();
            let redis = EmbeddedRedis::start(&opts).await.expect("restart");
            existing.push(started.elapsed());
            redis.shutdown().await;
        }
    });
    let report = format!(
        "{}\n{}\n",
        summary("embedded redis ready, fresh data dir", fresh),
        summary("embedded redis ready, existing data dir", existing)
    );
    std::io::Write::write_all(&mut std::io::stderr(), report.as_bytes()).expect("report");
}
