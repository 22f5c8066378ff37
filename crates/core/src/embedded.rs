//! The embedded Redis: with no Redis configured, Antrian runs and supervises its own
//! `redis-server` child (DESIGN.md decision 3).
//!
//! Layout of `<data dir>/redis/`: `redis.conf` and `password` (both 0600, the password is
//! generated once and kept), `appendonlydir/` (AOF), `redis.log`, `antrian.lock` (held by the
//! supervising process for its lifetime) and `endpoint` (the port in use).
//!
//! Sequence: lock → password → port → config → spawn → wait for PING → supervise. If the
//! child dies it is restarted on the same port with capped backoff, so clients reconnect by
//! themselves. Shutdown sends `SHUTDOWN` (Redis flushes the AOF), waits, then kills.
//!
//! A second Antrian process on the same data dir (the desktop app and `antrian start`, say)
//! finds the lock taken and attaches to the running server instead of starting another one
//! on the same files.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::process::{Child, Command};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::error::{Error, Result};

/// How long a fresh `redis-server` may take to answer PING.
const READY_TIMEOUT: Duration = Duration::from_secs(10);
/// How long `SHUTDOWN` may take before the child is killed.
const STOP_TIMEOUT: Duration = Duration::from_secs(10);
/// Longest wait between two restarts of a crashing child.
const MAX_RESTART_BACKOFF: Duration = Duration::from_secs(30);

/// What the embedded server needs to know.
#[derive(Debug, Clone)]
pub struct EmbeddedOptions {
    /// Its directory (`<data dir>/redis`).
    pub dir: PathBuf,
    /// Port on 127.0.0.1, 0 for any free port.
    pub port: u16,
    /// The `redis-server` binary.
    pub binary: String,
}

/// A running embedded Redis, owned by this process or attached to from another one.
#[derive(Debug)]
pub struct EmbeddedRedis {
    /// `redis://:password@127.0.0.1:port`.
    url: String,
    /// The port it listens on.
    port: u16,
    /// Present when this process supervises the server.
    supervisor: Option<Supervisor>,
}

/// What the supervisor has seen of its child, for the UI and for tests to wait on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ChildState {
    /// Process id of the current `redis-server`.
    pub pid: Option<u32>,
    /// How many times it was restarted after dying.
    pub restarts: u64,
}

#[derive(Debug)]
struct Supervisor {
    cancel: CancellationToken,
    task: JoinHandle<()>,
    state: watch::Receiver<ChildState>,
    /// The endpoint file, removed once the server has stopped.
    endpoint: PathBuf,
    /// Held for the supervisor's lifetime; released when dropped.
    _lock: File,
}

impl EmbeddedRedis {
    /// Starts (or attaches to) the embedded server and waits until it answers PING.
    pub async fn start(opts: &EmbeddedOptions) -> Result<Self> {
        std::fs::create_dir_all(&opts.dir).map_err(|source| Error::DirNotWritable {
            path: opts.dir.clone(),
            source,
        })?;
        let lock = open_private(&opts.dir.join("antrian.lock"), false).map_err(|source| {
            Error::DirNotWritable {
                path: opts.dir.clone(),
                source,
            }
        })?;
        if lock.try_lock().is_err() {
            return Self::attach(&opts.dir).await;
        }
        // Only the lock holder writes the password and the endpoint; a stale endpoint from
        // an earlier run must not send an attaching process to the wrong port.
        let endpoint = opts.dir.join("endpoint");
        let _ = std::fs::remove_file(&endpoint);
        let password = password(&opts.dir)?;
        let mut spawned = None;
        for _ in 0..3 {
            let port = choose_port(opts.port)?;
            let server = Server {
                dir: opts.dir.clone(),
                binary: opts.binary.clone(),
                port,
                password: password.clone(),
            };
            match server.spawn_ready().await {
                // Another process took the free port between our check and the child's bind:
                // pick again, unless the user asked for this port.
                Err(Error::PortInUse { .. }) if opts.port == 0 => continue,
                Err(e) => return Err(e),
                Ok(child) => {
                    spawned = Some((server, child));
                    break;
                }
            }
        }
        let Some((server, child)) = spawned else {
            return Err(Error::EmbeddedStart {
                reason: "no free port could be bound after 3 tries".into(),
                log_tail: String::new(),
            });
        };
        std::fs::write(&endpoint, server.port.to_string())
            .map_err(|e| Error::io("writing the embedded Redis endpoint file", e))?;
        let url = server.url();
        let port = server.port;
        let cancel = CancellationToken::new();
        let (state_tx, state) = watch::channel(ChildState {
            pid: child.id(),
            restarts: 0,
        });
        let task = tokio::spawn(supervise(server, child, cancel.clone(), state_tx));
        tracing::info!(port, dir = %opts.dir.display(), "embedded redis-server started");
        Ok(Self {
            url,
            port,
            supervisor: Some(Supervisor {
                cancel,
                task,
                state,
                endpoint,
                _lock: lock,
            }),
        })
    }

