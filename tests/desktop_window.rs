//! End-to-end: the real desktop app in a real window.
//!
//! Starts a test-owned redis-server, an Xvfb display, and `tauri-driver` (the WebDriver
//! bridge to WebKitWebDriver) inside a D-Bus session; launches the built `antrian-desktop`
//! through WebDriver, and uses it as a user would: the Overview, a job added elsewhere on
//! its queue and job pages, promoted; a product-scraping job added with the form that its
//! own pools run against a fixture site (the product then in Results); a failing job
//! retried from its page; twenty failed jobs found by a data field and retried together;
//! a schedule made in the editor, disabled and enabled (checked in Redis); every page from
//! the sidebar; and the Overview following Redis being killed and
//! restarted. Saves screenshots to `test-artifacts/desktop-overview.png` and
//! `desktop-reconnected.png`, and the driver's and app's output to `desktop-driver.log`.
//!
//! Needs `Xvfb`, `dbus-run-session`, `WebKitWebDriver` and `tauri-driver`: `make test`
//! installs them; a missing one fails the test with the command that installs it.

mod support;

use std::time::Instant;

use antrian_testkit::fixture::FixtureSite;
use antrian_testkit::TestRedis;
use fantoccini::Locator;
use support::{
    artifacts_dir, click, go, launch_with, manager, text_of, wait_for, wait_text,
    web_process_environ, UI_TIMEOUT,
};

/// Adds a cleanup job due in an hour, as any producer would; its id.
async fn add_delayed_job(url: &str) -> String {
    let queues = manager(url).await;
    let options = serde_json::from_value(serde_json::json!({"delay": 3_600_000})).expect("options");
    queues
        .add_job(
            "cleanup-queue",
            "cleanup-old-data",
            serde_json::json!({"collections": ["products"], "olderThan": 30, "dryRun": true}),
            &options,
        )
        .await
        .expect("add")
        .id
}

/// Adds a product-scraping job for `url` with the add-job form, and opens its page.
async fn add_product_job(client: &fantoccini::Client, url: &str, attempts: u32) {
    go(client, "#/add-job?queue=scraping-queue")
        .await
        .expect("add-job page");
    // The form is rendered from the job-type catalogue, read through the Tauri command: all
    // of Rust's job types are offered.
    let offered = wait_for(
        client,
        Locator::XPath("//label[contains(., 'Job type')]/select"),
        "the job types from the catalogue",
    )
    .await
    .find_all(Locator::Css("option"))
    .await
    .expect("options");
    assert_eq!(offered.len(), antrian_jobs::catalogue::job_types().len());
    for (field, value) in [
        ("//*[@id='field-url']", url.to_string()),
        (
            "//label[normalize-space(text())='Attempts']/input",
            attempts.to_string(),
        ),
    ] {
        wait_for(client, Locator::XPath(field), &format!("no {field} field"))
            .await
            .send_keys(&value)
            .await
            .unwrap_or_else(|e| panic!("type into {field}: {e}"));
    }
    wait_for(
        client,
        Locator::XPath("//*[@data-testid='check-state' and contains(., 'accepts this job')]"),
        "the form is checked as it is typed",
    )
    .await;
    click(client, "//button[normalize-space()='Add job']").await;
    wait_for(
        client,
        Locator::Css("[data-testid=added] a"),
        "the new job is linked",
    )
    .await
    .click()
    .await
    .expect("open the new job");
}

/// Whether the schedule `name` is enabled, as Redis has it.
async fn schedule_enabled(url: &str, name: &str) -> bool {
    let client = redis::Client::open(url).expect("url");
    let mut conn = client
        .get_multiplexed_async_connection()
        .await
        .expect("connect");
    let json: String = redis::cmd("HGET")
        .arg(antrian_core::keys::schedules())
        .arg(name)
        .query_async(&mut conn)
        .await
        .expect("the schedule is stored");
    let schedule: serde_json::Value = serde_json::from_str(&json).expect("schedule JSON");
    schedule["enabled"].as_bool().expect("enabled")
}

