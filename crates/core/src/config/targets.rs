//! HTTP targets: custom queues whose jobs are POSTed to an endpoint. Written
//! `queue=URL,queue=URL` in `QUEUE_HTTP_TARGETS`; the desktop's Settings edit the same list
//! as [`HttpTargetInput`] rows, checked here.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// What `QUEUE_HTTP_TARGETS` must look like.
pub const EXPECTED: &str = "queue=URL pairs, comma-separated (my-queue=https://hooks.example/antrian), on queues other than the four";

/// A custom queue served by an HTTP endpoint: each job is POSTed to `url` as signed JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpTarget {
    /// The queue.
    pub queue: String,
    /// Where its jobs go.
    pub url: url::Url,
}

/// One HTTP target as a form edits it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[ts(export, export_to = "../../../ui/src/api/generated/")]
pub struct HttpTargetInput {
    /// A custom queue (letters, digits, `-`, `_`, `.`; not one of the four).
    pub queue: String,
    /// The endpoint its jobs are POSTed to (`http` or `https`).
    pub url: String,
}

/// The HTTP targets as the desktop's Settings show them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export, export_to = "../../../ui/src/api/generated/")]
pub struct HttpTargetsView {
    /// The targets saved in Settings.
    pub targets: Vec<HttpTargetInput>,
    /// `QUEUE_HTTP_TARGETS` (environment or `config.toml`) names targets itself: those are
    /// served and Settings' list is not.
    pub configured_elsewhere: bool,
    /// What requests are signed with: `WEBHOOK_SECRET`, or a secret kept in the keyring.
    pub signed_with: String,
}

/// Parses `queue=URL,queue=URL`; the error names the bad pair.
pub fn parse_list(raw: &str) -> Result<Vec<HttpTarget>, String> {
    let mut targets: Vec<HttpTarget> = Vec::new();
    for pair in raw.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (queue, url) = pair
            .split_once('=')
            .ok_or_else(|| format!("{pair:?} is not queue=URL"))?;
        targets.push(check(&HttpTargetInput {
            queue: queue.trim().into(),
            url: url.trim().into(),
        })?);
    }
    let mut queues: Vec<&str> = targets.iter().map(|t| t.queue.as_str()).collect();
    queues.sort_unstable();
    if let Some(w) = queues.windows(2).find(|w| w[0] == w[1]) {
        return Err(format!("{} has two targets", w[0]));
    }
    Ok(targets)
}

/// Checks one row.
pub fn check(input: &HttpTargetInput) -> Result<HttpTarget, String> {
    let queue = input.queue.trim();
    crate::rules::validate_queue_name(queue).map_err(|e| e.to_string())?;
    if crate::rules::STANDARD_QUEUES.contains(&queue) {
        return Err(format!(
            "{queue} is one of Antrian's own queues; an HTTP target serves a queue of its own"
        ));
    }
    let url = url::Url::parse(input.url.trim())
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
        .ok_or_else(|| format!("{:?} is not an http(s) URL", input.url))?;
    Ok(HttpTarget {
        queue: queue.to_string(),
        url,
    })
}

/// The rows as `QUEUE_HTTP_TARGETS` writes them, checked.
pub fn to_env(rows: &[HttpTargetInput]) -> Result<String, String> {
    let joined = rows
        .iter()
        .map(|r| format!("{}={}", r.queue.trim(), r.url.trim()))
        .collect::<Vec<_>>()
        .join(",");
    parse_list(&joined)?;
    Ok(joined)
}
