//! One span per request with method, route template, id, status and
//! latency; never headers or bodies.
//!
//! In a test binary of its own: `tracing` caches per call site whether
//! anyone listens, so a test that installs a scoped subscriber races with
//! every other test thread that reaches the same call sites first.

mod common;

use common::*;
use std::io::Write;
use std::sync::{Arc, Mutex};

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn one_span_per_request_with_route_id_status_and_latency() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_ansi(false)
        .with_max_level(tracing::Level::DEBUG)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let (service, _, _) = service();
    let request = http::Request::post("/actuator/backups")
        .header("authorization", "Bearer secret-token")
        .body(http_body_util::Full::new(bytes::Bytes::from(
            r#"{"backupId": 5, "note": "secret-body"}"#,
        )))
        .unwrap();
    assert_eq!(send_request(&service, request).await.status, 202);
    get(&service, "/actuator/backups/5").await;
    get(&service, "/actuator/backups/abc").await;

    let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    let answered: Vec<&str> = log.lines().filter(|l| l.contains("answered")).collect();
    assert_eq!(answered.len(), 3, "{log}");
    assert!(
        answered[0].contains(
            r#"backup_request{method=POST route="/backups" operation="trigger" backup_id=5 status=202 latency_ms="#
        ),
        "{log}"
    );
    assert!(
        answered[1].contains(
            r#"method=GET route="/backups/{id}" operation="get" backup_id=5 status=200 latency_ms="#
        ),
        "{log}"
    );
    assert!(
        answered[2].contains(r#"method=GET route="/backups/{id}" operation="get" status=400"#),
        "{log}"
    );
    assert!(!log.contains("secret"), "{log}");
}
