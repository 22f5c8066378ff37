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
        let count = |s: &antrian_jobs::scrape::stats::DomainStats, f: &dyn Fn(&str) -> bool| {
            s.counts
                .iter()
                .filter(|(k, _)| f(k))
                .map(|(_, n)| n)
                .sum::<u64>()
                .to_string()
        };
        let rows = sites
            .iter()
            .map(|s| {
                let others = s
                    .counts
                    .iter()
                    .filter(|(k, _)| *k != "success" && !k.starts_with("blocked_"))
                    .map(|(k, n)| format!("{k}={n}"))
                    .collect::<Vec<_>>()
                    .join(" ");
                vec![
                    s.host.clone(),
                    count(s, &|k| k == "success"),
                    count(s, &|k| k.starts_with("blocked_")),
                    others,
                ]
            })
            .collect::<Vec<_>>();
        output::text(&output::table(&["SITE", "OK", "BLOCKED", "ERRORS"], &rows))
    };
    Ok(ExitCode::SUCCESS)
}
