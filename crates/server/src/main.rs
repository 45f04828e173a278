//! `backup-actuator`: the stand-alone backup API server.
//!
//! ```text
//! backup-actuator serve --repository backups
//! curl -X POST localhost:8092/actuator/backups -d '{"backupId": 1}'
//! ```
//!
//! See `backup-actuator serve --help` for every flag; each is also an
//! environment variable `BACKUP_ACTUATOR_<FLAG>`. `backup-actuator backup …`
//! is the client of the API, `backup-actuator restore ID` restores a backup,
//! `backup-actuator verify ID|latest` proves that one restores;
//! `completions SHELL` and `man` print a completion script and the manual page.

mod allocator;
mod auth;
mod backend;
mod cli;
mod client;
mod files;
mod framing;
mod oneshot;
mod per_client;
mod restore;
mod schedule;
mod serve;
mod verify;
mod verify_schedule;

use std::io::IsTerminal;
use std::process::ExitCode;

use backup_actuator_core::PlanError;
use backup_actuator_service::{BackupMetrics, BackupService};
use clap::Parser;
use tracing_subscriber::EnvFilter;

use tower_layer::Layer;

use crate::auth::{AccessToken, RequireBearerLayer, TokenError};
use crate::backend::{build_store, password_from_env, BackendError};
use crate::cli::{Cli, Command, ServeArgs};
use crate::serve::ServeOptions;

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
enum StartError {
    #[error("{0}")]
    Plan(#[from] PlanError),
    #[error("{0}")]
    Backend(#[from] BackendError),
    #[error("{0}")]
    Token(#[from] TokenError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: std::net::SocketAddr,
        source: std::io::Error,
    },
    #[error("cannot start the runtime: {0}")]
    Runtime(std::io::Error),
    #[error("{0}")]
    Schedule(#[from] schedule::ScheduleFlagError),
    #[error("{0}")]
    VerifySchedule(#[from] verify_schedule::VerifyScheduleError),
}

fn main() -> ExitCode {
    allocator::return_large_buffers_to_the_system();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve(args) => {
            init_logging("info");
            run_serve(args)
        }
        // The client's output is its result: only warnings go to the log.
        Command::Backup(args) => {
            init_logging("warn");
            return ExitCode::from(client::run(args));
        }
        Command::Restore(args) => {
            init_logging("warn");
            return ExitCode::from(restore::run(args));
        }
        Command::Verify(args) => {
            init_logging("warn");
            return ExitCode::from(verify::run(args));
        }
        Command::Completions { shell } => return ExitCode::from(cli::print_completions(shell)),
        Command::Man => return ExitCode::from(cli::print_man_page()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("backup-actuator: {err}");
            ExitCode::FAILURE
        }
    }
}

/// `tracing` to stderr, filtered by `RUST_LOG` (default `default`).
fn init_logging(default: &str) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
}

fn run_serve(args: ServeArgs) -> Result<(), StartError> {
    // Everything that can be wrong with the configuration is found before
    // the port is bound.
    let plan = args.plan()?;
    let store = build_store(&args, password_from_env()?)?;
    let token = args
        .auth_token_file
        .as_deref()
        .map(AccessToken::from_file)
        .transpose()?;
    let metrics = args.metrics.then(BackupMetrics::new);
    let drills = verify_schedule::VerifySchedule::from_args(&args, &plan)?
        .map(|drills| drills.with_metrics(metrics.clone()));
    let mut builder = BackupService::builder(store, plan)
        .base_path(&args.base_path)
        .compatibility(args.compat.into())
        .time_zone(args.time_zone.clone())
        .body_read_timeout(args.body_read_timeout)
        // A part whose create timed out may appear up to a request timeout
        // later; look for it well past that (and at least 10 s).
        .unknown_outcome_watch(unknown_outcome_watch(args.cluster.request_timeout))
        .claim_expiry(claim_expiry(args.cluster.request_timeout))
        .health(args.health_timeout);
    if let Some(repository) = &args.cluster.repository {
        builder = builder.repository(repository);
    }
    if let Some(metrics) = &metrics {
        builder = builder.metrics(metrics.clone());
    }
    let service = builder.build();
    let schedule = schedule::build_schedule(&args, service.engine())?;
    // The longest a POST can take: every cluster call of the claim protocol
    // (parts + 4) at the request timeout, plus the wait for the claim's
    // release. Shutdown lets in-flight requests run that long, then waits
    // for the engine's background work (releases, rollbacks, watches).
    let longest_post = args.cluster.request_timeout * (service.plan().part_count() + 4)
        + std::time::Duration::from_secs(1);

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(StartError::Runtime)?;
    runtime.block_on(async move {
        // Installed before the listener is announced, so a signal sent as
        // soon as the startup line appears is handled (see shutdown_signal).
        let signal = serve::shutdown_signal();
        // One signal stops both the listener and the schedule.
        let (stop, stopped) = tokio::sync::watch::channel(false);
        tokio::spawn(async move {
            signal.await;
            let _ = stop.send(true);
        });
        let until_stopped = |mut stopped: tokio::sync::watch::Receiver<bool>| async move {
            let _ = stopped.wait_for(|stop| *stop).await;
        };
        // Scheduled restore drills run beside the listener, which stops
        // only once a drill under way has deleted its scratch indices.
        let shutdown = verify_schedule::run_beside(drills, || until_stopped(stopped.clone()));
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .map_err(|source| StartError::Bind {
                addr: args.listen,
                source,
            })?;
        let local = listener.local_addr().map_err(|source| StartError::Bind {
            addr: args.listen,
            source,
        })?;
        // SPEC §11: the backup gauges are true from the first scrape, not
        // 0 until a client lists; the read is bounded by --request-timeout.
        if let Some(metrics) = service.metrics() {
            schedule::read_repository(service.engine(), metrics).await;
        }
        tracing::info!(
            repository = service.repository().unwrap_or("<none>"),
            compat = ?args.compat,
            metrics = args.metrics,
            "listening on http://{local} (backup API at {}/backups, health at {}/health), backend {}",
            service.base_path(),
            service.base_path(),
            service.store().describe(),
        );
        if service.repository().is_none() {
            tracing::warn!(
                "no --repository configured: every backup route answers 400 until one is set"
            );
        }
        if token.is_none() && local.ip().is_unspecified() {
            tracing::warn!(
                "listening on {local} without --auth-token-file: the backup API is reachable \
                 from the network without authentication; anyone who can connect can create \
                 and delete backups"
            );
        }
        let schedule = schedule.map(|schedule| {
            schedule::announce(&schedule, &args);
            if let Some(metrics) = service.metrics().cloned() {
                tokio::spawn(schedule::record_metrics(
                    schedule.subscribe(),
                    metrics,
                    service.engine().clone(),
                    args.retention_dry_run,
                ));
            }
            tokio::spawn(schedule.run(until_stopped(stopped.clone())))
        });
        let options = ServeOptions {
            header_read_timeout: args.header_read_timeout,
            max_connections: args.max_connections as usize,
            drain: longest_post,
            max_connections_per_client: args.max_connections_per_client as usize,
            compat: service.compatibility(),
        };
        match token {
            Some(token) => {
                tracing::info!("every request must carry Authorization: Bearer <token>");
                // Refusals are counted in the service's metrics (if on).
                let layer = RequireBearerLayer::new(token, service.compatibility())
                    .counting_in(service.answer_counter());
                serve::serve(listener, layer.layer(service.clone()), options, shutdown).await;
            }
            None => serve::serve(listener, service.clone(), options, shutdown).await,
        }
        if let Some(schedule) = schedule {
            // SPEC §10: a running trigger or deletion finishes first.
            if schedule.await.is_err() {
                tracing::error!("the schedule stopped with a panic");
            }
            tracing::info!("schedule stopped");
        }
        // Whatever a POST or the schedule left running in the background
        // (a claim's release, a rollback, a watch) ends before we do; what
        // cannot is logged by name.
        let unfinished = service.engine().shutdown(longest_post).await;
        tracing::info!(unfinished = unfinished.len(), "backup-actuator stopped");
        Ok(())
    })
}

/// Twice the request timeout, at least 10 s.
fn unknown_outcome_watch(request_timeout: std::time::Duration) -> std::time::Duration {
    (request_timeout * 2).max(std::time::Duration::from_secs(10))
}

/// SPEC §6: at least 10 × the request timeout plus the watch time, and at
/// least the library's 10 min. Longer than any POST: at most parts + 4
/// cluster calls, each within the request timeout, plus the watch.
fn claim_expiry(request_timeout: std::time::Duration) -> std::time::Duration {
    backup_actuator_service::DEFAULT_CLAIM_EXPIRY
        .max(request_timeout * 10 + unknown_outcome_watch(request_timeout))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// SPEC §6, with the figures worked out by hand.
    #[test]
    fn the_claim_expiry_is_ten_request_timeouts_plus_the_watch_and_at_least_ten_minutes() {
        let secs = Duration::from_secs;
        // 10 × 1 s + 10 s (the watch's floor) = 20 s: the 10 min floor.
        assert_eq!(claim_expiry(secs(1)), secs(600));
        // 10 × 30 s + 60 s = 360 s: still the floor.
        assert_eq!(claim_expiry(secs(30)), secs(600));
        // 10 × 60 s + 120 s = 720 s.
        assert_eq!(claim_expiry(secs(60)), secs(720));
        // 10 × 100 s + 200 s = 1,200 s.
        assert_eq!(claim_expiry(secs(100)), secs(1200));
    }

    /// SPEC §6: the server watches twice the request timeout, at least 10 s.
    #[test]
    fn the_watch_is_twice_the_request_timeout_and_at_least_ten_seconds() {
        let secs = Duration::from_secs;
        assert_eq!(unknown_outcome_watch(Duration::from_millis(800)), secs(10));
        assert_eq!(unknown_outcome_watch(secs(5)), secs(10));
        assert_eq!(unknown_outcome_watch(secs(30)), secs(60));
    }
}
