//! The HTTP dashboard as the desktop app's Settings change it: where it listens, as whom
//! one signs in, whether it runs — checked here, once, for every adapter.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::DashboardConfig;
use crate::error::{Error, Result};

/// What Settings changes of the dashboard (the password is kept apart, in the keyring).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[ts(export, export_to = "../../../ui/src/api/generated/")]
pub struct DashboardSettings {
    /// Serve it.
    pub enabled: bool,
    /// Address to listen on: `127.0.0.1` for this machine only, `0.0.0.0` for every
    /// interface.
    pub host: String,
    /// TCP port, 1 to 65535 (3001 by default).
    pub port: u16,
    /// Basic-auth user.
    pub username: String,
}

impl DashboardSettings {
    /// The settings a configuration gives.
    pub fn of(config: &DashboardConfig) -> Self {
        Self {
            enabled: config.enabled,
            host: config.host.to_string(),
            port: config.port,
            username: config.username.clone(),
        }
    }

    /// Checks every field; the error names the first bad one.
    pub fn check(&self) -> Result<()> {
        let bad = |field: &str, rule: String| Error::InvalidJob {
            field: field.into(),
            rule,
        };
        self.host.trim().parse::<std::net::IpAddr>().map_err(|_| {
            bad(
                "host",
                format!(
                    "{:?} is not an IP address: use 127.0.0.1 (this machine only) or 0.0.0.0 (every interface)",
                    self.host
                ),
            )
        })?;
        if self.port == 0 {
            return Err(bad("port", "must be from 1 to 65535".into()));
        }
        let user = self.username.trim();
        if user.is_empty() || user.contains(':') || user.chars().any(char::is_control) {
            return Err(bad(
                "username",
                "must be a name without `:` (it is the basic-auth user)".into(),
            ));
        }
        Ok(())
    }

    /// The configuration these settings give with `password`. Call [`Self::check`] first.
    pub fn apply(&self, base: &DashboardConfig, password: String) -> DashboardConfig {
        DashboardConfig {
            enabled: self.enabled,
            port: self.port,
            host: self.host.trim().parse().unwrap_or(base.host),
            username: self.username.trim().to_string(),
            password,
        }
    }
}

/// Whether the dashboard runs, and where, as Settings shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export, export_to = "../../../ui/src/api/generated/")]
pub struct DashboardStatus {
    /// The settings in effect.
    pub settings: DashboardSettings,
    /// Its address while it runs (`http://127.0.0.1:3001`).
    pub url: Option<String>,
    /// Why it does not run although enabled (the port is taken…).
    pub error: Option<String>,
    /// Where its password is kept: `keyring`, or a file's path.
    pub password_store: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(host: &str, port: u16, username: &str) -> DashboardSettings {
        DashboardSettings {
            enabled: true,
            host: host.into(),
            port,
            username: username.into(),
        }
    }

    #[test]
    fn bad_settings_name_their_field() {
        assert!(settings("127.0.0.1", 3001, "admin").check().is_ok());
        for (bad, field) in [
            (settings("localhost:3001", 3001, "admin"), "host"),
            (settings("127.0.0.1", 0, "admin"), "port"),
            (settings("127.0.0.1", 3001, " "), "username"),
            (settings("127.0.0.1", 3001, "a:b"), "username"),
        ] {
            let e = bad.check().expect_err(field);
            assert!(e.to_string().starts_with(&format!("{field}:")), "{e}");
        }
    }
}
