//! The backup API inside an axum application's management router.
//!
//! Two ways to mount it, both served on the management listener (never the
//! public one, SPEC §1):
//!
//! - [`management_app`]: `Router::nest_service("/actuator", service)`. axum
//!   strips `/actuator` before the service sees the request, so the service
//!   is built with `.base_path("")`.
//! - [`layered_management_app`]: `Router::layer(builder.build_layer())`. The
//!   layer sees full paths, so the service keeps its default base path
//!   `/actuator` and passes every other request to the router.
//!
//! Run it, then try the API:
//!
//! ```text
//! cargo run --example axum_mount
//! curl -X POST localhost:8092/actuator/backups -d '{"backupId": 1}'
//! curl localhost:8092/actuator/backups/1
//! ```
//!
//! `EXAMPLE_LISTEN` changes the address (`127.0.0.1:0` picks a free port).

use std::error::Error;
use std::sync::Arc;

use axum::routing::get;
use axum::Router;
use backup_actuator::{BackupPlan, BackupService, MemoryStore, SnapshotStore};

/// The snapshot repository the example uses.
pub(crate) const REPOSITORY: &str = "backups";

/// The backup plan: Optimize's, for this host's version.
pub(crate) fn plan() -> BackupPlan {
    BackupPlan::optimize(env!("CARGO_PKG_VERSION")).expect("the crate version is X.Y.Z")
}

async fn health() -> &'static str {
    r#"{"status":"UP"}"#
}

/// Health plus the backup API nested under `/actuator`.
pub(crate) fn management_app(store: Arc<dyn SnapshotStore>) -> Router {
    let backups = BackupService::builder(store, plan())
        .repository(REPOSITORY)
        // nest_service strips "/actuator": the service sees "/backups/1".
        .base_path("")
        .build();
    Router::new()
        .route("/actuator/health", get(health))
        .nest_service("/actuator", backups)
}

/// Health, with the backup API as a layer over the whole router.
pub(crate) fn layered_management_app(store: Arc<dyn SnapshotStore>) -> Router {
    let backups = BackupService::builder(store, plan())
        .repository(REPOSITORY)
        .build_layer();
    Router::new()
        .route("/actuator/health", get(health))
        .layer(backups)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    tracing_subscriber::fmt().init();
    let addr = std::env::var("EXAMPLE_LISTEN").unwrap_or_else(|_| "127.0.0.1:8092".into());
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    let store: Arc<dyn SnapshotStore> = Arc::new(MemoryStore::new());
    println!(
        "backup API at http://{}/actuator/backups (memory store)",
        listener.local_addr()?
    );
    // EXAMPLE_MOUNT=layer serves the same API mounted as a layer instead.
    let app = match std::env::var("EXAMPLE_MOUNT").as_deref() {
        Ok("layer") => layered_management_app(store),
        _ => management_app(store),
    };
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}
