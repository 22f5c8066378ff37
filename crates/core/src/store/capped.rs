//! Capped logs: a Redis list of JSON entries, newest first, trimmed to a fixed length on
//! every push (the scaling log, the audit log).

use serde::{de::DeserializeOwned, Serialize};

use crate::connection::Connection;
use crate::error::{Error, Result};

/// Adds `entry` at the head of `key`, keeping the newest `cap` entries.
pub(crate) async fn push<T: Serialize>(
    conn: &Connection,
    key: &str,
    entry: &T,
    cap: usize,
) -> Result<()> {
    let body = serde_json::to_string(entry)
        .map_err(|e| Error::io("encoding a log entry", std::io::Error::other(e)))?;
    let mut redis = conn.redis();
    let _: () = redis::pipe()
        .lpush(key, body)
        .ltrim(key, 0, isize::try_from(cap).unwrap_or(isize::MAX) - 1)
        .query_async(&mut redis)
        .await?;
    Ok(())
}

/// The newest `count` entries of `key` (callers check `count` against their cap);
/// entries that no longer decode are skipped.
pub(crate) async fn latest<T: DeserializeOwned>(
    conn: &Connection,
    key: &str,
    count: usize,
) -> Result<Vec<T>> {
    let mut redis = conn.redis();
    let raw: Vec<String> = redis::cmd("LRANGE")
        .arg(key)
        .arg(0)
        .arg(
            isize::try_from(count)
                .unwrap_or(isize::MAX)
                .saturating_sub(1),
        )
        .query_async(&mut redis)
        .await?;
    Ok(raw
        .iter()
        .filter_map(|r| serde_json::from_str(r).ok())
        .collect())
}
