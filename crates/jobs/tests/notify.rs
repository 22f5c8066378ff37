//! `send-webhook` through the notification pool, against a local HTTP receiver started by
//! the test (a real server; it records what arrives and answers with scripted statuses).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use antrian_core::queue::{JobOptionsInput, QueueEvent};
use antrian_core::worker::WorkerType;
use antrian_core::Runtime;
use antrian_jobs::notify::webhook::signature;
use antrian_testkit::TestRedis;
use axum::http::{HeaderMap, StatusCode};
use serde_json::{json, Value};

mod common;

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

#[derive(Default)]
struct Receiver {
    seen: Mutex<Vec<(HeaderMap, String)>>,
    answers: Mutex<VecDeque<u16>>,
}

async fn receiver() -> (Arc<Receiver>, String) {
    let state = Arc::new(Receiver::default());
    let s = state.clone();
    let app = axum::Router::new()
        .route(
            "/slow",
            axum::routing::any(|| async {
                tokio::time::sleep(Duration::from_secs(5)).await;
                StatusCode::OK
            }),
        )
        .route(
            "/hook",
            axum::routing::any(move |headers: HeaderMap, body: String| {
                let s = s.clone();
                async move {
                    s.seen.lock().expect("lock").push((headers, body));
                    let code = s.answers.lock().expect("lock").pop_front().unwrap_or(200);
                    StatusCode::from_u16(code).unwrap_or(StatusCode::OK)
                }
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!(
        "http://127.0.0.1:{}/hook",
        listener.local_addr().expect("addr").port()
    );
    tokio::spawn(async move { axum::serve(listener, app).await });
    (state, url)
}

struct Env {
    rt: Runtime,
    _redis: TestRedis,
    _dir: tempfile::TempDir,
}

async fn env(vars: &[(&str, &str)]) -> Env {
    let redis = TestRedis::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let rt = common::runtime(
        &redis.url(),
        dir.path(),
        vars,
        &[(WorkerType::Notification, 1)],
    )
    .await;
    Env {
        rt,
        _redis: redis,
        _dir: dir,
    }
}

async fn run(e: &Env, name: &str, data: Value) -> (String, Result<Value, (String, u32)>) {
    common::run_to_end(&e.rt, "notifications-queue", name, data).await
}

#[tokio::test]
async fn a_signed_webhook_is_delivered_and_retried_with_the_same_id() {
    let (recv, url) = receiver().await;
    let e = env(&[
        ("WEBHOOK_SECRET", SECRET),
        ("WEBHOOK_ALLOW_PRIVATE", "127.0.0.1"),
        ("WEBHOOK_TIMEOUT", "300"),
    ])
    .await;
    recv.answers.lock().expect("lock").extend([503, 200]);
    let (id, end) = run(
        &e,
        "send-webhook",
        json!({
            "url": url, "method": "POST",
            "data": {"jobId": "job-123", "status": "completed"},
            "headers": {"X-Source": "antrian"}
        }),
    )
    .await;
    let result = end.expect("delivered on the second attempt");
    assert_eq!(result["status"], 200);
    let seen = recv.seen.lock().expect("lock").clone();
    assert_eq!(seen.len(), 2, "a 503 is retried");
    let webhook_id = format!("msg_notifications-queue_{id}");
    for (headers, body) in &seen {
        let h = |n: &str| {
            headers
                .get(n)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_string()
        };
        assert_eq!(h("webhook-id"), webhook_id, "the same id on every attempt");
        assert_eq!(h("content-type"), "application/json");
        assert_eq!(h("x-source"), "antrian");
        let ts: i64 = h("webhook-timestamp").parse().expect("timestamp");
        assert!((chrono::Utc::now().timestamp() - ts).abs() < 60);
        assert_eq!(
            h("webhook-signature"),
            signature(SECRET, &webhook_id, ts, body),
            "verifiable"
        );
        assert_eq!(
            serde_json::from_str::<Value>(body).expect("json"),
            json!({"jobId": "job-123", "status": "completed"})
        );
    }

    // A receiver slower than WEBHOOK_TIMEOUT: retried, and each try is cut off.
    let (_, end) = run(
        &e,
        "send-webhook",
        json!({"url": url.replace("/hook", "/slow"), "data": {}}),
    )
    .await;
    let (reason, attempts) = end.expect_err("too slow");
    assert!(
        reason.contains("no answer within WEBHOOK_TIMEOUT"),
        "{reason}"
    );
    assert_eq!(attempts, 3);

    recv.answers.lock().expect("lock").push_back(400);
    let (_, end) = run(&e, "send-webhook", json!({"url": url, "data": {}})).await;
    let (reason, attempts) = end.expect_err("a 400 is permanent");
    assert!(reason.contains("HTTP 400"), "{reason}");
    assert_eq!(attempts, 1);
}

#[tokio::test]
async fn internal_destinations_are_refused_before_any_connection() {
    let (recv, url) = receiver().await;
    let e = env(&[("WEBHOOK_SECRET", SECRET)]).await;
    // Written as an address: refused when the job is added, and nothing is added.
    for target in [
        url.clone(),
        "http://169.254.169.254/latest/meta-data/".to_string(),
        "http://10.0.0.1/hook".to_string(),
        "http://[::1]:9/hook".to_string(),
    ] {
        let refused =
            e.rt.queues()
                .add_job(
                    "notifications-queue",
                    "send-webhook",
                    json!({"url": target, "data": {}}),
                    &JobOptionsInput::default(),
                )
                .await
                .expect_err("refused when added");
        let reason = refused.to_string();
        assert!(reason.contains("an internal address"), "{target}: {reason}");
        assert!(reason.contains("WEBHOOK_ALLOW_PRIVATE"), "{reason}");
    }
    let stats =
        e.rt.queues()
            .get_queue_stats("notifications-queue")
            .await
            .expect("stats");
    assert_eq!(
        stats.waiting + stats.delayed + stats.failed,
        0,
        "nothing was added"
    );
    // A host name is resolved when the webhook is sent, and refused then, once.
    let (_, end) = run(
        &e,
        "send-webhook",
        json!({"url": url.replace("127.0.0.1", "localhost"), "data": {}}),
    )
    .await;
    let (reason, attempts) = end.expect_err("refused");
    assert!(reason.contains("an internal address"), "{reason}");
    assert!(reason.contains("WEBHOOK_ALLOW_PRIVATE"), "{reason}");
    assert_eq!(attempts, 1);
    assert!(
        recv.seen.lock().expect("lock").is_empty(),
        "no request reached the receiver"
    );
}

#[tokio::test]
async fn without_a_secret_or_with_bad_headers_nothing_is_sent() {
    let (recv, url) = receiver().await;
    let e = env(&[("WEBHOOK_ALLOW_PRIVATE", "127.0.0.1")]).await;
    let (_, end) = run(&e, "send-webhook", json!({"url": url, "data": {}})).await;
    let (reason, _) = end.expect_err("unsigned webhooks are not sent");
    assert!(reason.contains("WEBHOOK_SECRET is not set"), "{reason}");
    let refused =
        e.rt.queues()
            .add_job(
                "notifications-queue",
                "send-webhook",
                json!({"url": url, "headers": {"X-A": "1\r\nX-B: 2"}}),
                &JobOptionsInput::default(),
            )
            .await
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
    assert!(refused.contains("no CR/LF"), "{refused}");
    assert!(recv.seen.lock().expect("lock").is_empty());
}

/// send-email against a real SMTP server (aiosmtpd) on a free local port.
#[tokio::test]
async fn send_email_delivers_html_and_text_to_a_real_smtp_server() {
    let smtp = antrian_testkit::smtp::SmtpServer::start();
    let port = smtp.port().to_string();
    let e = env(&[
        ("SMTP_HOST", "127.0.0.1"),
        ("SMTP_PORT", port.as_str()),
        ("SMTP_SECURITY", "none"),
        ("SMTP_FROM", "Antrian <antrian@example.com>"),
    ])
    .await;
    let mut sub = e.rt.events().subscribe();
    let opts = JobOptionsInput::default();
    let id =
        e.rt.queues()
            .add_job(
                "notifications-queue",
                "send-email",
                json!({
                    "to": "admin@example.com",
                    "subject": "Scraping Job Completed",
                    "template": "job-completion",
                    "data": {"jobId": "job-123", "status": "completed"}
                }),
                &opts,
            )
            .await
            .expect("add")
            .id;
    let done = sub
        .recv_matching(Duration::from_secs(30), |ev| matches!(ev, QueueEvent::JobCompleted { job_id, .. } | QueueEvent::JobFailed { job_id, .. } if *job_id == id))
        .await
        .expect("the e-mail job finished");
    assert!(matches!(done, QueueEvent::JobCompleted { .. }), "{done:?}");
    let messages = smtp.messages();
    assert_eq!(messages.len(), 1);
    let m = &messages[0];
    assert!(m.contains("Subject: Scraping Job Completed"), "{m}");
    assert!(m.contains("To: admin@example.com"), "{m}");
    assert!(m.contains("From: Antrian <antrian@example.com>"), "{m}");
    assert!(m.contains("multipart/alternative"), "{m}");
    assert!(m.contains("text/plain") && m.contains("text/html"), "{m}");
    assert!(m.contains("Job job-123 completed"), "{m}");

    // Refused when added: header injection, unknown template, missing variable.
    for (data, says) in [
        (
            json!({"to": "a@example.com\r\nBcc: x@example.com", "subject": "s", "template": "job-completion", "data": {"jobId": "1", "status": "x"}}),
            "line break",
        ),
        (
            json!({"to": "a@example.com", "subject": "s", "template": "weekly", "data": {}}),
            "unknown template `weekly`",
        ),
        (
            json!({"to": "a@example.com", "subject": "s", "template": "job-failure", "data": {"jobId": "1"}}),
            "undefined",
        ),
    ] {
        let refused =
            e.rt.queues()
                .add_job("notifications-queue", "send-email", data, &opts)
                .await;
        assert!(
            refused.err().is_some_and(|e| e.to_string().contains(says)),
            "{says}"
        );
    }
    assert_eq!(smtp.messages().len(), 1, "nothing else was sent");

    // A permanent refusal (550) is not retried.
    let (_, end) = run(
        &e,
        "send-email",
        json!({
            "to": "reject@example.com", "subject": "s", "template": "job-completion",
            "data": {"jobId": "1", "status": "done"}
        }),
    )
    .await;
    let (reason, attempts) = end.expect_err("refused by the server");
    assert!(
        reason.contains("refused the message") && reason.contains("550"),
        "{reason}"
    );
    assert_eq!(attempts, 1);
}

#[tokio::test]
async fn an_unreachable_smtp_server_is_retried_and_a_missing_one_is_named() {
    let port = antrian_testkit::free_port().to_string();
    let e = env(&[
        ("SMTP_HOST", "127.0.0.1"),
        ("SMTP_PORT", port.as_str()),
        ("SMTP_SECURITY", "none"),
    ])
    .await;
    let data = json!({"to": "a@example.com", "subject": "s", "template": "job-completion", "data": {"jobId": "1", "status": "done"}});
    let (_, end) = run(&e, "send-email", data.clone()).await;
    let (reason, attempts) = end.expect_err("nothing listens");
    assert!(reason.contains(&format!("127.0.0.1:{port}")), "{reason}");
    assert_eq!(attempts, 3, "connection failures are retried");
    let e = env(&[]).await;
    let (_, end) = run(&e, "send-email", data).await;
    let (reason, attempts) = end.expect_err("no SMTP configured");
    assert!(reason.contains("SMTP_HOST is not set"), "{reason}");
    assert_eq!(attempts, 1);
}
