//! The `antrian` binary as a user runs it: real processes, a real redis-server per test.

mod common;

use std::process::{Output, Stdio};

use antrian_testkit::{not_redis_server, process_alive, RedisOptions, TestRedis};
use common::{antrian, run, spawn, stderr, terminate, Logs, Running};

#[test]
fn config_lists_every_setting_with_its_source_and_redacts_secrets() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join(".env"),
        "SCRAPING_WORKERS=4\nQUEUE_DASHBOARD_PASSWORD=admin123\n",
    )
    .expect(".env");
    let out = run(antrian(dir.path())
        .env("REDIS_URL", "redis://:hunter2@redis.internal:6379/1")
        .args(["config", "--json"]));
    assert!(out.status.success(), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let text = json.to_string();
    assert!(
        !text.contains("hunter2") && !text.contains("admin123"),
        "{text}"
    );
    let find = |var: &str| {
        json.as_array()
            .expect("array")
            .iter()
            .find(|e| e["variable"] == var)
            .cloned()
            .unwrap_or_else(|| panic!("{var} missing"))
    };
    assert_eq!(find("SCRAPING_WORKERS")["value"], "4");
    assert_eq!(find("SCRAPING_WORKERS")["source"]["kind"], "dot_env");
    assert_eq!(
        find("REDIS_URL")["value"],
        "redis://:***@redis.internal:6379/1"
    );
    assert_eq!(find("REDIS_URL")["source"]["kind"], "environment");
    assert_eq!(find("QUEUE_CONCURRENCY")["source"]["kind"], "default");

    let table = run(antrian(dir.path()).arg("config"));
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(
        text.lines()
            .any(|l| l.starts_with("QUEUE_DASHBOARD_PASSWORD") && l.contains("<redacted>")),
        "{text}"
    );
}

#[test]
fn bad_configuration_exits_2_before_touching_anything() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = run(antrian(dir.path())
        .env("QUEUE_MAX_WORKERS", "abc")
        .arg("start"));
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out).trim(),
        "antrian: QUEUE_MAX_WORKERS=abc (environment): expected a whole number ≥ QUEUE_MIN_WORKERS (2) and ≤ 1000"
    );
    assert!(
        !dir.path().join("data").exists(),
        "nothing may be created on bad config"
    );

    let file = dir.path().join("antrian.toml");
    std::fs::write(&file, "[queue]\nconcurrency = 3\n[dashbord]\nport = 1\n").expect("toml");
    let out = run(antrian(dir.path()).args(["--config", &file.display().to_string(), "start"]));
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("antrian.toml:3: unknown setting `dashbord`;"),
        "{}",
        stderr(&out)
    );

    let out = run(antrian(dir.path()).args(["--config", "/nonexistent.toml", "config"]));
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("cannot read config file /nonexistent.toml"));
}

#[test]
fn start_on_an_external_redis_logs_ready_and_stops_on_sigterm() {
    let redis = TestRedis::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut child, mut logs) = spawn(
        antrian(dir.path())
            .env("REDIS_URL", redis.url())
            .arg("start"),
    );
    let ready = logs.wait_line("ready");
    assert!(
        ready.contains(&format!("redis=redis://127.0.0.1:{}", redis.port())),
        "{ready}"
    );
    assert!(ready.contains("mode=external"), "{ready}");
    // `start` runs the scheduler component too: alone here, it takes the lease.
    logs.seen_or_wait("scheduler took the lease");
    let status = terminate(&mut child);
    assert!(status.success(), "exit {status}");
    logs.wait_line("antrian stopped");
    let file_log = std::fs::read_dir(dir.path().join("data/logs"))
        .expect("log dir")
        .filter_map(Result::ok)
        .map(|e| std::fs::read_to_string(e.path()).unwrap_or_default())
        .collect::<String>();
    assert!(
        file_log.contains("ready"),
        "the log file has the same lines: {file_log}"
    );
}

#[test]
fn start_embedded_persists_data_and_leaves_no_orphan() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut child, mut logs) = spawn(antrian(dir.path()).arg("start"));
    let ready = logs.wait_line("ready");
    assert!(ready.contains("mode=embedded"), "{ready}");
    let port = std::fs::read_to_string(dir.path().join("data/redis/endpoint")).expect("endpoint");
    let password =
        std::fs::read_to_string(dir.path().join("data/redis/password")).expect("password");
    let url = format!("redis://:{password}@127.0.0.1:{}", port.trim());
    let mut conn = redis::Client::open(url.as_str())
        .and_then(|c| c.get_connection())
        .expect("connect");
    let info: String = redis::cmd("INFO")
        .arg("server")
        .query(&mut conn)
        .expect("info");
    let redis_pid: u32 = info
        .lines()
        .find_map(|l| l.strip_prefix("process_id:"))
        .and_then(|p| p.trim().parse().ok())
        .expect("process_id");
    let _: () = redis::cmd("SET")
        .arg("antrian:survives")
        .arg("yes")
        .query(&mut conn)
        .expect("set");
    drop(conn);
    assert!(terminate(&mut child).success());
    assert!(
        !process_alive(redis_pid),
        "redis-server {redis_pid} outlived antrian"
    );

    let (mut again, mut logs) = spawn(antrian(dir.path()).arg("start"));
    logs.wait_line("ready");
    let port = std::fs::read_to_string(dir.path().join("data/redis/endpoint")).expect("endpoint");
    let url = format!("redis://:{password}@127.0.0.1:{}", port.trim());
    let mut conn = redis::Client::open(url.as_str())
        .and_then(|c| c.get_connection())
        .expect("connect");
    let value: String = redis::cmd("GET")
        .arg("antrian:survives")
        .query(&mut conn)
        .expect("get");
    assert_eq!(value, "yes");
    assert!(terminate(&mut again).success());
}

#[test]
fn a_wrong_password_is_a_one_line_error_and_exit_1() {
    let redis = TestRedis::start_with(RedisOptions {
        password: Some("right".into()),
        ..Default::default()
    });
    let dir = tempfile::tempdir().expect("tempdir");
    let out = run(antrian(dir.path())
        .env("REDIS_HOST", "127.0.0.1")
        .env("REDIS_PORT", redis.port().to_string())
        .env("REDIS_PASSWORD", "wrong")
        .arg("start"));
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("rejected the password"), "{err}");
    assert!(!err.contains("wrong"), "the password leaked: {err}");
}

#[test]
fn something_that_is_not_redis_is_named_as_such() {
    let port = not_redis_server();
    let dir = tempfile::tempdir().expect("tempdir");
    let out = run(antrian(dir.path())
        .env("REDIS_URL", format!("redis://127.0.0.1:{port}"))
        .arg("start"));
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("answers, but not as a Redis server"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_taken_embedded_port_is_a_clear_error() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = taken.local_addr().expect("addr").port();
    let dir = tempfile::tempdir().expect("tempdir");
    let out = run(antrian(dir.path())
        .env("ANTRIAN_EMBEDDED_REDIS_PORT", port.to_string())
        .arg("start"));
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains(&format!(
            "port {port} for the embedded Redis is already in use"
        )),
        "{}",
        stderr(&out)
    );
}

