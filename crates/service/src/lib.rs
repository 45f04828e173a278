//! The backup API of SPEC §1 — trigger, read, list and delete backups — as a
//! [`tower`](https://docs.rs/tower) service for any hyper- or axum-based host.
//!
//! - [`BackupService`] answers the backup routes and 404s everything else:
//!   mount it where a path prefix belongs to it alone.
//! - [`BackupLayer`] answers the backup routes in front of another service
//!   and passes every other request on: wrap a whole router with it.
//!
//! Both come from [`BackupService::builder`], which takes the
//! [`SnapshotStore`](backup_actuator_store::SnapshotStore) and the
//! [`BackupPlan`](backup_actuator_core::BackupPlan).
//!
//! # Mounting
//!
//! | host | how | base path |
//! |---|---|---|
//! | axum, under a prefix | `Router::nest_service("/actuator", service)` | `""` (axum strips the prefix) |
//! | axum, exact routes | `Router::route_service("/actuator/backups", service.clone())` per route | `/actuator` (default) |
//! | axum, whole router | `Router::layer(builder.build_layer())` | `/actuator` (default) |
//! | hyper | `hyper_util::service::TowerToHyperService::new(service)` | `/actuator` (default) |
//!
//! ```
//! use std::sync::Arc;
//! use axum::Router;
//! use backup_actuator_core::BackupPlan;
//! use backup_actuator_service::BackupService;
//! use backup_actuator_store::MemoryStore;
//! use http::Request;
//! use tower::ServiceExt;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! // nest_service strips "/actuator", so the service's own base path is "".
//! let service = BackupService::builder(
//!     Arc::new(MemoryStore::new()),
//!     BackupPlan::optimize("8.6.0").unwrap(),
//! )
//! .repository("backups")
//! .base_path("")
//! .build();
//! let app = Router::new().nest_service("/actuator", service);
//!
//! let request = Request::post("/actuator/backups")
//!     .body(axum::body::Body::from(r#"{"backupId": 1}"#))
//!     .unwrap();
//! assert_eq!(app.oneshot(request).await.unwrap().status(), 202);
//! # }
//! ```
//!
//! # Errors
//!
//! Store errors become API errors in one private function, and API errors
//! become responses in [`error_response`], the one place that decides the
//! status and headers of an error answer.
//!
//! # Health and metrics (SPEC §11)
//!
//! [`BackupServiceBuilder::health`] adds `GET {base}/health`, one cheap
//! store call with a timeout. With the `metrics` cargo feature,
//! [`BackupServiceBuilder::metrics`] adds `GET {base}/prometheus` and
//! feeds a `BackupMetrics` (requests, latency, store calls, backups by
//! state, the newest COMPLETE backup). Both are off by default.
//!
//! # Logging
//!
//! One `tracing` span `backup_request` per request, with the fields
//! `method`, `route` (a template such as `/backups/{id}`), `operation`
//! (`trigger`, `get`, `list`, `delete`, `health`, `prometheus`, or `none`
//! for a path or method the API does not take), `backup_id`,
//! `status` and `latency_ms`, and one `info` event when it is answered.
//! Headers and bodies are never logged.
#![deny(missing_docs)]

mod body;
mod builder;
mod error;
mod handlers;
mod health;
mod layer;
mod metrics;
mod response;
mod route;
mod service;
mod shared;
mod trace;

pub use backup_actuator_engine::{DEFAULT_CLAIM_EXPIRY, DEFAULT_UNKNOWN_OUTCOME_WATCH};
pub use body::BODY_LIMIT;
pub use builder::{BackupServiceBuilder, ServiceConfigError, DEFAULT_BASE_PATH};
pub use error::error_response;
pub use health::DEFAULT_HEALTH_TIMEOUT;
pub use layer::{BackupLayer, LayerFuture, WithBackupRoutes};
#[cfg(feature = "metrics")]
pub use metrics::{
    BackupMetrics, ScheduledRun, VerifyOutcome, OPENMETRICS_CONTENT_TYPE,
    PROMETHEUS_TEXT_CONTENT_TYPE,
};
pub use response::{BackupBody, LayerBody};
pub use service::{BackupService, ResponseFuture};
#[cfg(feature = "metrics")]
pub use trace::AnswerCounter;
