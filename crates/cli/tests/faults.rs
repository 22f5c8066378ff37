//! Faults a deployment meets, against real processes: `antrian` nodes killed with SIGKILL,
//! Redis killed and restarted (external with AOF, and the embedded one), connections
//! dropped by the server, a stalled server, a full server; and the scale-out it grows into
//! (nodes and a scheduler as separate processes, scaled and drained from the dashboard).
//!
//! Every scenario keeps a ledger: the ids of the jobs it added (each scrapes its own page of
//! the fixture site) and, from the site's request log, how many times each page was
//! fetched. Lost jobs (neither completed nor failed at the end) and duplicates (fetches
//! beyond one per job) are counted, not guessed. Each scenario prints one `fault:` line
//! with its figures (`cargo test -p antrian-cli --test faults -- --nocapture`).

mod common;

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::time::{Duration, Instant};

use antrian_core::connection::Connection;
use antrian_core::queue::{
    BulkJobInput, EventHub, JobDefaults, JobOptionsInput, QueueEvent, QueueManager,
};
use antrian_core::CancellationToken;
use antrian_testkit::fixture::FixtureSite;
use antrian_testkit::{RedisOptions, TestRedis};
use common::{antrian, api, dashboard_address, run, spawn, stderr, Logs, Running};
use serde_json::json;

const QUEUE: &str = "scraping-queue";
/// How long a scenario may take to finish its jobs once the fault is over.
const SETTLE: Duration = Duration::from_secs(60);

/// An `antrian` command on `url` with short lock and stall checks (a dead node's jobs come
/// back within ~2 s instead of BullMQ's 30), no politeness limits toward the fixture site,
/// and one scraping worker running ten jobs at once.
fn node_command(dir: &Path, url: &str) -> std::process::Command {
    let mut cmd = antrian(dir);
    cmd.env("REDIS_URL", url)
        .env("QUEUE_LOCK_DURATION", "2000")
        .env("QUEUE_STALLED_INTERVAL", "1000")
        .env("SCRAPE_DOMAIN_RATE_LIMIT", "none")
        .env("SCRAPE_ALLOW_PRIVATE", "127.0.0.1")
        .env("SCRAPE_DOMAIN_CONCURRENCY", "0")
        .env("SCRAPING_WORKERS", "1")
        .env("SCRAPING_CONCURRENCY", "10")
        .env("QUEUE_AUTO_SCALING", "false")
        .env("QUEUE_DASHBOARD_PASSWORD", "s3cret");
    cmd
}

/// `antrian workers` for scraping only, started and ready.
fn worker_node(dir: &Path, url: &str) -> (Running, Logs) {
    let (child, mut logs) = spawn(node_command(dir, url).args(["workers", "--types", "scraping"]));
    logs.wait_line("ready");
    (child, logs)
}

async fn connect(url: &str) -> Connection {
    Connection::open(url, "test", &CancellationToken::new(), |_| {})
        .await
        .expect("connect")
}

/// The jobs a scenario added: id → the page its job fetches.
struct Ledger {
    pages: HashMap<String, String>,
}

/// What became of a ledger's jobs.
#[derive(Debug)]
struct Account {
    completed: usize,
    failed: usize,
    lost: Vec<String>,
    /// Fetches beyond one per job: work done twice.
    duplicates: usize,
}

impl Ledger {
    fn new() -> Self {
        Self {
            pages: HashMap::new(),
        }
    }

    /// Adds `n` product-scraping jobs, each for its own page that takes `page_ms` to serve;
    /// kept for good in completed/failed so the account can read every outcome.
    async fn add(
        &mut self,
        queues: &QueueManager,
        site: &FixtureSite,
        n: usize,
        page_ms: u64,
    ) -> Vec<String> {
        let first = self.pages.len();
        let jobs: Vec<(String, String)> = (first..first + n)
            .map(|i| (format!("/p/delay/{page_ms}/ledger-{i}"), String::new()))
            .collect();
        let opts: JobOptionsInput = serde_json::from_value(json!({
            "attempts": 5,
            "backoff": {"type": "fixed", "delay": 200},
            "removeOnComplete": false,
            "removeOnFail": false,
        }))
        .expect("options");
        let mut ids = Vec::new();
        for chunk in jobs.chunks(100) {
            let bulk: Vec<_> = chunk
                .iter()
                .map(|(path, _)| BulkJobInput {
                    name: "product-scraping".into(),
                    data: json!({"url": site.url(path)}),
                    priority: None,
                    opts: opts.clone(),
                })
                .collect();
            let added = queues
                .add_bulk_jobs(QUEUE, bulk)
                .await
                .expect("add the ledger's jobs");
            for (job, (path, _)) in added.into_iter().zip(chunk) {
                self.pages.insert(job.id.clone(), path.clone());
                ids.push(job.id);
            }
        }
        ids
    }

