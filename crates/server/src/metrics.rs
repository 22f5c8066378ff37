//! `GET /metrics` in Prometheus' text exposition format (version 0.0.4): per-queue job
//! counts by state, completed/failed counters, worker pools per node, Redis health. It is
//! what an orchestrator scales worker nodes on (queue depth per queue).
//!
//! The format is a handful of lines per family, written here directly; counters and the
//! duration histogram count the jobs this server has seen finish since it started (BullMQ's
//! streams carry every worker's, Node.js included). A job's duration is `finishedOn −
//! processedOn` of its hash, read in batches; a job removed at once (`removeOnComplete:
//! true`) is counted but has no duration.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::{Arc, Mutex};

use antrian_core::runtime::Handle;
use antrian_core::CancellationToken;
use tokio::sync::{mpsc, oneshot};

use antrian_core::connection::status::ConnectionState;
use antrian_core::queue::QueueEvent;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ApiResult;
use crate::AppState;

/// Upper bounds of the duration histogram's buckets, seconds.
pub const BUCKETS: [f64; 14] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0,
];

/// Job durations of one queue.
#[derive(Debug, Clone, Default)]
struct Histogram {
    /// Per bucket (not cumulative), plus one for above the last bound.
    counts: [u64; BUCKETS.len() + 1],
    sum: f64,
}

impl Histogram {
    fn observe(&mut self, seconds: f64) {
        let i = BUCKETS
            .iter()
            .position(|b| seconds <= *b)
            .unwrap_or(BUCKETS.len());
        self.counts[i] += 1;
        self.sum += seconds;
    }
}

/// Completed and failed-for-good jobs per queue since the server started, and their
/// durations.
#[derive(Debug)]
pub struct Counters {
    by_queue: Mutex<BTreeMap<String, (u64, u64)>>,
    durations: Mutex<BTreeMap<String, Histogram>>,
    finished: mpsc::UnboundedSender<Msg>,
}

/// What the duration reader receives.
#[derive(Debug)]
enum Msg {
    /// A job that finished: `(queue, id)`.
    Finished(String, String),
    /// Answer once everything sent before is read (so a scrape sees every job counted).
    Flush(oneshot::Sender<()>),
}

impl Counters {
    /// Counters whose durations are read from `rt`'s Redis until `cancel`.
    pub fn start(rt: &Handle, cancel: CancellationToken) -> Arc<Self> {
        let (finished, rx) = mpsc::unbounded_channel();
        let counters = Arc::new(Self {
            by_queue: Mutex::new(BTreeMap::new()),
            durations: Mutex::new(BTreeMap::new()),
            finished,
        });
        tokio::spawn(read_durations(
            Arc::downgrade(&counters),
            rt.connection.clone(),
            rt.queues.prefix().to_string(),
            rx,
            cancel,
        ));
        counters
    }

    /// Counts `event` when it finishes a job.
    pub fn count(&self, event: &QueueEvent) {
        let (queue, completed) = match event {
            QueueEvent::JobCompleted { queue, .. } => (queue, true),
            QueueEvent::JobFailed {
                queue,
                is_final: true,
                ..
            } => (queue, false),
            _ => return,
        };
        {
            let mut map = self
                .by_queue
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let entry = map.entry(queue.clone()).or_default();
            if completed {
                entry.0 += 1;
            } else {
                entry.1 += 1;
            }
        }
        if let QueueEvent::JobCompleted { queue, job_id, .. }
        | QueueEvent::JobFailed { queue, job_id, .. } = event
        {
            let _ = self
                .finished
                .send(Msg::Finished(queue.clone(), job_id.clone()));
        }
    }

    fn observe(&self, queue: &str, seconds: f64) {
        self.durations
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .entry(queue.to_string())
            .or_default()
            .observe(seconds);
    }

    /// Waits until the durations of every job counted so far are read.
    async fn flush(&self) {
        let (tx, rx) = oneshot::channel();
        if self.finished.send(Msg::Flush(tx)).is_ok() {
            let _ = rx.await;
        }
    }

