//! Failure groups: one notification per incident, a summary per cooldown.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::{Alert, AlertKind};

/// Longest error kind kept, in characters.
const MAX_ERROR_CHARS: usize = 120;

/// Data fields that name the page or endpoint a job talks to, in the order they are tried.
const URL_FIELDS: [&str; 5] = ["url", "productUrl", "shopUrl", "targetUrl", "webhookUrl"];

/// What makes two failures the same incident.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FailureGroup {
    /// Queue.
    pub queue: String,
    /// Job name (`scrape-product`).
    pub name: String,
    /// The error without what varies between jobs ([`error_kind`]).
    pub error: String,
    /// Host of the job's target, when it has one ([`target_site`]).
    pub site: Option<String>,
}

impl FailureGroup {
    /// The group of a job that failed with `reason`; `data` is its data when still readable.
    pub fn of(queue: &str, name: &str, data: Option<&Value>, reason: &str) -> Self {
        Self {
            queue: queue.to_string(),
            name: name.to_string(),
            error: error_kind(reason),
            site: target_site(data, reason),
        }
    }

    /// The queue page's failed tab filtered to this group, with "retry these".
    pub fn link(&self) -> String {
        let mut url = url::Url::parse("antrian:/").expect("a constant URL");
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("state", "failed")
                .append_pair("name", &self.name);
            if let Some(site) = &self.site {
                q.append_pair("text", site);
            }
            q.append_pair("alert", &self.error);
        }
        let queue: String = url::form_urlencoded::byte_serialize(self.queue.as_bytes()).collect();
        format!("#/queues/{queue}?{}", url.query().unwrap_or_default())
    }

    fn on_site(&self) -> String {
        self.site
            .as_ref()
            .map(|s| format!(" on {s}"))
            .unwrap_or_default()
    }

    fn alert(&self, title: String, body: String) -> Alert {
        Alert {
            kind: AlertKind::Failures,
            queue: Some(self.queue.clone()),
            title,
            body,
            link: Some(self.link()),
        }
    }
}

/// The error without what varies from job to job: URLs (the site is part of the group) and
/// long numbers (ids, sizes) go, the first line is kept. `https://shop.example/p/1: HTTP 429
/// Too Many Requests` becomes `HTTP 429 Too Many Requests`.
pub fn error_kind(reason: &str) -> String {
    let line = reason.lines().next().unwrap_or_default();
    let words: Vec<&str> = line
        .split_whitespace()
        .filter(|w| !(w.starts_with("http://") || w.starts_with("https://")))
        .collect();
    let mut out = String::new();
    let mut digits = String::new();
    let flush = |out: &mut String, digits: &mut String| {
        if digits.len() >= 5 {
            out.push('#');
        } else {
            out.push_str(digits);
        }
        digits.clear();
    };
    for c in words.join(" ").chars() {
        if c.is_ascii_digit() {
            digits.push(c);
        } else {
            flush(&mut out, &mut digits);
            out.push(c);
        }
    }
    flush(&mut out, &mut digits);
    let kind = out.trim_matches(|c: char| c == ':' || c.is_whitespace());
    if kind.is_empty() {
        return "unknown error".into();
    }
    let mut kept: String = kind.chars().take(MAX_ERROR_CHARS).collect();
    if kind.chars().count() > MAX_ERROR_CHARS {
        kept.push('…');
    }
    kept
}

/// The host a job targets: from its data's URL fields (`url`, `urls[0]`, `webhookUrl`…),
/// else from the first URL in the error.
pub fn target_site(data: Option<&Value>, reason: &str) -> Option<String> {
    let from_data = data.and_then(|d| {
        URL_FIELDS
            .iter()
            .find_map(|f| d.get(f).and_then(Value::as_str))
            .or_else(|| d.get("urls")?.as_array()?.first()?.as_str())
    });
    let from_reason = || {
        reason
            .split_whitespace()
            .find(|w| w.starts_with("http://") || w.starts_with("https://"))
            .map(|w| w.trim_end_matches([':', ',', ';', ')']))
    };
    from_data
        .and_then(host_of)
        .or_else(|| from_reason().and_then(host_of))
}

fn host_of(raw: &str) -> Option<String> {
    url::Url::parse(raw)
        .ok()?
        .host_str()
        .filter(|h| !h.is_empty())
        .map(str::to_string)
}

/// An open incident: notified at its start, quiet until `until`.
#[derive(Debug)]
struct Incident {
    until: Instant,
    /// Failures since the last notification.
    since_last: u64,
    /// Failures since the incident began.
    total: u64,
}

/// Groups final failures: the first of a group notifies at once; more within the cooldown
/// are counted, and summarised when it ends. An incident whose cooldown passes with no new
/// failure closes silently; the next failure opens a new one.
#[derive(Debug)]
pub struct FailureGrouper {
    cooldown: Duration,
    open: HashMap<FailureGroup, Incident>,
}

impl FailureGrouper {
    /// A grouper with this cooldown.
    pub fn new(cooldown: Duration) -> Self {
        Self {
            cooldown,
            open: HashMap::new(),
        }
    }

    /// Changes the cooldown of incidents opened (or extended) from now on.
    pub fn set_cooldown(&mut self, cooldown: Duration) {
        self.cooldown = cooldown;
    }

    /// A job of `group` failed for the last time at `now`: the alert to show, if any.
    pub fn on_failure(&mut self, group: FailureGroup, job_id: &str, now: Instant) -> Option<Alert> {
        if let Some(incident) = self.open.get_mut(&group) {
            incident.since_last += 1;
            incident.total += 1;
            return None;
        }
        let alert = group.alert(
            format!("{}{} failed: {}", group.name, group.on_site(), group.error),
            format!(
                "{} · job {job_id}. More failures like it are grouped for {}.",
                group.queue,
                human(self.cooldown)
            ),
        );
        self.open.insert(
            group,
            Incident {
                until: now + self.cooldown,
                since_last: 0,
                total: 1,
            },
        );
        Some(alert)
    }

