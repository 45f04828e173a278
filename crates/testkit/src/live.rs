//! Support for tests against a *real* engine, started by `scripts/real-cluster`.
//!
//! A live test asks [`cluster`] for its engine. The answer depends on three
//! environment variables, so that a developer without an engine sees a
//! printed reason and CI can never pass by skipping:
//!
//! - `BACKUP_ACTUATOR_TEST_ES_URL` / `BACKUP_ACTUATOR_TEST_OS_URL`: the
//!   engine's URL (credentials may be in it).
//! - `CI=true`: a missing URL is a failure, not a skip…
//! - …unless `BACKUP_ACTUATOR_LIVE_PRODUCTS` (a comma list of
//!   `elasticsearch`, `opensearch`) is set and does not name the product:
//!   `.ci/run` runs one engine at a time and says which product each stage
//!   proves. Unset under `CI=true` means every product is required.
//!
//! `BACKUP_ACTUATOR_TEST_REPO_LOCATION` names a directory inside the
//! engine's `path.repo` for `fs` repositories (default
//! `/tmp/backup-actuator-snapshots`).
//!
//! ```
//! use backup_actuator_testkit::live::{self, LiveProduct};
//!
//! // In a test: skip (printing why) or fail (under CI) when no engine runs.
//! if let Some(engine) = live::cluster(LiveProduct::OpenSearch) {
//!     assert!(engine.url.starts_with("http"));
//! }
//! ```

use std::io::Write as _;

pub use crate::live_answer::LiveAnswer;

/// The engine family a live test needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LiveProduct {
    /// Elasticsearch (7.10.2 in CI: the last Apache-2.0 release).
    Elasticsearch,
    /// OpenSearch (2.19 and 3.x in CI).
    OpenSearch,
}

impl LiveProduct {
    /// The environment variable holding this product's URL.
    pub fn url_variable(self) -> &'static str {
        match self {
            LiveProduct::Elasticsearch => "BACKUP_ACTUATOR_TEST_ES_URL",
            LiveProduct::OpenSearch => "BACKUP_ACTUATOR_TEST_OS_URL",
        }
    }

    /// The name used in `BACKUP_ACTUATOR_LIVE_PRODUCTS`.
    pub fn name(self) -> &'static str {
        match self {
            LiveProduct::Elasticsearch => "elasticsearch",
            LiveProduct::OpenSearch => "opensearch",
        }
    }
}

/// A real engine a live test may use.
#[derive(Debug, Clone)]
pub struct LiveCluster {
    /// Base URL, e.g. `http://127.0.0.1:9250`.
    pub url: String,
    /// A directory inside the engine's `path.repo`, for `fs` repositories.
    pub repo_location: String,
}

/// The engine for `product`, or `None` after printing why the test skips.
///
/// # Panics
///
/// When the engine is required (see the module docs) but its URL is not set:
/// under CI a live test must never pass by skipping.
pub fn cluster(product: LiveProduct) -> Option<LiveCluster> {
    let var = product.url_variable();
    let url = std::env::var(var).ok().filter(|v| !v.is_empty());
    let repo_location = std::env::var("BACKUP_ACTUATOR_TEST_REPO_LOCATION")
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "/tmp/backup-actuator-snapshots".to_owned());
    if let Some(url) = url {
        return Some(LiveCluster { url, repo_location });
    }
    let in_ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
    let stage = std::env::var("BACKUP_ACTUATOR_LIVE_PRODUCTS").ok();
    let required = match &stage {
        Some(list) => list.split(',').any(|p| p.trim() == product.name()),
        None => true,
    };
    if in_ci && required {
        panic!(
            "CI=true and {var} is not set: the {} engine did not start, so this live test \
             cannot run (see scripts/real-cluster)",
            product.name()
        );
    }
    let reason = match stage {
        Some(list) if in_ci => format!("this stage proves [{list}] only"),
        _ => format!("{var} not set (start an engine with scripts/real-cluster)"),
    };
    // Past the test harness's capture, so a CI log shows every skip.
    let _ = writeln!(std::io::stderr(), "skipped: {reason}");
    None
}
