//! Per-request overhead of `BackupService` (issue 6, benchmark 2).
//!
//! Both contenders answer through hyper on loopback, over one keep-alive
//! connection, in the same run:
//! - `backup_service_get_one`: `BackupService` answering
//!   `GET /actuator/backups/1` from the memory store (a complete backup);
//! - `bare_service_fn`: a `tower::service_fn` that returns the same bytes,
//!   pre-built: the floor of any handler behind hyper;
//! - `backup_service_get_one_with_metrics`: the first with
//!   `BackupMetrics` on (SPEC §11), the same store and backup.
//!
//! Throughput ratio = bare time ÷ service time (`bench-ratios` prints it),
//! and metrics on ÷ off = time off ÷ time on.

// criterion_group! generates an undocumented public function.
#![allow(missing_docs)]

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use backup_actuator_core::{BackupId, BackupPlan};
use backup_actuator_loadgen::{client, send, HttpClient};
use backup_actuator_service::{BackupMetrics, BackupService};
use backup_actuator_store::{ManualClock, MemoryStore, SnapshotStore};
use criterion::{criterion_group, criterion_main, Criterion};
use http::{Method, Request, Response};
use http_body_util::Full;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::runtime::Runtime;

/// Serves `service` on a loopback port in `runtime`; returns its URL.
fn serve<S, B>(runtime: &Runtime, service: S) -> String
where
    S: tower::Service<Request<hyper::body::Incoming>, Response = Response<B>, Error = Infallible>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
    B: http_body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let listener = runtime.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
    let addr = listener.local_addr().unwrap();
    runtime.spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let service = TowerToHyperService::new(service.clone());
            tokio::spawn(async move {
                let _ = auto::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    format!("http://{addr}")
}

fn bench(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();

    // A complete backup in the memory store.
    let clock = ManualClock::new(1_700_000_000_000);
    let store = MemoryStore::builder()
        .complete_after(Duration::from_secs(1))
        .clock(clock.clone())
        .build();
    let plan = BackupPlan::optimize("8.6.0").unwrap();
    runtime.block_on(async {
        for part in plan.snapshot_parts(BackupId::new(1).unwrap()) {
            store.create_snapshot("bench", &part).await.unwrap();
        }
    });
    clock.advance(Duration::from_secs(2));
    let service = BackupService::builder(Arc::new(store.clone()), plan.clone())
        .repository("bench")
        .build();
    let service_url = serve(&runtime, service);
    let metered = BackupService::builder(Arc::new(store), plan)
        .repository("bench")
        .metrics(BackupMetrics::new())
        .build();
    let metered_url = serve(&runtime, metered);

    let http = client();
    let (status, prebuilt) = runtime
        .block_on(send(
            &http,
            Method::GET,
            &format!("{service_url}/actuator/backups/1"),
            None,
        ))
        .unwrap();
    assert_eq!(status, 200);
    let bare = tower::service_fn(move |_req: Request<hyper::body::Incoming>| {
        let body = prebuilt.clone();
        async move {
            let mut response = Response::new(Full::new(body));
            response.headers_mut().insert(
                "content-type",
                http::HeaderValue::from_static("application/json"),
            );
            Ok::<_, Infallible>(response)
        }
    });
    let bare_url = serve(&runtime, bare);

    let mut group = c.benchmark_group("get_one_over_hyper");
    let one = |http: HttpClient, url: String| async move {
        let (status, body) = send(&http, Method::GET, &url, None).await.unwrap();
        assert_eq!(status, 200);
        body
    };
    let url = format!("{service_url}/actuator/backups/1");
    group.bench_function("backup_service_get_one", |b| {
        b.to_async(&runtime).iter(|| one(http.clone(), url.clone()))
    });
    let url = format!("{metered_url}/actuator/backups/1");
    group.bench_function("backup_service_get_one_with_metrics", |b| {
        b.to_async(&runtime).iter(|| one(http.clone(), url.clone()))
    });
    let url = format!("{bare_url}/actuator/backups/1");
    group.bench_function("bare_service_fn", |b| {
        b.to_async(&runtime).iter(|| one(http.clone(), url.clone()))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
