//! antrian-server: the HTTP dashboard (the seed's "Dashboard": port 3001, basic auth, the
//! REST API), a thin adapter over `antrian-core` (DESIGN.md decisions 4 and 7).
//!
//! - [`guard`]: basic auth on every route, failed logins throttled, `Origin`/`Host` checks.
//! - [`routes`]: the seed's endpoints and everything else the UI needs, JSON in and out.
//! - [`events`]: `GET /api/events`, server-sent events with `Last-Event-ID` resume.
//! - [`metrics`]: `GET /metrics` in Prometheus text format.
//! - [`openapi`]: `GET /api/openapi.json`, generated from the handlers.
//! - [`ui`]: the same UI as the desktop window, built into the binary.
//! - [`error`]: one JSON error shape with core's stable codes.
//! - [`credentials`]: the generated password when none is configured, and the sign-in line.

pub mod credentials;
pub mod error;
pub mod events;
pub mod guard;
pub mod metrics;
pub mod openapi;
pub mod routes;
pub mod ui;

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, OnceLock};

use antrian_core::config::DashboardConfig;
use antrian_core::runtime::Handle;
use antrian_core::CancellationToken;
use axum::extract::{DefaultBodyLimit, Request};
use axum::Router;
use tower::ServiceExt;

/// Largest request body: a bulk add of many jobs fits, a runaway upload does not.
pub const BODY_LIMIT: usize = 8 * 1024 * 1024;

/// The sample password of the seed's README, refused beyond loopback.
const SAMPLE_PASSWORD: &str = "admin123";

/// What every route reaches.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The running core.
    pub rt: Handle,
    /// Events with ids, for `/api/events`.
    pub feed: Arc<events::Feed>,
    /// Counters `/metrics` reports.
    pub counters: Arc<metrics::Counters>,
}

/// Why the dashboard does not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// Listening beyond loopback with no real password.
    #[error("the dashboard would listen on {host}, reachable from other machines, with {why}; set QUEUE_DASHBOARD_PASSWORD to a real password (or QUEUE_DASHBOARD_HOST=127.0.0.1)")]
    WeakPassword {
        /// The address.
        host: IpAddr,
        /// What is wrong with the password.
        why: &'static str,
    },
    /// The port cannot be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

/// Refuses a configuration that would expose the dashboard with no real password.
pub fn check_exposure(config: &DashboardConfig) -> Result<(), StartError> {
    if config.host.is_loopback() {
        return Ok(());
    }
    let why = if config.password.is_empty() {
        "no password"
    } else if config.password == SAMPLE_PASSWORD {
        "the seed's sample password admin123"
    } else {
        return Ok(());
    };
    Err(StartError::WeakPassword {
        host: config.host,
        why,
    })
}

/// The whole application: API, events, metrics and UI behind the guard.
pub fn app(state: AppState, config: &DashboardConfig) -> Router {
    let guard = Arc::new(guard::Guard::new(
        &config.username,
        &config.password,
        config.host.is_loopback(),
    ));
    let (routes, _document) = openapi::router().split_for_parts();
    routes
        .fallback(ui::serve)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(axum::middleware::from_fn_with_state(guard, guard::check))
        .with_state(state)
}

/// [`app`], built when the first request arrives. Building the routes computes every
/// route's OpenAPI description (utoipa-axum), which runs a good part of the binary's code
/// once: a desktop app whose dashboard nobody opens does not pay for it (4 MB of the idle
/// app, bench/README.md). Counters and the event feed still start with the server.
pub fn app_on_first_request(state: AppState, config: &DashboardConfig) -> Router {
    let config = config.clone();
    on_first_request(move || app(state.clone(), &config))
}

/// A router that calls `build` once, when the first request arrives, and hands every
/// request to what it built.
fn on_first_request(build: impl Fn() -> Router + Clone + Send + Sync + 'static) -> Router {
    let built = Arc::new(OnceLock::new());
    Router::new().fallback(move |request: Request| {
        let app = built.get_or_init(&build).clone();
        app.oneshot(request)
    })
}

async fn method_not_allowed(method: axum::http::Method, uri: axum::http::Uri) -> error::ApiError {
    error::ApiError::new(
        axum::http::StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        format!("{} does not take {method}", uri.path()),
    )
}

/// A running dashboard.
#[derive(Debug)]
pub struct Server {
    addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl Server {
    /// Checks the configuration, binds, and serves until `cancel`.
    pub async fn start(
        rt: Handle,
        config: &DashboardConfig,
        cancel: CancellationToken,
    ) -> Result<Self, StartError> {
        check_exposure(config)?;
        let addr = SocketAddr::new(config.host, config.port);
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|source| StartError::Bind { addr, source })?;
        let addr = listener
            .local_addr()
            .map_err(|source| StartError::Bind { addr, source })?;
        let counters = metrics::Counters::start(&rt, cancel.clone());
        let feed = events::Feed::start(&rt, counters.clone(), cancel.clone());
        let state = AppState { rt, feed, counters };
        let app =
            app_on_first_request(state, config).into_make_service_with_connect_info::<SocketAddr>();
        let task = tokio::spawn(async move {
            let served = axum::serve(listener, app)
                .with_graceful_shutdown(async move { cancel.cancelled().await })
                .await;
            if let Err(e) = served {
                tracing::error!("dashboard stopped: {e}");
            }
        });
        tracing::info!(%addr, "dashboard listening on http://{addr}");
        if config.password.is_empty() {
            tracing::warn!("QUEUE_DASHBOARD_PASSWORD is empty: anyone on this machine can use the dashboard as {}", config.username);
        }
        Ok(Self { addr, task })
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Waits until it has stopped (after the cancel token fired).
    pub async fn stopped(self) {
        let _ = self.task.await;
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use axum::body::Body;
    use axum::http::StatusCode;

    use super::*;

    async fn get(app: &Router, path: &str) -> (StatusCode, String) {
        let request = Request::builder()
            .uri(path)
            .body(Body::empty())
            .expect("a request");
        let response = app.clone().oneshot(request).await.expect("infallible");
        let status = response.status();
        let body = axum::body::to_bytes(response.into_body(), 1024)
            .await
            .expect("the whole body");
        (status, String::from_utf8(body.to_vec()).expect("UTF-8"))
    }

    #[tokio::test]
    async fn the_routes_are_built_by_the_first_request_and_only_once() {
        let builds = Arc::new(AtomicUsize::new(0));
        let counted = builds.clone();
        let app = on_first_request(move || {
            counted.fetch_add(1, Ordering::SeqCst);
            Router::new().route("/api/ping", axum::routing::get(|| async { "pong" }))
        });
        assert_eq!(builds.load(Ordering::SeqCst), 0, "built before any request");

        let (first, second) = tokio::join!(get(&app, "/api/ping"), get(&app, "/api/ping"));
        assert_eq!(first, (StatusCode::OK, "pong".to_string()));
        assert_eq!(second, (StatusCode::OK, "pong".to_string()));
        assert_eq!(get(&app, "/nowhere").await.0, StatusCode::NOT_FOUND);
        assert_eq!(builds.load(Ordering::SeqCst), 1);
    }
}
