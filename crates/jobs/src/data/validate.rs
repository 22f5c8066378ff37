//! `validate-data`: checks records against rules (`field`, `type`, `required`, `min`, `max`,
//! `minLength`, `maxLength`, `pattern`, `enum`). Bad rules are the job's fault and discard
//! it; bad records are the result.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One rule as the seed writes it.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Rule {
    /// The field (dots reach into objects: `offer.price`).
    pub field: String,
    /// string, number, integer, boolean, url, date, email.
    #[serde(rename = "type")]
    #[schemars(extend("enum" = TYPES))]
    pub kind: Option<String>,
    /// Must be present and not null.
    #[serde(default)]
    pub required: bool,
    /// Least number.
    pub min: Option<f64>,
    /// Greatest number.
    pub max: Option<f64>,
    /// Shortest string.
    pub min_length: Option<usize>,
    /// Longest string.
    pub max_length: Option<usize>,
    /// A regular expression the whole string must match.
    pub pattern: Option<String>,
    /// The allowed values.
    #[serde(rename = "enum")]
    pub allowed: Option<Vec<Value>>,
}

/// A rule ready to apply (its pattern compiled).
#[derive(Debug)]
pub struct Checked {
    rule: Rule,
    pattern: Option<regex::Regex>,
}

/// One problem with one record.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Problem {
    /// Which record (0-based).
    pub index: usize,
    /// Which field.
    pub field: String,
    /// Which rule (`required`, `type`, `min`, …).
    pub rule: String,
    /// What is wrong.
    pub message: String,
}

/// The types a rule may ask for.
pub const TYPES: [&str; 7] = [
    "string", "number", "integer", "boolean", "url", "date", "email",
];

/// Checks the rules themselves.
pub fn compile(rules: Vec<Rule>) -> Result<Vec<Checked>, String> {
    if rules.is_empty() {
        return Err("validationRules is empty".into());
    }
    rules
        .into_iter()
        .enumerate()
        .map(|(i, rule)| {
            let at = || format!("validationRules[{i}] ({})", rule.field);
            if rule.field.trim().is_empty() {
                return Err(format!("validationRules[{i}]: `field` is empty"));
            }
            if let Some(kind) = &rule.kind {
                if !TYPES.contains(&kind.as_str()) {
                    return Err(format!(
                        "{}: unknown type `{kind}`; use one of {}",
                        at(),
                        TYPES.join(", ")
                    ));
                }
            }
            if let (Some(min), Some(max)) = (rule.min, rule.max) {
                if min > max {
                    return Err(format!("{}: min {min} is above max {max}", at()));
                }
            }
            if let (Some(min), Some(max)) = (rule.min_length, rule.max_length) {
                if min > max {
                    return Err(format!(
                        "{}: minLength {min} is above maxLength {max}",
                        at()
                    ));
                }
            }
            let pattern = match &rule.pattern {
                Some(p) => Some(regex::Regex::new(&format!("^(?:{p})$")).map_err(|e| {
                    format!("{}: pattern `{p}` is not a regular expression: {e}", at())
                })?),
                None => None,
            };
            Ok(Checked { rule, pattern })
        })
        .collect()
}

fn lookup<'a>(record: &'a Value, field: &str) -> Option<&'a Value> {
    field
        .split('.')
        .try_fold(record, |v, part| v.get(part))
        .filter(|v| !v.is_null())
}

fn type_ok(kind: &str, v: &Value) -> bool {
    match kind {
        "string" => v.is_string(),
        "number" => v.is_number(),
        "integer" => {
            v.as_i64().is_some()
                || v.as_u64().is_some()
                || v.as_f64().is_some_and(|f| f.fract() == 0.0)
        }
        "boolean" => v.is_boolean(),
        "url" => v
            .as_str()
            .and_then(|s| url::Url::parse(s).ok())
            .is_some_and(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some()),
        "date" => v.as_str().is_some_and(|s| {
            chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok()
                || chrono::DateTime::parse_from_rfc3339(s).is_ok()
        }),
        "email" => v.as_str().is_some_and(|s| {
            let mut parts = s.split('@');
            matches!((parts.next(), parts.next(), parts.next()),
                (Some(local), Some(domain), None)
                    if !local.is_empty() && domain.contains('.') && !domain.starts_with('.')
                        && !domain.ends_with('.') && !s.contains(char::is_whitespace))
        }),
        _ => true,
    }
}

