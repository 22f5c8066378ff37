//! Fetching a page politely and robustly: per-site limits, proxies, timeouts, bounded
//! redirects and body size, compressed bodies, charset detection, and HTTP outcomes mapped
//! to job outcomes (429/503 → retry after `Retry-After`; other 5xx and network errors →
//! retry; 404/410 and other 4xx → discard), and the SSRF guard (`crate::net`): no page,
//! redirect or resolved name that is an internal address unless `SCRAPE_ALLOW_PRIVATE`
//! names it.

use std::sync::Arc;
use std::time::{Duration, Instant};

use antrian_core::config::ScrapeConfig;
use antrian_core::worker::{CancelToken, JobError};
use bullmq::redis_connection::AnyConnection;
use url::Url;

use super::politeness::Politeness;
use super::proxy::{ProxyChoice, ProxyPool};
use super::stats::{self, Outcome};
use crate::net;

/// Longest `Retry-After` honoured; a site asking for more is retried after this.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(3600);

/// A fetched page, decoded to text.
#[derive(Debug, Clone)]
pub struct Page {
    /// Where it ended up after redirects.
    pub url: Url,
    /// The decoded body.
    pub body: String,
}

/// A failed fetch: the job outcome, and what was counted (the HTTP status, a timeout…).
#[derive(Debug)]
pub struct Failure {
    /// What the job should do.
    pub error: JobError,
    /// What happened, when a request was made.
    pub outcome: Option<Outcome>,
}

impl From<Failure> for JobError {
    fn from(f: Failure) -> Self {
        f.error
    }
}

impl Failure {
    /// The HTTP status, when the site answered with one.
    pub fn status(&self) -> Option<u16> {
        match self.outcome {
            Some(Outcome::Status(s)) => Some(s),
            _ => None,
        }
    }
}

/// What to send besides the URL.
#[derive(Debug, Clone, Default)]
pub struct FetchOptions {
    /// Go through the proxy pool.
    pub use_proxy: bool,
    /// Extra headers (a session cookie, `Accept`). Values may be secret: never logged.
    pub headers: Vec<(&'static str, String)>,
}

/// The shared HTTP side of every scraping job of a process.
pub struct Fetcher {
    direct: reqwest::Client,
    proxies: ProxyPool,
    politeness: Politeness,
    redis: AnyConnection,
    config: Arc<ScrapeConfig>,
}

impl std::fmt::Debug for Fetcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fetcher").finish_non_exhaustive()
    }
}

/// The client could not be built (a bad proxy URL, TLS set-up).
#[derive(Debug, thiserror::Error)]
#[error("cannot build the scraping HTTP client{}: {source}", .proxy.as_ref().map(|p| format!(" for proxy {p}")).unwrap_or_default())]
pub struct ClientError {
    /// The proxy, without credentials.
    proxy: Option<String>,
    /// Why.
    #[source]
    source: reqwest::Error,
}

impl Fetcher {
    /// Builds the direct client and one client per proxy.
    pub fn new(redis: AnyConnection, config: Arc<ScrapeConfig>) -> Result<Self, ClientError> {
        let direct = client(&config, None).map_err(|source| ClientError {
            proxy: None,
            source,
        })?;
        let mut proxies = Vec::new();
        for raw in &config.proxies {
            let label = antrian_core::config::redact_url(raw);
            let c = client(&config, Some(raw)).map_err(|source| ClientError {
                proxy: Some(label.clone()),
                source,
            })?;
            proxies.push((c, label));
        }
        Ok(Self {
            direct,
            proxies: ProxyPool::new(
                proxies,
                config.proxy_max_failures,
                Duration::from_millis(config.proxy_bench_ms),
            ),
            politeness: Politeness::new(redis.clone(), config.clone()),
            redis,
            config,
        })
    }

    /// The configuration it fetches with.
    pub fn config(&self) -> &ScrapeConfig {
        &self.config
    }

