//! Typed, tolerant serde models of the cluster's answers (wire reference §8).
//!
//! Every field the store does not need is left out (serde skips unknown keys
//! without building a tree), every field it reads is optional unless nothing
//! can be done without it (a snapshot's name), and strings are borrowed from
//! the answer where they carry no escapes.

use std::borrow::Cow;

use backup_actuator_core::{PartMetadata, ShardFailure, SnapshotRecord, SnapshotState};
use serde::{Deserialize, Serialize};

/// `GET /`: only the version block is read.
#[derive(Debug, Deserialize)]
pub(crate) struct RootResponse<'a> {
    #[serde(borrow)]
    pub version: Option<RootVersion<'a>>,
}

/// `GET /` → `version`.
#[derive(Debug, Deserialize)]
pub(crate) struct RootVersion<'a> {
    /// `"8.15.3"`, `"2.11.0"` (or `"7.10.2"` on OpenSearch 1.x in compatibility mode).
    #[serde(borrow)]
    pub number: Option<Cow<'a, str>>,
    /// `"opensearch"` on OpenSearch, absent on Elasticsearch.
    #[serde(borrow)]
    pub distribution: Option<Cow<'a, str>>,
}

/// `GET /_snapshot/{repo}/{names}` (§4.2): the flat `snapshots` list of every
/// released version, or the `responses` wrapper of unreleased 8.0 builds.
#[derive(Debug, Deserialize)]
pub(crate) struct GetSnapshotsResponse<'a> {
    #[serde(borrow)]
    pub snapshots: Option<Vec<SnapshotInfo<'a>>>,
    #[serde(borrow)]
    pub responses: Option<Vec<RepositorySnapshots<'a>>>,
    /// ES ≥ 7.14: the `after` value of the next page, present while `remaining > 0`.
    #[serde(borrow)]
    pub next: Option<Cow<'a, str>>,
    /// ES ≥ 7.15: matches not yet returned.
    pub remaining: Option<i64>,
    /// ES ≥ 7.15: every match. Read only to tell a filtered empty page
    /// (`{"total":0,"remaining":0}`) from an answer of another shape.
    pub total: Option<i64>,
}

impl<'a> GetSnapshotsResponse<'a> {
    /// The snapshots of the answer, or `None` for an answer of another shape.
    pub(crate) fn into_snapshots(self) -> Option<Vec<SnapshotInfo<'a>>> {
        match (self.snapshots, self.responses) {
            (Some(snapshots), _) => Some(snapshots),
            (None, Some(responses)) => Some(
                responses
                    .into_iter()
                    .flat_map(|r| r.snapshots.unwrap_or_default())
                    .collect(),
            ),
            (None, None) => None,
        }
    }
}

/// One entry of the pre-release `responses` wrapper (§4.2, §10.14).
#[derive(Debug, Deserialize)]
pub(crate) struct RepositorySnapshots<'a> {
    #[serde(borrow)]
    pub snapshots: Option<Vec<SnapshotInfo<'a>>>,
}

/// One SnapshotInfo (§4.4): only what a [`SnapshotRecord`] needs.
#[derive(Debug, Deserialize)]
pub(crate) struct SnapshotInfo<'a> {
    #[serde(borrow)]
    pub snapshot: Cow<'a, str>,
    #[serde(borrow)]
    pub state: Option<Cow<'a, str>>,
    pub start_time_in_millis: Option<i64>,
    #[serde(borrow)]
    pub failures: Option<Vec<Option<WireShardFailure<'a>>>>,
    /// The user metadata, kept unparsed: a foreign snapshot may carry any
    /// JSON there, and nothing in it may fail the answer.
    #[serde(borrow)]
    pub metadata: Option<&'a serde_json::value::RawValue>,
}

/// The one metadata field the store reads.
#[derive(Debug, Deserialize)]
struct WireMetadata {
    trigger: Option<serde_json::Value>,
}

