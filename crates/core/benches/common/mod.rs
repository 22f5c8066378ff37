//! Helpers shared by the benchmarks that run against a bench-owned Redis.

/// The median of the samples.
pub fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

/// Empties the bench's Redis between runs (it is the bench's own server, never a user's):
/// `url`, or every node of a comma-separated cluster list (replicas follow their primary).
pub async fn flush(url: &str) {
    for node in url.split(',') {
        let client = redis::Client::open(node).expect("url");
        let mut conn = client
            .get_multiplexed_async_connection()
            .await
            .expect("connect");
        let role: Vec<redis::Value> = redis::cmd("ROLE")
            .query_async(&mut conn)
            .await
            .expect("ROLE");
        if role.first() == Some(&redis::Value::BulkString(b"slave".to_vec())) {
            continue;
        }
        let _: () = redis::cmd("FLUSHDB")
            .query_async(&mut conn)
            .await
            .expect("FLUSHDB");
    }
}

/// How the bench connects: `BENCH_REDIS_URL` is one server's URL, or a Redis Cluster's
/// node URLs, comma-separated (then queues use the prefix `{bull}`, as Antrian's do there).
#[allow(dead_code)] // each bench uses a part
pub fn connection_options(url: &str) -> (bullmq::options::RedisConnectionOptions, &'static str) {
    if url.contains(',') {
        (
            bullmq::options::RedisConnectionOptions {
                cluster_nodes: url.split(',').map(String::from).collect(),
                ..Default::default()
            },
            "{bull}",
        )
    } else {
        (
            bullmq::options::RedisConnectionOptions {
                url: url.to_string(),
                ..Default::default()
            },
            "bull",
        )
    }
}

/// The Redis URL the bench script passes.
pub fn redis_url(script: &str) -> String {
    std::env::var("BENCH_REDIS_URL")
        .unwrap_or_else(|_| panic!("set BENCH_REDIS_URL ({script} does)"))
}
