//! The large-repository path, end to end (issues 6 and 11).
//!
//! For every testkit flavor and every repository size asked for, loads the
//! backups (two snapshots each, 30 index names per snapshot) into the
//! emulator, starts the stand-alone server against it as a separate
//! process, and reports, measured in the same run:
//!
//! - list time ÷ verbose download time: the median time of
//!   `GET /actuator/backups` through the server, divided by the median
//!   time to download the emulator's unfiltered verbose answer to
//!   `GET _snapshot/{repo}/camunda_optimize_*` (what Optimize fetches);
//! - bytes ÷ verbose bytes: the bytes the server downloaded from the
//!   cluster for one list, divided by that verbose answer's size;
//! - the server's peak RSS (`VmHWM`) and its cluster requests per list;
//! - GET one: its time, requests and bytes, which must not grow with the
//!   repository.
//!
//! Requests and bytes are read from the server's own debug log (one
//! `answered … bytes=N` line per cluster request; the one-time `GET /`
//! version probe excluded), so the same figures come out of a real engine
//! (`--url`, against a repository that already holds the backups;
//! `scripts/list-perf-real` times a real engine side by side on its own).
//!
//! ```sh
//! cargo build --release -p backup-actuator-server -p backup-actuator-loadgen
//! target/release/list-perf --server-bin target/release/backup-actuator --backups 10000
//! ```

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use backup_actuator_loadgen::{
    client, cpu_time, median, memory_kib, send, HttpClient, ServerProcess,
};
use backup_actuator_testkit::{EmulatedCluster, EmulatedSnapshotState, Flavor, SeededSnapshot};
use clap::Parser;
use http::Method;

#[derive(Parser, Debug)]
#[command(about = "List-route cost against the emulator (every flavor) or a real engine")]
struct Args {
    /// The server binary to start.
    #[arg(long, default_value = "target/release/backup-actuator")]
    server_bin: String,
    /// Repository sizes in backups (two snapshots each), comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "10000,100000")]
    backups: Vec<u64>,
    /// Index names per snapshot.
    #[arg(long, default_value_t = 30)]
    indices: usize,
    /// Timed repetitions of each download (one untimed warm-up first;
    /// repositories of 50,000 backups and more are timed once, no warm-up).
    #[arg(long, default_value_t = 5)]
    runs: usize,
    /// Emulated flavors by version prefix (e.g. `7.10,2.`); all by default.
    #[arg(long, value_delimiter = ',')]
    flavors: Vec<String>,
    /// Start the server with `--metrics`, so each list also feeds the
    /// backups-by-state gauges (the production set-up of SPEC §11).
    #[arg(long)]
    metrics: bool,
    /// Append one CSV row per measurement here (for the plot).
    #[arg(long)]
    csv: Option<PathBuf>,
    /// Measure a real engine at this URL instead of the emulator: its
    /// repository `--repository` must already hold the backups.
    #[arg(long)]
    url: Option<String>,
    /// `elasticsearch` or `opensearch`, with `--url`.
    #[arg(long, default_value = "opensearch")]
    backend: String,
    /// The repository, with `--url`.
    #[arg(long, default_value = REPO)]
    repository: String,
    /// The label of the real engine's row, with `--url`.
    #[arg(long, default_value = "real engine")]
    label: String,
}

const REPO: &str = "camunda_backup";
/// First backup id; GET one asks for the second one.
const FIRST_ID: u64 = 20_240_000_000_000;

fn seed(cluster: &EmulatedCluster, backups: u64, indices: usize) {
    cluster.add_repository(REPO);
    let start = 1_731_585_600_123_i64;
    let snapshots = (0..backups).flat_map(|i| {
        let id = FIRST_ID + i;
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
                EmulatedSnapshotState::Success,
                start + i as i64 * 60_000 + part,
            )
            .with_indices(names)
            .with_duration_millis(388)
            .with_metadata(serde_json::json!({
                "backupId": id, "version": "8.6.0", "partNo": part, "partCount": 2
            }))
        })
    });
    cluster.insert_snapshots(REPO, snapshots);
}

/// Median time and size of `runs` downloads of `url`.
async fn timed(http: &HttpClient, url: &str, runs: usize, warm_up: bool) -> (Duration, usize) {
    let mut samples = Vec::with_capacity(runs);
    let mut size = 0;
    for run in 0..runs + usize::from(warm_up) {
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
        if run > 0 || !warm_up {
            samples.push(took);
        }
    }
    (median(&mut samples), size)
}