/// `metadata.trigger` when the metadata is an object and the trigger a
/// string; anything else is no trigger.
fn metadata_trigger(metadata: Option<&serde_json::value::RawValue>) -> Option<String> {
    let parsed: WireMetadata = serde_json::from_str(metadata?.get()).ok()?;
    match parsed.trigger? {
        serde_json::Value::String(trigger) => Some(trigger),
        _ => None,
    }
}

impl SnapshotInfo<'_> {
    /// The record the store reports. A missing `state` (only possible with
    /// `verbose=false`, which this crate never sends) reads as the unknown
    /// state `UNKNOWN`, which counts as a failure.
    pub(crate) fn into_record(self) -> SnapshotRecord {
        let trigger = metadata_trigger(self.metadata);
        SnapshotRecord {
            trigger,
            name: self.snapshot.into_owned(),
            state: SnapshotState::from_wire(self.state.as_deref().unwrap_or("UNKNOWN")),
            start_time_millis: self.start_time_in_millis,
            failures: self
                .failures
                .unwrap_or_default()
                .into_iter()
                .flatten()
                .map(WireShardFailure::into_failure)
                .collect(),
        }
    }
}

/// A shard failure (§4.4.1): `{"index", "index_uuid", "shard_id", "reason", "node_id"?, "status"}`.
#[derive(Debug, Deserialize)]
pub(crate) struct WireShardFailure<'a> {
    #[serde(borrow)]
    pub index: Option<Cow<'a, str>>,
    pub shard_id: Option<i64>,
    #[serde(borrow)]
    pub reason: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pub node_id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pub status: Option<Cow<'a, str>>,
}

impl WireShardFailure<'_> {
    fn into_failure(self) -> ShardFailure {
        ShardFailure {
            index: self.index.map(Cow::into_owned),
            shard_id: self.shard_id,
            reason: self.reason.map(Cow::into_owned),
            node_id: self.node_id.map(Cow::into_owned),
            status: self.status.map(Cow::into_owned),
        }
    }
}

/// The body of a create request (§3).
#[derive(Debug, Serialize)]
pub(crate) struct CreateBody<'a> {
    pub indices: &'a [String],
    pub include_global_state: bool,
    pub metadata: &'a PartMetadata,
}

/// `PUT /_snapshot/{repo}/{name}` answers: `{"accepted":true}` without
/// waiting, `{"snapshot":{…}}` when waiting (tolerated, never asked for).
#[derive(Debug, Deserialize)]
pub(crate) struct CreateResponse {
    pub accepted: Option<bool>,
    pub snapshot: Option<serde::de::IgnoredAny>,
}

impl CreateResponse {
    pub(crate) fn is_accepted(&self) -> bool {
        self.accepted == Some(true) || self.snapshot.is_some()
    }
}

/// `DELETE` and repository `PUT` answers: `{"acknowledged":true}`.
#[derive(Debug, Deserialize)]
pub(crate) struct AcknowledgedResponse {
    pub acknowledged: Option<bool>,
}

/// Any error body worth reading (§1.1, §9): the envelope, the string-error
/// form (406), or AWS' `{"Message": …}`.
#[derive(Debug, Deserialize)]
pub(crate) struct ErrorResponse {
    pub error: Option<ErrorField>,
    #[serde(rename = "Message")]
    pub aws_message: Option<String>,
}

/// `error` is an object in the envelope and a string in the 406 answer.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(crate) enum ErrorField {
    Cause(ErrorCause),
    // Read only to tell the two forms apart; the detail is the body excerpt.
    Text(#[allow(dead_code)] String),
}

/// `error.type` and `error.reason` of the envelope.
#[derive(Debug, Deserialize)]
pub(crate) struct ErrorCause {
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub reason: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn records(body: &str) -> Vec<SnapshotRecord> {
        serde_json::from_str::<GetSnapshotsResponse<'_>>(body)
            .unwrap()
            .into_snapshots()
            .unwrap()
            .into_iter()
            .map(SnapshotInfo::into_record)
            .collect()
    }

