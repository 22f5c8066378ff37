//! Cron expressions and time zones: checked, previewed and described by croner with the
//! parser settings bullmq-official fires with (seconds optional), and fire times computed
//! by bullmq-official's own `next_cron_millis`, so a preview is what will fire — DST
//! included.

use chrono::{DateTime, TimeZone};
use chrono_tz::Tz;
use croner::parser::{CronParser, Seconds};
use croner::Cron;

use crate::error::{Error, Result};

fn invalid(field: &str, rule: impl Into<String>) -> Error {
    Error::InvalidJob {
        field: field.to_string(),
        rule: rule.into(),
    }
}

/// Parses `expr` as bullmq-official's worker will: 5 fields (minute first) or 6 (seconds
/// first), or an alias (`@hourly`, `@daily`, `@weekly`, `@monthly`, `@yearly`).
/// croner would also take a 7th field (year), which Node.js BullMQ's parser does not; it
/// is refused so a schedule means the same to both.
pub fn parse(expr: &str) -> Result<Cron> {
    let expr = expr.trim();
    if expr.is_empty() {
        return Err(invalid(
            "schedule",
            "a cron expression is required, e.g. `0 2 * * *` (02:00 every day)",
        ));
    }
    let fields = expr.split_whitespace().count();
    if !expr.starts_with('@') && !(5..=6).contains(&fields) {
        return Err(invalid(
            "schedule",
            format!(
                "`{expr}` has {fields} field{}; use 5 (minute hour day-of-month month day-of-week) or 6 (seconds first)",
                if fields == 1 { "" } else { "s" }
            ),
        ));
    }
    CronParser::builder()
        .seconds(Seconds::Optional)
        .build()
        .parse(expr)
        .map_err(|e| {
            invalid(
                "schedule",
                format!("`{expr}` is not a valid cron expression: {e}"),
            )
        })
}

/// The expression in plain English, croner's wording made whole: croner says "At 02:00."
/// for a schedule that fires every day; this says "At 02:00, every day.".
pub fn describe(expr: &str) -> Result<String> {
    let text = parse(expr)?.describe();
    Ok(with_every_day(expr, text))
}

/// `text` with ", every day" when `expr` fires at fixed times on every day of every month
/// and croner's sentence names no days.
fn with_every_day(expr: &str, text: String) -> String {
    let fields: Vec<&str> = expr.split_whitespace().collect();
    let wildcard = |f: &&str| matches!(*f, "*" | "?");
    let daily = matches!(expr.trim(), "@daily" | "@midnight")
        || (fields.len() >= 5 && fields[fields.len() - 3..].iter().all(wildcard));
    if daily && text.starts_with("At ") && !text.contains("every") && !text.contains("day") {
        format!("{}, every day.", text.trim_end_matches('.'))
    } else {
        text
    }
}

/// `ms` (since the epoch) as RFC 3339 in the zone `timezone` (UTC when it is unknown).
pub fn format_in(ms: i64, timezone: &str) -> String {
    let tz = timezone.parse::<Tz>().unwrap_or(Tz::UTC);
    tz.timestamp_millis_opt(ms)
        .single()
        .map_or_else(|| ms.to_string(), |t| t.to_rfc3339())
}

/// What limits a run of fire times: the schedule's start and end (ms since the epoch) and
/// how many runs it may still make.
#[derive(Debug, Clone, Copy, Default)]
pub struct Bounds {
    /// No run before this (exclusive, as BullMQ computes it).
    pub start: Option<i64>,
    /// No run after this.
    pub end: Option<i64>,
    /// Runs left (`limit` minus runs made).
    pub remaining: Option<u64>,
}

