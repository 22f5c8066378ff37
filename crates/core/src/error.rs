//! The one error type of `antrian-core`.
//!
//! Every variant names the failure and keeps its source. Adapters (CLI, HTTP, IPC) branch
//! on [`Error::code`], never on the message text.

use std::path::PathBuf;

/// A stable, transport-independent classification of an [`Error`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[ts(export, export_to = "../../../ui/src/api/generated/")]
pub enum ErrorCode {
    /// The caller gave something that can never work as given (config value, argument).
    InvalidInput,
    /// The thing asked for does not exist (queue, job).
    NotFound,
    /// The request clashes with the current state (retrying a job that has not failed).
    Conflict,
    /// A server or resource Antrian needs is not there or refuses us.
    Unavailable,
    /// A bug or an unexpected state inside Antrian.
    Internal,
}

/// Everything that can go wrong in `antrian-core`.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A configuration value does not parse or is out of range.
    #[error("{setting}={value} ({origin}): expected {expected}")]
    InvalidSetting {
        /// The variable name (or `section.key` when it came from the TOML file).
        setting: String,
        /// The offending value, already redacted when the setting is a secret.
        value: String,
        /// Where the value came from (`environment`, `.env`, `config.toml:12`).
        origin: String,
        /// What would have been accepted.
        expected: String,
    },

    /// The TOML file names a key Antrian does not know.
    #[error(
        "{path}:{line}: unknown setting `{key}`; known settings are listed by `antrian config`"
    )]
    UnknownConfigKey {
        /// The configuration file.
        path: PathBuf,
        /// 1-based line of the key.
        line: usize,
        /// The dotted key as written.
        key: String,
    },

    /// The TOML or `.env` file is not well-formed.
    #[error("{path}:{line}: {message}")]
    ConfigSyntax {
        /// The file that failed to parse.
        path: PathBuf,
        /// 1-based line of the problem.
        line: usize,
        /// The parser's description.
        message: String,
    },

    /// The configuration file exists (or was named) but cannot be read.
    #[error("cannot read config file {path}: {source}")]
    ConfigUnreadable {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },

    /// The `redis-server` binary for the embedded Redis is not installed.
    #[cfg_attr(
        target_os = "windows",
        error("`{binary}` not found on PATH: the embedded Redis needs a `redis-server`, which Windows does not ship. Set REDIS_URL to a Redis server (Redis in WSL, Memurai, or a remote one), or put redis-server.exe on PATH")
    )]
    #[cfg_attr(
        target_os = "macos",
        error("`{binary}` not found: the embedded Redis needs it. Install it with `brew install redis`, or point REDIS_URL at an existing Redis")
    )]
    #[cfg_attr(
        not(any(target_os = "windows", target_os = "macos")),
        error("`{binary}` not found: the embedded Redis needs it. Install it with `sudo apt-get install redis-server`, or point REDIS_URL at an existing Redis")
    )]
    RedisServerMissing {
        /// The binary that was looked for.
        binary: String,
    },

    /// A directory Antrian must write to cannot be created or written.
    #[error("data directory {path} is not writable: {source}")]
    DirNotWritable {
        /// The directory.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },

    /// The port chosen for the embedded Redis is taken by another process.
    #[error("port {port} for the embedded Redis is already in use on 127.0.0.1; choose another ANTRIAN_EMBEDDED_REDIS_PORT, or 0 for any free port")]
    PortInUse {
        /// The port.
        port: u16,
    },

    /// The embedded `redis-server` exited or did not become ready.
    #[error("embedded redis-server failed to start: {reason}{log}", log = log_suffix(.log_tail))]
    EmbeddedStart {
        /// What happened.
        reason: String,
        /// The last lines of the server's log, when there are any.
        log_tail: String,
    },

    /// Redis rejected the credentials.
    #[error("Redis at {address} rejected the password (check REDIS_PASSWORD or the password in REDIS_URL): {detail}")]
    RedisAuth {
        /// The redacted address.
        address: String,
        /// Redis' own words.
        detail: String,
    },

    /// Something answers on the address, but it is not Redis.
    #[error("{address} answers, but not as a Redis server ({detail}); check REDIS_URL / REDIS_HOST / REDIS_PORT")]
    NotRedis {
        /// The redacted address.
        address: String,
        /// What went wrong while speaking RESP to it.
        detail: String,
    },

    /// A Redis server without cluster mode was named as a Redis Cluster's node, or the
    /// other way round.
    #[error("{address}: {detail}")]
    ClusterMismatch {
        /// The redacted address.
        address: String,
        /// Which way round, and what to set instead.
        detail: String,
    },

    /// Redis cannot be reached (refused, timed out, DNS, TLS…).
    #[error("Redis at {address} is unreachable: {source}")]
    RedisUnavailable {
        /// The redacted address.
        address: String,
        /// The client error.
        #[source]
        source: redis::RedisError,
    },

    /// A job's name, data or options break a rule.
    #[error("{field}: {rule}")]
    InvalidJob {
        /// The field, as the user spells it (`priority`, `backoff.delay`, `data`).
        field: String,
        /// What is wrong and what is allowed.
        rule: String,
    },

    /// A queue or job that does not exist.
    #[error("{what} not found")]
    NotFound {
        /// What was looked for (`job 42 in scraping-queue`).
        what: String,
    },

    /// The operation does not fit the job's current state.
    #[error("{0}")]
    Conflict(String),

    /// A Redis command failed on an established connection.
    #[error("Redis command failed: {0}")]
    Redis(redis::RedisError),

    /// A BullMQ operation (a connection, a script) failed.
    #[error("BullMQ operation failed: {0}")]
    Bullmq(bullmq::Error),

    /// Redis refused a write because it reached `maxmemory` under the `noeviction` policy;
    /// nothing of the write happened (scripts that would write are refused before they
    /// start).
    #[error("Redis is out of memory (maxmemory reached, policy noeviction), so nothing was written: free memory or raise maxmemory ({0})")]
    OutOfMemory(String),

    /// Stored data Antrian cannot read back (written by something else, or corrupted).
    #[error("{0}")]
    Corrupt(String),

    /// An I/O error outside the cases above.
    #[error("{context}: {source}")]
    Io {
        /// What Antrian was doing.
        context: String,
        /// Why it failed.
        #[source]
        source: std::io::Error,
    },
}

