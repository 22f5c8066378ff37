//! Job options as users give them (the seed's `addJob(queue, name, data, options)`), checked
//! and turned into BullMQ's own options.
//!
//! Priorities: the seed's levels and numbers 1–10, a higher number more urgent; BullMQ's
//! priority is `11 − number` (its 1 is the most urgent). Every job gets an explicit priority
//! (default normal) because BullMQ fetches un-prioritised jobs before all prioritised ones
//! (DESIGN.md decision 5).
//!
//! Backoff: `fixed` and `exponential` with factor 2 and no cap are written in BullMQ's
//! built-in form, so a Node.js worker applies the same delays. Anything else (a cap, another
//! factor, `linear`) is written as a custom strategy whose name carries its parameters
//! (`antrian-exponential:2000:2:30000`, `antrian-linear:1000:500`): bullmq-official's
//! `BackoffStrategy::Custom` keeps only a name, so the name is where they can travel.
//! Antrian's workers compute it with [`backoff_delay`]; a Node.js worker needs a
//! `backoffStrategy` that parses the same name.

use bullmq::options::JobOptions;
use bullmq::types::{BackoffStrategy, KeepJobs, RemoveOnFinish};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The seed's priority levels and their numbers (higher is more urgent).
pub const PRIORITY_LEVELS: [(&str, u32); 5] = [
    ("critical", 10),
    ("high", 7),
    ("normal", 5),
    ("low", 3),
    ("background", 1),
];

