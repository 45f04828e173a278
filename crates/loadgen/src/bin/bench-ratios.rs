//! Prints the ratios the performance goals are stated in, from the last
//! criterion run (both contenders of each pair are measured in one run).
//!
//! ```sh
//! cargo bench -p backup-actuator-loadgen -p backup-actuator-search
//! cargo run -p backup-actuator-loadgen --bin bench-ratios
//! ```

use std::path::{Path, PathBuf};

/// (what, numerator benchmark, denominator benchmark, goal)
const PAIRS: &[(&str, &str, &str, &str)] = &[
    (
        "service throughput ÷ bare hyper handler (= bare time ÷ service time)",
        "get_one_over_hyper/bare_service_fn",
        "get_one_over_hyper/backup_service_get_one",
        ">= 0.8",
    ),
    (
        "service throughput with metrics on ÷ off (= time off ÷ time on)",
        "get_one_over_hyper/backup_service_get_one",
        "get_one_over_hyper/backup_service_get_one_with_metrics",
        ">= 0.9",
    ),
    (
        "parse+aggregate+serialize ÷ serde_json::Value parse, 20,000 snapshots",
        "list_20000_snapshots/parse_aggregate_serialize",
        "list_20000_snapshots/serde_json_value_floor",
        "(lower is better)",
    ),
];

fn mean_ns(target: &Path, bench: &str) -> Option<f64> {
    let path = target
        .join("criterion")
        .join(bench)
        .join("new/estimates.json");
    let text = std::fs::read_to_string(&path).ok()?;
    let json: serde_json::Value = serde_json::from_str(&text).ok()?;
    json["median"]["point_estimate"].as_f64()
}

fn main() {
    let target =
        PathBuf::from(std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| "target".into()));
    for (what, numerator, denominator, goal) in PAIRS {
        match (mean_ns(&target, numerator), mean_ns(&target, denominator)) {
            (Some(n), Some(d)) => println!(
                "{what}: {:.3} (goal {goal}; {numerator} {:.1} µs, {denominator} {:.1} µs)",
                n / d,
                n / 1000.0,
                d / 1000.0
            ),
            _ => println!("{what}: no results; run the benchmarks first"),
        }
    }
}
