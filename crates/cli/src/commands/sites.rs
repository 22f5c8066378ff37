//! `antrian sites`: what scraping met at each site (successes, blocks, errors by status).

use std::process::ExitCode;

use antrian_core::Runtime;

use crate::{output, CliError};

/// Runs `antrian sites [--json]`.
pub async fn run(rt: &Runtime, json: bool) -> Result<ExitCode, CliError> {
    let sites = antrian_jobs::scrape::stats::domain_stats(&rt.connection().redis())
        .await
        .map_err(|e| CliError::Core(antrian_core::Error::from(e)))?;
    let _ = if json {
        output::json(&sites)
    } else if sites.is_empty() {
        output::text("no site has been scraped yet\n")
    } else {
        let rows = sites
            .iter()
            .map(|s| {
                vec![
                    s.host.clone(),
                    s.successes().to_string(),
                    s.blocked().to_string(),
                    s.errors()
                        .map(|(k, n)| format!("{k}={n}"))
                        .collect::<Vec<_>>()
                        .join(" "),
                ]
            })
            .collect::<Vec<_>>();
        output::text(&output::table(&["SITE", "OK", "BLOCKED", "ERRORS"], &rows))
    };
    Ok(ExitCode::SUCCESS)
}
