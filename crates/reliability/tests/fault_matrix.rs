//! Every failure of the cluster maps to the documented status (SPEC §5),
//! within the request timeout + 1 s, without a panic, and the service
//! answers normally right after.
//!
//! The table in docs/reliability.md (between the `fault-matrix` markers)
//! is what this test saw: `scripts/reliability-table` runs it with
//! `FAULT_MATRIX_TABLE` set to a file for the table and puts that table in
//! the document. Every run compares its status cells with the document's,
//! so a change of behaviour fails here until the table is generated again.

use std::sync::Arc;
use std::time::{Duration, Instant};

use backup_actuator_core::{BackupPlan, Compatibility, Product};
use backup_actuator_reliability::call;
use backup_actuator_search::ClusterStore;
use backup_actuator_service::BackupService;
use backup_actuator_store::SnapshotStore;
use backup_actuator_testkit::{
    EmulatedCluster, EmulatedSnapshotState, Fault, Flavor, RefusingPort, SeededSnapshot,
};
use bytes::Bytes;
use http::{Method, Request};
use http_body_util::Full;

const REPO: &str = "backups";
const TIMEOUT: Duration = Duration::from_millis(800);

#[derive(Clone, Copy, Debug, PartialEq)]
enum Op {
    GetOne,
    List,
    Post,
    Delete,
}

impl Op {
    const ALL: [Op; 4] = [Op::GetOne, Op::List, Op::Post, Op::Delete];