fn log_suffix(tail: &str) -> String {
    if tail.trim().is_empty() {
        String::new()
    } else {
        format!("\nlast lines of its log:\n{}", tail.trim_end())
    }
}

impl Error {
    /// The stable code adapters map to exit codes, HTTP statuses and UI messages.
    pub fn code(&self) -> ErrorCode {
        match self {
            Error::InvalidSetting { .. }
            | Error::UnknownConfigKey { .. }
            | Error::ConfigSyntax { .. }
            | Error::ConfigUnreadable { .. }
            | Error::PortInUse { .. }
            | Error::DirNotWritable { .. }
            | Error::InvalidJob { .. } => ErrorCode::InvalidInput,
            Error::NotFound { .. } => ErrorCode::NotFound,
            Error::Conflict(_) => ErrorCode::Conflict,
            Error::RedisServerMissing { .. }
            | Error::EmbeddedStart { .. }
            | Error::RedisAuth { .. }
            | Error::NotRedis { .. }
            | Error::ClusterMismatch { .. }
            | Error::RedisUnavailable { .. }
            | Error::Redis(_)
            | Error::Bullmq(_)
            | Error::OutOfMemory(_) => ErrorCode::Unavailable,
            Error::Io { .. } | Error::Corrupt(_) => ErrorCode::Internal,
        }
    }

    pub(crate) fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io {
            context: context.into(),
            source,
        }
    }
}

impl From<redis::RedisError> for Error {
    fn from(e: redis::RedisError) -> Self {
        if e.code() == Some("OOM") {
            return Error::OutOfMemory(e.detail().unwrap_or("OOM").to_string());
        }
        Error::Redis(e)
    }
}

impl From<bullmq::Error> for Error {
    fn from(e: bullmq::Error) -> Self {
        match e {
            bullmq::Error::Redis(e) => e.into(),
            other => Error::Bullmq(other),
        }
    }
}

/// `antrian-core`'s result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