/// Cluster requests and body bytes the server logged since `from` (a byte
/// offset into its log), the `GET /` version probe excluded.
fn logged_requests(log: &Path, from: usize) -> (usize, u64, usize) {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let mut requests = 0;
    let mut bytes = 0;
    for line in text[from.min(text.len())..].lines() {
        if !line.contains(" answered") || line.contains("path=\"\"") {
            continue;
        }
        requests += 1;
        bytes += line
            .split_whitespace()
            .find_map(|field| field.strip_prefix("bytes="))
            .and_then(|n| n.parse::<u64>().ok())
            .unwrap_or(0);
    }
    (requests, bytes, text.len())
}

/// Everything measured for one flavor and size.
struct Row {
    label: String,
    backups: u64,
    verbose_bytes: usize,
    verbose: Duration,
    list: Duration,
    list_cpu: Duration,
    list_bytes: u64,
    list_requests: usize,
    peak_kib: u64,
    one: Duration,
    one_requests: usize,
    one_bytes: u64,
}

impl Row {
    fn markdown(&self) -> String {
        format!(
            "| {} | {} | {:.1} MB | {:.0} ms | {:.0} ms | {:.0} ms | **{:.2}** | {:.2} MB | **{:.3}** | **{:.1} MiB** | {} | {:.2} ms / {} / {} B |",
            self.label,
            self.backups,
            self.verbose_bytes as f64 / 1e6,
            self.verbose.as_secs_f64() * 1e3,
            self.list.as_secs_f64() * 1e3,
            self.list_cpu.as_secs_f64() * 1e3,
            self.list.as_secs_f64() / self.verbose.as_secs_f64(),
            self.list_bytes as f64 / 1e6,
            self.list_bytes as f64 / self.verbose_bytes as f64,
            self.peak_kib as f64 / 1024.0,
            self.list_requests,
            self.one.as_secs_f64() * 1e3,
            self.one_requests,
            self.one_bytes,
        )
    }

    fn csv(&self) -> String {
        format!(
            "{},{},{},{:.6},{:.6},{},{},{},{:.6},{},{},{:.3}\n",
            self.label,
            self.backups,
            self.verbose_bytes,
            self.verbose.as_secs_f64(),
            self.list.as_secs_f64(),
            self.list_bytes,
            self.list_requests,
            self.peak_kib,
            self.one.as_secs_f64(),
            self.one_requests,
            self.one_bytes,
            self.list_cpu.as_secs_f64(),
        )
    }
}

/// Measures one server against one cluster holding `backups` backups.
async fn measure(
    label: String,
    backups: u64,
    verbose_url: &str,
    server: &ServerProcess,
    log: &Path,
    one_id: u64,
    runs: usize,
) -> Row {
    let http = client();
    let warm_up = backups < 50_000;
    let runs = if warm_up { runs } else { 1 };
    let (verbose, verbose_bytes) = timed(&http, verbose_url, runs, warm_up).await;
    let list_url = format!("{}/actuator/backups", server.url());
    // The version probe is made by the first request; it is not counted.
    let (_, _, mut offset) = logged_requests(log, 0);
    let cpu_before = server.pid().and_then(cpu_time);
    let (list, _) = timed(&http, &list_url, runs, warm_up).await;
    let cpu_after = server.pid().and_then(cpu_time);
    let peak_kib = server
        .pid()
        .and_then(memory_kib)
        .map_or(0, |(_, peak)| peak);
    // Requests of one list: the last of the timed runs.
    let (all_requests, all_bytes, end) = logged_requests(log, offset);
    let lists = (runs + usize::from(warm_up)).max(1);
    let (list_requests, list_bytes) = (all_requests / lists, all_bytes / lists as u64);
    // The server's CPU time per list (parse, aggregate, write), over every
    // list of the timed loop, the warm-up included.
    let list_cpu = match (cpu_before, cpu_after) {
        (Some(before), Some(after)) => after.saturating_sub(before) / lists as u32,
        _ => Duration::ZERO,
    };
    offset = end;

    let one_url = format!("{}/actuator/backups/{one_id}", server.url());
    let (one, _) = timed(&http, &one_url, runs.max(5), true).await;
    let (one_all, one_all_bytes, _) = logged_requests(log, offset);
    let ones = runs.max(5) + 1;
    Row {
        label,
        backups,
        verbose_bytes,
        verbose,
        list,
        list_cpu,
        list_bytes,
        list_requests,
        peak_kib,
        one,
        one_requests: one_all / ones,
        one_bytes: one_all_bytes / ones as u64,
    }
}

