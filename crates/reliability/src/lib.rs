//! Shared pieces of the reliability tests: a store that records what the
//! service asks of it, and a one-call way to drive the service.
#![deny(missing_docs)]

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use backup_actuator_core::{SnapshotPart, SnapshotRecord};
use backup_actuator_store::{SnapshotStore, StoreError};
use bytes::Bytes;
use http::{Request, Response};
use http_body_util::{BodyExt, Full};
use tower::ServiceExt;

/// One call the service made to its store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StoreCall {
    /// `find_snapshots(repository, pattern)`
    Find(String),
    /// `create_snapshot(repository, part.name)`
    Create(String),
    /// `delete_snapshots(repository, names)`
    Delete(Vec<String>),
}

/// Wraps a store and records every call.
#[derive(Debug, Clone)]
pub struct RecordingStore<S> {
    inner: S,
    calls: Arc<Mutex<Vec<StoreCall>>>,
}

impl<S> RecordingStore<S> {
    /// Records the calls made to `inner`.
    pub fn new(inner: S) -> Self {
        RecordingStore {
            inner,
            calls: Arc::default(),
        }
    }

    /// Takes the calls recorded so far.
    pub fn take_calls(&self) -> Vec<StoreCall> {
        std::mem::take(&mut *self.calls.lock().unwrap())
    }

    fn record(&self, call: StoreCall) {
        self.calls.lock().unwrap().push(call);
    }
}

#[async_trait]
impl<S: SnapshotStore> SnapshotStore for RecordingStore<S> {
    async fn find_snapshots(
        &self,
        repository: &str,
        pattern: &str,
    ) -> Result<Vec<SnapshotRecord>, StoreError> {
        self.record(StoreCall::Find(pattern.to_owned()));
        self.inner.find_snapshots(repository, pattern).await
    }

    async fn create_snapshot(
        &self,
        repository: &str,
        part: &SnapshotPart,
    ) -> Result<(), StoreError> {
        self.record(StoreCall::Create(part.name.clone()));
        self.inner.create_snapshot(repository, part).await
    }

    async fn delete_snapshots(&self, repository: &str, names: &[String]) -> Result<(), StoreError> {
        self.record(StoreCall::Delete(names.to_vec()));
        self.inner.delete_snapshots(repository, names).await
    }

    fn describe(&self) -> String {
        format!("recording {}", self.inner.describe())
    }
}

/// Sends one request through a clone of `service`; returns status,
/// headers and the whole body.
pub async fn call<S>(service: &S, request: Request<Full<Bytes>>) -> (Response<()>, Bytes)
where
    S: tower::Service<Request<Full<Bytes>>, Error = std::convert::Infallible> + Clone,
    S::Response: Into<Response<backup_actuator_service::BackupBody>>,
{
    let response: Response<backup_actuator_service::BackupBody> =
        service.clone().oneshot(request).await.unwrap().into();
    let (parts, body) = response.into_parts();
    let bytes = body.collect().await.unwrap().to_bytes();
    (Response::from_parts(parts, ()), bytes)
}