    fn label(self) -> &'static str {
        match self {
            Op::GetOne => "GET one",
            Op::List => "GET list",
            Op::Post => "POST",
            Op::Delete => "DELETE",
        }
    }

    fn success(self) -> u16 {
        match self {
            Op::GetOne | Op::List => 200,
            Op::Post => 202,
            Op::Delete => 204,
        }
    }

    /// The cluster request the fault is aimed at: the one this route
    /// depends on last (POST's create, DELETE's delete), so every step of
    /// every route is covered by some cell.
    fn faulted_method(self) -> Method {
        match self {
            Op::GetOne | Op::List => Method::GET,
            Op::Post => Method::PUT,
            Op::Delete => Method::DELETE,
        }
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Expect {
    Success,
    ServerError,
    Unreachable,
}

struct Case {
    name: &'static str,
    fault: Option<fn() -> Fault>,
    expect: Expect,
}

fn bodies(flavor: Flavor) -> Vec<Case> {
    let mut cases = vec![
        Case {
            name: "connection refused",
            fault: None,
            expect: Expect::Unreachable,
        },
        Case {
            name: "reset before any response",
            fault: Some(Fault::close_connection),
            expect: Expect::Unreachable,
        },
        Case {
            name: "reset mid-body",
            fault: Some(Fault::reset_mid_body),
            expect: Expect::Unreachable,
        },
        Case {
            name: "closed before the whole Content-Length",
            fault: Some(Fault::truncated),
            expect: Expect::Unreachable,
        },
        Case {
            name: "no answer past the request timeout",
            fault: Some(|| Fault::delay(TIMEOUT + Duration::from_millis(700))),
            expect: Expect::Unreachable,
        },
        Case {
            name: "slow answer inside the timeout",
            fault: Some(|| Fault::delay(TIMEOUT / 3)),
            expect: Expect::Success,
        },
        Case {
            name: "500 with an HTML body",
            fault: Some(|| {
                Fault::respond(
                    500,
                    "text/html",
                    "<html><body><h1>500 Internal Server Error</h1></body></html>",
                )
            }),
            expect: Expect::ServerError,
        },
        Case {
            name: "503 JSON",
            fault: Some(|| {
                Fault::respond(
                    503,
                    "application/json",
                    r#"{"error":{"root_cause":[{"type":"master_not_discovered_exception","reason":null}],"type":"master_not_discovered_exception","reason":null},"status":503}"#,
                )
            }),
            expect: Expect::ServerError,
        },
        Case {
            name: "malformed JSON (200)",
            fault: Some(Fault::malformed),
            expect: Expect::ServerError,
        },
        Case {
            name: "truncated JSON, complete answer (200)",
            fault: Some(|| {
                Fault::respond(
                    200,
                    "application/json",
                    r#"{"snapshots":[{"snapshot":"camunda_optimize_1_8.6.0_part_1_of_2","state":"SUC"#,
                )
            }),
            expect: Expect::ServerError,
        },
        Case {
            name: "valid JSON of the wrong shape (200)",
            fault: Some(|| {
                Fault::respond(
                    200,
                    "application/json",
                    r#"{"snapshots":{"a":1},"accepted":"yes","acknowledged":[1]}"#,
                )
            }),
            expect: Expect::ServerError,
        },
    ];
    if flavor.is_opensearch() {
        cases.extend([
            Case { name: "401 OpenSearch (plain text)", fault: Some(|| Fault::respond(401, "text/plain", "Unauthorized")), expect: Expect::ServerError },
            Case {
                name: "403 OpenSearch (security_exception)",
                fault: Some(|| Fault::respond(403, "application/json", r#"{"error":{"root_cause":[{"type":"security_exception","reason":"no permissions for [cluster:admin/snapshot/get] and User [name=u, backend_roles=[], requestedTenant=null]"}],"type":"security_exception","reason":"no permissions for [cluster:admin/snapshot/get] and User [name=u, backend_roles=[], requestedTenant=null]"},"status":403}"#)),
                expect: Expect::ServerError,
            },
            Case {
                name: "403 AWS ({\"Message\"})",
                fault: Some(|| Fault::respond(403, "application/json", r#"{"Message":"User: anonymous is not authorized to perform: es:ESHttpGet"}"#)),
                expect: Expect::ServerError,
            },
        ]);
    } else {
        cases.extend([
            Case {
                name: "401 Elasticsearch (security_exception)",
                fault: Some(|| Fault::respond(401, "application/json", r#"{"error":{"root_cause":[{"type":"security_exception","reason":"missing authentication credentials for REST request [/_snapshot/backups]","header":{"WWW-Authenticate":["Basic realm=\"security\" charset=\"UTF-8\"","ApiKey"]}}],"type":"security_exception","reason":"missing authentication credentials for REST request [/_snapshot/backups]","header":{"WWW-Authenticate":["Basic realm=\"security\" charset=\"UTF-8\"","ApiKey"]}},"status":401}"#)),
                expect: Expect::ServerError,
            },
            Case {
                name: "403 Elasticsearch (security_exception)",
                fault: Some(|| Fault::respond(403, "application/json", r#"{"error":{"root_cause":[{"type":"security_exception","reason":"action [cluster:admin/snapshot/get] is unauthorized for user [u] with effective roles [r]"}],"type":"security_exception","reason":"action [cluster:admin/snapshot/get] is unauthorized for user [u] with effective roles [r]"},"status":403}"#)),
                expect: Expect::ServerError,
            },
        ]);
    }
    cases
}

fn store_for(flavor: Flavor, url: &str) -> Arc<dyn SnapshotStore> {
    let product = if flavor.is_opensearch() {
        Product::OpenSearch
    } else {
        Product::Elasticsearch
    };
    Arc::new(
        ClusterStore::builder(product, url)
            .request_timeout(TIMEOUT)
            .build()
            .unwrap(),
    )
}

fn service(store: Arc<dyn SnapshotStore>) -> BackupService {
    BackupService::builder(store, BackupPlan::optimize("8.6.0").unwrap())
        .repository(REPO)
        .compatibility(Compatibility::Documented)
        // One look, not 30 s of them: a POST cell's unknown outcome starts a
        // background watch (SPEC §6) whose requests would otherwise meet the
        // next cell's fault. The watch itself is proved in `races`.
        .unknown_outcome_watch(Duration::ZERO)
        .build()
}

fn request(op: Op, id: u64) -> Request<Full<Bytes>> {
    let (method, path, body) = match op {
        Op::GetOne => (
            Method::GET,
            format!("/actuator/backups/{id}"),
            String::new(),
        ),
        Op::List => (Method::GET, "/actuator/backups".to_owned(), String::new()),
        Op::Post => (
            Method::POST,
            "/actuator/backups".to_owned(),
            format!(r#"{{"backupId":{id}}}"#),
        ),
        Op::Delete => (
            Method::DELETE,
            format!("/actuator/backups/{id}"),
            String::new(),
        ),
    };
    Request::builder()
        .method(method)
        .uri(path)
        .body(Full::new(Bytes::from(body)))
        .unwrap()
}

fn seed_backup(cluster: &EmulatedCluster, id: u64) {
    for part in 1..=2 {
        cluster.insert_snapshot(
            REPO,
            SeededSnapshot::new(
                format!("camunda_optimize_{id}_8.6.0_part_{part}_of_2"),
                EmulatedSnapshotState::Success,
                1_731_585_600_123,
            ),
        );
    }
}

/// One row of the table: a flavor and a fault, the answer of each route.
#[derive(Debug, PartialEq)]
struct Row {
    flavor: String,
    case: String,
    /// "status errorCode" of GET one, GET list, POST and DELETE.
    cells: Vec<String>,
    /// The slowest of the four answers: shown in the table, never compared
    /// (the machine's noise); `in_time` checks it against the rule.
    slowest: Duration,
}

/// A fresh emulated cluster with the repository, and a service over it
/// whose store has already read the version, so a fault meets only the
/// snapshot request it is aimed at.
///
/// Every cell gets its own: the background work a POST cell may leave (the
/// unknown-outcome watch, the claim release) then goes to that cell's
/// cluster and can neither take the next cell's one-shot fault nor be
/// mistaken for its requests, however slowly the machine runs it.
async fn fresh_cluster(flavor: Flavor) -> (EmulatedCluster, BackupService) {
    let cluster = EmulatedCluster::start(flavor).await.unwrap();
    cluster.add_repository(REPO);
    let healthy = service(store_for(flavor, &cluster.url()));
    assert_eq!(call(&healthy, request(Op::List, 0)).await.0.status(), 200);
    (cluster, healthy)
}

async fn run_flavor(flavor: Flavor, rows: &mut Vec<Row>, failures: &mut Vec<String>) {
    // Held to the end of the flavor: a port merely released could go to
    // a cell's fresh cluster, which would then answer the "refused" calls.
    let dead = RefusingPort::reserve().unwrap();
    let refused = service(store_for(flavor, &dead.url()));
    let connection_code = if flavor.is_opensearch() {
        "openSearchConnectionError"
    } else {
        "elasticsearchConnectionError"
    };

    let mut id = 1000;
    for case in bodies(flavor) {
        let mut cells = Vec::new();
        let mut slowest = Duration::ZERO;
        for op in Op::ALL {
            id += 1;
            let (cluster, healthy) = fresh_cluster(flavor).await;
            seed_backup(&cluster, id); // GET one and DELETE find it; POST uses a fresh id
            let post_id = id + 500_000;
            let target = if op == Op::Post { post_id } else { id };
            let svc = match case.fault {
                None => &refused,
                Some(fault) => {
                    cluster.inject_fault(
                        fault()
                            .method(op.faulted_method())
                            .path_prefix("/_snapshot/")
                            .times(1),
                    );
                    &healthy
                }
            };
            let started = Instant::now();
            let (response, body) = call(svc, request(op, target)).await;
            let took = started.elapsed();
            cluster.clear_faults();
            let status = response.status().as_u16();
            let code = serde_json::from_slice::<serde_json::Value>(&body)
                .ok()
                .and_then(|v| v["errorCode"].as_str().map(str::to_owned))
                .unwrap_or_default();
            let (want_status, want_code) = match case.expect {
                Expect::Success => (op.success(), ""),
                Expect::ServerError => (500, "serverError"),
                Expect::Unreachable => (502, connection_code),
            };
            let in_time = took <= TIMEOUT + Duration::from_secs(1);
            // Right after, a normal request is answered normally.
            let after = call(&healthy, request(Op::List, 0))
                .await
                .0
                .status()
                .as_u16();
            let ok = status == want_status && code == want_code && in_time && after == 200;
            if !ok {
                failures.push(format!(
                    "{flavor} / {} / {}: got {status} {code} in {took:?} (then {after}), want {want_status} {want_code}; body {}",
                    case.name,
                    op.label(),
                    String::from_utf8_lossy(&body)
                ));
            }
            let shown = if code.is_empty() {
                status.to_string()
            } else {
                format!("{status} {code}")
            };
            cells.push(format!("{}{shown}", if ok { "" } else { "**FAIL** " }));
            slowest = slowest.max(took);
            cluster.shutdown().await;
        }
        rows.push(Row {
            flavor: flavor.to_string(),
            case: case.name.to_owned(),
            cells,
            slowest,
        });
    }
}

const TABLE_START: &str = "<!-- fault-matrix:start -->\n";
const TABLE_END: &str = "<!-- fault-matrix:end -->";

/// The table as docs/reliability.md shows it, between the markers.
fn table(rows: &[Row]) -> String {
    let mut table = String::new();
    table.push_str(&format!(
        "Request timeout {} ms; every answer must come within timeout + 1 s. Each cell: status and errorCode; last column: the slowest of the four answers, rounded up to 0.1 s.\n\n",
        TIMEOUT.as_millis()
    ));
    table.push_str("| flavor | cluster fault | GET one | GET list | POST | DELETE | slowest |\n|---|---|---|---|---|---|---|\n");
    for row in rows {
        // Rounded up to 0.1 s, so the generated table only changes when
        // behaviour does, not with the machine's noise.
        let tenths = row.slowest.as_millis().div_ceil(100).max(1);
        table.push_str(&format!(
            "| {} | {} | {} | ≤ {}.{} s |\n",
            row.flavor,
            row.case,
            row.cells.join(" | "),
            tenths / 10,
            tenths % 10
        ));
    }
    table
}

/// The rows of the table in docs/reliability.md; their `slowest` is zero.
fn documented_rows() -> Vec<Row> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/reliability.md");
    let doc = std::fs::read_to_string(path).expect("docs/reliability.md is readable");
    let start = doc
        .find(TABLE_START)
        .expect("the fault-matrix start marker")
        + TABLE_START.len();
    let end = doc.find(TABLE_END).expect("the fault-matrix end marker");
    doc[start..end]
        .lines()
        .filter(|line| line.starts_with("| ") && !line.starts_with("| flavor |"))
        .map(|line| {
            let cells: Vec<&str> = line.trim_matches('|').split(" | ").map(str::trim).collect();
            assert_eq!(cells.len(), 7, "a row of seven cells: {line}");
            Row {
                flavor: cells[0].to_owned(),
                case: cells[1].to_owned(),
                cells: cells[2..6].iter().map(|c| c.to_string()).collect(),
                slowest: Duration::ZERO,
            }
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_cluster_fault_maps_to_the_documented_status_in_time() {
    let mut rows = Vec::new();
    let mut failures = Vec::new();
    for flavor in [Flavor::Elasticsearch8_15, Flavor::OpenSearch2] {
        run_flavor(flavor, &mut rows, &mut failures).await;
    }
    // scripts/reliability-table: the table goes to the document.
    let generating = std::env::var_os("FAULT_MATRIX_TABLE");
    if let Some(path) = &generating {
        std::fs::write(path, table(&rows)).unwrap();
    }
    assert!(
        failures.is_empty(),
        "{} cells failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    if generating.is_none() {
        let seen: Vec<Row> = rows
            .into_iter()
            .map(|row| Row {
                slowest: Duration::ZERO,
                ..row
            })
            .collect();
        let documented = documented_rows();
        let differing: Vec<String> = seen
            .iter()
            .zip(&documented)
            .filter(|(seen, documented)| seen != documented)
            .map(|(seen, documented)| format!("seen {seen:?}\n  documented {documented:?}"))
            .collect();
        assert!(
            differing.is_empty() && seen.len() == documented.len(),
            "the answers differ from docs/reliability.md ({} rows seen, {} documented); \
             if the change is meant, run scripts/reliability-table:\n{}",
            seen.len(),
            documented.len(),
            differing.join("\n")
        );
    }
}
