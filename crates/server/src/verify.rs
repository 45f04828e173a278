//! `backup-actuator verify ID|latest` (SPEC §13): the command around the
//! search crate's `restore_plan` (read the backup) and `verify_backup` (the
//! drill), which make the cluster calls.

use std::io::Write;

use backup_actuator_core::{BackupId, BackupPlan, PlanError};
use backup_actuator_search::{
    ClusterStore, RestoreError, UnrestorableShard, VerifyError, VerifyEvent, VerifyOptions,
    VerifyReport,
};
use backup_actuator_store::SnapshotStore;
use serde_json::json;

use crate::backend::{build_cluster, password_from_env, BackendError};
use crate::cli::{Backend, BackupRef, Output, VerifyArgs};

/// The backup restores.
const RESTORABLE: u8 = 0;
/// The drill could not run, or the backup was not found.
const FAILED: u8 = 1;
/// The backup is not restorable.
const NOT_RESTORABLE: u8 = 20;

/// Why `verify` stopped.
#[derive(Debug, thiserror::Error)]
pub(crate) enum VerifyCommandError {
    /// The cluster options.
    #[error("{0}")]
    Backend(#[from] BackendError),
    /// The prefix.
    #[error("{0}")]
    Plan(#[from] PlanError),
    /// `--backend memory`.
    #[error("verify works on a cluster: pass --backend elasticsearch or opensearch and --url")]
    NeedsCluster,
    /// No `--repository`.
    #[error("verify needs --repository (or BACKUP_ACTUATOR_REPOSITORY): the snapshot repository the backup is in")]
    NoRepository,
    /// `latest` found nothing, or the lookup failed.
    #[error("{0}")]
    Latest(#[from] LatestError),
    /// Reading the backup failed or found it unfit (NotComplete is exit 20).
    #[error("{0}")]
    Read(#[from] RestoreError),
    /// The drill did not pass.
    #[error("{0}")]
    Drill(#[from] VerifyError),
}

impl VerifyCommandError {
    fn exit_code(&self) -> u8 {
        match self {
            VerifyCommandError::Read(RestoreError::NotComplete { .. }) => NOT_RESTORABLE,
            VerifyCommandError::Drill(err) if err.is_not_restorable() => NOT_RESTORABLE,
            // The code `backup status`, `wait` and `restore` give it.
            VerifyCommandError::Read(RestoreError::NotFound { .. })
            | VerifyCommandError::Latest(LatestError::NoCompleteBackup { .. }) => {
                crate::client::EXIT_NO_SUCH_BACKUP
            }
            _ => FAILED,
        }
    }
}

/// Runs `verify`; the exit code. Errors are printed to stderr.
pub(crate) fn run(args: VerifyArgs) -> u8 {
    let Some(runtime) = crate::oneshot::command_runtime() else {
        return FAILED;
    };
    let mut stdout = std::io::stdout();
    let json = args.output == Output::Json;
    let result = runtime.block_on(async {
        // Installed before anything is restored, so Ctrl-C and SIGTERM
        // always reach the clean-up.
        let interrupt = crate::serve::shutdown_signal();
        execute(&args, &mut stdout, interrupt).await
    });
    let code = match &result {
        Ok(report) => {
            if json {
                print(&mut stdout, &report_json(report));
            } else {
                let _ = write!(stdout, "{report}");
            }
            RESTORABLE
        }
        Err(err) => {
            let code = err.exit_code();
            if json && code == NOT_RESTORABLE {
                print(&mut stdout, &failure_json(err));
            }
            eprintln!("backup-actuator: {err}");
            code
        }
    };
    let _ = stdout.flush();
    code
}

/// Reads the backup, runs the drill, and prints progress to `out` (table
/// output only). The report or the error is the caller's to print.
pub(crate) async fn execute(
    args: &VerifyArgs,
    out: &mut (dyn Write + Send),
    interrupt: impl std::future::Future<Output = ()> + Send,
) -> Result<VerifyReport, VerifyCommandError> {
    if args.cluster.backend == Backend::Memory {
        return Err(VerifyCommandError::NeedsCluster);
    }
    let repository = args
        .cluster
        .repository
        .as_deref()
        .ok_or(VerifyCommandError::NoRepository)?;
    let password = password_from_env()?;
    let source = build_cluster(&args.cluster, password.clone())?;
    let drill = match &args.into {
        Some(url) => {
            let mut into = args.cluster.clone();
            into.url = Some(url.clone());
            build_cluster(&into, password)?
        }
        None => source.clone(),
    };
    // Any version: the plan only reads names here, whose version it ignores.
    let plan = BackupPlan::builder()
        .prefix(&args.cluster.prefix)
        .version(env!("CARGO_PKG_VERSION"))
        .optimize_parts()
        .build()?;
    let id = resolve(&source, repository, &plan, args.backup).await?;
    let backup = source.restore_plan(repository, &plan, id).await?;
    let mut options = VerifyOptions::new()
        .poll_interval(args.poll_interval)
        .part_timeout(args.part_timeout)
        .room_check(!args.skip_room_check);
    if let Some(name) = &args.into_repository {
        options = options.repository(name);
    }
    let json = args.output == Output::Json;
    if !json {
        print(
            out,
            &format!(
                "Verifying backup {id} from repository [{}] on {}: {} part(s), {} index(es)",
                options.repository_name().unwrap_or(repository),
                drill.describe(),
                backup.parts().len(),
                backup.indices().len()
            ),
        );
    }
    let count = backup.parts().len();
    let mut progress = |event: VerifyEvent<'_>| {
        if !json {
            print(out, &event_line(&event, count));
        }
    };
    Ok(drill
        .verify_backup(&backup, &options, &mut progress, interrupt)
        .await?)
}

/// Why `latest` names no backup.
#[derive(Debug, thiserror::Error)]
pub(crate) enum LatestError {
    /// There is none.
    #[error("no COMPLETE backup in repository [{repository}]")]
    NoCompleteBackup {
        /// The repository.
        repository: String,
    },
    /// The cluster failed while looking.
    #[error("{0}")]
    Store(#[from] backup_actuator_store::StoreError),
}

/// The id `ID|latest` names (`restore` and `verify`).
pub(crate) async fn resolve(
    store: &ClusterStore,
    repository: &str,
    plan: &BackupPlan,
    backup: BackupRef,
) -> Result<BackupId, LatestError> {
    match backup {
        BackupRef::Id(id) => Ok(id),
        BackupRef::Latest => store
            .newest_complete_backup(repository, plan)
            .await?
            .ok_or_else(|| LatestError::NoCompleteBackup {
                repository: repository.to_owned(),
            }),
    }
}

fn event_line(event: &VerifyEvent<'_>, parts: usize) -> String {
    match event {
        VerifyEvent::RoomChecked { needed, free } => format!(
            "room check: the largest part needs {needed} byte(s), the data nodes have {free} free"
        ),
        VerifyEvent::PartStarted { part } => format!(
            "part {}/{parts} {}: restoring {} index(es) under scratch names",
            part.part_no,
            part.snapshot,
            part.indices.len()
        ),
        VerifyEvent::IndexVerified { index } => format!(
            "  {} as {}: {} shard(s) recovered in {:.1} s, {} document(s), {} byte(s)",
            index.source_index,
            index.scratch_index,
            index.shards,
            index.restore_time.as_secs_f64(),
            index.documents,
            index.size_in_bytes
        ),
        VerifyEvent::ScratchDeleted { indices } => {
            format!("  deleted scratch indices [{}]", indices.join(", "))
        }
    }
}

fn report_json(report: &VerifyReport) -> String {
    let indices: Vec<_> = report
        .indices
        .iter()
        .map(|index| {
            json!({
                "index": index.source_index,
                "scratchIndex": index.scratch_index,
                "snapshot": index.snapshot,
                "partNo": index.part_no,
                "shards": index.shards,
                "documents": index.documents,
                "sizeInBytes": index.size_in_bytes,
                "restoreMillis": index.restore_time.as_millis() as u64,
            })
        })
        .collect();
    let body = json!({
        "backupId": report.backup_id,
        "restorable": true,
        "repository": report.repository,
        "neededBytes": report.needed_bytes,
        "freeBytes": report.free_bytes,
        "documents": report.documents(),
        "sizeInBytes": report.size_in_bytes(),
        "tookMillis": report.took.as_millis() as u64,
        "indices": indices,
    });
    serde_json::to_string_pretty(&body).unwrap_or_default()
}

/// The JSON of a backup that is not restorable.
fn failure_json(err: &VerifyCommandError) -> String {
    let (backup_id, shards): (Option<BackupId>, &[UnrestorableShard]) = match err {
        VerifyCommandError::Read(RestoreError::NotComplete { backup_id, .. }) => {
            (Some(*backup_id), &[])
        }
        VerifyCommandError::Drill(drill) => not_restorable(drill),
        _ => (None, &[]),
    };
    let failures: Vec<_> = shards
        .iter()
        .map(|shard| {
            json!({
                "index": shard.source_index,
                "scratchIndex": shard.scratch_index,
                "snapshot": shard.snapshot,
                "shard": shard.shard,
                "reason": shard.reason,
            })
        })
        .collect();
    let body = json!({
        "backupId": backup_id,
        "restorable": false,
        "reason": err.to_string(),
        "failures": failures,
    });
    serde_json::to_string_pretty(&body).unwrap_or_default()
}

fn not_restorable(err: &VerifyError) -> (Option<BackupId>, &[UnrestorableShard]) {
    match err {
        VerifyError::NotRestorable { backup_id, shards } => (Some(*backup_id), shards),
        VerifyError::ScratchLeft {
            outcome: Some(outcome),
            ..
        } => not_restorable(outcome),
        _ => (None, &[]),
    }
}

fn print(out: &mut dyn Write, text: &str) {
    let _ = writeln!(out, "{text}");
}