    /// Whether `use_proxy` can be honoured.
    pub fn has_proxies(&self) -> bool {
        !self.proxies.is_empty()
    }

    /// GETs `url` within the site's limits, mapping every failure to a job outcome.
    pub async fn get(
        &self,
        url: &Url,
        opts: &FetchOptions,
        cancel: &CancelToken,
    ) -> Result<Page, Failure> {
        net::check_literal(url, &self.config.allow_private, ALLOW_SETTING).map_err(|r| {
            Failure {
                error: JobError::discard(format!("{url}: {r}")),
                outcome: None,
            }
        })?;
        let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
        let proxy = if opts.use_proxy && self.has_proxies() {
            match self.proxies.pick(Instant::now()) {
                Ok(p) => Some(p),
                Err(wait) => {
                    return Err(Failure {
                        error: JobError::retry_after(
                            "every proxy is benched after repeated failures",
                            wait.max(Duration::from_secs(1)),
                        ),
                        outcome: None,
                    })
                }
            }
        } else {
            None
        };
        let permit = self
            .politeness
            .acquire(&host, cancel)
            .await
            .map_err(|error| Failure {
                error,
                outcome: None,
            })?;
        let result = tokio::select! {
            r = self.send(url, opts, proxy.as_ref()) => r,
            () = cancel.cancelled() => Err((JobError::retry("cancelled during the request"), None)),
        };
        self.politeness.release(permit).await;
        let outcome = match &result {
            Ok(_) => Some(Outcome::Success),
            Err((_, outcome)) => *outcome,
        };
        if let Some(outcome) = outcome {
            stats::record(&self.redis, &host, outcome).await;
            if let Some(p) = &proxy {
                match outcome {
                    Outcome::Timeout | Outcome::Network | Outcome::Status(403 | 407 | 429) => {
                        self.proxies.failed(p.index, Instant::now());
                    }
                    _ => self.proxies.succeeded(p.index),
                }
            }
        }
        result.map_err(|(e, outcome)| Failure {
            error: match &proxy {
                Some(p) => e.with_suffix(&format!(" (via proxy {})", p.label)),
                None => e,
            },
            outcome,
        })
    }

    /// GETs a JSON document; an answer that is not JSON is worth a retry.
    pub async fn get_json(
        &self,
        url: &Url,
        opts: &FetchOptions,
        cancel: &CancelToken,
    ) -> Result<serde_json::Value, Failure> {
        let mut opts = opts.clone();
        opts.headers.push(("accept", "application/json".into()));
        let page = self.get(url, &opts, cancel).await?;
        serde_json::from_str(&page.body).map_err(|e| Failure {
            error: JobError::retry(format!("{url}: the answer is not JSON ({e})")),
            outcome: None,
        })
    }

    async fn send(
        &self,
        url: &Url,
        opts: &FetchOptions,
        proxy: Option<&ProxyChoice>,
    ) -> Result<Page, (JobError, Option<Outcome>)> {
        let client = proxy.map_or(&self.direct, |p| &p.client);
        let mut request = client.get(url.clone());
        for (name, value) in &opts.headers {
            request = request.header(*name, value);
        }
        let mut response = request
            .send()
            .await
            .map_err(|e| transport_error(url, &e, self.config.max_redirects))?;
        let status = response.status();
        if !status.is_success() {
            return Err(status_error(url, &response));
        }
        let max = self.config.max_body_bytes;
        let too_large = || {
            (
                JobError::discard(format!(
                    "{url}: the response is larger than {max} bytes (SCRAPE_MAX_BODY)"
                )),
                Some(Outcome::TooLarge),
            )
        };
        if response.content_length().is_some_and(|n| n > max) {
            return Err(too_large());
        }
        let final_url = response.url().clone();
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| transport_error(url, &e, self.config.max_redirects))?
        {
            if (body.len() + chunk.len()) as u64 > max {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Page {
            url: final_url,
            body: decode(&body, content_type.as_deref()),
        })
    }
}

