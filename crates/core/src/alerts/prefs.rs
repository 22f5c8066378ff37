//! Notification preferences: kinds, muted queues, quiet hours and the grouping cooldown.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::{Alert, AlertKind};
use crate::error::{Error, Result};

/// Shortest and longest cooldown a failure group may have, seconds.
const COOLDOWN_SECS: std::ops::RangeInclusive<u32> = 1..=86_400;

/// Which alerts become notifications.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
#[ts(export, export_to = "../../../ui/src/api/generated/")]
pub struct AlertPrefs {
    /// Master switch.
    pub enabled: bool,
    /// Kinds that notify (all five by default).
    pub kinds: Vec<AlertKind>,
    /// Queues whose alerts never notify.
    pub muted_queues: Vec<String>,
    /// Seconds a failure group stays quiet after notifying, before its summary.
    pub cooldown_secs: u32,
    /// Hours (local time) when nothing notifies.
    pub quiet_hours: Option<QuietHours>,
}

impl Default for AlertPrefs {
    fn default() -> Self {
        Self {
            enabled: true,
            kinds: vec![
                AlertKind::Failures,
                AlertKind::Connection,
                AlertKind::Health,
                AlertKind::Schedules,
                AlertKind::Nodes,
            ],
            muted_queues: Vec::new(),
            cooldown_secs: 300,
            quiet_hours: None,
        }
    }
}

/// A daily span of local time, `HH:MM` to `HH:MM`; it may cross midnight (`22:00`–`07:00`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export, export_to = "../../../ui/src/api/generated/")]
pub struct QuietHours {
    /// Start, `HH:MM`.
    pub start: String,
    /// End, `HH:MM` (exclusive).
    pub end: String,
}

impl AlertPrefs {
    /// Checks every field; the error names the first bad one.
    pub fn validate(&self) -> Result<()> {
        if !COOLDOWN_SECS.contains(&self.cooldown_secs) {
            return Err(invalid(
                "cooldownSecs",
                "the cooldown must be from 1 second to 86400 (a day)",
            ));
        }
        if let Some(q) = &self.quiet_hours {
            let start = minute_of_day(&q.start).ok_or_else(|| {
                invalid("quietHours.start", "a time of day as HH:MM, such as 22:00")
            })?;
            let end = minute_of_day(&q.end).ok_or_else(|| {
                invalid("quietHours.end", "a time of day as HH:MM, such as 07:00")
            })?;
            if start == end {
                return Err(invalid(
                    "quietHours.end",
                    "quiet hours must end at another time than they start",
                ));
            }
        }
        if let Some(q) = self.muted_queues.iter().find(|q| q.trim().is_empty()) {
            return Err(invalid("mutedQueues", &format!("a queue name, not {q:?}")));
        }
        Ok(())
    }

    /// The failure groups' cooldown.
    pub fn cooldown(&self) -> Duration {
        Duration::from_secs(u64::from(self.cooldown_secs.max(1)))
    }

    /// Whether `alert` should notify at `minute` (of the local day, 0–1439).
    pub fn allows(&self, alert: &Alert, minute: u32) -> bool {
        self.enabled
            && self.kinds.contains(&alert.kind)
            && !alert
                .queue
                .as_ref()
                .is_some_and(|q| self.muted_queues.contains(q))
            && !self.quiet_at(minute)
    }

    /// Whether `minute` (of the local day) falls in the quiet hours.
    pub fn quiet_at(&self, minute: u32) -> bool {
        let Some(q) = &self.quiet_hours else {
            return false;
        };
        let (Some(start), Some(end)) = (minute_of_day(&q.start), minute_of_day(&q.end)) else {
            return false;
        };
        if start < end {
            (start..end).contains(&minute)
        } else {
            minute >= start || minute < end
        }
    }
}

fn invalid(field: &str, rule: &str) -> Error {
    Error::InvalidJob {
        field: field.to_string(),
        rule: rule.to_string(),
    }
}

