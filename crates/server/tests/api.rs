//! The HTTP dashboard as a browser or script uses it: a real server on a free port over a
//! runtime on a test's own redis-server, with real worker pools, spoken to in raw HTTP/1.1
//! (so malformed requests can be sent as they are).

mod common;

use antrian_core::config::{Config, LoadOptions};
use common::{auth, Dashboard, PASS, USER, WAIT};
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

#[tokio::test(flavor = "multi_thread")]
async fn every_route_asks_for_credentials_and_refuses_wrong_ones() {
    let d = Dashboard::start().await;
    let port = d.port();
    let routes = [
        ("GET", "/api/stats"),
        ("GET", "/api/queues"),
        ("POST", "/api/queues"),
        ("GET", "/api/queues/cleanup-queue"),
        ("POST", "/api/queues/cleanup-queue/jobs/1/retry"),
        ("POST", "/api/queues/cleanup-queue/jobs/1/promote"),
        ("DELETE", "/api/queues/cleanup-queue/jobs/1"),
        ("POST", "/api/queues/cleanup-queue/pause"),
        ("POST", "/api/queues/cleanup-queue/resume"),
        ("POST", "/api/queues/cleanup-queue/clean"),
        ("POST", "/api/queues/cleanup-queue/jobs"),
        ("POST", "/api/queues/cleanup-queue/jobs/bulk"),
        ("POST", "/api/queues/cleanup-queue/jobs/matching"),
        ("POST", "/api/queues/cleanup-queue/jobs/check"),
        ("GET", "/api/queues/cleanup-queue/jobs/1"),
        ("GET", "/api/queues/cleanup-queue/jobs/1/logs"),
        ("PUT", "/api/queues/cleanup-queue/jobs/1/data"),
        ("GET", "/api/throughput?minutes=5"),
        ("POST", "/api/queues/cleanup-queue/promote"),
        ("POST", "/api/queues/cleanup-queue/retry-failed"),
        ("POST", "/api/queues/pause-all"),
        ("POST", "/api/queues/resume-all"),
        ("GET", "/api/schedules"),
        ("POST", "/api/schedules"),
        ("GET", "/api/schedules/x"),
        ("PATCH", "/api/schedules/x"),
        ("DELETE", "/api/schedules/x"),
        ("POST", "/api/schedules/x/enable"),
        ("POST", "/api/schedules/x/disable"),
        ("POST", "/api/schedules/x/run"),
        ("GET", "/api/schedules/x/preview"),
        ("GET", "/api/schedule-preview?cron=*+*+*+*+*"),
        ("GET", "/api/dynamic-schedules"),
        ("POST", "/api/dynamic-schedules"),
        ("GET", "/api/dynamic-schedules/x"),
        ("DELETE", "/api/dynamic-schedules/x"),
        ("POST", "/api/dynamic-schedules/x/enable"),
        ("POST", "/api/dynamic-schedules/x/disable"),
        ("GET", "/api/health"),
        ("GET", "/api/workers"),
        ("POST", "/api/nodes/x/commands"),
        ("GET", "/api/scaling/log"),
        ("GET", "/api/audit"),
        ("GET", "/api/scaling/settings"),
        ("GET", "/api/products"),
        ("GET", "/api/products/export"),
        ("GET", "/api/products/x"),
        ("GET", "/api/sites"),
        ("GET", "/api/events"),
        ("GET", "/metrics"),
        ("GET", "/"),
        ("GET", "/assets/app.js"),
        ("GET", "/api/openapi.json"),
    ];
    // The OpenAPI document describes each of them.
    let doc = d.get("/api/openapi.json").await;
    for (method, path) in routes {
        let bare = path.split('?').next().unwrap_or(path);
        let templated = bare
            .replace("/jobs/1", "/jobs/{id}")
            .replace("/schedules/x", "/schedules/{name}")
            .replace("-schedules/x", "-schedules/{name}")
            .replace("/nodes/x", "/nodes/{id}")
            .replace("/products/x", "/products/{id}")
            .replace("/cleanup-queue", "/{queue}");
        if bare == "/" || bare.starts_with("/assets") {
            continue;
        }
        let op = &doc["paths"][&templated][method.to_lowercase()];
        assert!(
            op.is_object(),
            "{method} {templated} is not in the OpenAPI document"
        );
        assert!(
            op["responses"]["401"].is_object(),
            "{method} {templated} documents 401"
        );
    }
    for (method, path) in routes {
        let none = d
            .raw(
                &format!("{method} {path} HTTP/1.1\nHost: 127.0.0.1:{port}"),
                b"",
            )
            .await;
        assert_eq!(none.status, 401, "{method} {path} without credentials");
        assert!(none
            .header("www-authenticate")
            .is_some_and(|h| h.starts_with("Basic")));
        assert_eq!(none.json()["error"]["code"], "unauthorized");
        let wrong = d
            .raw(
                &format!(
                    "{method} {path} HTTP/1.1\nHost: 127.0.0.1:{port}\nAuthorization: {}",
                    auth(USER, "admin123")
                ),
                b"",
            )
            .await;
        assert_eq!(wrong.status, 401, "{method} {path} with a wrong password");
        if path == "/api/events" {
            continue; // a stream: checked in its own test
        }
        let right = d.call(method, path, None).await;
        assert_ne!(right.status, 401, "{method} {path} with the right password");
        assert!(
            right.status < 500,
            "{method} {path}: {} {}",
            right.status,
            String::from_utf8_lossy(&right.body)
        );
    }
    assert!(
        !String::from_utf8_lossy(&d.call("GET", "/api/health", None).await.body).contains(PASS),
        "no secret in a response"
    );
    d.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn failed_logins_are_slowed_then_refused_and_cross_site_writes_are_refused() {
    let d = Dashboard::start().await;
    let port = d.port();
    let mut statuses = Vec::new();
    for _ in 0..11 {
        let a = d
            .raw(
                &format!(
                    "GET /api/stats HTTP/1.1\nHost: 127.0.0.1:{port}\nAuthorization: {}",
                    auth(USER, "guess")
                ),
                b"",
            )
            .await;
        statuses.push(a.status);
    }
    assert_eq!(statuses[..10], [401; 10]);
    assert_eq!(statuses[10], 429, "refused for a while: {statuses:?}");
    let refused = d.call("GET", "/api/stats", None).await;
    assert_eq!(
        refused.status, 429,
        "even with the right password while refused"
    );
    assert!(refused.header("retry-after").is_some());
    d.stop().await;

    let d = Dashboard::start().await;
    let port = d.port();
    let evil_origin = d
        .raw(
            &format!("POST /api/queues/cleanup-queue/pause HTTP/1.1\nHost: 127.0.0.1:{port}\nOrigin: http://evil.example\nAuthorization: {}", auth(USER, PASS)),
            b"",
        )
        .await;
    assert_eq!(
        (
            evil_origin.status,
            evil_origin.json()["error"]["code"].as_str()
        ),
        (403, Some("forbidden"))
    );
    let rebound = d
        .raw(
            &format!(
                "GET /api/stats HTTP/1.1\nHost: evil.example:{port}\nAuthorization: {}",
                auth(USER, PASS)
            ),
            b"",
        )
        .await;
    assert_eq!(rebound.status, 403, "a DNS-rebinding Host");
    let same = d
        .raw(
            &format!("POST /api/queues/cleanup-queue/pause HTTP/1.1\nHost: 127.0.0.1:{port}\nOrigin: http://127.0.0.1:{port}\nAuthorization: {}", auth(USER, PASS)),
            b"",
        )
        .await;
    assert_eq!(same.status, 200, "{}", String::from_utf8_lossy(&same.body));
    d.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_seeds_endpoints_on_jobs_in_every_state() {
    let d = Dashboard::start().await;
    let q = "/api/queues/cleanup-queue";
    let mut events = d.rt.as_ref().expect("rt").events().subscribe();
    let mut metrics_events = d.rt.as_ref().expect("rt").events().subscribe();
    let completed = d
        .post(
            &format!("{q}/jobs"),
            json!({"name": "tick", "data": {"n": 1}}),
        )
        .await["id"]
        .clone();
    let failed = d
        .post(
            &format!("{q}/jobs"),
            json!({"name": "boom", "data": {}, "opts": {"attempts": 1}}),
        )
        .await["id"]
        .clone();
    let active = d
        .post(&format!("{q}/jobs"), json!({"name": "hold", "data": {}}))
        .await["id"]
        .clone();
    let delayed = d
        .post(
            &format!("{q}/jobs"),
            json!({"name": "tick", "data": {}, "opts": {"delay": 3_600_000}}),
        )
        .await["id"]
        .clone();
    // Wait until the worker took the first three.
    let mut seen = 0;
    let mut first = true;
    while seen < 3 {
        if !first {
            let e = events
                .recv_matching(WAIT, |e| {
                    matches!(
                        e,
                        antrian_core::queue::QueueEvent::JobCompleted { .. }
                            | antrian_core::queue::QueueEvent::JobFailed { is_final: true, .. }
                            | antrian_core::queue::QueueEvent::JobActive { .. }
                    )
                })
                .await;
            assert!(e.is_some(), "jobs did not start");
        }
        first = false;
        let stats = d.get("/api/stats").await;
        let t = &stats["totals"];
        seen = t["completed"].as_u64().unwrap_or(0)
            + t["failed"].as_u64().unwrap_or(0)
            + t["active"].as_u64().unwrap_or(0);
    }
    // Paused, a new job waits.
    assert_eq!(
        d.post(&format!("{q}/pause"), json!({})).await["paused"],
        true
    );
    let waiting = d
        .post(&format!("{q}/jobs"), json!({"name": "tick", "data": {}}))
        .await["id"]
        .clone();

    let stats = d.get("/api/stats").await;
    let cleanup = stats["queues"]
        .as_array()
        .expect("queues")
        .iter()
        .find(|s| s["name"] == "cleanup-queue")
        .expect("cleanup-queue")
        .clone();
    assert_eq!(
        (
            cleanup["completed"].as_u64(),
            cleanup["failed"].as_u64(),
            cleanup["active"].as_u64(),
            cleanup["delayed"].as_u64(),
            cleanup["isPaused"].as_bool()
        ),
        (Some(1), Some(1), Some(1), Some(1), Some(true)),
        "{stats}"
    );
    assert_eq!(
        cleanup["workers"], 1,
        "one worker, counted for every queue at once"
    );
    // Per minute, as the pools record it: the one completed and the one failed job, once
    // the pool has written them (a `queue:metrics` event says what each write added).
    let mut counted = (0, 0);
    while counted != (1, 1) {
        match metrics_events
            .recv_matching(WAIT, |e| {
                matches!(e, antrian_core::queue::QueueEvent::QueueMetrics { queue, .. } if queue == "cleanup-queue")
            })
            .await
        {
            Some(antrian_core::queue::QueueEvent::QueueMetrics {
                completed, failed, ..
            }) => counted = (counted.0 + completed, counted.1 + failed),
            other => panic!("metrics written for {counted:?} of (1, 1) finished jobs: {other:?}"),
        }
    }
    let throughput = d.get("/api/throughput?minutes=5").await;
    let minutes = throughput
        .as_array()
        .expect("queues")
        .iter()
        .find(|t| t["queue"] == "cleanup-queue")
        .expect("cleanup-queue")["minutes"]
        .as_array()
        .expect("minutes")
        .clone();
    let sum = |field: &str| {
        minutes
            .iter()
            .filter_map(|m| m[field].as_u64())
            .sum::<u64>()
    };
    assert_eq!(
        (minutes.len(), sum("completed"), sum("failed")),
        (5, 1, 1),
        "{throughput}"
    );

    // Data is edited on a delayed job, refused on the active one.
    let edited = d
        .call(
            "PUT",
            &format!("{q}/jobs/{}/data", delayed.as_str().expect("id")),
            Some(json!({"n": 2})),
        )
        .await;
    assert_eq!(
        (edited.status, &edited.json()["data"]),
        (200, &json!({"n": 2}))
    );
    let refused = d
        .call(
            "PUT",
            &format!("{q}/jobs/{}/data", active.as_str().expect("id")),
            Some(json!({"n": 3})),
        )
        .await;
    assert_eq!(
        (refused.status, refused.json()["error"]["code"].as_str()),
        (409, Some("conflict"))
    );
    assert_eq!(
        cleanup["waiting"].as_u64().unwrap_or(0) + cleanup["paused"].as_u64().unwrap_or(0),
        1,
        "{cleanup}"
    );

    for (state, id) in [
        ("completed", &completed),
        ("failed", &failed),
        ("active", &active),
        ("delayed", &delayed),
        ("waiting", &waiting),
    ] {
        let page = d
            .get(&format!("{q}?state={state}&page=1&pageSize=10"))
            .await;
        let ids: Vec<&Value> = page["jobs"]["jobs"]
            .as_array()
            .expect("jobs")
            .iter()
            .map(|j| &j["id"])
            .collect();
        assert_eq!(ids, [id], "{state}: {page}");
        assert_eq!(page["queue"]["name"], "cleanup-queue");
        assert_eq!(
            page["queue"]["workers"], 1,
            "one worker, counted one queue at a time"
        );
    }
    let job = d
        .get(&format!("{q}/jobs/{}", failed.as_str().expect("id")))
        .await;
    assert_eq!(job["failedReason"], "boom on purpose");

    // Retry the failed one (it fails again: attempts 1), remove the delayed one.
    let retried = d
        .post(
            &format!("{q}/jobs/{}/retry", failed.as_str().expect("id")),
            json!({}),
        )
        .await;
    assert_eq!(retried["retried"], true);
    let removed = d
        .call(
            "DELETE",
            &format!("{q}/jobs/{}", delayed.as_str().expect("id")),
            None,
        )
        .await;
    assert_eq!(removed.status, 200);
    let gone = d
        .call(
            "GET",
            &format!("{q}/jobs/{}", delayed.as_str().expect("id")),
            None,
        )
        .await;
    assert_eq!(
        (gone.status, gone.json()["error"]["code"].as_str()),
        (404, Some("not_found"))
    );
    assert_eq!(
        d.post(&format!("{q}/resume"), json!({})).await["paused"],
        false
    );
    let cleaned = d
        .post(
            &format!("{q}/clean"),
            json!({"completed": true, "failed": true, "count": 100}),
        )
        .await;
    assert!(
        cleaned["removed"].as_u64().is_some_and(|n| n >= 1),
        "{cleaned}"
    );
    d.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_filtered_page_and_an_action_on_every_match() {
    let d = Dashboard::start().await;
    let q = "/api/queues/cleanup-queue";
    for (name, shop) in [("tick", "shop-a"), ("tick", "shop-b"), ("tock", "shop-a")] {
        d.post(
            &format!("{q}/jobs"),
            json!({"name": name, "data": {"url": format!("https://{shop}.example/")}, "opts": {"delay": 3_600_000}}),
        )
        .await;
    }
    // A job that would be taken is checked without being added.
    let checked = d
        .post(
            "/api/queues/scraping-queue/jobs/check",
            json!({"name": "product-scraping", "data": {"url": "https://shop.example/p/1"}}),
        )
        .await;
    assert_eq!(checked, json!({"ok": true}));
    let page = d
        .get(&format!(
            "{q}?state=delayed&name=tick&field=url&text=SHOP-A&pageSize=10"
        ))
        .await;
    let jobs = &page["jobs"];
    assert_eq!(
        (
            jobs["total"].as_u64(),
            jobs["jobs"][0]["data"]["url"].as_str()
        ),
        (Some(1), Some("https://shop-a.example/")),
        "{page}"
    );
    assert_eq!(jobs["search"], json!({"scanned": 3, "complete": true}));
    assert_eq!(
        d.get(&format!("{q}?state=delayed")).await["jobs"]["search"],
        Value::Null,
        "an unfiltered page is the plain listing"
    );

    let done = d
        .post(
            &format!("{q}/jobs/matching"),
            json!({"state": "delayed", "filter": {"field": "url", "text": "shop-a"}, "action": "promote"}),
        )
        .await;
    assert_eq!(
        (done["matched"].as_u64(), done["done"].as_u64()),
        (Some(2), Some(2)),
        "{done}"
    );
    let stats = d.get("/api/queues").await;
    let cleanup = stats
        .as_array()
        .expect("queues")
        .iter()
        .find(|s| s["name"] == "cleanup-queue")
        .expect("cleanup-queue")
        .clone();
    assert_eq!(cleanup["delayed"], 1, "{cleanup}");

    // The audit log names the dashboard user and their address, and what was done.
    let log = d.get("/api/audit?limit=5").await;
    let entry = &log[0];
    assert_eq!(
        (
            entry["actor"]["via"].as_str(),
            entry["actor"]["who"].as_str(),
            entry["action"].as_str(),
            entry["count"].as_u64(),
            entry["summary"].as_str(),
        ),
        (
            Some("dashboard"),
            Some("admin from 127.0.0.1"),
            Some("promote"),
            Some(2),
            Some("promoted 2 delayed jobs whose url contains \"shop-a\" in cleanup-queue"),
        ),
        "{log}"
    );
    d.stop().await;
}

/// Reads SSE frames from a stream until one names `job_id` as completed; returns its id.
async fn completion_in(reader: &mut BufReader<TcpStream>, job_id: &str) -> u64 {
    let mut last_id = 0;
    let mut event = String::new();
    loop {
        let mut line = String::new();
        let n = tokio::time::timeout(WAIT, reader.read_line(&mut line))
            .await
            .expect("an event in time")
            .expect("read");
        assert!(n > 0, "stream closed");
        let line = line.trim_end();
        if let Some(id) = line
            .strip_prefix("id: ")
            .or_else(|| line.strip_prefix("id:"))
        {
            last_id = id.trim().parse().unwrap_or(last_id);
        } else if let Some(name) = line
            .strip_prefix("event: ")
            .or_else(|| line.strip_prefix("event:"))
        {
            event = name.trim().to_string();
        } else if let Some(data) = line
            .strip_prefix("data: ")
            .or_else(|| line.strip_prefix("data:"))
        {
            let v: Value = serde_json::from_str(data.trim()).unwrap_or(Value::Null);
            if event == "job:completed" && v["jobId"] == job_id {
                return last_id;
            }
        }
    }
}

async fn open_stream(d: &Dashboard, last_event_id: Option<u64>) -> BufReader<TcpStream> {
    let mut s = TcpStream::connect(("127.0.0.1", d.port()))
        .await
        .expect("connect");
    let resume = last_event_id
        .map(|id| format!("Last-Event-ID: {id}\r\n"))
        .unwrap_or_default();
    let req = format!(
        "GET /api/events HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nAuthorization: {}\r\nAccept: text/event-stream\r\n{resume}\r\n",
        d.port(),
        auth(USER, PASS)
    );
    s.write_all(req.as_bytes()).await.expect("write");
    let mut reader = BufReader::new(s);
    let mut status = String::new();
    reader.read_line(&mut status).await.expect("status");
    assert!(status.contains(" 200 "), "{status}");
    reader
}

#[tokio::test(flavor = "multi_thread")]
async fn events_stream_a_jobs_completion_and_resume_after_a_reconnect() {
    let d = Dashboard::start().await;
    let mut stream = open_stream(&d, None).await;
    let first = d
        .post(
            "/api/queues/cleanup-queue/jobs",
            json!({"name": "tick", "data": {}}),
        )
        .await["id"]
        .as_str()
        .expect("id")
        .to_string();
    let first_id = completion_in(&mut stream, &first).await;
    assert!(first_id > 0);
    drop(stream);
    // While no client listens, another job completes; a reconnect with the last id gets it.
    let mut events = d.rt.as_ref().expect("rt").events().subscribe();
    let second = d
        .post(
            "/api/queues/cleanup-queue/jobs",
            json!({"name": "tick", "data": {}}),
        )
        .await["id"]
        .as_str()
        .expect("id")
        .to_string();
    events
        .recv_matching(WAIT, |e| matches!(e, antrian_core::queue::QueueEvent::JobCompleted { job_id, .. } if *job_id == second))
        .await
        .expect("second completed");
    let mut resumed = open_stream(&d, Some(first_id)).await;
    let second_id = completion_in(&mut resumed, &second).await;
    assert!(second_id > first_id);
    d.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn metrics_are_prometheus_text_matching_the_queue_counts() {
    let d = Dashboard::start().await;
    // The server counts a job when its event reaches the stream clients: wait for it there.
    let mut stream = open_stream(&d, None).await;
    let id = d
        .post(
            "/api/queues/cleanup-queue/jobs",
            json!({"name": "tick", "data": {}}),
        )
        .await["id"]
        .as_str()
        .expect("id")
        .to_string();
    completion_in(&mut stream, &id).await;
    d.post(
        "/api/queues/data-processing-queue/jobs",
        json!({"name": "x", "data": {}, "opts": {"delay": 60000}}),
    )
    .await;
    let a = d.call("GET", "/metrics", None).await;
    assert_eq!(a.status, 200);
    assert!(a
        .header("content-type")
        .is_some_and(|c| c.starts_with("text/plain; version=0.0.4")));
    let text = String::from_utf8(a.body).expect("utf-8");
    let sample = regex_lite_sample();
    let mut values = std::collections::HashMap::new();
    for line in text.lines() {
        if line.starts_with('#') {
            assert!(
                line.starts_with("# HELP ") || line.starts_with("# TYPE "),
                "{line}"
            );
            continue;
        }
        let (key, value) = line
            .rsplit_once(' ')
            .unwrap_or_else(|| panic!("not a sample: {line}"));
        assert!(sample(key), "bad metric name or labels: {line}");
        let v: f64 = value
            .parse()
            .unwrap_or_else(|_| panic!("not a number: {line}"));
        values.insert(key.to_string(), v);
    }
    let stats = d.get("/api/stats").await;
    for q in stats["queues"].as_array().expect("queues") {
        let name = q["name"].as_str().expect("name");
        for state in [
            "waiting",
            "active",
            "delayed",
            "completed",
            "failed",
            "paused",
        ] {
            let key = format!("antrian_queue_jobs{{queue=\"{name}\",state=\"{state}\"}}");
            assert_eq!(values.get(&key).copied(), q[state].as_f64(), "{key}");
        }
    }
    assert_eq!(values.get("antrian_redis_up"), Some(&1.0));
    assert_eq!(
        values.get("antrian_jobs_completed_total{queue=\"cleanup-queue\"}"),
        Some(&1.0)
    );
    assert!(
        values
            .keys()
            .any(|k| k.starts_with("antrian_pool_workers{") && k.contains("type=\"cleanup\"")),
        "{text}"
    );
    assert_eq!(
        values.get("antrian_job_duration_seconds_count{queue=\"cleanup-queue\"}"),
        Some(&1.0),
        "{text}"
    );
    assert_eq!(
        values.get("antrian_job_duration_seconds_bucket{queue=\"cleanup-queue\",le=\"+Inf\"}"),
        Some(&1.0)
    );
    d.stop().await;
}

/// `name{label="value",…}` or `name`, as Prometheus' text format allows.
fn regex_lite_sample() -> impl Fn(&str) -> bool {
    |key: &str| {
        let (name, labels) = match key.split_once('{') {
            Some((n, rest)) => (n, Some(rest)),
            None => (key, None),
        };
        let name_ok = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
            && !name.starts_with(|c: char| c.is_ascii_digit());
        let labels_ok = labels.is_none_or(|l| {
            l.ends_with('}')
                && l.trim_end_matches('}').split("\",").all(|pair| {
                    pair.split_once("=\"").is_some_and(|(k, _)| {
                        k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                    })
                })
        });
        name_ok && labels_ok
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn malformed_requests_get_a_json_4xx_and_write_nothing() {
    let d = Dashboard::start().await;
    d.post("/api/schedules", json!({"name": "kept", "schedule": "0 2 * * *", "jobName": "tick", "queueName": "cleanup-queue"})).await;
    let before = d.key_count();
    let big = json!({"name": "tick", "data": {"blob": "x".repeat(9 * 1024 * 1024)}}).to_string();
    let cases: Vec<(&str, &str, Option<&str>, u16)> = vec![
        (
            "POST",
            "/api/queues/cleanup-queue/jobs",
            Some("{not json"),
            400,
        ),
        ("POST", "/api/queues/cleanup-queue/jobs", Some("[]"), 400),
        (
            "POST",
            "/api/queues/cleanup-queue/jobs",
            Some(r#"{"data": {}}"#),
            400,
        ),
        (
            "POST",
            "/api/queues/cleanup-queue/jobs",
            Some(r#"{"name": 5}"#),
            400,
        ),
        (
            "POST",
            "/api/queues/cleanup-queue/jobs",
            Some(r#"{"name": "tick", "data": [1]}"#),
            400,
        ),
        (
            "POST",
            "/api/queues/cleanup-queue/jobs",
            Some(r#"{"name": "tick", "data": {}, "opts": {"priority": 11}}"#),
            400,
        ),
        (
            "POST",
            "/api/queues/cleanup-queue/jobs",
            Some(r#"{"name": "tick", "data": {}, "opts": {"attempts": "3"}}"#),
            400,
        ),
        (
            "POST",
            "/api/queues/cleanup-queue/jobs",
            Some(r#"{"name": "tick", "data": {}, "opts": {"backoff": {"type": "random"}}}"#),
            400,
        ),
        (
            "POST",
            "/api/queues/cleanup-queue/jobs",
            Some(r#"{"name": "tick", "data": {}, "opts": {"jobId": "123"}}"#),
            400,
        ),
        (
            "POST",
            "/api/queues/cleanup-queue/jobs",
            Some(r#"{"name": "tick", "data": {}, "extra": 1}"#),
            400,
        ),
        (
            "POST",
            "/api/queues/cleanup-queue/jobs",
            Some(r#"{"name": "tick", "data": {}, "opts": {"jobId": "shop:1"}}"#),
            400,
        ),
        (
            "POST",
            "/api/queues/bad:queue/jobs",
            Some(r#"{"name": "tick", "data": {}}"#),
            400,
        ),
        (
            "POST",
            "/api/queues/cleanup-queue/jobs",
            Some(big.as_str()),
            413,
        ),
        (
            "POST",
            "/api/queues/cleanup-queue/jobs/bulk",
            Some(r#"{"name": "tick"}"#),
            400,
        ),
        (
            "POST",
            "/api/queues/cleanup-queue/jobs/bulk",
            Some(r#"[{"name": "tick", "data": {}}, {"name": ""}]"#),
            400,
        ),
        (
            "POST",
            "/api/queues/cleanup-queue/clean",
            Some(r#"{"completed": "yes"}"#),
            400,
        ),
        (
            "POST",
            "/api/queues/cleanup-queue/clean",
            Some(r#"{"completd": true}"#),
            400,
        ),
        ("POST", "/api/queues/no-such-queue/pause", None, 404),
        ("GET", "/api/queues/no-such-queue", None, 404),
        ("GET", "/api/queues/cleanup-queue?state=sleeping", None, 400),
        ("GET", "/api/queues/cleanup-queue?page=0", None, 400),
        ("GET", "/api/throughput?minutes=0", None, 400),
        (
            "POST",
            "/api/queues/cleanup-queue/jobs/check",
            Some(r#"{"name": "tick", "data": {}, "opts": {"priority": 11}}"#),
            400,
        ),
        (
            "POST",
            "/api/queues/scraping-queue/jobs/check",
            Some(r#"{"name": "product-scraping", "data": [1]}"#),
            400,
        ),
        (
            "GET",
            "/api/queues/cleanup-queue?state=failed&field=url%3Bx&text=a",
            None,
            400,
        ),
        (
            "POST",
            "/api/queues/cleanup-queue/jobs/matching",
            Some(r#"{"state": "failed", "action": "explode"}"#),
            400,
        ),
        (
            "POST",
            "/api/queues/cleanup-queue/jobs/matching",
            Some(r#"{"state": "failed", "filter": {"colour": "red"}, "action": "retry"}"#),
            400,
        ),
        ("GET", "/api/throughput?minutes=1441", None, 400),
        ("GET", "/api/throughput?minutes=soon", None, 400),
        (
            "PUT",
            "/api/queues/cleanup-queue/jobs/1/data",
            Some("{not json"),
            400,
        ),
        (
            "PUT",
            "/api/queues/cleanup-queue/jobs/no-such-job/data",
            Some(r#"{"n": 1}"#),
            404,
        ),
        (
            "GET",
            "/api/queues/cleanup-queue?pageSize=100000",
            None,
            400,
        ),
        ("GET", "/api/queues/cleanup-queue?page=abc", None, 400),
        ("GET", "/api/queues/cleanup-queue/jobs/nope", None, 404),
        (
            "POST",
            "/api/queues/cleanup-queue/jobs/nope/retry",
            None,
            404,
        ),
        ("DELETE", "/api/queues/cleanup-queue/jobs/nope", None, 404),
        ("GET", "/api/queues/..%2F..%2Fetc%2Fpasswd", None, 400),
        (
            "POST",
            "/api/queues/..%2F..%2Fetc/jobs",
            Some(r#"{"name": "tick", "data": {}}"#),
            400,
        ),
        (
            "POST",
            "/api/schedules",
            Some(
                r#"{"name": "s", "schedule": "61 * * * *", "jobName": "tick", "queueName": "cleanup-queue"}"#,
            ),
            400,
        ),
        (
            "POST",
            "/api/schedules",
            Some(
                r#"{"name": "s", "schedule": "0 2 * * *", "jobName": "tick", "queueName": "cleanup-queue", "timezone": "Mars/Olympus"}"#,
            ),
            400,
        ),
        (
            "POST",
            "/api/schedules",
            Some(
                r#"{"name": "../x", "schedule": "0 2 * * *", "jobName": "tick", "queueName": "cleanup-queue"}"#,
            ),
            400,
        ),
        (
            "POST",
            "/api/schedules",
            Some(
                r#"{"name": "kept", "schedule": "0 2 * * *", "jobName": "tick", "queueName": "cleanup-queue"}"#,
            ),
            409,
        ),
        (
            "PATCH",
            "/api/schedules/kept",
            Some(r#"{"schedule": "* *"}"#),
            400,
        ),
        (
            "PATCH",
            "/api/schedules/missing",
            Some(r#"{"schedule": "0 3 * * *"}"#),
            404,
        ),
        ("GET", "/api/schedules/kept/preview?count=1000", None, 400),
        ("GET", "/api/schedule-preview?tz=UTC", None, 400),
        (
            "POST",
            "/api/dynamic-schedules",
            Some(
                r#"{"name": "d", "condition": {"type": "queue_size", "queueName": "q", "operator": "=>", "threshold": 1}, "action": {"jobName": "tick", "queueName": "cleanup-queue"}}"#,
            ),
            400,
        ),
        (
            "POST",
            "/api/dynamic-schedules",
            Some(
                r#"{"name": "d", "condition": {"type": "queue_size", "queueName": "q", "operator": ">", "threshold": -1}, "action": {"jobName": "tick", "queueName": "cleanup-queue"}}"#,
            ),
            400,
        ),
        (
            "POST",
            "/api/queues/scrapping-queue/jobs",
            Some(r#"{"name": "n", "data": {}}"#),
            400,
        ),
        (
            "POST",
            "/api/queues/scrapping-queue/jobs/bulk",
            Some(r#"[{"name": "n", "data": {}}]"#),
            400,
        ),
        ("POST", "/api/queues", Some(r#"{"name": "a:b"}"#), 400),
        ("POST", "/api/queues", Some(r#"{"name": "../../etc"}"#), 400),
        ("POST", "/api/queues", Some(r#"{"nam": "x"}"#), 400),
        (
            "POST",
            "/api/nodes/nope/commands",
            Some(r#"{"command": "explode"}"#),
            400,
        ),
        ("GET", "/api/products?page=0", None, 400),
        ("GET", "/api/products?page=18446744073709551615", None, 400),
        ("GET", "/api/products/export?format=xml", None, 400),
        ("GET", "/api/scaling/log?count=0", None, 400),
        ("GET", "/api/audit?limit=0", None, 400),
        ("GET", "/api/audit?limit=1001", None, 400),
        ("GET", "/api/audit?limit=many", None, 400),
        (
            "GET",
            "/api/queues/scraping-queue?order=sideways",
            None,
            400,
        ),
        ("PUT", "/api/stats", None, 405),
        ("DELETE", "/api/queues/cleanup-queue", None, 405),
        ("GET", "/api/nothing-here", None, 404),
        ("POST", "/queues/overview", Some("{}"), 405),
    ];
    assert!(cases.len() >= 30);
    for (method, path, body, want) in cases {
        let port = d.port();
        let head = format!(
            "{method} {path} HTTP/1.1\nHost: 127.0.0.1:{port}\nAuthorization: {}{}",
            auth(USER, PASS),
            if body.is_some() {
                "\nContent-Type: application/json"
            } else {
                ""
            }
        );
        let a = d.raw(&head, body.unwrap_or("").as_bytes()).await;
        assert_eq!(
            a.status,
            want,
            "{method} {path} {:?}: {}",
            body.map(|b| &b[..b.len().min(80)]),
            String::from_utf8_lossy(&a.body)
        );
        let v = a.json();
        assert!(
            v["error"]["code"].is_string() && v["error"]["message"].is_string(),
            "{method} {path}: {v}"
        );
    }
    let wrong_type = d
        .raw(&format!("POST /api/queues/cleanup-queue/jobs HTTP/1.1\nHost: 127.0.0.1:{}\nAuthorization: {}\nContent-Type: text/plain", d.port(), auth(USER, PASS)), br#"{"name":"tick"}"#)
        .await;
    assert_eq!(
        (
            wrong_type.status,
            wrong_type.json()["error"]["code"].as_str()
        ),
        (415, Some("unsupported_media_type"))
    );
    assert_eq!(d.key_count(), before, "refused requests wrote nothing");
    d.stop().await;
}

#[test]
fn exposing_the_dashboard_needs_a_real_password() {
    let config = |host: &str, password: &str| {
        let vars = vec![
            ("REDIS_URL", "redis://127.0.0.1:1"),
            ("QUEUE_DASHBOARD_HOST", host),
            ("QUEUE_DASHBOARD_PASSWORD", password),
        ];
        Config::load(&LoadOptions::from_vars(vars))
            .expect("config")
            .dashboard
    };
    for (host, password) in [
        ("0.0.0.0", ""),
        ("0.0.0.0", "admin123"),
        ("::", "admin123"),
        ("192.168.1.10", ""),
    ] {
        let e = antrian_server::check_exposure(&config(host, password))
            .expect_err(host)
            .to_string();
        assert!(
            e.contains("reachable from other machines") && e.contains("QUEUE_DASHBOARD_PASSWORD"),
            "{e}"
        );
    }
    assert!(antrian_server::check_exposure(&config("127.0.0.1", "")).is_ok());
    assert!(antrian_server::check_exposure(&config("0.0.0.0", "a real one")).is_ok());
}

#[tokio::test(flavor = "multi_thread")]
async fn the_job_type_catalogue_is_served_with_schemas_examples_and_defaults() {
    let d = Dashboard::start().await;
    let catalogue = d.get("/api/job-types").await;
    let types = catalogue["jobTypes"].as_array().expect("jobTypes");
    assert_eq!(types.len(), antrian_jobs::catalogue::job_types().len());
    let batch = types
        .iter()
        .find(|t| t["name"] == "batch-scraping")
        .expect("batch-scraping");
    assert_eq!(batch["queue"], "scraping-queue");
    assert_eq!(
        batch["schema"]["properties"]["type"]["enum"],
        json!(["product", "shop"])
    );
    assert!(batch["schema"]["required"]
        .as_array()
        .is_some_and(|r| r.contains(&json!("type"))));
    assert_eq!(batch["example"]["type"], "product");
    assert_eq!(
        catalogue["priorities"][0],
        json!({"name": "critical", "number": 10})
    );
    assert_eq!(catalogue["defaults"]["attempts"], 3);
    assert_eq!(catalogue["defaults"]["keepCompleted"], 50);
}

#[tokio::test]
async fn a_queue_is_created_before_it_takes_jobs() {
    let d = Dashboard::start().await;
    let refused = d
        .call(
            "POST",
            "/api/queues/my-queue/jobs",
            Some(json!({"name": "n", "data": {}})),
        )
        .await;
    assert_eq!(refused.status, 400);
    let message = refused.json()["error"]["message"].to_string();
    assert!(
        message.contains("there is no queue `my-queue`") && message.contains("POST /api/queues"),
        "{message}"
    );
    let checked = d
        .call(
            "POST",
            "/api/queues/my-queue/jobs/check",
            Some(json!({"name": "n", "data": {}})),
        )
        .await;
    assert_eq!(checked.status, 400, "the live check says so too");

    let created = d
        .call("POST", "/api/queues", Some(json!({"name": "my-queue"})))
        .await;
    assert_eq!(created.status, 201);
    assert_eq!(created.json()["created"], true);
    assert_eq!(created.json()["queue"]["name"], "my-queue");
    assert_eq!(created.json()["queue"]["waiting"], 0);
    let again = d
        .call("POST", "/api/queues", Some(json!({"name": "my-queue"})))
        .await;
    assert_eq!(
        (again.status, again.json()["created"].clone()),
        (200, json!(false))
    );

    d.post(
        "/api/queues/my-queue/jobs",
        json!({"name": "n", "data": {}}),
    )
    .await;
    let listed = d.get("/api/queues").await;
    let mine = listed
        .as_array()
        .expect("queues")
        .iter()
        .find(|q| q["name"] == "my-queue")
        .expect("my-queue listed");
    assert_eq!(mine["waiting"], 1);
    d.stop().await;
}

/// `/api/health` as a probe reads it: the status code alone says whether to act.
#[tokio::test]
async fn health_is_503_while_redis_is_down_and_200_once_it_is_back() {
    use antrian_core::connection::status::ConnectionState;
    let mut d = Dashboard::start().await;
    let first = d.call("GET", "/api/health", None).await;
    assert_eq!(
        first.status,
        200,
        "{}",
        String::from_utf8_lossy(&first.body)
    );
    let mut changes = d.rt.as_ref().expect("runtime").handle().status_changes();
    d.redis.kill();
    reached(&mut changes, |s| s != ConnectionState::Connected).await;
    let down = d.call("GET", "/api/health", None).await;
    assert_eq!(down.status, 503, "{}", String::from_utf8_lossy(&down.body));
    assert_eq!(down.json()["status"], "unhealthy");
    assert!(
        down.json()["reasons"].to_string().contains("Redis at"),
        "the body says why: {}",
        down.json()
    );
    d.redis.restart();
    reached(&mut changes, |s| s == ConnectionState::Connected).await;
    let back = d.call("GET", "/api/health", None).await;
    assert_eq!(back.status, 200, "{}", String::from_utf8_lossy(&back.body));
    d.stop().await;
}

/// Waits (30 s at most) until the runtime's connection state satisfies `want`.
async fn reached(
    changes: &mut tokio::sync::watch::Receiver<antrian_core::connection::status::ConnectionStatus>,
    want: impl Fn(antrian_core::connection::status::ConnectionState) -> bool,
) {
    tokio::time::timeout(
        std::time::Duration::from_secs(30),
        changes.wait_for(|s| want(s.state)),
    )
    .await
    .expect("the connection monitor noticed within 30 s")
    .expect("status board open");
}

/// The export streams every product through a bounded pipe: more products than one read
/// of the store (500) and more bytes than the pipe holds (256 KiB), so the export has to
/// wait for the client between chunks, and still every product arrives, in both formats.
#[tokio::test(flavor = "multi_thread")]
async fn the_product_export_streams_every_product_in_both_formats() {
    use antrian_core::store::{ProductRecord, ProductStore};
    let d = Dashboard::start().await;
    let store = ProductStore::new(d.rt.as_ref().expect("runtime").connection().clone());
    let count = 2_400;
    let products: Vec<ProductRecord> = (0..count)
        .map(|i| {
            serde_json::from_value(json!({
                "productId": format!("p{i:05}"),
                "name": format!("Kopi susu {i} {}", "gula aren ".repeat(12)),
                "price": 15_000 + i,
                "currency": "IDR",
                "url": format!("https://shop.example/p/{i}"),
            }))
            .expect("a product")
        })
        .collect();
    store.save(&products).await.expect("saved");

    let csv = d.call("GET", "/api/products/export?format=csv", None).await;
    assert_eq!(csv.status, 200);
    assert_eq!(csv.header("content-type"), Some("text/csv; charset=utf-8"));
    assert!(csv.body.len() > 256 * 1024, "{} bytes", csv.body.len());
    let text = String::from_utf8(csv.body).expect("utf-8");
    let rows: Vec<&str> = text.lines().collect();
    assert_eq!(rows.len(), count + 1, "a header and one row per product");
    assert!(rows[1].starts_with("p00000,"), "{}", rows[1]);
    assert!(rows[count].starts_with("p02399,"), "{}", rows[count]);

    let json = d
        .call("GET", "/api/products/export?format=json", None)
        .await;
    assert_eq!(json.status, 200);
    let all: Vec<ProductRecord> = serde_json::from_slice(&json.body).expect("a JSON array");
    assert_eq!(all.len(), count);
    assert_eq!(all[count - 1].product_id, "p02399");
    d.stop().await;
}