/// The allow-list setting scraping's SSRF guard names when it refuses.
const ALLOW_SETTING: &str = "SCRAPE_ALLOW_PRIVATE";

/// A client that follows at most `max_redirects` redirects, none of them to a refused
/// address. Direct, it resolves names through the SSRF guard, so no connection (redirects
/// included) reaches an internal address the allow-list does not name; through a proxy,
/// the proxy resolves names and the guard sees only addresses written as such.
fn client(config: &ScrapeConfig, proxy: Option<&str>) -> reqwest::Result<reqwest::Client> {
    let (max, allow) = (config.max_redirects, config.allow_private.clone());
    let redirects = reqwest::redirect::Policy::custom(move |attempt| {
        // The first of the previous URLs is the request's own.
        if attempt.previous().len() > max {
            return attempt.error(format!("more than {max} redirects"));
        }
        match net::check_literal(attempt.url(), &allow, ALLOW_SETTING) {
            Ok(()) => attempt.follow(),
            Err(refused) => attempt.error(refused),
        }
    });
    let mut builder = reqwest::Client::builder()
        .user_agent(&config.user_agent)
        .timeout(Duration::from_millis(config.timeout_ms))
        .connect_timeout(Duration::from_millis(config.timeout_ms.min(10_000)))
        .redirect(redirects)
        .tls_backend_preconfigured(tls_config());
    builder = match proxy {
        Some(p) => builder.proxy(reqwest::Proxy::all(p)?),
        None => builder.no_proxy().dns_resolver(net::GuardedResolver::new(
            config.allow_private.clone(),
            ALLOW_SETTING,
        )),
    };
    builder.build()
}

/// rustls on ring with the Mozilla roots (the same provider and roots redis' TLS uses).
pub(crate) fn tls_config() -> rustls::ClientConfig {
    let roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    let mut tls = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    // ring supports every default protocol version; this cannot fail.
    .unwrap_or_else(|_| unreachable!("ring supports TLS 1.2 and 1.3"))
    .with_root_certificates(roots)
    .with_no_client_auth();
    tls.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    tls
}

fn transport_error(
    url: &Url,
    e: &reqwest::Error,
    max_redirects: usize,
) -> (JobError, Option<Outcome>) {
    if let Some(refused) = net::refusal(e) {
        (JobError::discard(format!("{url}: {refused}")), None)
    } else if e.is_redirect() {
        (
            JobError::discard(format!(
                "{url}: more than {max_redirects} redirects (a redirect loop?)"
            )),
            Some(Outcome::RedirectLoop),
        )
    } else if e.is_timeout() {
        (
            JobError::retry(format!(
                "{url}: no complete answer within the timeout (SCRAPE_TIMEOUT)"
            )),
            Some(Outcome::Timeout),
        )
    } else {
        (
            JobError::retry(format!("{url}: {}", error_chain(e))),
            Some(Outcome::Network),
        )
    }
}

fn status_error(url: &Url, response: &reqwest::Response) -> (JobError, Option<Outcome>) {
    let status = response.status();
    let code = status.as_u16();
    let what = format!("{url}: HTTP {status}");
    let error = match code {
        429 | 503 => match retry_after(response.headers()) {
            Some(after) => JobError::retry_after(what, after),
            None => JobError::retry(what),
        },
        404 | 410 => JobError::discard(format!("{what}: the page does not exist")),
        400..=499 => JobError::discard(what),
        _ => JobError::retry(what),
    };
    (error, Some(Outcome::Status(code)))
}

/// `Retry-After` as seconds or an HTTP date.
pub(crate) fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let raw = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    let after = match raw.parse::<u64>() {
        Ok(secs) => Duration::from_secs(secs),
        Err(_) => {
            let at = chrono::DateTime::parse_from_rfc2822(raw).ok()?;
            (at.with_timezone(&chrono::Utc) - chrono::Utc::now())
                .to_std()
                .unwrap_or(Duration::ZERO)
        }
    };
    Some(after.min(MAX_RETRY_AFTER))
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

