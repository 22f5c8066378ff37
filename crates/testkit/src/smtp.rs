//! A real SMTP server for e-mail tests: Python's `aiosmtpd` (Debian's python3-aiosmtpd,
//! installed by scripts/install-deps.sh) on a free port, storing what it receives in a
//! Maildir that tests read back.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The running server; stopped when dropped.
#[derive(Debug)]
pub struct SmtpServer {
    child: Child,
    port: u16,
    maildir: tempfile::TempDir,
}

const SINK: &str = r#"
from aiosmtpd.handlers import Mailbox


class Sink(Mailbox):
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("reject@"):
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"
"#;

/// The interpreter with aiosmtpd: Debian's, whatever `python3` is first on PATH.
const PYTHON: &str = "/usr/bin/python3";

impl SmtpServer {
    /// Starts it; panics with an install hint when aiosmtpd is missing.
    pub fn start() -> Self {
        let maildir = tempfile::tempdir().expect("maildir");
        let port = crate::free_port();
        // aiosmtpd's Maildir handler, refusing recipients named `reject@…` with a permanent
        // 550 so tests can check how a 5xx is handled.
        std::fs::write(maildir.path().join("antrian_sink.py"), SINK).expect("handler module");
        let child = Command::new(PYTHON)
            .args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("127.0.0.1:{port}"))
            .args(["-c", "antrian_sink.Sink"])
            .arg(maildir.path().join("mail"))
            .env("PYTHONPATH", maildir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {PYTHON} -m aiosmtpd ({e}): run scripts/install-deps.sh (Debian package python3-aiosmtpd)"));
        let mut server = Self {
            child,
            port,
            maildir,
        };
        // Readiness probe of a child process: connect until it listens (bounded).
        let deadline = Instant::now() + Duration::from_secs(15);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!("aiosmtpd exited at start ({status}): is python3-aiosmtpd installed? (scripts/install-deps.sh)");
            }
            assert!(
                Instant::now() < deadline,
                "aiosmtpd did not listen within 15 s"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        server
    }

    /// Its port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Every message received so far, raw (headers and MIME body), oldest first.
    pub fn messages(&self) -> Vec<String> {
        let dir: PathBuf = self.maildir.path().join("mail").join("new");
        let mut files: Vec<_> = std::fs::read_dir(dir)
            .map(|d| d.flatten().map(|e| e.path()).collect())
            .unwrap_or_default();
        files.sort_by_key(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok());
        files
            .iter()
            .filter_map(|p| std::fs::read_to_string(p).ok())
            .collect()
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
