//! The core store scenarios against a real cluster (OpenSearch 2.19 / 3.x
//! and Elasticsearch 7.10.2 in CI, started by `scripts/real-cluster`).
//!
//! The engine comes from `backup_actuator_testkit::live::cluster`: its URL
//! from `BACKUP_ACTUATOR_TEST_ES_URL` / `BACKUP_ACTUATOR_TEST_OS_URL`
//! (e.g. `http://elastic:changeme@localhost:9200`); without one a test
//! prints `skipped: …` and passes, except under `CI=true`, where it fails.
//! The cluster must allow `fs` repositories under
//! `BACKUP_ACTUATOR_TEST_REPO_LOCATION` (default
//! `/tmp/backup-actuator-snapshots`, which must be in `path.repo`).
//! `BACKUP_ACTUATOR_TEST_CA_PEM` may name a CA certificate file for HTTPS.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use backup_actuator_core::{
    BackupId, BackupPlan, PartMetadata, Product, SnapshotPart, SnapshotState,
};
use backup_actuator_search::ClusterStore;
use backup_actuator_store::{SnapshotStore, StoreError};
use backup_actuator_testkit::live::{self, LiveProduct};
use reqwest::{Method, Url};

const INDEX: &str = "backup-actuator-live-index";

struct Live {
    url: String,
    ca_pem: Option<Vec<u8>>,
    repository: String,
    location: String,
}

fn live(product: LiveProduct) -> Option<Live> {
    let engine = live::cluster(product)?;
    let ca_pem = std::env::var("BACKUP_ACTUATOR_TEST_CA_PEM")
        .ok()
        .filter(|v| !v.is_empty())
        .map(|path| std::fs::read(path).expect("BACKUP_ACTUATOR_TEST_CA_PEM is readable"));
    let repository = format!("backup_actuator_live_{}_{}", std::process::id(), unique());
    let location = format!(
        "{}/{repository}",
        engine.repo_location.trim_end_matches('/')
    );
    Some(Live {
        url: engine.url,
        ca_pem,
        repository,
        location,
    })
}

/// Milliseconds since the epoch, made unique within this process: tests
/// run in parallel, and two that asked in the same millisecond shared one
/// repository (and one deleted it under the other).
fn unique() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static LAST: AtomicU64 = AtomicU64::new(0);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    let mut last = LAST.load(Ordering::Relaxed);
    loop {
        let next = now.max(last + 1);
        match LAST.compare_exchange(last, next, Ordering::Relaxed, Ordering::Relaxed) {
            Ok(_) => return next,
            Err(seen) => last = seen,
        }
    }
}

/// A raw client for the set-up calls the store does not make, and the
/// cluster URL its paths are joined to.
struct Admin {
    client: reqwest::Client,
    base: Url,
}

fn admin(live: &Live) -> Admin {
    let mut base = Url::parse(&live.url).unwrap();
    if !base.path().ends_with('/') {
        base.set_path(&format!("{}/", base.path()));
    }
    let mut builder = reqwest::Client::builder();
    if let Some(pem) = &live.ca_pem {
        for certificate in reqwest::Certificate::from_pem_bundle(pem).unwrap() {
            builder = builder.add_root_certificate(certificate);
        }
    }
    Admin {
        client: builder.build().unwrap(),
        base,
    }
}

async fn admin_call(
    transport: &Admin,
    method: Method,
    path: &str,
    body: Option<String>,
) -> (u16, String) {
    let url = transport.base.join(path.trim_start_matches('/')).unwrap();
    let mut request = transport
        .client
        .request(method, url)
        .header("content-type", "application/json");
    if let Some(body) = body {
        request = request.body(body);
    }
    let response = request.send().await.expect("the live cluster answers");
    let status = response.status().as_u16();
    (status, response.text().await.unwrap_or_default())
}

async fn run_scenarios(live: Live, store: &dyn SnapshotStore) {
    println!("live: {}", store.describe());
    let transport = admin(&live);
    let (status, body) = admin_call(
        &transport,
        Method::PUT,
        &format!("_snapshot/{}", live.repository),
        Some(format!(
            r#"{{"type":"fs","settings":{{"location":"{}"}}}}"#,
            live.location
        )),
    )
    .await;
    assert_eq!(status, 200, "registering the fs repository: {body}");
    // The index may exist already; if it cannot be made, creating the
    // snapshot says why.
    let _ = admin_call(&transport, Method::PUT, INDEX, None).await;

    let result = scenarios(&live, store).await;

    let _ = admin_call(
        &transport,
        Method::DELETE,
        &format!("_snapshot/{}", live.repository),
        None,
    )
    .await;
    result.unwrap();
}

