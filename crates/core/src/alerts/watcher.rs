//! Watches a running runtime and sends the alerts the preferences allow.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use chrono::Timelike;
use tokio::sync::{mpsc, watch as channel};

use super::{Alert, AlertKind, AlertPrefs, FailureGroup, FailureGrouper};
use crate::connection::status::ConnectionState;
use crate::queue::{FireKind, HealthLevel, QueueEvent};
use crate::runtime::Handle;
use crate::worker::{list_nodes, NodeInfo, GONE_AFTER};
use crate::CancellationToken;

/// How often the node registry is read for nodes that stopped sending heartbeats.
const NODES_EVERY: Duration = Duration::from_secs(10);

/// Sends `out` the alerts of `handle`'s runtime that `prefs` allow, until `cancel` fires
/// or the runtime's events end. Preferences may change while it runs.
pub async fn watch(
    handle: Handle,
    prefs: channel::Receiver<AlertPrefs>,
    out: mpsc::Sender<Alert>,
    cancel: CancellationToken,
) {
    let cooldown = prefs.borrow().cooldown();
    let mut watcher = Watcher {
        grouper: FailureGrouper::new(cooldown),
        prefs,
        out,
        health: HealthLevel::Healthy,
        nodes: HashMap::new(),
        lost_at: None,
        health_at: None,
    };
    let mut events = handle.events.subscribe();
    let mut status = handle.status_changes();
    let mut state = status.borrow_and_update().state;
    let mut nodes = tokio::time::interval(NODES_EVERY);
    loop {
        let due = watcher.grouper.next_due();
        tokio::select! {
            () = cancel.cancelled() => return,
            event = events.recv() => match event {
                Some(event) => watcher.on_event(&handle, event).await,
                None => return,
            },
            Ok(()) = status.changed() => {
                let now = status.borrow_and_update().clone();
                watcher.on_status(state, &now).await;
                state = now.state;
            }
            Ok(()) = watcher.prefs.changed() => {
                let cooldown = watcher.prefs.borrow_and_update().cooldown();
                watcher.grouper.set_cooldown(cooldown);
            }
            _ = nodes.tick() => watcher.check_nodes(&handle).await,
            () = sleep_until(due) => {
                for alert in watcher.grouper.due(Instant::now()) {
                    watcher.send(alert).await;
                }
            }
        }
    }
}

/// Sleeps until `at`, or for ever when there is nothing to wait for.
async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at.into()).await,
        None => std::future::pending().await,
    }
}

struct Watcher {
    grouper: FailureGrouper,
    prefs: channel::Receiver<AlertPrefs>,
    out: mpsc::Sender<Alert>,
    /// The last health check's level.
    health: HealthLevel,
    /// Nodes seen at the last read, and whether they were alive.
    nodes: HashMap<String, bool>,
    /// When the connection was lost, while it is.
    lost_at: Option<Instant>,
    /// When health last notified: it does not again within the cooldown (a flapping
    /// check would otherwise notify every interval).
    health_at: Option<Instant>,
}

impl Watcher {
    async fn send(&self, alert: Alert) {
        let now = chrono::Local::now();
        let allowed = self
            .prefs
            .borrow()
            .allows(&alert, now.hour() * 60 + now.minute());
        if allowed {
            tracing::debug!(title = %alert.title, "alert");
            let _ = self.out.send(alert).await;
        }
    }

    async fn on_event(&mut self, handle: &Handle, event: QueueEvent) {
        match event {
            QueueEvent::JobFailed {
                queue,
                job_id,
                failed_reason,
                is_final: true,
                ..
            } => {
                // The job may be gone already (removeOnFail): group it by what is known.
                let job = handle.queues.get_job(&queue, &job_id).await.ok();
                let name = job.as_ref().map_or("job", |j| j.name.as_str());
                let group =
                    FailureGroup::of(&queue, name, job.as_ref().map(|j| &j.data), &failed_reason);
                if let Some(alert) = self.grouper.on_failure(group, &job_id, Instant::now()) {
                    self.send(alert).await;
                }
            }
            QueueEvent::HealthCheck { health } => {
                let worse = rank(health.status) > rank(self.health);
                self.health = health.status;
                let cooldown = self.prefs.borrow().cooldown();
                let quiet = self.health_at.is_some_and(|at| at.elapsed() < cooldown);
                if worse && !quiet {
                    self.health_at = Some(Instant::now());
                    let level = match health.status {
                        HealthLevel::Unhealthy => "unhealthy",
                        _ => "degraded",
                    };
                    self.send(Alert {
                        kind: AlertKind::Health,
                        queue: None,
                        title: format!("Antrian is {level}"),
                        body: health.reasons.join(" "),
                        link: Some("#/health".into()),
                    })
                    .await;
                }
            }
            QueueEvent::ScheduleFired {
                name,
                kind: FireKind::Condition,
                queue,
                job_id,
                ..
            } => {
                self.send(Alert {
                    kind: AlertKind::Schedules,
                    queue: Some(queue.clone()),
                    title: format!("Schedule {name} fired"),
                    body: format!("Its condition became true; it added job {job_id} to {queue}."),
                    link: Some(format!(
                        "#/queues/{}/jobs/{}",
                        encode(&queue),
                        encode(&job_id)
                    )),
                })
                .await;
            }
            _ => {}
        }
    }