/// The next `count` fire times after `after_ms` (ms since the epoch), in `tz`, each
/// computed exactly as the worker computes the next run after the previous one.
pub fn next_fire_times(
    expr: &str,
    tz: Tz,
    after_ms: i64,
    count: usize,
    bounds: Bounds,
) -> Result<Vec<DateTime<Tz>>> {
    parse(expr)?;
    let count = bounds.remaining.map_or(count, |r| {
        count.min(usize::try_from(r).unwrap_or(usize::MAX))
    });
    let mut times = Vec::with_capacity(count);
    let mut reference = u64::try_from(after_ms).unwrap_or(0);
    let start = bounds.start.and_then(|s| u64::try_from(s).ok());
    while times.len() < count {
        let next = bullmq::job_scheduler::next_cron_millis(expr, reference, Some(tz.name()), start)
            .map_err(|e| invalid("schedule", e.to_string()))?;
        let Some(next) = next else { break };
        let next_i = i64::try_from(next).unwrap_or(i64::MAX);
        if bounds.end.is_some_and(|end| next_i > end) || next <= reference {
            break;
        }
        let Some(at) = tz.timestamp_millis_opt(next_i).single() else {
            break;
        };
        times.push(at);
        reference = next;
    }
    Ok(times)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::parse_timezone;

    fn ms(rfc3339: &str) -> i64 {
        DateTime::parse_from_rfc3339(rfc3339)
            .expect("valid date")
            .timestamp_millis()
    }

    fn times(expr: &str, tz: &str, after: &str, n: usize) -> Vec<String> {
        next_fire_times(
            expr,
            parse_timezone(tz).expect("zone"),
            ms(after),
            n,
            Bounds::default(),
        )
        .expect("valid")
        .iter()
        .map(|t| t.to_rfc3339())
        .collect()
    }

    #[test]
    fn a_daily_schedule_says_every_day() {
        let said = |e: &str| describe(e).expect("valid");
        assert!(
            said("0 2 * * *").ends_with(", every day."),
            "{}",
            said("0 2 * * *")
        );
        assert!(
            said("0 2 * * *").starts_with("At 02:00"),
            "{}",
            said("0 2 * * *")
        );
        // Other schedules keep croner's sentence, which names their days or their step.
        for e in ["0 2 * * 1", "0 2 1 * *", "*/5 * * * *", "0 * * * *"] {
            assert!(!said(e).contains("every day"), "{e}: {}", said(e));
        }
    }

    #[test]
    fn berlin_spring_forward_runs_a_skipped_time_once_after_the_gap() {
        // 2026-03-29: 02:00 → 03:00 CEST. 02:30 does not exist that day.
        assert_eq!(
            times(
                "30 2 * * *",
                "Europe/Berlin",
                "2026-03-27T12:00:00+01:00",
                4
            ),
            [
                "2026-03-28T02:30:00+01:00",
                "2026-03-29T03:00:00+02:00",
                "2026-03-30T02:30:00+02:00",
                "2026-03-31T02:30:00+02:00",
            ]
        );
        // An hourly job has one run fewer that night, none twice.
        assert_eq!(
            times("0 * * * *", "Europe/Berlin", "2026-03-29T00:30:00+01:00", 3),
            [
                "2026-03-29T01:00:00+01:00",
                "2026-03-29T03:00:00+02:00",
                "2026-03-29T04:00:00+02:00",
            ]
        );
    }

    #[test]
    fn berlin_fall_back_runs_a_repeated_time_once() {
        // 2026-10-25: 03:00 CEST → 02:00 CET; 02:30 happens twice, the job runs once.
        let t = times(
            "30 2 * * *",
            "Europe/Berlin",
            "2026-10-24T12:00:00+02:00",
            3,
        );
        assert_eq!(t.len(), 3);
        assert_eq!(t[0], "2026-10-25T02:30:00+02:00");
        assert_eq!(t[1], "2026-10-26T02:30:00+01:00");
        assert_eq!(t[2], "2026-10-27T02:30:00+01:00");
        // Daily at 02:00 in UTC terms: the gap between the two runs is 25 hours.
        let daily = next_fire_times(
            "0 2 * * *",
            parse_timezone("Europe/Berlin").expect("zone"),
            ms("2026-10-24T12:00:00+02:00"),
            2,
            Bounds::default(),
        )
        .expect("valid");
        assert_eq!(
            daily[1].timestamp() - daily[0].timestamp(),
            25 * 3600,
            "{daily:?}"
        );
    }

    #[test]
    fn jakarta_has_no_dst_so_every_day_is_24_hours() {
        // Asia/Jakarta is UTC+7 all year: the same dates as Berlin's changes are ordinary.
        assert_eq!(
            times("30 2 * * *", "Asia/Jakarta", "2026-03-28T12:00:00+07:00", 2),
            ["2026-03-29T02:30:00+07:00", "2026-03-30T02:30:00+07:00"]
        );
        assert_eq!(
            times("0 2 * * *", "Asia/Jakarta", "2026-10-24T12:00:00+07:00", 2),
            ["2026-10-25T02:00:00+07:00", "2026-10-26T02:00:00+07:00"]
        );
        // The seed's 2 AM cleanup in Jakarta is 19:00 UTC the day before.
        let t = next_fire_times(
            "0 2 * * *",
            parse_timezone("Asia/Jakarta").expect("zone"),
            ms("2026-06-01T00:00:00Z"),
            1,
            Bounds::default(),
        )
        .expect("valid");
        assert_eq!(
            t[0].with_timezone(&chrono::Utc).to_rfc3339(),
            "2026-06-01T19:00:00+00:00"
        );
    }

    #[test]
    fn seconds_field_aliases_and_bounds() {
        assert_eq!(
            times("*/15 * * * * *", "UTC", "2026-01-01T00:00:00Z", 3),
            [
                "2026-01-01T00:00:15+00:00",
                "2026-01-01T00:00:30+00:00",
                "2026-01-01T00:00:45+00:00",
            ]
        );
        assert_eq!(
            times("@daily", "UTC", "2026-01-01T10:00:00Z", 1),
            ["2026-01-02T00:00:00+00:00"]
        );
        let bounded = next_fire_times(
            "0 * * * *",
            parse_timezone("UTC").expect("zone"),
            ms("2026-01-01T00:00:00Z"),
            10,
            Bounds {
                start: Some(ms("2026-01-01T05:00:00Z")),
                end: Some(ms("2026-01-01T09:00:00Z")),
                remaining: Some(3),
            },
        )
        .expect("valid");
        let hours: Vec<u32> = bounded.iter().map(chrono::Timelike::hour).collect();
        assert_eq!(hours, [6, 7, 8], "after start, at most 3, not past end");
    }

    #[test]
    fn previews_agree_with_the_function_that_fires() {
        let now = ms("2026-11-28T06:00:00Z");
        for (expr, tz) in [
            ("0 2 * * *", "Asia/Jakarta"),
            ("*/5 * * * * *", "UTC"),
            ("0 9 * * MON-FRI", "Europe/Berlin"),
            ("@weekly", "America/New_York"),
        ] {
            let ours = next_fire_times(
                expr,
                parse_timezone(tz).expect("zone"),
                now,
                1,
                Bounds::default(),
            )
            .expect("valid")[0]
                .timestamp_millis();
            let theirs = bullmq::job_scheduler::next_cron_millis(
                expr,
                u64::try_from(now).expect("positive"),
                Some(tz),
                None,
            )
            .expect("valid")
            .expect("a next time");
            assert_eq!(
                u64::try_from(ours).expect("positive"),
                theirs,
                "{expr} in {tz}"
            );
        }
    }

    #[test]
    fn bad_expressions_and_zones_name_the_problem() {
        for (expr, says) in [
            ("", "required"),
            ("* * * *", "4 fields"),
            ("0 0 0 * * * * *", "8 fields"),
            ("0 0 1 1 * 2030", "not a valid cron"),
            ("61 * * * *", "not a valid cron"),
            ("0 25 * * *", "not a valid cron"),
            ("every day", "2 fields"),
            ("a b c d e", "not a valid cron"),
            ("@fortnightly", "not a valid cron"),
        ] {
            let e = parse(expr).map(|_| ()).expect_err(expr).to_string();
            assert!(
                e.starts_with("schedule:") && e.contains(says),
                "{expr:?}: {e}"
            );
        }
    }

    #[test]
    fn descriptions_are_plain_language() {
        let d = describe("0 2 * * *").expect("valid");
        assert!(d.contains("02:00") || d.contains("2:00"), "{d}");
        assert_ne!(describe("*/5 * * * * *").expect("valid"), d);
    }
}