/// Checks one record against every rule.
pub fn check(index: usize, record: &Value, rules: &[Checked]) -> Vec<Problem> {
    let mut out = Vec::new();
    for c in rules {
        let r = &c.rule;
        let mut bad = |rule: &str, message: String| {
            out.push(Problem {
                index,
                field: r.field.clone(),
                rule: rule.to_string(),
                message,
            });
        };
        let Some(v) = lookup(record, &r.field) else {
            if r.required {
                bad("required", format!("`{}` is missing", r.field));
            }
            continue;
        };
        if let Some(kind) = &r.kind {
            if !type_ok(kind, v) {
                bad("type", format!("`{}` is {v}, not a valid {kind}", r.field));
                continue;
            }
        }
        if let Some(n) = v.as_f64() {
            if r.min.is_some_and(|min| n < min) {
                bad(
                    "min",
                    format!(
                        "`{}` is {n}, below the minimum {}",
                        r.field,
                        r.min.unwrap_or_default()
                    ),
                );
            }
            if r.max.is_some_and(|max| n > max) {
                bad(
                    "max",
                    format!(
                        "`{}` is {n}, above the maximum {}",
                        r.field,
                        r.max.unwrap_or_default()
                    ),
                );
            }
        }
        if let Some(s) = v.as_str() {
            let len = s.chars().count();
            if r.min_length.is_some_and(|m| len < m) {
                bad(
                    "minLength",
                    format!(
                        "`{}` has {len} characters, fewer than {}",
                        r.field,
                        r.min_length.unwrap_or_default()
                    ),
                );
            }
            if r.max_length.is_some_and(|m| len > m) {
                bad(
                    "maxLength",
                    format!(
                        "`{}` has {len} characters, more than {}",
                        r.field,
                        r.max_length.unwrap_or_default()
                    ),
                );
            }
            if c.pattern.as_ref().is_some_and(|p| !p.is_match(s)) {
                bad(
                    "pattern",
                    format!(
                        "`{}` does not match {}",
                        r.field,
                        r.pattern.as_deref().unwrap_or_default()
                    ),
                );
            }
        }
        if let Some(allowed) = &r.allowed {
            if !allowed.contains(v) {
                bad(
                    "enum",
                    format!(
                        "`{}` is {v}, not one of {}",
                        r.field,
                        Value::from(allowed.clone())
                    ),
                );
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rules(v: Value) -> Result<Vec<Checked>, String> {
        compile(serde_json::from_value(v).map_err(|e| e.to_string())?)
    }

    #[test]
    fn the_seeds_rules_and_every_kind_of_problem() {
        let r = rules(json!([
            {"field": "productId", "type": "string", "required": true},
            {"field": "price", "type": "number", "required": true, "min": 0},
            {"field": "url", "type": "url"},
            {"field": "email", "type": "email"},
            {"field": "day", "type": "date"},
            {"field": "sku", "pattern": "[A-Z]{2}-\\d+", "maxLength": 8},
            {"field": "status", "enum": ["active", "hidden"]},
            {"field": "offer.qty", "type": "integer", "max": 10}
        ]))
        .unwrap_or_else(|e| panic!("{e}"));
        let good = json!({"productId": "p1", "price": 10, "url": "https://a.example/x", "email": "a@b.co",
                          "day": "2024-01-31", "sku": "AB-12", "status": "active", "offer": {"qty": 3}});
        assert_eq!(check(0, &good, &r), vec![]);
        let bad = json!({"price": -1, "url": "ftp://x", "email": "nope", "day": "2024-13-01",
                         "sku": "ab-123456789", "status": "gone", "offer": {"qty": 2.5}});
        let problems: Vec<(String, String)> = check(3, &bad, &r)
            .into_iter()
            .map(|p| (p.field, p.rule))
            .collect();
        let want: Vec<(String, String)> = [
            ("productId", "required"),
            ("price", "min"),
            ("url", "type"),
            ("email", "type"),
            ("day", "type"),
            ("sku", "maxLength"),
            ("sku", "pattern"),
            ("status", "enum"),
            ("offer.qty", "type"),
        ]
        .iter()
        .map(|(f, r)| ((*f).to_string(), (*r).to_string()))
        .collect();
        assert_eq!(problems, want);
    }

    #[test]
    fn bad_rules_are_named() {
        let err = |v| rules(v).err().unwrap_or_default();
        assert!(err(json!([{"field": "a", "type": "colour"}])).contains("unknown type `colour`"));
        assert!(
            err(json!([{"field": "a", "pattern": "("}])).contains("is not a regular expression")
        );
        assert!(err(json!([{"field": "a", "min": 5, "max": 1}])).contains("min 5 is above max 1"));
        assert!(
            err(json!([{"field": "a", "minLength": 5, "maxLength": 1}])).contains("minLength 5")
        );
        assert!(err(json!([])).contains("empty"));
        assert!(err(json!([{"field": "a", "colour": 1}])).contains("unknown field"));
    }
}
