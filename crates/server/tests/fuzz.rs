//! An OpenAPI-driven fuzz run: schemathesis (from PyPI; `make test` installs it into
//! `target/schemathesis`) reads `/api/openapi.json` and sends generated valid and invalid
//! requests to every operation. No answer may be a 5xx. The event stream is left out (it
//! never ends), and so are node commands (a generated `drain` stops the node under test). The run is bounded (`SCHEMATHESIS_MAX_TIME`, default 60 s) with a fixed
//! seed; `make fuzz-api` runs it longer.

mod common;

use std::path::PathBuf;
use std::process::Command;

use common::{Dashboard, PASS, USER};

fn schemathesis() -> PathBuf {
    if let Ok(path) = std::env::var("SCHEMATHESIS") {
        return PathBuf::from(path);
    }
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../target/schemathesis/bin/schemathesis");
    assert!(
        path.exists(),
        "schemathesis is not installed: run `make schemathesis` (make test does), or set SCHEMATHESIS"
    );
    path
}

#[tokio::test(flavor = "multi_thread")]
async fn generated_requests_never_get_a_server_error() {
    let tool = schemathesis();
    let d = Dashboard::start().await;
    let max_time = std::env::var("SCHEMATHESIS_MAX_TIME").unwrap_or_else(|_| "60".into());
    let seed = std::env::var("SCHEMATHESIS_SEED").unwrap_or_else(|_| "20261128".into());
    let report = tempfile::tempdir().expect("tempdir");
    let url = format!("http://127.0.0.1:{}/api/openapi.json", d.port());
    let out = tokio::task::spawn_blocking(move || {
        Command::new(tool)
            .args(["run", &url])
            .args(["--auth", &format!("{USER}:{PASS}")])
            .args(["--checks", "not_a_server_error"])
            .args([
                "--max-examples",
                "10",
                "--max-time",
                &max_time,
                "--seed",
                &seed,
            ])
            .args(["--exclude-path", "/api/events"])
            // A generated `drain` would stop this very node, server included: node
            // commands have their own tests.
            .args(["--exclude-path", "/api/nodes/{id}/commands"])
            .args(["--suppress-health-check", "all", "--no-shrink"])
            .args(["--report-dir", &report.path().display().to_string()])
            .env("NO_COLOR", "1")
            .current_dir(report.path())
            .output()
            .expect("run schemathesis")
    })
    .await
    .expect("join");
    let text = String::from_utf8_lossy(&out.stdout);
    let summary = text.rsplit("SUMMARY").next().unwrap_or(&text);
    assert!(
        out.status.success(),
        "schemathesis found failures (exit {:?}):\n{text}\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(summary.contains("passed"), "no test cases ran:\n{text}");
    // Visible with --nocapture: how much was tried.
    eprintln!(
        "schemathesis: {}",
        summary
            .lines()
            .filter(|l| l.contains("generated") || l.contains("Tested"))
            .collect::<Vec<_>>()
            .join("; ")
    );
    d.stop().await;
}
