//! SPEC §10–§11 through the built binary: alerts that can be trusted. The
//! backup gauges follow the server's own reads (at start, after every
//! slot), retention runs at every slot even when backups outlast it, and
//! the alert rules and the dashboard shipped in docs parse and name only
//! metrics the server exports.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::thread;
use std::time::{Duration, Instant};

use backup_actuator_testkit::{Fault, Flavor};
use common::{Cluster, Server};
use promql_parser::label::MatchOp;
use promql_parser::parser::{self, Expr, VectorSelector};
use promql_parser::util::{walk_expr, ExprVisitor};

/// Waits until `server` has logged `needle` `times` times (60 s at most).
fn wait_for_log(server: &Server, needle: &str, times: usize) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let lines = server.stderr.lock().unwrap().clone();
        if lines.iter().filter(|l| l.contains(needle)).count() >= times {
            return lines;
        }
        assert!(
            Instant::now() < deadline,
            "no {times} × {needle:?} within 60 s: {lines:#?}"
        );
        thread::sleep(Duration::from_millis(50));
    }
}

/// One scrape in the Prometheus text format: each sample's series (name
/// and labels as written) and value.
fn scrape(server: &Server) -> BTreeMap<String, f64> {
    let (status, text) = server.request("GET", "/actuator/prometheus", "");
    assert_eq!(status, 200, "{text}");
    text.lines()
        .filter(|line| !line.starts_with('#') && !line.is_empty())
        .filter_map(|line| {
            let (series, value) = line.rsplit_once(' ')?;
            Some((series.to_owned(), value.parse().ok()?))
        })
        .collect()
}

/// Scrapes until `done` holds for the samples (30 s at most).
fn scrape_until(
    server: &Server,
    what: &str,
    done: impl Fn(&BTreeMap<String, f64>) -> bool,
) -> BTreeMap<String, f64> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let samples = scrape(server);
        if done(&samples) {
            return samples;
        }
        assert!(
            Instant::now() < deadline,
            "no {what} within 30 s: {samples:#?}"
        );
        thread::sleep(Duration::from_millis(100));
    }
}

fn value(samples: &BTreeMap<String, f64>, series: &str) -> f64 {
    samples.get(series).copied().unwrap_or(f64::NAN)
}

const FAILED: &str = r#"backup_actuator_backups{state="FAILED"}"#;
const COMPLETE: &str = r#"backup_actuator_backups{state="COMPLETE"}"#;
const NEWEST: &str = "backup_actuator_newest_complete_backup_start_time_seconds";
const READ_FAILURES: &str = "backup_actuator_repository_read_failures_total";

#[test]
fn a_schedule_only_server_shows_a_failed_backup_in_the_gauges_within_one_slot() {
    let server = Server::start(&[
        "--repository",
        "backups",
        "--memory-complete-after",
        "0s",
        "--memory-outcome",
        "*_part_2_of_2=failed",
        "--schedule",
        "* * * * * *",
        "--schedule-seconds",
        "--metrics",
    ]);
    wait_for_log(&server, "triggered", 1);
    // Only scrapes from here: nobody lists or reads a backup.
    scrape_until(&server, "FAILED backup in the gauge", |s| {
        value(s, FAILED) >= 1.0
    });
    let log = server.stop();
    assert!(
        !log.lines()
            .any(|l| l.contains("route=\"/backups") || l.contains("route=/backups")),
        "nobody read the backups over HTTP: {log}"
    );
}

#[test]
fn after_a_restart_the_newest_complete_gauge_is_right_before_any_request() {
    let cluster = Cluster::start(Flavor::OpenSearch2);
    let url = cluster.url();
    let args = [
        "--backend",
        "opensearch",
        "--url",
        &url,
        "--repository",
        "backups",
        "--app-version",
        "8.6.0",
    ];
    let before = Server::start(&args);
    let (status, body) = before.request("POST", "/actuator/backups", r#"{"backupId": 5}"#);
    assert_eq!(status, 202, "{body}");
    let deadline = Instant::now() + Duration::from_secs(30);
    let backup = loop {
        let backup = before.json("/actuator/backups/5");
        if backup["state"] == "COMPLETE" {
            break backup;
        }
        assert!(Instant::now() < deadline, "{backup:#}");
        thread::sleep(Duration::from_millis(100));
    };
    before.stop();
    let started: f64 = backup["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|part| {
            let text = part["startTime"].as_str().unwrap();
            let ts = jiff::fmt::strtime::parse("%Y-%m-%dT%H:%M:%S%.f%z", text)
                .and_then(|tm| tm.to_timestamp())
                .unwrap();
            ts.as_millisecond() as f64 / 1000.0
        })
        .fold(f64::INFINITY, f64::min);

    let mut with_metrics = args.to_vec();
    with_metrics.push("--metrics");
    let after = Server::start(&with_metrics);
    // The first request of the new process is the scrape.
    let samples = scrape(&after);
    assert_eq!(value(&samples, NEWEST), started, "{samples:#?}");
    assert_eq!(value(&samples, COMPLETE), 1.0, "{samples:#?}");
    assert_eq!(value(&samples, READ_FAILURES), 0.0, "{samples:#?}");
    after.stop();
}

