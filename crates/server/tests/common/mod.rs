//! What the dashboard tests share: a real server on a free port over a runtime on a test's
//! own redis-server with a cleanup pool (`tick` completes, `boom` fails for good, `hold`
//! waits for a permit), and a raw HTTP/1.1 client.
#![allow(dead_code)] // each test binary uses a part

use std::sync::Arc;
use std::time::Duration;

use antrian_core::config::{Config, LoadOptions};
use antrian_core::runtime::{Services, WorkerPlan};
use antrian_core::worker::{handler_fn, JobContext, JobError, Registry, WorkerType};
use antrian_core::{CancellationToken, Runtime};
use antrian_server::Server;
use antrian_testkit::TestRedis;
use base64::Engine;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::Semaphore;

pub const USER: &str = "admin";
pub const PASS: &str = "correct horse battery staple";
pub const WAIT: Duration = Duration::from_secs(30);

pub struct Dashboard {
    pub redis: TestRedis,
    pub rt: Option<Runtime>,
    server: Option<Server>,
    cancel: CancellationToken,
    _dir: tempfile::TempDir,
    pub gate: Arc<Semaphore>,
}

/// A raw answer.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

pub fn auth(user: &str, pass: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"))
    )
}

impl Dashboard {
    pub async fn start() -> Self {
        let redis = TestRedis::start();
        let dir = tempfile::tempdir().expect("tempdir");
        let data = dir.path().display().to_string();
        let url = redis.url();
        let config = Config::load(&LoadOptions::from_vars(vec![
            ("REDIS_URL", url.as_str()),
            ("ANTRIAN_DATA_DIR", data.as_str()),
            ("QUEUE_AUTO_SCALING", "false"),
            ("QUEUE_DASHBOARD_PORT", "0"),
            ("QUEUE_DASHBOARD_USERNAME", USER),
            ("QUEUE_DASHBOARD_PASSWORD", PASS),
        ]))
        .expect("config");
        let cancel = CancellationToken::new();
        let board = Runtime::status_board(&config);
        let mut rt = Runtime::start(config, board, cancel.clone(), Services::Full)
            .await
            .expect("runtime");
        let gate = Arc::new(Semaphore::new(0));
        let g = gate.clone();
        let mut registry = Registry::new();
        registry
            .register(
                WorkerType::Cleanup,
                "tick",
                handler_fn(|ctx: JobContext| async move { Ok(json!({"ran": ctx.id()})) }),
            )
            .register(
                WorkerType::Cleanup,
                "boom",
                handler_fn(
                    |_ctx: JobContext| async move { Err(JobError::discard("boom on purpose")) },
                ),
            )
            .register(
                WorkerType::Cleanup,
                "hold",
                handler_fn(move |_ctx: JobContext| {
                    let g = g.clone();
                    async move {
                        g.acquire()
                            .await
                            .map_err(|e| JobError::retry(e.to_string()))?
                            .forget();
                        Ok(json!({}))
                    }
                }),
            );
        rt.start_workers(
            registry,
            &WorkerPlan {
                types: vec![WorkerType::Cleanup],
                ..WorkerPlan::default()
            },
        )
        .await
        .expect("workers");
        let dashboard = rt.config().dashboard.clone();
        let server = Server::start(rt.handle(), &dashboard, cancel.clone())
            .await
            .expect("server");
        Self {
            redis,
            rt: Some(rt),
            server: Some(server),
            cancel,
            _dir: dir,
            gate,
        }
    }

    pub fn port(&self) -> u16 {
        self.server.as_ref().expect("running").addr().port()
    }

    /// Sends `head` (request line and headers, no blank line) and `body`; reads the whole
    /// answer (the connection is closed after it).
    pub async fn raw(&self, head: &str, body: &[u8]) -> Answer {
        let s = TcpStream::connect(("127.0.0.1", self.port()))
            .await
            .expect("connect");
        let mut req = head.replace('\n', "\r\n");
        req.push_str(&format!(
            "\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        ));
        // Written while the answer is read: a server refusing an oversized body answers
        // before it has read it all, then closes (the rest of the write then fails).
        let (mut rd, mut wr) = s.into_split();
        let mut bytes = req.into_bytes();
        bytes.extend_from_slice(body);
        let writer = tokio::spawn(async move {
            let _ = wr.write_all(&bytes).await;
            wr
        });
        let mut raw = Vec::new();
        let mut buf = vec![0u8; 65536];
        loop {
            match rd.read(&mut buf).await {
                Ok(0) => break,
                Ok(n) => raw.extend_from_slice(&buf[..n]),
                // A reset after the answer arrived ends it like a close.
                Err(_) if !raw.is_empty() => break,
                Err(e) => panic!("read: {e}"),
            }
        }
        drop(writer.await);
        parse(&raw)
    }

    pub async fn call(&self, method: &str, path: &str, body: Option<Value>) -> Answer {
        let port = self.port();
        let (ctype, bytes) = match &body {
            Some(v) => (
                "\nContent-Type: application/json",
                v.to_string().into_bytes(),
            ),
            None => ("", Vec::new()),
        };
        self.raw(
            &format!(
                "{method} {path} HTTP/1.1\nHost: 127.0.0.1:{port}\nAuthorization: {}{ctype}",
                auth(USER, PASS)
            ),
            &bytes,
        )
        .await
    }

    pub async fn get(&self, path: &str) -> Value {
        let a = self.call("GET", path, None).await;
        assert_eq!(
            a.status,
            200,
            "GET {path}: {}",
            String::from_utf8_lossy(&a.body)
        );
        a.json()
    }

    pub async fn post(&self, path: &str, body: Value) -> Value {
        let a = self.call("POST", path, Some(body)).await;
        assert!(
            (200..300).contains(&a.status),
            "POST {path}: {} {}",
            a.status,
            String::from_utf8_lossy(&a.body)
        );
        a.json()
    }

    pub fn key_count(&self) -> u64 {
        redis::cmd("DBSIZE")
            .query(&mut self.redis.connection())
            .expect("DBSIZE")
    }

    pub async fn stop(mut self) {
        self.gate.add_permits(1000);
        self.cancel.cancel();
        if let Some(server) = self.server.take() {
            server.stopped().await;
        }
        if let Some(rt) = self.rt.take() {
            rt.shutdown().await;
        }
    }
}

pub fn parse(raw: &[u8]) -> Answer {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no header end: {}", String::from_utf8_lossy(raw)));
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let mut lines = head.split("\r\n");
    let status: u16 = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .expect("status");
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let mut body = raw[split + 4..].to_vec();
    if headers
        .iter()
        .any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"))
    {
        body = dechunk(&body);
    }
    Answer {
        status,
        headers,
        body,
    }
}

fn dechunk(mut raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(end) = raw.windows(2).position(|w| w == b"\r\n") {
        let size =
            usize::from_str_radix(String::from_utf8_lossy(&raw[..end]).trim(), 16).unwrap_or(0);
        if size == 0 {
            break;
        }
        out.extend_from_slice(&raw[end + 2..end + 2 + size]);
        raw = &raw[end + 2 + size + 2..];
    }
    out
}
