//! The list route's CPU work on a large repository (issue 6, benchmark 1).
//!
//! Input: the emulator's (Elasticsearch 8.15) verbose answer for 20,000
//! snapshots (10,000 backups × 2 parts) with 30 index names each — the
//! unfiltered answer the original Optimize fetches.
//!
//! - `serde_json_value_floor`: `serde_json::from_slice::<Value>` of those
//!   bytes, the floor of any JSON consumer;
//! - `parse_aggregate_serialize`: what the list route does with them:
//!   typed borrowed parse, grouping and the state rules, and the JSON answer.
//! - `parse_aggregate_serialize_index_names_false`: the same on the smaller
//!   answer the store actually asks ES ≥ 8.3 for (`index_names=false`).
//! - `backup_list_measure` and `backup_list_measure_and_write`: the path
//!   the server takes on the `index_names=false` answer (`BackupList`):
//!   parse, sort and one pass that aggregates and serializes each backup
//!   to count the answer's bytes (its exact `Content-Length`); then the
//!   same plus the second pass that writes the answer in 64 KiB chunks.
//!   Their difference is what an answer without a known length (chunked)
//!   would save.
//! - `redact_verbose`: the redaction every answer goes through before it
//!   is read (issue 20), with basic auth and an API key configured, over
//!   the verbose answer; compare with `parse_aggregate_serialize`.

// criterion_group! generates an undocumented public function.
#![allow(missing_docs)]

use std::io::{Read, Write};
use std::net::TcpStream;

use backup_actuator_core::{
    BackupList, BackupPlan, Backups, Compatibility, ListPosition, OutputZone,
};
use backup_actuator_search::{read_snapshot_list, Credential, Redactor};
use backup_actuator_testkit::{EmulatedCluster, EmulatedSnapshotState, Flavor, SeededSnapshot};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

const BACKUPS: u64 = 10_000;
const INDICES: usize = 30;

/// One plain HTTP/1.0 GET; the emulator closes the connection after it.
fn download(addr: std::net::SocketAddr, path: &str) -> Vec<u8> {
    let mut stream = TcpStream::connect(addr).unwrap();
    write!(stream, "GET {path} HTTP/1.0\r\nHost: bench\r\n\r\n").unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    raw.split_off(split)
}

fn answers() -> (Vec<u8>, Vec<u8>) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let cluster = runtime
        .block_on(EmulatedCluster::start(Flavor::Elasticsearch8_15))
        .unwrap();
    cluster.add_repository("backups");
    cluster.insert_snapshots(
        "backups",
        (0..BACKUPS).flat_map(|i| {
            (1..=2).map(move |part| {
                SeededSnapshot::new(
                    format!(
                        "camunda_optimize_{}_8.6.0_part_{part}_of_2",
                        20_240_000_000_000 + i
                    ),
                    EmulatedSnapshotState::Success,
                    1_731_585_600_123 + i as i64 * 60_000,
                )
                .with_indices((0..INDICES).map(move |n| {
                    format!(
                        "optimize-process-instance-{:04}_v{}",
                        (i as usize + n) % 5000,
                        part
                    )
                }))
                .with_duration_millis(388)
            })
        }),
    );
    let addr = cluster.addr();
    let verbose = download(addr, "/_snapshot/backups/camunda_optimize_*");
    let lean = download(
        addr,
        "/_snapshot/backups/camunda_optimize_*?index_names=false",
    );
    drop(runtime);
    (verbose, lean)
}

fn list_route(plan: &BackupPlan, zone: &OutputZone, body: &[u8]) -> Vec<u8> {
    let records = read_snapshot_list(body).unwrap();
    let backups = Backups::from_snapshots(plan, records, zone);
    let mut out = Vec::with_capacity(body.len() / 4);
    serde_json::to_writer(&mut out, &Compatibility::Documented.backups(backups.list())).unwrap();
    out
}

/// The server's list path up to a known length: parse and judge.
fn measured(plan: &BackupPlan, zone: &OutputZone, body: &[u8]) -> BackupList {
    let records = read_snapshot_list(body).unwrap();
    BackupList::new(plan, records, zone.clone(), Compatibility::Documented)
        .unwrap()
        .0
}

/// The whole answer of a measured list, chunk by chunk; its length.
fn written(list: &BackupList) -> usize {
    let mut at = ListPosition::default();
    let mut total = 0;
    while let Some(chunk) = list.next_chunk(&mut at, 64 * 1024) {
        total += chunk.len();
    }
    total
}

fn bench(c: &mut Criterion) {
    let (verbose, lean) = answers();
    let plan = BackupPlan::optimize("8.6.0").unwrap();
    let zone = OutputZone::utc();
    assert_eq!(
        read_snapshot_list(&verbose).unwrap().len(),
        (BACKUPS * 2) as usize
    );
    assert_eq!(
        read_snapshot_list(&lean).unwrap().len(),
        (BACKUPS * 2) as usize
    );
    eprintln!(
        "verbose answer {} bytes, index_names=false answer {} bytes",
        verbose.len(),
        lean.len()
    );

    let mut group = c.benchmark_group("list_20000_snapshots");
    group.sample_size(20);
    group.throughput(Throughput::Bytes(verbose.len() as u64));
    group.bench_function("serde_json_value_floor", |b| {
        b.iter(|| serde_json::from_slice::<serde_json::Value>(&verbose).unwrap())
    });
    group.bench_function("parse_aggregate_serialize", |b| {
        b.iter(|| list_route(&plan, &zone, &verbose))
    });
    group.bench_function("parse_aggregate_serialize_index_names_false", |b| {
        b.iter(|| list_route(&plan, &zone, &lean))
    });
    group.bench_function("backup_list_measure", |b| {
        b.iter(|| measured(&plan, &zone, &lean))
    });
    group.bench_function("backup_list_measure_and_write", |b| {
        b.iter(|| written(&measured(&plan, &zone, &lean)))
    });
    let redactor = Redactor::new(&[
        Credential::basic("optimize", "a-long-enough-password"),
        Credential::secret("VnVhQ2ZHY0JDZGJrUW0tZTVhT3g6dWkybHAyYXhUTm1zeWFrdzl0dk5udw=="),
    ]);
    let text = std::str::from_utf8(&verbose).unwrap();
    group.bench_function("redact_verbose", |b| b.iter(|| redactor.text(text)));
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
