//! The HTTP listener: hyper 1 over the backup service, with graceful
//! shutdown and limits against slow or oversized requests.
//!
//! Only HTTP/1.1 is served. An auto-detecting (HTTP/1 + h2c) connection
//! first waits for enough bytes to tell the versions apart, with no
//! timeout, so a client that connects and sends nothing would hold its
//! connection for ever; a management API has no use for h2 that would pay
//! for that.

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use backup_actuator_core::Compatibility;
use backup_actuator_service::BackupBody;
use http::{Request, Response};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower_service::Service;

use crate::per_client::PerClientLimit;

/// The most a request line plus headers may take, in bytes (64 KiB).
/// hyper answers a longer head with 431 Request Header Fields Too Large
/// and closes the connection. It is also the read buffer's cap, which
/// alone is not exact (the buffer grows in steps that can overshoot it),
/// hence both settings.
pub(crate) const MAX_HEAD_BYTES: usize = 64 * 1024;

/// How the listener treats connections.
#[derive(Clone, Debug)]
pub(crate) struct ServeOptions {
    /// How long a client may take to send its request headers, from the
    /// moment the server starts waiting for them (a new connection, or
    /// the next request on a kept-alive one); a connection that dawdles
    /// longer is closed, so idle or slow clients cannot pin connections.
    pub header_read_timeout: Duration,
    /// The most connections served at once. At the cap the listener stops
    /// accepting until one closes, so clients queue in the kernel's backlog
    /// instead of each costing a task and buffers.
    pub max_connections: usize,
    /// How long in-flight requests may take to finish after a shutdown
    /// signal: as long as the longest POST at the request timeout.
    pub drain: Duration,
    /// The most connections one client address holds at once; over it a
    /// new connection is closed when accepted, and its slot stays free.
    pub max_connections_per_client: usize,
    /// The dialect of the answers to requests hyper cannot parse, so they
    /// carry `reportDefinition` like every other error body when the
    /// server speaks as Optimize.
    pub compat: Compatibility,
}

/// Serves `service` on `listener` until `shutdown` completes, then stops
/// accepting, lets in-flight requests finish (up to `options.drain`), and
/// returns.
pub(crate) async fn serve<S>(
    listener: TcpListener,
    service: S,
    options: ServeOptions,
    shutdown: impl Future<Output = ()>,
) where
    S: Service<Request<Incoming>, Response = Response<BackupBody>, Error = Infallible>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(options.header_read_timeout)
        .max_header_size(MAX_HEAD_BYTES)
        .max_buf_size(MAX_HEAD_BYTES);
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    let slots = Arc::new(Semaphore::new(options.max_connections));
    let per_client = PerClientLimit::new(options.max_connections_per_client);

    loop {
        // A free slot first, then a connection; both give way to shutdown.
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(accepted) => accepted,
                    Err(err) => {
                        // E.g. too many open files: back off instead of spinning.
                        tracing::warn!(error = %err, "could not accept a connection");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        continue;
                    }
                };
                let Some(admitted) = per_client.admit(peer.ip()) else {
                    tracing::debug!(%peer, "connection closed: its address holds {} connections", options.max_connections_per_client);
                    continue;
                };
                let stream = crate::framing::FramingAnswers::new(stream, MAX_HEAD_BYTES, options.compat);
                let connection = builder
                    .serve_connection(TokioIo::new(stream), TowerToHyperService::new(service.clone()));
                let connection = graceful.watch(connection);
                tokio::spawn(async move {
                    if let Err(err) = connection.await {
                        tracing::debug!(%peer, error = %err, "connection ended with an error");
                    }
                    drop(admitted);
                    drop(slot);
                });
            }
            () = &mut shutdown => break,
        }
    }

    drop(listener);
    tracing::info!("shutting down: no new connections, finishing in-flight requests");
    tokio::select! {
        () = graceful.shutdown() => tracing::info!("all connections closed"),
        () = tokio::time::sleep(options.drain) => {
            tracing::warn!("connections still open after {:?}; closing them", options.drain);
        }
    }
}

/// Completes on SIGINT (Ctrl-C) or, on Unix, SIGTERM.
///
/// The handlers are installed when this is called, not when the future is
/// first polled: otherwise a SIGTERM that arrives between the startup log
/// line and the first poll would kill the process with the default action
/// instead of shutting down gracefully. Call it inside the runtime, before
/// announcing the listener.
pub(crate) fn shutdown_signal() -> impl Future<Output = ()> {
    #[cfg(unix)]
    let (interrupt, terminate) = {
        use tokio::signal::unix::{signal, SignalKind};
        (
            signal(SignalKind::interrupt()),
            signal(SignalKind::terminate()),
        )
    };
    async move {
        #[cfg(unix)]
        let (interrupt, terminate) = (
            wait_for(interrupt, "SIGINT"),
            wait_for(terminate, "SIGTERM"),
        );
        #[cfg(not(unix))]
        let (interrupt, terminate) = (
            async {
                if let Err(err) = tokio::signal::ctrl_c().await {
                    tracing::error!(error = %err, "cannot listen for Ctrl-C");
                    std::future::pending::<()>().await;
                }
            },
            std::future::pending::<()>(),
        );
        tokio::select! {
            () = interrupt => tracing::info!("received SIGINT"),
            () = terminate => tracing::info!("received SIGTERM"),
        }
    }
}

/// Waits for one signal; never completes if its handler could not be
/// installed (which is logged), so the other signal still works.
#[cfg(unix)]
async fn wait_for(installed: std::io::Result<tokio::signal::unix::Signal>, name: &'static str) {
    match installed {
        Ok(mut signal) => {
            signal.recv().await;
        }
        Err(err) => {
            tracing::error!(error = %err, "cannot listen for {name}");
            std::future::pending::<()>().await;
        }
    }
}
