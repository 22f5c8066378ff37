//! End-to-end: the `.deb` as a user installs it. Installs the bundle with apt (which pulls
//! in `redis-server`), checks what it put on the system (both binaries, the desktop entry,
//! the icons, the systemd units and their configuration in /etc/antrian), runs the worker
//! unit's command as systemd would (readiness over `$NOTIFY_SOCKET`), starts the installed
//! app under Xvfb on a test-owned Redis and sees its window, then uninstalls it and checks
//! it is gone, and purges it and checks its configuration is gone.
//!
//! Installing packages needs root: as another user the test says so and passes without
//! checking anything. The `.deb` is the debug build `make package-test` makes (`make test`
//! does, as root); `ANTRIAN_TEST_DEB` names another one (the release bundle, say).

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use antrian_testkit::dbus::DbusSession;
use antrian_testkit::TestRedis;
use support::{app_env, start_xvfb, Guard, UI_TIMEOUT};

const PACKAGE: &str = "antrian";

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// The bundle to install.
fn deb() -> PathBuf {
    if let Some(path) = std::env::var_os("ANTRIAN_TEST_DEB") {
        return PathBuf::from(path);
    }
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/debug/bundle/deb");
    std::fs::read_dir(&dir)
        .ok()
        .and_then(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .find(|p| p.extension().is_some_and(|x| x == "deb"))
        })
        .unwrap_or_else(|| {
            panic!(
                "no .deb in {}: build it with `make package-test` (make test does, as root)",
                dir.display()
            )
        })
}

fn run(cmd: &mut Command, what: &str) -> String {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        out.status.success(),
        "{what} failed ({}): {}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn apt(args: &[&str]) -> String {
    run(
        Command::new("apt-get")
            .args(args)
            .env("DEBIAN_FRONTEND", "noninteractive"),
        &format!("apt-get {}", args.join(" ")),
    )
}

/// Removes the package when the test ends, pass or fail.
struct Installed;

