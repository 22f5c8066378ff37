//! `antrian accounts …`: marketplace account sessions for order-scraping.

use std::io::Read;
use std::process::ExitCode;

use antrian_core::Runtime;
use antrian_jobs::scrape::session::{self, Credential};
use clap::Subcommand;

use crate::{output, CliError};

#[derive(Debug, Subcommand)]
pub enum AccountsCommand {
    /// Store an account's seller-centre session (replaces the one stored).
    ///
    /// Pass `-` to read the value from standard input, which keeps it out of the shell
    /// history and the process list.
    SetSession {
        /// The account id jobs use (`accountId`).
        account: String,
        /// The `Cookie` header of a logged-in seller-centre page.
        #[arg(long, conflicts_with = "token", required_unless_present = "token")]
        cookie: Option<String>,
        /// A bearer token, sent as `Authorization: Bearer …`.
        #[arg(long)]
        token: Option<String>,
    },
    /// Accounts with a stored session (never the session itself).
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Forget an account's session.
    Remove {
        /// The account id.
        account: String,
    },
}

fn read_value(raw: String) -> Result<String, CliError> {
    if raw != "-" {
        return Ok(raw);
    }
    let mut value = String::new();
    std::io::stdin()
        .read_to_string(&mut value)
        .map_err(|e| CliError::Usage(format!("cannot read the session from stdin: {e}")))?;
    Ok(value.trim().to_string())
}

/// Runs one `antrian accounts` command.
pub async fn run(rt: &Runtime, cmd: AccountsCommand) -> Result<ExitCode, CliError> {
    let redis = rt.connection().redis();
    match cmd {
        AccountsCommand::SetSession {
            account,
            cookie,
            token,
        } => {
            let credential = match (cookie, token) {
                (Some(c), _) => Credential::Cookie(read_value(c)?),
                (None, Some(t)) => Credential::Token(read_value(t)?),
                (None, None) => {
                    return Err(CliError::Usage("give --cookie or --token".into()));
                }
            };
            session::store(&redis, &account, &credential).await?;
            let _ = output::text(&format!("stored the session of account {account}\n"));
        }
        AccountsCommand::List { json } => {
            let sessions = session::list(&redis)
                .await
                .map_err(|e| CliError::Core(antrian_core::Error::from(e)))?;
            let _ = if json {
                output::json(&sessions)
            } else if sessions.is_empty() {
                output::text("no account has a stored session: add one with `antrian accounts set-session ACCOUNT --cookie -`\n")
            } else {
                let rows = sessions
                    .iter()
                    .map(|s| vec![s.account_id.clone(), s.kind.clone(), s.updated_at.clone()])
                    .collect::<Vec<_>>();
                output::text(&output::table(&["ACCOUNT", "KIND", "STORED"], &rows))
            };
        }
        AccountsCommand::Remove { account } => {
            let removed = session::remove(&redis, &account)
                .await
                .map_err(|e| CliError::Core(antrian_core::Error::from(e)))?;
            if !removed {
                return Err(CliError::Core(antrian_core::Error::NotFound {
                    what: format!("a session for account {account}"),
                }));
            }
            let _ = output::text(&format!("removed the session of account {account}\n"));
        }
    }
    Ok(ExitCode::SUCCESS)
}
