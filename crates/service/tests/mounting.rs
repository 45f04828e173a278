//! The service mounted the ways the crate docs show: axum `nest_service`,
//! `route_service`, `Router::layer`, `BackupLayer` around any service, and
//! plain hyper over a real TCP connection.

mod common;

use std::convert::Infallible;

use axum::body::Body;
use axum::routing::get;
use axum::Router;
use bytes::Bytes;
use common::*;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use tower::{Layer, ServiceExt};

async fn call<S, B>(app: S, method: &str, uri: &str, body: &'static str) -> (StatusCode, String)
where
    S: tower::Service<Request<Body>, Response = Response<B>>,
    S::Error: std::fmt::Debug,
    B: http_body::Body,
    B::Error: std::fmt::Debug,
{
    let request = Request::builder()
        .method(method)
        .uri(uri)
        .body(Body::from(body))
        .unwrap();
    let response = app.oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8(bytes.to_vec()).unwrap())
}

#[tokio::test]
async fn nest_service_strips_the_prefix_so_base_path_is_empty() {
    let (store, _) = memory();
    let service = builder(store).base_path("").build();
    let app = Router::new().nest_service("/actuator", service);

    let (status, _) = call(
        app.clone(),
        "POST",
        "/actuator/backups",
        r#"{"backupId":1}"#,
    )
    .await;
    assert_eq!(status, 202);
    let (status, body) = call(app.clone(), "GET", "/actuator/backups/1", "").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        call(app.clone(), "GET", "/actuator/backup", "").await.0,
        200
    );
    assert_eq!(
        call(app.clone(), "GET", "/actuator/backups/", "").await.0,
        200
    );
    let (status, body) = call(app.clone(), "GET", "/actuator/backups/1/extra", "").await;
    assert_eq!(status, 404);
    assert!(body.contains("notFoundError"), "{body}");
    assert_eq!(call(app, "DELETE", "/actuator/backups/1", "").await.0, 204);
}

#[tokio::test]
async fn nest_service_with_the_default_base_path_finds_nothing() {
    // The documented pitfall: the prefix would be expected twice.
    let (service, _, _) = service();
    let app = Router::new().nest_service("/actuator", service);
    assert_eq!(
        call(app.clone(), "GET", "/actuator/backups", "").await.0,
        404
    );
    assert_eq!(
        call(app, "GET", "/actuator/actuator/backups", "").await.0,
        200
    );
}

#[tokio::test]
async fn route_service_keeps_the_full_path_so_base_path_is_the_default() {
    let (service, _, _) = service();
    let app = Router::new()
        .route_service("/actuator/backups", service.clone())
        .route_service("/actuator/backups/{id}", service.clone())
        .route_service("/actuator/backup", service);
    assert_eq!(
        call(
            app.clone(),
            "POST",
            "/actuator/backups",
            r#"{"backupId":2}"#
        )
        .await
        .0,
        202
    );
    assert_eq!(
        call(app.clone(), "GET", "/actuator/backups/2", "").await.0,
        200
    );
    assert_eq!(
        call(app.clone(), "GET", "/actuator/backup", "").await.0,
        200
    );
    let (status, body) = call(app.clone(), "PUT", "/actuator/backups/2", "").await;
    assert_eq!(status, 405);
    assert!(body.contains("Allowed: GET, DELETE"), "{body}");
    assert_eq!(call(app, "DELETE", "/actuator/backups/2", "").await.0, 204);
}

#[tokio::test]
async fn layer_over_a_router_answers_backup_routes_and_passes_the_rest() {
    let (store, _) = memory();
    let layer = builder(store).build_layer();
    let app = Router::new()
        .route("/actuator/health", get(|| async { "UP" }))
        .fallback(|| async { (StatusCode::IM_A_TEAPOT, "inner fallback") })
        .layer(layer);

    assert_eq!(
        call(app.clone(), "GET", "/actuator/health", "").await,
        (StatusCode::OK, "UP".into())
    );
    assert_eq!(
        call(
            app.clone(),
            "POST",
            "/actuator/backups",
            r#"{"backupId":3}"#
        )
        .await
        .0,
        202
    );
    let (status, body) = call(app.clone(), "GET", "/actuator/backups/3", "").await;
    assert_eq!(status, 200);
    assert!(body.starts_with(r#"{"backupId":3,"#), "{body}");
    // Known path, wrong method or id: still ours.
    assert_eq!(
        call(app.clone(), "PUT", "/actuator/backups/3", "").await.0,
        405
    );
    assert_eq!(
        call(app.clone(), "GET", "/actuator/backups/abc", "")
            .await
            .0,
        400
    );
    // Unknown paths, including deeper ones, reach the inner service untouched.
    for uri in ["/actuator/backups/3/extra", "/elsewhere", "/actuator"] {
        assert_eq!(
            call(app.clone(), "GET", uri, "").await,
            (StatusCode::IM_A_TEAPOT, "inner fallback".into()),
            "{uri}"
        );
    }
}

#[tokio::test]
async fn layer_around_any_service_passes_requests_untouched() {
    let (store, _) = memory();
    let inner = tower::service_fn(|request: Request<Body>| async move {
        let echo = format!("{} {}", request.method(), request.uri());
        Ok::<_, Infallible>(Response::new(Full::new(Bytes::from(echo))))
    });
    let app = builder(store).build_layer().layer(inner);
    assert_eq!(
        call(app.clone(), "PUT", "/actuator/backups/1/extra?x=1", "").await,
        (StatusCode::OK, "PUT /actuator/backups/1/extra?x=1".into())
    );
    assert_eq!(
        call(app, "GET", "/actuator/backups", "").await,
        (StatusCode::OK, "[]".into())
    );
}

#[tokio::test]
async fn plain_hyper_serves_the_service_over_tcp() {
    use hyper_util::rt::{TokioExecutor, TokioIo};
    use hyper_util::server::conn::auto;
    use hyper_util::service::TowerToHyperService;

    let (service, _, _) = service();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        auto::Builder::new(TokioExecutor::new())
            .serve_connection(TokioIo::new(stream), TowerToHyperService::new(service))
            .await
            .unwrap();
    });

    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(connection);
    let mut send = |method: &str, uri: &str, body: &'static str| {
        let request = Request::builder()
            .method(method)
            .uri(uri)
            .header("host", addr.to_string())
            .body(Full::new(Bytes::from(body)))
            .unwrap();
        sender.send_request(request)
    };
    let response = send("POST", "/actuator/backups", r#"{"backupId": 4}"#)
        .await
        .unwrap();
    assert_eq!(response.status(), 202);
    assert_eq!(response.headers()["content-type"], "application/json");
    response.into_body().collect().await.unwrap();
    let response = send("GET", "/actuator/backups/4", "").await.unwrap();
    assert_eq!(response.status(), 200);
    let body = response.into_body().collect().await.unwrap().to_bytes();
    assert!(body.starts_with(br#"{"backupId":4,"#));
    let response = send("DELETE", "/actuator/backups/4", "").await.unwrap();
    assert_eq!(response.status(), 204);
    drop(sender);
    server.await.unwrap();
}
