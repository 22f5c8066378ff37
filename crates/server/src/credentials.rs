//! The dashboard's password when none is configured. A newcomer at the browser's sign-in
//! prompt must know what to type, and an empty password lets anyone on the machine in: so
//! on first start a password is generated and kept (headless: in the data directory, mode
//! 0600; the desktop app keeps its own in the OS keyring), and start-up says in one line
//! where the dashboard is, as whom to sign in, and where the password is.

use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use antrian_core::config::DashboardConfig;
use rand::distr::{Alphanumeric, SampleString};

/// The file in the data directory that holds a generated password.
pub const PASSWORD_FILE: &str = "dashboard-password";

/// A new random password: 24 letters and digits (about 143 bits).
pub fn generate() -> String {
    Alphanumeric.sample_string(&mut rand::rng(), 24)
}

/// Gives a loopback dashboard with no configured password the one kept in
/// `data_dir/dashboard-password`, generating it on first start; returns that file. A
/// configured password, or a dashboard beyond loopback (which must have a real password,
/// [`crate::check_exposure`]), is left as it is.
pub fn ensure_password(
    config: &mut DashboardConfig,
    data_dir: &Path,
) -> std::io::Result<Option<PathBuf>> {
    if !config.password.is_empty() || !config.host.is_loopback() {
        return Ok(None);
    }
    let path = data_dir.join(PASSWORD_FILE);
    let kept = match std::fs::read_to_string(&path) {
        Ok(text) => Some(text.trim().to_string()).filter(|p| !p.is_empty()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => {
            return Err(std::io::Error::new(
                e.kind(),
                format!(
                    "cannot read the dashboard password in {}: {e}",
                    path.display()
                ),
            ))
        }
    };
    config.password = match kept {
        Some(password) => password,
        None => {
            let password = generate();
            write_private(&path, &password).map_err(|e| {
                std::io::Error::new(
                    e.kind(),
                    format!(
                        "cannot keep the dashboard password in {}: {e}",
                        path.display()
                    ),
                )
            })?;
            password
        }
    };
    Ok(Some(path))
}

/// Writes `text` to a new file only its owner can read.
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut file = antrian_core::private_file::owner_only(&mut std::fs::OpenOptions::new())
        .write(true)
        .create_new(true)
        .open(path)?;
    writeln!(file, "{text}")?;
    file.sync_all()
}

/// The start-up line: where the dashboard is and how to sign in. The password itself is
/// shown only when `on_terminal` (a person is reading); logs get where it is kept.
pub fn sign_in_line(
    config: &DashboardConfig,
    addr: SocketAddr,
    kept_in: Option<&Path>,
    on_terminal: bool,
) -> String {
    let url = format!("http://{addr}");
    match kept_in {
        Some(path) if on_terminal => format!(
            "dashboard: {url} — sign in as {} with password {} (kept in {})",
            config.username,
            config.password,
            path.display()
        ),
        Some(path) => format!(
            "dashboard: {url} — sign in as {}; the password is in {}",
            config.username,
            path.display()
        ),
        None => format!(
            "dashboard: {url} — sign in as {} with QUEUE_DASHBOARD_PASSWORD",
            config.username
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(host: &str, password: &str) -> DashboardConfig {
        let mut c = antrian_core::Config::load(&antrian_core::config::LoadOptions::from_vars(
            vec![("QUEUE_DASHBOARD_HOST", host)],
        ))
        .expect("config")
        .dashboard;
        c.password = password.to_string();
        c
    }

    #[test]
    fn a_password_is_generated_once_kept_private_and_reused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut first = config("127.0.0.1", "");
        let path = ensure_password(&mut first, dir.path())
            .expect("generated")
            .expect("kept");
        assert_eq!(first.password.len(), 24);
        assert!(first.password.chars().all(|c| c.is_ascii_alphanumeric()));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).expect("file").permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "only its owner reads it");
        }
        let mut again = config("127.0.0.1", "");
        ensure_password(&mut again, dir.path()).expect("read");
        assert_eq!(
            again.password, first.password,
            "the same password every start"
        );

        let mut configured = config("127.0.0.1", "s3cret");
        assert_eq!(
            ensure_password(&mut configured, dir.path()).expect("ok"),
            None
        );
        assert_eq!(configured.password, "s3cret");
        let mut exposed = config("0.0.0.0", "");
        assert_eq!(ensure_password(&mut exposed, dir.path()).expect("ok"), None);
        assert!(
            exposed.password.is_empty(),
            "beyond loopback a real password is asked for"
        );

        let addr: SocketAddr = "127.0.0.1:3001".parse().expect("addr");
        let shown = sign_in_line(&first, addr, Some(&path), true);
        assert!(
            shown.contains("http://127.0.0.1:3001") && shown.contains(&first.password),
            "{shown}"
        );
        let logged = sign_in_line(&first, addr, Some(&path), false);
        assert!(
            !logged.contains(&first.password) && logged.contains(PASSWORD_FILE),
            "{logged}"
        );
        assert_ne!(generate(), generate());
    }
}
