use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

use antrian_testkit::{process_alive, wait_for_watch};

use super::*;

fn opts(dir: &Path) -> EmbeddedOptions {
    EmbeddedOptions {
        dir: dir.join("redis"),
        port: 0,
        binary: "redis-server".into(),
    }
}

async fn query<T: redis::FromRedisValue>(url: &str, cmd: &mut redis::Cmd) -> T {
    let client = redis::Client::open(url).expect("url");
    let mut conn = client
        .get_multiplexed_async_connection()
        .await
        .expect("connect to embedded redis");
    cmd.query_async(&mut conn).await.expect("command")
}

#[tokio::test]
async fn starts_with_password_aof_and_noeviction_and_keeps_data_across_restarts() {
    let dir = tempfile::tempdir().expect("tempdir");
    let redis = EmbeddedRedis::start(&opts(dir.path()))
        .await
        .expect("starts");
    assert!(redis.is_owner());
    let url = redis.url().to_string();
    let policy: Vec<String> = query(
        &url,
        redis::cmd("CONFIG").arg("GET").arg("maxmemory-policy"),
    )
    .await;
    assert_eq!(policy[1], "noeviction");
    let aof: Vec<String> = query(&url, redis::cmd("CONFIG").arg("GET").arg("appendonly")).await;
    assert_eq!(aof[1], "yes");
    let bind: Vec<String> = query(&url, redis::cmd("CONFIG").arg("GET").arg("bind")).await;
    assert_eq!(bind[1], "127.0.0.1");
    let pw_file = dir.path().join("redis/password");
    let mode = std::fs::metadata(&pw_file)
        .expect("password file")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    let conf_mode = std::fs::metadata(dir.path().join("redis/redis.conf"))
        .expect("conf")
        .permissions()
        .mode();
    assert_eq!(conf_mode & 0o777, 0o600);

    // Without the password, Redis refuses.
    let anon = format!("redis://127.0.0.1:{}", redis.port());
    let client = redis::Client::open(anon).expect("url");
    let mut conn = client
        .get_multiplexed_async_connection()
        .await
        .expect("tcp");
    let denied: redis::RedisResult<String> =
        redis::cmd("GET").arg("k").query_async(&mut conn).await;
    assert!(denied.is_err());

    let _: () = query(&url, redis::cmd("SET").arg("antrian:test").arg("kept")).await;
    let pid = redis
        .child_state()
        .expect("owned")
        .borrow()
        .pid
        .expect("pid");
    redis.shutdown().await;
    assert!(
        !process_alive(pid),
        "redis-server {pid} still running after shutdown"
    );

    let again = EmbeddedRedis::start(&opts(dir.path()))
        .await
        .expect("restarts");
    let value: String = query(again.url(), redis::cmd("GET").arg("antrian:test")).await;
    assert_eq!(value, "kept");
    again.shutdown().await;
}

#[tokio::test]
async fn a_killed_child_is_restarted_on_the_same_port_with_its_data() {
    let dir = tempfile::tempdir().expect("tempdir");
    let redis = EmbeddedRedis::start(&opts(dir.path()))
        .await
        .expect("starts");
    let url = redis.url().to_string();
    let _: () = query(&url, redis::cmd("SET").arg("k").arg("v")).await;
    // Redis write()s the AOF buffer before it sends the reply, so a SIGKILL of the
    // process (not of the machine) after the reply loses nothing, even with everysec.
    let mut state = redis.child_state().expect("owned");
    let pid = state.borrow().pid.expect("pid");
    std::process::Command::new("kill")
        .args(["-9", &pid.to_string()])
        .status()
        .expect("kill");
    let after = wait_for_watch(&mut state, Duration::from_secs(20), |s| s.restarts == 1).await;
    assert_ne!(after.pid, Some(pid));
    let value: String = query(&url, redis::cmd("GET").arg("k")).await;
    assert_eq!(value, "v");
    redis.shutdown().await;
}

#[tokio::test]
async fn a_second_process_on_the_same_dir_attaches_instead_of_starting_another_server() {
    let dir = tempfile::tempdir().expect("tempdir");
    // A stale endpoint left by a crashed run must not mislead the attaching process.
    std::fs::create_dir_all(dir.path().join("redis")).expect("mkdir");
    std::fs::write(dir.path().join("redis/endpoint"), "1").expect("stale endpoint");
    let first = EmbeddedRedis::start(&opts(dir.path()))
        .await
        .expect("starts");
    // A second lock holder in the same process stands in for a second process: flock
    // locks belong to open file descriptions, so the second open conflicts.
    let second = EmbeddedRedis::start(&opts(dir.path()))
        .await
        .expect("attaches");
    assert!(!second.is_owner());
    assert_eq!(second.port(), first.port());
    let pong: String = query(second.url(), &mut redis::cmd("PING")).await;
    assert_eq!(pong, "PONG");
    second.shutdown().await;
    first.shutdown().await;
    assert!(
        !dir.path().join("redis/endpoint").exists(),
        "the endpoint is withdrawn when the server stops"
    );
}

#[tokio::test]
async fn missing_binary_says_how_to_install_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut o = opts(dir.path());
    o.binary = "/nonexistent/redis-server".into();
    let e = EmbeddedRedis::start(&o).await.expect_err("no binary");
    assert!(matches!(e, Error::RedisServerMissing { .. }), "{e}");
    assert!(
        e.to_string().contains("apt-get install redis-server"),
        "{e}"
    );
}

#[tokio::test]
async fn a_taken_port_is_reported_by_number() {
    let dir = tempfile::tempdir().expect("tempdir");
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = taken.local_addr().expect("addr").port();
    let mut o = opts(dir.path());
    o.port = port;
    let e = EmbeddedRedis::start(&o).await.expect_err("port taken");
    assert!(
        matches!(e, Error::PortInUse { port: p } if p == port),
        "{e}"
    );
    assert!(e.to_string().contains(&port.to_string()));
}

#[tokio::test]
async fn an_unwritable_data_dir_is_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    // A regular file where the directory should be: fails even for root.
    let file = dir.path().join("not-a-dir");
    std::fs::write(&file, "x").expect("write");
    let e = EmbeddedRedis::start(&opts(&file))
        .await
        .expect_err("not writable");
    assert!(matches!(e, Error::DirNotWritable { .. }), "{e}");
    assert!(e.to_string().contains("not-a-dir"), "{e}");
}

#[tokio::test]
async fn a_server_that_cannot_start_shows_its_log() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut o = opts(dir.path());
    // `false` exits at once like a redis-server rejecting its configuration.
    o.binary = "false".into();
    let e = EmbeddedRedis::start(&o).await.expect_err("exits");
    assert!(matches!(e, Error::EmbeddedStart { .. }), "{e}");
}
