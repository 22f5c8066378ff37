//! `send-webhook` (`url`, `method`, `data`, `headers`): a JSON body signed per the Standard
//! Webhooks convention, with an SSRF guard.
//!
//! - Signature: `webhook-id`, `webhook-timestamp` and `webhook-signature: v1,<base64 HMAC-SHA256
//!   of "{id}.{timestamp}.{body}">`; the id is the job's, so every retry carries the same one
//!   and receivers can de-duplicate.
//! - SSRF: the host is resolved first and every address checked; loopback, private,
//!   link-local (cloud metadata at 169.254.169.254 included), unspecified, multicast and
//!   unique-local addresses are refused unless `WEBHOOK_ALLOW_PRIVATE` allows them, before
//!   any connection. The request then goes to exactly the checked address (no second DNS
//!   answer can swap it) and follows no redirect.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use antrian_core::config::{AllowList, NotifyConfig};
use antrian_core::worker::JobError;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde::Deserialize;
use serde_json::{json, Value};
use sha2::Sha256;

use crate::net;

/// `send-webhook`'s data.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WebhookJob {
    /// Where the webhook goes (not a private address unless `WEBHOOK_ALLOW_PRIVATE`
    /// allows it).
    #[schemars(title = "URL", url)]
    pub url: String,
    /// POST (default), PUT or PATCH.
    #[serde(default)]
    #[schemars(title = "Method", extend("enum" = METHODS))]
    pub method: Option<String>,
    /// The JSON body.
    #[serde(default)]
    #[schemars(title = "Payload")]
    pub data: Value,
    /// Extra headers.
    #[serde(default)]
    #[schemars(title = "Headers")]
    pub headers: BTreeMap<String, String>,
}

/// The methods a webhook may use.
pub const METHODS: [&str; 3] = ["POST", "PUT", "PATCH"];

/// Headers the job may not set: the signature's, and what the client owns.
const RESERVED: [&str; 6] = [
    "webhook-id",
    "webhook-timestamp",
    "webhook-signature",
    "host",
    "content-length",
    "transfer-encoding",
];

/// Checks the job's data.
pub fn parse(data: &Value) -> Result<(WebhookJob, url::Url, reqwest::Method), String> {
    let job: WebhookJob = crate::scrape::input::parse("send-webhook", data)?;
    let url = crate::scrape::input::page_url("url", &job.url)
        .map_err(|e| format!("invalid send-webhook data: {e}"))?;
    let method = match job
        .method
        .as_deref()
        .unwrap_or("POST")
        .to_ascii_uppercase()
        .as_str()
    {
        "POST" => reqwest::Method::POST,
        "PUT" => reqwest::Method::PUT,
        "PATCH" => reqwest::Method::PATCH,
        other => {
            return Err(format!(
                "invalid send-webhook data: method `{other}`; use POST, PUT or PATCH"
            ))
        }
    };
    for (name, value) in &job.headers {
        if RESERVED.contains(&name.to_ascii_lowercase().as_str()) {
            return Err(format!(
                "invalid send-webhook data: header `{name}` is set by Antrian"
            ));
        }
        if reqwest::header::HeaderName::from_bytes(name.as_bytes()).is_err()
            || value.contains(['\r', '\n'])
            || reqwest::header::HeaderValue::from_str(value).is_err()
        {
            return Err(format!(
                "invalid send-webhook data: header `{}` is not a valid HTTP header (no CR/LF)",
                name.escape_debug()
            ));
        }
    }
    Ok((job, url, method))
}

/// Resolves `url`'s host and refuses internal destinations that are not allowed.
pub async fn destination(url: &url::Url, allow: &AllowList) -> Result<SocketAddr, JobError> {
    let host = url.host_str().unwrap_or_default();
    let port = url.port_or_known_default().unwrap_or(443);
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let addrs: Vec<SocketAddr> = match bare.parse::<IpAddr>() {
        Ok(ip) => vec![SocketAddr::new(ip, port)],
        Err(_) => tokio::net::lookup_host((bare, port))
            .await
            .map_err(|e| JobError::retry(format!("cannot resolve {host}: {e}")))?
            .collect(),
    };
    if addrs.is_empty() {
        return Err(JobError::retry(format!("{host} resolves to no address")));
    }
    if let Some(bad) = addrs.iter().find(|a| !net::permitted(a.ip(), allow)) {
        return Err(JobError::discard(
            net::Refused {
                host: host.to_string(),
                ip: bad.ip(),
                setting: "WEBHOOK_ALLOW_PRIVATE",
            }
            .to_string(),
        ));
    }
    Ok(addrs[0])
}

