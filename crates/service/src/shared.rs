//! [`Shared`]: what the clones of one [`BackupService`](crate::BackupService)
//! share — the configuration, the store, and the lock that serialises
//! triggers.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use backup_actuator_core::{ApiError, BackupPlan, Compatibility, OutputZone};
use backup_actuator_store::SnapshotStore;

use crate::metrics::Observer;
use crate::route::Extras;

/// The configuration and the trigger lock, shared by clones; the builder
/// fills one in place.
pub(crate) struct Shared {
    pub(crate) store: Arc<dyn SnapshotStore>,
    pub(crate) plan: BackupPlan,
    pub(crate) repository: Option<String>,
    pub(crate) base_path: String,
    pub(crate) compat: Compatibility,
    pub(crate) zone: OutputZone,
    pub(crate) body_read_timeout: Option<Duration>,
    pub(crate) claim_expiry: Duration,
    pub(crate) unknown_outcome_watch: Duration,
    /// Serialises triggers inside this process (SPEC §6).
    pub(crate) trigger_lock: tokio::sync::Mutex<()>,
    /// Claims of other POSTs this process has seen standing: name and the
    /// cluster's start time, and when this process first saw it. Age is
    /// measured on this process's own clock, so clock skew between the
    /// cluster and this host cannot make a fresh claim look stale.
    pub(crate) claims_seen: std::sync::Mutex<HashMap<String, (Option<i64>, Instant)>>,
    /// `{base}/health` and `{base}/prometheus`, when turned on.
    pub(crate) extras: Extras,
    /// How long the store has to answer a health check.
    pub(crate) health_timeout: Duration,
    /// The metrics hooks (no-ops unless metrics are on).
    pub(crate) observer: Observer,
}

impl Shared {
    /// The configured repository, or the 400 of SPEC §7.
    pub(crate) fn repository(&self) -> Result<&str, ApiError> {
        self.repository
            .as_deref()
            .ok_or(ApiError::NoRepositoryConfigured)
    }

    /// Writes the configuration as the `Debug` output of a type called
    /// `name`: the service and its builder show the same fields.
    pub(crate) fn debug_as(&self, name: &str, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct(name)
            .field("store", &self.store.describe())
            .field("plan", &self.plan)
            .field("repository", &self.repository)
            .field("base_path", &self.base_path)
            .field("compat", &self.compat)
            .field("zone", &self.zone.name())
            .field("body_read_timeout", &self.body_read_timeout)
            .field("claim_expiry", &self.claim_expiry)
            .field("unknown_outcome_watch", &self.unknown_outcome_watch)
            .field("health", &self.extras.health)
            .field("metrics", &self.extras.prometheus)
            .finish()
    }
}

impl fmt::Debug for Shared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.debug_as("Shared", f)
    }
}
