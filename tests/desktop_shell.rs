//! End-to-end: the desktop app as an OS citizen — notifications, tray, single instance,
//! remembered window, graceful quit.
//!
//! The app runs under Xvfb on a private D-Bus session bus (`dbus-daemon`) on which the test
//! serves the two desktop services it talks to (see `antrian_testkit::dbus`): a
//! freedesktop notification server that records every `Notify` call and clicks actions, and
//! a StatusNotifier host that reads and clicks the tray menu over dbusmenu, as a panel does.
//! These are the real protocols; only a screen to draw them on is missing.
//!
//! Checks: a job failing its last attempt makes exactly one notification; twenty more of
//! the same group inside the cooldown make none until the summary when it ends; clicking
//! the summary opens the group's failed jobs with "Retry these", which retries them; tray
//! "Pause all queues" / "Resume all queues" pause and resume every queue (checked in
//! Redis); killing Redis notifies "connection lost", restarting it "regained"; a second
//! launch exits and leaves the first running; Settings tests, saves and switches to a
//! Redis Cluster entered as its nodes (the first server's password read from the 0600
//! file, as no keyring service runs on this bus, and never written to the settings); with "keep running in the tray",
//! a close request (`WM_DELETE_WINDOW`, as a window manager sends) hides the window and
//! the app goes on, and tray "Open Antrian" shows it again; tray "Quit" drains and exits,
//! and the window geometry is saved. Screenshot: `test-artifacts/desktop-alert-group.png`.

mod support;

use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use antrian_core::queue::{BulkJobInput, JobFilter, JobState};
use antrian_testkit::cluster::TestCluster;
use antrian_testkit::dbus::{DbusSession, Notice, Notifications, TrayHost};
use antrian_testkit::fixture::FixtureSite;
use antrian_testkit::{RedisOptions, TestRedis};
use fantoccini::Locator;
use support::{
    app_env, artifacts_dir, click, go, launch, manager, wait_for, wait_text, UI_TIMEOUT,
};

/// The failure groups' cooldown the test configures, seconds.
const COOLDOWN: u64 = 10;
const QUEUES: [&str; 4] = [
    "scraping-queue",
    "data-processing-queue",
    "notifications-queue",
    "cleanup-queue",
];

/// Writes the app's password file as the app does: readable by the user alone.
fn write_secrets(dir: &std::path::Path, json: &str) {
    use std::io::Write;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(dir.join("secrets.json"))
        .expect("secrets file");
    file.write_all(json.as_bytes()).expect("write secrets");
}

/// The app's main window, watched from the test's own X connection. Xvfb runs no window
/// manager, so the test does what one would: it asks the window to close with a
/// `WM_DELETE_WINDOW` client message (WebDriver's close-window destroys the view instead)
/// and follows its map and unmap notifications, which arrive in order, so a hide that
/// something undid at once would show too.
struct MainWindow {
    conn: x11rb::rust_connection::RustConnection,
    id: u32,
    /// Map (`true`) and unmap (`false`) notifications seen so far.
    seen: std::sync::Mutex<Vec<bool>>,
}

impl MainWindow {
    /// The mapped top-level window named "Antrian" (GTK also makes a hidden client-leader
    /// window of that name, never mapped).
    fn find(display: &str) -> Self {
        use x11rb::connection::Connection as _;
        use x11rb::protocol::xproto::{
            AtomEnum, ChangeWindowAttributesAux, ConnectionExt as _, EventMask, MapState,
        };
        let (conn, screen) = x11rb::connect(Some(display)).expect("connect to the X server");
        let root = conn.setup().roots[screen].root;
        let children = conn
            .query_tree(root)
            .expect("query tree")
            .reply()
            .expect("tree")
            .children;
        let named = |w: u32| {
            conn.get_property(false, w, AtomEnum::WM_NAME, AtomEnum::ANY, 0, 64)
                .ok()
                .and_then(|c| c.reply().ok())
                .is_some_and(|p| p.value == b"Antrian")
        };
        let viewable = |w: u32| {
            conn.get_window_attributes(w)
                .ok()
                .and_then(|c| c.reply().ok())
                .is_some_and(|a| a.map_state == MapState::VIEWABLE)
        };
        let id = children
            .iter()
            .copied()
            .find(|w| named(*w) && viewable(*w))
            .unwrap_or_else(|| panic!("no mapped window named Antrian among {children:?}"));
        conn.change_window_attributes(
            id,
            &ChangeWindowAttributesAux::new().event_mask(EventMask::STRUCTURE_NOTIFY),
        )
        .expect("select structure events")
        .check()
        .expect("watch the window");
        Self {
            conn,
            id,
            seen: std::sync::Mutex::new(Vec::new()),
        }
    }

