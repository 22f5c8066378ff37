//! HTTP targets (`QUEUE_HTTP_TARGETS`): a custom queue whose jobs are POSTed to an endpoint,
//! against a local HTTP server started by the test (it records what arrives and answers
//! with scripted statuses): 2xx, 4xx, 5xx then 2xx, and 429 with `Retry-After`.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use antrian_core::worker::WorkerType;
use antrian_core::Runtime;
use antrian_jobs::notify::webhook::signature;
use antrian_testkit::TestRedis;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::IntoResponse;
use serde_json::{json, Value};

mod common;

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const QUEUE: &str = "partner-feed";

/// What the endpoint answers, in order: status, `Retry-After` seconds, body.
type Answer = (u16, Option<u32>, &'static str);

#[derive(Default)]
struct Endpoint {
    seen: Mutex<Vec<(Instant, HeaderMap, String)>>,
    answers: Mutex<VecDeque<Answer>>,
}

async fn endpoint() -> (Arc<Endpoint>, String) {
    let state = Arc::new(Endpoint::default());
    let s = state.clone();
    let app = axum::Router::new().route(
        "/target",
        axum::routing::post(move |headers: HeaderMap, body: String| {
            let s = s.clone();
            async move {
                s.seen
                    .lock()
                    .expect("lock")
                    .push((Instant::now(), headers, body));
                let (code, after, text) = s
                    .answers
                    .lock()
                    .expect("lock")
                    .pop_front()
                    .unwrap_or((200, None, "{}"));
                let mut response = (
                    StatusCode::from_u16(code).expect("status"),
                    text.to_string(),
                )
                    .into_response();
                if let Some(after) = after {
                    response.headers_mut().insert(
                        "retry-after",
                        HeaderValue::from_str(&after.to_string()).expect("header"),
                    );
                }
                response
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!(
        "http://127.0.0.1:{}/target",
        listener.local_addr().expect("addr").port()
    );
    tokio::spawn(async move { axum::serve(listener, app).await });
    (state, url)
}

async fn run(rt: &Runtime, data: Value) -> (String, Result<Value, (String, u32)>) {
    common::run_to_end(rt, QUEUE, "sync-item", data).await
}

#[tokio::test(flavor = "multi_thread")]
async fn jobs_of_an_http_target_queue_are_posted_and_their_answers_decide_the_outcome() {
    let (target, url) = endpoint().await;
    let redis = TestRedis::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let targets = format!("{QUEUE}={url}");
    let rt = common::runtime(
        &redis.url(),
        dir.path(),
        &[
            ("QUEUE_HTTP_TARGETS", targets.as_str()),
            ("WEBHOOK_SECRET", SECRET),
            ("WEBHOOK_ALLOW_PRIVATE", "127.0.0.1"),
        ],
        &[(WorkerType::custom(QUEUE).expect("queue"), 1)],
    )
    .await;

    // 2xx: completed, the response body its result; the body is the signed job.
    target
        .answers
        .lock()
        .expect("lock")
        .push_back((200, None, r#"{"accepted": true}"#));
    let (id, end) = run(&rt, json!({"sku": "A-1"})).await;
    assert_eq!(end, Ok(json!({"accepted": true})));
    let (_, headers, body) = target.seen.lock().expect("lock")[0].clone();
    assert_eq!(
        serde_json::from_str::<Value>(&body).expect("json"),
        json!({"id": id, "name": "sync-item", "queue": QUEUE, "data": {"sku": "A-1"}, "attempt": 1})
    );
    let h = |n: &str| {
        headers
            .get(n)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    let webhook_id = format!("msg_{QUEUE}_{id}");
    assert_eq!(h("webhook-id"), webhook_id);
    let ts: i64 = h("webhook-timestamp").parse().expect("timestamp");
    assert_eq!(
        h("webhook-signature"),
        signature(SECRET, &webhook_id, ts, &body)
    );

    // 4xx: failed at once, the response body its reason.
    target
        .answers
        .lock()
        .expect("lock")
        .push_back((422, None, "sku B-2 is unknown"));
    let (_, end) = run(&rt, json!({"sku": "B-2"})).await;
    let (reason, attempts) = end.expect_err("a 422 fails the job");
    assert!(
        reason.contains("HTTP 422") && reason.contains("sku B-2 is unknown"),
        "{reason}"
    );
    assert_eq!(attempts, 1, "not retried");

    // 5xx, then 2xx: retried with the job's backoff, and the second attempt says so.
    target
        .answers
        .lock()
        .expect("lock")
        .extend([(503, None, "busy"), (200, None, "done")]);
    let before = target.seen.lock().expect("lock").len();
    let (_, end) = run(&rt, json!({"sku": "C-3"})).await;
    assert_eq!(
        end,
        Ok(json!("done")),
        "a body that is not JSON is kept as text"
    );
    let seen = target.seen.lock().expect("lock").clone();
    assert_eq!(seen.len() - before, 2);
    let second: Value = serde_json::from_str(&seen[before + 1].2).expect("json");
    assert_eq!(second["attempt"], 2);

    // 429 with Retry-After: the next attempt waits for it.
    target
        .answers
        .lock()
        .expect("lock")
        .extend([(429, Some(1), "slow down"), (200, None, "{}")]);
    let before = target.seen.lock().expect("lock").len();
    let (_, end) = run(&rt, json!({"sku": "D-4"})).await;
    assert_eq!(end, Ok(json!({})));
    let seen = target.seen.lock().expect("lock").clone();
    let waited = seen[before + 1].0.duration_since(seen[before].0);
    assert!(
        waited >= Duration::from_millis(900),
        "the retry came {waited:?} after a Retry-After of 1 s"
    );
    rt.shutdown().await;
}
