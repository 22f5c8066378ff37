//! The desktop app's own settings: the connection in use and the saved ones,
//! notifications, the tray, the HTTP dashboard it serves, HTTP targets.

use antrian_core::alerts::AlertPrefs;
use antrian_core::config::dashboard::{DashboardSettings, DashboardStatus};
use antrian_core::config::targets::{HttpTargetInput, HttpTargetsView};
use antrian_core::connection::status::{ConnectionStatus, StatusError};
use antrian_core::store::connections::{
    self, test_connection as test_connection_at, ConnectionInput, ConnectionList, ConnectionTest,
    PasswordChange, SavedConnection,
};
use antrian_core::ErrorCode;
use tauri::{AppHandle, Manager, State};

use crate::shell::Shell;

use super::{blocking, fail, unavailable, Reply};

/// The Redis connection as the Overview shows it.
#[tauri::command]
pub fn get_connection_status(shell: State<'_, Shell>) -> ConnectionStatus {
    shell.status()
}

#[tauri::command]
pub fn get_notification_prefs(shell: State<'_, Shell>) -> AlertPrefs {
    shell.settings().notifications
}

#[tauri::command]
pub fn save_notification_prefs(shell: State<'_, Shell>, prefs: AlertPrefs) -> Reply<AlertPrefs> {
    prefs.validate().map_err(fail)?;
    shell
        .update_settings(|s| s.notifications = prefs)
        .map(|s| s.notifications)
}

#[tauri::command]
pub fn get_close_to_tray(shell: State<'_, Shell>) -> bool {
    shell.settings().close_to_tray
}

#[tauri::command]
pub fn set_close_to_tray(shell: State<'_, Shell>, on: bool) -> Reply<bool> {
    shell
        .update_settings(|s| s.close_to_tray = on)
        .map(|s| s.close_to_tray)
}

/// The HTTP dashboard this app serves: its settings, its address while it runs, or why
/// it does not.
#[tauri::command]
pub async fn get_dashboard(app: AppHandle) -> Reply<DashboardStatus> {
    let shell = app.state::<Shell>();
    let settings = shell.dashboard_settings().ok_or_else(not_started)?;
    // Where the password is kept may take a keyring round trip.
    let app2 = app.clone();
    let store = blocking(move || Ok(app2.state::<Shell>().secrets.store())).await?;
    Ok(shell.dashboard.status(settings, store).await)
}

/// Saves the dashboard's settings (checked first: nothing is saved when one is bad) and
/// serves it again with them.
#[tauri::command]
pub async fn save_dashboard(app: AppHandle, settings: DashboardSettings) -> Reply<DashboardStatus> {
    settings.check().map_err(fail)?;
    app.state::<Shell>()
        .update_settings(|s| s.dashboard = Some(settings))?;
    app.state::<Shell>().serve_dashboard().await;
    get_dashboard(app).await
}

/// The dashboard's password, for Settings to show or copy.
#[tauri::command]
pub async fn get_dashboard_password(app: AppHandle) -> Reply<String> {
    blocking(move || {
        app.state::<Shell>()
            .dashboard_password()
            .ok_or_else(not_started)
    })
    .await
}

/// The HTTP targets saved in Settings (custom queues whose jobs are POSTed to an endpoint).
#[tauri::command]
pub fn get_http_targets(shell: State<'_, Shell>) -> HttpTargetsView {
    shell.http_targets()
}

/// Saves the HTTP targets (checked first: nothing is saved when one is bad) and restarts
/// Antrian on them: the workers drain, then the pools start again with the new queues.
#[tauri::command]
pub async fn save_http_targets(
    app: AppHandle,
    targets: Vec<HttpTargetInput>,
) -> Reply<HttpTargetsView> {
    antrian_core::config::targets::to_env(&targets).map_err(|message| StatusError {
        code: ErrorCode::InvalidInput,
        message,
    })?;
    app.state::<Shell>()
        .update_settings(|s| s.http_targets = targets)?;
    app.state::<Shell>().restart(&app).await;
    Ok(app.state::<Shell>().http_targets())
}

/// The secret HTTP targets' requests are signed with, for receivers to verify them.
#[tauri::command]
pub fn get_signing_secret(shell: State<'_, Shell>) -> Reply<String> {
    shell.signing_secret_in_use().ok_or_else(|| StatusError {
        code: ErrorCode::NotFound,
        message: "no signing secret yet: set WEBHOOK_SECRET, or save an HTTP target".into(),
    })
}

fn not_started() -> StatusError {
    StatusError {
        code: ErrorCode::Unavailable,
        message: "Antrian is still starting: the dashboard starts once Redis is connected".into(),
    }
}

#[tauri::command]
pub async fn list_connections(app: AppHandle) -> Reply<ConnectionList> {
    // Asking the keyring where passwords go may take a D-Bus round trip.
    blocking(move || Ok(app.state::<Shell>().connections())).await
}

#[tauri::command]
pub async fn save_connection(app: AppHandle, input: ConnectionInput) -> Reply<SavedConnection> {
    let app2 = app.clone();
    let (saved, active) = blocking(move || {
        let shell = app2.state::<Shell>();
        let settings = shell.settings();
        // Checked before anything is written.
        let saved = input.resolve(&settings.connections).map_err(fail)?;
        let id = saved.id.clone();
        match input.password_change() {
            PasswordChange::Remove => shell.secrets.delete(&id).map_err(unavailable)?,
            PasswordChange::Set(p) => shell.secrets.set(&id, p).map_err(unavailable)?,
            PasswordChange::Keep => {}
        }
        let next =
            shell.update_settings(|s| connections::upsert(&mut s.connections, saved.clone()))?;
        Ok((
            saved,
            next.active_connection.as_deref() == Some(id.as_str()),
        ))
    })
    .await?;
    if active {
        // The connection in use changed: reconnect with what was saved.
        app.state::<Shell>().restart(&app).await;
    }
    Ok(saved)
}

#[tauri::command]
pub async fn remove_connection(app: AppHandle, id: String) -> Reply<()> {
    blocking(move || {
        let shell = app.state::<Shell>();
        let settings = shell.settings();
        connections::check_removable(
            &settings.connections,
            settings.active_connection.as_deref(),
            &id,
        )
        .map_err(fail)?;
        shell.secrets.delete(&id).map_err(unavailable)?;
        shell.update_settings(|s| s.connections.retain(|c| c.id != id))?;
        Ok(())
    })
    .await
}

#[tauri::command]
pub async fn test_connection(app: AppHandle, input: ConnectionInput) -> Reply<ConnectionTest> {
    let url = blocking(move || {
        let shell = app.state::<Shell>();
        let stored = input.id.as_deref().and_then(|id| shell.secrets.get(id));
        let password = input.password_to_test(stored);
        let saved = input.to_saved("test".into(), false).map_err(fail)?;
        saved.url_with(password.as_deref()).map_err(fail)
    })
    .await?;
    test_connection_at(&url).await.map_err(fail)
}

#[tauri::command]
pub async fn use_connection(app: AppHandle, id: Option<String>) -> Reply<()> {
    let shell = app.state::<Shell>();
    if let Some(id) = &id {
        connections::find(&shell.settings().connections, id).map_err(fail)?;
    }
    shell.update_settings(|s| s.active_connection = id)?;
    shell.restart(&app).await;
    Ok(())
}