/// A priority as given: a level name or a number 1–10.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(untagged)]
#[ts(export, export_to = "../../../ui/src/api/generated/")]
pub enum Priority {
    /// 1 (background) to 10 (critical).
    Number(#[ts(type = "number")] i64),
    /// `critical`, `high`, `normal`, `low` or `background`.
    Level(String),
}

/// A retry backoff as given.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "lowercase", deny_unknown_fields)]
#[ts(export, export_to = "../../../ui/src/api/generated/")]
pub enum Backoff {
    /// The same delay before every retry.
    Fixed {
        /// Milliseconds.
        #[ts(type = "number")]
        delay: i64,
    },
    /// `delay × factor^(attempt−1)`, capped at `maxDelay`.
    Exponential {
        /// Milliseconds before the first retry.
        #[ts(type = "number")]
        delay: i64,
        /// Growth per attempt (default 2).
        #[serde(default)]
        #[ts(optional)]
        factor: Option<f64>,
        /// Cap in milliseconds.
        #[serde(default, rename = "maxDelay")]
        #[ts(optional, as = "Option<f64>")]
        max_delay: Option<i64>,
    },
    /// `delay + increment × (attempt−1)`.
    Linear {
        /// Milliseconds before the first retry.
        #[ts(type = "number")]
        delay: i64,
        /// Added per attempt, milliseconds.
        #[ts(type = "number")]
        increment: i64,
    },
}

/// `removeOnComplete` / `removeOnFail` as given: `true`/`false`, a count to keep, or
/// `{age, count}` (age in seconds, as BullMQ).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(untagged)]
#[ts(export, export_to = "../../../ui/src/api/generated/")]
pub enum Retention {
    /// Remove at once (`true`) or keep all (`false`).
    Flag(bool),
    /// Keep this many.
    Count(#[ts(type = "number")] i64),
    /// Keep by age (seconds) and/or count.
    Keep {
        /// Seconds.
        #[serde(default)]
        #[ts(optional, as = "Option<f64>")]
        age: Option<i64>,
        /// Jobs.
        #[serde(default)]
        #[ts(optional, as = "Option<f64>")]
        count: Option<i64>,
    },
}

/// Job options as the seed's `addJob` takes them (camelCase, every field optional).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[ts(export, export_to = "../../../ui/src/api/generated/", optional_fields)]
pub struct JobOptionsInput {
    /// Level name or 1–10; default normal.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub priority: Option<Priority>,
    /// Milliseconds before the job may run.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(as = "Option<f64>")]
    pub delay: Option<i64>,
    /// Tries in all (1–100); default `QUEUE_RETRY_ATTEMPTS`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(as = "Option<f64>")]
    pub attempts: Option<i64>,
    /// Delay between tries; default fixed `QUEUE_RETRY_DELAY`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backoff: Option<Backoff>,
    /// A custom id: adding the same id twice adds nothing the second time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub job_id: Option<String>,
    /// Take this job before older ones of the same priority.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lifo: Option<bool>,
    /// What to keep of completed jobs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remove_on_complete: Option<Retention>,
    /// What to keep of failed jobs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remove_on_fail: Option<Retention>,
}

/// Queue-wide defaults applied where a job says nothing (forms show them as placeholders).
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
#[ts(export, export_to = "../../../ui/src/api/generated/")]
pub struct JobDefaults {
    /// Tries in all.
    pub attempts: u32,
    /// Fixed backoff delay, milliseconds.
    #[ts(type = "number")]
    pub backoff_delay_ms: u64,
    /// Completed jobs kept (the seed's 50).
    #[ts(type = "number")]
    pub keep_completed: usize,
    /// Failed jobs kept (the seed's 20).
    #[ts(type = "number")]
    pub keep_failed: usize,
}

/// A priority level as forms offer it: its name and the seed's number.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[ts(export, export_to = "../../../ui/src/api/generated/")]
pub struct PriorityLevel {
    /// `critical`, `high`…
    pub name: String,
    /// 10 (critical) to 1 (background).
    pub number: u32,
}

/// The seed's levels, most urgent first.
pub fn priority_levels() -> Vec<PriorityLevel> {
    PRIORITY_LEVELS
        .iter()
        .map(|(name, number)| PriorityLevel {
            name: (*name).to_string(),
            number: *number,
        })
        .collect()
}

impl Default for JobDefaults {
    fn default() -> Self {
        Self {
            attempts: 3,
            backoff_delay_ms: 5000,
            keep_completed: 50,
            keep_failed: 20,
        }
    }
}

/// Longest delay accepted: a year, in milliseconds.
const MAX_DELAY_MS: i64 = 365 * 24 * 3600 * 1000;

fn invalid(field: &str, rule: impl Into<String>) -> Error {
    Error::InvalidJob {
        field: field.to_string(),
        rule: rule.into(),
    }
}

/// The seed's number (1–10) for a priority, or an error naming the rule.
pub fn priority_number(p: &Priority) -> Result<u32> {
    match p {
        Priority::Number(n) if (1..=10).contains(n) => Ok(u32::try_from(*n).unwrap_or(5)),
        Priority::Number(n) => Err(invalid(
            "priority",
            format!("{n} is out of range: use 1 (background) to 10 (critical)"),
        )),
        Priority::Level(name) => PRIORITY_LEVELS
            .iter()
            .find(|(level, _)| level.eq_ignore_ascii_case(name))
            .map(|(_, n)| *n)
            .ok_or_else(|| {
                invalid(
                    "priority",
                    format!("unknown level `{name}`: use critical, high, normal, low or background, or 1–10"),
                )
            }),
    }
}

fn millis(field: &str, value: i64, max: i64) -> Result<u64> {
    if value < 0 {
        return Err(invalid(
            field,
            format!("{value} is negative: milliseconds must be ≥ 0"),
        ));
    }
    if value > max {
        return Err(invalid(
            field,
            format!("{value} ms is longer than the allowed {max} ms"),
        ));
    }
    Ok(u64::try_from(value).unwrap_or(0))
}

fn backoff_strategy(b: &Backoff) -> Result<BackoffStrategy> {
    match *b {
        Backoff::Fixed { delay } => Ok(BackoffStrategy::Fixed(millis(
            "backoff.delay",
            delay,
            MAX_DELAY_MS,
        )?)),
        Backoff::Exponential {
            delay,
            factor,
            max_delay,
        } => {
            let delay = millis("backoff.delay", delay, MAX_DELAY_MS)?;
            let factor = factor.unwrap_or(2.0);
            if !(factor.is_finite() && (1.0..=100.0).contains(&factor)) {
                return Err(invalid(
                    "backoff.factor",
                    format!("{factor} must be a number from 1 to 100"),
                ));
            }
            let max = max_delay
                .map(|m| millis("backoff.maxDelay", m, MAX_DELAY_MS))
                .transpose()?;
            if let Some(max) = max {
                if max < delay {
                    return Err(invalid(
                        "backoff.maxDelay",
                        format!("{max} is below backoff.delay ({delay})"),
                    ));
                }
            }
            Ok(match max {
                None if factor == 2.0 => BackoffStrategy::Exponential(delay),
                _ => BackoffStrategy::Custom(format!(
                    "antrian-exponential:{delay}:{factor}:{}",
                    max.unwrap_or(0)
                )),
            })
        }
        Backoff::Linear { delay, increment } => {
            let delay = millis("backoff.delay", delay, MAX_DELAY_MS)?;
            let increment = millis("backoff.increment", increment, MAX_DELAY_MS)?;
            Ok(BackoffStrategy::Custom(format!(
                "antrian-linear:{delay}:{increment}"
            )))
        }
    }
}

/// The delay before the retry after `attempts_made` failed attempts (1 for the first retry),
/// for every strategy Antrian writes; `None` for a custom strategy it did not write.
pub fn backoff_delay(strategy: &BackoffStrategy, attempts_made: u32) -> Option<u64> {
    let n = attempts_made.max(1);
    match strategy {
        BackoffStrategy::Fixed(d) => Some(*d),
        // BullMQ's own formula: 2^(attemptsMade−1) × delay.
        BackoffStrategy::Exponential(d) => Some(d.saturating_mul(1u64 << (n - 1).min(62))),
        BackoffStrategy::Custom(name) => {
            let mut parts = name.split(':');
            match parts.next()? {
                "antrian-exponential" => {
                    let delay: f64 = parts.next()?.parse().ok()?;
                    let factor: f64 = parts.next()?.parse().ok()?;
                    let max: u64 = parts.next()?.parse().ok()?;
                    let raw = delay * factor.powi(i32::try_from(n - 1).unwrap_or(i32::MAX));
                    let raw = if raw.is_finite() {
                        raw.round()
                    } else {
                        f64::MAX
                    };
                    // clamped to u64 range below
                    let ms = raw.min(u64::MAX as f64) as u64;
                    Some(if max > 0 { ms.min(max) } else { ms })
                }
                "antrian-linear" => {
                    let delay: u64 = parts.next()?.parse().ok()?;
                    let increment: u64 = parts.next()?.parse().ok()?;
                    Some(delay.saturating_add(increment.saturating_mul(u64::from(n - 1))))
                }
                _ => None,
            }
        }
    }
}

fn retention(field: &str, r: &Retention) -> Result<RemoveOnFinish> {
    let count = |c: i64| -> Result<usize> {
        usize::try_from(c).map_err(|_| invalid(field, format!("count {c} is negative")))
    };
    match *r {
        Retention::Flag(b) => Ok(RemoveOnFinish::Bool(b)),
        Retention::Count(c) => Ok(RemoveOnFinish::Count(count(c)?)),
        Retention::Keep { age, count: c } => {
            if age.is_none() && c.is_none() {
                return Err(invalid(field, "give `age` (seconds), `count`, or both"));
            }
            let age = age
                .map(|a| {
                    u64::try_from(a).map_err(|_| invalid(field, format!("age {a} is negative")))
                })
                .transpose()?;
            Ok(RemoveOnFinish::Options(KeepJobs {
                age,
                count: c.map(count).transpose()?,
                limit: None,
            }))
        }
    }
}

/// Checks `input` and builds BullMQ's options with the queue defaults filled in.
pub fn to_bullmq(input: &JobOptionsInput, defaults: &JobDefaults) -> Result<JobOptions> {
    let priority = input
        .priority
        .as_ref()
        .map(priority_number)
        .transpose()?
        .unwrap_or(5);
    let attempts = match input.attempts {
        None => defaults.attempts,
        Some(a) if (1..=100).contains(&a) => u32::try_from(a).unwrap_or(1),
        Some(a) => return Err(invalid("attempts", format!("{a} must be from 1 to 100"))),
    };
    let backoff = match &input.backoff {
        Some(b) => backoff_strategy(b)?,
        None => BackoffStrategy::Fixed(defaults.backoff_delay_ms),
    };
    if let Some(id) = &input.job_id {
        validate_job_id(id)?;
    }
    Ok(JobOptions {
        priority: Some(11 - priority),
        delay: input
            .delay
            .map(|d| millis("delay", d, MAX_DELAY_MS))
            .transpose()?
            .filter(|d| *d > 0),
        attempts: Some(attempts),
        backoff: Some(backoff),
        job_id: input.job_id.clone(),
        lifo: input.lifo.filter(|l| *l),
        remove_on_complete: Some(match &input.remove_on_complete {
            Some(r) => retention("removeOnComplete", r)?,
            None => RemoveOnFinish::Count(defaults.keep_completed),
        }),
        remove_on_fail: Some(match &input.remove_on_fail {
            Some(r) => retention("removeOnFail", r)?,
            None => RemoveOnFinish::Count(defaults.keep_failed),
        }),
        ..Default::default()
    })
}

/// A custom job id: BullMQ rejects purely numeric ids (they clash with its counter) and the
/// key layout forbids nothing else, but ids show up in URLs and logs, so keep them tame.
pub fn validate_job_id(id: &str) -> Result<()> {
    if id.is_empty() || id.len() > 256 {
        return Err(invalid("jobId", "must be 1 to 256 characters"));
    }
    if id.chars().all(|c| c.is_ascii_digit()) {
        return Err(invalid(
            "jobId",
            format!(
                "`{id}` is a plain number, which BullMQ reserves for its own ids; add a prefix"
            ),
        ));
    }
    if id.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(invalid(
            "jobId",
            "must not contain spaces or control characters",
        ));
    }
    // The engine's own rule, checked here so it answers as bad input rather than as an
    // outage: `:` separates BullMQ's keys, and is allowed only in ids of exactly three
    // parts (its legacy repeatable ids; Antrian's `run:NAME:TIME` ids have that shape).
    if id.contains(':') && id.split(':').count() != 3 {
        return Err(invalid(
            "jobId",
            format!("`{id}` contains `:`, which BullMQ keys use as a separator; use `-` or `_`"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> JobOptionsInput {
        serde_json::from_str(json).expect("valid options JSON")
    }

    #[test]
    fn seed_priorities_map_to_bullmq_with_higher_more_urgent() {
        let d = JobDefaults::default();
        let bull = |p: &str| to_bullmq(&parse(p), &d).expect("valid").priority;
        assert_eq!(bull(r#"{"priority": 7}"#), Some(4));
        assert_eq!(bull(r#"{"priority": "critical"}"#), Some(1));
        assert_eq!(bull(r#"{"priority": "background"}"#), Some(10));
        assert_eq!(bull(r#"{"priority": "High"}"#), Some(4));
        assert_eq!(
            bull("{}"),
            Some(6),
            "every job carries an explicit priority (normal)"
        );
    }

    #[test]
    fn seed_exponential_example_gives_its_delays() {
        let o = to_bullmq(
            &parse(r#"{"attempts": 5, "backoff": {"type": "exponential", "delay": 2000, "factor": 2, "maxDelay": 30000}}"#),
            &JobDefaults::default(),
        )
        .expect("valid");
        let b = o.backoff.expect("backoff");
        let delays: Vec<u64> = (1..=5)
            .map(|n| backoff_delay(&b, n).expect("ours"))
            .collect();
        assert_eq!(delays, [2000, 4000, 8000, 16000, 30000]);
    }

    #[test]
    fn plain_fixed_and_exponential_use_bullmqs_built_in_form() {
        let d = JobDefaults::default();
        let o = to_bullmq(
            &parse(r#"{"backoff": {"type": "exponential", "delay": 1000}}"#),
            &d,
        )
        .expect("valid");
        assert_eq!(
            serde_json::to_value(o.backoff).expect("json"),
            serde_json::json!({"type": "exponential", "delay": 1000})
        );
        let o = to_bullmq(
            &parse(r#"{"backoff": {"type": "fixed", "delay": 5000}}"#),
            &d,
        )
        .expect("valid");
        assert_eq!(
            backoff_delay(o.backoff.as_ref().expect("backoff"), 3),
            Some(5000)
        );
        assert_eq!(
            serde_json::to_value(o.backoff).expect("json"),
            serde_json::json!({"type": "fixed", "delay": 5000})
        );
    }

    #[test]
    fn linear_backoff_adds_the_increment() {
        let o = to_bullmq(
            &parse(r#"{"backoff": {"type": "linear", "delay": 1000, "increment": 500}}"#),
            &JobDefaults::default(),
        )
        .expect("valid");
        let b = o.backoff.expect("backoff");
        let delays: Vec<u64> = (1..=4)
            .map(|n| backoff_delay(&b, n).expect("ours"))
            .collect();
        assert_eq!(delays, [1000, 1500, 2000, 2500]);
    }

    #[test]
    fn defaults_fill_what_the_job_leaves_out() {
        let d = JobDefaults {
            attempts: 4,
            backoff_delay_ms: 1234,
            keep_completed: 50,
            keep_failed: 20,
        };
        let o = to_bullmq(&JobOptionsInput::default(), &d).expect("valid");
        assert_eq!(o.attempts, Some(4));
        assert_eq!(
            backoff_delay(o.backoff.as_ref().expect("backoff"), 1),
            Some(1234)
        );
        assert!(matches!(
            o.remove_on_complete,
            Some(RemoveOnFinish::Count(50))
        ));
        assert!(matches!(o.remove_on_fail, Some(RemoveOnFinish::Count(20))));
    }

    #[test]
    fn bad_options_name_the_field_and_the_rule() {
        let d = JobDefaults::default();
        let cases = [
            (r#"{"priority": 11}"#, "priority", "out of range"),
            (r#"{"priority": 0}"#, "priority", "out of range"),
            (
                r#"{"priority": "urgent"}"#,
                "priority",
                "unknown level `urgent`",
            ),
            (r#"{"delay": -5}"#, "delay", "negative"),
            (r#"{"attempts": 0}"#, "attempts", "from 1 to 100"),
            (r#"{"attempts": 101}"#, "attempts", "from 1 to 100"),
            (
                r#"{"backoff": {"type": "fixed", "delay": -1}}"#,
                "backoff.delay",
                "negative",
            ),
            (
                r#"{"backoff": {"type": "exponential", "delay": 2000, "maxDelay": 100}}"#,
                "backoff.maxDelay",
                "below",
            ),
            (
                r#"{"backoff": {"type": "exponential", "delay": 2000, "factor": 0.5}}"#,
                "backoff.factor",
                "from 1 to 100",
            ),
            (
                r#"{"backoff": {"type": "linear", "delay": 1, "increment": -2}}"#,
                "backoff.increment",
                "negative",
            ),
            (
                r#"{"removeOnComplete": -3}"#,
                "removeOnComplete",
                "negative",
            ),
            (r#"{"removeOnFail": {}}"#, "removeOnFail", "give `age`"),
            (r#"{"jobId": "123"}"#, "jobId", "plain number"),
            (r#"{"jobId": ""}"#, "jobId", "1 to 256"),
            (r#"{"jobId": "a b"}"#, "jobId", "spaces"),
            (r#"{"jobId": "shop:1"}"#, "jobId", "contains `:`"),
            (r#"{"jobId": "a:b:c:d"}"#, "jobId", "contains `:`"),
        ];
        for (json, field, rule) in cases {
            let err = to_bullmq(&parse(json), &d).expect_err(json);
            let text = err.to_string();
            assert!(
                matches!(&err, Error::InvalidJob { field: f, .. } if f == field),
                "{json}: {text}"
            );
            assert!(text.contains(rule), "{json}: {text}");
        }
    }

    #[test]
    fn malformed_options_json_is_rejected_by_the_parser() {
        for json in [
            r#"{"backoff": {"type": "fixed"}}"#,
            r#"{"backoff": {"type": "random", "delay": 1}}"#,
            r#"{"delay": "soon"}"#,
            r#"{"priorty": 5}"#,
        ] {
            assert!(
                serde_json::from_str::<JobOptionsInput>(json).is_err(),
                "{json}"
            );
        }
    }
}
