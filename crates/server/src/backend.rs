//! The one place the server turns `--backend` into a [`SnapshotStore`].
//!
//! Adding a backend means adding a match arm to [`build_store`]; nothing
//! else in the server knows which store it runs on.

use std::sync::Arc;

use backup_actuator_store::{MemoryStore, SnapshotStore};

use crate::cli::{Backend, ServeArgs};

/// Why no store could be built.
#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    /// The backend is not wired into the server yet.
    #[error("the {0} backend is not available yet in this build; use --backend memory")]
    NotAvailable(&'static str),
}

/// The store `args` asks for.
pub fn build_store(args: &ServeArgs) -> Result<Arc<dyn SnapshotStore>, BackendError> {
    match args.backend {
        Backend::Memory => Ok(Arc::new(
            MemoryStore::builder()
                .complete_after(args.memory_complete_after)
                .build(),
        )),
        // To be filled in with backup-actuator-search's stores, using
        // `args.url` and `args.request_timeout`.
        Backend::Elasticsearch => Err(BackendError::NotAvailable("elasticsearch")),
        Backend::Opensearch => Err(BackendError::NotAvailable("opensearch")),
    }
}