/// `HH:MM` as minutes since midnight.
fn minute_of_day(text: &str) -> Option<u32> {
    let (h, m) = text.trim().split_once(':')?;
    if h.is_empty() || h.len() > 2 || m.len() != 2 {
        return None;
    }
    let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
    (h < 24 && m < 60).then_some(h * 60 + m)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alert(kind: AlertKind, queue: Option<&str>) -> Alert {
        Alert {
            kind,
            queue: queue.map(str::to_string),
            title: "t".into(),
            body: "b".into(),
            link: None,
        }
    }

    #[test]
    fn defaults_notify_every_kind_with_a_five_minute_cooldown() {
        let prefs = AlertPrefs::default();
        prefs.validate().expect("defaults are valid");
        assert_eq!(prefs.cooldown(), Duration::from_secs(300));
        assert!(prefs.allows(&alert(AlertKind::Nodes, None), 0));
        // A file written by an older version, with fields missing, gets the defaults.
        let partial: AlertPrefs = serde_json::from_str(r#"{"cooldownSecs": 60}"#).expect("parse");
        assert_eq!(partial.kinds.len(), 5);
        assert_eq!(partial.cooldown_secs, 60);
    }

    #[test]
    fn kinds_queues_and_the_master_switch_filter_alerts() {
        let prefs = AlertPrefs {
            kinds: vec![AlertKind::Failures],
            muted_queues: vec!["cleanup-queue".into()],
            ..AlertPrefs::default()
        };
        assert!(prefs.allows(&alert(AlertKind::Failures, Some("scraping-queue")), 600));
        assert!(!prefs.allows(&alert(AlertKind::Failures, Some("cleanup-queue")), 600));
        assert!(!prefs.allows(&alert(AlertKind::Connection, None), 600));
        let off = AlertPrefs {
            enabled: false,
            ..prefs
        };
        assert!(!off.allows(&alert(AlertKind::Failures, Some("scraping-queue")), 600));
    }

    #[test]
    fn quiet_hours_may_cross_midnight() {
        let night = AlertPrefs {
            quiet_hours: Some(QuietHours {
                start: "22:00".into(),
                end: "07:00".into(),
            }),
            ..AlertPrefs::default()
        };
        night.validate().expect("valid");
        assert!(night.quiet_at(22 * 60));
        assert!(night.quiet_at(3 * 60));
        assert!(!night.quiet_at(7 * 60), "the end is exclusive");
        assert!(!night.quiet_at(12 * 60));
        assert!(!night.allows(&alert(AlertKind::Health, None), 23 * 60));
        let lunch = AlertPrefs {
            quiet_hours: Some(QuietHours {
                start: "12:00".into(),
                end: "13:30".into(),
            }),
            ..AlertPrefs::default()
        };
        assert!(lunch.quiet_at(12 * 60 + 45));
        assert!(!lunch.quiet_at(13 * 60 + 30));
        assert!(!lunch.quiet_at(23 * 60));
    }

    #[test]
    fn bad_preferences_name_the_field() {
        let cases = [
            (
                AlertPrefs {
                    cooldown_secs: 0,
                    ..AlertPrefs::default()
                },
                "cooldownSecs",
            ),
            (
                AlertPrefs {
                    quiet_hours: Some(QuietHours {
                        start: "25:00".into(),
                        end: "07:00".into(),
                    }),
                    ..AlertPrefs::default()
                },
                "quietHours.start",
            ),
            (
                AlertPrefs {
                    quiet_hours: Some(QuietHours {
                        start: "07:00".into(),
                        end: "7".into(),
                    }),
                    ..AlertPrefs::default()
                },
                "quietHours.end",
            ),
            (
                AlertPrefs {
                    quiet_hours: Some(QuietHours {
                        start: "07:00".into(),
                        end: "07:00".into(),
                    }),
                    ..AlertPrefs::default()
                },
                "quietHours.end",
            ),
            (
                AlertPrefs {
                    muted_queues: vec![" ".into()],
                    ..AlertPrefs::default()
                },
                "mutedQueues",
            ),
        ];
        for (prefs, field) in cases {
            let err = prefs.validate().expect_err(field);
            assert!(
                err.to_string().starts_with(field),
                "{err} should name {field}"
            );
        }
        let unknown =
            serde_json::from_str::<AlertPrefs>(r#"{"cooldown": 5}"#).expect_err("unknown field");
        assert!(unknown.to_string().contains("cooldown"), "{unknown}");
    }
}
