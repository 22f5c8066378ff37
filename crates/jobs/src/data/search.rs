//! `update-elasticsearch` (`data`, `indexName`, `operation`: index | update | delete): sends
//! documents to Elasticsearch / OpenSearch with `_bulk` requests of
//! `ELASTICSEARCH_BATCH_SIZE` documents and reports per-document errors.
//!
//! A document's id is its `_id`, `id` or `productId` field; `update` and `delete` need one.
//! HTTP 429 (or any item answered 429) retries after `Retry-After`; 5xx and network errors
//! retry; 401/403 and other 4xx discard. Bulk requests are idempotent for a given id, so a
//! retried job re-sends its documents without duplicating them.

use std::time::Duration;

use antrian_core::config::SearchConfig;
use antrian_core::worker::JobError;
use base64::Engine;
use serde::Deserialize;
use serde_json::{json, Value};

/// `update-elasticsearch`: `{ data, indexName, operation }`.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SearchJob {
    /// A document or an array of documents; `update` and `delete` need each one's `_id`,
    /// `id` or `productId`.
    #[schemars(title = "Documents")]
    pub data: Value,
    /// The index (lower case, no spaces).
    #[schemars(title = "Index")]
    pub index_name: String,
    /// What to do with the documents.
    #[schemars(title = "Operation", extend("enum" = OPERATIONS))]
    pub operation: String,
}

/// The operations, as jobs name them.
pub const OPERATIONS: [&str; 3] = ["index", "update", "delete"];

/// What to do with the documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// Create or replace.
    Index,
    /// Merge into an existing document.
    Update,
    /// Remove.
    Delete,
}

/// A checked job: operation, index and (id, document) pairs.
#[derive(Debug)]
pub struct Prepared {
    /// The operation.
    pub operation: Operation,
    /// The index.
    pub index: String,
    /// Documents with their ids.
    pub docs: Vec<(Option<String>, Value)>,
}

fn doc_id(doc: &Value) -> Option<String> {
    ["_id", "id", "productId"]
        .iter()
        .find_map(|k| match doc.get(*k) {
            Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
            Some(Value::Number(n)) => Some(n.to_string()),
            _ => None,
        })
}