    fn account(&self, redis: &mut redis::Connection, site: &FixtureSite) -> Account {
        let mut fetches: HashMap<String, usize> = HashMap::new();
        for r in site.requests() {
            *fetches.entry(r.path).or_default() += 1;
        }
        let mut account = Account {
            completed: 0,
            failed: 0,
            lost: Vec::new(),
            duplicates: 0,
        };
        for (id, page) in &self.pages {
            let in_set = |set: &str, conn: &mut redis::Connection| -> bool {
                redis::cmd("ZSCORE")
                    .arg(format!("bull:{QUEUE}:{set}"))
                    .arg(id)
                    .query::<Option<f64>>(conn)
                    .expect("ZSCORE")
                    .is_some()
            };
            if in_set("completed", redis) {
                account.completed += 1;
            } else if in_set("failed", redis) {
                account.failed += 1;
            } else {
                account.lost.push(id.clone());
            }
            account.duplicates += fetches.get(page).copied().unwrap_or(0).saturating_sub(1);
        }
        account
    }
}

/// Waits until every job in `ids` has completed, waking on the queue's events and reading
/// Redis (the truth) at each wake-up and at least every 2 s; returns when each finished.
async fn wait_completed(
    hub: &EventHub,
    redis: &mut redis::Connection,
    ids: &[String],
    within: Duration,
) -> HashMap<String, Instant> {
    let mut sub = hub.subscribe();
    let mut done: HashMap<String, Instant> = HashMap::new();
    let deadline = Instant::now() + within;
    loop {
        let pending: Vec<&String> = ids.iter().filter(|id| !done.contains_key(*id)).collect();
        for id in pending {
            let score: Option<f64> = redis::cmd("ZSCORE")
                .arg(format!("bull:{QUEUE}:completed"))
                .arg(id)
                .query(redis)
                .expect("ZSCORE");
            if score.is_some() {
                done.insert(id.clone(), Instant::now());
            }
        }
        if done.len() == ids.len() {
            return done;
        }
        assert!(
            Instant::now() < deadline,
            "only {} of {} jobs completed within {within:?}",
            done.len(),
            ids.len()
        );
        sub.recv_matching(Duration::from_secs(2), |e| {
            matches!(e, QueueEvent::JobCompleted { .. })
        })
        .await;
    }
}

/// Waits for `n` job completions (well into a batch, before a fault is injected).
async fn completions(sub: &mut antrian_core::queue::Subscription, n: usize) {
    for done in 0..n {
        sub.recv_matching(Duration::from_secs(20), |e| {
            matches!(e, QueueEvent::JobCompleted { .. })
        })
        .await
        .unwrap_or_else(|| panic!("only {done} jobs completed within 20 s"));
    }
}

async fn queues_and_events(url: &str) -> (QueueManager, EventHub) {
    let conn = connect(url).await;
    let queues = QueueManager::new(conn.clone(), "bull", JobDefaults::default(), 512 * 1024)
        .await
        .expect("queues");
    let hub = EventHub::new(conn, "bull");
    hub.watch(QUEUE).await.expect("watch");
    (queues, hub)
}

fn active_ids(redis: &mut redis::Connection) -> Vec<String> {
    redis::cmd("LRANGE")
        .arg(format!("bull:{QUEUE}:active"))
        .arg(0)
        .arg(-1)
        .query(redis)
        .expect("LRANGE active")
}

