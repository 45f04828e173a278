//! `backup-actuator backup …`: the command-line client of the backup API
//! (SPEC §9), for this server in either dialect and for Camunda Optimize.

mod api;
mod render;
pub(crate) mod watch;

#[cfg(test)]
mod tests;

use std::io::Write;

use backup_actuator_core::{BackupState, ListQuery};

pub(crate) use api::{Api, ClientError};
pub(crate) use render::Clock;
pub(crate) use watch::Backoff;

use crate::cli::{BackupArgs, BackupCommand, Output};
use render::{backup_json, exit_code, list_json, list_table, status_table};
use watch::{wait, Bars, Lines, Quiet, View, Waited};

/// Exit code: `--timeout` reached while IN_PROGRESS (SPEC §9).
pub(crate) const EXIT_TIMEOUT: u8 = 13;
/// Exit code: the server or the network failed.
pub(crate) const EXIT_FAILURE: u8 = 1;

/// How the command shows progress while it waits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Progress {
    /// Bars on the terminal (stderr).
    Bars,
    /// One line per state change, on the output.
    Lines,
}

/// Runs one client command; the exit code. Errors are printed to stderr.
pub(crate) fn run(args: BackupArgs) -> u8 {
    let Some(runtime) = crate::oneshot::command_runtime() else {
        return EXIT_FAILURE;
    };
    let progress = if crate::oneshot::on_a_terminal() {
        Progress::Bars
    } else {
        Progress::Lines
    };
    let mut stdout = std::io::stdout().lock();
    let result = runtime.block_on(execute(&args, &mut stdout, progress, &Clock::system()));
    let _ = stdout.flush();
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("backup-actuator: {err}");
            err.exit_code()
        }
    }
}

/// Runs one client command, printing its result to `out`; the exit code.
pub(crate) async fn execute(
    args: &BackupArgs,
    out: &mut dyn Write,
    progress: Progress,
    clock: &Clock,
) -> Result<u8, ClientError> {
    let client = &args.client;
    let api = Api::new(&client.url, &client.base_path, client.token_file.as_deref())?;
    let json = client.output == Output::Json;
    let backoff = Backoff::starting_at(client.poll_interval);
    match &args.command {
        BackupCommand::Create { id, wait, timeout } => {
            let message = api.create(*id).await?;
            if !*wait {
                if json {
                    let body = serde_json::json!({"backupId": id, "message": message});
                    print(
                        out,
                        &serde_json::to_string_pretty(&body).unwrap_or_default(),
                    );
                } else {
                    print(out, &message);
                }
                return Ok(0);
            }
            if !json {
                print(out, &message);
            }
            wait_and_report(&api, *id, *timeout, backoff, json, progress, out, clock).await
        }
        BackupCommand::Wait { id, timeout } => {
            wait_and_report(&api, *id, *timeout, backoff, json, progress, out, clock).await
        }
        BackupCommand::Status { id } => {
            let info = api.get(*id).await?;
            if json {
                print(out, &backup_json(&info));
            } else {
                print(out, &status_table(&info, clock));
            }
            Ok(exit_code(info.state))
        }
        BackupCommand::List { pattern, brief } => {
            let query = ListQuery {
                verbose: !brief,
                pattern: pattern.clone(),
            };
            let list = api.list(&query).await?;
            if json {
                print(out, &list_json(&list));
            } else {
                print(out, &list_table(&list, clock));
            }
            Ok(0)
        }
        BackupCommand::Delete { id } => {
            api.delete(*id).await?;
            if json {
                let body = serde_json::json!({"backupId": id, "deleted": true});
                print(
                    out,
                    &serde_json::to_string_pretty(&body).unwrap_or_default(),
                );
            } else {
                print(out, &format!("Backup {id} deleted."));
            }
            Ok(0)
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn wait_and_report(
    api: &Api,
    id: backup_actuator_core::BackupId,
    timeout: Option<std::time::Duration>,
    backoff: Backoff,
    json: bool,
    progress: Progress,
    out: &mut dyn Write,
    clock: &Clock,
) -> Result<u8, ClientError> {
    let waited = {
        let mut view: Box<dyn View + '_> = match (json, progress) {
            (true, _) => Box::new(Quiet),
            (false, Progress::Bars) => Box::new(Bars::new()),
            (false, Progress::Lines) => Box::new(Lines::new(&mut *out)),
        };
        wait(api, id, timeout, backoff, view.as_mut()).await?
    };
    let (info, code) = match waited {
        Waited::Finished(info) => {
            let code = exit_code(info.state);
            (info, code)
        }
        Waited::TimedOut(info) => (info, EXIT_TIMEOUT),
    };
    if json {
        print(out, &backup_json(&info));
    } else {
        print(out, &status_table(&info, clock));
    }
    if code == EXIT_TIMEOUT {
        if let Some(timeout) = timeout {
            eprintln!(
                "backup-actuator: backup {id} is still {} after --timeout {}",
                BackupState::InProgress.as_str(),
                humantime::format_duration(timeout)
            );
        }
    }
    Ok(code)
}

/// A line of output; a closed pipe is not an error worth a message.
fn print(out: &mut dyn Write, text: &str) {
    let _ = writeln!(out, "{text}");
}
