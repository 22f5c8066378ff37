//! `antrian audit`: who removed, retried, promoted, cleaned, paused or edited which jobs.

use std::process::ExitCode;

use antrian_core::audit;
use antrian_core::Runtime;

use crate::{output, CliError};

/// Runs `antrian audit [--limit N] [--json]`.
pub async fn run(rt: &Runtime, limit: usize, json: bool) -> Result<ExitCode, CliError> {
    let entries = audit::recent(rt.connection(), limit).await?;
    let _ = if json {
        output::json(&entries)
    } else if entries.is_empty() {
        output::text("nothing has been removed, retried, promoted, cleaned, paused or edited yet\n")
    } else {
        let rows = entries
            .iter()
            .map(|e| {
                vec![
                    chrono::DateTime::from_timestamp_millis(i64::try_from(e.at).unwrap_or(0))
                        .map(|t| {
                            t.with_timezone(&chrono::Local)
                                .format("%Y-%m-%d %H:%M:%S %Z")
                                .to_string()
                        })
                        .unwrap_or_default(),
                    format!("{} {}", via(e.actor.via), e.actor.who),
                    e.summary.clone(),
                ]
            })
            .collect::<Vec<_>>();
        output::text(&output::table(&["WHEN", "WHO", "WHAT"], &rows))
    };
    Ok(ExitCode::SUCCESS)
}

fn via(v: audit::Via) -> &'static str {
    match v {
        audit::Via::Desktop => "desktop",
        audit::Via::Dashboard => "dashboard",
        audit::Via::Cli => "cli",
    }
}