#[test]
fn an_unreachable_redis_is_retried_with_one_log_line_until_it_answers() {
    let port = antrian_testkit::free_port();
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut child, mut logs) = spawn(
        antrian(dir.path())
            .env("REDIS_URL", format!("redis://127.0.0.1:{port}"))
            .arg("start"),
    );
    let line = logs.wait_line("retrying until it answers");
    assert!(line.contains(&format!("127.0.0.1:{port}")), "{line}");
    // Let several retries happen: bring Redis up on that port and wait for `ready`.
    let _redis = TestRedis::start_with(RedisOptions {
        port: Some(port),
        ..Default::default()
    });
    logs.wait_line("ready");
    let retry_lines = logs.seen.iter().filter(|l| l.contains("retrying")).count();
    assert_eq!(
        retry_lines,
        1,
        "one line per state change, not per retry:\n{}",
        logs.seen.join("\n")
    );
    assert!(terminate(&mut child).success());
}

#[test]
fn an_unwritable_data_dir_is_a_clear_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("a-file");
    std::fs::write(&file, "x").expect("write");
    let out = run(antrian(dir.path())
        .env("ANTRIAN_DATA_DIR", file.join("data"))
        .arg("start"));
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("is not writable"), "{}", stderr(&out));
}

fn json_of(out: &Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "exit {:?}: {}",
        out.status.code(),
        stderr(out)
    );
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)))
}

fn key_count(redis: &TestRedis) -> u64 {
    redis::cmd("DBSIZE")
        .query(&mut redis.connection())
        .expect("DBSIZE")
}

#[test]
fn jobs_and_queues_commands_work_end_to_end_with_json() {
    let redis = TestRedis::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let cli = |args: &[&str]| run(antrian(dir.path()).env("REDIS_URL", redis.url()).args(args));

    let added = json_of(&cli(&[
        "jobs",
        "add",
        "scraping-queue",
        "product-scraping",
        "--data",
        r#"{"url": "https://shopee.co.id/product/123/456", "accountId": "user123"}"#,
        "--priority",
        "high",
        "--attempts",
        "5",
        "--backoff",
        "exponential:2000:2:30000",
        "--json",
    ]));
    let id = added["id"].as_str().expect("id").to_string();
    assert_eq!(added["duplicate"], false);

    let job = json_of(&cli(&["jobs", "get", "scraping-queue", &id, "--json"]));
    assert_eq!(job["name"], "product-scraping");
    assert_eq!(job["data"]["accountId"], "user123");
    assert_eq!(job["state"], "waiting");
    assert_eq!(job["options"]["priority"], 4);
    assert_eq!(job["options"]["attempts"], 5);

    let file = dir.path().join("jobs.json");
    std::fs::write(&file, r#"[{"name": "product-scraping", "data": {"url": "https://shopee.co.id/product/1/123"}, "priority": 5},
                               {"name": "product-scraping", "data": {"url": "https://shopee.co.id/product/2/456"}, "opts": {"delay": 60000}}]"#)
        .expect("jobs file");
    let bulk = json_of(&cli(&[
        "jobs",
        "add-bulk",
        "scraping-queue",
        "--file",
        &file.display().to_string(),
        "--json",
    ]));
    assert_eq!(bulk.as_array().map(Vec::len), Some(2));

    let stats = json_of(&cli(&["queues", "stats", "scraping-queue", "--json"]));
    assert_eq!(
        (stats["waiting"].as_u64(), stats["delayed"].as_u64()),
        (Some(2), Some(1))
    );
    let page = json_of(&cli(&[
        "jobs",
        "list",
        "scraping-queue",
        "--state",
        "waiting",
        "--page-size",
        "1",
        "--json",
    ]));
    assert_eq!(
        (
            page["total"].as_u64(),
            page["jobs"].as_array().map(Vec::len)
        ),
        (Some(2), Some(1))
    );
    let delayed = bulk[1]["id"].as_str().expect("id");
    let one = json_of(&cli(&[
        "jobs",
        "promote",
        "scraping-queue",
        delayed,
        "--json",
    ]));
    assert_eq!(one["promoted"], true);
    let waiting = cli(&["jobs", "promote", "scraping-queue", &id]);
    assert!(!waiting.status.success());
    assert!(
        String::from_utf8_lossy(&waiting.stderr).contains("not delayed"),
        "{waiting:?}"
    );
    let promoted = json_of(&cli(&["jobs", "promote", "scraping-queue", "--json"]));
    assert_eq!(promoted["promoted"], 0, "the only delayed job was promoted");

    // Filtered by name and a data field.
    let found = json_of(&cli(&[
        "jobs",
        "list",
        "scraping-queue",
        "--state",
        "waiting",
        "--field",
        "url",
        "--text",
        "SHOP",
        "--json",
    ]));
    assert_eq!(found["search"]["complete"], true, "{found}");
    assert!(found["total"].as_u64().is_some_and(|n| n >= 1), "{found}");
    let none = json_of(&cli(&[
        "jobs",
        "list",
        "scraping-queue",
        "--name",
        "no-such-job",
        "--json",
    ]));
    assert_eq!(none["total"], 0);
    let bad = cli(&[
        "jobs",
        "list",
        "scraping-queue",
        "--field",
        "a b",
        "--text",
        "x",
    ]);
    assert!(!bad.status.success());
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("not a data field"),
        "{bad:?}"
    );

    // Data is edited on a job no worker holds; bad data is refused and changes nothing.
    let edited = json_of(&cli(&[
        "jobs",
        "edit",
        "scraping-queue",
        delayed,
        "--data",
        r#"{"url": "https://shop.example/p/9"}"#,
        "--json",
    ]));
    assert_eq!(edited["data"]["url"], "https://shop.example/p/9");
    for (bad, says) in [
        ("[1]", "must be a JSON object"),
        ("{url", "--data is not valid"),
    ] {
        let out = cli(&["jobs", "edit", "scraping-queue", delayed, "--data", bad]);
        assert!(!out.status.success());
        assert!(
            String::from_utf8_lossy(&out.stderr).contains(says),
            "{bad}: {out:?}"
        );
    }
    assert_eq!(
        json_of(&cli(&["jobs", "get", "scraping-queue", delayed, "--json"]))["data"]["url"],
        "https://shop.example/p/9"
    );

    assert!(cli(&["queues", "pause", "scraping-queue"]).status.success());
    assert_eq!(
        json_of(&cli(&["queues", "stats", "scraping-queue", "--json"]))["isPaused"],
        true
    );
    assert!(cli(&["queues", "resume", "--all"]).status.success());
    assert_eq!(
        json_of(&cli(&["queues", "stats", "scraping-queue", "--json"]))["isPaused"],
        false
    );

    let created = json_of(&cli(&["queues", "create", "my-queue", "--json"]));
    assert_eq!(created["created"], true);
    assert_eq!(created["queue"]["name"], "my-queue");
    let again = json_of(&cli(&["queues", "create", "my-queue", "--json"]));
    assert_eq!(again["created"], false);
    let custom = json_of(&cli(&[
        "jobs", "add", "my-queue", "anything", "--data", "{}", "--json",
    ]));
    assert_eq!(custom["queue"], "my-queue");

    let all = json_of(&cli(&["queues", "stats", "--json"]));
    let names: Vec<&str> = all
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|s| s["name"].as_str())
        .collect();
    for q in [
        "scraping-queue",
        "data-processing-queue",
        "notifications-queue",
        "cleanup-queue",
        "my-queue",
    ] {
        assert!(names.contains(&q), "{q} missing from {names:?}");
    }

    let health = json_of(&cli(&["health", "--json"]));
    assert_eq!(health["status"], "degraded");
    assert!(
        health["reasons"]
            .to_string()
            .contains("no worker is consuming scraping-queue"),
        "{health}"
    );

    assert!(cli(&["jobs", "remove", "scraping-queue", &id])
        .status
        .success());
    assert_eq!(
        cli(&["jobs", "get", "scraping-queue", &id]).status.code(),
        Some(3)
    );

    // What the commands changed is in the audit log, as done from the CLI by this user.
    let log = json_of(&cli(&["audit", "--limit", "3", "--json"]));
    assert_eq!(
        log[0]["summary"],
        format!("removed job {id} from scraping-queue")
    );
    assert_eq!(log[0]["actor"]["via"], "cli");
    assert!(
        log[0]["actor"]["who"]
            .as_str()
            .is_some_and(|w| w.contains('@')),
        "{log}"
    );
    let text = String::from_utf8_lossy(&cli(&["audit"]).stdout).to_string();
    for said in [
        "WHEN",
        "WHO",
        "WHAT",
        "cli ",
        "resumed scraping-queue",
        "paused scraping-queue",
    ] {
        assert!(text.contains(said), "{said} missing from:\n{text}");
    }
}

