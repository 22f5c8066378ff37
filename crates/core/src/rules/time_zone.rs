//! Time zones by IANA name, as Node.js services understand them.

use chrono_tz::Tz;

use super::invalid;
use crate::error::Result;

/// An IANA time zone by name. A wrong case is refused with the right spelling, because
/// Node.js services would not understand it either.
pub fn parse_timezone(name: &str) -> Result<Tz> {
    let name = name.trim();
    if let Ok(tz) = name.parse::<Tz>() {
        return Ok(tz);
    }
    let hint = chrono_tz::TZ_VARIANTS
        .iter()
        .find(|tz| tz.name().eq_ignore_ascii_case(name))
        .map(|tz| format!("; did you mean `{}`?", tz.name()))
        .unwrap_or_default();
    Err(invalid(
        "timezone",
        format!(
            "`{name}` is not an IANA time zone (such as `Europe/Berlin`, `Asia/Jakarta` or `UTC`){hint}"
        ),
    ))
}

/// This machine's time zone, or `UTC` when it cannot be told.
pub fn machine_timezone() -> String {
    iana_time_zone::get_timezone()
        .ok()
        .filter(|name| name.parse::<Tz>().is_ok())
        .unwrap_or_else(|| "UTC".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_zone_is_refused_and_a_wrong_case_gets_the_right_spelling() {
        let e = parse_timezone("Mars/Olympus")
            .expect_err("unknown")
            .to_string();
        assert!(e.contains("`Mars/Olympus` is not an IANA time zone"), "{e}");
        let e = parse_timezone("asia/jakarta")
            .expect_err("wrong case")
            .to_string();
        assert!(e.contains("did you mean `Asia/Jakarta`"), "{e}");
        assert!(parse_timezone(&machine_timezone()).is_ok());
    }
}