/// Decodes a body: the charset of `Content-Type`, else a byte-order mark, else a
/// `<meta charset>` in the first 1024 bytes, else UTF-8 — or windows-1252 when the bytes
/// are not UTF-8 (what browsers assume for an unlabelled Western page).
pub fn decode(body: &[u8], content_type: Option<&str>) -> String {
    let from_header = content_type.and_then(|ct| {
        ct.split(';')
            .filter_map(|p| p.trim().strip_prefix("charset="))
            .next()
            .and_then(|label| encoding_rs::Encoding::for_label(label.trim_matches('"').as_bytes()))
    });
    let encoding = from_header
        .or_else(|| encoding_rs::Encoding::for_bom(body).map(|(e, _)| e))
        .or_else(|| meta_charset(&body[..body.len().min(1024)]))
        .unwrap_or_else(|| {
            if std::str::from_utf8(body).is_ok() {
                encoding_rs::UTF_8
            } else {
                encoding_rs::WINDOWS_1252
            }
        });
    encoding.decode(body).0.into_owned()
}

/// `<meta charset="x">` or `<meta http-equiv="Content-Type" content="…; charset=x">`.
fn meta_charset(head: &[u8]) -> Option<&'static encoding_rs::Encoding> {
    let text = String::from_utf8_lossy(head).to_ascii_lowercase();
    let at = text.find("charset=")?;
    let rest = text[at + "charset=".len()..].trim_start_matches(['"', '\'', ' ']);
    let label: String = rest
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | ':' | '.'))
        .collect();
    encoding_rs::Encoding::for_label(label.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charset_from_header_bom_meta_or_a_guess() {
        let cafe_1252 =
            b"<html><head><meta charset=\"windows-1252\"></head><body>Caf\xe9</body></html>";
        assert!(decode(cafe_1252, Some("text/html")).contains("Café"));
        assert!(decode(b"Caf\xe9", Some("text/html; charset=ISO-8859-1")).contains("Café"));
        assert!(
            decode(b"Caf\xe9", None).contains("Café"),
            "not UTF-8: windows-1252"
        );
        assert!(decode("Café".as_bytes(), None).contains("Café"));
        assert!(decode(b"\xef\xbb\xbfCaf\xc3\xa9", Some("text/html")).contains("Café"));
        let http_equiv =
            b"<meta http-equiv=\"Content-Type\" content=\"text/html; charset=iso-8859-1\">Caf\xe9";
        assert!(decode(http_equiv, None).contains("Café"));
    }

    #[test]
    fn retry_after_in_seconds_or_as_a_date() {
        let mut h = reqwest::header::HeaderMap::new();
        h.insert(
            reqwest::header::RETRY_AFTER,
            "7".parse().unwrap_or_else(|_| unreachable!()),
        );
        assert_eq!(retry_after(&h), Some(Duration::from_secs(7)));
        h.insert(
            reqwest::header::RETRY_AFTER,
            "99999".parse().unwrap_or_else(|_| unreachable!()),
        );
        assert_eq!(retry_after(&h), Some(MAX_RETRY_AFTER));
        let soon = (chrono::Utc::now() + chrono::Duration::seconds(30)).to_rfc2822();
        h.insert(
            reqwest::header::RETRY_AFTER,
            soon.parse().unwrap_or_else(|_| unreachable!()),
        );
        let got = retry_after(&h).unwrap_or_default();
        assert!(
            got > Duration::from_secs(25) && got <= Duration::from_secs(30),
            "{got:?}"
        );
        h.insert(
            reqwest::header::RETRY_AFTER,
            "soon".parse().unwrap_or_else(|_| unreachable!()),
        );
        assert_eq!(retry_after(&h), None);
    }
}