/// Two worker nodes share the queue; one is killed with SIGKILL in the middle of the batch.
/// The other goes on, the dead node's jobs come back when their locks expire, and none is
/// lost; no more are fetched twice than were in flight at the kill.
#[tokio::test(flavor = "multi_thread")]
async fn a_node_killed_mid_batch_loses_no_job_while_another_node_runs() {
    let redis = TestRedis::start();
    let site = FixtureSite::start().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut victim, _victim_logs) = worker_node(dir.path(), &redis.url());
    let (_survivor, _survivor_logs) = worker_node(dir.path(), &redis.url());
    let (queues, hub) = queues_and_events(&redis.url()).await;
    let mut conn = redis.connection();
    let mut sub = hub.subscribe();

    let mut ledger = Ledger::new();
    let ids = ledger.add(&queues, &site, 600, 150).await;
    completions(&mut sub, 100).await;
    let in_flight = active_ids(&mut conn);
    victim.0.kill().expect("SIGKILL a node");
    victim.0.wait().expect("reap");
    let killed_at = Instant::now();

    let done = wait_completed(&hub, &mut conn, &ids, SETTLE).await;
    let recovered = in_flight
        .iter()
        .filter_map(|id| done.get(id))
        .max()
        .map_or(Duration::ZERO, |at| at.duration_since(killed_at));
    let after_kill = done.values().filter(|at| **at > killed_at).count();
    let account = ledger.account(&mut conn, &site);
    eprintln!(
        "fault: kill -9 one of two nodes mid-batch: {} jobs, lost {}, duplicates {} (in flight at the kill: {}), all in-flight jobs done {} ms after the kill",
        ids.len(),
        account.lost.len(),
        account.duplicates,
        in_flight.len(),
        recovered.as_millis()
    );
    assert!(account.lost.is_empty(), "lost jobs: {:?}", account.lost);
    assert_eq!(account.completed, ids.len(), "{account:?}");
    assert!(
        account.duplicates <= in_flight.len(),
        "{} pages fetched twice, but only {} jobs were in flight: {account:?}",
        account.duplicates,
        in_flight.len()
    );
    assert!(after_kill > 0, "the surviving node went on after the kill");
}

/// As [`a_node_killed_mid_batch_loses_no_job_while_another_node_runs`], but with BullMQ's
/// default lock duration and stalled interval (30 s each), where BullMQ alone brings a
/// killed node's jobs back only after about a minute. The surviving node sees the dead
/// one's heartbeat lapse and its connections gone, and moves its jobs back to wait: they
/// run again within seconds, none lost, none taken while their first node was alive.
#[tokio::test(flavor = "multi_thread")]
async fn a_killed_nodes_jobs_run_again_within_seconds_with_default_locks() {
    let redis = TestRedis::start();
    let site = FixtureSite::start().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let node = || {
        let mut cmd = node_command(dir.path(), &redis.url());
        cmd.env_remove("QUEUE_LOCK_DURATION")
            .env_remove("QUEUE_STALLED_INTERVAL");
        let (child, mut logs) = spawn(cmd.args(["workers", "--types", "scraping"]));
        logs.wait_line("ready");
        (child, logs)
    };
    let (mut victim, _victim_logs) = node();
    let (_survivor, mut survivor_logs) = node();
    let (queues, hub) = queues_and_events(&redis.url()).await;
    let mut conn = redis.connection();
    let mut sub = hub.subscribe();

    let mut ledger = Ledger::new();
    // Twenty pages of 3 s: ten in flight on each node.
    let ids = ledger.add(&queues, &site, 20, 3000).await;
    for started in 0..20 {
        sub.recv_matching(Duration::from_secs(20), |e| {
            matches!(e, QueueEvent::JobActive { .. })
        })
        .await
        .unwrap_or_else(|| panic!("only {started} jobs started within 20 s"));
    }
    let in_flight = active_ids(&mut conn);
    victim.0.kill().expect("SIGKILL a node");
    victim.0.wait().expect("reap");
    let killed_at = Instant::now();
    survivor_logs.wait_line("its active jobs are waiting again");
    let given_back = killed_at.elapsed();

    let done = wait_completed(&hub, &mut conn, &ids, SETTLE).await;
    let all_done = in_flight
        .iter()
        .filter_map(|id| done.get(id))
        .max()
        .map_or(Duration::ZERO, |at| at.duration_since(killed_at));
    let account = ledger.account(&mut conn, &site);
    eprintln!(
        "fault: kill -9 with default 30 s locks: {} jobs, {} in flight, lost {}, duplicates {}, dead node's jobs waiting again {} ms after the kill, all done {} ms after it (BullMQ alone: lock expiry + a stalled check, ~60 s)",
        ids.len(),
        in_flight.len(),
        account.lost.len(),
        account.duplicates,
        given_back.as_millis(),
        all_done.as_millis()
    );
    assert!(account.lost.is_empty(), "lost jobs: {:?}", account.lost);
    assert_eq!(account.completed, ids.len(), "{account:?}");
    assert!(
        account.duplicates <= in_flight.len() / 2 + 1,
        "only the dead node's jobs are fetched twice: {account:?}"
    );
    // The goal is 15 s (a 10 s heartbeat lapse, a check every 2 s); the bound is generous
    // for a loaded CI machine, and still far below BullMQ's own minute.
    assert!(
        given_back < Duration::from_secs(25),
        "the dead node's jobs waited {given_back:?} to be given back"
    );
}

