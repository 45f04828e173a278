//! A host that drives the backup engine from its own code — a backup
//! before a schema migration — and serves the same engine on its axum
//! management router, so operators see that backup through the API.
//!
//! ```text
//! cargo run --example embed_engine
//! ```
//!
//! It checks itself and exits 0 when every step behaved; CI runs it.

use std::error::Error;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use backup_actuator::core::{BackupId, BackupState};
use backup_actuator::{BackupEngine, BackupPlan, BackupService, MemoryStore};

/// Triggers backup `id` and waits until it is no longer IN_PROGRESS.
async fn back_up_before_migration(
    engine: &BackupEngine,
    id: BackupId,
) -> Result<BackupState, Box<dyn Error>> {
    engine.trigger(id, None).await?;
    loop {
        let backup = engine.get(id).await?;
        if backup.state != BackupState::InProgress {
            return Ok(backup.state);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let store = MemoryStore::builder()
        .complete_after(Duration::from_millis(300))
        .build();
    let engine = BackupEngine::builder(Arc::new(store), BackupPlan::optimize("8.6.0")?)
        .repository("backups")
        .build()?;

    // The management router serves the same engine the host drives.
    let backups = BackupService::hosting(engine.clone()).base_path("").build();
    let app = Router::new().nest_service("/actuator", backups);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let server = tokio::spawn(async move { axum::serve(listener, app).await });

    // Before the migration: a backup, or no migration.
    let id = BackupId::new(20260101000000).ok_or("id out of range")?;
    let state = back_up_before_migration(&engine, id).await?;
    if state != BackupState::Complete {
        return Err(format!("backup {id} ended {state:?}; not migrating").into());
    }
    println!("backup {id} is COMPLETE; migrating the schema");

    // What an operator sees through the API is the same backup.
    let answer = http_get(addr, &format!("/actuator/backups/{id}")).await?;
    if !answer.contains(r#""state":"COMPLETE""#) {
        return Err(format!("the API shows something else: {answer}").into());
    }
    println!("GET /actuator/backups/{id}: {answer}");

    server.abort();
    let unfinished = engine.shutdown(Duration::from_secs(5)).await;
    if !unfinished.is_empty() {
        return Err(format!("background work left: {unfinished:?}").into());
    }
    Ok(())
}

/// One GET over a fresh HTTP/1.1 connection; the body as text.
async fn http_get(addr: std::net::SocketAddr, path: &str) -> Result<String, Box<dyn Error>> {
    use http_body_util::{BodyExt, Empty};
    let stream = tokio::net::TcpStream::connect(addr).await?;
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await?;
    tokio::spawn(connection);
    let request = http::Request::get(path)
        .header("host", addr.to_string())
        .body(Empty::<bytes::Bytes>::new())?;
    let response = sender.send_request(request).await?;
    let body = response.into_body().collect().await?.to_bytes();
    Ok(String::from_utf8(body.to_vec())?)
}
