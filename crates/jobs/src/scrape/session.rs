//! Marketplace account sessions (a seller-centre cookie or bearer token) kept in Redis under
//! Antrian's prefix, for order-scraping. They are secrets: `Debug` redacts them and nothing
//! logs them; listing shows account ids and dates only.

use antrian_core::keys;
use bullmq::redis_connection::AnyConnection;
use serde::Serialize;

/// How a session authenticates.
#[derive(Clone, PartialEq, Eq)]
pub enum Credential {
    /// A `Cookie` header value.
    Cookie(String),
    /// A bearer token for `Authorization`.
    Token(String),
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Credential::Cookie(_) => f.write_str("Cookie(<redacted>)"),
            Credential::Token(_) => f.write_str("Token(<redacted>)"),
        }
    }
}

impl Credential {
    /// The request header carrying it.
    pub fn header(&self) -> (&'static str, String) {
        match self {
            Credential::Cookie(c) => ("cookie", c.clone()),
            Credential::Token(t) => ("authorization", format!("Bearer {t}")),
        }
    }
}

/// A stored session, as listed (no secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionInfo {
    /// The account.
    pub account_id: String,
    /// `cookie` or `token`.
    pub kind: String,
    /// When it was stored (RFC 3339).
    pub updated_at: String,
}

/// Checks an account id: what order-scraping jobs and the CLI accept.
pub fn check_account_id(id: &str) -> Result<(), String> {
    let ok = !id.is_empty()
        && id.len() <= 128
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '@'));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "account id `{id}`: use 1 to 128 letters, digits, `_`, `-`, `.` or `@`"
        ))
    }
}

/// Stores (or replaces) an account's session; a bad id or an empty value is invalid
/// input, a Redis failure is unavailable (the CLI's exit codes 2 and 1).
pub async fn store(
    redis: &AnyConnection,
    account_id: &str,
    credential: &Credential,
) -> antrian_core::Result<()> {
    let invalid = |field: &str, rule: String| antrian_core::Error::InvalidJob {
        field: field.to_string(),
        rule,
    };
    check_account_id(account_id).map_err(|rule| invalid("account", rule))?;
    let (kind, value) = match credential {
        Credential::Cookie(c) => ("cookie", c),
        Credential::Token(t) => ("token", t),
    };
    if value.trim().is_empty() {
        return Err(invalid(kind, format!("the {kind} is empty")));
    }
    let mut redis = redis.clone();
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    redis::pipe()
        .atomic()
        .del(keys::account_session(account_id))
        .ignore()
        .hset_multiple(
            keys::account_session(account_id),
            &[
                ("kind", kind),
                ("value", value.as_str()),
                ("updatedAt", &now),
            ],
        )
        .ignore()
        .sadd(keys::accounts(), account_id)
        .ignore()
        .query_async::<()>(&mut redis)
        .await?;
    Ok(())
}

/// An account's session, if one is stored.
pub async fn load(
    redis: &AnyConnection,
    account_id: &str,
) -> redis::RedisResult<Option<Credential>> {
    let mut redis = redis.clone();
    let (kind, value): (Option<String>, Option<String>) = redis::cmd("HMGET")
        .arg(keys::account_session(account_id))
        .arg("kind")
        .arg("value")
        .query_async(&mut redis)
        .await?;
    Ok(match (kind.as_deref(), value) {
        (Some("cookie"), Some(v)) => Some(Credential::Cookie(v)),
        (Some("token"), Some(v)) => Some(Credential::Token(v)),
        _ => None,
    })
}

/// Removes an account's session; `false` when there was none.
pub async fn remove(redis: &AnyConnection, account_id: &str) -> redis::RedisResult<bool> {
    let mut redis = redis.clone();
    let (removed, _): (u32, u32) = redis::pipe()
        .atomic()
        .del(keys::account_session(account_id))
        .srem(keys::accounts(), account_id)
        .query_async(&mut redis)
        .await?;
    Ok(removed > 0)
}

/// Every stored session, without secrets, by account id.
pub async fn list(redis: &AnyConnection) -> redis::RedisResult<Vec<SessionInfo>> {
    let mut redis = redis.clone();
    let mut ids: Vec<String> = redis::cmd("SMEMBERS")
        .arg(keys::accounts())
        .query_async(&mut redis)
        .await?;
    ids.sort();
    let mut out = Vec::new();
    for id in ids {
        let (kind, updated_at): (Option<String>, Option<String>) = redis::cmd("HMGET")
            .arg(keys::account_session(&id))
            .arg("kind")
            .arg("updatedAt")
            .query_async(&mut redis)
            .await?;
        if let Some(kind) = kind {
            out.push(SessionInfo {
                account_id: id,
                kind,
                updated_at: updated_at.unwrap_or_default(),
            });
        }
    }
    Ok(out)
}
