//! The README's Troubleshooting commands, run as written against a running `antrian start`
//! with its defaults (its generated dashboard password in `~/.local/share/antrian`), so the
//! page a user reaches for when things go wrong cannot rot. Only the dashboard's port is
//! changed from the README's `localhost:3001` to a free one, so tests can run side by side.

mod common;

use std::path::Path;
use std::process::Command;

use antrian_testkit::{free_port, TestRedis};
use common::{antrian, spawn, terminate};

/// The shell commands of the README's Troubleshooting section: each line of its ```sh
/// blocks, without the trailing `# comment`.
fn troubleshooting_commands(readme: &str) -> Vec<String> {
    let start = readme
        .find("\n## Troubleshooting")
        .expect("a Troubleshooting section");
    let rest = &readme[start + 1..];
    let section = &rest[..rest.find("\n## ").unwrap_or(rest.len())];
    let mut commands = Vec::new();
    let mut in_block = false;
    for line in section.lines() {
        match line.trim() {
            "```sh" => in_block = true,
            "```" => in_block = false,
            l if in_block && !l.is_empty() => {
                let command = l.split("  #").next().unwrap_or(l).trim();
                commands.push(command.to_string());
            }
            _ => {}
        }
    }
    commands
}

#[test]
fn the_readme_troubleshooting_commands_run_as_written() {
    let readme = include_str!("../../../README.md");
    let commands = troubleshooting_commands(readme);
    assert!(commands.len() >= 10, "{commands:?}");

    let redis = TestRedis::start();
    let home = tempfile::tempdir().expect("tempdir");
    let data = home.path().join(".local/share/antrian");
    let port = free_port();
    let (mut node, mut logs) = spawn(
        antrian(home.path())
            .env("REDIS_URL", redis.url())
            .env("ANTRIAN_DATA_DIR", &data)
            .env("QUEUE_DASHBOARD_PORT", port.to_string())
            .arg("start"),
    );
    logs.wait_line("sign in as admin; the password is in");
    logs.wait_line("ready");

    let bin = Path::new(env!("CARGO_BIN_EXE_antrian"))
        .parent()
        .expect("the binary's directory");
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    for command in &commands {
        let line = command.replace("localhost:3001", &format!("localhost:{port}"));
        let out = Command::new("bash")
            .args(["-c", &line])
            .env_clear()
            .env("PATH", &path)
            .env("HOME", home.path())
            .env("XDG_CONFIG_HOME", home.path().join("config"))
            .env("ANTRIAN_DATA_DIR", &data)
            .env("REDIS_URL", redis.url())
            .env("NO_COLOR", "1")
            .current_dir(home.path())
            .output()
            .expect("bash");
        let (stdout, stderr) = (
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
        );
        eprintln!("$ {line}\n{stdout}{stderr}");
        assert!(
            out.status.success(),
            "`{line}` failed ({}): {stdout}{stderr}",
            out.status
        );
        if line.starts_with("redis-cli") {
            assert_eq!(stdout.trim(), "PONG");
        }
        if line.contains("/api/stats") {
            assert!(stdout.contains("\"totals\""), "{stdout}");
        }
    }
    assert!(terminate(&mut node).success());
}