    /// Whether the X server has the window mapped now, after reading the notifications
    /// that came in.
    fn mapped(&self) -> bool {
        use x11rb::connection::Connection as _;
        use x11rb::protocol::xproto::{ConnectionExt as _, MapState};
        use x11rb::protocol::Event;
        let mut seen = self.seen.lock().expect("seen");
        while let Some(event) = self.conn.poll_for_event().expect("X events") {
            match event {
                Event::MapNotify(e) if e.window == self.id => seen.push(true),
                Event::UnmapNotify(e) if e.window == self.id => seen.push(false),
                _ => {}
            }
        }
        self.conn
            .get_window_attributes(self.id)
            .expect("attributes")
            .reply()
            .expect("the main window still exists")
            .map_state
            != MapState::UNMAPPED
    }

    /// Sends one close request, as a window manager does when its close button is clicked.
    fn request_close(&self) {
        use x11rb::connection::Connection as _;
        use x11rb::protocol::xproto::{ClientMessageEvent, ConnectionExt as _, EventMask};
        let atom = |name: &[u8]| {
            self.conn
                .intern_atom(false, name)
                .expect("intern")
                .reply()
                .expect("atom")
                .atom
        };
        let (protocols, delete) = (atom(b"WM_PROTOCOLS"), atom(b"WM_DELETE_WINDOW"));
        let message = ClientMessageEvent::new(32, self.id, protocols, [delete, 0, 0, 0, 0]);
        self.conn
            .send_event(false, self.id, EventMask::NO_EVENT, message)
            .expect("send WM_DELETE_WINDOW");
        self.conn.flush().expect("flush");
    }

