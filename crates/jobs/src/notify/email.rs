//! `send-email` (`to`, `subject`, `template`, `data`): HTML and plain-text e-mail from the
//! built-in templates, over SMTP with lettre.
//!
//! Templates are minijinja with strict undefined variables and HTML auto-escaping for the
//! HTML part, so a missing variable fails the job by name and data cannot inject markup.
//! Addresses are parsed as mailboxes and CR/LF anywhere in a header value is refused.
//! SMTP 5xx answers are permanent (discard); 4xx and connection failures retry.

use antrian_core::config::{NotifyConfig, SmtpSecurity};
use antrian_core::worker::JobError;
use lettre::message::{header::ContentType, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde::Deserialize;
use serde_json::{json, Value};

/// The templates, `(name, html, text)`.
pub const TEMPLATES: [(&str, &str, &str); 5] = [
    (
        "notice",
        include_str!("templates/notice.html"),
        include_str!("templates/notice.txt"),
    ),
    (
        "job-completion",
        include_str!("templates/job-completion.html"),
        include_str!("templates/job-completion.txt"),
    ),
    (
        "job-failure",
        include_str!("templates/job-failure.html"),
        include_str!("templates/job-failure.txt"),
    ),
    (
        "high-queue-alert",
        include_str!("templates/high-queue-alert.html"),
        include_str!("templates/high-queue-alert.txt"),
    ),
    (
        "daily-summary",
        include_str!("templates/daily-summary.html"),
        include_str!("templates/daily-summary.txt"),
    ),
];

/// Recipients per message at most.
const MAX_RECIPIENTS: usize = 50;

/// `send-email`'s data.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EmailJob {
    /// One address or several (at most 50).
    #[schemars(title = "To")]
    pub to: Recipients,
    /// The subject line (1 to 200 characters).
    #[schemars(title = "Subject", length(min = 1, max = 200))]
    pub subject: String,
    /// Without one, `notice`: the subject and the data's entries as a table.
    #[serde(default = "notice")]
    #[schemars(title = "Template", extend("enum" = TEMPLATE_NAMES))]
    pub template: String,
    /// The template's variables.
    #[serde(default)]
    #[schemars(title = "Template data")]
    pub data: Value,
}

/// The names of [`TEMPLATES`].
pub const TEMPLATE_NAMES: [&str; 5] = [
    TEMPLATES[0].0,
    TEMPLATES[1].0,
    TEMPLATES[2].0,
    TEMPLATES[3].0,
    TEMPLATES[4].0,
];

fn notice() -> String {
    "notice".to_string()
}

/// `to` as the seed writes it (one string) or a list.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(untagged)]
pub enum Recipients {
    /// One.
    One(String),
    /// Several.
    Many(Vec<String>),
}

/// A message ready to send.
#[derive(Debug)]
pub struct Rendered {
    /// Recipients.
    pub to: Vec<Mailbox>,
    /// Subject.
    pub subject: String,
    /// HTML body.
    pub html: String,
    /// Plain-text body.
    pub text: String,
}

fn env(html: bool) -> minijinja::Environment<'static> {
    let mut env = minijinja::Environment::new();
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    env.set_auto_escape_callback(move |_| {
        if html {
            minijinja::AutoEscape::Html
        } else {
            minijinja::AutoEscape::None
        }
    });
    env
}

fn render(template: &str, source: &str, data: &Value, html: bool) -> Result<String, String> {
    let env = env(html);
    env.render_str(source, data).map_err(|e| {
        format!(
            "template `{template}` cannot be rendered with this data: {}",
            e.detail()
                .map_or_else(|| e.to_string(), |d| format!("{} ({d})", e.kind()))
        )
    })
}

