//! Connection passwords: in the OS keyring through the `keyring` crate (Secret Service on
//! Linux, the Keychain on macOS, the Credential Manager on Windows), or — when no keyring
//! service answers, as on a bare server or a minimal desktop — in
//! `~/.config/antrian/secrets.json`, readable by the user alone (0600 on Unix, the
//! profile's ACL on Windows). The Settings page says which one is in use.
//!
//! Every call may talk to the keyring service (over D-Bus on Linux): call from a blocking
//! thread, not the UI thread.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::sync::OnceLock;

use keyring::Entry;

/// The keyring service name entries are filed under.
const SERVICE: &str = "dev.antrian.desktop";

/// Where passwords go.
#[derive(Debug)]
pub struct Secrets {
    /// The fallback file.
    file: PathBuf,
    /// Whether the keyring answered the first probe.
    keyring: OnceLock<bool>,
}

impl Secrets {
    /// Passwords in the keyring, or in `dir/secrets.json`.
    pub fn new(dir: PathBuf) -> Self {
        Self {
            file: dir.join("secrets.json"),
            keyring: OnceLock::new(),
        }
    }

    /// Whether the OS keyring is usable here (asked once).
    fn keyring_ok(&self) -> bool {
        *self.keyring.get_or_init(|| {
            let probe = Entry::new(SERVICE, "antrian-probe").and_then(|e| e.get_password());
            match probe {
                Ok(_) | Err(keyring::Error::NoEntry) => true,
                Err(e) => {
                    tracing::warn!("no OS keyring ({e}); passwords go to a 0600 file instead");
                    false
                }
            }
        })
    }

    /// `keyring`, or the fallback file's path: shown in Settings.
    pub fn store(&self) -> String {
        if self.keyring_ok() {
            "keyring".into()
        } else {
            self.file.display().to_string()
        }
    }

    /// The password saved for connection `id`.
    pub fn get(&self, id: &str) -> Option<String> {
        if self.keyring_ok() {
            if let Ok(p) = Entry::new(SERVICE, id).and_then(|e| e.get_password()) {
                return Some(p);
            }
        }
        self.read_file().remove(id)
    }

    /// Saves the password of connection `id`.
    pub fn set(&self, id: &str, password: &str) -> Result<(), String> {
        if self.keyring_ok() {
            match Entry::new(SERVICE, id).and_then(|e| e.set_password(password)) {
                Ok(()) => return self.remove_from_file(id),
                Err(e) => tracing::warn!("keyring refused the password of {id}: {e}"),
            }
        }
        let mut all = self.read_file();
        all.insert(id.to_string(), password.to_string());
        self.write_file(&all)
    }

    /// Forgets the password of connection `id` wherever it is.
    pub fn delete(&self, id: &str) -> Result<(), String> {
        if self.keyring_ok() {
            if let Ok(entry) = Entry::new(SERVICE, id) {
                let _ = entry.delete_credential();
            }
        }
        self.remove_from_file(id)
    }

    fn remove_from_file(&self, id: &str) -> Result<(), String> {
        let mut all = self.read_file();
        if all.remove(id).is_some() {
            self.write_file(&all)?;
        }
        Ok(())
    }

    fn read_file(&self) -> BTreeMap<String, String> {
        std::fs::read_to_string(&self.file)
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or_default()
    }

    fn write_file(&self, all: &BTreeMap<String, String>) -> Result<(), String> {
        let fail = |e: std::io::Error| format!("cannot write {}: {e}", self.file.display());
        if let Some(dir) = self.file.parent() {
            std::fs::create_dir_all(dir).map_err(fail)?;
        }
        let tmp = self.file.with_extension("json.tmp");
        let _ = std::fs::remove_file(&tmp);
        let mut out = antrian_core::private_file::owner_only(&mut std::fs::OpenOptions::new())
            .write(true)
            .create_new(true)
            .open(&tmp)
            .map_err(fail)?;
        let text = serde_json::to_string(all).map_err(|e| e.to_string())?;
        out.write_all(text.as_bytes()).map_err(fail)?;
        out.sync_all().map_err(fail)?;
        std::fs::rename(&tmp, &self.file).map_err(fail)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_a_keyring_passwords_live_in_a_file_only_the_user_reads() {
        let dir = tempfile::tempdir().expect("tempdir");
        let secrets = Secrets::new(dir.path().join("antrian"));
        secrets.keyring.set(false).expect("first");
        assert_eq!(secrets.get("c1"), None);
        secrets.set("c1", "s3cret").expect("set");
        secrets.set("c2", "other").expect("set");
        assert_eq!(secrets.get("c1").as_deref(), Some("s3cret"));
        let file = dir.path().join("antrian/secrets.json");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&file).expect("file").permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "{mode:o}");
        }
        assert_eq!(secrets.store(), file.display().to_string());
        secrets.delete("c1").expect("delete");
        assert_eq!(secrets.get("c1"), None);
        assert_eq!(secrets.get("c2").as_deref(), Some("other"));
    }

    /// With a Secret Service on the session bus (gnome-keyring-daemon, unlocked, on a bus
    /// of the test's own), passwords go to it and not to the file.
    #[cfg(target_os = "linux")]
    #[tokio::test(flavor = "multi_thread")]
    async fn with_a_secret_service_passwords_go_to_the_keyring() {
        use std::os::unix::fs::PermissionsExt;
        let bus = antrian_testkit::dbus::DbusSession::start();
        // Before the keyring crate opens its store (once per process): this test owns it.
        std::env::set_var("DBUS_SESSION_BUS_ADDRESS", bus.address());
        let home = tempfile::tempdir().expect("tempdir");
        let runtime_dir = home.path().join("run");
        std::fs::create_dir_all(&runtime_dir).expect("run dir");
        std::fs::set_permissions(&runtime_dir, std::fs::Permissions::from_mode(0o700))
            .expect("chmod");
        let mut daemon = std::process::Command::new("gnome-keyring-daemon")
            .args(["--foreground", "--unlock", "--components=secrets"])
            .env("DBUS_SESSION_BUS_ADDRESS", bus.address())
            .env("HOME", home.path())
            .env("XDG_RUNTIME_DIR", &runtime_dir)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("gnome-keyring-daemon (sudo apt-get install gnome-keyring; make test does)");
        {
            use std::io::Write;
            let mut stdin = daemon.stdin.take().expect("stdin");
            stdin.write_all(b"test-keyring").expect("unlock password");
        }
        let up = bus
            .wait_for_name(
                "org.freedesktop.secrets",
                std::time::Duration::from_secs(20),
            )
            .await;
        assert!(up, "gnome-keyring-daemon did not join the bus");

        let dir = home.path().join("antrian");
        let stored = tokio::task::spawn_blocking(move || {
            let secrets = Secrets::new(dir.clone());
            assert_eq!(secrets.store(), "keyring");
            secrets.set("conn-k", "s3cret").expect("set");
            let got = secrets.get("conn-k");
            let file = dir.join("secrets.json").exists();
            secrets.delete("conn-k").expect("delete");
            (got, file, secrets.get("conn-k"))
        })
        .await
        .expect("join");
        let _ = daemon.kill();
        let _ = daemon.wait();
        assert_eq!(
            stored.0.as_deref(),
            Some("s3cret"),
            "read back from the keyring"
        );
        assert!(!stored.1, "nothing written to the fallback file");
        assert_eq!(stored.2, None, "deleted");
    }
}
