//! How fast the testkit emulator takes 20,000 seeded snapshots (30 indices
//! each): the cost a test pays for a large repository. A timing, so a
//! benchmark and not a test (testkit's
//! `twenty_thousand_seeded_snapshots_are_found_and_paged` checks the
//! answers over such a repository).

// criterion_group! generates an undocumented public function.
#![allow(missing_docs)]

use backup_actuator_testkit::{EmulatedCluster, EmulatedSnapshotState, Flavor, SeededSnapshot};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion};

const SNAPSHOTS: u32 = 20_000;
const T0: i64 = 1_731_585_600_000;

fn seeds() -> Vec<SeededSnapshot> {
    let indices: Vec<String> = (0..30)
        .map(|i| format!("optimize-index-number-{i}_v3"))
        .collect();
    (0..SNAPSHOTS)
        .map(|i| {
            SeededSnapshot::new(
                format!("camunda_optimize_{i}_8.6.0_part_1_of_2"),
                EmulatedSnapshotState::Success,
                T0 + i64::from(i),
            )
            .with_indices(indices.iter().cloned())
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let mut group = c.benchmark_group("emulator_seed");
    group.sample_size(10);
    group.bench_function("insert_20000_snapshots", |b| {
        b.iter_batched(
            || {
                let cluster = runtime
                    .block_on(EmulatedCluster::start(Flavor::Elasticsearch8_15))
                    .unwrap();
                cluster.add_repository("repo");
                (cluster, seeds())
            },
            |(cluster, seeds)| {
                cluster.insert_snapshots("repo", seeds);
                cluster
            },
            BatchSize::PerIteration,
        );
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