/// Checks and renders a job's message.
pub fn prepare(data: &Value) -> Result<Rendered, String> {
    let job: EmailJob = crate::scrape::input::parse("send-email", data)?;
    let bad = |m: String| format!("invalid send-email data: {m}");
    let raw = match job.to {
        Recipients::One(a) => vec![a],
        Recipients::Many(a) => a,
    };
    if raw.is_empty() || raw.len() > MAX_RECIPIENTS {
        return Err(bad(format!("`to` needs 1 to {MAX_RECIPIENTS} addresses")));
    }
    let to = raw
        .iter()
        .map(|a| {
            if a.contains(['\r', '\n']) {
                return Err(bad(format!(
                    "address `{}` contains a line break",
                    a.escape_debug()
                )));
            }
            a.parse::<Mailbox>()
                .map_err(|e| bad(format!("`{a}` is not an e-mail address: {e}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    if job.subject.contains(['\r', '\n']) {
        return Err(bad("the subject contains a line break".into()));
    }
    if job.subject.trim().is_empty() || job.subject.chars().count() > 200 {
        return Err(bad("the subject must have 1 to 200 characters".into()));
    }
    let (_, html, text) = TEMPLATES
        .iter()
        .find(|(name, _, _)| *name == job.template)
        .ok_or_else(|| {
            bad(format!(
                "unknown template `{}`; use one of {}",
                job.template,
                TEMPLATES.iter().map(|t| t.0).collect::<Vec<_>>().join(", ")
            ))
        })?;
    let data = if job.data.is_null() {
        json!({})
    } else {
        job.data
    };
    let data = if job.template == "notice" {
        json!({"subject": job.subject, "data": data})
    } else {
        data
    };
    Ok(Rendered {
        to,
        subject: job.subject,
        html: render(&job.template, html, &data, true).map_err(bad)?,
        text: render(&job.template, text, &data, false).map_err(bad)?,
    })
}

/// Sends one job's e-mail.
pub async fn send(cfg: &NotifyConfig, data: &Value) -> Result<Value, JobError> {
    let message = prepare(data).map_err(JobError::discard)?;
    let host = cfg.smtp_host.as_deref().ok_or_else(|| {
        JobError::discard("SMTP_HOST is not set: configure the SMTP server, then retry the job")
    })?;
    let from: Mailbox = cfg
        .smtp_from
        .parse()
        .map_err(|e| JobError::discard(format!("SMTP_FROM `{}`: {e}", cfg.smtp_from)))?;
    let mut builder = Message::builder().from(from).subject(&message.subject);
    for to in &message.to {
        builder = builder.to(to.clone());
    }
    let email = builder
        .multipart(
            MultiPart::alternative()
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_PLAIN)
                        .body(message.text),
                )
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_HTML)
                        .body(message.html),
                ),
        )
        .map_err(|e| JobError::discard(format!("cannot build the message: {e}")))?;
    let transport = match cfg.smtp_security {
        SmtpSecurity::StartTls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host),
        SmtpSecurity::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(host),
        SmtpSecurity::None => Ok(AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(
            host,
        )),
    }
    .map_err(|e| JobError::discard(format!("SMTP_HOST `{host}`: {e}")))?
    .port(cfg.smtp_port)
    .timeout(Some(std::time::Duration::from_secs(30)));
    let transport = match (&cfg.smtp_user, &cfg.smtp_password) {
        (Some(user), password) => transport.credentials(Credentials::new(
            user.clone(),
            password.clone().unwrap_or_default(),
        )),
        _ => transport,
    }
    .build();
    match transport.send(email).await {
        Ok(response) => Ok(json!({
            "to": message.to.iter().map(|m| m.email.to_string()).collect::<Vec<_>>(),
            "subject": message.subject,
            "smtp": response.code().to_string(),
        })),
        Err(e) if e.is_permanent() => Err(JobError::discard(format!(
            "the SMTP server refused the message: {e}"
        ))),
        Err(e) => Err(JobError::retry(format!(
            "SMTP {host}:{}: {e}",
            cfg.smtp_port
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_renders_with_its_variables_and_escapes_html() {
        let cases = [
            (
                "job-completion",
                json!({"jobId": "job-123", "status": "completed"}),
            ),
            (
                "job-failure",
                json!({"jobId": "7", "error": "<b>boom</b>", "queue": "scraping-queue"}),
            ),
            (
                "high-queue-alert",
                json!({"queue": "scraping-queue", "waiting": 120, "threshold": 100}),
            ),
            (
                "daily-summary",
                json!({"date": "2026-11-28", "queues": [{"name": "scraping-queue", "completed": 10, "failed": 1}]}),
            ),
        ];
        for (template, data) in cases {
            let r = prepare(&json!({"to": "admin@example.com", "subject": "S", "template": template, "data": data}))
                .unwrap_or_else(|e| panic!("{template}: {e}"));
            assert!(
                !r.text.is_empty() && r.html.contains("<html>"),
                "{template}"
            );
        }
        let r = prepare(&json!({"to": "a@example.com", "subject": "S", "template": "job-failure", "data": {"jobId": "7", "error": "<b>boom</b>"}}))
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(
            r.html.contains("&lt;b&gt;boom") && !r.html.contains("<b>boom"),
            "{}",
            r.html
        );
        assert!(
            r.text.contains("<b>boom</b>"),
            "plain text is not escaped: {}",
            r.text
        );
    }

    #[test]
    fn the_seeds_alert_action_without_a_template_sends_a_notice() {
        let r = prepare(&json!({"to": "admin@example.com", "subject": "High Queue Alert"}))
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(r.text.starts_with("High Queue Alert"), "{}", r.text);
        let r = prepare(&json!({"to": "a@example.com", "subject": "S <1>", "data": {"queue": "scraping-queue", "waiting": 51}}))
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(
            r.text.contains("queue: scraping-queue") && r.text.contains("waiting: 51"),
            "{}",
            r.text
        );
        assert!(
            r.html.contains("S &lt;1&gt;") && r.html.contains("<th align=\"left\">waiting</th>"),
            "{}",
            r.html
        );
    }

    #[test]
    fn bad_messages_are_named() {
        let err = |v: Value| prepare(&v).err().unwrap_or_default();
        let ok = json!({"jobId": "1", "status": "done"});
        assert!(err(json!({"to": "a@x.com", "subject": "s", "template": "job-completion", "data": {"jobId": "1"}})).contains("undefined"));
        assert!(
            err(json!({"to": "a@x.com", "subject": "s", "template": "nope", "data": ok}))
                .contains("unknown template `nope`")
        );
        assert!(err(json!({"to": "a@x.com\r\nBcc: evil@x.com", "subject": "s", "template": "job-completion", "data": ok})).contains("line break"));
        assert!(err(json!({"to": "a@x.com", "subject": "hi\r\nBcc: evil@x.com", "template": "job-completion", "data": ok})).contains("line break"));
        assert!(err(json!({"to": "not an address", "subject": "s", "template": "job-completion", "data": ok})).contains("not an e-mail address"));
        assert!(
            err(json!({"to": [], "subject": "s", "template": "job-completion", "data": ok}))
                .contains("1 to 50")
        );
    }
}