    async fn on_status(
        &mut self,
        before: ConnectionState,
        now: &crate::connection::status::ConnectionStatus,
    ) {
        match (before, now.state) {
            (ConnectionState::Connected, ConnectionState::Disconnected) => {
                self.lost_at = Some(Instant::now());
                let why = now
                    .error
                    .as_ref()
                    .map(|e| e.message.clone())
                    .unwrap_or_else(|| "it stopped answering".into());
                self.send(Alert {
                    kind: AlertKind::Connection,
                    queue: None,
                    title: "Redis connection lost".into(),
                    body: format!(
                        "{}: {why}. Workers wait and reconnect by themselves.",
                        now.address
                    ),
                    link: Some("#/health".into()),
                })
                .await;
            }
            (ConnectionState::Disconnected, ConnectionState::Connected) => {
                let after = self
                    .lost_at
                    .take()
                    .map(|at| format!(" after {} s", at.elapsed().as_secs()))
                    .unwrap_or_default();
                self.send(Alert {
                    kind: AlertKind::Connection,
                    queue: None,
                    title: "Redis connection regained".into(),
                    body: format!("{}: connected again{after}.", now.address),
                    link: Some("#/".into()),
                })
                .await;
            }
            _ => {}
        }
    }

    async fn check_nodes(&mut self, handle: &Handle) {
        let Ok(nodes) = list_nodes(&handle.connection, GONE_AFTER).await else {
            return;
        };
        let (gone, seen) = stopped_reporting(&self.nodes, nodes);
        for node in gone {
            self.send(Alert {
                kind: AlertKind::Nodes,
                queue: None,
                title: format!("Worker node {} stopped reporting", node.id),
                body: format!(
                    "No heartbeat from {} for {} s. Jobs it held return to their queues when their locks expire.",
                    node.host,
                    GONE_AFTER.as_secs()
                ),
                link: Some("#/workers".into()),
            })
            .await;
        }
        self.nodes = seen;
    }
}

/// Nodes alive at the last read (`before`) whose heartbeat has now stopped, and what to
/// remember for the next read. A node that left the registry stopped on purpose (it
/// deregisters when it drains or quits): no alert for it.
fn stopped_reporting(
    before: &HashMap<String, bool>,
    now: Vec<NodeInfo>,
) -> (Vec<NodeInfo>, HashMap<String, bool>) {
    let seen = now.iter().map(|n| (n.id.clone(), n.alive)).collect();
    let gone = now
        .into_iter()
        .filter(|n| !n.alive && before.get(&n.id).copied().unwrap_or(false))
        .collect();
    (gone, seen)
}

fn rank(level: HealthLevel) -> u8 {
    match level {
        HealthLevel::Healthy => 0,
        HealthLevel::Degraded => 1,
        HealthLevel::Unhealthy => 2,
    }
}

fn encode(part: &str) -> String {
    url::form_urlencoded::byte_serialize(part.as_bytes()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(id: &str, alive: bool) -> NodeInfo {
        NodeInfo {
            id: id.into(),
            host: "h".into(),
            version: "0".into(),
            pools: Default::default(),
            stats: Default::default(),
            started_at_ms: 0,
            heartbeat_ms: 0,
            alive,
        }
    }

    #[test]
    fn a_node_alerts_once_when_its_heartbeat_stops_not_when_it_leaves() {
        let (gone, seen) =
            stopped_reporting(&HashMap::new(), vec![node("a", true), node("b", false)]);
        assert!(gone.is_empty(), "b was never seen alive");
        let (gone, seen) = stopped_reporting(&seen, vec![node("a", false), node("b", false)]);
        assert_eq!(
            gone.iter().map(|n| n.id.as_str()).collect::<Vec<_>>(),
            ["a"]
        );
        let (gone, seen) = stopped_reporting(&seen, vec![node("a", false)]);
        assert!(gone.is_empty(), "already reported");
        let (gone, seen) = stopped_reporting(&seen, vec![node("c", true)]);
        assert!(gone.is_empty());
        let (gone, _) = stopped_reporting(&seen, vec![]);
        assert!(gone.is_empty(), "c deregistered: it stopped on purpose");
    }
}
