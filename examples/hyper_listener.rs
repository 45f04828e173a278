//! The backup API behind a plain hyper 1 listener, no axum.
//!
//! `hyper_util::service::TowerToHyperService` adapts the tower
//! [`BackupService`] to hyper; the service keeps its default base path
//! `/actuator` because hyper hands it full paths. Every other path is 404.
//!
//! ```text
//! cargo run --example hyper_listener
//! curl -X POST localhost:8092/actuator/backups -d '{"backupId": 1}'
//! ```
//!
//! `EXAMPLE_LISTEN` changes the address (`127.0.0.1:0` picks a free port).

use std::error::Error;
use std::sync::Arc;

use backup_actuator::{BackupPlan, BackupService, MemoryStore, SnapshotStore};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;

/// The backup service over `store`, repository `backups`.
pub(crate) fn backup_service(store: Arc<dyn SnapshotStore>) -> BackupService {
    let plan = BackupPlan::optimize(env!("CARGO_PKG_VERSION")).expect("the crate version is X.Y.Z");
    BackupService::builder(store, plan)
        .repository("backups")
        .build()
}

/// Accepts connections for ever, one task per connection, HTTP/1 or HTTP/2.
pub(crate) async fn serve(listener: TcpListener, service: BackupService) -> std::io::Result<()> {
    loop {
        let (stream, peer) = listener.accept().await?;
        let service = TowerToHyperService::new(service.clone());
        tokio::spawn(async move {
            let served = auto::Builder::new(TokioExecutor::new())
                .serve_connection(TokioIo::new(stream), service)
                .await;
            if let Err(err) = served {
                eprintln!("connection from {peer} ended with an error: {err}");
            }
        });
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    tracing_subscriber::fmt().init();
    let addr = std::env::var("EXAMPLE_LISTEN").unwrap_or_else(|_| "127.0.0.1:8092".into());
    let listener = TcpListener::bind(&addr).await?;
    let service = backup_service(Arc::new(MemoryStore::new()));
    println!(
        "backup API at http://{}{}/backups (memory store)",
        listener.local_addr()?,
        service.base_path()
    );
    tokio::select! {
        served = serve(listener, service) => served?,
        _ = tokio::signal::ctrl_c() => {}
    }
    Ok(())
}