    /// Another process holds the lock: wait for it to publish its port, then use its server.
    async fn attach(dir: &Path) -> Result<Self> {
        let deadline = Instant::now() + READY_TIMEOUT;
        let (port, password) = loop {
            let port = std::fs::read_to_string(dir.join("endpoint"))
                .ok()
                .and_then(|s| s.trim().parse::<u16>().ok());
            let password = std::fs::read_to_string(dir.join("password")).ok();
            if let (Some(port), Some(password)) = (port, password) {
                break (port, password.trim().to_string());
            }
            if Instant::now() > deadline {
                return Err(Error::EmbeddedStart {
                    reason: format!(
                        "another Antrian process holds {} but published no port within {READY_TIMEOUT:?}",
                        dir.join("antrian.lock").display()
                    ),
                    log_tail: String::new(),
                });
            }
            // The owner is still starting its server; it writes the endpoint when ready.
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        let url = format!("redis://:{password}@127.0.0.1:{port}");
        tracing::info!(
            port,
            "attached to the embedded redis-server of another Antrian process"
        );
        Ok(Self {
            url,
            port,
            supervisor: None,
        })
    }

    /// The URL clients connect with (contains the password).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Whether this process supervises the server (false when attached to another's).
    pub fn is_owner(&self) -> bool {
        self.supervisor.is_some()
    }

    /// The supervised child's state; `None` when attached to another process' server.
    pub fn child_state(&self) -> Option<watch::Receiver<ChildState>> {
        self.supervisor.as_ref().map(|s| s.state.clone())
    }

    /// Stops the server cleanly (when this process owns it) and waits for it to exit.
    pub async fn shutdown(self) {
        if let Some(s) = self.supervisor {
            s.cancel.cancel();
            let _ = s.task.await;
            let _ = std::fs::remove_file(&s.endpoint);
        }
    }
}

/// One `redis-server` configuration; spawned again on the same port after a crash.
#[derive(Debug)]
struct Server {
    dir: PathBuf,
    binary: String,
    port: u16,
    password: String,
}

impl Server {
    fn url(&self) -> String {
        format!("redis://:{}@127.0.0.1:{}", self.password, self.port)
    }

    fn log_path(&self) -> PathBuf {
        self.dir.join("redis.log")
    }

    /// The password goes into a 0600 file, not onto the command line where `ps` shows it.
    fn write_conf(&self) -> Result<PathBuf> {
        let path = self.dir.join("redis.conf");
        let conf = format!(
            "# Written by Antrian at every start; edits are overwritten.\n\
             bind 127.0.0.1\nport {port}\nprotected-mode yes\ndaemonize no\n\
             dir \"{dir}\"\nlogfile \"{log}\"\n\
             appendonly yes\nappendfsync everysec\nsave \"\"\n\
             maxmemory-policy noeviction\nrequirepass \"{pw}\"\n",
            port = self.port,
            dir = self.dir.display(),
            log = self.log_path().display(),
            pw = self.password,
        );
        let mut file = open_private(&path, true).map_err(|source| Error::DirNotWritable {
            path: self.dir.clone(),
            source,
        })?;
        file.write_all(conf.as_bytes())
            .map_err(|source| Error::DirNotWritable {
                path: self.dir.clone(),
                source,
            })?;
        Ok(path)
    }

    async fn spawn_ready(&self) -> Result<Child> {
        let conf = self.write_conf()?;
        let log_start = std::fs::metadata(self.log_path()).map_or(0, |m| m.len());
        let mut cmd = Command::new(&self.binary);
        cmd.arg(&conf)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        die_with_parent(&mut cmd);
        let mut child = cmd.spawn().map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => Error::RedisServerMissing {
                binary: self.binary.clone(),
            },
            _ => Error::io(format!("starting {}", self.binary), e),
        })?;
        let deadline = Instant::now() + READY_TIMEOUT;
        let client = redis::Client::open(self.url())?;
        loop {
            if let Some(status) = child
                .try_wait()
                .map_err(|e| Error::io("waiting for redis-server", e))?
            {
                let mut tail = self.log_since(log_start);
                if let Some(mut stderr) = child.stderr.take() {
                    use tokio::io::AsyncReadExt;
                    let mut err = String::new();
                    let _ = stderr.read_to_string(&mut err).await;
                    tail.push_str(&err);
                }
                if tail.contains("Address already in use") {
                    return Err(Error::PortInUse { port: self.port });
                }
                return Err(Error::EmbeddedStart {
                    reason: format!("redis-server exited with {status}"),
                    log_tail: tail,
                });
            }
            if ping(&client).await {
                return Ok(child);
            }
            if Instant::now() > deadline {
                let _ = child.kill().await;
                return Err(Error::EmbeddedStart {
                    reason: format!("no answer to PING within {READY_TIMEOUT:?}"),
                    log_tail: self.log_since(log_start),
                });
            }
            // Readiness probe of a child process (not a test waiting on async work): Redis
            // offers no readiness signal other than answering.
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    fn log_since(&self, offset: u64) -> String {
        let text = std::fs::read(self.log_path()).unwrap_or_default();
        let from = usize::try_from(offset).unwrap_or(0).min(text.len());
        let text = String::from_utf8_lossy(&text[from..]).to_string();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(15)..].join("\n")
    }

