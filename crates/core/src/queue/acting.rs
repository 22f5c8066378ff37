//! The queue manager's changing operations on behalf of someone, written to the audit log
//! ([`crate::audit`]): `queues.by(actor).remove_job(…)`. Every adapter (the desktop
//! commands, the HTTP routes, the CLI) goes through here, so each says only who it is.

use super::manager::QueueManager;
use super::model::{BulkAction, BulkOutcome, CleanOptions, JobFilter, JobState};
use crate::audit::{self, Actor, AuditAction, AuditEntry};
use crate::error::Result;

/// The queue manager acting for one [`Actor`].
#[derive(Debug)]
pub struct Acting<'a> {
    queues: &'a QueueManager,
    actor: Actor,
}

impl QueueManager {
    /// The operations that change jobs and queues, recorded as done by `actor`.
    pub fn by(&self, actor: Actor) -> Acting<'_> {
        Acting {
            queues: self,
            actor,
        }
    }
}

impl Acting<'_> {
    /// Writes the entry; the action is done whatever happens here, so a failed write is
    /// logged, not returned (the caller would otherwise retry what already happened).
    async fn note(&self, action: AuditAction, queue: &str, count: u64, target: String) {
        let entry = AuditEntry::new(self.actor.clone(), action, queue, count, target);
        if let Err(e) = audit::record(&self.queues.conn, &entry).await {
            tracing::warn!(error = %e, summary = %entry.summary, "could not write the audit log");
        }
    }

    /// [`QueueManager::remove_job`].
    pub async fn remove_job(&self, queue: &str, id: &str) -> Result<()> {
        self.queues.remove_job(queue, id).await?;
        self.note(AuditAction::Remove, queue, 1, format!("job {id}"))
            .await;
        Ok(())
    }

    /// [`QueueManager::retry_job`].
    pub async fn retry_job(&self, queue: &str, id: &str) -> Result<()> {
        self.queues.retry_job(queue, id).await?;
        self.note(AuditAction::Retry, queue, 1, format!("job {id}"))
            .await;
        Ok(())
    }

    /// [`QueueManager::promote_job`].
    pub async fn promote_job(&self, queue: &str, id: &str) -> Result<()> {
        self.queues.promote_job(queue, id).await?;
        self.note(AuditAction::Promote, queue, 1, format!("job {id}"))
            .await;
        Ok(())
    }

    /// [`QueueManager::update_job_data`].
    pub async fn update_job_data(
        &self,
        queue: &str,
        id: &str,
        data: serde_json::Value,
    ) -> Result<()> {
        self.queues.update_job_data(queue, id, data).await?;
        self.note(AuditAction::EditData, queue, 1, format!("job {id}"))
            .await;
        Ok(())
    }

    /// [`QueueManager::act_on_matching`].
    pub async fn act_on_matching(
        &self,
        queue: &str,
        state: JobState,
        filter: &JobFilter,
        action: BulkAction,
    ) -> Result<BulkOutcome> {
        let outcome = self
            .queues
            .act_on_matching(queue, state, filter, action)
            .await?;
        if outcome.done > 0 {
            let action = match action {
                BulkAction::Retry => AuditAction::Retry,
                BulkAction::Remove => AuditAction::Remove,
                BulkAction::Promote => AuditAction::Promote,
            };
            let target = format!(
                "{}{}",
                audit::jobs(outcome.done, &super::jobs::state_name(state)),
                describe(filter)
            );
            self.note(action, queue, outcome.done, target).await;
        }
        Ok(outcome)
    }

    /// [`QueueManager::retry_all_failed`].
    pub async fn retry_all_failed(&self, queue: &str) -> Result<u64> {
        let n = self.queues.retry_all_failed(queue).await?;
        if n > 0 {
            self.note(AuditAction::Retry, queue, n, audit::jobs(n, "failed"))
                .await;
        }
        Ok(n)
    }

    /// [`QueueManager::promote_jobs`].
    pub async fn promote_jobs(&self, queue: &str) -> Result<u64> {
        let n = self.queues.promote_jobs(queue).await?;
        if n > 0 {
            self.note(AuditAction::Promote, queue, n, audit::jobs(n, "delayed"))
                .await;
        }
        Ok(n)
    }

    /// [`QueueManager::clean_queue`].
    pub async fn clean_queue(&self, queue: &str, opts: &CleanOptions) -> Result<u64> {
        let n = self.queues.clean_queue(queue, opts).await?;
        if n > 0 {
            let kind = match (opts.completed, opts.failed) {
                (true, true) => "finished",
                (true, false) => "completed",
                _ => "failed",
            };
            self.note(AuditAction::Clean, queue, n, audit::jobs(n, kind))
                .await;
        }
        Ok(n)
    }

    /// [`QueueManager::pause_queue`].
    pub async fn pause_queue(&self, queue: &str) -> Result<()> {
        self.queues.pause_queue(queue).await?;
        self.note(AuditAction::Pause, queue, 0, String::new()).await;
        Ok(())
    }

    /// [`QueueManager::resume_queue`].
    pub async fn resume_queue(&self, queue: &str) -> Result<()> {
        self.queues.resume_queue(queue).await?;
        self.note(AuditAction::Resume, queue, 0, String::new())
            .await;
        Ok(())
    }

    /// Pauses every known queue; returns their names.
    pub async fn pause_all(&self) -> Result<Vec<String>> {
        let names = self.queues.queue_names().await?;
        for name in &names {
            self.pause_queue(name).await?;
        }
        Ok(names)
    }

    /// Resumes every known queue; returns their names.
    pub async fn resume_all(&self) -> Result<Vec<String>> {
        let names = self.queues.queue_names().await?;
        for name in &names {
            self.resume_queue(name).await?;
        }
        Ok(names)
    }
}

/// ` matching name "x", url containing "y"`: what a mass action's filter kept.
fn describe(filter: &JobFilter) -> String {
    let mut parts = Vec::new();
    if let Some(name) = filter.name.as_deref().filter(|n| !n.is_empty()) {
        parts.push(format!("named {name}"));
    }
    if let Some(text) = filter.text.as_deref().filter(|t| !t.is_empty()) {
        match filter.field.as_deref().filter(|f| !f.is_empty()) {
            Some(field) => parts.push(format!("whose {field} contains \"{text}\"")),
            None => parts.push(format!("containing \"{text}\"")),
        }
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!(" {}", parts.join(" and "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_filter_is_described_in_words() {
        let f = |name: Option<&str>, field: Option<&str>, text: Option<&str>| JobFilter {
            name: name.map(Into::into),
            field: field.map(Into::into),
            text: text.map(Into::into),
        };
        assert_eq!(describe(&f(None, None, None)), "");
        assert_eq!(
            describe(&f(Some("product-scraping"), None, Some("HTTP 500"))),
            " named product-scraping and containing \"HTTP 500\""
        );
        assert_eq!(
            describe(&f(None, Some("url"), Some("shop.test"))),
            " whose url contains \"shop.test\""
        );
    }
}
