//! Helpers shared by the benchmarks that run against a bench-owned Redis.

/// The median of the samples.
pub fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

/// Empties the bench's Redis between runs (it is the bench's own server, never a user's).
pub async fn flush(url: &str) {
    let client = redis::Client::open(url).expect("url");
    let mut conn = client
        .get_multiplexed_async_connection()
        .await
        .expect("connect");
    let _: () = redis::cmd("FLUSHDB")
        .query_async(&mut conn)
        .await
        .expect("FLUSHDB");
}

/// The Redis URL the bench script passes.
pub fn redis_url(script: &str) -> String {
    std::env::var("BENCH_REDIS_URL")
        .unwrap_or_else(|_| panic!("set BENCH_REDIS_URL ({script} does)"))
}
