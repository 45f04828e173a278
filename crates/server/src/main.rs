//! `backup-actuator`: the stand-alone backup API server.
//!
//! ```text
//! backup-actuator serve --repository backups
//! curl -X POST localhost:8092/actuator/backups -d '{"backupId": 1}'
//! ```
//!
//! See `backup-actuator serve --help` for every flag; each is also an
//! environment variable `BACKUP_ACTUATOR_<FLAG>`. `backup-actuator backup …`
//! is the client of the API, `backup-actuator restore ID` restores a backup.

mod auth;
mod backend;
mod cli;
mod client;
mod files;
mod framing;
mod per_client;
mod restore;
mod schedule;
mod serve;

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
}

/// The runtime of a one-shot command (the client, restore): one thread is
/// plenty for requests sent one after another. `None` once the reason was
/// printed.
fn command_runtime() -> Option<tokio::runtime::Runtime> {
    match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => Some(runtime),
        Err(err) => {
            eprintln!("backup-actuator: cannot start the runtime: {err}");
            None
        }
    }
}

/// True when a person watches both outputs, so progress may draw bars.
fn on_a_terminal() -> bool {
    std::io::stdout().is_terminal() && std::io::stderr().is_terminal()
}

fn main() -> ExitCode {
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
    let mut builder = BackupService::builder(store, plan)
        .base_path(&args.base_path)
        .compatibility(args.compat.into())
        .time_zone(args.time_zone.clone())
        .body_read_timeout(args.body_read_timeout)
        // A part whose create timed out may appear up to a request timeout
        // later; look for it well past that (and at least 10 s).
        .unknown_outcome_watch(unknown_outcome_watch(args.cluster.request_timeout))
        // Longer than any POST: at most parts + 4 cluster calls, each within
        // the request timeout, plus the watch.
        .claim_expiry(backup_actuator_service::DEFAULT_CLAIM_EXPIRY.max(
            args.cluster.request_timeout * 10 + unknown_outcome_watch(args.cluster.request_timeout),
        ))
        .health(args.health_timeout);
    if let Some(repository) = &args.cluster.repository {
        builder = builder.repository(repository);
    }
    if args.metrics {
        builder = builder.metrics(BackupMetrics::new());
    }
    let service = builder.build();
    let schedule = schedule::build_schedule(&args, &service)?;

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
        let shutdown = until_stopped(stopped.clone());
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
                    service.clone(),
                    args.retention_dry_run,
                ));
            }
            tokio::spawn(schedule.run(until_stopped(stopped.clone())))
        });
        let options = ServeOptions {
            header_read_timeout: args.header_read_timeout,
            max_connections: args.max_connections as usize,
            max_connections_per_client: args.max_connections_per_client as usize,
        };
        match token {
            Some(token) => {
                tracing::info!("every request must carry Authorization: Bearer <token>");
                // Refusals are counted in the service's metrics (if on).
                let layer = RequireBearerLayer::new(token, service.compatibility())
                    .counting_in(service.clone());
                serve::serve(listener, layer.layer(service), options, shutdown).await;
            }
            None => serve::serve(listener, service, options, shutdown).await,
        }
        if let Some(schedule) = schedule {
            // SPEC §10: a running trigger or deletion finishes first.
            if schedule.await.is_err() {
                tracing::error!("the schedule stopped with a panic");
            }
            tracing::info!("schedule stopped");
        }
        Ok(())
    })
}

/// Twice the request timeout, at least 10 s.
fn unknown_outcome_watch(request_timeout: std::time::Duration) -> std::time::Duration {
    (request_timeout * 2).max(std::time::Duration::from_secs(10))
}