    /// Waits up to `timeout` for the window to be mapped (`true`) or unmapped.
    async fn wait_mapped(&self, want: bool, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            if self.mapped() == want {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            // Polls the X connection for another process' window: the notifications come
            // on a socket this test does not otherwise wait on.
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Closes the window as a user would: one click on the close button, and another if
    /// nothing happened within 5 s. How many it took is printed; every notification seen
    /// is in the failure message.
    async fn close(&self) {
        let deadline = Instant::now() + UI_TIMEOUT;
        let mut requests = 0;
        loop {
            self.request_close();
            requests += 1;
            if self.wait_mapped(false, Duration::from_secs(5)).await {
                eprintln!("the window closed after {requests} close request(s)");
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the window is still mapped after {requests} close requests; map (true) and \
                 unmap (false) notifications seen: {:?}",
                self.seen.lock().expect("seen")
            );
        }
    }
}

/// The next notification, failing the test when none comes within `timeout`.
async fn notice(notes: &Notifications, what: &str, timeout: Duration) -> Notice {
    notes
        .next(timeout)
        .await
        .unwrap_or_else(|| panic!("no notification ({what}) within {timeout:?}"))
}

/// Adds `n` product-scraping jobs for the fixture's HTTP 429 route, one attempt each.
fn failing_jobs(site: &FixtureSite, from: u32, n: u32) -> Vec<BulkJobInput> {
    (from..from + n)
        .map(|i| {
            serde_json::from_value(serde_json::json!({
                "name": "product-scraping",
                "data": {"url": site.url(&format!("/bad/429?job={i}"))},
                // Keep them all (the default keeps the latest 20 failed jobs).
                "opts": {"attempts": 1, "removeOnFail": 100},
            }))
            .expect("job")
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn notifications_tray_and_single_instance_on_a_real_session_bus() {
    // The app's first Redis needs a password, kept in the app's settings and (no keyring
    // service on this bus) its 0600 secrets file; a second one is added from Settings.
    let mut redis = TestRedis::start_with(RedisOptions {
        password: Some("pw-first".into()),
        ..Default::default()
    });
    // The second connection is a Redis Cluster (3 primaries), entered as its nodes.
    let second = TestCluster::start(3, 0);
    let site = FixtureSite::start().await;
    let bus = DbusSession::start();
    let notes = Notifications::serve(&bus).await;
    let tray = TrayHost::serve(&bus).await;
    let home = tempfile::tempdir().expect("tempdir");
    let settings_dir = home.path().join("config/antrian");
    std::fs::create_dir_all(&settings_dir).expect("settings dir");
    std::fs::write(
        settings_dir.join("desktop.json"),
        // Health alerts off: a slow PING on a busy test machine would degrade health at
        // random moments. Everything else notifies.
        serde_json::json!({
            "notifications": {
                "cooldownSecs": COOLDOWN,
                "kinds": ["failures", "connection", "schedules", "nodes"],
            },
            "connections": [{
                "id": "conn-first",
                "name": "first",
                "url": format!("redis://127.0.0.1:{}", redis.port()),
                "username": null,
                "hasPassword": true,
            }],
            "activeConnection": "conn-first",
            "closeToTray": true,
        })
        .to_string(),
    )
    .expect("settings");
    write_secrets(&settings_dir, r#"{"conn-first":"pw-first"}"#);
    // No per-site rate limit: the twenty failures must land inside the cooldown.
    std::fs::write(
        settings_dir.join("config.toml"),
        "[scrape]\ndomain_rate_limit = \"none\"\n",
    )
    .expect("config");

    let app = launch(
        None,
        home.path(),
        Some(bus.address()),
        "desktop-shell-driver.log",
    )
    .await;
    let client = &app.client;
    wait_for(
        client,
        Locator::Css("[data-testid=connection-state]"),
        "the Overview shows a connection state",
    )
    .await;
    wait_text(client, "connection-state", "connected", UI_TIMEOUT).await;
    let queues = manager(&redis.url()).await;

    // The tray registers with the panel; its menu says how things stand.
    let item = tray
        .item(UI_TIMEOUT)
        .await
        .expect("the tray icon registers with the StatusNotifier host");
    let menu = tray.menu(&item).await.expect("the tray menu");
    let labels: Vec<&str> = menu.iter().map(|e| e.label.as_str()).collect();
    assert_eq!(
        &labels[1..],
        [
            "Open Antrian",
            "Pause all queues",
            "Resume all queues",
            "Quit Antrian"
        ],
        "{menu:?}"
    );
    assert!(
        !menu[0].enabled && menu[0].label.starts_with("Connected"),
        "a status line first: {menu:?}"
    );

    // Tray "Pause all queues": every queue pauses (the Overview shows it live; Redis has
    // it), and "Resume all queues" undoes it.
    tray.click(&item, "Pause all queues")
        .await
        .expect("click pause all");
    for q in QUEUES {
        wait_for(
            client,
            Locator::Css(&format!("[data-testid=queue-{q}] .badge-paused")),
            &format!("{q} shows paused"),
        )
        .await;
    }
    let stats = queues.get_all_queue_stats().await.expect("stats");
    assert!(
        stats.iter().all(|q| q.is_paused),
        "every queue is paused in Redis: {stats:?}"
    );
    tray.click(&item, "Resume all queues")
        .await
        .expect("click resume all");
    wait_for(
        client,
        Locator::XPath("//main[.//*[@data-testid='queue-scraping-queue'] and not(.//*[contains(@class,'badge-paused')])]"),
        "no queue shows paused",
    )
    .await;
    let stats = queues.get_all_queue_stats().await.expect("stats");
    assert!(stats.iter().all(|q| !q.is_paused), "resumed: {stats:?}");

    // A job that fails its last attempt: exactly one notification, at once.
    queues
        .add_bulk_jobs("scraping-queue", failing_jobs(&site, 0, 1))
        .await
        .expect("add");
    let first = notice(&notes, "the first failure", UI_TIMEOUT).await;
    let opened = Instant::now();
    assert_eq!(first.app, "Antrian");
    assert_eq!(
        first.summary,
        "product-scraping on 127.0.0.1 failed: HTTP 429 Too Many Requests"
    );
    assert!(
        first.body.contains(&format!("grouped for {COOLDOWN} s")),
        "{}",
        first.body
    );

    // Twenty more of the same group inside the cooldown: nothing until the summary, which
    // comes when the cooldown ends and counts all twenty-one.
    queues
        .add_bulk_jobs("scraping-queue", failing_jobs(&site, 1, 20))
        .await
        .expect("add 20");
    let summary = notice(
        &notes,
        "the summary",
        Duration::from_secs(COOLDOWN) + UI_TIMEOUT,
    )
    .await;
    assert_eq!(
        summary.summary, "21 product-scraping jobs failed on 127.0.0.1: HTTP 429 Too Many Requests",
        "the next notification after the first is the summary"
    );
    assert!(
        opened.elapsed() >= Duration::from_secs(COOLDOWN) - Duration::from_millis(500),
        "the summary waited for the cooldown: {:?}",
        opened.elapsed()
    );
    assert_eq!(summary.actions.first().map(String::as_str), Some("default"));

    // Clicking it opens those failed jobs with "Retry these"; retrying sends them back.
    // The app subscribes to the click just after the notification shows; a click signal
    // sent before that is lost (D-Bus signals have no acknowledgement), so it is sent again
    // until the window answers, as a user would click again.
    let group = "//*[@data-testid='alert-group' and contains(., 'HTTP 429 Too Many Requests')]";
    let deadline = Instant::now() + UI_TIMEOUT;
    loop {
        notes.click(summary.id, "default").await;
        let shown = client
            .wait()
            .at_most(Duration::from_secs(1))
            .for_element(Locator::XPath(group))
            .await;
        if shown.is_ok() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the click did not open the group's failed jobs"
        );
    }
    let url = client.current_url().await.expect("url");
    assert!(
        url.as_str()
            .contains("#/queues/scraping-queue?state=failed&name=product-scraping&text=127.0.0.1"),
        "{url}"
    );
    wait_text(
        client,
        "page-of",
        "Page 1 of 2 · 21 matching jobs",
        UI_TIMEOUT,
    )
    .await;
    let png = client.screenshot().await.expect("screenshot");
    std::fs::write(artifacts_dir().join("desktop-alert-group.png"), png).expect("screenshot");
    click(
        client,
        "//*[@data-testid='alert-group']//button[normalize-space()='Retry these']",
    )
    .await;
    wait_for(
        client,
        Locator::XPath("//div[contains(@class,'toast') and contains(., 'Retrying: 21 done')]"),
        "the window says the 21 were retried",
    )
    .await;
    // They run again and fail again (the site still answers 429): counted into the open
    // incident (its next summary counts more than 21) or, if it closed, a new incident.
    let again = notice(
        &notes,
        "the retried jobs failing again",
        Duration::from_secs(COOLDOWN) + UI_TIMEOUT,
    )
    .await;
    let tail = " product-scraping jobs failed on 127.0.0.1: HTTP 429 Too Many Requests";
    let counted = again
        .summary
        .strip_suffix(tail)
        .and_then(|n| n.parse::<u32>().ok());
    assert!(
        counted.is_some_and(|n| n > 21)
            || again.summary == "product-scraping on 127.0.0.1 failed: HTTP 429 Too Many Requests",
        "{again:?}"
    );
    let failed = queues
        .find_jobs(
            "scraping-queue",
            JobState::Failed,
            &JobFilter {
                name: Some("product-scraping".into()),
                ..Default::default()
            },
            1,
            50,
            false,
        )
        .await
        .expect("failed jobs");
    let attempts: Vec<u32> = failed.jobs.iter().map(|j| j.attempts_made).collect();
    assert!(
        attempts.contains(&2) && attempts.iter().all(|a| *a <= 2),
        "retried jobs ran a second time: {attempts:?}"
    );

    // Redis killed: "connection lost"; back: "regained".
    redis.kill();
    let lost = notice(&notes, "connection lost", UI_TIMEOUT).await;
    assert_eq!(lost.summary, "Redis connection lost");
    redis.restart();
    let regained = notice(&notes, "connection regained", UI_TIMEOUT).await;
    assert_eq!(regained.summary, "Redis connection regained");
    go(client, "#/overview").await.expect("overview");
    wait_text(client, "connection-state", "connected", UI_TIMEOUT).await;

    // A second launch hands over to the running app and exits.
    let mut again = Command::new(env!("CARGO_BIN_EXE_antrian-desktop"));
    app_env(&mut again, None, home.path(), &app.display);
    let again = again
        .env("DBUS_SESSION_BUS_ADDRESS", bus.address())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("launch again");
    let exited = tokio::task::spawn_blocking(move || {
        let mut again = again;
        again.wait()
    });
    let status = tokio::time::timeout(UI_TIMEOUT, exited)
        .await
        .expect("the second launch exits")
        .expect("join")
        .expect("wait");
    assert!(status.success(), "{status}");
    go(client, "#/overview").await.expect("still answering");
    wait_text(client, "connection-state", "connected", UI_TIMEOUT).await;

    // Settings: a second connection, a cluster, tested, saved and put in use; the app moves
    // to it.
    go(client, "#/settings").await.expect("settings");
    click(client, "//button[normalize-space()='Add a connection']").await;
    let field = |label: &str| {
        format!("//form[@aria-label='New connection']//label[contains(., '{label}')]/input")
    };
    for (label, value) in [("Name", "second".to_string()), ("Server", second.seeds())] {
        wait_for(client, Locator::XPath(&field(label)), label)
            .await
            .send_keys(&value)
            .await
            .expect("type");
    }
    click(client, "//button[normalize-space()='Test connection']").await;
    wait_for(
        client,
        Locator::XPath("//*[@data-testid='connection-test' and contains(., 'Redis ') and contains(., 'cluster ')]"),
        "the test reports the cluster's version",
    )
    .await;
    click(client, "//button[normalize-space()='Save']").await;
    click(client, "//button[@aria-label='Use second']").await;
    wait_for(
        client,
        Locator::XPath("//*[@data-testid='connection-second']//*[normalize-space()='in use']"),
        "the second connection is in use",
    )
    .await;
    go(client, "#/overview").await.expect("overview");
    wait_text(client, "connection-state", "connected", UI_TIMEOUT).await;
    let settings = std::fs::read_to_string(settings_dir.join("desktop.json")).expect("settings");
    assert!(
        !settings.contains("pw-first"),
        "no password in the settings: {settings}"
    );
    let secrets = settings_dir.join("secrets.json");
    assert_eq!(
        std::fs::metadata(&secrets)
            .expect("secrets")
            .permissions()
            .mode()
            & 0o777,
        0o600
    );

    let conn = antrian_core::connection::Connection::open_with(
        &bullmq::options::RedisConnectionOptions {
            cluster_nodes: second.urls(),
            ..Default::default()
        },
        "desktop-shell",
        &antrian_core::CancellationToken::new(),
        |_| {},
    )
    .await
    .expect("connect");
    // On a cluster the app's keys follow the queue prefix's hash tag (`{bull}`).
    antrian_core::keys::follow_prefix("{bull}");
    let nodes = || antrian_core::worker::list_nodes(&conn, Duration::from_secs(30));
    assert_eq!(nodes().await.expect("nodes").len(), 1, "the app's own node");

    // "Keep running in the tray": closing the window hides it and the app goes on; the
    // tray's "Open Antrian" brings it back.
    let window = MainWindow::find(&app.display);
    window.close().await;
    assert_eq!(nodes().await.expect("nodes").len(), 1, "still running");
    tray.click(&item, "Open Antrian").await.expect("click open");
    assert!(
        window.wait_mapped(true, UI_TIMEOUT).await,
        "tray Open Antrian did not map the window again; notifications seen: {:?}",
        window.seen.lock().expect("seen")
    );

    // Tray "Quit": the app drains its workers, deregisters its node and exits; the window's
    // size and position are kept for the next start.
    tray.click(&item, "Quit Antrian").await.expect("click quit");
    let state = home
        .path()
        .join("config/dev.antrian.desktop/.window-state.json");
    let deadline = Instant::now() + UI_TIMEOUT;
    while !(state.exists() && nodes().await.expect("nodes").is_empty()) {
        assert!(
            Instant::now() < deadline,
            "after Quit, the node is still registered or the window state is not at {}",
            state.display()
        );
        // Waits for another process to exit; there is no event to wait on.
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&state).expect("read")).expect("JSON");
    assert!(saved["main"]["width"].as_u64().is_some(), "{saved}");
}
