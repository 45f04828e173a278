//! What each fuzz target does with its input, as plain functions: the
//! cargo-fuzz targets in `fuzz_targets/` call them under libFuzzer, and the
//! corpus replay test calls them on stable. Each one also checks the
//! property that must hold, so a wrong answer is a crash too.
//!
//! ```
//! backup_actuator_fuzz::id_parser(b"007");
//! backup_actuator_fuzz::body_parser(br#"{"backupId": 5}"#);
//! ```

use std::sync::Arc;

use backup_actuator_core::{BackupId, BackupPlan, BackupRequest, Backups, OutputZone};
use backup_actuator_service::BackupService;
use backup_actuator_store::MemoryStore;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use tower::ServiceExt;

/// SPEC §1/§2: a path id is ASCII digits only, in range, and reads back.
pub fn id_parser(data: &[u8]) {
    let Ok(segment) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(id) = BackupId::from_path_segment(segment) {
        assert!(segment.bytes().all(|b| b.is_ascii_digit()), "{segment:?}");
        assert_eq!(segment.parse::<u64>().ok(), Some(id.get()), "{segment:?}");
    }
}

/// SPEC §2: any POST body gives an id or a §2 error, never a panic; an
/// accepted id prints as digits only (it reaches snapshot names).
pub fn body_parser(data: &[u8]) {
    if let Ok(request) = BackupRequest::from_json(data) {
        let id = request.backup_id.to_string();
        assert!(id.bytes().all(|b| b.is_ascii_digit()), "{id}");
    }
}

/// SPEC §3: a name that parses as a part is exactly the name the plan
/// writes for it; a claim name is never a part.
pub fn name_parser(data: &[u8]) {
    let Ok(name) = std::str::from_utf8(data) else {
        return;
    };
    let plan = BackupPlan::optimize("8.6.0").expect("the Optimize plan builds");
    if let Some(parsed) = plan.parse_snapshot_name(name) {
        let written = format!(
            "camunda_optimize_{}_{}_part_{}_of_{}",
            parsed.backup_id, parsed.version, parsed.part_no, parsed.part_count
        );
        assert_eq!(written, name);
        assert!(plan.claim_id(name).is_none());
    }
    if let Some(id) = plan.claim_id(name) {
        assert_eq!(plan.claim_name(id), name);
    }
}

/// SPEC §4/§6: any cluster answer to a snapshot list reads or is refused,
/// and whatever reads aggregates and serializes.
pub fn answer_parser(data: &[u8]) {
    let Some(records) = backup_actuator_search::read_snapshot_list(data) else {
        return;
    };
    let plan = BackupPlan::optimize("8.6.0").expect("the Optimize plan builds");
    let backups = Backups::from_snapshots(&plan, records, &OutputZone::utc());
    let wire = backup_actuator_core::Compatibility::default().backups(backups.list());
    let json = serde_json::to_vec(&wire).expect("a backup list serializes");
    let read: serde_json::Value = serde_json::from_slice(&json).expect("and is JSON");
    assert_eq!(read.as_array().map(Vec::len), Some(backups.list().len()));
}

/// SPEC §1/§5: a whole request (method, path, body from the input) to the
/// service on the memory store: never a panic, never a 5xx (the memory
/// store cannot fail), a JSON body whenever there is one.
///
/// Input layout: first byte picks the method, bytes up to the first `\n`
/// are the path, the rest is the body.
pub fn service(data: &[u8]) {
    let Some((&method, rest)) = data.split_first() else {
        return;
    };
    let method = [
        "GET", "POST", "DELETE", "PUT", "PATCH", "HEAD", "OPTIONS", "get",
    ][usize::from(method) % 8];
    let (path, body) = match rest.iter().position(|b| *b == b'\n') {
        Some(at) => (&rest[..at], &rest[at + 1..]),
        None => (rest, &[][..]),
    };
    let Ok(path) = std::str::from_utf8(path) else {
        return;
    };
    let Ok(request) = http::Request::builder()
        .method(method)
        .uri(format!("/actuator/{path}"))
        .body(Full::new(Bytes::copy_from_slice(body)))
    else {
        return;
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        let service = BackupService::builder(
            Arc::new(MemoryStore::new()),
            BackupPlan::optimize("8.6.0").expect("the Optimize plan builds"),
        )
        .repository("backups")
        .build();
        let response = service.oneshot(request).await.expect("infallible");
        let status = response.status();
        assert!(status.as_u16() < 500, "{status}");
        let content_type = response.headers().get("content-type").cloned();
        let body = response
            .into_body()
            .collect()
            .await
            .expect("a body")
            .to_bytes();
        if !body.is_empty() {
            assert_eq!(
                content_type.as_ref().map(|v| v.as_bytes()),
                Some(&b"application/json"[..])
            );
        }
    });
}

#[cfg(test)]
mod tests {
    //! The stable smoke run: every corpus file through its target.
    use std::path::Path;

    fn replay(target: &str, run: fn(&[u8])) {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("corpus")
            .join(target);
        let mut files = 0;
        for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let path = entry.unwrap().path();
            run(&std::fs::read(&path).unwrap());
            files += 1;
        }
        assert!(files > 0, "no corpus for {target}");
    }

    #[test]
    fn corpus_id_parser() {
        replay("id_parser", super::id_parser);
    }

    #[test]
    fn corpus_body_parser() {
        replay("body_parser", super::body_parser);
    }

    #[test]
    fn corpus_name_parser() {
        replay("name_parser", super::name_parser);
    }

    #[test]
    fn corpus_answer_parser() {
        replay("answer_parser", super::answer_parser);
    }

    #[test]
    fn corpus_service() {
        replay("service", super::service);
    }
}
