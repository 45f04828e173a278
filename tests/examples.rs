//! Runs the setup code of `examples/` — the very same functions their
//! `main` serves — over real TCP connections.

#[path = "../examples/axum_mount.rs"]
#[allow(dead_code)]
mod axum_mount;

#[path = "../examples/hyper_listener.rs"]
#[allow(dead_code)]
mod hyper_listener;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use backup_actuator::store::ManualClock;
use backup_actuator::{MemoryStore, SnapshotStore};
use bytes::Bytes;
use http::{Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tower::ServiceExt;

/// A memory store whose snapshots complete when the test moves the clock.
fn store() -> (Arc<dyn SnapshotStore>, ManualClock) {
    let clock = ManualClock::new(0);
    let store = MemoryStore::builder()
        .complete_after(Duration::from_secs(2))
        .clock(clock.clone())
        .build();
    (Arc::new(store), clock)
}

/// One HTTP/1.1 request on a fresh connection.
async fn request(addr: SocketAddr, method: &str, path: &str, body: &str) -> (StatusCode, String) {
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(connection);
    let request = Request::builder()
        .method(method)
        .uri(path)
        .header("host", addr.to_string())
        .body(Full::new(Bytes::copy_from_slice(body.as_bytes())))
        .unwrap();
    let response = sender.send_request(request).await.unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8(bytes.to_vec()).unwrap())
}

/// The tour every example must pass: trigger, watch, list, delete.
async fn tour(addr: SocketAddr, clock: &ManualClock) {
    let (status, body) = request(addr, "POST", "/actuator/backups", r#"{"backupId": 7}"#).await;
    assert_eq!(status, 202, "{body}");
    let (status, body) = request(addr, "GET", "/actuator/backups/7", "").await;
    assert_eq!(status, 200, "{body}");
    let json: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["state"], "IN_PROGRESS");
    clock.advance(Duration::from_secs(2));
    let (_, body) = request(addr, "GET", "/actuator/backups/7", "").await;
    let json: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["state"], "COMPLETE");
    let (status, body) = request(addr, "GET", "/actuator/backups", "").await;
    assert_eq!(status, 200);
    let list: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(
        request(addr, "DELETE", "/actuator/backups/7", "").await.0,
        204
    );
    let (status, body) = request(addr, "GET", "/actuator/backups/7", "").await;
    assert_eq!(status, 404);
    assert!(
        body.contains("No backup with ID [7] could be found."),
        "{body}"
    );
}

#[tokio::test]
async fn axum_mount_example_serves_the_tour_under_actuator() {
    let (store, clock) = store();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        axum::serve(listener, axum_mount::management_app(store))
            .await
            .unwrap();
    });
    tour(addr, &clock).await;
    assert_eq!(request(addr, "GET", "/actuator/health", "").await.0, 200);
    let (status, body) = request(addr, "GET", "/actuator/backups/7/extra", "").await;
    assert_eq!(status, 404);
    assert!(body.contains("notFoundError"), "{body}");
    server.abort();
}

#[tokio::test]
async fn axum_mount_example_layered_router_serves_the_tour() {
    let (store, clock) = store();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        axum::serve(listener, axum_mount::layered_management_app(store))
            .await
            .unwrap();
    });
    tour(addr, &clock).await;
    assert_eq!(request(addr, "GET", "/actuator/health", "").await.0, 200);
    // The layer passes unknown deeper paths to the router (axum's empty 404).
    let (status, body) = request(addr, "GET", "/actuator/backups/7/extra", "").await;
    assert_eq!((status, body.as_str()), (StatusCode::NOT_FOUND, ""));
    server.abort();
}

#[tokio::test]
async fn hyper_listener_example_serves_the_tour() {
    let (store, clock) = store();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let service = hyper_listener::backup_service(store);
    let server = tokio::spawn(hyper_listener::serve(listener, service));
    tour(addr, &clock).await;
    let (status, body) = request(addr, "GET", "/elsewhere", "").await;
    assert_eq!(status, 404);
    assert!(body.contains("notFoundError"), "{body}");
    server.abort();
}

#[tokio::test]
async fn facade_reexports_build_a_working_service() {
    let (store, _) = store();
    let service = backup_actuator::BackupService::builder(store, axum_mount::plan())
        .repository("backups")
        .build();
    let request = Request::get("/actuator/backups")
        .body(Full::new(Bytes::new()))
        .unwrap();
    let response = service.oneshot(request).await.unwrap();
    assert_eq!(response.status(), 200);
}