/// `v1,<base64 HMAC-SHA256("{id}.{timestamp}.{body}")>`; a `whsec_` secret is base64.
pub fn signature(secret: &str, id: &str, timestamp: i64, body: &str) -> String {
    let key = secret
        .strip_prefix("whsec_")
        .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
        .unwrap_or_else(|| secret.as_bytes().to_vec());
    // HMAC takes keys of any length.
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap_or_else(|_| unreachable!());
    mac.update(format!("{id}.{timestamp}.{body}").as_bytes());
    format!(
        "v1,{}",
        base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
    )
}

/// Delivers one webhook; `id` is stable across the job's attempts.
pub async fn send(cfg: &NotifyConfig, id: &str, data: &Value) -> Result<Value, JobError> {
    let (job, url, method) = parse(data).map_err(JobError::discard)?;
    let response = post(cfg, id, &url, method, &job.headers, job.data.to_string()).await?;
    let status = response.status();
    let what = format!("{url}: HTTP {status}");
    match status.as_u16() {
        200..=299 => Ok(json!({"status": status.as_u16(), "webhookId": id})),
        300..=399 => Err(JobError::discard(format!(
            "{what}: webhooks do not follow redirects"
        ))),
        _ => Err(failure(&response, what)),
    }
}

/// What a non-2xx answer means for the job: 408, 429 and 5xx are retried (after the
/// server's `Retry-After` when it gives one), anything else fails the job for good.
pub(crate) fn failure(response: &reqwest::Response, what: String) -> JobError {
    match response.status().as_u16() {
        408 | 429 | 500..=599 => match crate::scrape::fetch::retry_after(response.headers()) {
            Some(after) => JobError::retry_after(what, after),
            None => JobError::retry(what),
        },
        _ => JobError::discard(what),
    }
}

/// Sends `body` as signed JSON to `url` (its host resolved and checked first, the
/// connection made to exactly that address, no redirect followed); network failures and
/// timeouts are retried.
pub(crate) async fn post(
    cfg: &NotifyConfig,
    id: &str,
    url: &url::Url,
    method: reqwest::Method,
    headers: &BTreeMap<String, String>,
    body: String,
) -> Result<reqwest::Response, JobError> {
    let secret = cfg.webhook_secret.as_deref().ok_or_else(|| {
        JobError::discard(
            "WEBHOOK_SECRET is not set: webhooks are always signed; set it and retry the job",
        )
    })?;
    let addr = destination(url, &cfg.webhook_allow_private).await?;
    let timestamp = chrono::Utc::now().timestamp();
    let client = reqwest::Client::builder()
        .timeout(Duration::from_millis(cfg.webhook_timeout_ms))
        .redirect(reqwest::redirect::Policy::none())
        .resolve(url.host_str().unwrap_or_default(), addr)
        .no_proxy()
        .tls_backend_preconfigured(crate::scrape::fetch::tls_config())
        .build()
        .map_err(|e| JobError::retry(format!("cannot build the webhook client: {e}")))?;
    let mut request = client
        .request(method, url.clone())
        .header("content-type", "application/json")
        .header("webhook-id", id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", signature(secret, id, timestamp, &body));
    for (name, value) in headers {
        request = request.header(name, value);
    }
    request.body(body).send().await.map_err(|e| {
        JobError::retry(format!(
            "{url}: {}",
            if e.is_timeout() {
                "no answer within WEBHOOK_TIMEOUT".to_string()
            } else {
                e.to_string()
            }
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_follows_standard_webhooks() {
        // The Standard Webhooks specification's example.
        let sig = signature(
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1_614_265_330,
            r#"{"test": 2432232314}"#,
        );
        assert_eq!(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn bad_data_is_named() {
        let err = |v: Value| parse(&v).err().unwrap_or_default();
        assert!(err(json!({"url": "ftp://x.example/"})).contains("only http and https"));
        assert!(
            err(json!({"url": "https://x.example/", "method": "DELETE"}))
                .contains("method `DELETE`")
        );
        assert!(err(
            json!({"url": "https://x.example/", "headers": {"X-A": "a\r\nX-Injected: 1"}})
        )
        .contains("no CR/LF"));
        assert!(
            err(json!({"url": "https://x.example/", "headers": {"webhook-id": "mine"}}))
                .contains("set by Antrian")
        );
        assert!(err(json!({"method": "POST"})).contains("missing field `url`"));
    }
}