impl Drop for Installed {
    fn drop(&mut self) {
        let _ = Command::new("apt-get")
            .args(["remove", "-y", "-q", PACKAGE])
            .env("DEBIAN_FRONTEND", "noninteractive")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

#[test]
fn the_deb_installs_starts_its_window_and_uninstalls() {
    if !is_root() {
        eprintln!(
            "skipped: installing the .deb needs root (run the tests as root, as CI does, to check it)"
        );
        return;
    }
    let deb = deb();
    let size = std::fs::metadata(&deb).expect("the .deb").len();
    eprintln!("installing {} ({} bytes)", deb.display(), size);
    apt(&[
        "install",
        "-y",
        "-q",
        "--no-install-recommends",
        deb.to_str().expect("path"),
    ]);
    let installed = Installed;

    for path in [
        "/usr/bin/antrian-desktop",
        "/usr/bin/antrian",
        "/usr/share/applications/Antrian.desktop",
        "/usr/share/icons/hicolor/32x32/apps/antrian-desktop.png",
        "/usr/share/icons/hicolor/512x512/apps/antrian-desktop.png",
    ] {
        assert!(Path::new(path).exists(), "the package installs {path}");
    }
    let entry = std::fs::read_to_string("/usr/share/applications/Antrian.desktop").expect("entry");
    assert!(entry.contains("Exec=antrian-desktop"), "{entry}");
    assert!(entry.contains("Icon=antrian-desktop"), "{entry}");
    let status = run(
        Command::new("dpkg-query").args(["-W", "-f=${Depends}", PACKAGE]),
        "dpkg-query",
    );
    assert!(status.contains("redis-server"), "depends: {status}");
    let version = run(
        Command::new("/usr/bin/antrian").arg("--version"),
        "antrian --version",
    );
    assert!(version.contains(env!("CARGO_PKG_VERSION")), "{version}");

    // The headless services: systemd units that systemd accepts, and their configuration
    // made in /etc/antrian (the secrets file for root alone).
    for unit in ["antrian-workers", "antrian-scheduler"] {
        let path = format!("/usr/lib/systemd/system/{unit}.service");
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        assert!(text.contains("Type=notify"), "{text}");
        run(
            Command::new("systemd-analyze").args(["verify", &path]),
            "systemd-analyze verify",
        );
    }
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &str| {
        std::fs::metadata(p)
            .unwrap_or_else(|e| panic!("{p}: {e}"))
            .permissions()
            .mode()
            & 0o777
    };
    assert_eq!(mode("/etc/antrian/antrian.env"), 0o600);
    assert_eq!(mode("/etc/antrian/config.toml"), 0o644);
    let effective = run(
        Command::new("/usr/bin/antrian").args(["--config", "/etc/antrian/config.toml", "config"]),
        "antrian config with the packaged file",
    );
    assert!(effective.contains("REDIS_HOST"), "{effective}");
    // The unit's command, as systemd runs it (with a test Redis instead of the configured
    // one): ready over $NOTIFY_SOCKET, stopped by SIGTERM.
    let service_redis = TestRedis::start();
    let scratch = tempfile::tempdir().expect("tempdir");
    let notify_path = scratch.path().join("notify");
    let notify = std::os::unix::net::UnixDatagram::bind(&notify_path).expect("bind");
    notify
        .set_read_timeout(Some(Duration::from_secs(60)))
        .expect("timeout");
    let node = Command::new("/usr/bin/antrian")
        .args(["--config", "/etc/antrian/config.toml", "workers"])
        .env("REDIS_URL", service_redis.url())
        .env("NOTIFY_SOCKET", &notify_path)
        .env("ANTRIAN_DATA_DIR", scratch.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the unit's command");
    let node = Guard(node);
    let mut said = String::new();
    while !said.lines().any(|l| l == "READY=1") {
        let mut buf = [0u8; 4096];
        let n = notify
            .recv(&mut buf)
            .unwrap_or_else(|e| panic!("no READY=1 from the worker node (said {said:?}): {e}"));
        said.push_str(&String::from_utf8_lossy(&buf[..n]));
        said.push('\n');
    }
    run(
        Command::new("kill").args(["-TERM", &node.0.id().to_string()]),
        "SIGTERM",
    );
    let mut node = node;
    let status = node.0.wait().expect("wait");
    assert!(status.success(), "{status}");

    // The installed app starts and shows its window.
    let redis = TestRedis::start();
    let bus = DbusSession::start();
    let home = tempfile::tempdir().expect("tempdir");
    let (_xvfb, display) = start_xvfb();
    let mut app = Command::new("/usr/bin/antrian-desktop");
    app_env(&mut app, Some(&redis.url()), home.path(), &display);
    let app = app
        .env("DBUS_SESSION_BUS_ADDRESS", bus.address())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the installed app");
    let _app = Guard(app);
    let deadline = Instant::now() + UI_TIMEOUT;
    loop {
        let tree = run(
            Command::new("xwininfo").args(["-root", "-tree", "-display", &display]),
            "xwininfo",
        );
        if tree.contains("\"Antrian\"") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no window titled Antrian on {display} after {UI_TIMEOUT:?}:\n{tree}"
        );
        // Polls the X server for another process' window; X offers no event to wait on
        // from outside that process.
        std::thread::sleep(Duration::from_millis(200));
    }
    drop(_app);

    drop(installed);
    assert!(
        !Path::new("/usr/bin/antrian-desktop").exists(),
        "apt-get remove takes the app away"
    );
    assert!(!Path::new("/usr/lib/systemd/system/antrian-workers.service").exists());
    assert!(
        Path::new("/etc/antrian/config.toml").exists(),
        "removing keeps the configuration"
    );
    apt(&["purge", "-y", "-q", PACKAGE]);
    assert!(
        !Path::new("/etc/antrian").exists(),
        "purging removes the configuration"
    );
}