#[test]
fn a_read_that_fails_leaves_the_gauges_as_they_were_and_is_counted() {
    let cluster = Cluster::start(Flavor::OpenSearch2);
    let url = cluster.url();
    let server = Server::start(&[
        "--backend",
        "opensearch",
        "--url",
        &url,
        "--repository",
        "backups",
        "--app-version",
        "8.6.0",
        "--request-timeout",
        "2s",
        "--schedule",
        "* * * * * *",
        "--schedule-seconds",
        "--metrics",
    ]);
    let seen = scrape_until(&server, "a COMPLETE scheduled backup", |s| {
        value(s, COMPLETE) >= 1.0 && value(s, NEWEST) > 0.0
    });
    // From now on every call to the cluster fails.
    cluster.inject_fault(Fault::close_connection());
    let failing = scrape_until(&server, "two failed reads", |s| {
        value(s, READ_FAILURES) >= 2.0
    });
    // The slot that was running when the fault came may have moved them
    // once more; after that they stay.
    let stuck = scrape(&server);
    thread::sleep(Duration::from_millis(1500));
    let later = scrape(&server);
    assert!(value(&later, READ_FAILURES) > value(&stuck, READ_FAILURES));
    for series in [COMPLETE, NEWEST, FAILED] {
        assert_eq!(
            value(&later, series),
            value(&stuck, series),
            "{series} kept its value: {failing:#?} {later:#?}"
        );
    }
    assert!(
        value(&later, COMPLETE) >= value(&seen, COMPLETE),
        "not zeroed"
    );
    assert!(value(&later, NEWEST) >= value(&seen, NEWEST), "not zeroed");
    cluster.clear_faults();
    server.stop();
}

#[test]
fn retention_deletes_what_keep_last_says_when_backups_outlast_the_interval() {
    // A slot every second; every backup takes three.
    let server = Server::start(&[
        "--repository",
        "backups",
        "--memory-complete-after",
        "3s",
        "--schedule",
        "* * * * * *",
        "--schedule-seconds",
        "--keep-last",
        "2",
    ]);
    let log = wait_for_log(&server, "retention deleted backup", 2);
    for line in log
        .iter()
        .filter(|l| l.contains("retention deleted backup"))
    {
        assert!(
            line.contains(": keep-last 2: not among the 2 newest"),
            "{line}"
        );
    }
    assert!(
        log.iter()
            .any(|l| l.contains("still running at the next slot; retention runs")),
        "{log:#?}"
    );
    server.stop();
}

/// Every `expr` in a YAML document, at any depth (a rules file's
/// `groups[].rules[]`, or a bare list of rules in the operations guide).
fn expressions(yaml: &serde_norway::Value, found: &mut Vec<String>) {
    match yaml {
        serde_norway::Value::Mapping(map) => {
            for (key, value) in map {
                match (key.as_str(), value.as_str()) {
                    (Some("expr"), Some(expr)) => found.push(expr.to_owned()),
                    _ => expressions(value, found),
                }
            }
        }
        serde_norway::Value::Sequence(items) => {
            for item in items {
                expressions(item, found);
            }
        }
        _ => {}
    }
}

/// Every `expr` of a Grafana dashboard (each panel target's query).
fn dashboard_expressions(json: &serde_json::Value, found: &mut Vec<String>) {
    match json {
        serde_json::Value::Object(map) => {
            for (key, value) in map {
                match (key.as_str(), value.as_str()) {
                    ("expr", Some(expr)) => found.push(expr.to_owned()),
                    _ => dashboard_expressions(value, found),
                }
            }
        }
        serde_json::Value::Array(items) => {
            for item in items {
                dashboard_expressions(item, found);
            }
        }
        _ => {}
    }
}