    /// Asks Redis to flush its AOF and exit; kills it if it does not within the timeout.
    async fn stop(&self, child: &mut Child) {
        if let Ok(client) = redis::Client::open(self.url()) {
            if let Ok(mut conn) = client.get_multiplexed_async_connection().await {
                // The reply never comes: the server closes the connection as it exits.
                let _: redis::RedisResult<()> = redis::cmd("SHUTDOWN").query_async(&mut conn).await;
            }
        }
        match tokio::time::timeout(STOP_TIMEOUT, child.wait()).await {
            Ok(_) => tracing::info!(port = self.port, "embedded redis-server stopped"),
            Err(_) => {
                tracing::warn!("embedded redis-server ignored SHUTDOWN; killing it");
                let _ = child.kill().await;
            }
        }
    }
}

async fn ping(client: &redis::Client) -> bool {
    let config = redis::AsyncConnectionConfig::new()
        .set_connection_timeout(Some(Duration::from_millis(200)))
        .set_response_timeout(Some(Duration::from_millis(500)));
    match client
        .get_multiplexed_async_connection_with_config(&config)
        .await
    {
        Ok(mut conn) => redis::cmd("PING")
            .query_async::<String>(&mut conn)
            .await
            .is_ok(),
        Err(_) => false,
    }
}

/// Watches the child; restarts it with capped backoff when it dies, stops it on cancel.
async fn supervise(
    server: Server,
    mut child: Child,
    cancel: CancellationToken,
    state: watch::Sender<ChildState>,
) {
    let mut backoff = Duration::from_millis(250);
    loop {
        tokio::select! {
            () = cancel.cancelled() => {
                server.stop(&mut child).await;
                return;
            }
            status = child.wait() => {
                let status = status.map_or_else(|e| e.to_string(), |s| s.to_string());
                tracing::error!(%status, port = server.port, "embedded redis-server exited; restarting it");
            }
        }
        loop {
            tokio::select! {
                () = cancel.cancelled() => return,
                () = tokio::time::sleep(backoff) => {}
            }
            match server.spawn_ready().await {
                Ok(new_child) => {
                    child = new_child;
                    state.send_modify(|s| {
                        s.pid = child.id();
                        s.restarts += 1;
                    });
                    tracing::info!(port = server.port, "embedded redis-server restarted");
                    backoff = Duration::from_millis(250);
                    break;
                }
                Err(e) => {
                    backoff = (backoff * 2).min(MAX_RESTART_BACKOFF);
                    tracing::error!(error = %e, retry_in = ?backoff, "embedded redis-server did not restart");
                }
            }
        }
    }
}

/// Makes the kernel stop the child if this process dies without shutting it down (a
/// `kill -9` of Antrian must not leave an orphan `redis-server` holding the data dir).
#[cfg(target_os = "linux")]
#[allow(unsafe_code)] // pre_exec and prctl are FFI; the closure only calls the async-signal-safe prctl.
fn die_with_parent(cmd: &mut Command) {
    // SAFETY: runs in the forked child before exec; prctl is async-signal-safe.
    unsafe {
        cmd.pre_exec(|| {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

#[cfg(not(target_os = "linux"))]
fn die_with_parent(_cmd: &mut Command) {}

fn open_private(path: &Path, truncate: bool) -> std::io::Result<File> {
    crate::private_file::owner_only(&mut OpenOptions::new())
        .create(true)
        .write(true)
        .truncate(truncate)
        .open(path)
}

/// The server's password: generated once, then read from the 0600 file.
fn password(dir: &Path) -> Result<String> {
    let path = dir.join("password");
    if let Ok(existing) = std::fs::read_to_string(&path) {
        let existing = existing.trim().to_string();
        if existing.len() >= 32 && existing.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Ok(existing);
        }
    }
    let bytes: [u8; 24] = rand::random();
    let password: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let mut file = open_private(&path, true).map_err(|source| Error::DirNotWritable {
        path: dir.to_path_buf(),
        source,
    })?;
    file.write_all(password.as_bytes())
        .map_err(|source| Error::DirNotWritable {
            path: dir.to_path_buf(),
            source,
        })?;
    Ok(password)
}

fn choose_port(requested: u16) -> Result<u16> {
    match std::net::TcpListener::bind(("127.0.0.1", requested)) {
        Ok(listener) => listener
            .local_addr()
            .map(|a| a.port())
            .map_err(|e| Error::io("choosing a port for the embedded Redis", e)),
        Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => {
            Err(Error::PortInUse { port: requested })
        }
        Err(e) => Err(Error::io("choosing a port for the embedded Redis", e)),
    }
}

#[cfg(test)]
mod tests;
