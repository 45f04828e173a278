//! `backup-actuator restore ID` (SPEC §12): the command around the search
//! crate's `restore_plan` / `restore_backup`, which make the cluster calls.

use std::io::Write;

use backup_actuator_core::{BackupPlan, PlanError};
use backup_actuator_search::{
    ClusterStore, RestoreError, RestoreEvent, RestoreOptions, RestorePlan, RestoreSelection,
    RestoredIndex,
};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::backend::{build_cluster, password_from_env, BackendError};
use crate::cli::{Output, RestoreArgs};

/// Why `restore` stopped (exit code 1).
#[derive(Debug, thiserror::Error)]
pub(crate) enum RestoreCommandError {
    /// The cluster options.
    #[error("{0}")]
    Backend(#[from] BackendError),
    /// The prefix.
    #[error("{0}")]
    Plan(#[from] PlanError),
    /// No `--repository`.
    #[error("restore needs --repository (or BACKUP_ACTUATOR_REPOSITORY): the snapshot repository the backup is in")]
    NoRepository,
    /// The restore refused or failed.
    #[error("{0}")]
    Restore(#[from] RestoreError),
    /// `latest` found no COMPLETE backup, or the lookup failed.
    #[error("{0}")]
    Latest(#[from] crate::verify::LatestError),
}

/// `--indices` and `--rename-pattern` / `--rename-replacement`.
fn selection(args: &RestoreArgs) -> Result<RestoreSelection, RestoreError> {
    let mut selection = RestoreSelection::new();
    if let Some(indices) = &args.indices {
        selection = selection.indices(indices.iter().cloned());
    }
    if let (Some(pattern), Some(replacement)) = (&args.rename_pattern, &args.rename_replacement) {
        selection = selection.rename(pattern, replacement)?;
    }
    Ok(selection)
}

/// Runs `restore`; the exit code. Errors are printed to stderr.
pub(crate) fn run(args: RestoreArgs) -> u8 {
    let Some(runtime) = crate::oneshot::command_runtime() else {
        return 1;
    };
    let bars = crate::oneshot::on_a_terminal();
    // Not locked: the progress callback must be Send, a lock guard is not.
    let mut stdout = std::io::stdout();
    let result = runtime.block_on(async {
        let store = build_cluster(&args.cluster, password_from_env()?)?;
        execute(&args, &store, &mut stdout, bars).await
    });
    let _ = stdout.flush();
    match result {
        Ok(()) => 0,
        Err(err) => {
            eprintln!("backup-actuator: {err}");
            match err {
                // The client's code for it (`backup status`, `wait`).
                RestoreCommandError::Restore(RestoreError::NotFound { .. })
                | RestoreCommandError::Latest(crate::verify::LatestError::NoCompleteBackup {
                    ..
                }) => crate::client::EXIT_NO_SUCH_BACKUP,
                _ => 1,
            }
        }
    }
}

/// Plans, and with `--yes` restores, printing to `out`.
pub(crate) async fn execute(
    args: &RestoreArgs,
    store: &ClusterStore,
    out: &mut (dyn Write + Send),
    bars: bool,
) -> Result<(), RestoreCommandError> {
    let repository = args
        .cluster
        .repository
        .as_deref()
        .ok_or(RestoreCommandError::NoRepository)?;
    // Any version: the plan only reads names here, whose version it ignores.
    let plan = BackupPlan::builder()
        .prefix(&args.cluster.prefix)
        .version(env!("CARGO_PKG_VERSION"))
        .optimize_parts()
        .build()?;
    let id = crate::verify::resolve(store, repository, &plan, args.id).await?;
    let restore = store
        .restore_plan_for(repository, &plan, id, &selection(args)?)
        .await?;
    let json = args.output == Output::Json;
    if !args.yes {
        if json {
            print(out, &plan_json(&restore));
        } else {
            let _ = write!(out, "{restore}");
            print(
                out,
                "Nothing was changed. Run again with --yes to restore (and --delete-existing to replace the indices that exist).",
            );
        }
        return Ok(());
    }
    let options = RestoreOptions::new()
        .delete_existing(args.delete_existing)
        .poll_interval(args.poll_interval)
        .part_timeout(args.part_timeout);
    let restored = {
        let mut display = Display::new(&restore, json, bars, &mut *out);
        let mut progress = |event: RestoreEvent<'_>| display.show(event);
        store
            .restore_backup(&restore, &options, &mut progress)
            .await
    }?;
    if json {
        print(out, &restored_json(&restore, &restored));
    } else {
        print(
            out,
            &format!(
                "Restored backup {}: {} index(es), every one at least yellow.",
                restore.backup_id(),
                restored.len()
            ),
        );
    }
    Ok(())
}

fn plan_json(plan: &RestorePlan) -> String {
    let parts: Vec<_> = plan
        .parts()
        .iter()
        .map(|part| {
            serde_json::json!({
                "snapshot": part.snapshot,
                "partNo": part.part_no,
                "indices": part.indices,
                "restoredAs": part.indices.iter().map(|i| plan.target(i)).collect::<Vec<_>>(),
                "existing": part.existing,
            })
        })
        .collect();
    let selection = plan.selection();
    let body = serde_json::json!({
        "backupId": plan.backup_id(),
        "repository": plan.repository(),
        "onlyIndices": selection.only_indices(),
        "renamePattern": selection.rename_rule().map(|(pattern, _)| pattern),
        "renameReplacement": selection.rename_rule().map(|(_, replacement)| replacement),
        "parts": parts,
    });
    serde_json::to_string_pretty(&body).unwrap_or_default()
}

fn restored_json(plan: &RestorePlan, restored: &[RestoredIndex]) -> String {
    let indices: Vec<_> = restored
        .iter()
        .map(|index| serde_json::json!({"index": index.name, "health": index.health}))
        .collect();
    let body = serde_json::json!({"backupId": plan.backup_id(), "restored": indices});
    serde_json::to_string_pretty(&body).unwrap_or_default()
}

/// Progress: bars on a terminal, lines otherwise, nothing for JSON.
struct Display<'a> {
    json: bool,
    out: &'a mut (dyn Write + Send),
    bars: Option<(MultiProgress, Vec<ProgressBar>)>,
    count: usize,
}

impl<'a> Display<'a> {
    fn new(
        plan: &RestorePlan,
        json: bool,
        bars: bool,
        out: &'a mut (dyn Write + Send),
    ) -> Display<'a> {
        let bars = (bars && !json).then(|| {
            let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
            let style =
                ProgressStyle::with_template("  {prefix:<12} [{bar:30}] {pos}/{len} indices {msg}")
                    .expect("a valid template")
                    .progress_chars("=> ");
            let list = plan
                .parts()
                .iter()
                .map(|part| {
                    let bar = multi.add(ProgressBar::new(part.indices.len() as u64));
                    bar.set_style(style.clone());
                    bar.set_prefix(format!("part {}/{}", part.part_no, plan.parts().len()));
                    bar.set_message(part.snapshot.clone());
                    bar
                })
                .collect();
            (multi, list)
        });
        Display {
            json,
            out,
            bars,
            count: plan.parts().len(),
        }
    }

    fn bar(&self, part_no: u32) -> Option<&ProgressBar> {
        let (_, list) = self.bars.as_ref()?;
        list.get(usize::try_from(part_no).ok()?.checked_sub(1)?)
    }

    fn show(&mut self, event: RestoreEvent<'_>) {
        if self.json {
            return;
        }
        let line = match event {
            RestoreEvent::Deleting { indices } => {
                format!("deleting existing indices: [{}]", indices.join(", "))
            }
            RestoreEvent::PartStarted { part } => format!(
                "part {}/{} {}: restoring {} index(es)",
                part.part_no,
                self.count,
                part.snapshot,
                part.indices.len()
            ),
            RestoreEvent::PartProgress { part, ready } => {
                if let Some(bar) = self.bar(part.part_no) {
                    bar.set_position(ready as u64);
                }
                return;
            }
            RestoreEvent::PartDone { part } => {
                if let Some(bar) = self.bar(part.part_no) {
                    bar.finish();
                }
                format!(
                    "part {}/{} {}: {} index(es) active",
                    part.part_no,
                    self.count,
                    part.snapshot,
                    part.indices.len()
                )
            }
        };
        match &self.bars {
            Some((multi, _)) => {
                let _ = multi.println(line);
            }
            None => print(self.out, &line),
        }
    }
}

fn print(out: &mut dyn Write, text: &str) {
    let _ = writeln!(out, "{text}");
}