fn server_args(backend: &str, url: &str, repository: &str, metrics: bool) -> Vec<String> {
    let mut args: Vec<String> = [
        "--backend",
        backend,
        "--url",
        url,
        "--repository",
        repository,
        "--request-timeout",
        "600s",
    ]
    .map(String::from)
    .to_vec();
    if metrics {
        args.push("--metrics".into());
    }
    args
}

const LOG_FILTER: &str = "warn,backup_actuator_search=debug";

fn header() {
    println!("| flavor | backups | verbose answer | verbose download | list | server CPU per list | list ÷ verbose time | downloaded | bytes ÷ verbose bytes | server peak RSS | list requests | GET one: time / requests / bytes |");
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|");
}

fn record(row: &Row, csv: Option<&PathBuf>) {
    println!("{}", row.markdown());
    if let Some(path) = csv {
        use std::io::Write as _;
        let fresh = !path.exists();
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        if fresh {
            let _ = file.write_all(b"label,backups,verbose_bytes,verbose_s,list_s,list_bytes,list_requests,peak_kib,one_s,one_requests,one_bytes,list_cpu_s\n");
        }
        let _ = file.write_all(row.csv().as_bytes());
    }
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let log = std::env::temp_dir().join(format!("list-perf-{}.log", std::process::id()));
    println!(
        "list-perf: {} index names per snapshot, median of {} runs (1 run from 50,000 backups)",
        args.indices, args.runs
    );
    header();

    if let Some(url) = &args.url {
        let url = url.trim_end_matches('/');
        let count = {
            let http = client();
            let (_, body) = send(
                &http,
                Method::GET,
                &format!(
                    "{url}/_snapshot/{}/camunda_optimize_*?verbose=false",
                    args.repository
                ),
                None,
            )
            .await
            .expect("the engine answers");
            serde_json::from_slice::<serde_json::Value>(&body)
                .ok()
                .and_then(|v| v["snapshots"].as_array().map(Vec::len))
                .unwrap_or(0) as u64
        };
        let server = ServerProcess::start_logging(
            &args.server_bin,
            &server_args(&args.backend, url, &args.repository, args.metrics),
            LOG_FILTER,
            Some(&log),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
        let verbose_url = format!("{url}/_snapshot/{}/camunda_optimize_*", args.repository);
        let row = measure(
            args.label.clone(),
            count / 2,
            &verbose_url,
            &server,
            &log,
            FIRST_ID + 1,
            args.runs,
        )
        .await;
        record(&row, args.csv.as_ref());
        server.stop().await;
        let _ = std::fs::remove_file(&log);
        return;
    }

    let flavors: Vec<Flavor> = Flavor::ALL
        .into_iter()
        .filter(|f| {
            args.flavors.is_empty() || args.flavors.iter().any(|p| f.version().starts_with(p))
        })
        .collect();
    for &backups in &args.backups {
        for &flavor in &flavors {
            let cluster = EmulatedCluster::start(flavor).await.expect("emulator");
            seed(&cluster, backups, args.indices);
            let backend = if flavor.is_opensearch() {
                "opensearch"
            } else {
                "elasticsearch"
            };
            let server = ServerProcess::start_logging(
                &args.server_bin,
                &server_args(backend, &cluster.url(), REPO, args.metrics),
                LOG_FILTER,
                Some(&log),
            )
            .await
            .unwrap_or_else(|e| panic!("{e}"));
            let verbose_url = format!("{}/_snapshot/{REPO}/camunda_optimize_*", cluster.url());
            let row = measure(
                flavor.to_string(),
                backups,
                &verbose_url,
                &server,
                &log,
                FIRST_ID + 1,
                args.runs,
            )
            .await;
            record(&row, args.csv.as_ref());
            server.stop().await;
            cluster.shutdown().await;
        }
    }
    let _ = std::fs::remove_file(&log);
}
