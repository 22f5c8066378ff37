//! What every request passes before a route sees it: HTTP basic auth (compared in constant
//! time, failed attempts per address slowed and then refused for a while) and, for requests
//! that change state, an `Origin`/`Host` check against cross-site requests and DNS
//! rebinding.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use subtle::ConstantTimeEq;

use crate::error::ApiError;

/// Failed logins from one address before its answers are slowed.
const SLOW_AFTER: u32 = 3;
/// Failed logins from one address before it is refused for [`LOCKOUT`].
const REFUSE_AFTER: u32 = 10;
/// How long an address is refused.
pub const LOCKOUT: Duration = Duration::from_secs(300);
/// Failures older than this are forgotten.
const WINDOW: Duration = Duration::from_secs(600);

/// The credentials and the failed-login book.
#[derive(Debug)]
pub struct Guard {
    username: String,
    password: String,
    loopback_only: bool,
    failures: Mutex<HashMap<IpAddr, Failures>>,
}

#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    first: Instant,
    refused_until: Option<Instant>,
}

impl Guard {
    /// Checks requests against `username`/`password`; `loopback_only` when the server
    /// listens on a loopback address (then only loopback `Host` names are accepted).
    pub fn new(username: &str, password: &str, loopback_only: bool) -> Self {
        Self {
            username: username.to_string(),
            password: password.to_string(),
            loopback_only,
            failures: Mutex::new(HashMap::new()),
        }
    }

    fn credentials_match(&self, headers: &HeaderMap) -> bool {
        let Some(given) = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Basic "))
            .and_then(|b| {
                base64::engine::general_purpose::STANDARD
                    .decode(b.trim())
                    .ok()
            })
            .and_then(|b| String::from_utf8(b).ok())
        else {
            return false;
        };
        let (user, pass) = given.split_once(':').unwrap_or((&given, ""));
        // Both compared in full, whatever the first says.
        let user_ok = user.as_bytes().ct_eq(self.username.as_bytes());
        let pass_ok = pass.as_bytes().ct_eq(self.password.as_bytes());
        (user_ok & pass_ok).into()
    }

    fn book(&self) -> std::sync::MutexGuard<'_, HashMap<IpAddr, Failures>> {
        self.failures
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// When `ip` may try again, if it is refused now.
    fn refused(&self, ip: IpAddr, now: Instant) -> Option<Duration> {
        let book = self.book();
        book.get(&ip)
            .and_then(|f| f.refused_until)
            .filter(|until| *until > now)
            .map(|until| until - now)
    }

    /// Books a failure; returns how long to hold the answer back.
    fn failed(&self, ip: IpAddr, now: Instant) -> Duration {
        let mut book = self.book();
        book.retain(|_, f| {
            now.duration_since(f.first) < WINDOW || f.refused_until.is_some_and(|u| u > now)
        });
        let f = book.entry(ip).or_insert(Failures {
            count: 0,
            first: now,
            refused_until: None,
        });
        f.count += 1;
        if f.count >= REFUSE_AFTER {
            f.refused_until = Some(now + LOCKOUT);
            tracing::warn!(%ip, failures = f.count, "too many failed dashboard logins: refusing this address for {} s", LOCKOUT.as_secs());
        }
        if f.count > SLOW_AFTER {
            Duration::from_millis(250 * u64::from(f.count - SLOW_AFTER)).min(Duration::from_secs(2))
        } else {
            Duration::ZERO
        }
    }

    fn succeeded(&self, ip: IpAddr) {
        self.book().remove(&ip);
    }

    /// `Host` must name this server: any name when it listens beyond loopback, a loopback
    /// name otherwise (a rebinding attacker's page sends its own name).
    fn host_ok(&self, headers: &HeaderMap) -> bool {
        if !self.loopback_only {
            return true;
        }
        let Some(host) = headers.get(header::HOST).and_then(|h| h.to_str().ok()) else {
            return false;
        };
        let name = host
            .rsplit_once(':')
            .filter(|(_, port)| port.chars().all(|c| c.is_ascii_digit()))
            .map_or(host, |(name, _)| name);
        matches!(name, "localhost" | "127.0.0.1" | "[::1]") || name.starts_with("127.")
    }
}

/// `Origin`, when a browser sends one with a state-changing request, must be this server.
fn same_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|o| o.to_str().ok()) else {
        return true;
    };
    let Some(host) = headers.get(header::HOST).and_then(|h| h.to_str().ok()) else {
        return false;
    };
    origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"))
        .is_some_and(|o| o.eq_ignore_ascii_case(host))
}

