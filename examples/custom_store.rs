//! A `SnapshotStore` that is neither Elasticsearch nor OpenSearch: each
//! repository is a directory, each snapshot a small JSON file in it. The
//! backup API runs on it, mounted in axum, and talks to it over HTTP.
//!
//! ```sh
//! cargo run --example custom_store            # self-check, then exit
//! cargo run --example custom_store -- --serve  # keep serving on 127.0.0.1:8092
//! ```
//!
//! Without `--serve` it starts the server on a free port, triggers, reads,
//! lists and deletes a backup over HTTP, checks each answer, and exits
//! (non-zero on the first wrong answer), so CI can run it.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use axum::Router;
use backup_actuator_core::{BackupPlan, SnapshotPart, SnapshotRecord, SnapshotState};
use backup_actuator_service::BackupService;
use backup_actuator_store::{SnapshotStore, StoreError};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use serde_json::{json, Value};

/// Snapshots as files: `{root}/{repository}/{snapshot name}.json`.
///
/// A snapshot here is a record, not a copy of data: a real directory store
/// would copy the indices in `part.indices` too. It is SUCCESS as soon as it
/// is written.
#[derive(Debug)]
struct DirectoryStore {
    root: PathBuf,
}

impl DirectoryStore {
    fn repository(&self, repository: &str) -> Result<PathBuf, StoreError> {
        let dir = self.root.join(repository);
        if dir.is_dir() {
            Ok(dir)
        } else {
            Err(StoreError::RepositoryMissing {
                repository: repository.to_owned(),
            })
        }
    }
}

/// File system errors are the store's "cluster errors": 500 to the client.
fn io_error(what: String, err: std::io::Error) -> StoreError {
    StoreError::Cluster {
        product: backup_actuator_core::Product::Elasticsearch,
        operation: backup_actuator_store::Operation::ReadSnapshots { pattern: what },
        status: 500,
        detail: err.to_string(),
    }
}

/// Whether `name` matches `pattern`. The service asks for `{prefix}_*`,
/// `{prefix}_{id}_*` and exact names (the health probe), so a trailing `*`
/// is the only wildcard a store of this plan has to understand.
fn matches(pattern: &str, name: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => name.starts_with(prefix),
        None => name == pattern,
    }
}

fn file_of(dir: &Path, name: &str) -> PathBuf {
    // Names come from the plan (validated ids, a checked prefix): no `/`.
    dir.join(format!("{name}.json"))
}

#[async_trait]
impl SnapshotStore for DirectoryStore {
    async fn find_snapshots(
        &self,
        repository: &str,
        pattern: &str,
    ) -> Result<Vec<SnapshotRecord>, StoreError> {
        let dir = self.repository(repository)?;
        let entries = std::fs::read_dir(&dir).map_err(|e| io_error(pattern.to_owned(), e))?;
        let mut found = Vec::new();
        for entry in entries {
            let path = entry.map_err(|e| io_error(pattern.to_owned(), e))?.path();
            let Some(name) = path
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.strip_suffix(".json"))
            else {
                continue;
            };
            if !matches(pattern, name) {
                continue;
            }
            let text = std::fs::read_to_string(&path).map_err(|e| io_error(name.to_owned(), e))?;
            let stored: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
            let mut record = SnapshotRecord::new(name, SnapshotState::Success);
            record.start_time_millis = stored["start_time_in_millis"].as_i64();
            found.push(record);
        }
        found.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(found)
    }

    async fn create_snapshot(
        &self,
        repository: &str,
        part: &SnapshotPart,
    ) -> Result<(), StoreError> {
        let dir = self.repository(repository)?;
        let started = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64);
        let record = json!({
            "indices": part.indices,
            "metadata": part.metadata,
            "start_time_in_millis": started,
        });
        // `create_new`: the file system decides name uniqueness, as the
        // cluster does (SPEC §6: of two triggers of one id, one wins).
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(file_of(&dir, &part.name));
        match file {
            Ok(file) => serde_json::to_writer(file, &record)
                .map_err(|e| io_error(part.name.clone(), e.into())),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(StoreError::NameInUse {
                name: part.name.clone(),
            }),
            Err(e) => Err(io_error(part.name.clone(), e)),
        }
    }

    async fn delete_snapshots(&self, repository: &str, names: &[String]) -> Result<(), StoreError> {
        let dir = self.repository(repository)?;
        // All or nothing, like the cluster: one missing name deletes nothing.
        if let Some(missing) = names.iter().find(|n| !file_of(&dir, n).exists()) {
            return Err(StoreError::snapshot_missing(missing.clone()));
        }
        for name in names {
            std::fs::remove_file(file_of(&dir, name)).map_err(|e| io_error(name.clone(), e))?;
        }
        Ok(())
    }

    async fn check_health(&self, repository: &str) -> Result<(), StoreError> {
        self.repository(repository).map(drop)
    }

    fn describe(&self) -> String {
        format!("directory {}", self.root.display())
    }
}

