//! `antrian jobs …`.

use std::path::PathBuf;
use std::process::ExitCode;

use antrian_core::audit::Actor;
use antrian_core::queue::{BulkJobInput, JobDetail, JobFilter, JobOptionsInput, JobState};
use antrian_core::Runtime;
use clap::Subcommand;

use crate::{args, output, CliError};

#[derive(Debug, Subcommand)]
pub enum JobsCommand {
    /// The job types Antrian's pools run: queue, name, data fields and an example.
    Types {
        /// Print the catalogue as JSON (with each type's JSON Schema).
        #[arg(long)]
        json: bool,
    },
    /// Add one job.
    Add {
        /// Queue, e.g. scraping-queue.
        queue: String,
        /// Job name, e.g. product-scraping.
        name: String,
        /// Job data as a JSON object.
        #[arg(
            long,
            conflicts_with = "data_file",
            required_unless_present = "data_file"
        )]
        data: Option<String>,
        /// File with the job data (JSON object).
        #[arg(long, value_name = "FILE")]
        data_file: Option<PathBuf>,
        /// critical, high, normal, low, background, or 1–10 (10 most urgent).
        #[arg(long, allow_hyphen_values = true)]
        priority: Option<String>,
        /// Wait before the job may run: 500ms, 5s, 2m, 1h or milliseconds.
        #[arg(long, allow_hyphen_values = true)]
        delay: Option<String>,
        /// Tries in all (1–100).
        #[arg(long, allow_hyphen_values = true)]
        attempts: Option<i64>,
        /// fixed:DELAY, exponential:DELAY[:FACTOR[:MAX_DELAY]] or linear:DELAY:INCREMENT.
        #[arg(long, allow_hyphen_values = true)]
        backoff: Option<String>,
        /// Custom job id; adding it again adds nothing.
        #[arg(long)]
        job_id: Option<String>,
        /// Take before older jobs of the same priority.
        #[arg(long)]
        lifo: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Add jobs from a JSON file: `[{"name": …, "data": {…}, "priority": 5, "opts": {…}}, …]`.
    AddBulk {
        /// Queue.
        queue: String,
        /// The JSON file.
        #[arg(long, value_name = "FILE")]
        file: PathBuf,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show one job.
    Get {
        /// Queue.
        queue: String,
        /// Job id.
        id: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Replace the data of a job no worker holds and that has not completed.
    Edit {
        /// Queue.
        queue: String,
        /// Job id.
        id: String,
        /// The new data as a JSON object.
        #[arg(
            long,
            conflicts_with = "data_file",
            required_unless_present = "data_file"
        )]
        data: Option<String>,
        /// File with the new data (JSON object).
        #[arg(long, value_name = "FILE")]
        data_file: Option<PathBuf>,
        /// Print the job as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Print a job's log lines.
    Logs {
        /// Queue.
        queue: String,
        /// Job id.
        id: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Retry a failed job.
    Retry {
        /// Queue.
        queue: String,
        /// Job id.
        id: String,
    },
    /// Remove a job.
    Remove {
        /// Queue.
        queue: String,
        /// Job id.
        id: String,
    },
    /// List jobs in one state.
    List {
        /// Queue.
        queue: String,
        /// waiting, active, delayed, completed, failed, paused.
        #[arg(long, default_value = "waiting")]
        state: String,
        /// 1-based page.
        #[arg(long, default_value_t = 1)]
        page: u32,
        /// Jobs per page (1–1000).
        #[arg(long, default_value_t = antrian_core::queue::DEFAULT_PAGE_SIZE)]
        page_size: u32,
        /// Oldest first (default newest first).
        #[arg(long)]
        oldest_first: bool,
        /// Only jobs with this name.
        #[arg(long)]
        name: Option<String>,
        /// A data field (url, shopId, accountId, options.useProxy…) that must contain --text.
        #[arg(long)]
        field: Option<String>,
        /// Text to find (in --field, or anywhere in the data), ignoring case; searches the
        /// newest (or oldest) 10,000 jobs of the state.
        #[arg(long)]
        text: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Retry every failed job of a queue.
    RetryFailed {
        /// Queue.
        queue: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Run a delayed job now, or every delayed job of the queue when no id is given.
    Promote {
        /// Queue.
        queue: String,
        /// Job id (a delayed job).
        id: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

fn read(path: &PathBuf, what: &str) -> Result<String, CliError> {
    std::fs::read_to_string(path)
        .map_err(|e| CliError::Usage(format!("cannot read {what} {}: {e}", path.display())))
}

/// Job data from `--data` or `--data-file`.
fn read_data(
    data: Option<String>,
    data_file: Option<PathBuf>,
) -> Result<serde_json::Value, CliError> {
    let raw = match (data, data_file) {
        (Some(d), _) => d,
        (None, Some(f)) => read(&f, "--data-file")?,
        (None, None) => return Err(CliError::Usage("give --data or --data-file".into())),
    };
    parse_json(&raw, "--data")
}

fn parse_json<T: serde::de::DeserializeOwned>(text: &str, what: &str) -> Result<T, CliError> {
    serde_json::from_str(text).map_err(|e| CliError::Usage(format!("{what} is not valid: {e}")))
}

/// Each job type as a paragraph: where it runs, what it does, its fields (`*` required)
/// and an example to copy into `--data`.
fn types_text(types: &[antrian_jobs::catalogue::JobType]) -> String {
    let mut out = String::new();
    for t in types {
        let required: Vec<&str> = t.schema["required"]
            .as_array()
            .map(|r| r.iter().filter_map(serde_json::Value::as_str).collect())
            .unwrap_or_default();
        let fields: Vec<String> = t.schema["properties"]
            .as_object()
            .map(|p| {
                p.keys()
                    .map(|k| {
                        let mark = if required.contains(&k.as_str()) {
                            "*"
                        } else {
                            ""
                        };
                        format!("{k}{mark}")
                    })
                    .collect()
            })
            .unwrap_or_default();
        out.push_str(&format!(
            "{} {}\n  {} — {}\n  fields: {}\n  example: --data '{}'\n\n",
            t.queue,
            t.name,
            t.label,
            t.description,
            fields.join(", "),
            t.example
        ));
    }
    out
}

fn summary_row(j: &JobDetail) -> Vec<String> {
    vec![
        j.id.clone(),
        j.name.clone(),
        state_name(j.state),
        j.attempts_made.to_string(),
        j.failed_reason.clone().unwrap_or_default(),
    ]
}

fn state_name(s: JobState) -> String {
    serde_json::to_value(s)
        .ok()
        .and_then(|v| v.as_str().map(String::from))
        .unwrap_or_default()
}

fn done(written: std::io::Result<()>) -> Result<ExitCode, CliError> {
    // A closed pipe is not a failure of the command.
    let _ = written;
    Ok(ExitCode::SUCCESS)
}

/// Runs a `jobs` subcommand.
pub async fn run(rt: &Runtime, cmd: JobsCommand) -> Result<ExitCode, CliError> {
    let q = rt.queues();
    match cmd {
        JobsCommand::Types { json } => {
            let catalogue = antrian_jobs::catalogue::catalogue(q.defaults());
            done(if json {
                output::json(&catalogue)
            } else {
                output::text(&types_text(&catalogue.job_types))
            })
        }
        JobsCommand::Add {
            queue,
            name,
            data,
            data_file,
            priority: p,
            delay,
            attempts,
            backoff,
            job_id,
            lifo,
            json,
        } => {
            let data = read_data(data, data_file)?;
            let opts = JobOptionsInput {
                priority: p.as_deref().map(args::priority),
                delay: delay
                    .as_deref()
                    .map(|d| args::duration_ms("--delay", d))
                    .transpose()
                    .map_err(CliError::Usage)?,
                attempts,
                backoff: backoff
                    .as_deref()
                    .map(args::backoff)
                    .transpose()
                    .map_err(CliError::Usage)?,
                job_id,
                lifo: Some(lifo),
                ..Default::default()
            };
            let added = q.add_job(&queue, &name, data, &opts).await?;
            done(if json {
                output::json(&added)
            } else if added.duplicate {
                output::text(&format!(
                    "job {} already exists in {}: nothing added\n",
                    added.id, added.queue
                ))
            } else {
                output::text(&format!(
                    "added job {} ({}) to {}\n",
                    added.id, added.name, added.queue
                ))
            })
        }
        JobsCommand::AddBulk { queue, file, json } => {
            let jobs: Vec<BulkJobInput> =
                parse_json(&read(&file, "--file")?, &file.display().to_string())?;
            let added = q.add_bulk_jobs(&queue, jobs).await?;
            done(if json {
                output::json(&added)
            } else {
                output::text(&format!("added {} jobs to {queue}\n", added.len()))
            })
        }
        JobsCommand::Get { queue, id, json } => {
            let job = q.get_job(&queue, &id).await?;
            done(if json {
                output::json(&job)
            } else {
                let mut text = format!(
                    "job {} in {}\n  name:     {}\n  state:    {}\n  attempts: {}\n  data:     {}\n",
                    job.id, job.queue, job.name, state_name(job.state), job.attempts_made, job.data
                );
                if let Some(reason) = &job.failed_reason {
                    text.push_str(&format!("  failed:   {reason}\n"));
                }
                if !job.return_value.is_null() {
                    text.push_str(&format!("  result:   {}\n", job.return_value));
                }
                for line in &job.logs {
                    text.push_str(&format!("  log:      {line}\n"));
                }
                output::text(&text)
            })
        }
        JobsCommand::Logs { queue, id, json } => {
            let logs = q.job_logs(&queue, &id).await?;
            done(if json {
                output::json(&logs)
            } else {
                output::text(&logs.iter().map(|l| format!("{l}\n")).collect::<String>())
            })
        }
        JobsCommand::Retry { queue, id } => {
            q.by(Actor::cli()).retry_job(&queue, &id).await?;
            done(output::text(&format!(
                "job {id} in {queue} is waiting again\n"
            )))
        }
        JobsCommand::Remove { queue, id } => {
            q.by(Actor::cli()).remove_job(&queue, &id).await?;
            done(output::text(&format!("removed job {id} from {queue}\n")))
        }
        JobsCommand::List {
            queue,
            state,
            page,
            page_size,
            oldest_first,
            name,
            field,
            text,
            json,
        } => {
            let state = JobState::from_name("--state", &state)?;
            let filter = JobFilter { name, field, text };
            let listed = q
                .find_jobs(&queue, state, &filter, page, page_size, oldest_first)
                .await?;
            done(if json {
                output::json(&listed)
            } else {
                let rows: Vec<Vec<String>> = listed.jobs.iter().map(summary_row).collect();
                let scope = match listed.search {
                    Some(s) if !s.complete => {
                        format!(" matching among the {} read", s.scanned)
                    }
                    Some(_) => " matching".to_string(),
                    None => String::new(),
                };
                output::text(&format!(
                    "{}page {} of {} {} jobs{scope} in {}\n",
                    output::table(&["ID", "NAME", "STATE", "ATTEMPTS", "FAILED REASON"], &rows),
                    listed.page,
                    listed.total,
                    state_name(listed.state),
                    listed.queue
                ))
            })
        }
        JobsCommand::Edit {
            queue,
            id,
            data,
            data_file,
            json,
        } => {
            q.by(Actor::cli())
                .update_job_data(&queue, &id, read_data(data, data_file)?)
                .await?;
            let job = q.get_job(&queue, &id).await?;
            done(if json {
                output::json(&job)
            } else {
                output::text(&format!("saved new data for job {id} in {queue}\n"))
            })
        }
        JobsCommand::RetryFailed { queue, json } => {
            let count = q.by(Actor::cli()).retry_all_failed(&queue).await?;
            done(if json {
                output::json(&serde_json::json!({"queue": queue, "retried": count}))
            } else {
                output::text(&format!("retried {count} failed jobs in {queue}\n"))
            })
        }
        JobsCommand::Promote {
            queue,
            id: Some(id),
            json,
        } => {
            q.by(Actor::cli()).promote_job(&queue, &id).await?;
            done(if json {
                output::json(&serde_json::json!({"queue": queue, "jobId": id, "promoted": true}))
            } else {
                output::text(&format!(
                    "promoted job {id} in {queue}: it waits to run now\n"
                ))
            })
        }
        JobsCommand::Promote {
            queue,
            id: None,
            json,
        } => {
            let count = q.by(Actor::cli()).promote_jobs(&queue).await?;
            done(if json {
                output::json(&serde_json::json!({"queue": queue, "promoted": count}))
            } else {
                output::text(&format!("promoted {count} delayed jobs in {queue}\n"))
            })
        }
    }
}
