//! Drives the stand-alone server on the memory store with a mixed workload
//! from this (second) process and reports throughput, latency, errors and
//! the server's memory at the start and the end.
//!
//! ```sh
//! cargo build --release -p backup-actuator-server -p backup-actuator-loadgen
//! target/release/soak --server-bin target/release/backup-actuator --duration 60s
//! ```
//!
//! The mix per ten requests: 4 GET one, 2 GET list, 2 POST (new ids),
//! 2 DELETE (each id once, `window` behind the newest), so the number of
//! live backups stays near `window` and memory should stay flat.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use backup_actuator_loadgen::{client, ms, quantile, send, ServerProcess};
use clap::Parser;
use http::Method;

#[derive(Parser, Debug)]
#[command(about = "Mixed-workload soak test of the backup-actuator server")]
struct Args {
    /// The server binary to start.
    #[arg(long, default_value = "target/release/backup-actuator")]
    server_bin: String,
    /// How long to drive load.
    #[arg(long, default_value = "60s", value_parser = humantime::parse_duration)]
    duration: Duration,
    /// Concurrent connections.
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
    /// How many backups stay alive (DELETE trails POST by this many ids).
    #[arg(long, default_value_t = 200)]
    window: u64,
    /// Warm-up before the start figures are taken.
    #[arg(long, default_value = "5s", value_parser = humantime::parse_duration)]
    warmup: Duration,
}

#[derive(Default)]
struct Tally {
    latencies: Vec<Duration>,
    errors: u64,
    first_errors: Vec<String>,
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let server = match ServerProcess::start(
        &args.server_bin,
        &[
            "--backend".into(),
            "memory".into(),
            "--repository".into(),
            "soak".into(),
            "--memory-complete-after".into(),
            "100ms".into(),
        ],
    )
    .await
    {
        Ok(server) => server,
        Err(e) => {
            eprintln!("soak: {e}");
            std::process::exit(2);
        }
    };
    let base = format!("{}/actuator", server.url());
    let next_id = Arc::new(AtomicU64::new(1));
    // Deletes walk behind creations with their own counter, so every id is
    // deleted exactly once and the live set stays at `window` backups.
    let next_delete = Arc::new(AtomicU64::new(1));
    let tally = Arc::new(Mutex::new(Tally::default()));
    let measuring = Arc::new(std::sync::atomic::AtomicBool::new(false));

    let started = Instant::now();
    let deadline = started + args.warmup + args.duration;
    let mut workers = Vec::new();
    for worker in 0..args.concurrency {
        let (base, next_id, next_delete, tally, measuring) = (
            base.clone(),
            next_id.clone(),
            next_delete.clone(),
            tally.clone(),
            measuring.clone(),
        );
        let window = args.window;
        workers.push(tokio::spawn(async move {
            let client = client();
            let mut step = worker as u64;
            while Instant::now() < deadline {
                step += 1;
                let newest = next_id.load(Ordering::Relaxed);
                let (method, url, body, ok): (Method, String, Option<String>, &[u16]) = match step
                    % 10
                {
                    0..=3 => {
                        let id = newest.saturating_sub(1 + step % window.max(1));
                        (
                            Method::GET,
                            format!("{base}/backups/{id}"),
                            None,
                            &[200, 404],
                        )
                    }
                    4 | 5 => (Method::GET, format!("{base}/backups"), None, &[200]),
                    6 | 7 => {
                        let id = next_id.fetch_add(1, Ordering::Relaxed);
                        let body = format!(r#"{{"backupId":{id}}}"#);
                        (Method::POST, format!("{base}/backups"), Some(body), &[202])
                    }
                    _ => {
                        let claimed =
                            next_delete.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |d| {
                                (d + window < newest).then_some(d + 1)
                            });
                        match claimed {
                            Ok(id) => {
                                (Method::DELETE, format!("{base}/backups/{id}"), None, &[204])
                            }
                            // Not enough backups yet: read one instead.
                            Err(_) => (
                                Method::GET,
                                format!("{base}/backups/{}", newest.saturating_sub(1)),
                                None,
                                &[200, 404],
                            ),
                        }
                    }
                };
                let sent = Instant::now();
                let result = send(&client, method.clone(), &url, body.as_deref()).await;
                let took = sent.elapsed();
                if !measuring.load(Ordering::Relaxed) {
                    continue;
                }
                let mut tally = tally.lock().unwrap();
                tally.latencies.push(took);
                let failure = match result {
                    Ok((status, _)) if ok.contains(&status) => None,
                    Ok((status, body)) => Some(format!(
                        "{method} {url} -> {status} {}",
                        String::from_utf8_lossy(&body)
                    )),
                    Err(e) => Some(format!("{method} {url} -> {e}")),
                };
                if let Some(failure) = failure {
                    tally.errors += 1;
                    if tally.first_errors.len() < 5 {
                        tally.first_errors.push(failure);
                    }
                }
            }
        }));
    }

    tokio::time::sleep(args.warmup).await;
    let rss_start = server.memory_kib();
    measuring.store(true, Ordering::Relaxed);
    let measure_start = Instant::now();
    for worker in workers {
        let _ = worker.await;
    }
    let measured = measure_start.elapsed();
    let rss_end = server.memory_kib();
    server.stop().await;

    let mut tally = std::mem::take(&mut *tally.lock().unwrap());
    tally.latencies.sort_unstable();
    let count = tally.latencies.len();
    let kib = |m: Option<(u64, u64)>| m.map_or("n/a".to_owned(), |(rss, _)| format!("{rss} KiB"));
    println!(
        "soak: {} s, {} connections, window {} backups",
        measured.as_secs(),
        args.concurrency,
        args.window
    );
    println!("| figure | value |");
    println!("|---|---|");
    println!("| requests | {count} |");
    println!(
        "| throughput | {:.0} req/s |",
        count as f64 / measured.as_secs_f64()
    );
    println!(
        "| p50 latency | {} ms |",
        ms(quantile(&tally.latencies, 0.5))
    );
    println!(
        "| p99 latency | {} ms |",
        ms(quantile(&tally.latencies, 0.99))
    );
    println!("| errors | {} |", tally.errors);
    println!("| server RSS after warm-up | {} |", kib(rss_start));
    println!("| server RSS at the end | {} |", kib(rss_end));
    if let (Some((start, _)), Some((end, peak))) = (rss_start, rss_end) {
        println!("| RSS end ÷ start | {:.3} |", end as f64 / start as f64);
        println!("| server peak RSS | {peak} KiB |");
    }
    for e in &tally.first_errors {
        eprintln!("error: {e}");
    }
    if tally.errors > 0 {
        std::process::exit(1);
    }
}