async fn scenarios(live: &Live, store: &dyn SnapshotStore) -> Result<(), String> {
    let repo = live.repository.as_str();
    let plan = BackupPlan::builder()
        .prefix("backup_actuator_live")
        .version("1.0.0")
        .part([INDEX])
        .part([INDEX])
        .build()
        .unwrap();
    let id = BackupId::new(unique()).unwrap();

    // Missing repository.
    let missing = store
        .find_snapshots("backup_actuator_no_such_repo", "x_*")
        .await;
    check(
        missing
            == Err(StoreError::RepositoryMissing {
                repository: "backup_actuator_no_such_repo".into(),
            }),
        format!("missing repository: {missing:?}"),
    )?;

    // Nothing matched (404 or 200 [] depending on the version).
    let none = store.find_snapshots(repo, &plan.lookup_pattern(id)).await;
    check(none == Ok(vec![]), format!("nothing matched: {none:?}"))?;

    // Create both parts, then a duplicate.
    let parts = plan.snapshot_parts(id);
    for part in &parts {
        store
            .create_snapshot(repo, part)
            .await
            .map_err(|e| format!("create {}: {e}", part.name))?;
    }
    let duplicate = store.create_snapshot(repo, &parts[0]).await;
    check(
        duplicate
            == Err(StoreError::NameInUse {
                name: parts[0].name.clone(),
            }),
        format!("duplicate: {duplicate:?}"),
    )?;

    // Wait for both to finish.
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let found = store
            .find_snapshots(repo, &plan.lookup_pattern(id))
            .await
            .map_err(|e| format!("find: {e}"))?;
        check(found.len() == 2, format!("two parts expected: {found:?}"))?;
        if found.iter().all(|r| r.state == SnapshotState::Success) {
            check(
                found.iter().all(|r| r.start_time_millis.is_some()),
                format!("start times: {found:?}"),
            )?;
            break;
        }
        check(
            Instant::now() < deadline,
            format!("snapshots did not finish: {found:?}"),
        )?;
        tokio::time::sleep(Duration::from_millis(500)).await;
    }

    // Delete with a missing name deletes nothing.
    let names: Vec<String> = parts.iter().map(|p| p.name.clone()).collect();
    let ghost = SnapshotPart {
        name: format!("{}_ghost", names[0]),
        indices: vec![INDEX.into()],
        metadata: PartMetadata {
            backup_id: id,
            version: "1.0.0".into(),
            part_no: 1,
            part_count: 2,
            trigger: None,
        },
    };
    let with_ghost = vec![names[0].clone(), ghost.name.clone()];
    let result = store.delete_snapshots(repo, &with_ghost).await;
    check(
        matches!(&result, Err(StoreError::SnapshotMissing { name, .. }) if *name == ghost.name),
        format!("delete with a missing name: {result:?}"),
    )?;
    let still = store
        .find_snapshots(repo, &plan.lookup_pattern(id))
        .await
        .map_err(|e| e.to_string())?;
    check(still.len() == 2, format!("nothing deleted: {still:?}"))?;

    // Delete both.
    store
        .delete_snapshots(repo, &names)
        .await
        .map_err(|e| format!("delete: {e}"))?;
    let gone = store.find_snapshots(repo, &plan.lookup_pattern(id)).await;
    check(gone == Ok(vec![]), format!("after delete: {gone:?}"))?;
    Ok(())
}

fn check(ok: bool, what: String) -> Result<(), String> {
    if ok {
        Ok(())
    } else {
        Err(what)
    }
}

#[tokio::test]
async fn live_elasticsearch() {
    let Some(live) = live(LiveProduct::Elasticsearch) else {
        return;
    };
    let mut builder = ClusterStore::builder(Product::Elasticsearch, &live.url)
        .request_timeout(Duration::from_secs(60));
    if let Some(pem) = &live.ca_pem {
        builder = builder.ca_certificate_pem(pem.clone());
    }
    let store = builder.build().unwrap();
    let info = store
        .cluster_info()
        .await
        .expect("the cluster answers GET /");
    println!("live: {info:?}");
    assert_eq!(info.product, Product::Elasticsearch);
    run_scenarios(live, &store).await;
}