    /// Summaries of incidents whose cooldown ended by `now`, oldest group first by name.
    pub fn due(&mut self, now: Instant) -> Vec<Alert> {
        let mut ended: Vec<FailureGroup> = self
            .open
            .iter()
            .filter(|(_, i)| i.until <= now)
            .map(|(g, _)| g.clone())
            .collect();
        ended.sort_by(|a, b| (&a.queue, &a.name, &a.site).cmp(&(&b.queue, &b.name, &b.site)));
        let mut alerts = Vec::new();
        for group in ended {
            let Some(incident) = self.open.get_mut(&group) else {
                continue;
            };
            if incident.since_last == 0 {
                self.open.remove(&group);
                continue;
            }
            alerts.push(group.alert(
                format!(
                    "{} {} jobs failed{}: {}",
                    incident.total,
                    group.name,
                    group.on_site(),
                    group.error
                ),
                format!(
                    "{} · {} in the last {}; still grouped while they continue.",
                    group.queue,
                    incident.since_last,
                    human(self.cooldown)
                ),
            ));
            incident.since_last = 0;
            incident.until = now + self.cooldown;
        }
        alerts
    }

    /// When the next incident's cooldown ends.
    pub fn next_due(&self) -> Option<Instant> {
        self.open.values().map(|i| i.until).min()
    }
}

/// `5 min`, `90 s`, `2 h`.
fn human(d: Duration) -> String {
    let s = d.as_secs();
    if s >= 3600 && s.is_multiple_of(3600) {
        format!("{} h", s / 3600)
    } else if s >= 60 && s.is_multiple_of(60) {
        format!("{} min", s / 60)
    } else {
        format!("{s} s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const REASON: &str = "https://shop.example/p/1: HTTP 429 Too Many Requests";

    fn group(site: &str) -> FailureGroup {
        FailureGroup::of(
            "scraping-queue",
            "scrape-product",
            Some(&json!({"url": format!("https://{site}/p/1")})),
            REASON,
        )
    }

    #[test]
    fn error_kinds_drop_urls_and_ids_but_keep_status_codes() {
        assert_eq!(error_kind(REASON), "HTTP 429 Too Many Requests");
        assert_eq!(
            error_kind("order 1234567 not found\n  at handler.rs:10"),
            "order # not found"
        );
        assert_eq!(error_kind("   "), "unknown error");
        assert_eq!(
            error_kind(&"x".repeat(500)).chars().count(),
            MAX_ERROR_CHARS + 1
        );
    }

    #[test]
    fn the_site_comes_from_the_data_then_from_the_error() {
        let reason = "http://api.example:8080/x: timed out";
        assert_eq!(
            target_site(Some(&json!({"urls": ["https://a.example/1"]})), reason),
            Some("a.example".into())
        );
        assert_eq!(
            target_site(
                Some(&json!({"webhookUrl": "https://hooks.example/h"})),
                reason
            ),
            Some("hooks.example".into())
        );
        assert_eq!(target_site(None, reason), Some("api.example".into()));
        assert_eq!(
            target_site(Some(&json!({"olderThan": 30})), "disk full"),
            None
        );
    }

    #[test]
    fn one_notification_per_incident_then_a_summary_when_the_cooldown_ends() {
        let cooldown = Duration::from_secs(300);
        let mut grouper = FailureGrouper::new(cooldown);
        let t0 = Instant::now();
        let first = grouper
            .on_failure(group("shop.example"), "1", t0)
            .expect("the first failure notifies");
        assert_eq!(
            first.title,
            "scrape-product on shop.example failed: HTTP 429 Too Many Requests"
        );
        assert!(first.body.contains("job 1"), "{}", first.body);
        assert!(first.body.contains("5 min"), "{}", first.body);
        assert_eq!(
            first.link.as_deref(),
            Some("#/queues/scraping-queue?state=failed&name=scrape-product&text=shop.example&alert=HTTP+429+Too+Many+Requests")
        );
        for i in 0..11 {
            let later = t0 + Duration::from_secs(i);
            assert_eq!(grouper.on_failure(group("shop.example"), "n", later), None);
        }
        // Another site is another incident.
        assert!(grouper
            .on_failure(group("other.example"), "x", t0)
            .is_some());
        assert_eq!(grouper.next_due(), Some(t0 + cooldown));
        assert!(grouper
            .due(t0 + cooldown - Duration::from_millis(1))
            .is_empty());
        let summaries = grouper.due(t0 + cooldown);
        assert_eq!(summaries.len(), 1, "other.example had no more failures");
        assert_eq!(
            summaries[0].title,
            "12 scrape-product jobs failed on shop.example: HTTP 429 Too Many Requests"
        );
        assert!(summaries[0].body.contains("11 in the last 5 min"));
        // Still failing: counted on, summarised after the next cooldown.
        let t1 = t0 + cooldown;
        assert_eq!(grouper.on_failure(group("shop.example"), "m", t1), None);
        let next = grouper.due(t1 + cooldown);
        assert_eq!(next.len(), 1);
        assert!(
            next[0].title.starts_with("13 scrape-product"),
            "{}",
            next[0].title
        );
        // A quiet cooldown closes the incident; the next failure notifies again.
        assert!(grouper.due(t1 + cooldown * 2).is_empty());
        assert_eq!(grouper.next_due(), None);
        assert!(grouper
            .on_failure(group("shop.example"), "z", t1 + cooldown * 3)
            .is_some());
    }
}