fn unauthorized() -> Response {
    let mut response = ApiError::new(
        StatusCode::UNAUTHORIZED,
        "unauthorized",
        "sign in with the dashboard's user name and password (QUEUE_DASHBOARD_USERNAME / QUEUE_DASHBOARD_PASSWORD)",
    )
    .into_response();
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        header::HeaderValue::from_static("Basic realm=\"Antrian\", charset=\"UTF-8\""),
    );
    response
}

/// The middleware: auth first, then the origin checks.
pub async fn check(
    State(guard): State<Arc<Guard>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    mut request: Request,
    next: Next,
) -> Response {
    let ip = peer.ip();
    let now = Instant::now();
    let headers = request.headers();
    if !guard.host_ok(headers) {
        return ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "the Host header does not name this server",
        )
        .into_response();
    }
    if let Some(wait) = guard.refused(ip, now) {
        let mut response = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_requests",
            format!(
                "too many failed logins from this address; try again in {} s",
                wait.as_secs() + 1
            ),
        )
        .into_response();
        response.headers_mut().insert(
            header::RETRY_AFTER,
            header::HeaderValue::from(wait.as_secs() + 1),
        );
        return response;
    }
    if !guard.credentials_match(headers) {
        // A browser's first request carries no credentials: only wrong ones count.
        if headers.contains_key(header::AUTHORIZATION) {
            let hold = guard.failed(ip, now);
            if !hold.is_zero() {
                tokio::time::sleep(hold).await;
            }
        }
        return unauthorized();
    }
    guard.succeeded(ip);
    let changes_state = !matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if changes_state && !same_origin(headers) {
        return ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "cross-site request refused: the Origin header is not this server",
        )
        .into_response();
    }
    // Who the audit log names for what this request changes.
    request
        .extensions_mut()
        .insert(antrian_core::audit::Actor::dashboard(&guard.username, ip));
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().expect("header"));
        }
        h
    }

    fn basic(user: &str, pass: &str) -> String {
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"))
        )
    }

    #[test]
    fn credentials_must_match_both_parts() {
        let g = Guard::new("admin", "s3cret", true);
        assert!(g.credentials_match(&headers(&[("authorization", &basic("admin", "s3cret"))])));
        for (u, p) in [
            ("admin", "s3cre"),
            ("admin", "s3cret2"),
            ("Admin", "s3cret"),
            ("", ""),
        ] {
            assert!(
                !g.credentials_match(&headers(&[("authorization", &basic(u, p))])),
                "{u}:{p}"
            );
        }
        assert!(!g.credentials_match(&headers(&[("authorization", "Bearer x")])));
        assert!(!g.credentials_match(&HeaderMap::new()));
    }

    #[test]
    fn failures_slow_then_refuse_one_address_only() {
        let g = Guard::new("a", "b", true);
        let ip: IpAddr = "10.0.0.7".parse().expect("ip");
        let other: IpAddr = "10.0.0.8".parse().expect("ip");
        let now = Instant::now();
        let holds: Vec<Duration> = (0..REFUSE_AFTER).map(|_| g.failed(ip, now)).collect();
        assert_eq!(holds[0], Duration::ZERO);
        assert!(
            holds[usize::try_from(SLOW_AFTER).expect("small")] > Duration::ZERO,
            "{holds:?}"
        );
        assert!(g.refused(ip, now).is_some());
        assert!(g.refused(other, now).is_none());
        assert!(
            g.refused(ip, now + LOCKOUT + Duration::from_secs(1))
                .is_none(),
            "for a while, not forever"
        );
    }

    #[test]
    fn hosts_and_origins() {
        let local = Guard::new("a", "b", true);
        assert!(local.host_ok(&headers(&[("host", "127.0.0.1:3001")])));
        assert!(local.host_ok(&headers(&[("host", "localhost:3001")])));
        assert!(local.host_ok(&headers(&[("host", "[::1]:3001")])));
        assert!(!local.host_ok(&headers(&[("host", "evil.example:3001")])));
        assert!(Guard::new("a", "b", false).host_ok(&headers(&[("host", "queues.example")])));
        assert!(same_origin(&headers(&[("host", "127.0.0.1:3001")])));
        assert!(same_origin(&headers(&[
            ("host", "127.0.0.1:3001"),
            ("origin", "http://127.0.0.1:3001")
        ])));
        assert!(!same_origin(&headers(&[
            ("host", "127.0.0.1:3001"),
            ("origin", "http://evil.example")
        ])));
    }
}
