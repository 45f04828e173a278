//! `backup-actuator backup …`: the command-line client of the backup API
//! (SPEC §9), for this server in either dialect and for Camunda Optimize.

mod api;
mod render;
pub(crate) mod watch;

#[cfg(test)]
mod tests;

use std::io::{IsTerminal, Write};

use backup_actuator_core::{BackupState, ListQuery};

pub(crate) use api::{Api, ClientError};
pub(crate) use render::Clock;
pub(crate) use watch::Backoff;

use crate::cli::{BackupArgs, BackupCommand, ColorChoice, Output};
use render::{exit_code, list_table, newest_first, status_table, without_poll_advice, Look};
use watch::{wait, Bars, Lines, Quiet, View, Waited};

/// Exit code: the server or the network failed.
pub(crate) const EXIT_FAILURE: u8 = 1;
/// Exit code: usage (a bad option, `--url` or backup ID).
pub(crate) const EXIT_USAGE: u8 = 2;
/// Exit code: `--timeout` reached while IN_PROGRESS (SPEC §9).
pub(crate) const EXIT_TIMEOUT: u8 = 13;
/// Exit code: the server has no backup of that id.
pub(crate) const EXIT_NO_SUCH_BACKUP: u8 = 14;

/// How the command shows progress while it waits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Progress {
    /// Bars on the terminal (stderr).
    Bars,
    /// One line per state change, on the output.
    Lines,
}

/// What the command knows about where it prints.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Screen {
    /// Bars on a terminal, or lines.
    pub progress: Progress,
    /// Colour and width of tables.
    pub look: Look,
    /// The terminal's height, when stdout is one: `list` shows a
    /// screenful by default.
    pub rows: Option<u16>,
}

impl Screen {
    /// Lines, no colour, no width: a pipe.
    #[cfg(test)]
    pub(crate) fn pipe() -> Screen {
        Screen {
            progress: Progress::Lines,
            look: Look::default(),
            rows: None,
        }
    }

    /// The real one: terminals detected, `COLUMNS`, `NO_COLOR` and the
    /// options honoured.
    fn detect(color: ColorChoice, wide: bool) -> Screen {
        let stdout = std::io::stdout();
        let terminal = stdout.is_terminal();
        let size = terminal
            .then(|| console::Term::stdout().size_checked())
            .flatten();
        let color = match color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
            }
        };
        // COLUMNS (when exported) overrides, as for `ls`; --wide wins.
        let columns = std::env::var("COLUMNS")
            .ok()
            .and_then(|c| c.trim().parse::<u16>().ok())
            .filter(|c| *c > 0);
        let width = if wide {
            None
        } else {
            columns.or(size.map(|(_, cols)| cols))
        };
        Screen {
            progress: if crate::oneshot::on_a_terminal() {
                Progress::Bars
            } else {
                Progress::Lines
            },
            look: Look { color, width },
            rows: size.map(|(rows, _)| rows),
        }
    }
}

/// Runs one client command; the exit code. Errors are printed to stderr.
pub(crate) fn run(args: BackupArgs) -> u8 {
    let Some(runtime) = crate::oneshot::command_runtime() else {
        return EXIT_FAILURE;
    };
    let screen = Screen::detect(args.client.color, args.client.wide);
    let mut stdout = std::io::stdout().lock();
    let result = runtime.block_on(execute(&args, &mut stdout, screen, &Clock::system()));
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
    screen: Screen,
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
                // The wait below is the monitoring the message advises.
                print(out, without_poll_advice(&message));
            }
            wait_and_report(&api, *id, *timeout, backoff, json, screen, out, clock).await
        }
        BackupCommand::Wait { id, timeout } => {
            wait_and_report(&api, *id, *timeout, backoff, json, screen, out, clock).await
        }
        BackupCommand::Status { id } => {
            let answer = api.get(*id).await?;
            if json {
                print(out, &answer.raw);
            } else {
                print(out, &status_table(&answer.value, clock, screen.look));
            }
            Ok(exit_code(answer.value.state))
        }
        BackupCommand::List {
            pattern,
            brief,
            limit,
        } => {
            let query = ListQuery {
                verbose: !brief,
                pattern: pattern.clone(),
            };
            let answer = api.list(&query).await?;
            // A table on a terminal shows a screenful (the header, the
            // summary and the prompt need three lines); a pipe and JSON
            // get everything unless --limit says otherwise.
            let screenful = screen
                .rows
                .filter(|_| !json)
                .map(|rows| usize::from(rows.saturating_sub(3)).max(5));
            let limit = limit.or(screenful).filter(|n| *n > 0);
            if json {
                match limit {
                    // The server's answer, byte for byte.
                    None => print(out, &answer.raw),
                    Some(limit) => {
                        let mut list = answer.value;
                        newest_first(&mut list, |a| &a.value);
                        let raws: Vec<&str> =
                            list.iter().take(limit).map(|a| a.raw.as_str()).collect();
                        print(out, &format!("[{}]", raws.join(",")));
                    }
                }
            } else {
                let mut all: Vec<_> = answer.value.iter().map(|a| &a.value).collect();
                newest_first(&mut all, |info| info);
                let shown = &all[..limit.unwrap_or(all.len()).min(all.len())];
                print(out, &list_table(shown, &all, clock, screen.look));
            }
            Ok(0)
        }
        BackupCommand::Delete { id } => {
            let existed = api.delete(*id).await?;
            if json {
                let body = serde_json::json!({"backupId": id, "deleted": existed});
                print(
                    out,
                    &serde_json::to_string_pretty(&body).unwrap_or_default(),
                );
            } else if existed {
                print(out, &format!("Backup {id} deleted."));
            } else {
                print(
                    out,
                    &format!("Nothing was stored for backup {id}: there was nothing to delete."),
                );
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
    screen: Screen,
    out: &mut dyn Write,
    clock: &Clock,
) -> Result<u8, ClientError> {
    let waited = {
        let mut view: Box<dyn View + '_> = match (json, screen.progress) {
            (true, _) => Box::new(Quiet),
            (false, Progress::Bars) => Box::new(Bars::new(screen.look)),
            (false, Progress::Lines) => Box::new(Lines::new(&mut *out)),
        };
        wait(api, id, timeout, backoff, view.as_mut()).await?
    };
    let (answer, code) = match waited {
        Waited::Finished(answer) => {
            let code = exit_code(answer.value.state);
            (answer, code)
        }
        Waited::TimedOut(answer) => (answer, EXIT_TIMEOUT),
    };
    if json {
        print(out, &answer.raw);
    } else {
        print(out, &status_table(&answer.value, clock, screen.look));
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