/// The PromQL shipped in `docs/`: the rules of `docs/alerts.yaml`, those
/// of every YAML block of `docs/operations.md` that has one, and the
/// queries of `docs/grafana-dashboard.json`.
fn shipped_expressions() -> Vec<(String, String)> {
    let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs");
    let mut found = Vec::new();
    let rules = std::fs::read_to_string(docs.join("alerts.yaml")).unwrap();
    let rules: serde_norway::Value = serde_norway::from_str(&rules).unwrap();
    let mut exprs = Vec::new();
    expressions(&rules, &mut exprs);
    found.extend(
        exprs
            .into_iter()
            .map(|e| ("docs/alerts.yaml".to_owned(), e)),
    );

    let guide = std::fs::read_to_string(docs.join("operations.md")).unwrap();
    for rest in guide.split("```yaml\n").skip(1) {
        let block = rest.split("\n```").next().unwrap();
        if !block.contains("expr:") {
            continue;
        }
        let yaml: serde_norway::Value = serde_norway::from_str(block)
            .unwrap_or_else(|e| panic!("operations.md: a YAML block does not parse: {e}\n{block}"));
        let mut exprs = Vec::new();
        expressions(&yaml, &mut exprs);
        found.extend(
            exprs
                .into_iter()
                .map(|e| ("docs/operations.md".to_owned(), e)),
        );
    }

    let dashboard = std::fs::read_to_string(docs.join("grafana-dashboard.json")).unwrap();
    let dashboard: serde_json::Value = serde_json::from_str(&dashboard).unwrap();
    let mut exprs = Vec::new();
    dashboard_expressions(&dashboard, &mut exprs);
    found.extend(
        exprs
            .into_iter()
            .map(|e| ("docs/grafana-dashboard.json".to_owned(), e)),
    );
    found
}

/// The selectors of a PromQL expression (plain and range vectors).
#[derive(Default)]
struct Selectors(Vec<VectorSelector>);

impl ExprVisitor for Selectors {
    type Error = std::convert::Infallible;

    fn pre_visit(&mut self, expr: &Expr) -> Result<bool, Self::Error> {
        match expr {
            Expr::VectorSelector(vs) => self.0.push(vs.clone()),
            Expr::MatrixSelector(ms) => self.0.push(ms.vs.clone()),
            _ => {}
        }
        Ok(true)
    }
}

/// Sample name → the label pairs its series carry, from a scrape.
fn exported(samples: &BTreeMap<String, f64>) -> BTreeMap<String, BTreeSet<(String, String)>> {
    let mut names: BTreeMap<String, BTreeSet<(String, String)>> = BTreeMap::new();
    for series in samples.keys() {
        let (name, labels) = match series.split_once('{') {
            Some((name, labels)) => (name, labels.trim_end_matches('}')),
            None => (series.as_str(), ""),
        };
        let pairs = names.entry(name.to_owned()).or_default();
        for pair in labels.split(',').filter(|p| !p.is_empty()) {
            if let Some((key, value)) = pair.split_once('=') {
                pairs.insert((key.to_owned(), value.trim_matches('"').to_owned()));
            }
        }
    }
    names
}

#[test]
fn the_shipped_alert_rules_and_dashboard_parse_and_name_only_exported_metrics() {
    let shipped = shipped_expressions();
    for file in [
        "docs/alerts.yaml",
        "docs/operations.md",
        "docs/grafana-dashboard.json",
    ] {
        assert!(
            shipped.iter().any(|(from, _)| from == file),
            "no expression found in {file}"
        );
    }
    // A server as an operator runs it; one request first, so the request
    // metrics have series too (the store calls have them from the start
    // read).
    let server = Server::start(&[
        "--repository",
        "backups",
        "--schedule",
        "@daily",
        "--keep-last",
        "7",
        "--metrics",
    ]);
    let (status, _) = server.request("GET", "/actuator/health", "");
    assert_eq!(status, 200);
    let names = exported(&scrape(&server));
    server.stop();

    let mut wrong = Vec::new();
    for (file, expr) in &shipped {
        let parsed = match parser::parse(expr) {
            Ok(parsed) => parsed,
            Err(err) => {
                wrong.push(format!("{file}: `{expr}` does not parse: {err}"));
                continue;
            }
        };
        let mut selectors = Selectors::default();
        let _ = walk_expr(&mut selectors, &parsed);
        assert!(!selectors.0.is_empty(), "{file}: `{expr}` names no metric");
        for selector in &selectors.0 {
            let name = selector.name.clone().unwrap_or_default();
            let Some(labels) = names.get(&name) else {
                wrong.push(format!("{file}: `{expr}`: {name} is not exported"));
                continue;
            };
            for matcher in &selector.matchers.matchers {
                let known = match matcher.op {
                    MatchOp::Equal => {
                        labels.contains(&(matcher.name.clone(), matcher.value.clone()))
                    }
                    _ => labels.iter().any(|(key, _)| *key == matcher.name),
                };
                if !known {
                    wrong.push(format!(
                        "{file}: `{expr}`: {name} has no series with {}{}{:?}",
                        matcher.name, matcher.op, matcher.value
                    ));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}\nexported: {names:#?}");
}
