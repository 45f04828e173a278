//! [`ServiceState`]: what the clones of one
//! [`BackupService`](crate::BackupService) share — the engine it hosts and
//! the HTTP settings around it.

use std::fmt;
use std::time::Duration;

use backup_actuator_engine::BackupEngine;

use crate::metrics::MetricsHook;
use crate::route::OptionalRoutes;

/// The engine and the HTTP settings, shared by clones.
pub(crate) struct ServiceState {
    pub(crate) engine: BackupEngine,
    pub(crate) base_path: String,
    pub(crate) body_read_timeout: Option<Duration>,
    /// `{base}/health` and `{base}/prometheus`, when turned on.
    pub(crate) routes: OptionalRoutes,
    /// How long the store has to answer a health check.
    pub(crate) health_timeout: Duration,
    /// Counts each answer (a no-op unless metrics are on).
    pub(crate) metrics: MetricsHook,
}

impl ServiceState {
    /// Writes the configuration as the `Debug` output of a type called
    /// `name`: the service and its builder show the same fields.
    pub(crate) fn debug_as(&self, name: &str, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct(name)
            .field("engine", &self.engine)
            .field("base_path", &self.base_path)
            .field("body_read_timeout", &self.body_read_timeout)
            .field("health", &self.routes.health)
            .field("metrics", &self.routes.prometheus)
            .finish()
    }
}

impl fmt::Debug for ServiceState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.debug_as("ServiceState", f)
    }
}
