//! The desktop app's own settings (`~/.config/antrian/desktop.json`): notification
//! preferences, the tray choice and saved connections. Passwords are never in this file
//! (see [`crate::secrets`]). Written whole to a temporary file and renamed, so a crash
//! never leaves half a file; an unreadable file is set aside, not lost.

use std::path::{Path, PathBuf};

use antrian_core::alerts::AlertPrefs;
use antrian_core::config::dashboard::DashboardSettings;
use antrian_core::config::targets::HttpTargetInput;
use antrian_core::store::connections::SavedConnection;
use serde::{Deserialize, Serialize};

/// Everything the file holds.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DesktopSettings {
    /// Which alerts become OS notifications.
    pub notifications: AlertPrefs,
    /// Closing the window keeps the app (and its workers) running in the tray.
    pub close_to_tray: bool,
    /// Saved external connections.
    pub connections: Vec<SavedConnection>,
    /// The connection in use; none is the default (embedded unless configured).
    pub active_connection: Option<String>,
    /// The HTTP dashboard as saved in Settings; none follows the configuration
    /// (`QUEUE_DASHBOARD_*`, by default on at 127.0.0.1:3001).
    pub dashboard: Option<DashboardSettings>,
    /// Custom queues whose jobs are POSTed to an endpoint, as Settings saved them
    /// (`QUEUE_HTTP_TARGETS` wins when set).
    pub http_targets: Vec<HttpTargetInput>,
}

/// The settings and where they live.
#[derive(Debug)]
pub struct SettingsFile {
    path: PathBuf,
    /// The current settings.
    pub current: DesktopSettings,
}

impl SettingsFile {
    /// Reads `dir/desktop.json`; a missing file gives the defaults. A file that does not
    /// parse is renamed to `desktop.json.bad` (kept for the user) and the defaults used.
    pub fn load(dir: &Path) -> Self {
        let path = dir.join("desktop.json");
        let current = match std::fs::read_to_string(&path) {
            Ok(text) => serde_json::from_str(&text).unwrap_or_else(|e| {
                let aside = path.with_extension("json.bad");
                tracing::error!(
                    "{}: {e}; kept as {} and starting from the defaults",
                    path.display(),
                    aside.display()
                );
                let _ = std::fs::rename(&path, &aside);
                DesktopSettings::default()
            }),
            Err(_) => DesktopSettings::default(),
        };
        Self { path, current }
    }

    /// Writes `next` and makes it current; on failure nothing changes.
    pub fn save(&mut self, next: DesktopSettings) -> std::io::Result<()> {
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let tmp = self.path.with_extension("json.tmp");
        let text = serde_json::to_string_pretty(&next).map_err(std::io::Error::other)?;
        std::fs::write(&tmp, text)?;
        std::fs::rename(&tmp, &self.path)?;
        self.current = next;
        Ok(())
    }
}

/// Where Antrian's per-user files live (`$XDG_CONFIG_HOME/antrian`).
pub fn config_dir() -> PathBuf {
    antrian_core::config::user_config_dir()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_round_trip_and_a_broken_file_is_set_aside() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut file = SettingsFile::load(dir.path());
        assert_eq!(file.current, DesktopSettings::default());
        let mut next = file.current.clone();
        next.close_to_tray = true;
        next.notifications.cooldown_secs = 60;
        file.save(next.clone()).expect("save");
        assert_eq!(SettingsFile::load(dir.path()).current, next);

        std::fs::write(dir.path().join("desktop.json"), "{not json").expect("write");
        let reloaded = SettingsFile::load(dir.path());
        assert_eq!(reloaded.current, DesktopSettings::default());
        assert_eq!(
            std::fs::read_to_string(dir.path().join("desktop.json.bad")).expect("kept"),
            "{not json"
        );
    }
}