/// Reads `/api/health` from a dashboard: the Redis connection's state it reports
/// (`connected`, `disconnected`…), or what went wrong.
fn redis_state(addr: &str) -> String {
    match api(addr, "GET", "/api/health", None) {
        None => "dashboard unreachable".into(),
        Some((_, health)) => health["redis"]["state"]
            .as_str()
            .map_or_else(|| health.to_string(), String::from),
    }
}

/// Polls another process's health endpoint (it has no push channel a test could wait on)
/// until it reports the Redis connection `state`; how long that took. The dashboard checks
/// every 10 s; on a loaded machine a check can come late.
fn wait_redis_state(addr: &str, state: &str) -> Duration {
    let started = Instant::now();
    loop {
        let got = redis_state(addr);
        if got == state {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < Duration::from_secs(40),
            "the dashboard's /api/health reported Redis {got:?}, not {state:?}, for 40 s"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Redis (external, AOF with `appendfsync always`) is killed with SIGKILL while
/// `antrian start` processes a batch, and started again on the same port. Every job added
/// before the kill is there afterwards and completes; the dashboard's health reports Redis
/// disconnected during the outage and connected after; jobs added after the restart start within seconds (no worker is
/// left idle on a dead connection).
#[tokio::test(flavor = "multi_thread")]
async fn jobs_survive_an_external_redis_restart_and_workers_resume_by_themselves() {
    let mut redis = TestRedis::start_with(RedisOptions {
        aof: true,
        args: vec![("appendfsync".into(), "always".into())],
        ..RedisOptions::default()
    });
    let site = FixtureSite::start().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let (_app, mut logs) = spawn(node_command(dir.path(), &redis.url()).arg("start"));
    logs.wait_line("ready");
    let dashboard = dashboard_address(&mut logs);
    assert_eq!(redis_state(&dashboard), "connected");

    let mut ledger = Ledger::new();
    let before = {
        let (queues, hub) = queues_and_events(&redis.url()).await;
        let mut sub = hub.subscribe();
        let ids = ledger.add(&queues, &site, 300, 100).await;
        completions(&mut sub, 50).await;
        hub.close().await;
        ids
    };
    let in_flight = active_ids(&mut redis.connection()).len();
    redis.kill();
    let outage_seen = wait_redis_state(&dashboard, "disconnected");
    redis.restart();
    let recovery_seen = wait_redis_state(&dashboard, "connected");

    let (queues, hub) = queues_and_events(&redis.url()).await;
    let mut conn = redis.connection();
    wait_completed(&hub, &mut conn, &before, SETTLE).await;
    let added_at = Instant::now();
    let after = ledger.add(&queues, &site, 20, 0).await;
    let done = wait_completed(&hub, &mut conn, &after, Duration::from_secs(15)).await;
    let new_jobs_done = done.values().max().map(|at| at.duration_since(added_at));
    let account = ledger.account(&mut conn, &site);
    eprintln!(
        "fault: external Redis killed and restarted mid-batch: {} jobs, lost {}, duplicates {} (in flight: {in_flight}); dashboard showed the outage after {} ms and the recovery {} ms after the restart; 20 jobs added after it done in {} ms",
        before.len() + after.len(),
        account.lost.len(),
        account.duplicates,
        outage_seen.as_millis(),
        recovery_seen.as_millis(),
        new_jobs_done.unwrap_or_default().as_millis()
    );
    assert!(account.lost.is_empty(), "lost jobs: {:?}", account.lost);
    assert_eq!(account.completed, before.len() + after.len(), "{account:?}");
    assert!(account.duplicates <= in_flight, "{account:?}");
}

/// The embedded Redis (AOF, `appendfsync everysec`) is killed with SIGKILL under
/// `antrian start`: the supervisor starts it again on the same port with its data, and
/// the workers go on with the jobs added before and after.
#[tokio::test(flavor = "multi_thread")]
async fn the_embedded_redis_killed_under_load_comes_back_with_every_job() {
    let site = FixtureSite::start().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cmd = node_command(dir.path(), "");
    cmd.env_remove("REDIS_URL").arg("start");
    let (app, mut logs) = spawn(&mut cmd);
    let ready = logs.wait_line("ready");
    assert!(ready.contains("mode=embedded"), "{ready}");
    // Where the embedded server listens and its password: in its data dir.
    let read = |name: &str| {
        std::fs::read_to_string(dir.path().join("data/redis").join(name))
            .unwrap_or_else(|e| panic!("the embedded Redis {name} file: {e}"))
            .trim()
            .to_string()
    };
    let url = format!(
        "redis://:{}@127.0.0.1:{}",
        read("password"),
        read("endpoint")
    );

    let (queues, hub) = queues_and_events(&url).await;
    let client = redis::Client::open(url.as_str()).expect("client");
    let mut ledger = Ledger::new();
    let before = ledger.add(&queues, &site, 200, 100).await;
    let mut sub = hub.subscribe();
    completions(&mut sub, 30).await;
    let server_pid = std::process::Command::new("pgrep")
        .args(["-P", &app.0.id().to_string(), "redis-server"])
        .output()
        .expect("pgrep");
    let server_pid = String::from_utf8_lossy(&server_pid.stdout)
        .trim()
        .to_string();
    assert!(
        !server_pid.is_empty(),
        "the embedded redis-server is a child of antrian"
    );
    let killed = std::process::Command::new("kill")
        .args(["-KILL", &server_pid])
        .status()
        .expect("kill");
    assert!(killed.success());
    logs.wait_line("embedded redis-server restarted");
    let mut conn = client.get_connection().expect("reconnect");
    wait_completed(&hub, &mut conn, &before, SETTLE).await;
    let after = ledger.add(&queues, &site, 20, 0).await;
    wait_completed(&hub, &mut conn, &after, Duration::from_secs(15)).await;
    let account = ledger.account(&mut conn, &site);
    eprintln!(
        "fault: embedded Redis killed under load: {} jobs, lost {}, duplicates {}",
        before.len() + after.len(),
        account.lost.len(),
        account.duplicates
    );
    assert!(account.lost.is_empty(), "lost jobs: {:?}", account.lost);
}

/// The server drops every client connection (`CLIENT KILL TYPE normal`), then stalls for
/// 3 s, six times the client's 500 ms command timeout (`DEBUG SLEEP`): the workers
/// reconnect and new jobs are done within seconds each time.
#[tokio::test(flavor = "multi_thread")]
async fn dropped_connections_and_a_stalled_server_leave_no_worker_idle() {
    let redis = TestRedis::start_with(RedisOptions {
        args: vec![("enable-debug-command".into(), "local".into())],
        ..RedisOptions::default()
    });
    let site = FixtureSite::start().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let (_node, _logs) = worker_node(dir.path(), &redis.url());
    let mut ledger = Ledger::new();
    let mut conn = redis.connection();
    let mut figures = Vec::new();
    for fault in ["CLIENT KILL", "DEBUG SLEEP"] {
        match fault {
            "CLIENT KILL" => {
                let killed: u64 = redis::cmd("CLIENT")
                    .arg(&["KILL", "TYPE", "normal", "SKIPME", "yes"][..])
                    .query(&mut conn)
                    .expect("CLIENT KILL");
                assert!(killed > 0, "the node had connections to drop");
            }
            _ => {
                let _: () = redis::cmd("DEBUG")
                    .arg(&["SLEEP", "3"][..])
                    .query(&mut conn)
                    .expect("DEBUG SLEEP");
            }
        }
        // A fresh connection for the test: its own were dropped too.
        let (queues, hub) = queues_and_events(&redis.url()).await;
        let added_at = Instant::now();
        let ids = ledger.add(&queues, &site, 20, 0).await;
        // Within seconds, not BullMQ's 15 s retry delay: a worker whose connection died
        // must not sit idle (a generous bound; the figure printed below is the measure).
        let done = wait_completed(&hub, &mut conn, &ids, Duration::from_secs(5)).await;
        let took = done
            .values()
            .max()
            .map_or(Duration::ZERO, |at| at.duration_since(added_at));
        figures.push(format!(
            "after {fault}: 20 new jobs done in {} ms",
            took.as_millis()
        ));
        hub.close().await;
    }
    let account = ledger.account(&mut conn, &site);
    eprintln!("fault: {}; lost {}", figures.join(", "), account.lost.len());
    assert!(account.lost.is_empty(), "{account:?}");
    assert_eq!(account.duplicates, 0, "{account:?}");
}

/// A full Redis under `noeviction` refuses writes: `antrian jobs add` fails with a message
/// that says so, exits non-zero, and writes nothing (no id taken, no key added).
#[test]
fn adds_to_a_full_redis_fail_clearly_and_write_nothing() {
    let redis = TestRedis::start_with(RedisOptions {
        args: vec![
            ("maxmemory".into(), "4mb".into()),
            ("maxmemory-policy".into(), "noeviction".into()),
        ],
        ..RedisOptions::default()
    });
    let dir = tempfile::tempdir().expect("tempdir");
    let cli = |args: &[&str]| run(antrian(dir.path()).env("REDIS_URL", redis.url()).args(args));
    let first = cli(&[
        "jobs",
        "add",
        QUEUE,
        "product-scraping",
        "--data",
        r#"{"url": "https://shop.example/p/1"}"#,
    ]);
    assert!(first.status.success(), "{}", stderr(&first));
    // Fill the server past its limit.
    let mut conn = redis.connection();
    let blob = "x".repeat(64 * 1024);
    for i in 0.. {
        let filled: redis::RedisResult<()> = redis::cmd("SET")
            .arg(format!("ballast:{i}"))
            .arg(&blob)
            .query(&mut conn);
        if filled.is_err() {
            break;
        }
    }
    let before = redis.snapshot();
    let full = cli(&[
        "jobs",
        "add",
        QUEUE,
        "product-scraping",
        "--data",
        r#"{"url": "https://shop.example/p/2"}"#,
    ]);
    let message = stderr(&full);
    assert!(!full.status.success(), "an add to a full Redis succeeded");
    assert!(
        message.contains("Redis is out of memory") && message.contains("nothing was written"),
        "the error names the cause: {message}"
    );
    assert_eq!(redis.snapshot(), before, "nothing was written");
    let seen: HashSet<String> = before.iter().map(|(k, _)| k.clone()).collect();
    assert!(seen.contains(&format!("bull:{QUEUE}:id")));
    eprintln!("fault: add to a full Redis: {}", message.trim());
}

/// Scale-out on one machine: two `antrian workers` nodes and an `antrian scheduler`, as
/// separate processes on loopback sharing one Redis, with an `antrian dashboard`. The
/// dashboard's API lists both nodes; one is scaled up from it and the other drained in
/// the middle of a batch: the drained node finishes the jobs in hand and exits 0, and no
/// job is lost or fetched twice. The scheduler process evaluates a condition-based
/// schedule (more than 100 jobs waiting) and fires it once, and a node runs what it adds.
#[tokio::test(flavor = "multi_thread")]
async fn two_nodes_and_a_scheduler_are_scaled_and_drained_from_the_dashboard() {
    let redis = TestRedis::start();
    let site = FixtureSite::start().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let (_first, _first_logs) = worker_node(dir.path(), &redis.url());
    let (mut second, _second_logs) = worker_node(dir.path(), &redis.url());
    let (_scheduler, mut scheduler_logs) = spawn(
        node_command(dir.path(), &redis.url())
            .env("SCHEDULER_EVAL_INTERVAL", "500")
            .arg("scheduler"),
    );
    scheduler_logs.wait_line("ready");
    let (_dashboard, mut dashboard_logs) = spawn(
        node_command(dir.path(), &redis.url())
            .env("QUEUE_DASHBOARD_PORT", "0")
            .arg("dashboard"),
    );
    let addr = dashboard_address(&mut dashboard_logs);
    let call = |method: &str, path: &str, body: Option<serde_json::Value>| {
        api(&addr, method, path, body.as_ref())
            .unwrap_or_else(|| panic!("{method} {path}: the dashboard did not answer"))
    };

    let (status, nodes) = call("GET", "/api/workers", None);
    assert_eq!(status, 200, "{nodes}");
    let listed: Vec<String> = nodes
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|n| n["id"].as_str().map(String::from))
        .collect();
    assert_eq!(listed.len(), 2, "both worker nodes: {nodes}");
    let id_of = |child: &Running| {
        let pid = format!("-{}", child.0.id());
        listed
            .iter()
            .find(|id| id.ends_with(&pid))
            .unwrap_or_else(|| panic!("no node of pid {pid} in {listed:?}"))
            .clone()
    };
    let (first_id, second_id) = (id_of(&_first), id_of(&second));

    let (status, added) = call(
        "POST",
        "/api/dynamic-schedules",
        Some(json!({
            "name": "surge",
            "condition": {"type": "queue_size", "queueName": QUEUE, "operator": ">", "threshold": 100},
            "action": {"jobName": "product-scraping", "queueName": QUEUE,
                       "jobData": {"url": site.url("/p/delay/10/surge")},
                       // Keeping only the latest 50 (the default) would trim the ledger's
                       // completed jobs too: BullMQ trims the queue's whole set.
                       "options": {"removeOnComplete": false}},
            "cooldownSeconds": 3600,
        })),
    );
    assert_eq!(status, 201, "{added}");

    let (queues, hub) = queues_and_events(&redis.url()).await;
    let mut conn = redis.connection();
    let mut sub = hub.subscribe();
    let mut ledger = Ledger::new();
    let started = Instant::now();
    let ids = ledger.add(&queues, &site, 600, 300).await;
    let (status, reply) = call(
        "POST",
        &format!("/api/nodes/{first_id}/commands"),
        Some(json!({"command": "scale", "workerType": "scraping", "workers": 3})),
    );
    assert_eq!((status, &reply["ok"]), (200, &json!(true)), "{reply}");
    let (_, nodes) = call("GET", "/api/workers", None);
    let first_pools = nodes
        .as_array()
        .and_then(|n| n.iter().find(|n| n["id"] == first_id.as_str()))
        .map(|n| n["pools"].clone());
    assert_eq!(
        first_pools,
        Some(json!({"scraping": 3})),
        "the listing shows the new size as soon as the node replies: {nodes}"
    );
    completions(&mut sub, 150).await;
    let drain_sent = Instant::now();
    let (status, reply) = call(
        "POST",
        &format!("/api/nodes/{second_id}/commands"),
        Some(json!({"command": "drain"})),
    );
    assert_eq!((status, &reply["ok"]), (200, &json!(true)), "{reply}");
    let exit = second.0.wait().expect("the drained node exits");
    assert!(exit.success(), "{exit}");
    let drained_in = drain_sent.elapsed();
    let (_, nodes) = call("GET", "/api/workers", None);
    assert_eq!(
        nodes.as_array().map(Vec::len),
        Some(1),
        "the drained node left: {nodes}"
    );
    assert_eq!(nodes[0]["id"], first_id.as_str());
    assert_eq!(
        nodes[0]["pools"]["scraping"], 3,
        "scaled from the dashboard: {nodes}"
    );

    wait_completed(&hub, &mut conn, &ids, SETTLE).await;
    let took = started.elapsed();
    // The schedule's job was added after the batch: wait for the queue to empty.
    let deadline = Instant::now() + SETTLE;
    loop {
        let stats = queues.get_queue_stats(QUEUE).await.expect("stats");
        if stats.waiting + stats.active + stats.delayed == 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the queue did not empty: {stats:?}"
        );
        sub.recv_matching(Duration::from_secs(2), |e| {
            matches!(e, QueueEvent::JobCompleted { .. })
        })
        .await;
    }
    let account = ledger.account(&mut conn, &site);
    let surge = site.requests_to("/p/delay/10/surge").len();
    eprintln!(
        "scale-out: two nodes + scheduler + dashboard: {} jobs in {} ms, lost {}, duplicates {}; drain of one node took {} ms; the condition-based schedule fired {surge} time(s)",
        ids.len(),
        took.as_millis(),
        account.lost.len(),
        account.duplicates,
        drained_in.as_millis()
    );
    assert!(account.lost.is_empty(), "{account:?}");
    assert_eq!(
        (account.completed, account.failed, account.duplicates),
        (ids.len(), 0, 0),
        "a drain finishes its jobs: none is run twice"
    );
    assert_eq!(surge, 1, "the scheduler fired once, and a node ran it");
}
