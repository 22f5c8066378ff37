//! A Node.js BullMQ 6 worker (`tests/node/worker.mjs`) for interop tests: its JSON event
//! lines (`ready`, `processing`, `completed`, `failed`) read on a thread, waited on with a
//! deadline. The Node side is installed by `make test` (`npm ci --prefix tests/node`).

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;

/// How long [`NodeWorker::wait`] waits for a line.
const TIMEOUT: Duration = Duration::from_secs(30);

/// The folder of the Node.js peers (`tests/node`).
///
/// # Panics
/// When its npm packages are not installed.
pub fn node_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/node");
    assert!(
        dir.join("node_modules/bullmq").is_dir(),
        "bullmq is not installed for the interop tests: run `npm ci --prefix tests/node` (make test does)"
    );
    dir
}

/// A running `worker.mjs`, killed when dropped.
#[derive(Debug)]
pub struct NodeWorker {
    child: Child,
    lines: mpsc::Receiver<Value>,
    seen: Vec<Value>,
}

impl NodeWorker {
    /// A worker on `queue` at `url` (or `cluster:host:port,…` for a Redis Cluster), with
    /// extra environment (`BULL_PREFIX`, `WORKER_CONCURRENCY`); returns once it is ready.
    ///
    /// # Panics
    /// When `node` cannot be started or the worker is not ready within 30 s.
    pub fn start(url: &str, queue: &str, env: &[(&str, &str)]) -> Self {
        let dir = node_dir();
        let mut child = Command::new("node")
            .arg(dir.join("worker.mjs"))
            .args([url, queue])
            .envs(env.iter().copied())
            .current_dir(&dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start node (install Node.js 20+)");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Ok(v) = serde_json::from_str::<Value>(&line) {
                    if tx.send(v).is_err() {
                        break;
                    }
                }
            }
        });
        let mut worker = Self {
            child,
            lines,
            seen: Vec::new(),
        };
        worker.wait(|e| e["event"] == "ready", "ready");
        worker
    }

    /// The first event line matching `pred`, already seen or waited for.
    ///
    /// # Panics
    /// When none comes within 30 s (with every line seen).
    pub fn wait(&mut self, pred: impl Fn(&Value) -> bool, what: &str) -> Value {
        if let Some(v) = self.seen.iter().find(|v| pred(v)) {
            return v.clone();
        }
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(v) => {
                    self.seen.push(v.clone());
                    if pred(&v) {
                        return v;
                    }
                }
                Err(_) => panic!(
                    "node worker: no {what} within {TIMEOUT:?}; saw {:#?}",
                    self.seen
                ),
            }
        }
    }

    /// Every event line seen so far.
    pub fn seen(&self) -> &[Value] {
        &self.seen
    }

    /// Every event line that arrives within `window` (for checking that nothing happens).
    pub fn quiet_for(&mut self, window: Duration) -> Vec<Value> {
        let mut got = Vec::new();
        let deadline = Instant::now() + window;
        while let Ok(v) = self
            .lines
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
        {
            got.push(v);
        }
        got
    }
}

impl Drop for NodeWorker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
