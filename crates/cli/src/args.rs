//! Argument syntax of the CLI that clap does not know: durations and backoff specs. Each
//! error names the flag and the accepted forms.

use antrian_core::queue::{Backoff, Priority};

/// `250ms`, `5s`, `2m`, `1h`, `1d` or plain milliseconds → milliseconds.
pub fn duration_ms(flag: &str, raw: &str) -> Result<i64, String> {
    let raw = raw.trim();
    let split = raw.find(|c: char| !c.is_ascii_digit()).unwrap_or(raw.len());
    let (number, unit) = raw.split_at(split);
    let bad = || {
        format!("{flag} {raw:?}: expected a duration such as 500ms, 5s, 2m, 1h, 1d or plain milliseconds")
    };
    let n: i64 = number.parse().map_err(|_| bad())?;
    let factor = match unit {
        "" | "ms" => 1,
        "s" => 1000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => return Err(bad()),
    };
    n.checked_mul(factor).ok_or_else(bad)
}

/// `fixed:DELAY`, `exponential:DELAY[:FACTOR[:MAX_DELAY]]` or `linear:DELAY:INCREMENT`
/// (milliseconds) → a backoff.
/// `--priority`: a number 1–10, or a level name (checked by core).
pub fn priority(raw: &str) -> Priority {
    raw.parse::<i64>()
        .map_or_else(|_| Priority::Level(raw.to_string()), Priority::Number)
}

/// `--backoff` as core's typed backoff.
pub fn backoff(raw: &str) -> Result<Backoff, String> {
    let bad = |why: &str| {
        format!(
            "--backoff {raw:?}: {why}; expected fixed:DELAY, exponential:DELAY[:FACTOR[:MAX_DELAY]] or linear:DELAY:INCREMENT (milliseconds)"
        )
    };
    let parts: Vec<&str> = raw.split(':').collect();
    let int = |s: &str, what: &str| {
        s.parse::<i64>()
            .map_err(|_| bad(&format!("{what} {s:?} is not a whole number")))
    };
    match parts.as_slice() {
        ["fixed", delay] => Ok(Backoff::Fixed {
            delay: int(delay, "delay")?,
        }),
        ["exponential", delay, rest @ ..] if rest.len() <= 2 => Ok(Backoff::Exponential {
            delay: int(delay, "delay")?,
            factor: rest
                .first()
                .map(|f| {
                    f.parse::<f64>()
                        .map_err(|_| bad(&format!("factor {f:?} is not a number")))
                })
                .transpose()?,
            max_delay: rest.get(1).map(|m| int(m, "max delay")).transpose()?,
        }),
        ["linear", delay, increment] => Ok(Backoff::Linear {
            delay: int(delay, "delay")?,
            increment: int(increment, "increment")?,
        }),
        [kind, ..] if !["fixed", "exponential", "linear"].contains(kind) => {
            Err(bad(&format!("unknown type {kind:?}")))
        }
        _ => Err(bad("wrong number of fields")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(duration_ms("--delay", "5s"), Ok(5000));
        assert_eq!(duration_ms("--delay", "250ms"), Ok(250));
        assert_eq!(duration_ms("--delay", "1500"), Ok(1500));
        assert_eq!(duration_ms("--delay", "2m"), Ok(120_000));
        for bad in ["", "-5s", "5 minutes", "abc", "1.5s"] {
            let e = duration_ms("--delay", bad).expect_err(bad);
            assert!(e.starts_with("--delay"), "{e}");
        }
    }

    #[test]
    fn backoff_specs() {
        assert_eq!(backoff("fixed:5000"), Ok(Backoff::Fixed { delay: 5000 }));
        assert_eq!(
            backoff("exponential:2000:2:30000"),
            Ok(Backoff::Exponential {
                delay: 2000,
                factor: Some(2.0),
                max_delay: Some(30000)
            })
        );
        assert_eq!(
            backoff("exponential:1000"),
            Ok(Backoff::Exponential {
                delay: 1000,
                factor: None,
                max_delay: None
            })
        );
        assert_eq!(
            backoff("linear:1000:500"),
            Ok(Backoff::Linear {
                delay: 1000,
                increment: 500
            })
        );
        for bad in [
            "fixed",
            "fixed:x",
            "random:5",
            "linear:1",
            "exponential:1:2:3:4",
            "exponential:1:two",
            "",
        ] {
            let e = backoff(bad).expect_err(bad);
            assert!(e.starts_with("--backoff"), "{e}");
        }
    }
}
