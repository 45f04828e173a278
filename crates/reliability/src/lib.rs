//! Shared pieces of the reliability tests: a store that records what the
//! service asks of it, and a one-call way to drive the service.
#![deny(missing_docs)]

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::{BodyExt, Full};
use tower::ServiceExt;

/// The store that records every call, shared with the service's tests.
pub use backup_actuator_store::testing::{RecordingStore, StoreCall};

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
