//! Notification jobs (notifications-queue): `send-email` and `send-webhook`.
//!
//! - [`email`]: templated e-mail over SMTP.
//! - [`webhook`]: signed JSON webhooks with an SSRF guard.
//! - [`target`]: custom queues whose jobs are POSTed to an HTTP endpoint.

pub mod email;
pub mod target;
pub mod webhook;

use std::sync::Arc;

use antrian_core::config::NotifyConfig;
use antrian_core::worker::{handler_fn, Registry, WorkerType};
use serde_json::Value;

/// The jobs this module handles.
pub const JOBS: [&str; 2] = ["send-email", "send-webhook"];

/// The notification handlers.
#[derive(Debug)]
pub struct NotifyJobs {
    config: NotifyConfig,
}

impl NotifyJobs {
    /// Handlers with `config`.
    pub fn new(config: NotifyConfig) -> Self {
        Self { config }
    }

    /// Routes this module's jobs.
    pub fn register(self: &Arc<Self>, registry: &mut Registry) {
        for name in JOBS {
            let s = self.clone();
            registry.register(
                WorkerType::Notification,
                name,
                handler_fn(move |ctx| {
                    let s = s.clone();
                    async move {
                        if ctx.name() == "send-email" {
                            return email::send(&s.config, ctx.data()).await;
                        }
                        // The same id on every attempt, unique per queue and job.
                        let id = format!("msg_{}_{}", ctx.queue(), ctx.id());
                        webhook::send(&s.config, &id, ctx.data()).await
                    }
                }),
            );
        }
    }
}

/// Checks a notification job's data without running it: a webhook to an internal address
/// written as such is refused here, as scraping refuses one (a host name is checked when
/// the webhook is sent).
pub fn check(name: &str, data: &Value, config: &NotifyConfig) -> Result<(), String> {
    match name {
        "send-webhook" => {
            let (_, url, _) = webhook::parse(data)?;
            crate::net::check_literal(&url, &config.webhook_allow_private, "WEBHOOK_ALLOW_PRIVATE")
                .map_err(|r| format!("invalid send-webhook data: url `{url}`: {r}"))
        }
        "send-email" => email::prepare(data).map(|_| ()),
        _ => Ok(()),
    }
}
