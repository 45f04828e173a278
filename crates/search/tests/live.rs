//! The core store scenarios against a real cluster.
//!
//! Runs when `BACKUP_ACTUATOR_TEST_ES_URL` (Elasticsearch) and/or
//! `BACKUP_ACTUATOR_TEST_OS_URL` (OpenSearch) are set, e.g.
//! `http://elastic:changeme@localhost:9200`; otherwise each test prints
//! `skipped: … not set` and passes. The cluster must allow `fs` repositories
//! under `BACKUP_ACTUATOR_TEST_REPO_LOCATION` (default
//! `/tmp/backup-actuator-snapshots`, which must be in `path.repo`).
//! `BACKUP_ACTUATOR_TEST_CA_PEM` may name a CA certificate file for HTTPS.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use backup_actuator_core::{BackupId, BackupPlan, PartMetadata, SnapshotPart, SnapshotState};
use backup_actuator_search::{ElasticsearchStore, OpenSearchStore};
use backup_actuator_store::{SnapshotStore, StoreError};
use opensearch::cert::{Certificate, CertificateValidation};
use opensearch::http::headers::HeaderMap;
use opensearch::http::transport::{SingleNodeConnectionPool, Transport, TransportBuilder};
use opensearch::http::{Method, Url};

const INDEX: &str = "backup-actuator-live-index";

struct Live {
    url: String,
    ca_pem: Option<Vec<u8>>,
    repository: String,
    location: String,
}

fn live(var: &str) -> Option<Live> {
    let Some(url) = std::env::var(var).ok().filter(|v| !v.is_empty()) else {
        // Written to the process's stderr directly, past the test
        // harness's capture, so a CI log shows that the live suite skipped.
        use std::io::Write as _;
        let _ = writeln!(
            std::io::stderr(),
            "skipped: {var} not set (live cluster suite; see docker-compose.yml)"
        );
        return None;
    };
    let ca_pem = std::env::var("BACKUP_ACTUATOR_TEST_CA_PEM")
        .ok()
        .filter(|v| !v.is_empty())
        .map(|path| std::fs::read(path).expect("BACKUP_ACTUATOR_TEST_CA_PEM is readable"));
    let location = std::env::var("BACKUP_ACTUATOR_TEST_REPO_LOCATION")
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "/tmp/backup-actuator-snapshots".to_owned());
    let repository = format!("backup_actuator_live_{}_{}", std::process::id(), unique());
    Some(Live {
        url,
        ca_pem,
        repository,
        location,
    })
}

fn unique() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

/// A raw transport for the set-up calls the store does not make.
fn admin(live: &Live) -> Transport {
    let url = Url::parse(&live.url).unwrap();
    let mut builder = TransportBuilder::new(SingleNodeConnectionPool::new(url));
    if let Some(pem) = &live.ca_pem {
        builder = builder.cert_validation(CertificateValidation::Full(
            Certificate::from_pem(pem).unwrap(),
        ));
    }
    builder.build().unwrap()
}

async fn admin_call(
    transport: &Transport,
    method: Method,
    path: &str,
    body: Option<String>,
) -> (u16, String) {
    let response = transport
        .send(
            method,
            path,
            HeaderMap::new(),
            None::<&()>,
            body.map(String::into_bytes),
            None,
        )
        .await
        .expect("the live cluster answers");
    let status = response.status_code().as_u16();
    (status, response.text().await.unwrap_or_default())
}

async fn run_scenarios(live: Live, store: &dyn SnapshotStore) {
    println!("live: {}", store.describe());
    let transport = admin(&live);
    let (status, body) = admin_call(
        &transport,
        Method::Put,
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
    let _ = admin_call(&transport, Method::Put, INDEX, None).await;

    let result = scenarios(&live, store).await;

    let _ = admin_call(
        &transport,
        Method::Delete,
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
    let Some(live) = live("BACKUP_ACTUATOR_TEST_ES_URL") else {
        return;
    };
    let mut builder =
        ElasticsearchStore::builder(&live.url).request_timeout(Duration::from_secs(60));
    if let Some(pem) = &live.ca_pem {
        builder = builder.ca_certificate_pem(pem.clone());
    }
    let store = builder.build().unwrap();
    let info = store
        .cluster_info()
        .await
        .expect("the cluster answers GET /");
    println!("live: {info:?}");
    run_scenarios(live, &store).await;
}

#[tokio::test]
async fn live_opensearch() {
    let Some(live) = live("BACKUP_ACTUATOR_TEST_OS_URL") else {
        return;
    };
    let mut builder = OpenSearchStore::builder(&live.url).request_timeout(Duration::from_secs(60));
    if let Some(pem) = &live.ca_pem {
        builder = builder.ca_certificate_pem(pem.clone());
    }
    let store = builder.build().unwrap();
    let info = store
        .cluster_info()
        .await
        .expect("the cluster answers GET /");
    println!("live: {info:?}");
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
        if flavor.is_opensearch() {
            run_scenarios(
                live,
                &OpenSearchStore::builder(cluster.url()).build().unwrap(),
            )
            .await;
        } else {
            run_scenarios(
                live,
                &ElasticsearchStore::builder(cluster.url()).build().unwrap(),
            )
            .await;
        }
        assert!(
            cluster
                .requests()
                .iter()
                .any(|r| r.method == http::Method::DELETE),
            "{flavor}"
        );
    }
}