#[tokio::test]
async fn live_opensearch() {
    let Some(live) = live(LiveProduct::OpenSearch) else {
        return;
    };
    let mut builder = ClusterStore::builder(Product::OpenSearch, &live.url)
        .request_timeout(Duration::from_secs(60));
    if let Some(pem) = &live.ca_pem {
        builder = builder.ca_certificate_pem(pem.clone());
    }
    let store = builder.build().unwrap();
    let info = store
        .cluster_info()
        .await
        .expect("the cluster answers GET /");
    println!("live: {info:?}");
    assert_eq!(info.product, Product::OpenSearch);
    run_scenarios(live, &store).await;
}

/// The live scenarios themselves, checked against the emulator of every
/// flavor so that they are known to pass on a correct cluster.
#[tokio::test]
async fn live_scenarios_pass_against_the_emulator() {
    use backup_actuator_testkit::{EmulatedCluster, Flavor};

    for flavor in Flavor::ALL {
        let cluster = EmulatedCluster::start(flavor).await.unwrap();
        let live = Live {
            url: cluster.url(),
            ca_pem: None,
            repository: format!("backup_actuator_live_{}", unique()),
            location: "/tmp/backup-actuator-snapshots".into(),
        };
        let product = if flavor.is_opensearch() {
            Product::OpenSearch
        } else {
            Product::Elasticsearch
        };
        let store = ClusterStore::builder(product, cluster.url())
            .build()
            .unwrap();
        run_scenarios(live, &store).await;
        assert!(
            cluster
                .requests()
                .iter()
                .any(|r| r.method == Method::DELETE),
            "{flavor}"
        );
    }
}

/// SPEC §6: one snapshot whose blob (`snap-<uuid>.dat`) is gone from the
/// repository must not hide the others: a lookup over all of them still
/// returns every readable snapshot (the unreadable one is left out).
async fn removed_blob(live: Live, store: &dyn SnapshotStore) {
    let transport = admin(&live);
    let repo = live.repository.as_str();
    let (status, body) = admin_call(
        &transport,
        Method::PUT,
        &format!("_snapshot/{repo}"),
        Some(format!(
            r#"{{"type":"fs","settings":{{"location":"{}"}}}}"#,
            live.location
        )),
    )
    .await;
    assert_eq!(status, 200, "registering the fs repository: {body}");
    let _ = admin_call(&transport, Method::PUT, INDEX, None).await;
    let plan = BackupPlan::builder()
        .prefix("backup_actuator_blob")
        .version("1.0.0")
        .part([INDEX])
        .build()
        .unwrap();
    let (kept, damaged) = (BackupId::new(1).unwrap(), BackupId::new(2).unwrap());
    for id in [kept, damaged] {
        let part = &plan.snapshot_parts(id)[0];
        let (status, body) = admin_call(
            &transport,
            Method::PUT,
            &format!("_snapshot/{repo}/{}?wait_for_completion=true", part.name),
            Some(format!(
                r#"{{"indices":"{INDEX}","include_global_state":false}}"#
            )),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        if id == damaged {
            let info: serde_json::Value = serde_json::from_str(&body).unwrap();
            let uuid = info["snapshot"]["uuid"].as_str().unwrap();
            let blob = format!("{}/snap-{uuid}.dat", live.location);
            std::fs::remove_file(&blob).unwrap_or_else(|e| {
                panic!("removing {blob} (is the engine on this machine?): {e}")
            });
        }
    }

    let found = store.find_snapshots(repo, &plan.list_pattern()).await;
    let _ = admin_call(
        &transport,
        Method::DELETE,
        &format!("_snapshot/{repo}"),
        None,
    )
    .await;
    let names: Vec<String> = found
        .expect("one unreadable blob does not fail the lookup")
        .into_iter()
        .map(|r| r.name)
        .collect();
    assert_eq!(names, [plan.snapshot_name(kept, 1)]);
}

#[tokio::test]
async fn live_a_removed_snapshot_blob_hides_only_that_snapshot() {
    if let Some(live) = live(LiveProduct::OpenSearch) {
        let store = ClusterStore::builder(Product::OpenSearch, &live.url)
            .build()
            .unwrap();
        removed_blob(live, &store).await;
    }
    if let Some(live) = live(LiveProduct::Elasticsearch) {
        let store = ClusterStore::builder(Product::Elasticsearch, &live.url)
            .build()
            .unwrap();
        removed_blob(live, &store).await;
    }
}
