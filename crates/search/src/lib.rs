//! A snapshot store on Elasticsearch or OpenSearch: [`ClusterStore`]
//! implements [`SnapshotStore`](backup_actuator_store::SnapshotStore) over
//! one HTTP transport (`reqwest` with rustls, which never follows a
//! redirect). One builder,
//! [`ClusterStore::builder`], takes the product as a value; the product and
//! version the cluster reports choose the dialect (what is sent, how
//! answers read), whose every quirk is listed with its versions in
//! `dialect.rs`.
//!
//! What each operation sends (SPEC §6):
//!
//! | Operation | Request |
//! |---|---|
//! | first use | `GET /` once: product (`version.distribution`) and version, kept |
//! | find | `GET /_snapshot/{repo}/{pattern}` with [`SNAPSHOT_FILTER_PATH`] and `ignore_unavailable=true`; `index_names=false` on ES ≥ 8.3; `size` (+ `after` from `next`) on ES ≥ 7.14 |
//! | find names and states | the same with `verbose=false` and [`SNAPSHOT_STATES_FILTER_PATH`], never `size` (refused with `verbose=false`): one request on every version |
//! | create | `PUT /_snapshot/{repo}/{name}?wait_for_completion=false` with `{"indices", "include_global_state": false, "metadata"}` |
//! | delete | `DELETE /_snapshot/{repo}/{a},{b}`, waiting for the acknowledgement |
//!
//! Answers are read into typed, tolerant models (unknown keys skipped,
//! strings borrowed), and errors are told apart by status and JSON `type`:
//!
//! | Answer | Result |
//! |---|---|
//! | find: 404 `snapshot_missing_exception`, or 200 `[]` | `Ok(vec![])` |
//! | 404 `repository_missing_exception` | [`StoreError::RepositoryMissing`](backup_actuator_store::StoreError::RepositoryMissing) |
//! | create: 400 `invalid_snapshot_name_exception` / `snapshot_name_already_in_use_exception` with "snapshot with the same name" | `NameInUse` |
//! | delete: 404 `snapshot_missing_exception` | `SnapshotMissing` (the name of `[repo:name] is missing`) |
//! | any other error status | `Cluster` with `type: reason`, or the first 200 characters of a non-JSON body (AWS: its `Message`) |
//! | refused, reset, closed mid-answer, DNS, TLS, timeout | `Unreachable` |
//! | a complete 2xx answer that cannot be read | `Unreadable` |
//! | any 3xx (never followed) | `Cluster` naming the status and the `Location` host only |
//!
//! Every answer is redacted whole before it is read, and every transport
//! error before it becomes a message: a configured credential that the
//! cluster or a proxy echoes, in any of its encodings (as given,
//! percent-encoded, JSON-escaped, base64, base64 of `user:password`, an
//! 8-character base64 fragment), reads `[redacted]`, and `user:password@`
//! is removed from URLs.
//!
//! ```no_run
//! use std::sync::Arc;
//! use backup_actuator_core::Product;
//! use backup_actuator_search::ClusterStore;
//! use backup_actuator_store::SnapshotStore;
//!
//! # fn main() -> Result<(), backup_actuator_search::ConfigError> {
//! let product = if std::env::var("USE_OPENSEARCH").is_ok() {
//!     Product::OpenSearch
//! } else {
//!     Product::Elasticsearch
//! };
//! let store: Arc<dyn SnapshotStore> = Arc::new(
//!     ClusterStore::builder(product, "https://localhost:9200")
//!         .basic_auth("backup", "changeme")
//!         .build()?,
//! );
//! # let _ = store;
//! # Ok(())
//! # }
//! ```
//!
//! The builder takes the same settings for both products, except the
//! Elasticsearch API key, which [`ClusterStoreBuilder::build`] refuses for
//! OpenSearch ([`ConfigError::ApiKeyNotSupported`]).
//!
//! Restore (SPEC §12), [`ClusterStore::restore_plan`] and
//! [`ClusterStore::restore_backup`] (see [`RestorePlan`]):
//!
//! | Step | Request |
//! |---|---|
//! | read the backup | `GET _snapshot/{repo}/{prefix}_{id}_*` (as GET one); not COMPLETE is [`RestoreError::NotComplete`] |
//! | its indices | `GET _snapshot/{repo}/{part},{part}` (the `indices` of each part) |
//! | which exist | `HEAD /{index}` for each |
//! | `delete_existing` | `DELETE /{index}` for each index that exists, else [`RestoreError::IndicesExist`] |
//! | each part, in order | `POST _snapshot/{repo}/{part}/_restore` with `{"indices", "include_global_state": false}`, plus `rename_pattern` / `rename_replacement` under a [`RestoreSelection`] that renames |
//! | wait for it | `GET _cluster/health/{indices}?level=indices` until none is red |
//! | final check | `HEAD /{index}` and the health of every restored index: at least yellow |
//!
//! Verify (SPEC §13), [`ClusterStore::verify_backup`] on the cluster that
//! runs the drill, with a [`RestorePlan`] read from any cluster that has the
//! repository; [`ClusterStore::newest_complete_backup`] finds `latest`:
//!
//! | Step | Request |
//! |---|---|
//! | scratch names free | `HEAD /verify-{id}-{index}` for each, else [`VerifyError::ScratchExists`] |
//! | room check | `GET _snapshot/{repo}/{part},{part}/_status` (`stats.total.size_in_bytes`), `GET _nodes/stats/fs` (`available_in_bytes` of the data nodes); the largest part must fit, else [`VerifyError::NoRoom`] |
//! | each part, in order | `POST _snapshot/{repo}/{part}/_restore` with `{"indices", "include_global_state": false, "include_aliases": false, "rename_pattern": "^(.+)$", "rename_replacement": "verify-{id}-$1", "index_settings": {"index.number_of_replicas": 0}}` |
//! | wait for it | `GET _cat/shards/{scratch,…}?format=json` until every primary is `STARTED`; `unassigned.reason` `ALLOCATION_FAILED` is [`VerifyError::NotRestorable`] with `unassigned.details` |
//! | read back | `GET {scratch,…}/_recovery` (bytes restored into the primaries), `GET {scratch}/_count`, `GET {scratch}/_search?size=1` |
//! | clean up | `DELETE /{scratch}` for each, after each part and again at the end, whatever happened |
//!
//! Limits: a client certificate must be PEM (key and certificate in one
//! file); PKCS#12 is not supported with rustls. Certificate checks cannot be
//! switched off. The transport follows the system's proxy settings
//! (`HTTPS_PROXY`, `NO_PROXY`).
//!
//! Feature `aws-auth`: SigV4 signing for Amazon OpenSearch Service
//! (`aws_sigv4(region)` on the builder, for either product).
#![deny(missing_docs)]