/// Checks the job's data.
pub fn prepare(data: &Value) -> Result<Prepared, String> {
    let job: SearchJob = crate::scrape::input::parse("update-elasticsearch", data)?;
    let bad = |m: String| format!("invalid update-elasticsearch data: {m}");
    let operation = match job.operation.as_str() {
        "index" => Operation::Index,
        "update" => Operation::Update,
        "delete" => Operation::Delete,
        other => {
            return Err(bad(format!(
                "operation `{other}`; use index, update or delete"
            )))
        }
    };
    let name = &job.index_name;
    let name_ok = !name.is_empty()
        && name.len() <= 255
        && name != "."
        && name != ".."
        && !name.starts_with(['-', '_', '+'])
        && name
            .chars()
            .all(|c| !c.is_ascii_uppercase() && !"\\/*?\"<>| ,#:".contains(c));
    if !name_ok {
        return Err(bad(format!(
            "indexName `{name}`: lower case, no spaces or \\/*?\"<>|,#:, not starting with -, _ or +"
        )));
    }
    let docs: Vec<Value> = match job.data {
        Value::Array(items) => items,
        one @ Value::Object(_) => vec![one],
        other => {
            return Err(bad(format!(
                "`data` must be a document or an array of documents, not {other}"
            )))
        }
    };
    if docs.is_empty() {
        return Err(bad("`data` is empty".into()));
    }
    let docs = docs
        .into_iter()
        .enumerate()
        .map(|(i, d)| {
            if !d.is_object() {
                return Err(bad(format!("data[{i}] is not a JSON object")));
            }
            let id = doc_id(&d);
            if id.is_none() && operation != Operation::Index {
                return Err(bad(format!(
                    "data[{i}] has no `_id`, `id` or `productId`, which {} needs",
                    job.operation
                )));
            }
            Ok((id, d))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Prepared {
        operation,
        index: job.index_name,
        docs,
    })
}

/// The NDJSON body of one `_bulk` request (ends with a newline, as the API requires).
pub fn bulk_body(p: &Prepared, docs: &[(Option<String>, Value)]) -> String {
    let mut body = String::new();
    for (id, doc) in docs {
        let mut meta = json!({"_index": p.index});
        if let Some(id) = id {
            meta["_id"] = json!(id);
        }
        let mut source = doc.clone();
        if let Some(map) = source.as_object_mut() {
            map.remove("_id");
        }
        match p.operation {
            Operation::Index => {
                body.push_str(&json!({"index": meta}).to_string());
                body.push('\n');
                body.push_str(&source.to_string());
            }
            Operation::Update => {
                body.push_str(&json!({"update": meta}).to_string());
                body.push('\n');
                body.push_str(&json!({"doc": source}).to_string());
            }
            Operation::Delete => body.push_str(&json!({"delete": meta}).to_string()),
        }
        body.push('\n');
    }
    body
}

/// Sends a job's documents.
pub async fn send(cfg: &SearchConfig, data: &Value) -> Result<Value, JobError> {
    let p = prepare(data).map_err(JobError::discard)?;
    let base = cfg.url.as_deref().ok_or_else(|| {
        JobError::discard("ELASTICSEARCH_URL is not set: configure Elasticsearch or OpenSearch, then retry the job")
    })?;
    let url = format!("{}/_bulk", base.trim_end_matches('/'));
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .tls_backend_preconfigured(crate::scrape::fetch::tls_config())
        .build()
        .map_err(|e| JobError::retry(format!("cannot build the Elasticsearch client: {e}")))?;
    let auth = match (&cfg.api_key, &cfg.username) {
        (Some(key), _) => Some(format!("ApiKey {key}")),
        (None, Some(user)) => Some(format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!(
                "{user}:{}",
                cfg.password.as_deref().unwrap_or_default()
            ))
        )),
        (None, None) => None,
    };
    let (mut ok, mut errors) = (0u64, Vec::new());
    for chunk in p.docs.chunks(cfg.batch_size.max(1)) {
        let mut request = client
            .post(&url)
            .header("content-type", "application/x-ndjson")
            .body(bulk_body(&p, chunk));
        if let Some(auth) = &auth {
            request = request.header("authorization", auth);
        }
        let response = request.send().await.map_err(|e| {
            JobError::retry(format!("{}: {e}", antrian_core::config::redact_url(&url)))
        })?;
        let status = response.status();
        let after = crate::scrape::fetch::retry_after(response.headers());
        let what = format!("Elasticsearch _bulk: HTTP {status}");
        match status.as_u16() {
            200..=299 => {}
            429 => return Err(after.map_or_else(|| JobError::retry(&what), |a| JobError::retry_after(&what, a))),
            401 | 403 => return Err(JobError::discard(format!("{what}: the credentials were rejected (ELASTICSEARCH_USERNAME/PASSWORD or API_KEY)"))),
            500..=599 => return Err(JobError::retry(what)),
            _ => {
                let text = response.text().await.unwrap_or_default();
                return Err(JobError::discard(format!("{what}: {}", text.chars().take(300).collect::<String>())));
            }
        }
        let text = response
            .text()
            .await
            .map_err(|e| JobError::retry(format!("Elasticsearch _bulk: {e}")))?;
        let body: Value = serde_json::from_str(&text).map_err(|e| {
            JobError::retry(format!(
                "Elasticsearch answered something that is not a bulk response: {e}"
            ))
        })?;
        for item in body
            .get("items")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let Some(result) = item.as_object().and_then(|o| o.values().next()) else {
                continue;
            };
            let code = result.get("status").and_then(Value::as_u64).unwrap_or(0);
            if (200..300).contains(&code) || (p.operation == Operation::Delete && code == 404) {
                ok += 1;
            } else if code == 429 {
                return Err(JobError::retry_after(
                    "Elasticsearch rejected documents with 429 (too many requests)",
                    Duration::from_secs(5),
                ));
            } else {
                errors.push(json!({
                    "id": result.get("_id"),
                    "status": code,
                    "reason": result.get("error").and_then(|e| e.get("reason")).cloned().unwrap_or(Value::Null),
                }));
            }
        }
    }
    Ok(json!({"index": p.index, "succeeded": ok, "failed": errors.len(), "errors": errors}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bulk_bodies_follow_the_ndjson_contract() {
        let p = prepare(&json!({"data": [{"productId": "p1", "name": "a"}, {"name": "b"}], "indexName": "products", "operation": "index"}))
            .unwrap_or_else(|e| panic!("{e}"));
        let body = bulk_body(&p, &p.docs);
        // Documents go as given, their fields in the order written.
        assert_eq!(body, "{\"index\":{\"_index\":\"products\",\"_id\":\"p1\"}}\n{\"productId\":\"p1\",\"name\":\"a\"}\n{\"index\":{\"_index\":\"products\"}}\n{\"name\":\"b\"}\n");
        let p = prepare(&json!({"data": {"_id": 7, "price": 1}, "indexName": "products", "operation": "update"})).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            bulk_body(&p, &p.docs),
            "{\"update\":{\"_index\":\"products\",\"_id\":\"7\"}}\n{\"doc\":{\"price\":1}}\n"
        );
        let err = |v: Value| prepare(&v).err().unwrap_or_default();
        assert!(
            err(json!({"data": [{"a": 1}], "indexName": "products", "operation": "delete"}))
                .contains("has no `_id`")
        );
        assert!(
            err(json!({"data": [{"a": 1}], "indexName": "Products", "operation": "index"}))
                .contains("indexName `Products`")
        );
        assert!(
            err(json!({"data": [{"a": 1}], "indexName": "p", "operation": "upsert"}))
                .contains("operation `upsert`")
        );
        assert!(err(json!({"data": [], "indexName": "p", "operation": "index"})).contains("empty"));
    }
}
