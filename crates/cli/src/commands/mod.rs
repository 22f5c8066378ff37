//! The commands that run against Redis: one module per resource.

pub mod accounts;
pub mod audit;
pub mod jobs;
pub mod products;
pub mod queues;
pub mod schedules;
pub mod sites;
pub mod workers;

use std::process::ExitCode;

use antrian_core::queue::{HealthLevel, QueueEvent, Subscription};
use antrian_core::Runtime;

use crate::output;
use crate::CliError;

/// `antrian health`: exit 0 healthy or degraded, 1 unhealthy.
pub async fn health(rt: &Runtime, json: bool) -> Result<ExitCode, CliError> {
    let health = rt.health_status().await?;
    let _ = if json {
        output::json(&health)
    } else {
        let mut text = format!(
            "{} (Redis {} at {}, {})\n",
            serde_json::to_value(health.status)
                .ok()
                .and_then(|v| v.as_str().map(String::from))
                .unwrap_or_default(),
            health.redis.redis_version.as_deref().unwrap_or("?"),
            health.redis.address,
            health.redis.mode.as_str()
        );
        for reason in &health.reasons {
            text.push_str(&format!("  - {reason}\n"));
        }
        output::text(&text)
    };
    Ok(match health.status {
        HealthLevel::Unhealthy => ExitCode::from(1),
        _ => ExitCode::SUCCESS,
    })
}

/// Logs what operators want in a server log: final failures, stalls, pauses.
pub async fn log_events(mut events: Subscription) {
    while let Some(event) = events.recv().await {
        match event {
            QueueEvent::JobFailed {
                queue,
                job_id,
                failed_reason,
                attempts_made,
                is_final: true,
            } => {
                tracing::warn!(%queue, job = %job_id, attempts = attempts_made, reason = %failed_reason, "job failed");
            }
            QueueEvent::JobCompleted { queue, job_id, .. } => {
                tracing::debug!(%queue, job = %job_id, "job completed");
            }
            QueueEvent::JobStalled { queue, job_id } => {
                tracing::warn!(%queue, job = %job_id, "job stalled")
            }
            QueueEvent::QueuePaused { queue } => tracing::info!(%queue, "queue paused"),
            QueueEvent::QueueResumed { queue } => tracing::info!(%queue, "queue resumed"),
            QueueEvent::Missed { count } => {
                tracing::warn!(count, "event log fell behind; events skipped")
            }
            _ => {}
        }
    }
}