#[tokio::test(flavor = "multi_thread")]
async fn the_desktop_window_runs_the_ui_flows_over_tauri_commands() {
    let mut redis = TestRedis::start();
    let site = FixtureSite::start().await;
    let version: String = {
        let mut conn = redis.connection();
        let info: String = redis::cmd("INFO")
            .arg("server")
            .query(&mut conn)
            .expect("INFO");
        info.lines()
            .find_map(|l| l.strip_prefix("redis_version:"))
            .map(|v| v.trim().to_string())
            .expect("redis_version")
    };
    let home = tempfile::tempdir().expect("tempdir");
    // The dashboard's port is taken when the app starts: it keeps running and says so.
    let squatter = std::net::TcpListener::bind("127.0.0.1:0").expect("a port to take");
    let dashboard_port = squatter.local_addr().expect("addr").port();
    let launched = Instant::now();
    let app = launch_with(
        Some(&redis.url()),
        home.path(),
        None,
        "desktop-driver.log",
        &[
            ("QUEUE_DASHBOARD_PORT", dashboard_port.to_string()),
            // The fixture site plays the HTTP target's endpoint, on loopback.
            ("WEBHOOK_ALLOW_PRIVATE", "127.0.0.1".to_string()),
        ],
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
    eprintln!(
        "desktop cold start to connected Overview: {} ms",
        launched.elapsed().as_millis()
    );
    // The window's JavaScript runs without the JIT (lib.rs, `interpreted_webview`).
    let web = web_process_environ(home.path());
    assert!(
        web.iter().any(|v| v == "JSC_useJIT=false"),
        "the window's web process runs without JSC_useJIT=false: {} variables",
        web.len()
    );

    assert_eq!(text_of(client, "redis-version").await, version);
    assert_eq!(text_of(client, "redis-mode").await, "external");
    let nav = client
        .find_all(Locator::Css("nav a"))
        .await
        .expect("sidebar links");
    let mut labels = Vec::new();
    for link in nav {
        labels.push(link.text().await.expect("link text"));
    }
    assert_eq!(
        labels,
        [
            "Overview",
            "Queues",
            "Schedules",
            "Workers",
            "Results",
            "Health",
            "Audit log",
            "Settings"
        ]
    );

    // The queue table comes through the Tauri commands (list_queues) with core's types.
    wait_for(
        client,
        Locator::Css("[data-testid=queue-scraping-queue]"),
        "the Overview lists the standard queues",
    )
    .await;
    let png = client.screenshot().await.expect("screenshot");
    std::fs::write(artifacts_dir().join("desktop-overview.png"), png).expect("save screenshot");

    // A job added in Redis shows on its queue's page (list_jobs), and its own page (get_job).
    let added = add_delayed_job(&redis.url()).await;
    go(client, "#/queues/cleanup-queue?state=delayed")
        .await
        .expect("queue page");
    wait_for(
        client,
        Locator::LinkText(&added),
        "the delayed job is listed",
    )
    .await
    .click()
    .await
    .expect("open the job");
    wait_text(client, "job-state", "delayed", UI_TIMEOUT).await;
    let png = client.screenshot().await.expect("screenshot");
    std::fs::write(artifacts_dir().join("desktop-job.png"), png).expect("save screenshot");

    // Promoted from its page (promote_job): this app's own cleanup pool runs it.
    click(client, "//button[normalize-space()='Promote']").await;
    wait_text(client, "job-state", "completed", UI_TIMEOUT).await;

    // A product-scraping job added with the form (check_job as it is typed, add_job on
    // submit) runs in this app's own scraping pool against the fixture site, and its
    // product shows in Results (list_products).
    add_product_job(client, &site.url("/p/jsonld/desk-1"), 1).await;
    wait_text(client, "job-state", "completed", UI_TIMEOUT).await;
    go(client, "#/results").await.expect("results page");
    wait_for(
        client,
        Locator::XPath("//*[@data-testid='product-table']//*[contains(., 'Kopi Arabika desk-1')]"),
        "the scraped product is in Results",
    )
    .await;

    // A job that fails (HTTP 500 once), retried from its page (retry_job), completes.
    add_product_job(client, &site.url("/bad/flaky/desk-retry"), 1).await;
    wait_text(client, "job-state", "failed", UI_TIMEOUT).await;
    click(client, "//button[normalize-space()='Retry']").await;
    wait_text(client, "job-state", "completed", UI_TIMEOUT).await;
    assert_eq!(text_of(client, "attempts").await, "2");

    // Twenty jobs that fail once, found by a data field on the failed tab, retried all
    // together (list_jobs with a filter, act_on_matching_jobs): the tab empties as they
    // complete.
    let queues = manager(&redis.url()).await;
    let bulk: Vec<antrian_core::queue::BulkJobInput> = (0..20)
        .map(|i| {
            serde_json::from_value(serde_json::json!({
                "name": "product-scraping",
                "data": {"url": site.url(&format!("/bad/flaky/desk-bulk-{i}"))},
                "opts": {"attempts": 1},
            }))
            .expect("job")
        })
        .collect();
    queues
        .add_bulk_jobs("scraping-queue", bulk)
        .await
        .expect("add 20");
    go(
        client,
        "#/queues/scraping-queue?state=failed&pageSize=5&field=url&text=desk-bulk",
    )
    .await
    .expect("failed tab");
    wait_text(
        client,
        "page-of",
        "Page 1 of 4 · 20 matching jobs",
        UI_TIMEOUT,
    )
    .await;
    click(
        client,
        "//input[@aria-label='Select every job on this page']",
    )
    .await;
    click(
        client,
        "//button[normalize-space()='Select all 20 matching']",
    )
    .await;
    click(
        client,
        "//*[@data-testid='selection']//button[normalize-space()='Retry']",
    )
    .await;
    // A mass retry asks first, with the count.
    click(
        client,
        "//*[@role='dialog']//button[normalize-space()='Retry 20']",
    )
    .await;
    wait_for(
        client,
        Locator::Css("[data-testid=no-jobs]"),
        "the failed tab empties as the retried jobs leave it",
    )
    .await;
    go(
        client,
        "#/queues/scraping-queue?state=completed&pageSize=5&field=url&text=desk-bulk",
    )
    .await
    .expect("completed tab");
    wait_text(
        client,
        "page-of",
        "Page 1 of 4 · 20 matching jobs",
        UI_TIMEOUT,
    )
    .await;
    let done = queues
        .find_jobs(
            "scraping-queue",
            antrian_core::queue::JobState::Completed,
            &antrian_core::queue::JobFilter {
                text: Some("desk-bulk".into()),
                ..Default::default()
            },
            1,
            50,
            false,
        )
        .await
        .expect("completed jobs");
    assert_eq!(done.total, 20, "every retried job completed");

    // The window's retries are in the audit log as the desktop's, named by the OS user.
    let conn = antrian_core::connection::Connection::open(
        &redis.url(),
        "desktop-test-audit",
        &antrian_core::CancellationToken::new(),
        |_| {},
    )
    .await
    .expect("connect");
    let log = antrian_core::audit::recent(&conn, 100)
        .await
        .expect("audit log");
    let retried: Vec<u64> = log
        .iter()
        .filter(|e| {
            e.actor.via == antrian_core::audit::Via::Desktop
                && e.action == antrian_core::audit::AuditAction::Retry
        })
        .map(|e| e.count)
        .collect();
    assert_eq!(
        retried,
        [20, 1],
        "20 matching retried at once, after one from a job page: {log:?}"
    );
    go(client, "#/audit").await.expect("audit page");
    wait_for(
        client,
        Locator::XPath(
            "//*[@data-testid='audit-log']//tr[td[starts-with(normalize-space(), 'Desktop · ')] and td[starts-with(normalize-space(), 'retried job ')]]",
        ),
        "the desktop's retries on the Audit log page",
    )
    .await;

    // A queue made from the Queues page (create_queue), then opened; Redis has it.
    go(client, "#/queues").await.expect("queues page");
    wait_for(
        client,
        Locator::XPath("//label[contains(., 'New queue')]/input"),
        "the New queue field",
    )
    .await
    .send_keys("desk-queue")
    .await
    .expect("type a queue name");
    click(client, "//button[normalize-space()='Create']").await;
    wait_for(
        client,
        Locator::XPath("//h1[contains(., 'desk-queue')]"),
        "the new queue's page opens",
    )
    .await;
    queues
        .get_queue_stats("desk-queue")
        .await
        .expect("the queue the window created exists in Redis");

    // A schedule made in the editor (preview_cron, add_schedule), then disabled from the
    // list (disable_schedule).
    go(client, "#/schedules").await.expect("schedules page");
    click(client, "//button[normalize-space()='New schedule']").await;
    client
        .find(Locator::Css("form[aria-label='New schedule'] input"))
        .await
        .expect("the name field")
        .send_keys("desk-nightly")
        .await
        .expect("type a name");
    wait_for(
        client,
        Locator::Css("[data-testid=cron-preview] li"),
        "the editor previews the next runs",
    )
    .await;
    click(client, "//button[normalize-space()='Save']").await;
    wait_for(
        client,
        Locator::Css("[data-testid=schedule-desk-nightly]"),
        "the schedule is listed",
    )
    .await;
    for on in [false, true] {
        click(client, "//input[@aria-label='desk-nightly enabled']").await;
        let said = if on { "enabled" } else { "disabled" };
        wait_for(
            client,
            Locator::XPath(&format!(
                "//div[contains(@class,'toast') and contains(., 'desk-nightly {said}')]"
            )),
            &format!("the window does not say {said}"),
        )
        .await;
        assert_eq!(
            schedule_enabled(&redis.url(), "desk-nightly").await,
            on,
            "{said} in Redis, as the window said"
        );
    }

    // The other pages' commands, reached from the sidebar as a user would: this app's own
    // node with its pools, the results, schedules, health and settings. No
    // screenshots here: WebKitWebDriver's screenshot command stalled on some of these pages
    // (the pages themselves kept answering scripts); the browser test has them all.
    for (link, selector) in [
        ("Results", "[data-testid=product-table]"),
        ("Schedules", "[data-testid=schedule-desk-nightly]"),
        ("Health", "[data-testid=health-status]"),
        ("Workers", "[data-testid=pool-scraping]"),
        ("Settings", "[data-testid=transport]"),
        ("Overview", "[data-testid=queue-scraping-queue]"),
    ] {
        client
            .find(Locator::LinkText(link))
            .await
            .unwrap_or_else(|e| panic!("sidebar link {link}: {e}"))
            .click()
            .await
            .unwrap_or_else(|e| panic!("open {link}: {e}"));
        wait_for(
            client,
            Locator::Css(selector),
            &format!("{link} shows {selector}"),
        )
        .await;
    }
    // The app's own HTTP dashboard: Settings said why it was not up; once the port is
    // free, saving serves it, and the seed's `curl` reaches it with the generated password
    // (and is refused without it).
    go(client, "#/settings").await.expect("settings page");
    wait_for(
        client,
        Locator::XPath(&format!(
            "//*[@data-testid='dashboard-status' and contains(., 'The dashboard is not running: cannot listen on 127.0.0.1:{dashboard_port}')]"
        )),
        "Settings says the dashboard's port is taken",
    )
    .await;
    drop(squatter);
    click(
        client,
        "//button[normalize-space()='Save dashboard settings']",
    )
    .await;
    wait_for(
        client,
        Locator::Css("[data-testid=dashboard-url]"),
        "Settings shows where the dashboard is",
    )
    .await;
    let url = text_of(client, "dashboard-url").await;
    assert_eq!(url, format!("http://127.0.0.1:{dashboard_port}"));
    click(client, "//button[normalize-space()='Show password']").await;
    wait_for(
        client,
        Locator::Css("[data-testid=dashboard-password]"),
        "Settings shows the generated password",
    )
    .await;
    let password = text_of(client, "dashboard-password").await;
    assert_eq!(password.len(), 24, "{password}");
    let get = |auth: Option<&str>| {
        use base64::Engine;
        use std::io::{Read, Write};
        let addr = url.trim_start_matches("http://");
        let mut s = std::net::TcpStream::connect(addr).expect("the dashboard answers");
        let auth = auth
            .map(|p| {
                let token = base64::engine::general_purpose::STANDARD.encode(format!("admin:{p}"));
                format!("Authorization: Basic {token}\r\n")
            })
            .unwrap_or_default();
        write!(
            s,
            "GET /api/stats HTTP/1.1\r\nHost: {addr}\r\n{auth}Connection: close\r\n\r\n"
        )
        .expect("send");
        let mut answer = String::new();
        s.read_to_string(&mut answer).expect("read");
        answer
    };
    let answer = get(Some(&password));
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("scraping-queue"), "{answer}");
    assert!(
        get(None).starts_with("HTTP/1.1 401"),
        "no credentials, no entry"
    );

    // An HTTP target set up in Settings (save_http_targets restarts the pools on it): a
    // job of its queue is POSTed to the endpoint and completes with its answer.
    go(client, "#/settings").await.expect("settings page");
    click(client, "//button[normalize-space()='Add a target']").await;
    for (label, value) in [
        ("Queue", "desk-target".to_string()),
        ("URL", site.url("/hook")),
    ] {
        wait_for(
            client,
            Locator::XPath(&format!(
                "//form[@aria-label='HTTP targets']//fieldset[last()]//label[contains(., '{label}')]/input"
            )),
            &format!("the target's {label} field"),
        )
        .await
        .send_keys(&value)
        .await
        .expect("type");
    }
    click(client, "//button[normalize-space()='Save HTTP targets']").await;
    wait_for(
        client,
        Locator::XPath("//div[contains(@class,'toast') and contains(., 'HTTP targets saved')]"),
        "the targets are saved and the pools restarted",
    )
    .await;
    let conn = antrian_core::connection::Connection::open(
        &redis.url(),
        "desktop-test",
        &antrian_core::CancellationToken::new(),
        |_| {},
    )
    .await
    .expect("connect");
    let hub = antrian_core::queue::EventHub::new(conn, "bull");
    hub.watch("desk-target").await.expect("watch");
    let mut sub = hub.subscribe();
    let job = queues
        .add_job(
            "desk-target",
            "sync-item",
            serde_json::json!({"sku": "D-1"}),
            &antrian_core::queue::JobOptionsInput::default(),
        )
        .await
        .expect("the target's queue takes jobs")
        .id;
    sub.recv_matching(std::time::Duration::from_secs(30), |e| {
        matches!(e, antrian_core::queue::QueueEvent::JobCompleted { job_id, .. } if *job_id == job)
    })
    .await
    .expect("the target's job completed");
    assert_eq!(
        queues
            .get_job("desk-target", &job)
            .await
            .expect("job")
            .return_value,
        serde_json::json!({"received": true})
    );
    assert_eq!(site.requests_to("/hook").len(), 1, "POSTed once");

    go(client, "#/overview")
        .await
        .expect("back to the Overview");
    wait_text(client, "connection-state", "connected", UI_TIMEOUT).await;

    // Live: the window follows Redis going away and coming back, with no reload.
    redis.kill();
    wait_text(client, "connection-state", "disconnected", UI_TIMEOUT).await;
    redis.restart();
    wait_text(client, "connection-state", "connected", UI_TIMEOUT).await;
    let png = client.screenshot().await.expect("screenshot");
    std::fs::write(artifacts_dir().join("desktop-reconnected.png"), png).expect("save screenshot");
    app.client.clone().close().await.expect("close the session");
}
