//! What the desktop end-to-end tests share: an Xvfb display, `tauri-driver` launching the
//! built app in a D-Bus session, and WebDriver helpers that wait instead of sleeping.

#![allow(dead_code)] // Each test file uses its own share of these.

use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use antrian_testkit::free_port;
use fantoccini::{ClientBuilder, Locator};

/// How long the window may take from launch to a connected Overview.
pub const UI_TIMEOUT: Duration = Duration::from_secs(60);

/// The desktop app in a WebDriver session, and what it runs on.
pub struct App {
    /// The WebDriver session.
    pub client: fantoccini::Client,
    /// The X display (`:N`).
    pub display: String,
    _driver: Guard,
    _xvfb: Guard,
}

/// The environment the app runs with: its own home and XDG folders under `home`, Redis
/// at `redis_url` (none: what the app's settings choose), software rendering.
pub fn app_env(cmd: &mut Command, redis_url: Option<&str>, home: &Path, display: &str) {
    if let Some(url) = redis_url {
        cmd.env("REDIS_URL", url);
    }
    cmd.env("DISPLAY", display)
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_CACHE_HOME", home.join("cache"))
        .env("ANTRIAN_DATA_DIR", home.join("antrian"))
        // The fixture site is on loopback, which scraping refuses unless allowed.
        .env("SCRAPE_ALLOW_PRIVATE", "127.0.0.1")
        // The app's HTTP dashboard on any free port, so apps of parallel tests never meet
        // on :3001.
        .env("QUEUE_DASHBOARD_PORT", "0")
        // Software rendering: Xvfb has no GPU.
        .env("WEBKIT_DISABLE_DMABUF_RENDERER", "1")
        .env("LIBGL_ALWAYS_SOFTWARE", "1")
        .current_dir(home);
}

/// Starts Xvfb and `tauri-driver`, and launches the app through WebDriver. With `bus`,
/// everything runs on that D-Bus session; otherwise in a new one (`dbus-run-session`).
/// The driver's and app's output goes to `test-artifacts/<log>`.
pub async fn launch(redis_url: Option<&str>, home: &Path, bus: Option<&str>, log: &str) -> App {
    launch_with(redis_url, home, bus, log, &[]).await
}

/// [`launch`] with more environment for the app.
pub async fn launch_with(
    redis_url: Option<&str>,
    home: &Path,
    bus: Option<&str>,
    log: &str,
    env: &[(&str, String)],
) -> App {
    require("Xvfb", "sudo apt-get install xvfb");
    require("dbus-run-session", "sudo apt-get install dbus-x11");
    require("WebKitWebDriver", "sudo apt-get install webkit2gtk-driver");
    require("tauri-driver", "cargo install tauri-driver --locked");
    let (xvfb, display) = start_xvfb();
    let port = free_port();
    let native_port = free_port();
    let driver_args = [
        "tauri-driver".to_string(),
        "--port".into(),
        port.to_string(),
        "--native-port".into(),
        native_port.to_string(),
    ];
    let mut cmd = match bus {
        Some(address) => {
            let mut cmd = Command::new(&driver_args[0]);
            cmd.args(&driver_args[1..])
                .env("DBUS_SESSION_BUS_ADDRESS", address);
            cmd
        }
        None => {
            let mut cmd = Command::new("dbus-run-session");
            cmd.arg("--").args(&driver_args);
            cmd
        }
    };
    app_env(&mut cmd, redis_url, home, &display);
    cmd.envs(env.iter().map(|(k, v)| (*k, v.as_str())));
    let driver = cmd
        .stdout(Stdio::null())
        // WebKit, D-Bus and the portals are chatty: keep their output as an artifact.
        .stderr(std::fs::File::create(artifacts_dir().join(log)).expect("driver log"))
        .process_group(0)
        .spawn()
        .expect("start tauri-driver");
    let driver = Guard(driver);
    wait_for_port("tauri-driver", port, Duration::from_secs(30));
    // tauri-driver listens before the WebKitWebDriver it starts does, and drops requests
    // made in between (tauri-apps/tauri#15156: a new session failed with hyper's
    // IncompleteMessage now and then in `make bench`'s back-to-back launches).
    wait_for_port("WebKitWebDriver", native_port, Duration::from_secs(30));

    let mut caps = serde_json::Map::new();
    caps.insert("browserName".into(), serde_json::json!("wry"));
    caps.insert(
        "tauri:options".into(),
        serde_json::json!({ "application": env!("CARGO_BIN_EXE_antrian-desktop") }),
    );
    let client = ClientBuilder::native()
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{port}"))
        .await
        .expect("WebDriver session with the desktop app");
    App {
        client,
        display,
        _driver: driver,
        _xvfb: xvfb,
    }
}

/// A child process killed (with its process group) when the test ends, pass or fail.
pub struct Guard(pub Child);

