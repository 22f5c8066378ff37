//! HTTP targets: custom queues served by an HTTP endpoint, with no code (`QUEUE_HTTP_TARGETS`
//! or the desktop's Settings). Each job is POSTed as signed JSON, as webhooks are (the same
//! signature, the same SSRF guard): `{"id", "name", "queue", "data", "attempt"}`. A 2xx
//! completes it with the response body as its result; 408, 429 and 5xx retry it with its
//! backoff (429 and 503 after `Retry-After`), as do timeouts and network failures; any other
//! answer fails it with the response body as the reason.

use std::collections::BTreeMap;
use std::sync::Arc;

use antrian_core::config::{HttpTarget, NotifyConfig};
use antrian_core::worker::{handler_fn, JobContext, JobError, Registry, WorkerType};
use serde_json::{json, Value};

use super::webhook;

/// The longest part of a response body kept as a failure reason.
const REASON_BYTES: usize = 2000;

/// Routes every job of each target's queue to its endpoint.
pub fn register(targets: &[HttpTarget], config: &NotifyConfig, registry: &mut Registry) {
    for target in targets {
        // The configuration checked the name; a bad one is skipped, not fatal.
        let Ok(worker) = WorkerType::custom(&target.queue) else {
            tracing::error!(queue = %target.queue, "not a queue name: its HTTP target is ignored");
            continue;
        };
        let (url, config) = (target.url.clone(), Arc::new(config.clone()));
        registry.register_any(
            worker,
            handler_fn(move |job: JobContext| {
                let (url, config) = (url.clone(), config.clone());
                async move { deliver(&config, &url, &job).await }
            }),
        );
    }
}

/// POSTs one job to `url` and maps the answer onto the job's outcome.
async fn deliver(
    config: &NotifyConfig,
    url: &url::Url,
    job: &JobContext,
) -> Result<Value, JobError> {
    // The same id on every attempt: receivers can de-duplicate.
    let id = format!("msg_{}_{}", job.queue(), job.id());
    let body = json!({
        "id": job.id(),
        "name": job.name(),
        "queue": job.queue(),
        "data": job.data(),
        "attempt": job.attempt(),
    })
    .to_string();
    let response = webhook::post(
        config,
        &id,
        url,
        reqwest::Method::POST,
        &BTreeMap::new(),
        body,
    )
    .await?;
    let status = response.status();
    if status.is_success() {
        let text = response
            .text()
            .await
            .map_err(|e| JobError::retry(format!("{url}: HTTP {status}, body unreadable: {e}")))?;
        return Ok(serde_json::from_str(&text).unwrap_or(Value::String(text)));
    }
    let mut failure = webhook::failure(&response, format!("{url}: HTTP {status}"));
    if !matches!(failure, JobError::Discard(_)) {
        return Err(failure);
    }
    let text = response.text().await.unwrap_or_default();
    let text = text.trim();
    if !text.is_empty() {
        let cut = text
            .char_indices()
            .map(|(i, _)| i)
            .take_while(|i| *i <= REASON_BYTES)
            .last()
            .unwrap_or(0);
        let shown = if text.len() > REASON_BYTES {
            &text[..cut]
        } else {
            text
        };
        failure = JobError::discard(format!("{url}: HTTP {status}: {shown}"));
    }
    Err(failure)
}