    fn histograms(&self) -> BTreeMap<String, Histogram> {
        self.durations
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    fn snapshot(&self) -> BTreeMap<String, (u64, u64)> {
        self.by_queue
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }
}

/// Reads finished jobs' start and finish times in batches (one pipeline per batch).
async fn read_durations(
    counters: std::sync::Weak<Counters>,
    conn: antrian_core::connection::Connection,
    prefix: String,
    mut rx: mpsc::UnboundedReceiver<Msg>,
    cancel: CancellationToken,
) {
    let mut batch = Vec::new();
    let mut flushes = Vec::new();
    loop {
        let first = tokio::select! {
            () = cancel.cancelled() => return,
            next = rx.recv() => match next { Some(item) => item, None => return },
        };
        let mut next = Some(first);
        while let Some(msg) = next.take() {
            match msg {
                Msg::Finished(queue, id) => batch.push((queue, id)),
                Msg::Flush(done) => flushes.push(done),
            }
            if batch.len() < 500 {
                next = rx.try_recv().ok();
            }
        }
        if !batch.is_empty() {
            let Some(counters) = counters.upgrade() else {
                return;
            };
            read_batch(&counters, &conn, &prefix, &mut batch).await;
        }
        for done in flushes.drain(..) {
            let _ = done.send(());
        }
    }
}

async fn read_batch(
    counters: &Counters,
    conn: &antrian_core::connection::Connection,
    prefix: &str,
    batch: &mut Vec<(String, String)>,
) {
    let mut pipe = redis::pipe();
    for (queue, id) in batch.iter() {
        pipe.cmd("HMGET")
            .arg(bullmq::QueueKeys::new(queue, Some(prefix)).job_key(id))
            .arg("processedOn")
            .arg("finishedOn");
    }
    let mut redis = conn.redis();
    let times: redis::RedisResult<Vec<(Option<u64>, Option<u64>)>> =
        pipe.query_async(&mut redis).await;
    match times {
        Ok(times) => {
            for ((queue, _), t) in batch.drain(..).zip(times) {
                if let (Some(start), Some(end)) = t {
                    counters.observe(&queue, end.saturating_sub(start) as f64 / 1000.0);
                }
            }
        }
        Err(e) => {
            tracing::debug!("cannot read job durations: {e}");
            batch.clear();
        }
    }
}

/// A label value with `\`, `"` and newlines escaped.
fn label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn family(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

/// Renders every family.
pub async fn render(state: &AppState) -> ApiResult<String> {
    let rt = &state.rt;
    let mut out = String::new();
    let status = rt.status();
    family(
        &mut out,
        "antrian_redis_up",
        "gauge",
        "1 when Redis answers, 0 otherwise.",
    );
    let up = u8::from(status.state == ConnectionState::Connected);
    let _ = writeln!(out, "antrian_redis_up {up}");
    if let Some(ms) = status.latency_ms {
        family(
            &mut out,
            "antrian_redis_latency_seconds",
            "gauge",
            "Round trip of the last health check.",
        );
        let _ = writeln!(out, "antrian_redis_latency_seconds {}", ms / 1000.0);
    }
    if let Some(used) = status.used_memory_bytes {
        family(
            &mut out,
            "antrian_redis_used_memory_bytes",
            "gauge",
            "Memory Redis uses.",
        );
        let _ = writeln!(out, "antrian_redis_used_memory_bytes {used}");
    }
    if up == 0 {
        return Ok(out);
    }
    let stats = rt.queues.get_all_queue_stats().await?;
    family(
        &mut out,
        "antrian_queue_jobs",
        "gauge",
        "Jobs per queue and state (completed and failed: those kept).",
    );
    for q in &stats {
        let name = label(&q.name);
        for (state, n) in [
            ("waiting", q.waiting),
            ("active", q.active),
            ("delayed", q.delayed),
            ("paused", q.paused),
            ("completed", q.completed),
            ("failed", q.failed),
        ] {
            let _ = writeln!(
                out,
                "antrian_queue_jobs{{queue=\"{name}\",state=\"{state}\"}} {n}"
            );
        }
    }
    family(
        &mut out,
        "antrian_queue_paused",
        "gauge",
        "1 when the queue is paused.",
    );
    for q in &stats {
        let _ = writeln!(
            out,
            "antrian_queue_paused{{queue=\"{}\"}} {}",
            label(&q.name),
            u8::from(q.is_paused)
        );
    }
    family(
        &mut out,
        "antrian_queue_workers",
        "gauge",
        "Workers connected to the queue, any process (Node.js included).",
    );
    for q in &stats {
        let _ = writeln!(
            out,
            "antrian_queue_workers{{queue=\"{}\"}} {}",
            label(&q.name),
            q.workers
        );
    }
    family(
        &mut out,
        "antrian_queue_oldest_waiting_seconds",
        "gauge",
        "Age of the oldest waiting job.",
    );
    for q in &stats {
        let age = q.oldest_waiting_ms.unwrap_or(0) as f64 / 1000.0;
        let _ = writeln!(
            out,
            "antrian_queue_oldest_waiting_seconds{{queue=\"{}\"}} {age}",
            label(&q.name)
        );
    }
    state.counters.flush().await;
    let counts = state.counters.snapshot();
    family(
        &mut out,
        "antrian_jobs_completed_total",
        "counter",
        "Jobs completed since this server started.",
    );
    for q in &stats {
        let n = counts.get(&q.name).map_or(0, |c| c.0);
        let _ = writeln!(
            out,
            "antrian_jobs_completed_total{{queue=\"{}\"}} {n}",
            label(&q.name)
        );
    }
    family(
        &mut out,
        "antrian_jobs_failed_total",
        "counter",
        "Jobs failed for good since this server started.",
    );
    for q in &stats {
        let n = counts.get(&q.name).map_or(0, |c| c.1);
        let _ = writeln!(
            out,
            "antrian_jobs_failed_total{{queue=\"{}\"}} {n}",
            label(&q.name)
        );
    }
    family(
        &mut out,
        "antrian_job_duration_seconds",
        "histogram",
        "Time from a job's start to its finish (its last attempt), for jobs finished since this server started.",
    );
    for (queue, h) in state.counters.histograms() {
        let name = label(&queue);
        let mut cumulative = 0;
        for (bound, n) in BUCKETS.iter().zip(h.counts) {
            cumulative += n;
            let _ = writeln!(out, "antrian_job_duration_seconds_bucket{{queue=\"{name}\",le=\"{bound}\"}} {cumulative}");
        }
        cumulative += h.counts[BUCKETS.len()];
        let _ = writeln!(
            out,
            "antrian_job_duration_seconds_bucket{{queue=\"{name}\",le=\"+Inf\"}} {cumulative}"
        );
        let _ = writeln!(
            out,
            "antrian_job_duration_seconds_sum{{queue=\"{name}\"}} {}",
            h.sum
        );
        let _ = writeln!(
            out,
            "antrian_job_duration_seconds_count{{queue=\"{name}\"}} {cumulative}"
        );
    }
    let nodes =
        antrian_core::worker::list_nodes(&rt.connection, antrian_core::worker::GONE_AFTER).await?;
    family(
        &mut out,
        "antrian_pool_workers",
        "gauge",
        "Workers per pool of each live node.",
    );
    let mut active = String::new();
    let mut busy = String::new();
    let mut p95 = String::new();
    for n in nodes.iter().filter(|n| n.alive) {
        for (kind, t) in &n.stats.by_type {
            let labels = format!("node=\"{}\",type=\"{}\"", label(&n.id), label(kind));
            let _ = writeln!(out, "antrian_pool_workers{{{labels}}} {}", t.workers);
            let _ = writeln!(active, "antrian_pool_active_jobs{{{labels}}} {}", t.active);
            let _ = writeln!(
                busy,
                "antrian_pool_utilisation{{{labels}}} {}",
                t.utilisation
            );
            let _ = writeln!(
                p95,
                "antrian_pool_job_duration_p95_seconds{{{labels}}} {}",
                t.p95_duration_ms as f64 / 1000.0
            );
        }
    }
    family(
        &mut out,
        "antrian_pool_active_jobs",
        "gauge",
        "Jobs running in each pool.",
    );
    out.push_str(&active);
    family(
        &mut out,
        "antrian_pool_utilisation",
        "gauge",
        "Share of each pool's slots in use, 0 to 1.",
    );
    out.push_str(&busy);
    family(
        &mut out,
        "antrian_pool_job_duration_p95_seconds",
        "gauge",
        "95th percentile of job durations in each pool (recent jobs).",
    );
    out.push_str(&p95);
    Ok(out)
}

#[utoipa::path(get, path = "/metrics", tag = "metrics", summary = "Prometheus text exposition", responses((status = 200, description = "Metrics", content_type = "text/plain; version=0.0.4", body = String), (status = 503, description = "Redis unavailable", body = crate::error::ErrorBody)))]
pub(crate) async fn metrics(State(state): State<AppState>) -> ApiResult<impl IntoResponse> {
    let body = render(&state).await?;
    Ok((
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        body,
    ))
}

/// `GET /metrics`.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(metrics))
}
