//! Test-only infrastructure for Antrian's tests.
//!
//! - [`TestRedis`]: a `redis-server` of the test's own, on a free port with a temporary
//!   directory; never 6379, never FLUSHDB, so tests run in parallel.
//! - [`wait_for`] / [`wait_for_watch`]: wait on an event stream with a timeout instead of
//!   sleeping.
//! - [`free_port`]: a port nothing listens on right now.
//! - [`smtp::SmtpServer`]: a real SMTP server (aiosmtpd) whose received mail tests read.
//! - [`fixture::FixtureSite`]: a local web site for scraping tests (pages, a marketplace
//!   API, a seller endpoint behind a session, misbehaving routes), logging every request.
//! - [`dbus`]: a private D-Bus session with a notification server and a tray host.
//! - [`node`]: a Node.js BullMQ 6 worker for the interop tests.
//! - [`cluster::TestCluster`]: a Redis Cluster of test-owned servers, with failover.

pub mod cluster;
pub mod dbus;
pub mod fixture;
pub mod node;
pub mod smtp;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tokio::sync::{broadcast, watch};

/// How long a fresh `redis-server` may take to answer PING.
const START_TIMEOUT: Duration = Duration::from_secs(10);

/// Options for [`TestRedis::start_with`].
#[derive(Debug, Clone, Default)]
pub struct RedisOptions {
    /// Turn the append-only file on (fault tests that restart Redis and expect data back).
    pub aof: bool,
    /// Require this password.
    pub password: Option<String>,
    /// Extra `--name value` arguments.
    pub args: Vec<(String, String)>,
    /// Listen on this port instead of a free one (a test that starts Redis late).
    pub port: Option<u16>,
}

/// A `redis-server` owned by one test. Dropping it stops the server.
#[derive(Debug)]
pub struct TestRedis {
    child: Option<Child>,
    port: u16,
    dir: tempfile::TempDir,
    opts: RedisOptions,
}

impl TestRedis {
    /// Starts a server with no persistence.
    ///
    /// # Panics
    /// When `redis-server` is missing (with the command that installs it) or does not start
    /// (with its log).
    pub fn start() -> Self {
        Self::start_with(RedisOptions::default())
    }

    /// Starts a server with the given options.
    ///
    /// # Panics
    /// As [`TestRedis::start`].
    pub fn start_with(opts: RedisOptions) -> Self {
        let mut last_error = String::new();
        // A free port can be taken between our check and the server's bind: try a few.
        for _ in 0..5 {
            let mut redis = Self {
                child: None,
                port: opts.port.unwrap_or_else(free_port),
                dir: tempfile::tempdir().expect("create a temp dir for redis-server"),
                opts: opts.clone(),
            };
            match redis.spawn() {
                Ok(()) => return redis,
                Err(e) if e.contains("Address already in use") => last_error = e,
                Err(e) => panic!("{e}"),
            }
        }
        panic!("redis-server could not bind a free port: {last_error}");
    }

    fn spawn(&mut self) -> Result<(), String> {
        let log = self.log_path();
        let mut cmd = Command::new("redis-server");
        cmd.args(["--port", &self.port.to_string()])
            .args(["--bind", "127.0.0.1"])
            .args(["--dir", &self.dir.path().display().to_string()])
            .args(["--logfile", &log.display().to_string()])
            .args(["--save", ""])
            .args(["--appendonly", if self.opts.aof { "yes" } else { "no" }])
            .args(["--daemonize", "no"]);
        if let Some(pw) = &self.opts.password {
            cmd.args(["--requirepass", pw]);
        }
        for (name, value) in &self.opts.args {
            cmd.arg(format!("--{name}")).arg(value);
        }
        cmd.stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let mut child = match cmd.spawn() {
            Ok(c) => c,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => panic!(
                "redis-server is not installed; tests need it. Install it with `sudo apt-get install redis-server` (or run `make test`, which does)"
            ),
            Err(e) => panic!("cannot start redis-server: {e}"),
        };
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                let log = std::fs::read_to_string(&log).unwrap_or_default();
                return Err(format!(
                    "redis-server exited with {status} at start; its log:\n{log}"
                ));
            }
            if self.ping() {
                self.child = Some(child);
                return Ok(());
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let log = std::fs::read_to_string(&log).unwrap_or_default();
                return Err(format!(
                    "redis-server did not answer PING within {START_TIMEOUT:?}; its log:\n{log}"
                ));
            }
            // Readiness probe of a child process: redis-server has no other ready signal.
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    fn ping(&self) -> bool {
        let Ok(client) = redis::Client::open(self.url()) else {
            return false;
        };
        let Ok(mut conn) = client.get_connection_with_timeout(Duration::from_millis(200)) else {
            return false;
        };
        redis::cmd("PING").query::<String>(&mut conn).is_ok()
    }

