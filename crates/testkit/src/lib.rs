//! An in-process HTTP emulator of the Elasticsearch / OpenSearch snapshot REST API.
//!
//! [`EmulatedCluster::start`] binds `127.0.0.1:0` and answers like the real server of the
//! chosen [`Flavor`] (Elasticsearch 7.10, 7.17, 8.13, 8.15, 9.1; OpenSearch 1.3, 2.11, 3.1),
//! following the project's wire reference (`es-os-snapshot-wire.md`, cited as `§n` in the
//! sources): `GET /`, `_snapshot` repositories, snapshot create/get/delete/status, the error
//! envelope, product headers, content types, unknown-parameter errors, paging, and an
//! optional 401. Tests steer it with a controllable [`EmulatorClock`], [`SnapshotRule`]s
//! (FAILED / PARTIAL / INCOMPATIBLE / refused creates), [`SeededSnapshot`]s and
//! [`Fault`]s (delays, arbitrary answers, closed connections, truncated or malformed bodies),
//! and inspect what was sent with [`EmulatedCluster::requests`].
//!
//! ```
//! use backup_actuator_testkit::{EmulatedCluster, Flavor, SnapshotRule};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> std::io::Result<()> {
//! let cluster = EmulatedCluster::start(Flavor::OpenSearch2).await?;
//! cluster.add_repository("camunda_backup");
//! cluster.add_rule(SnapshotRule::fail("*_part_2_of_2", "disk full"));
//! // …point the code under test at cluster.url()…
//! assert!(cluster.requests().is_empty());
//! # Ok(())
//! # }
//! ```
#![deny(missing_docs)]

mod api;
mod clock;
mod cluster;
mod datemath;
mod flavor;
mod glob;
mod http;
mod json;
pub mod live;
mod live_admin;
mod live_answer;
mod model;
mod refusing;
mod state;
mod url;

pub use clock::EmulatorClock;
pub use cluster::EmulatedCluster;
pub use flavor::Flavor;
pub use model::{
    EmulatedShardFailure, EmulatedSnapshotState, Fault, FaultKind, RecordedRequest, RuleOutcome,
    SeededSnapshot, SnapshotRule,
};
pub use refusing::RefusingPort;