mod client;
mod config;
mod dialect;
mod error;
mod model;
mod redact;
mod restore;
mod store;
mod transport;
mod verify;

pub use config::{ConfigError, DEFAULT_PAGE_SIZE};
pub use dialect::{ClusterInfo, SNAPSHOT_FILTER_PATH, SNAPSHOT_STATES_FILTER_PATH};
pub use redact::{Credential, RedactedText, Redactor};
pub use restore::{
    RestoreError, RestoreEvent, RestoreOptions, RestorePart, RestorePlan, RestoreSelection,
    RestoredIndex,
};
pub use store::{ClusterStore, ClusterStoreBuilder};
pub use verify::{
    scratch_index_name, UnrestorableShard, VerifiedIndex, VerifyError, VerifyEvent, VerifyOptions,
    VerifyReport,
};

use backup_actuator_core::SnapshotRecord;

/// Reads one answer of `GET _snapshot/{repo}/{names}`, of any flavor, into
/// snapshot records: what the stores do with every page they fetch. `None`
/// if the body is not such an answer.
///
/// Useful for tests against recorded cluster answers, and it is what the
/// list benchmark measures.
///
/// ```
/// let body = br#"{"snapshots":[{"snapshot":"camunda_optimize_1_8.6.0_part_1_of_2",
///     "uuid":"x","state":"SUCCESS","start_time_in_millis":1731585600123,"failures":[],
///     "indices":["optimize-a","optimize-b"]}],"total":1,"remaining":0}"#;
/// let records = backup_actuator_search::read_snapshot_list(body).unwrap();
/// assert_eq!(records[0].name, "camunda_optimize_1_8.6.0_part_1_of_2");
/// assert_eq!(records[0].start_time_millis, Some(1731585600123));
/// assert!(backup_actuator_search::read_snapshot_list(b"{}").is_none());
/// ```
pub fn read_snapshot_list(body: &[u8]) -> Option<Vec<SnapshotRecord>> {
    let answer: model::GetSnapshotsResponse<'_> = serde_json::from_slice(body).ok()?;
    Some(
        answer
            .into_snapshots()?
            .into_iter()
            .map(model::SnapshotInfo::into_record)
            .collect(),
    )
}