    /// `redis://[:password@]127.0.0.1:port`.
    pub fn url(&self) -> String {
        match &self.opts.password {
            Some(pw) => format!("redis://:{pw}@127.0.0.1:{}", self.port),
            None => format!("redis://127.0.0.1:{}", self.port),
        }
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Its data directory.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    fn log_path(&self) -> PathBuf {
        self.dir.path().join("redis.log")
    }

    /// Its log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.log_path()).unwrap_or_default()
    }

    /// A blocking connection for test set-up and assertions.
    ///
    /// # Panics
    /// When the server does not answer.
    pub fn connection(&self) -> redis::Connection {
        redis::Client::open(self.url())
            .and_then(|c| c.get_connection())
            .expect("connect to the test redis-server")
    }

    /// Every key with its serialised value (`DUMP`), sorted: compare two snapshots to prove
    /// a refused call wrote nothing.
    ///
    /// # Panics
    /// When the server does not answer.
    pub fn snapshot(&self) -> Vec<(String, String)> {
        let mut conn = self.connection();
        let mut names: Vec<String> = redis::cmd("KEYS").arg("*").query(&mut conn).expect("KEYS");
        names.sort();
        names
            .into_iter()
            .map(|k| {
                let dump: Vec<u8> = redis::cmd("DUMP").arg(&k).query(&mut conn).expect("DUMP");
                (k, format!("{dump:?}"))
            })
            .collect()
    }

    /// Kills the server with SIGKILL (no AOF flush beyond what `appendfsync` did).
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server again on the same port and directory (after [`TestRedis::kill`]).
    ///
    /// # Panics
    /// When it does not come back.
    pub fn restart(&mut self) {
        self.kill();
        if let Err(e) = self.spawn() {
            panic!("redis-server did not restart: {e}");
        }
    }
}

impl Drop for TestRedis {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A TCP port on 127.0.0.1 that nothing listens on at the moment of the call.
///
/// # Panics
/// When the OS has no free port.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("bind an ephemeral port")
}

/// Waits until an event matching `pred` arrives on `rx`, or panics after `timeout`.
///
/// # Panics
/// On timeout or when the channel closes first.
pub async fn wait_for<T: Clone>(
    rx: &mut broadcast::Receiver<T>,
    timeout: Duration,
    mut pred: impl FnMut(&T) -> bool,
) -> T {
    let found = tokio::time::timeout(timeout, async {
        loop {
            match rx.recv().await {
                Ok(ev) if pred(&ev) => return ev,
                Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(broadcast::error::RecvError::Closed) => {
                    panic!("event stream closed before the expected event")
                }
            }
        }
    })
    .await;
    found.unwrap_or_else(|_| panic!("no matching event within {timeout:?}"))
}

/// Waits until the watched value satisfies `pred`, or panics after `timeout`.
///
/// # Panics
/// On timeout or when the sender is dropped first.
pub async fn wait_for_watch<T: Clone>(
    rx: &mut watch::Receiver<T>,
    timeout: Duration,
    pred: impl FnMut(&T) -> bool,
) -> T {
    match tokio::time::timeout(timeout, rx.wait_for(pred)).await {
        Ok(Ok(v)) => v.clone(),
        Ok(Err(_)) => panic!("watched value's sender dropped before it matched"),
        Err(_) => panic!("watched value did not match within {timeout:?}"),
    }
}

/// Whether a process runs (a zombie does not count): for tests that check no child
/// outlives its parent. Reads `/proc`, so Linux only.
pub fn process_alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|stat| {
            // The state letter follows the parenthesised command name.
            !stat
                .rsplit(')')
                .next()
                .unwrap_or("")
                .trim_start()
                .starts_with('Z')
        })
        .unwrap_or(false)
}

/// Starts a TCP server on a free port that answers every connection like an HTTP server
/// ("reachable but not Redis" tests); returns the port. It serves until the test process
/// exits.
pub fn not_redis_server() -> u16 {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("local addr").port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { continue };
            let mut buf = [0u8; 512];
            let _ = s.read(&mut buf);
            let _ = s.write_all(
                b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            );
        }
    });
    port
}