/// Each bad invocation names the problem, exits with the documented code, and writes nothing.
#[test]
fn bad_cli_input_is_rejected_and_redis_is_unchanged() {
    let redis = TestRedis::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let cli = |args: &[&str]| run(antrian(dir.path()).env("REDIS_URL", redis.url()).args(args));
    assert!(cli(&[
        "jobs",
        "add",
        "scraping-queue",
        "product-scraping",
        "--data",
        r#"{"url": "https://shopee.co.id/product/1/2"}"#
    ])
    .status
    .success());
    let before = key_count(&redis);
    let cases: &[(&[&str], i32, &str)] = &[
        (
            &["jobs", "add", "scraping-queue", "n", "--data", "[1]"],
            2,
            "data: job data must be a JSON object",
        ),
        (
            &["jobs", "add", "scraping-queue", "n", "--data", "{oops"],
            2,
            "--data is not valid",
        ),
        (
            &[
                "jobs",
                "add",
                "my-queue",
                "n",
                "--data",
                "{}",
                "--priority",
                "urgent",
            ],
            2,
            "priority: unknown level",
        ),
        (
            &[
                "jobs",
                "add",
                "my-queue",
                "n",
                "--data",
                "{}",
                "--priority",
                "0",
            ],
            2,
            "priority: 0 is out of range",
        ),
        (
            &[
                "jobs", "add", "my-queue", "n", "--data", "{}", "--delay", "-5s",
            ],
            2,
            "--delay",
        ),
        (
            &[
                "jobs", "add", "my-queue", "n", "--data", "{}", "--delay", "soon",
            ],
            2,
            "--delay",
        ),
        (
            &[
                "jobs",
                "add",
                "my-queue",
                "n",
                "--data",
                "{}",
                "--attempts",
                "0",
            ],
            2,
            "attempts: 0 must be from 1 to 100",
        ),
        (
            &[
                "jobs",
                "add",
                "my-queue",
                "n",
                "--data",
                "{}",
                "--backoff",
                "exponential:x",
            ],
            2,
            "--backoff",
        ),
        (
            &[
                "jobs",
                "add",
                "my-queue",
                "n",
                "--data",
                "{}",
                "--backoff",
                "fixed:-1",
            ],
            2,
            "backoff.delay",
        ),
        (
            &[
                "jobs",
                "add",
                "scraping-queue",
                "product-scraping",
                "--data",
                r#"{"url": "file:///etc/passwd"}"#,
            ],
            2,
            "data: invalid product-scraping data: url `file:///etc/passwd` uses `file:`",
        ),
        (
            &[
                "jobs",
                "add",
                "scraping-queue",
                "batch-scraping",
                "--data",
                r#"{"urls": [], "type": "product"}"#,
            ],
            2,
            "`urls` is empty",
        ),
        (
            &["jobs", "add", "scraping-queue", "n", "--data", "{}"],
            2,
            "name: no handler runs `n` on scraping-queue; it runs product-scraping",
        ),
        (
            &["jobs", "add", "bad:queue", "n", "--data", "{}"],
            2,
            "queue: `bad:queue`",
        ),
        (
            &["jobs", "add", "scrapping-queue", "n", "--data", "{}"],
            2,
            "queue: there is no queue `scrapping-queue`; check the name, or create it first",
        ),
        (&["queues", "create", "../../etc"], 2, "is not a queue name"),
        (
            &["jobs", "add", "scraping-queue", "", "--data", "{}"],
            2,
            "name:",
        ),
        (
            &[
                "jobs",
                "add-bulk",
                "scraping-queue",
                "--file",
                "/nonexistent.json",
            ],
            2,
            "cannot read --file",
        ),
        (
            &["jobs", "get", "scraping-queue", "999"],
            3,
            "job 999 in scraping-queue not found",
        ),
        (&["jobs", "retry", "scraping-queue", "1"], 4, "not failed"),
        (
            &["jobs", "list", "scraping-queue", "--state", "sleeping"],
            2,
            "--state",
        ),
        (
            &["queues", "clean", "scraping-queue"],
            2,
            "say which jobs to remove",
        ),
        (
            &["queues", "stats", "scraping-queu"],
            3,
            "queue scraping-queu not found",
        ),
        (
            &["queues", "pause", "no-such-queue"],
            3,
            "queue no-such-queue not found",
        ),
        (
            &["audit", "--limit", "0"],
            2,
            "limit: the audit log keeps 1000 entries: ask for 1 to 1000, not 0",
        ),
    ];
    for (args, code, message) in cases {
        let out = cli(args);
        assert_eq!(out.status.code(), Some(*code), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(message), "{args:?}: {}", stderr(&out));
        assert_eq!(key_count(&redis), before, "{args:?} changed Redis");
    }
}

#[test]
fn the_queue_component_runs_alone_until_sigterm() {
    let redis = TestRedis::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut child, mut logs) = spawn(
        antrian(dir.path())
            .env("REDIS_URL", redis.url())
            .arg("queue"),
    );
    let ready = logs.wait_line("ready");
    assert!(ready.contains("queues=4"), "{ready}");
    // A pause from another process shows in this one's log: the events come from Redis.
    let out = run(antrian(dir.path()).env("REDIS_URL", redis.url()).args([
        "queues",
        "pause",
        "cleanup-queue",
    ]));
    assert!(out.status.success(), "{}", stderr(&out));
    logs.wait_line("queue paused");
    assert!(terminate(&mut child).success());
}

