//! The large-repository path, end to end (issue 6).
//!
//! Loads 10,000 backups (20,000 snapshots, ~30 index names each) into the
//! testkit emulator, starts the stand-alone server against it as a separate
//! process, and reports, per flavor:
//!
//! - the median time of `GET /actuator/backups` through the server, divided
//!   by the median time to download the emulator's unfiltered verbose answer
//!   to `GET _snapshot/{repo}/camunda_optimize_*` (what Optimize fetches);
//! - the server's peak RSS divided by that answer's size;
//! - the cluster round trips each route makes.
//!
//! ```sh
//! cargo build --release -p backup-actuator-server -p backup-actuator-loadgen
//! target/release/list-perf --server-bin target/release/backup-actuator
//! ```

use std::time::{Duration, Instant};

use backup_actuator_loadgen::{client, median, memory_kib, ms, send, HttpClient, ServerProcess};
use backup_actuator_testkit::{EmulatedCluster, Flavor, SeededSnapshot, SnapshotState};
use clap::Parser;
use http::Method;

#[derive(Parser, Debug)]
#[command(about = "List-route performance against the emulator")]
struct Args {
    /// The server binary to start.
    #[arg(long, default_value = "target/release/backup-actuator")]
    server_bin: String,
    /// Backups to load (two snapshots each).
    #[arg(long, default_value_t = 10_000)]
    backups: u64,
    /// Index names per snapshot.
    #[arg(long, default_value_t = 30)]
    indices: usize,
    /// Timed repetitions of each download.
    #[arg(long, default_value_t = 7)]
    runs: usize,
}

const REPO: &str = "camunda_backup";

fn seed(cluster: &EmulatedCluster, backups: u64, indices: usize) {
    cluster.add_repository(REPO);
    let start = 1_731_585_600_123_i64;
    let snapshots = (0..backups).flat_map(|i| {
        let id = 20_240_000_000_000 + i;
        (1..=2).map(move |part| {
            let names = (0..indices).map(move |n| {
                format!(
                    "optimize-process-instance-{:04}-part{part}_v{}",
                    (i as usize * 7 + n) % 5000,
                    n % 9
                )
            });
            SeededSnapshot::new(
                format!("camunda_optimize_{id}_8.6.0_part_{part}_of_2"),
                SnapshotState::Success,
                start + i as i64 * 60_000 + part,
            )
            .with_indices(names)
            .with_duration_millis(388)
        })
    });
    cluster.insert_snapshots(REPO, snapshots);
}

async fn timed(http: &HttpClient, url: &str, runs: usize) -> (Duration, usize) {
    let mut samples = Vec::with_capacity(runs);
    let mut size = 0;
    // One warm-up run (connection set-up, caches), not counted.
    for run in 0..=runs {
        let started = Instant::now();
        let (status, body) = send(http, Method::GET, url, None)
            .await
            .expect("request failed");
        let took = started.elapsed();
        assert_eq!(
            status,
            200,
            "{url}: {}",
            String::from_utf8_lossy(&body[..body.len().min(300)])
        );
        size = body.len();
        if run > 0 {
            samples.push(took);
        }
    }
    (median(&mut samples), size)
}

/// Cluster requests one route makes (the `GET /` version probe excluded).
async fn round_trips(
    cluster: &EmulatedCluster,
    http: &HttpClient,
    method: Method,
    url: &str,
    body: Option<&str>,
) -> usize {
    cluster.clear_requests();
    let _ = send(http, method, url, body).await;
    cluster.requests().iter().filter(|r| r.path != "/").count()
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    println!(
        "list-perf: {} backups ({} snapshots, {} index names each), median of {} runs",
        args.backups,
        args.backups * 2,
        args.indices,
        args.runs
    );
    println!("| flavor | raw verbose answer | raw download (median) | GET /actuator/backups (median) | list ÷ raw | server answer | server peak RSS | peak RSS ÷ raw answer | round trips GET one / POST / DELETE / list |");
    println!("|---|---|---|---|---|---|---|---|---|");
    for flavor in [
        Flavor::Elasticsearch8_15,
        Flavor::Elasticsearch7_10,
        Flavor::OpenSearch2,
    ] {
        let cluster = EmulatedCluster::start(flavor).await.expect("emulator");
        seed(&cluster, args.backups, args.indices);
        let backend = if flavor.is_opensearch() {
            "opensearch"
        } else {
            "elasticsearch"
        };
        let server = ServerProcess::start(
            &args.server_bin,
            &[
                "--backend".into(),
                backend.into(),
                "--url".into(),
                cluster.url(),
                "--repository".into(),
                REPO.into(),
                "--request-timeout".into(),
                "120s".into(),
            ],
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
        let http = client();
        let raw_url = format!("{}/_snapshot/{REPO}/camunda_optimize_*", cluster.url());
        let list_url = format!("{}/actuator/backups", server.url());

        let (raw, raw_size) = timed(&http, &raw_url, args.runs).await;
        let (list, list_size) = timed(&http, &list_url, args.runs).await;
        let peak_kib = server
            .pid()
            .and_then(memory_kib)
            .map_or(0, |(_, peak)| peak);

        let one = format!("{}/actuator/backups/20240000000001", server.url());
        let get_one = round_trips(&cluster, &http, Method::GET, &one, None).await;
        let post = round_trips(
            &cluster,
            &http,
            Method::POST,
            &list_url,
            Some(r#"{"backupId": 7}"#),
        )
        .await;
        let delete = round_trips(
            &cluster,
            &http,
            Method::DELETE,
            &format!("{}/actuator/backups/7", server.url()),
            None,
        )
        .await;
        let list_trips = round_trips(&cluster, &http, Method::GET, &list_url, None).await;

        println!(
            "| {flavor} | {:.1} MB | {} ms | {} ms | {:.3} | {:.1} MB | {:.1} MB | {:.2} | {get_one} / {post} / {delete} / {list_trips} |",
            raw_size as f64 / 1e6,
            ms(raw),
            ms(list),
            list.as_secs_f64() / raw.as_secs_f64(),
            list_size as f64 / 1e6,
            peak_kib as f64 / 1024.0,
            (peak_kib as f64 * 1024.0) / raw_size as f64,
        );
        server.stop().await;
        cluster.shutdown().await;
    }
}