impl Drop for Guard {
    fn drop(&mut self) {
        // The driver's children (WebKitWebDriver, the app) share its process group.
        let _ = Command::new("kill")
            .args(["-TERM", "--", &format!("-{}", self.0.id())])
            .status();
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The environment of the WebKit web process showing the window of the app that keeps its
/// data under `home` (it inherits the app's `ANTRIAN_DATA_DIR`); empty when there is none.
pub fn web_process_environ(home: &Path) -> Vec<String> {
    let data_dir = format!("ANTRIAN_DATA_DIR={}", home.join("antrian").display());
    let Ok(procs) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    for entry in procs.flatten() {
        let dir = entry.path();
        let comm = std::fs::read_to_string(dir.join("comm")).unwrap_or_default();
        if comm.trim() != "WebKitWebProces" {
            continue;
        }
        let environ: Vec<String> = std::fs::read(dir.join("environ"))
            .unwrap_or_default()
            .split(|b| *b == 0)
            .map(|v| String::from_utf8_lossy(v).into_owned())
            .collect();
        if environ.contains(&data_dir) {
            return environ;
        }
    }
    Vec::new()
}

pub fn require(binary: &str, install: &str) {
    let found = std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).any(|p| p.join(binary).is_file()))
        .unwrap_or(false);
    assert!(found, "`{binary}` is not installed; the desktop end-to-end test needs it. Install it with `{install}` (or run `make test`, which does)");
}

/// Starts Xvfb on a display it picks itself (`-displayfd`), returning the guard and ":N".
pub fn start_xvfb() -> (Guard, String) {
    let mut child = Command::new("Xvfb")
        .args([
            "-displayfd",
            "1",
            "-screen",
            "0",
            "1280x800x24",
            "-nolisten",
            "tcp",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start Xvfb");
    let stdout = child.stdout.take().expect("Xvfb stdout");
    let mut line = String::new();
    // Xvfb writes the display number once it accepts connections: that is the ready signal.
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("read Xvfb display");
    let display = format!(":{}", line.trim());
    assert!(
        line.trim().parse::<u32>().is_ok(),
        "Xvfb did not report a display: {line:?}"
    );
    (Guard(child), display)
}

/// Waits until `what` (a child process with no other ready signal) accepts connections on
/// `port`.
pub fn wait_for_port(what: &str, port: u16, timeout: Duration) {
    let deadline = Instant::now() + timeout;
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "{what} did not listen on {port} within {timeout:?}"
        );
        // Readiness probe of a child process that offers no other ready signal.
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Waits until the element with `data-testid=<id>` exists and reads `expected`.
pub async fn wait_text(client: &fantoccini::Client, id: &str, expected: &str, timeout: Duration) {
    let deadline = Instant::now() + timeout;
    client
        .wait()
        .at_most(timeout)
        .for_element(Locator::Css(&format!("[data-testid={id}]")))
        .await
        .unwrap_or_else(|e| panic!("no element {id} after {timeout:?}: {e}"));
    loop {
        let text = text_of(client, id).await;
        if text == expected {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{id} still says {text:?}, not {expected:?}, after {timeout:?}"
        );
        // Polls the live DOM for a change the app pushes; WebDriver offers no event to
        // wait on instead.
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The element at `locator` once it exists; `what` names it when it never does.
pub async fn wait_for(
    client: &fantoccini::Client,
    locator: Locator<'_>,
    what: &str,
) -> fantoccini::elements::Element {
    client
        .wait()
        .at_most(UI_TIMEOUT)
        .for_element(locator)
        .await
        .unwrap_or_else(|e| panic!("{what}: {e}"))
}

/// Clicks the element at `xpath` once it exists.
pub async fn click(client: &fantoccini::Client, xpath: &str) {
    wait_for(client, Locator::XPath(xpath), &format!("no {xpath}"))
        .await
        .click()
        .await
        .unwrap_or_else(|e| panic!("click {xpath}: {e}"));
}

/// Navigates the window to `hash` (`#/queues/…`) of the app's own page.
pub async fn go(
    client: &fantoccini::Client,
    hash: &str,
) -> Result<(), fantoccini::error::CmdError> {
    let url = client.current_url().await?;
    let page = url.as_str().split('#').next().unwrap_or_default();
    client.goto(&format!("{page}{hash}")).await
}

/// The text of the element with `data-testid=<id>`.
pub async fn text_of(client: &fantoccini::Client, id: &str) -> String {
    client
        .find(Locator::Css(&format!("[data-testid={id}]")))
        .await
        .unwrap_or_else(|e| panic!("no element {id}: {e}"))
        .text()
        .await
        .unwrap_or_else(|e| panic!("cannot read {id}: {e}"))
}

pub fn artifacts_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("test-artifacts");
    std::fs::create_dir_all(&dir).expect("create test-artifacts/");
    dir
}

/// Core's queue manager on `url`, as any producer would use it.
pub async fn manager(url: &str) -> antrian_core::queue::QueueManager {
    use antrian_core::queue::{JobDefaults, QueueManager};
    let conn = antrian_core::connection::Connection::open(
        url,
        "desktop-test",
        &antrian_core::CancellationToken::new(),
        |_| {},
    )
    .await
    .expect("connect");
    QueueManager::new(conn, "bull", JobDefaults::default(), 512 * 1024)
        .await
        .expect("manager")
}
