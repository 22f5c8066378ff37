//! What the `antrian` binary tests share: a command with a clean environment, children
//! killed when a test fails, and their log lines read on a thread.
#![allow(dead_code)] // each test binary uses a part

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// A command with a clean environment: no user config, no `.env`, data in `dir`.
pub fn antrian(dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_antrian"));
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", dir)
        .env("XDG_CONFIG_HOME", dir.join("config"))
        .env("ANTRIAN_DATA_DIR", dir.join("data"))
        .env("NO_COLOR", "1")
        // `start` serves the dashboard: on any free port, so tests can run side by side.
        .env("QUEUE_DASHBOARD_PORT", "0")
        .current_dir(dir);
    cmd
}

pub fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("run antrian")
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Kills the child if a test fails before it exits, so no `antrian` outlives its test.
pub struct Running(pub Child);

impl Drop for Running {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

pub fn spawn(cmd: &mut Command) -> (Running, Logs) {
    let mut child = cmd.stderr(Stdio::piped()).spawn().expect("spawn antrian");
    let logs = Logs::of(&mut child);
    (Running(child), logs)
}

/// Reads the child's stderr on a thread; `wait_line` waits for a line containing `needle`.
pub struct Logs {
    rx: mpsc::Receiver<String>,
    pub seen: Vec<String>,
}

impl Logs {
    pub fn of(child: &mut Child) -> Self {
        Self::of_all(&mut [child])
    }

    /// The lines of several children, interleaved as they come.
    pub fn of_all(children: &mut [&mut Child]) -> Self {
        let (tx, rx) = mpsc::channel();
        for child in children {
            let stderr = child.stderr.take().expect("piped stderr");
            let tx = tx.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                    if tx.send(line).is_err() {
                        break;
                    }
                }
            });
        }
        Self {
            rx,
            seen: Vec::new(),
        }
    }

    /// A line containing `needle` among those read so far, or the next one that does:
    /// for lines whose order against others is not fixed (a background task's).
    pub fn seen_or_wait(&mut self, needle: &str) -> String {
        match self.seen.iter().find(|l| l.contains(needle)) {
            Some(line) => line.clone(),
            None => self.wait_line(needle),
        }
    }

    pub fn wait_line(&mut self, needle: &str) -> String {
        loop {
            match self.rx.recv_timeout(Duration::from_secs(20)) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if line.contains(needle) {
                        return line;
                    }
                }
                Err(_) => panic!(
                    "no line containing {needle:?}; output so far:\n{}",
                    self.seen.join("\n")
                ),
            }
        }
    }
}

pub fn terminate(child: &mut Running) -> std::process::ExitStatus {
    Command::new("kill")
        .args(["-TERM", &child.0.id().to_string()])
        .status()
        .expect("send SIGTERM");
    child.0.wait().expect("wait for antrian")
}

/// One request to a dashboard's API as `admin:s3cret` (node_command's password): the
/// status and the JSON body, or `None` when the dashboard does not answer.
pub fn api(
    addr: &str,
    method: &str,
    path: &str,
    body: Option<&serde_json::Value>,
) -> Option<(u16, serde_json::Value)> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(60))).ok()?;
    let body = body.map(ToString::to_string).unwrap_or_default();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Basic YWRtaW46czNjcmV0\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .ok()?;
    let mut answer = String::new();
    s.read_to_string(&mut answer).ok()?;
    let status = answer.split_whitespace().nth(1)?.parse().ok()?;
    let json = serde_json::from_str(answer.split("\r\n\r\n").nth(1).unwrap_or_default())
        .unwrap_or(serde_json::Value::Null);
    Some((status, json))
}

/// The dashboard's address from a node's `dashboard listening on http://…` log line.
pub fn dashboard_address(logs: &mut Logs) -> String {
    let line = logs.seen_or_wait("dashboard listening on http://");
    line.split("http://")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .expect("address")
        .to_string()
}