    /// §4.3, ES 8.15, pretty-printed as in the reference.
    const ES_8_15: &str = r#"{
      "snapshots": [
        {
          "snapshot": "camunda_optimize_20241114_8.6.0_part_1_of_2",
          "uuid": "Wb7b0_zVRH207wPtuMOy-w",
          "repository": "camunda_backup",
          "version_id": 8512000,
          "version": "8512000",
          "indices": ["optimize-import-index_v3", "optimize-timestamp-based-import-index_v5", "optimize-position-based-import-index_v3"],
          "data_streams": [],
          "include_global_state": false,
          "metadata": {"backupId": 20241114, "version": "8.6.0", "partNo": 1, "partCount": 2},
          "state": "SUCCESS",
          "start_time": "2024-11-14T12:00:00.123Z",
          "start_time_in_millis": 1731585600123,
          "end_time": "2024-11-14T12:00:00.511Z",
          "end_time_in_millis": 1731585600511,
          "duration_in_millis": 388,
          "failures": [],
          "shards": { "total": 3, "failed": 0, "successful": 3 },
          "feature_states": []
        }
      ],
      "total": 1,
      "remaining": 0
    }"#;

    #[test]
    fn es_8_15_snapshot_reads_name_state_time_and_no_failures() {
        let found = records(ES_8_15);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].name, "camunda_optimize_20241114_8.6.0_part_1_of_2");
        assert_eq!(found[0].state, SnapshotState::Success);
        assert_eq!(found[0].start_time_millis, Some(1731585600123));
        assert!(found[0].failures.is_empty());
    }

    #[test]
    fn names_are_borrowed_from_the_answer_when_unescaped() {
        let parsed: GetSnapshotsResponse<'_> = serde_json::from_str(ES_8_15).unwrap();
        let snapshots = parsed.into_snapshots().unwrap();
        assert!(matches!(snapshots[0].snapshot, Cow::Borrowed(_)));
        let escaped = r#"{"snapshots":[{"snapshot":"a\u0062c","state":"SUCCESS"}]}"#;
        assert_eq!(records(escaped)[0].name, "abc");
    }

    /// §4.4 order of ES 7.10 / OpenSearch 1.x, compact, with a shard failure
    /// whose `index_uuid` holds the index name (§10.4) and no `node_id`.
    const ES_7_10_PARTIAL: &str = r#"{"snapshots":[{"snapshot":"camunda_optimize_7_3.10.0_part_2_of_2","uuid":"dKb54xw67gvdRctLCxSteQ","version_id":7100299,"version":"7.10.2","indices":["optimize-report"],"data_streams":[],"include_global_state":false,"state":"PARTIAL","start_time":"2024-11-14T12:00:00.123Z","start_time_in_millis":1731585600123,"end_time":"2024-11-14T12:00:01.000Z","end_time_in_millis":1731585601000,"duration_in_millis":877,"failures":[{"index":"optimize-report","index_uuid":"optimize-report","shard_id":0,"reason":"primary shard is not allocated","status":"INTERNAL_SERVER_ERROR"},{"index":"optimize-report","index_uuid":"optimize-report","shard_id":1,"reason":"IndexShardSnapshotFailedException[boom]","node_id":"x1Yh3Yc_QZWt0dRsVtXz5A","status":"INTERNAL_SERVER_ERROR"}],"shards":{"total":2,"failed":2,"successful":0}}]}"#;

    #[test]
    fn es_7_10_partial_snapshot_keeps_every_shard_failure() {
        let found = records(ES_7_10_PARTIAL);
        assert_eq!(found[0].state, SnapshotState::Partial);
        assert_eq!(
            found[0].failures,
            vec![
                ShardFailure {
                    index: Some("optimize-report".into()),
                    shard_id: Some(0),
                    reason: Some("primary shard is not allocated".into()),
                    node_id: None,
                    status: Some("INTERNAL_SERVER_ERROR".into()),
                },
                ShardFailure {
                    index: Some("optimize-report".into()),
                    shard_id: Some(1),
                    reason: Some("IndexShardSnapshotFailedException[boom]".into()),
                    node_id: Some("x1Yh3Yc_QZWt0dRsVtXz5A".into()),
                    status: Some("INTERNAL_SERVER_ERROR".into()),
                },
            ]
        );
    }

    /// OpenSearch 2.11 (§4.3/§4.4): no repository, `remote_store_index_shallow_copy`
    /// and `pinned_timestamp`, an in-progress snapshot with epoch-0 `end_time` (§4.4.3).
    const OS_2_11_IN_PROGRESS: &str = r#"{"snapshots":[{"snapshot":"camunda_optimize_9_8.6.0_part_1_of_2","uuid":"R5_AuiaHSEi4J0X2RvTBSw","version_id":136327827,"version":"2.11.0","remote_store_index_shallow_copy":false,"pinned_timestamp":1731585600000,"indices":["optimize-position-based-import-index"],"data_streams":[],"include_global_state":false,"metadata":{"backupId":9,"version":"8.6.0","partNo":1,"partCount":2},"state":"IN_PROGRESS","start_time":"2024-11-14T12:00:00.123Z","start_time_in_millis":1731585600123,"end_time":"1970-01-01T00:00:00.000Z","end_time_in_millis":0,"duration_in_millis":0,"failures":[],"shards":{"total":0,"failed":0,"successful":0}}]}"#;

    #[test]
    fn opensearch_2_11_in_progress_snapshot_is_read() {
        let found = records(OS_2_11_IN_PROGRESS);
        assert_eq!(found[0].state, SnapshotState::InProgress);
        assert_eq!(found[0].start_time_millis, Some(1731585600123));
    }

    /// ES 9 / 8.14+: nothing matched is 200 with an empty list (§4.5).
    #[test]
    fn es_9_empty_answer_is_no_snapshots() {
        assert!(records(r#"{"snapshots":[],"total":0,"remaining":0}"#).is_empty());
    }

    /// ES 7.17 with a `next` cursor (§4.2) and top-level `failures` map (§10.13).
    #[test]
    fn es_7_17_page_with_next_and_failures_map() {
        let body = r#"{"snapshots":[{"snapshot":"a","uuid":"u","repository":"r","state":"FAILED","reason":"Snapshot was aborted by deletion","start_time_in_millis":5,"failures":[],"feature_states":[{"feature_name":"geoip","indices":[".geoip_databases"]}]}],"failures":{},"next":"YSxyLGE=","total":3,"remaining":2}"#;
        let parsed: GetSnapshotsResponse<'_> = serde_json::from_str(body).unwrap();
        assert_eq!(parsed.next.as_deref(), Some("YSxyLGE="));
        assert_eq!(parsed.remaining, Some(2));
        let found = parsed.into_snapshots().unwrap();
        assert_eq!(found[0].state.as_deref(), Some("FAILED"));
    }

    #[test]
    fn unknown_and_legacy_states_are_kept() {
        let body = r#"{"snapshots":[{"snapshot":"a","state":"ABORTING"},{"snapshot":"b","state":"INCOMPATIBLE"},{"snapshot":"c"}]}"#;
        let found = records(body);
        assert_eq!(found[0].state, SnapshotState::Unknown("ABORTING".into()));
        assert_eq!(found[1].state, SnapshotState::Incompatible);
        assert_eq!(found[2].state, SnapshotState::Unknown("UNKNOWN".into()));
        assert_eq!(found[2].start_time_millis, None);
    }

    /// Snapshots written before ES 6 may hold `null` (§4.4.1).
    #[test]
    fn nulls_in_failures_are_tolerated() {
        let body = r#"{"snapshots":[{"snapshot":"a","state":"PARTIAL","start_time_in_millis":null,"failures":[null,{"index":null,"index_uuid":null,"shard_id":3,"reason":null,"status":null}]}]}"#;
        let found = records(body);
        assert_eq!(found[0].failures.len(), 1);
        assert_eq!(found[0].failures[0].shard_id, Some(3));
        assert_eq!(found[0].failures[0].reason, None);
    }

    /// The `responses` wrapper of unreleased 8.0 builds (§4.2).
    #[test]
    fn responses_wrapper_is_tolerated() {
        let body = r#"{"responses":[{"repository":"r","snapshots":[{"snapshot":"a","state":"SUCCESS"}]}]}"#;
        assert_eq!(records(body)[0].name, "a");
    }

    #[test]
    fn wrong_shapes_are_not_snapshot_lists() {
        let other: GetSnapshotsResponse<'_> =
            serde_json::from_str(r#"{"acknowledged":true}"#).unwrap();
        assert!(other.into_snapshots().is_none());
        assert!(serde_json::from_str::<GetSnapshotsResponse<'_>>(r#"{"snapshots":{}}"#).is_err());
        assert!(serde_json::from_str::<GetSnapshotsResponse<'_>>(
            r#"{"snapshots":[{"state":"SUCCESS"}]}"#
        )
        .is_err());
        assert!(serde_json::from_str::<GetSnapshotsResponse<'_>>(
            r#"{"snapshots":[{"snapshot":"a","start_time_in_millis":"x"}]}"#
        )
        .is_err());
        assert!(serde_json::from_str::<GetSnapshotsResponse<'_>>(r#"[]"#).is_err());
        assert!(serde_json::from_str::<GetSnapshotsResponse<'_>>(
            r#"{"snapshots":[{"snapshot":"a""#
        )
        .is_err());
    }

    #[test]
    fn root_of_elasticsearch_and_opensearch() {
        let es = r#"{"name":"es-node-0","cluster_name":"docker-cluster","cluster_uuid":"x","version":{"number":"8.3.3","build_flavor":"default","build_type":"docker","build_hash":"801fed82df74dbe537f89b71b098ccaff88d2c56","build_date":"2022-07-23T19:30:09.227964828Z","build_snapshot":false,"lucene_version":"9.2.0","minimum_wire_compatibility_version":"7.17.0","minimum_index_compatibility_version":"7.0.0"},"tagline":"You Know, for Search"}"#;
        let root: RootResponse<'_> = serde_json::from_str(es).unwrap();
        let version = root.version.unwrap();
        assert_eq!(version.number.as_deref(), Some("8.3.3"));
        assert_eq!(version.distribution, None);

        let os = r#"{"name":"n","cluster_name":"c","cluster_uuid":"x","version":{"distribution":"opensearch","number":"2.11.0","build_type":"tar","build_hash":"h","build_date":"d","build_snapshot":false,"lucene_version":"9.7.0","minimum_wire_compatibility_version":"7.10.0","minimum_index_compatibility_version":"7.0.0"},"tagline":"The OpenSearch Project: https://opensearch.org/"}"#;
        let root: RootResponse<'_> = serde_json::from_str(os).unwrap();
        assert_eq!(
            root.version.unwrap().distribution.as_deref(),
            Some("opensearch")
        );
    }

    #[test]
    fn create_body_has_the_spec_shape() {
        let metadata = PartMetadata {
            backup_id: backup_actuator_core::BackupId::new(123456).unwrap(),
            version: "3.10.0".into(),
            part_no: 1,
            part_count: 2,
            trigger: None,
        };
        let indices = vec!["optimize-a".to_string(), "optimize-b".to_string()];
        let body = serde_json::to_string(&CreateBody {
            indices: &indices,
            include_global_state: false,
            metadata: &metadata,
        })
        .unwrap();
        assert_eq!(
            body,
            r#"{"indices":["optimize-a","optimize-b"],"include_global_state":false,"metadata":{"backupId":123456,"version":"3.10.0","partNo":1,"partCount":2}}"#
        );
    }

    #[test]
    fn metadata_trigger_is_read_and_anything_odd_in_metadata_is_no_trigger() {
        let body = r#"{"snapshots":[
          {"snapshot":"a","state":"SUCCESS","metadata":{"backupId":1,"trigger":"schedule"}},
          {"snapshot":"b","state":"SUCCESS","metadata":{"backupId":1,"partNo":1}},
          {"snapshot":"c","state":"SUCCESS","metadata":{"trigger":{"nested":true}}},
          {"snapshot":"d","state":"SUCCESS","metadata":null},
          {"snapshot":"e","state":"SUCCESS","metadata":["trigger","schedule"]},
          {"snapshot":"f","state":"SUCCESS","metadata":{"trigger":"slm","policy":"nightly"}},
          {"snapshot":"g","state":"SUCCESS"}
        ]}"#;
        let parsed: GetSnapshotsResponse<'_> = serde_json::from_str(body).unwrap();
        let triggers: Vec<Option<String>> = parsed
            .into_snapshots()
            .unwrap()
            .into_iter()
            .map(|s| s.into_record().trigger)
            .collect();
        assert_eq!(
            triggers,
            [
                Some("schedule".to_owned()),
                None,
                None,
                None,
                None,
                Some("slm".to_owned()),
                None
            ]
        );
    }

    #[test]
    fn create_body_carries_the_trigger_of_a_scheduled_part() {
        let plan = backup_actuator_core::BackupPlan::optimize("8.6.0").unwrap();
        let part = &plan.snapshot_parts_triggered_by(
            backup_actuator_core::BackupId::new(20260101000000).unwrap(),
            backup_actuator_core::Trigger::Schedule,
        )[0];
        let body = serde_json::to_string(&CreateBody {
            indices: &part.indices,
            include_global_state: false,
            metadata: &part.metadata,
        })
        .unwrap();
        assert!(
            body.ends_with(r#""metadata":{"backupId":20260101000000,"version":"8.6.0","partNo":1,"partCount":2,"trigger":"schedule"}}"#),
            "{body}"
        );
    }

    #[test]
    fn create_and_delete_answers() {
        let accepted: CreateResponse = serde_json::from_str(r#"{"accepted":true}"#).unwrap();
        assert!(accepted.is_accepted());
        let waited: CreateResponse =
            serde_json::from_str(r#"{"snapshot":{"snapshot":"a","state":"SUCCESS"}}"#).unwrap();
        assert!(waited.is_accepted());
        let other: CreateResponse = serde_json::from_str(r#"{"acknowledged":true}"#).unwrap();
        assert!(!other.is_accepted());
        let ack: AcknowledgedResponse = serde_json::from_str(r#"{"acknowledged":true}"#).unwrap();
        assert_eq!(ack.acknowledged, Some(true));
    }

    #[test]
    fn error_bodies_of_every_kind() {
        let envelope = r#"{"error":{"root_cause":[{"type":"repository_missing_exception","reason":"[camunda_backup] missing"}],"type":"repository_missing_exception","reason":"[camunda_backup] missing"},"status":404}"#;
        let parsed: ErrorResponse = serde_json::from_str(envelope).unwrap();
        match parsed.error {
            Some(ErrorField::Cause(cause)) => {
                assert_eq!(cause.kind.as_deref(), Some("repository_missing_exception"));
                assert_eq!(cause.reason.as_deref(), Some("[camunda_backup] missing"));
            }
            other => panic!("{other:?}"),
        }
        let text = r#"{"error":"Content-Type header [application/vnd.elasticsearch+json; compatible-with=8] is not supported","status":406}"#;
        assert!(matches!(
            serde_json::from_str::<ErrorResponse>(text).unwrap().error,
            Some(ErrorField::Text(_))
        ));
        let aws = r#"{"Message":"User: anonymous is not authorized to perform: es:ESHttpGet"}"#;
        assert_eq!(
            serde_json::from_str::<ErrorResponse>(aws)
                .unwrap()
                .aws_message
                .as_deref(),
            Some("User: anonymous is not authorized to perform: es:ESHttpGet")
        );
    }
}