#[test]
fn workers_and_nodes_commands_reach_a_running_node() {
    let redis = TestRedis::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let cli = |args: &[&str]| run(antrian(dir.path()).env("REDIS_URL", redis.url()).args(args));

    let (mut node, mut logs) = spawn(
        antrian(dir.path())
            .env("REDIS_URL", redis.url())
            .arg("workers"),
    );
    logs.wait_line("pool scaled worker_type=\"scraping\" workers=2");
    logs.wait_line("pool scaled worker_type=\"cleanup\" workers=2");
    logs.wait_line("ready");
    let listed = json_of(&cli(&["nodes", "list", "--json"]));
    let nodes = listed.as_array().expect("array");
    assert_eq!(nodes.len(), 1, "{listed}");
    assert_eq!(nodes[0]["alive"], true);
    let id = nodes[0]["id"].as_str().expect("id").to_string();

    let stats = json_of(&cli(&["workers", "stats", "--json"]));
    assert_eq!(stats[0]["node"], id.as_str());

    // A worker node reads no event streams; its pools log the jobs they finish themselves.
    let added = cli(&[
        "jobs",
        "add",
        "notifications-queue",
        "send-email",
        "--data",
        r#"{"to": "ops@example.com", "subject": "s"}"#,
        "--attempts",
        "1",
    ]);
    assert!(added.status.success(), "{}", stderr(&added));
    let failed = logs.wait_line("job failed");
    assert!(
        failed.contains("queue=notifications-queue") && failed.contains("SMTP_HOST is not set"),
        "{failed}"
    );

    // The pools run antrian-jobs' handlers, sized from the configuration.
    assert_eq!(
        stats[0]["stats"]["byType"]["scraping"]["workers"], 2,
        "{stats}"
    );
    let scaled = cli(&["nodes", "scale", &id, "scraping", "3"]);
    assert!(scaled.status.success(), "{}", stderr(&scaled));
    // The seed's NOTIFICATION_WORKERS=1, raised by QUEUE_MIN_WORKERS (auto-scaling is on).
    assert_eq!(
        stats[0]["stats"]["byType"]["notification"]["workers"], 2,
        "{stats}"
    );
    let scaled = cli(&["nodes", "scale", &id, "notification", "0"]);
    assert!(scaled.status.success(), "{}", stderr(&scaled));
    let table = cli(&["workers", "stats"]);
    let scraping_row = String::from_utf8_lossy(&table.stdout)
        .lines()
        .find(|l| l.contains(" scraping "))
        .map(str::to_string)
        .expect("a scraping row");
    assert!(
        scraping_row.trim_end().ends_with("pinned"),
        "{scraping_row}"
    );
    let too_many = cli(&["nodes", "scale", &id, "scraping", "5000"]);
    assert_eq!(too_many.status.code(), Some(4), "{}", stderr(&too_many));
    assert!(
        String::from_utf8_lossy(&too_many.stdout)
            .contains("5000 is outside the allowed range: 2 to 20 workers"),
        "{}",
        String::from_utf8_lossy(&too_many.stdout)
    );
    let auto = cli(&["nodes", "scale", &id, "scraping", "auto"]);
    assert!(auto.status.success(), "{}", stderr(&auto));
    assert_eq!(
        json_of(&cli(&["workers", "stats", "--json"]))[0]["stats"]["byType"]["scraping"]["pinned"],
        false
    );
    let log = json_of(&cli(&["workers", "scaling", "--json"]));
    assert!(
        log.to_string().contains("handed back to auto-scaling"),
        "{log}"
    );
    let bad = cli(&["nodes", "scale", &id, "scraping", "lots"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(stderr(&bad).contains("give a whole number of workers, or `auto`"));
    let bad = cli(&["nodes", "scale", &id, "mining:rig", "2"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        stderr(&bad).contains("unknown worker type \"mining:rig\""),
        "{}",
        stderr(&bad)
    );
    // A custom queue's pool this node does not run: the node says so.
    let other = cli(&["nodes", "scale", &id, "mining", "2"]);
    assert_eq!(other.status.code(), Some(4), "{}", stderr(&other));
    assert!(
        String::from_utf8_lossy(&other.stdout).contains("no handler is registered for mining jobs"),
        "{}",
        String::from_utf8_lossy(&other.stdout)
    );
    let missing = cli(&["nodes", "drain", "no-such-node"]);
    assert_eq!(missing.status.code(), Some(3), "{}", stderr(&missing));
    let bad_types = cli(&["workers", "--types", "scraping,mining"]);
    assert_eq!(bad_types.status.code(), Some(2));
    assert!(stderr(&bad_types).contains("--types: unknown worker type \"mining\""));

    // A remote drain stops the node process cleanly.
    let drained = cli(&["nodes", "drain", &id]);
    assert!(drained.status.success(), "{}", stderr(&drained));
    let status = node.0.wait().expect("node exits after drain");
    assert!(status.success(), "exit {status}");
    logs.wait_line("antrian stopped");
    assert_eq!(
        json_of(&cli(&["nodes", "list", "--json"])),
        serde_json::json!([])
    );
}

/// Under systemd (`Type=notify`, the shipped units), `antrian workers` and `antrian
/// scheduler` say what they wait for, READY=1 once Redis answers and they run, and
/// STOPPING=1 on SIGTERM, as datagrams to `$NOTIFY_SOCKET` — here a socket the test binds,
/// as systemd does.
#[test]
fn a_service_manager_hears_ready_and_stopping() {
    let redis = TestRedis::start();
    let dir = tempfile::tempdir().expect("tempdir");
    for command in ["workers", "scheduler"] {
        let path = dir.path().join(format!("notify-{command}"));
        let socket = std::os::unix::net::UnixDatagram::bind(&path).expect("bind");
        socket
            .set_read_timeout(Some(std::time::Duration::from_secs(30)))
            .expect("timeout");
        let hear = |want: &str| {
            let mut said = Vec::new();
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
            loop {
                assert!(
                    std::time::Instant::now() < deadline,
                    "antrian {command} did not say {want} within 60 s (said {said:?})"
                );
                let mut buf = [0u8; 4096];
                let n = socket.recv(&mut buf).unwrap_or_else(|e| {
                    panic!("antrian {command} did not say {want} (said {said:?}): {e}")
                });
                let message = String::from_utf8_lossy(&buf[..n]).into_owned();
                let done = message.lines().any(|l| l == want);
                said.push(message);
                if done {
                    return said;
                }
            }
        };
        // As systemd with `WatchdogSec=2s` would start it: WATCHDOG_USEC, and WATCHDOG_PID
        // naming the process itself (bash's pid, which `exec` hands to antrian).
        let mut unit = antrian(dir.path());
        unit.env("REDIS_URL", redis.url())
            .env("NOTIFY_SOCKET", &path)
            .env("WATCHDOG_USEC", "2000000");
        let mut cmd = std::process::Command::new("bash");
        cmd.env_clear()
            .envs(unit.get_envs().filter_map(|(k, v)| v.map(|v| (k, v))))
            .current_dir(dir.path())
            .args([
                "-c",
                "export WATCHDOG_PID=$$; exec \"$0\" \"$1\"",
                unit.get_program().to_str().expect("path"),
                command,
            ]);
        let (mut child, _logs) = spawn(&mut cmd);
        let said = hear("READY=1");
        let port = redis.port().to_string();
        assert!(
            said[0].contains("STATUS=connecting to Redis at") && said[0].contains(&port),
            "{said:?}"
        );
        assert!(
            said.last()
                .is_some_and(|m| m.contains("STATUS=ready; Redis at") && m.contains(&port)),
            "{said:?}"
        );
        if command == "workers" {
            let listed = run(antrian(dir.path())
                .env("REDIS_URL", redis.url())
                .args(["nodes", "list", "--json"]));
            assert_eq!(
                json_of(&listed).as_array().map(Vec::len),
                Some(1),
                "ready means the node runs"
            );
        }
        let pinged = hear("WATCHDOG=1");
        let last = pinged.last().expect("a ping");
        assert!(
            last.contains("STATUS=healthy") || last.contains("STATUS=degraded"),
            "the status line follows health: {pinged:?}"
        );
        let status = terminate(&mut child);
        assert!(status.success(), "{status}");
        hear("STOPPING=1");
    }
}

/// A node past `QUEUE_MAX_MEMORY` drains and exits with 75 (EX_TEMPFAIL) for its service
/// manager to restart it, saying why; it leaves the node registry. (A limit of 1 MB is
/// below any process: the leak itself is `crates/core/tests/memory_ceiling.rs`'s.)
#[test]
fn a_node_over_its_memory_ceiling_drains_and_exits_75() {
    let redis = TestRedis::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut node, mut logs) = spawn(
        antrian(dir.path())
            .env("REDIS_URL", redis.url())
            .env("QUEUE_MAX_MEMORY", "1")
            .args(["workers", "--types", "cleanup"]),
    );
    let said = logs.wait_line("over QUEUE_MAX_MEMORY");
    assert!(said.contains("limit_mb=1"), "{said}");
    let status = node.0.wait().expect("the node exits");
    assert_eq!(status.code(), Some(75), "{:?}", logs.seen);
    logs.wait_line("antrian stopped");
    let listed = run(antrian(dir.path())
        .env("REDIS_URL", redis.url())
        .args(["nodes", "list", "--json"]));
    assert_eq!(json_of(&listed), serde_json::json!([]));

    let bad = run(antrian(dir.path())
        .env("REDIS_URL", redis.url())
        .env("QUEUE_MAX_MEMORY", "lots")
        .args(["workers"]));
    assert_eq!(bad.status.code(), Some(2), "{}", stderr(&bad));
    assert!(
        stderr(&bad).contains("QUEUE_MAX_MEMORY"),
        "{}",
        stderr(&bad)
    );
}

#[test]
fn account_sessions_are_stored_listed_without_secrets_and_removed() {
    let redis = TestRedis::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let cli = |args: &[&str]| run(antrian(dir.path()).env("REDIS_URL", redis.url()).args(args));

    let out = cli(&["accounts", "list"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("no account has a stored session"));
    let out = cli(&[
        "accounts",
        "set-session",
        "user123",
        "--cookie",
        "SPC_SC_TK=secret-cookie",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    // From stdin, so the secret is in neither the shell history nor `ps`.
    let mut child = antrian(dir.path())
        .env("REDIS_URL", redis.url())
        .args(["accounts", "set-session", "shop-b", "--token", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    std::io::Write::write_all(&mut child.stdin.take().expect("stdin"), b"secret-token\n")
        .expect("write stdin");
    assert!(child.wait_with_output().expect("wait").status.success());

    let listed = cli(&["accounts", "list", "--json"]);
    let text = String::from_utf8_lossy(&listed.stdout).into_owned();
    assert!(!text.contains("secret"), "secrets never shown: {text}");
    let listed: serde_json::Value = serde_json::from_str(&text).expect("json");
    assert_eq!(listed[0]["accountId"], "shop-b");
    assert_eq!(listed[0]["kind"], "token");
    assert_eq!(listed[1]["accountId"], "user123");
    assert_eq!(listed[1]["kind"], "cookie");
    let mut conn = redis.connection();
    let stored: String = redis::cmd("HGET")
        .arg("antrian:account:shop-b:session")
        .arg("value")
        .query(&mut conn)
        .expect("HGET");
    assert_eq!(stored, "secret-token");

    let bad = cli(&["accounts", "set-session", "no spaces", "--cookie", "x"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        stderr(&bad).contains("account id `no spaces`"),
        "{}",
        stderr(&bad)
    );
    let neither = cli(&["accounts", "set-session", "user123"]);
    assert_eq!(neither.status.code(), Some(2));

    assert!(cli(&["accounts", "remove", "user123"]).status.success());
    let again = cli(&["accounts", "remove", "user123"]);
    assert_eq!(again.status.code(), Some(3), "{}", stderr(&again));
}

#[test]
fn sites_shows_what_scraping_met_at_each_site() {
    let redis = TestRedis::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let cli = |args: &[&str]| run(antrian(dir.path()).env("REDIS_URL", redis.url()).args(args));
    let out = cli(&["sites"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("no site has been scraped yet"));
    // The counters as the scraping handlers keep them (their counting is tested in
    // antrian-jobs); here, how the command shows them.
    let mut conn = redis.connection();
    let _: () = redis::pipe()
        .cmd("SADD")
        .arg("antrian:scrape:domains")
        .arg("shopee.co.id")
        .cmd("HSET")
        .arg("antrian:scrape:domain:shopee.co.id:stats")
        .arg("success")
        .arg(40)
        .arg("blocked_429")
        .arg(3)
        .arg("blocked_403")
        .arg(1)
        .arg("status_500")
        .arg(2)
        .query(&mut conn)
        .expect("counters");
    let text = String::from_utf8_lossy(&cli(&["sites"]).stdout).into_owned();
    let row = text
        .lines()
        .find(|l| l.starts_with("shopee.co.id"))
        .unwrap_or_default();
    let cells: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(
        cells,
        vec!["shopee.co.id", "40", "4", "status_500=2"],
        "{text}"
    );
    let json = json_of(&cli(&["sites", "--json"]));
    assert_eq!(json[0]["counts"]["blocked_429"], 3);
}

/// The user's chain: a product scraped from the (fixture) site by `antrian workers`, saved
/// by its data pool, then listed, looked up and exported with `antrian products`.
#[test]
fn a_scraped_product_shows_in_products_list_get_and_export() {
    let tokio = tokio::runtime::Runtime::new().expect("tokio");
    let site = tokio.block_on(antrian_testkit::fixture::FixtureSite::start());
    let redis = TestRedis::start();
    let dir = tempfile::tempdir().expect("tempdir");
    // The fixture site is on loopback, which scraping refuses (when jobs are added too)
    // unless allowed.
    let cli = |args: &[&str]| {
        run(antrian(dir.path())
            .env("REDIS_URL", redis.url())
            .env("SCRAPE_ALLOW_PRIVATE", "127.0.0.1")
            .args(args))
    };
    let (_node, mut logs) = spawn(
        antrian(dir.path())
            .env("REDIS_URL", redis.url())
            .env("SCRAPE_MARKETPLACE_HOSTS", "127.0.0.1")
            .env("SCRAPE_DOMAIN_RATE_LIMIT", "none")
            .env("SCRAPE_ALLOW_PRIVATE", "127.0.0.1")
            .env("ANTRIAN_LOG", "info,antrian=debug")
            .args(["workers", "--types", "scraping,data-processing"]),
    );
    logs.wait_line("ready");
    let added = cli(&[
        "jobs",
        "add",
        "scraping-queue",
        "product-scraping",
        "--data",
        &format!(r#"{{"url": "{}"}}"#, site.url("/product/123/456")),
    ]);
    assert!(added.status.success(), "{}", stderr(&added));
    logs.wait_line("queue=data-processing-queue job=save-1-0");

    let listed = json_of(&cli(&["products", "list", "--json"]));
    assert_eq!(listed["total"], 1, "{listed}");
    assert_eq!(listed["products"][0]["productId"], "456");
    let text =
        String::from_utf8_lossy(&cli(&["products", "list", "--shop", "123"]).stdout).into_owned();
    assert!(text.contains("Item 456"), "{text}");
    let got = json_of(&cli(&["products", "get", "456", "--json"]));
    assert_eq!(got["product"]["source"], "marketplace-api");
    assert_eq!(got["history"].as_array().map(Vec::len), Some(1));
    let missing = cli(&["products", "get", "999"]);
    assert_eq!(missing.status.code(), Some(3), "{}", stderr(&missing));

    let csv = dir.path().join("products.csv");
    let out = cli(&[
        "products",
        "export",
        "--format",
        "csv",
        "--output",
        &csv.display().to_string(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let csv = std::fs::read_to_string(&csv).expect("csv");
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 2, "{csv}");
    assert!(lines[1].starts_with("456,123,Item 456,"), "{csv}");
    let bad = cli(&["products", "export", "--format", "xml"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("format: `xml` must be csv or json"),
        "{bad:?}"
    );
}

#[test]
fn schedules_commands_manage_cron_schedules_with_json() {
    let redis = TestRedis::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let cli = |args: &[&str]| run(antrian(dir.path()).env("REDIS_URL", redis.url()).args(args));

    let added = json_of(&cli(&[
        "schedules",
        "add",
        "daily-cleanup",
        "--cron",
        "0 2 * * *",
        "--job",
        "cleanup-old-data",
        "--queue",
        "cleanup-queue",
        "--data",
        r#"{"collections":["products"],"olderThan":30}"#,
        "--tz",
        "Asia/Jakarta",
        "--priority",
        "low",
        "--json",
    ]));
    assert_eq!(added["status"], "active", "{added}");
    assert_eq!(added["timezone"], "Asia/Jakarta");
    assert!(added["nextRun"].as_i64().is_some(), "{added}");
    let listed = json_of(&cli(&["schedules", "list", "--json"]));
    assert_eq!(listed.as_array().map(Vec::len), Some(1), "{listed}");
    let table = cli(&["schedules", "list"]);
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(
        text.contains("daily-cleanup") && text.contains("At 02:00"),
        "{text}"
    );

    let preview = json_of(&cli(&[
        "schedules",
        "preview",
        "daily-cleanup",
        "--count",
        "3",
        "--json",
    ]));
    let times = preview["times"].as_array().expect("times");
    assert_eq!(times.len(), 3);
    assert!(
        times
            .iter()
            .all(|t| t.as_str().is_some_and(|t| t.ends_with("T02:00:00+07:00"))),
        "{preview}"
    );
    let berlin = json_of(&cli(&[
        "schedules",
        "preview",
        "--cron",
        "30 2 * * *",
        "--tz",
        "Europe/Berlin",
        "--json",
    ]));
    assert_eq!(berlin["timezone"], "Europe/Berlin");

    let ran = json_of(&cli(&["schedules", "run", "daily-cleanup", "--json"]));
    let id = ran["id"].as_str().expect("id");
    assert!(id.starts_with("run:daily-cleanup:"), "{ran}");
    let job = json_of(&cli(&["jobs", "get", "cleanup-queue", id, "--json"]));
    assert_eq!(job["data"]["olderThan"], 30);
    let got = json_of(&cli(&["schedules", "get", "daily-cleanup", "--json"]));
    assert_eq!(got["recentRuns"][0]["jobId"], id, "{got}");
    assert_eq!(
        got["recentRuns"][0]["outcome"], "waiting",
        "no worker runs here"
    );

    let disabled = json_of(&cli(&["schedules", "disable", "daily-cleanup", "--json"]));
    assert_eq!(disabled["status"], "disabled");
    let updated = json_of(&cli(&[
        "schedules",
        "update",
        "daily-cleanup",
        "--cron",
        "0 3 * * *",
        "--limit",
        "5",
        "--json",
    ]));
    assert_eq!(
        (updated["schedule"].as_str(), updated["limit"].as_u64()),
        (Some("0 3 * * *"), Some(5))
    );
    assert_eq!(updated["status"], "disabled", "update keeps it disabled");
    let enabled = json_of(&cli(&["schedules", "enable", "daily-cleanup", "--json"]));
    assert_eq!(enabled["status"], "active");

    // Bad input: a clear message, exit 2 (or 4 for a taken name), and nothing written.
    let keys = key_count(&redis);
    for (args, code, says) in [
        (
            vec![
                "schedules",
                "add",
                "x",
                "--cron",
                "0 2 * * *",
                "--job",
                "tick",
                "--queue",
                "cleanup-queue",
            ],
            2,
            "name: no handler runs `tick` on cleanup-queue; it runs cleanup-old-data, cleanup-temp-files",
        ),
        (
            vec![
                "schedules",
                "add",
                "x",
                "--cron",
                "0 2 * *",
                "--job",
                "tick",
                "--queue",
                "my-queue",
            ],
            2,
            "has 4 fields",
        ),
        (
            vec![
                "schedules",
                "add",
                "x",
                "--cron",
                "0 2 * * *",
                "--job",
                "tick",
                "--queue",
                "my-queue",
                "--tz",
                "Mars/Olympus",
            ],
            2,
            "not an IANA time zone",
        ),
        (
            vec![
                "schedules",
                "add",
                "x",
                "--cron",
                "0 2 * * *",
                "--job",
                "tick",
                "--queue",
                "my-queue",
                "--start",
                "2030-01-02T00:00:00Z",
                "--end",
                "2030-01-01T00:00:00Z",
            ],
            2,
            "endDate: must be after startDate",
        ),
        (
            vec![
                "schedules",
                "add",
                "x",
                "--cron",
                "0 2 * * *",
                "--job",
                "tick",
                "--queue",
                "my-queue",
                "--overlap",
                "sometimes",
            ],
            2,
            "unknown variant `sometimes`",
        ),
        (
            vec![
                "schedules",
                "add",
                "x",
                "--cron",
                "0 2 * * *",
                "--job",
                "tick",
                "--queue",
                "my-queue",
                "--data",
                "[1]",
            ],
            2,
            "JSON object",
        ),
        (
            vec![
                "schedules",
                "add",
                "daily-cleanup",
                "--cron",
                "0 2 * * *",
                "--job",
                "cleanup-old-data",
                "--queue",
                "cleanup-queue",
                "--data",
                r#"{"collections":["products"],"olderThan":30}"#,
            ],
            4,
            "already exists",
        ),
        (
            vec![
                "schedules",
                "update",
                "daily-cleanup",
                "--cron",
                "61 * * * *",
            ],
            2,
            "not a valid cron",
        ),
        (
            vec!["schedules", "get", "nope"],
            3,
            "schedule nope not found",
        ),
        (
            vec![
                "schedules",
                "preview",
                "--cron",
                "0 2 * * *",
                "--count",
                "0",
            ],
            2,
            "count: 0 must be from 1 to 100",
        ),
        (
            vec![
                "schedules",
                "add-dynamic",
                "d",
                "--condition",
                "queue_size",
                "--watch",
                "scraping-queue",
                "--operator",
                "=>",
                "--threshold",
                "5",
                "--job",
                "j",
                "--queue",
                "q",
            ],
            2,
            "unknown variant `=>`",
        ),
        (
            vec![
                "schedules",
                "add-dynamic",
                "d",
                "--condition",
                "queue_size",
                "--watch",
                "scraping-queue",
                "--operator",
                ">",
                "--threshold",
                "-5",
                "--job",
                "j",
                "--queue",
                "q",
            ],
            2,
            "condition.threshold: -5 must be a number of jobs",
        ),
        (
            vec![
                "schedules",
                "add-dynamic",
                "d",
                "--condition",
                "queue_drained",
                "--watch",
                "scraping-queue",
                "--job",
                "j",
                "--queue",
                "q",
                "--cooldown",
                "1s",
            ],
            2,
            "below the evaluation interval",
        ),
        (
            vec![
                "schedules",
                "add-dynamic",
                "d",
                "--condition",
                "queue_drained",
                "--watch",
                "scraping-queue",
                "--job",
                "j",
                "--queue",
                "q",
                "--cooldown",
                "1500ms",
            ],
            2,
            "cooldowns are whole seconds",
        ),
        (
            vec![
                "schedules",
                "add-dynamic",
                "d",
                "--condition",
                "queue_size",
                "--watch",
                "scraping-queue",
                "--threshold",
                "5",
                "--job",
                "j",
                "--queue",
                "q",
            ],
            2,
            "--condition queue_size needs --operator",
        ),
        (
            vec![
                "schedules",
                "add-dynamic",
                "d",
                "--condition",
                "queue_drained",
                "--watch",
                "scraping-queue",
                "--threshold",
                "5",
                "--job",
                "j",
                "--queue",
                "q",
            ],
            2,
            "--threshold does not apply to --condition queue_drained",
        ),
        (
            vec![
                "schedules",
                "add-dynamic",
                "d",
                "--condition",
                "queue_length",
                "--watch",
                "scraping-queue",
                "--job",
                "j",
                "--queue",
                "q",
            ],
            2,
            "unknown variant `queue_length`",
        ),
        (
            vec![
                "schedules",
                "add-dynamic",
                "d",
                "--condition",
                "queue_drained",
                "--watch",
                "scraping-queue",
                "--job",
                "j",
                "--queue",
                "nobody-made-this",
            ],
            2,
            "action.queue: there is no queue `nobody-made-this`",
        ),
    ] {
        let out = cli(&args);
        assert_eq!(out.status.code(), Some(code), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(says), "{args:?}: {}", stderr(&out));
    }
    assert_eq!(key_count(&redis), keys, "refused commands wrote nothing");

    let removed = cli(&["schedules", "remove", "daily-cleanup"]);
    assert!(removed.status.success(), "{}", stderr(&removed));
    assert_eq!(
        json_of(&cli(&["schedules", "list", "--json"])),
        serde_json::json!([])
    );
}

/// Two `antrian scheduler` processes share one Redis: one holds the lease and evaluates;
/// when it stops, the other takes over. A ledger of the alert jobs shows each episode
/// fired exactly once.
#[test]
fn two_scheduler_processes_never_fire_twice() {
    let redis = TestRedis::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let cli = |args: &[&str]| {
        run(antrian(dir.path())
            .env("REDIS_URL", redis.url())
            .env("SCHEDULER_EVAL_INTERVAL", "200")
            .args(args))
    };
    let scheduler = || {
        antrian(dir.path())
            .env("REDIS_URL", redis.url())
            .env("SCHEDULER_EVAL_INTERVAL", "200")
            .arg("scheduler")
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn scheduler")
    };
    let mut a = scheduler();
    let mut b = scheduler();
    let mut logs = Logs::of_all(&mut [&mut a, &mut b]);
    let (mut a, mut b) = (Running(a), Running(b));
    let leader = logs.wait_line("took the lease");

    for queue in ["watched-queue", "alerts-queue"] {
        let created = cli(&["queues", "create", queue]);
        assert!(created.status.success(), "{}", stderr(&created));
        assert_eq!(
            String::from_utf8_lossy(&created.stdout),
            format!("created queue {queue}\n")
        );
    }
    let added = cli(&[
        "schedules",
        "add-dynamic",
        "ledger",
        "--condition",
        "queue_size",
        "--watch",
        "watched-queue",
        "--operator",
        ">=",
        "--threshold",
        "1",
        "--job",
        "alert",
        "--queue",
        "alerts-queue",
        "--data",
        r#"{"note":"backlog"}"#,
        "--cooldown",
        "1s",
    ]);
    assert!(added.status.success(), "{}", stderr(&added));
    for episode in 1..=3 {
        if episode == 3 {
            // The leader stops; the other instance takes the lease over and goes on.
            let pid = leader.contains(&format!("-{}-", a.0.id()));
            let stopping = if pid { &mut a } else { &mut b };
            assert!(terminate(stopping).success());
            logs.wait_line("took the lease");
        }
        let job = json_of(&cli(&[
            "jobs",
            "add",
            "watched-queue",
            "item",
            "--data",
            "{}",
            "--json",
        ]));
        logs.wait_line("dynamic schedule fired");
        let removed = cli(&[
            "jobs",
            "remove",
            "watched-queue",
            job["id"].as_str().expect("id"),
        ]);
        assert!(removed.status.success(), "{}", stderr(&removed));
        logs.wait_line("dynamic schedule condition cleared");
    }
    let jobs = json_of(&cli(&[
        "jobs",
        "list",
        "alerts-queue",
        "--state",
        "waiting",
        "--json",
    ]));
    let mut ids: Vec<String> = jobs["jobs"]
        .as_array()
        .expect("jobs")
        .iter()
        .map(|j| j["id"].as_str().expect("id").to_string())
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 3, "one alert per episode, none twice: {ids:?}");
    let listed = json_of(&cli(&["schedules", "list-dynamic", "--json"]));
    assert_eq!(listed[0]["state"]["fireCount"], 3, "{listed}");
    assert_eq!(jobs["total"], 3, "{jobs}");
    for child in [&mut a, &mut b] {
        if let Ok(None) = child.0.try_wait() {
            assert!(terminate(child).success());
        }
    }
}

#[test]
fn the_dashboard_runs_alone_and_refuses_to_be_exposed_without_a_real_password() {
    let redis = TestRedis::start();
    let dir = tempfile::tempdir().expect("tempdir");
    for password in ["", "admin123"] {
        let out = run(antrian(dir.path())
            .env("REDIS_URL", redis.url())
            .env("QUEUE_DASHBOARD_HOST", "0.0.0.0")
            .env("QUEUE_DASHBOARD_PASSWORD", password)
            .arg("dashboard"));
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        assert!(
            stderr(&out).contains("reachable from other machines"),
            "{}",
            stderr(&out)
        );
    }
    let (mut child, mut logs) = spawn(
        antrian(dir.path())
            .env("REDIS_URL", redis.url())
            .env("QUEUE_DASHBOARD_PASSWORD", "s3cret")
            .arg("dashboard"),
    );
    let line = logs.wait_line("dashboard listening on http://");
    let addr = line
        .split("http://")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .expect("address")
        .to_string();
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(&addr).expect("connect");
    write!(
        s,
        "GET /api/health HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Basic YWRtaW46czNjcmV0\r\nConnection: close\r\n\r\n"
    )
    .expect("write");
    let mut answer = String::new();
    s.read_to_string(&mut answer).expect("read");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("\"status\""), "{answer}");
    logs.wait_line("ready");
    assert!(terminate(&mut child).success());

    // With no password configured, one is generated on first start and kept (mode 0600);
    // the log says where the dashboard is, as whom to sign in and where the password is.
    let (mut child, mut logs) = spawn(
        antrian(dir.path())
            .env("REDIS_URL", redis.url())
            .arg("dashboard"),
    );
    let line = logs.wait_line("sign in as admin; the password is in");
    let kept = dir.path().join("data/dashboard-password");
    assert!(line.contains(&kept.display().to_string()), "{line}");
    let password = std::fs::read_to_string(&kept).expect("kept password");
    let password = password.trim();
    assert_eq!(password.len(), 24);
    assert!(
        !line.contains(password),
        "the log never holds the password: {line}"
    );
    let addr = line
        .split("http://")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .expect("address")
        .to_string();
    let health = |auth: Option<String>| {
        let mut s = std::net::TcpStream::connect(&addr).expect("connect");
        let auth = auth
            .map(|a| format!("Authorization: Basic {a}\r\n"))
            .unwrap_or_default();
        write!(
            s,
            "GET /api/health HTTP/1.1\r\nHost: {addr}\r\n{auth}Connection: close\r\n\r\n"
        )
        .expect("write");
        let mut answer = String::new();
        s.read_to_string(&mut answer).expect("read");
        answer
    };
    use base64::Engine;
    let good = base64::engine::general_purpose::STANDARD.encode(format!("admin:{password}"));
    assert!(health(Some(good)).starts_with("HTTP/1.1 200"));
    assert!(
        health(None).starts_with("HTTP/1.1 401"),
        "no credentials, no entry"
    );
    let empty = base64::engine::general_purpose::STANDARD.encode("admin:");
    assert!(
        health(Some(empty)).starts_with("HTTP/1.1 401"),
        "the empty password no longer works"
    );
    assert!(terminate(&mut child).success());
}

#[test]
fn jobs_types_lists_every_job_type_with_its_fields_and_an_example() {
    let redis = TestRedis::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let cli = |args: &[&str]| run(antrian(dir.path()).env("REDIS_URL", redis.url()).args(args));
    let catalogue = json_of(&cli(&["jobs", "types", "--json"]));
    assert_eq!(
        catalogue["jobTypes"].as_array().map(Vec::len),
        Some(antrian_jobs::catalogue::job_types().len()),
        "{catalogue}"
    );
    let text = cli(&["jobs", "types"]);
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains("scraping-queue batch-scraping")
            && text.contains("fields: urls*, type*, accountId, options"),
        "{text}"
    );
    // Each example is what `jobs add` takes.
    let example = catalogue["jobTypes"]
        .as_array()
        .and_then(|t| t.iter().find(|t| t["name"] == "validate-data"))
        .map(|t| t["example"].to_string())
        .expect("validate-data");
    let added = json_of(&cli(&[
        "jobs",
        "add",
        "data-processing-queue",
        "validate-data",
        "--data",
        &example,
        "--json",
    ]));
    assert_eq!(added["name"], "validate-data", "{added}");
}

#[test]
fn a_condition_based_schedule_is_changed_in_place() {
    let redis = TestRedis::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let cli = |args: &[&str]| run(antrian(dir.path()).env("REDIS_URL", redis.url()).args(args));
    json_of(&cli(&[
        "schedules",
        "add-dynamic",
        "high-queue-alert",
        "--condition",
        "queue_size",
        "--watch",
        "scraping-queue",
        "--operator",
        ">",
        "--threshold",
        "50",
        "--job",
        "send-email",
        "--queue",
        "notifications-queue",
        "--data",
        r#"{"to": "admin@example.com", "subject": "High Queue Alert"}"#,
        "--json",
    ]));
    let changed = json_of(&cli(&[
        "schedules",
        "update-dynamic",
        "high-queue-alert",
        "--threshold",
        "80",
        "--cooldown",
        "10m",
        "--json",
    ]));
    assert_eq!(changed["condition"]["threshold"], 80.0, "{changed}");
    assert_eq!(changed["condition"]["operator"], ">", "{changed}");
    assert_eq!(changed["cooldownSeconds"], 600, "{changed}");
    assert_eq!(changed["action"]["jobName"], "send-email", "{changed}");
    // Bad changes are refused and change nothing.
    let keys = key_count(&redis);
    for (args, says) in [
        (
            vec!["schedules", "update-dynamic", "high-queue-alert"],
            "nothing to change",
        ),
        (
            vec![
                "schedules",
                "update-dynamic",
                "high-queue-alert",
                "--threshold",
                "-1",
            ],
            "threshold",
        ),
    ] {
        let out = cli(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {out:?}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains(says),
            "{args:?}: {out:?}"
        );
    }
    assert_eq!(key_count(&redis), keys, "nothing was written");
    let kept = json_of(&cli(&["schedules", "list-dynamic", "--json"]));
    assert_eq!(kept[0]["condition"]["threshold"], 80.0, "{kept}");
}
