//! The desktop app serves the seed's HTTP dashboard too (its API on :3001, the seed's `curl`
//! commands, bookmarks, scripts), on by default at 127.0.0.1:3001. Its password is generated
//! on first start and kept with the connection passwords (the OS keyring, or the 0600
//! fallback file). When it cannot start (the port is taken) the app keeps running, Settings
//! says why, and a notification says so once.

use antrian_core::config::dashboard::{DashboardSettings, DashboardStatus};
use antrian_core::config::DashboardConfig;
use antrian_core::runtime::Handle;
use antrian_core::CancellationToken;
use antrian_server::Server;

use crate::secrets::Secrets;

/// The secrets entry holding the dashboard's password.
pub const PASSWORD_ID: &str = "antrian-dashboard";

/// The dashboard this app serves, if any.
#[derive(Debug, Default)]
pub struct Dashboard {
    running: tokio::sync::Mutex<Running>,
}

#[derive(Debug, Default)]
struct Running {
    server: Option<(Server, CancellationToken)>,
    settings: Option<DashboardSettings>,
    url: Option<String>,
    error: Option<String>,
}

impl Dashboard {
    /// Stops the dashboard being served, if one is, and waits until it has.
    pub async fn stop(&self) {
        let mut running = self.running.lock().await;
        stop(&mut running).await;
    }

    /// Serves the dashboard for `handle` with `config` (stopping the one served before);
    /// stops when `parent` is cancelled. Returns why it could not start, if it could not.
    pub async fn serve(
        &self,
        handle: Handle,
        settings: DashboardSettings,
        config: DashboardConfig,
        parent: &CancellationToken,
    ) -> Option<String> {
        let mut running = self.running.lock().await;
        stop(&mut running).await;
        running.settings = Some(settings);
        if !config.enabled {
            tracing::info!("the HTTP dashboard is turned off in Settings");
            return None;
        }
        let cancel = parent.child_token();
        match Server::start(handle, &config, cancel.clone()).await {
            Ok(server) => {
                let url = format!("http://{}", server.addr());
                tracing::info!("dashboard: {url} — sign in as {}", config.username);
                running.url = Some(url);
                running.server = Some((server, cancel));
                None
            }
            Err(e) => {
                let why = e.to_string();
                tracing::warn!("the HTTP dashboard is not running: {why}");
                running.error = Some(why.clone());
                Some(why)
            }
        }
    }

    /// What Settings shows; `password_store` is where the password is kept.
    pub async fn status(
        &self,
        fallback: DashboardSettings,
        password_store: String,
    ) -> DashboardStatus {
        let running = self.running.lock().await;
        DashboardStatus {
            settings: running.settings.clone().unwrap_or(fallback),
            url: running.url.clone(),
            error: running.error.clone(),
            password_store,
        }
    }
}

async fn stop(running: &mut Running) {
    if let Some((server, cancel)) = running.server.take() {
        cancel.cancel();
        server.stopped().await;
    }
    running.url = None;
    running.error = None;
}

/// The dashboard's password: the configured one (`QUEUE_DASHBOARD_PASSWORD`), else the
/// one kept in `secrets`, generated and kept on first start (if it cannot be kept, it
/// serves this run and a warning says so). Talks to the keyring.
pub fn password(configured: &str, secrets: &Secrets) -> String {
    if !configured.is_empty() {
        return configured.to_string();
    }
    if let Some(kept) = secrets.get(PASSWORD_ID).filter(|p| !p.is_empty()) {
        return kept;
    }
    let fresh = antrian_server::credentials::generate();
    if let Err(e) = secrets.set(PASSWORD_ID, &fresh) {
        tracing::warn!("cannot keep the dashboard's password ({e}): a new one is made next start");
    }
    fresh
}

/// Shows an OS notification that the dashboard is not running, and why.
pub fn notify_not_running(why: &str) {
    let shown = notify_rust::Notification::new()
        .appname("Antrian")
        .summary("The HTTP dashboard is not running")
        .body(&format!(
            "{why}. Antrian keeps running; change the dashboard's port in Settings."
        ))
        .icon("antrian-desktop")
        .show();
    if let Err(e) = shown {
        tracing::warn!("cannot show a notification ({e}): the dashboard is not running");
    }
}