/// One request over a fresh HTTP/1.1 connection: (status, body).
async fn send(addr: std::net::SocketAddr, method: &str, path: &str, body: &str) -> (u16, String) {
    let stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
            .await
            .expect("handshake");
    tokio::spawn(connection);
    let request = http::Request::builder()
        .method(method)
        .uri(path)
        .header("host", addr.to_string())
        .body(Full::new(Bytes::from(body.to_owned())))
        .expect("request");
    let response = sender.send_request(request).await.expect("answer");
    let status = response.status().as_u16();
    let bytes = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

fn check(what: &str, ok: bool, answer: &(u16, String)) {
    if ok {
        println!("ok   {what}: {} {}", answer.0, answer.1);
    } else {
        eprintln!("FAIL {what}: {} {}", answer.0, answer.1);
        std::process::exit(1);
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let serve = std::env::args().any(|a| a == "--serve");
    let root = std::env::temp_dir().join(format!(
        "backup-actuator-custom-store-{}",
        std::process::id()
    ));
    std::fs::create_dir_all(root.join("backups")).expect("create the repository directory");

    let store = Arc::new(DirectoryStore { root: root.clone() });
    // nest_service strips "/actuator", so the service's base path is "".
    let service = BackupService::builder(store, BackupPlan::optimize("8.6.0").expect("plan"))
        .repository("backups")
        .base_path("")
        .health(Duration::from_secs(2))
        .build();
    let app = Router::new().nest_service("/actuator", service);

    let listen = if serve {
        "127.0.0.1:8092"
    } else {
        "127.0.0.1:0"
    };
    let listener = tokio::net::TcpListener::bind(listen).await.expect("bind");
    let addr = listener.local_addr().expect("address");
    println!(
        "backup API on http://{addr}/actuator over {}",
        root.display()
    );
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    if serve {
        let _ = server.await;
        return;
    }

    let health = send(addr, "GET", "/actuator/health", "").await;
    check(
        "health",
        health == (200, r#"{"status":"UP"}"#.into()),
        &health,
    );
    let created = send(addr, "POST", "/actuator/backups", r#"{"backupId": 42}"#).await;
    check("trigger", created.0 == 202, &created);
    let again = send(addr, "POST", "/actuator/backups", r#"{"backupId": "42"}"#).await;
    check("trigger again is a conflict", again.0 == 409, &again);
    let one = send(addr, "GET", "/actuator/backups/42", "").await;
    let info: Value = serde_json::from_str(&one.1).unwrap_or(Value::Null);
    check(
        "read",
        one.0 == 200
            && info["state"] == "COMPLETE"
            && info["details"].as_array().map(Vec::len) == Some(2),
        &one,
    );
    let list = send(addr, "GET", "/actuator/backups", "").await;
    check(
        "list",
        list.0 == 200 && list.1.starts_with(r#"[{"backupId":42,"#),
        &list,
    );
    let files = std::fs::read_dir(root.join("backups"))
        .map(Iterator::count)
        .unwrap_or(0);
    println!(
        "     {files} snapshot files in {}",
        root.join("backups").display()
    );
    let deleted = send(addr, "DELETE", "/actuator/backups/42", "").await;
    check("delete", deleted.0 == 204, &deleted);
    let gone = send(addr, "GET", "/actuator/backups/42", "").await;
    check("read after delete", gone.0 == 404, &gone);

    server.abort();
    let _ = std::fs::remove_dir_all(&root);
    println!("custom store self-check passed");
}
