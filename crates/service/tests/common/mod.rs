//! Helpers shared by the service's contract tests.
#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use backup_actuator_core::{BackupPlan, SnapshotPart, SnapshotRecord};
use backup_actuator_service::{BackupService, BackupServiceBuilder};
use backup_actuator_store::{ManualClock, MemoryStore, SnapshotStore, StoreError};
use bytes::Bytes;
use http::{HeaderMap, Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use serde_json::Value;
use tower::ServiceExt;

pub(crate) const REPO: &str = "backups";

/// A memory store on a manual clock, snapshots completing after 2 s.
pub(crate) fn memory() -> (MemoryStore, ManualClock) {
    let clock = ManualClock::new(1_667_985_096_978);
    let store = MemoryStore::builder()
        .complete_after(Duration::from_secs(2))
        .clock(clock.clone())
        .build();
    (store, clock)
}

pub(crate) fn plan() -> BackupPlan {
    BackupPlan::optimize("8.6.0").unwrap()
}

pub(crate) fn builder(store: impl SnapshotStore) -> BackupServiceBuilder {
    // No follow-up after a 202: these tests count the store's calls, and a
    // follow-up's look-ups would land among them whenever a step is slow.
    BackupService::builder(Arc::new(store), plan())
        .repository(REPO)
        .follow_limit(Duration::ZERO)
}

/// A service with the repository `backups` over a fresh memory store.
pub(crate) fn service() -> (BackupService, MemoryStore, ManualClock) {
    let (store, clock) = memory();
    (builder(store.clone()).build(), store, clock)
}

/// What came back, read whole.
#[derive(Debug)]
pub(crate) struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Answer {
    pub(crate) fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", self.body))
    }

    pub(crate) fn content_type(&self) -> Option<&str> {
        self.headers
            .get("content-type")
            .map(|v| v.to_str().unwrap())
    }

    /// Asserts a JSON error body of SPEC §5.
    #[track_caller]
    pub(crate) fn assert_error(&self, status: u16, code: &str, detailed: &str) {
        assert_eq!(self.status.as_u16(), status, "status; body {}", self.body);
        assert_eq!(self.content_type(), Some("application/json"));
        let json = self.json();
        assert_eq!(json["errorCode"], code, "errorCode in {}", self.body);
        assert_eq!(
            json["detailedMessage"], detailed,
            "detailedMessage in {}",
            self.body
        );
        let expected_message = match code {
            "badRequestError" => "The server was unable to process the request.",
            "methodNotAllowedError" => "The request method is not supported for this resource.",
            "notFoundError" => "The server could not find the requested resource.",
            "conflict" => "Could not apply the changes due to conflicts.",
            "serverError" => "An internal server error occurred.",
            "elasticsearchConnectionError" => {
                "The server has encountered Elasticsearch connection issues."
            }
            "openSearchConnectionError" => {
                "The server has encountered OpenSearch connection issues."
            }
            other => panic!("unknown code {other}"),
        };
        assert_eq!(json["errorMessage"], expected_message);
    }

    #[track_caller]
    pub(crate) fn assert_json(&self, status: u16) -> Value {
        assert_eq!(self.status.as_u16(), status, "status; body {}", self.body);
        assert_eq!(self.content_type(), Some("application/json"));
        self.json()
    }
}

pub(crate) async fn send(service: &BackupService, method: &str, uri: &str, body: &str) -> Answer {
    let request = Request::builder()
        .method(Method::from_bytes(method.as_bytes()).unwrap())
        .uri(uri)
        .body(Full::new(Bytes::copy_from_slice(body.as_bytes())))
        .unwrap();
    send_request(service, request).await
}

pub(crate) async fn send_request<B>(service: &BackupService, request: Request<B>) -> Answer
where
    B: http_body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let response = service.clone().oneshot(request).await.unwrap();
    let (parts, body) = response.into_parts();
    let bytes = body.collect().await.unwrap().to_bytes();
    Answer {
        status: parts.status,
        headers: parts.headers,
        body: String::from_utf8(bytes.to_vec()).unwrap(),
    }
}

pub(crate) async fn get(service: &BackupService, uri: &str) -> Answer {
    send(service, "GET", uri, "").await
}

pub(crate) async fn post(service: &BackupService, body: &str) -> Answer {
    send(service, "POST", "/actuator/backups", body).await
}

pub(crate) async fn delete(service: &BackupService, uri: &str) -> Answer {
    send(service, "DELETE", uri, "").await
}

/// The store that records every call: one for the whole workspace, in the
/// store crate's `testing` module. (Not every test binary uses it.)
#[allow(unused_imports)]
pub(crate) use backup_actuator_store::testing::{RecordingStore, StoreCall as Call};

/// Creates snapshots in the store directly, as a cluster would hold them.
pub(crate) async fn put_snapshot(store: &MemoryStore, name: &str) {
    let plan = plan();
    let mut part = plan
        .snapshot_parts(backup_actuator_core::BackupId::new(1).unwrap())
        .remove(0);
    part.name = name.to_owned();
    store.create_snapshot(REPO, &part).await.unwrap();
}

/// A store whose every call fails with the same error.
#[derive(Clone, Debug)]
pub(crate) struct FailingStore(pub StoreError);

#[async_trait]
impl SnapshotStore for FailingStore {
    async fn find_snapshots(&self, _: &str, _: &str) -> Result<Vec<SnapshotRecord>, StoreError> {
        Err(self.0.clone())
    }

    async fn create_snapshot(&self, _: &str, _: &SnapshotPart) -> Result<(), StoreError> {
        Err(self.0.clone())
    }

    async fn delete_snapshots(&self, _: &str, _: &[String]) -> Result<(), StoreError> {
        Err(self.0.clone())
    }

    fn describe(&self) -> String {
        "failing".into()
    }
}
