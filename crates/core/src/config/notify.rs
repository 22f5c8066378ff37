//! Notification settings (`WEBHOOK_*`).

use super::{AllowList, Parser};
use crate::error::Result;

/// How the SMTP connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// Plain connection upgraded with STARTTLS, which must succeed.
    StartTls,
    /// TLS from the first byte.
    Tls,
    /// No encryption (a local relay).
    None,
}

/// Where update-elasticsearch sends documents.
#[derive(Clone)]
pub struct SearchConfig {
    /// Base URL; `None` when not configured.
    pub url: Option<String>,
    /// Basic-auth user.
    pub username: Option<String>,
    /// Basic-auth password (never printed).
    pub password: Option<String>,
    /// API key (never printed).
    pub api_key: Option<String>,
    /// Documents per `_bulk` request.
    pub batch_size: usize,
}

impl std::fmt::Debug for SearchConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchConfig")
            .field("url", &self.url.as_deref().map(super::redact_url))
            .field("username", &self.username)
            .field("batch_size", &self.batch_size)
            .finish_non_exhaustive()
    }
}

impl SearchConfig {
    pub(super) fn parse(p: &Parser<'_>) -> Result<Self> {
        let url = match p.text("ELASTICSEARCH_URL")?.filter(|u| !u.is_empty()) {
            Some(u) => match url::Url::parse(&u) {
                Ok(parsed) if matches!(parsed.scheme(), "http" | "https") => Some(u),
                _ => return Err(p.invalid("ELASTICSEARCH_URL", "an http:// or https:// URL")),
            },
            None => None,
        };
        Ok(Self {
            url,
            username: p.text("ELASTICSEARCH_USERNAME")?.filter(|u| !u.is_empty()),
            password: p.text("ELASTICSEARCH_PASSWORD")?,
            api_key: p.text("ELASTICSEARCH_API_KEY")?.filter(|k| !k.is_empty()),
            batch_size: p.number(
                "ELASTICSEARCH_BATCH_SIZE",
                1,
                100_000,
                "a whole number from 1 to 100000",
            )?,
        })
    }
}

/// How notifications are sent.
#[derive(Clone)]
pub struct NotifyConfig {
    /// SMTP server host; `None` when e-mail is not configured.
    pub smtp_host: Option<String>,
    /// SMTP port.
    pub smtp_port: u16,
    /// Transport security.
    pub smtp_security: SmtpSecurity,
    /// SMTP user, when authenticating.
    pub smtp_user: Option<String>,
    /// SMTP password (never printed).
    pub smtp_password: Option<String>,
    /// The From mailbox.
    pub smtp_from: String,
    /// Webhook signing secret (never printed).
    pub webhook_secret: Option<String>,
    /// Per-delivery timeout, milliseconds.
    pub webhook_timeout_ms: u64,
    /// Internal destinations webhooks may reach.
    pub webhook_allow_private: AllowList,
}

impl std::fmt::Debug for NotifyConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NotifyConfig")
            .field("smtp_host", &self.smtp_host)
            .field("smtp_port", &self.smtp_port)
            .field("smtp_security", &self.smtp_security)
            .field("smtp_user", &self.smtp_user)
            .field(
                "webhook_secret",
                &self.webhook_secret.as_ref().map(|_| "<redacted>"),
            )
            .field("webhook_timeout_ms", &self.webhook_timeout_ms)
            .field("webhook_allow_private", &self.webhook_allow_private)
            .finish()
    }
}

impl NotifyConfig {
    pub(super) fn parse(p: &Parser<'_>) -> Result<Self> {
        Ok(Self {
            smtp_host: p.text("SMTP_HOST")?.filter(|h| !h.is_empty()),
            smtp_port: p.number("SMTP_PORT", 1, 65535, "a port from 1 to 65535")?,
            smtp_security: match p.text("SMTP_SECURITY")?.as_deref() {
                Some("starttls") | None => SmtpSecurity::StartTls,
                Some("tls") => SmtpSecurity::Tls,
                Some("none") => SmtpSecurity::None,
                Some(_) => return Err(p.invalid("SMTP_SECURITY", "starttls, tls or none")),
            },
            smtp_user: p.text("SMTP_USER")?.filter(|u| !u.is_empty()),
            smtp_password: p.text("SMTP_PASSWORD")?,
            smtp_from: {
                let from = p.text("SMTP_FROM")?.unwrap_or_default();
                if from.contains(['\r', '\n']) || !from.contains('@') {
                    return Err(
                        p.invalid("SMTP_FROM", "a mailbox such as `Antrian <ops@example.com>`")
                    );
                }
                from
            },
            webhook_secret: p.text("WEBHOOK_SECRET")?.filter(|s| !s.is_empty()),
            webhook_timeout_ms: p.number(
                "WEBHOOK_TIMEOUT",
                100,
                600_000,
                "milliseconds from 100 to 600000",
            )?,
            webhook_allow_private: AllowList::parse(p, "WEBHOOK_ALLOW_PRIVATE")?,
        })
    }
}
