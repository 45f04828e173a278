//! The emulator against a real engine: the same fixed list of snapshot-API
//! requests goes to both, and every answer must agree in status, content
//! type, error `type` (and reason, uuids masked), top-level keys, and each
//! snapshot's key set and state. Values that differ by nature (uuids, times,
//! version numbers, node names) are never compared.
//!
//! The real engine comes from `live::cluster` (OpenSearch 2.19 / 3.x and
//! Elasticsearch 7.10.2 in CI); the emulator runs the closest [`Flavor`]
//! (see [`closest_flavor`]). To add a request, add a [`Step`] to [`steps`]:
//! placeholders `{repo}`, `{missing}`, `{prefix}` and `{index}` are
//! replaced by this run's unique names before sending, and `only` limits a
//! step to the engines that have the feature.
//!
//! Divergences the emulator keeps on purpose are in [`ACCEPTED`], each with
//! its reason (and in the crate README); any other divergence fails.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use backup_actuator_testkit::live::{self, LiveAnswer, LiveCluster, LiveProduct};
use backup_actuator_testkit::{EmulatedCluster, Flavor};
use serde_json::Value;

/// One request of the replay, or a pause until both sides settle.
#[derive(Clone, Copy)]
enum Step {
    /// Sent to both sides and compared.
    Send {
        name: &'static str,
        method: &'static str,
        path: &'static str,
        body: Option<&'static str>,
        /// Where the step applies; `None` is everywhere.
        only: Option<fn(Flavor) -> bool>,
    },
    /// Polls `GET _snapshot/{repo}/{prefix}_*` on both sides until nothing
    /// is IN_PROGRESS (the emulator finishes at once, a real engine soon).
    Settle,
    /// Removes the named snapshot's `snap-{uuid}.dat`: from the repository
    /// directory on a real engine, with `remove_snapshot_blob` on the
    /// emulator.
    RemoveBlob(&'static str),
}

const fn send(
    name: &'static str,
    method: &'static str,
    path: &'static str,
    body: Option<&'static str>,
) -> Step {
    Step::Send {
        name,
        method,
        path,
        body,
        only: None,
    }
}

const CREATE_BODY_1: &str = r#"{"indices":["{index}"],"include_global_state":false,"metadata":{"backupId":1,"version":"8.6.0","partNo":1,"partCount":2}}"#;
const CREATE_BODY_2: &str = r#"{"indices":["{index}*","-{index}-excluded*"],"include_global_state":false,"metadata":{"backupId":1,"version":"8.6.0","partNo":2,"partCount":2}}"#;
const CREATE_MISSING_INDEX: &str =
    r#"{"indices":["{index}-does-not-exist"],"include_global_state":false}"#;
const REPO_BODY: &str = r#"{"type":"fs","settings":{"location":"{location}"}}"#;

/// The replay, in order. Every request the stores send (crates/search:
/// `GET /`, find with its parameters, create with `wait_for_completion=false`,
/// DELETE of a comma list), their error cases, and the neighbours a
/// client may meet.
fn steps() -> Vec<Step> {
    vec![
        send("root", "GET", "/", None),
        send(
            "register repository",
            "PUT",
            "_snapshot/{repo}",
            Some(REPO_BODY),
        ),
        send("get repository", "GET", "_snapshot/{repo}", None),
        send("get missing repository", "GET", "_snapshot/{missing}", None),
        send(
            "find in missing repository",
            "GET",
            "_snapshot/{missing}/{prefix}_*",
            None,
        ),
        send(
            "find matching nothing",
            "GET",
            "_snapshot/{repo}/{prefix}_1_*",
            None,
        ),
        send(
            "list on an empty repository",
            "GET",
            "_snapshot/{repo}/{prefix}_*",
            None,
        ),
        send(
            "all on an empty repository",
            "GET",
            "_snapshot/{repo}/_all",
            None,
        ),
        send(
            "create part 1",
            "PUT",
            "_snapshot/{repo}/{prefix}_1_8.6.0_part_1_of_2?wait_for_completion=false",
            Some(CREATE_BODY_1),
        ),
        send(
            "create part 2 (wildcard and exclusion)",
            "PUT",
            "_snapshot/{repo}/{prefix}_1_8.6.0_part_2_of_2?wait_for_completion=false",
            Some(CREATE_BODY_2),
        ),
        Step::Settle,
        send(
            "create a duplicate name",
            "PUT",
            "_snapshot/{repo}/{prefix}_1_8.6.0_part_1_of_2?wait_for_completion=false",
            Some(CREATE_BODY_1),
        ),
        send(
            "create with an uppercase name",
            "PUT",
            "_snapshot/{repo}/{prefix}_Bad?wait_for_completion=false",
            Some(CREATE_BODY_1),
        ),
        send(
            "create with a name starting with _",
            "PUT",
            "_snapshot/{repo}/_{prefix}?wait_for_completion=false",
            Some(CREATE_BODY_1),
        ),
        send(
            "create of a missing index",
            "PUT",
            "_snapshot/{repo}/{prefix}_9_8.6.0_part_1_of_1?wait_for_completion=false",
            Some(CREATE_MISSING_INDEX),
        ),
        send(
            "create in a missing repository",
            "PUT",
            "_snapshot/{missing}/{prefix}_1_8.6.0_part_1_of_2?wait_for_completion=false",
            Some(CREATE_BODY_1),
        ),
        send(
            "create with an unknown parameter",
            "PUT",
            "_snapshot/{repo}/{prefix}_8_8.6.0_part_1_of_1?wait_for_completion=false&bogus=1",
            Some(CREATE_BODY_1),
        ),
        send(
            "find one backup",
            "GET",
            "_snapshot/{repo}/{prefix}_1_*",
            None,
        ),
        send("list", "GET", "_snapshot/{repo}/{prefix}_*", None),
        send("all", "GET", "_snapshot/{repo}/_all", None),
        send(
            "exact name",
            "GET",
            "_snapshot/{repo}/{prefix}_1_8.6.0_part_2_of_2",
            None,
        ),
        send(
            "exact name missing",
            "GET",
            "_snapshot/{repo}/{prefix}_2_8.6.0_part_1_of_2",
            None,
        ),
        send(
            "exact name missing, ignore_unavailable",
            "GET",
            "_snapshot/{repo}/{prefix}_2_8.6.0_part_1_of_2?ignore_unavailable=true",
            None,
        ),
        send(
            "pattern matching nothing, ignore_unavailable",
            "GET",
            "_snapshot/{repo}/{prefix}_2_*?ignore_unavailable=true",
            None,
        ),
        send(
            "list, verbose=false",
            "GET",
            "_snapshot/{repo}/{prefix}_*?verbose=false",
            None,
        ),
        send(
            "list with an unknown parameter",
            "GET",
            "_snapshot/{repo}/{prefix}_*?bogus=1",
            None,
        ),
        // The stores send `size` only to ES >= 7.14 and `index_names` only to
        // ES >= 8.3: elsewhere both must be refused, as the emulator does.
        send(
            "list with size (paging)",
            "GET",
            "_snapshot/{repo}/{prefix}_*?size=1",
            None,
        ),
        Step::Send {
            name: "second page (after)",
            method: "GET",
            path: "_snapshot/{repo}/{prefix}_*?size=1&after={next}",
            body: None,
            only: Some(pages),
        },
        send(
            "list with index_names=false",
            "GET",
            "_snapshot/{repo}/{prefix}_*?index_names=false",
            None,
        ),
        send(
            "status of one snapshot",
            "GET",
            "_snapshot/{repo}/{prefix}_1_8.6.0_part_1_of_2/_status",
            None,
        ),
        send(
            "status of a missing snapshot",
            "GET",
            "_snapshot/{repo}/{prefix}_2_8.6.0_part_1_of_2/_status",
            None,
        ),
        send(
            "delete with one missing name",
            "DELETE",
            "_snapshot/{repo}/{prefix}_1_8.6.0_part_1_of_2,{prefix}_2_8.6.0_part_1_of_2",
            None,
        ),
        send(
            "find after the refused delete",
            "GET",
            "_snapshot/{repo}/{prefix}_1_*",
            None,
        ),
        // One snapshot whose blob is removed from the repository on disk.
        send(
            "create a third snapshot",
            "PUT",
            "_snapshot/{repo}/{prefix}_3_8.6.0_part_1_of_1?wait_for_completion=false",
            Some(CREATE_BODY_1),
        ),
        Step::Settle,
        Step::RemoveBlob("{prefix}_3_8.6.0_part_1_of_1"),
        send(
            "list with a removed blob",
            "GET",
            "_snapshot/{repo}/{prefix}_*",
            None,
        ),
        send(
            "list with a removed blob, ignore_unavailable",
            "GET",
            "_snapshot/{repo}/{prefix}_*?ignore_unavailable=true",
            None,
        ),
        send(
            "list with a removed blob, verbose=false",
            "GET",
            "_snapshot/{repo}/{prefix}_*?verbose=false",
            None,
        ),
        send(
            "exact name with a removed blob",
            "GET",
            "_snapshot/{repo}/{prefix}_3_8.6.0_part_1_of_1",
            None,
        ),
        send(
            "delete the snapshot with a removed blob",
            "DELETE",
            "_snapshot/{repo}/{prefix}_3_8.6.0_part_1_of_1",
            None,
        ),
        send(
            "list after deleting it",
            "GET",
            "_snapshot/{repo}/{prefix}_*",
            None,
        ),
        send(
            "delete in a missing repository",
            "DELETE",
            "_snapshot/{missing}/{prefix}_1_8.6.0_part_1_of_2",
            None,
        ),
        send(
            "delete a wildcard matching nothing",
            "DELETE",
            "_snapshot/{repo}/{prefix}_7_*",
            None,
        ),
        send(
            "delete both parts",
            "DELETE",
            "_snapshot/{repo}/{prefix}_1_8.6.0_part_1_of_2,{prefix}_1_8.6.0_part_2_of_2",
            None,
        ),
        send(
            "delete again",
            "DELETE",
            "_snapshot/{repo}/{prefix}_1_8.6.0_part_1_of_2",
            None,
        ),
        send(
            "list after delete",
            "GET",
            "_snapshot/{repo}/{prefix}_*",
            None,
        ),
        send("unregister repository", "DELETE", "_snapshot/{repo}", None),
    ]
}

/// ES >= 7.14 pages GET snapshots with `size`/`after`.
fn pages(flavor: Flavor) -> bool {
    !flavor.is_opensearch() && flavor >= Flavor::Elasticsearch7_17
}

/// A divergence kept on purpose: (flavor test, step name, aspect, reason).
type Accepted = (fn(Flavor) -> bool, &'static str, &'static str, &'static str);

/// Every divergence the emulator keeps, with the reason it stays. Also
/// listed in the crate README.
const ACCEPTED: &[Accepted] = &[];

/// The emulated flavor closest to a real engine's `GET /` answer.
fn closest_flavor(root: &Value) -> Flavor {
    let number = root["version"]["number"].as_str().unwrap_or_default();
    let major: u32 = number
        .split('.')
        .next()
        .and_then(|m| m.parse().ok())
        .unwrap_or(0);
    if root["version"]["distribution"] == "opensearch" {
        match major {
            0 | 1 => Flavor::OpenSearch1,
            2 => Flavor::OpenSearch2,
            _ => Flavor::OpenSearch3,
        }
    } else {
        let minor: u32 = number
            .split('.')
            .nth(1)
            .and_then(|m| m.parse().ok())
            .unwrap_or(0);
        match (major, minor) {
            (7, m) if m < 14 => Flavor::Elasticsearch7_10,
            (7, _) => Flavor::Elasticsearch7_17,
            (8, m) if m < 14 => Flavor::Elasticsearch8_13,
            (8, _) => Flavor::Elasticsearch8_15,
            _ => Flavor::Elasticsearch9,
        }
    }
}

/// What is compared of one answer.
#[derive(Debug, PartialEq, Eq)]
struct Shape {
    status: u16,
    content_type: Option<String>,
    product_header: bool,
    error_type: Option<String>,
    root_cause_types: Vec<String>,
    reason: Option<String>,
    top_keys: Vec<String>,
    /// name → (ordered keys, state), for answers with `snapshots`.
    snapshots: BTreeMap<String, (Vec<String>, Option<String>)>,
    /// Every key path of any other JSON body (values left out).
    paths: BTreeSet<String>,
}

fn shape(answer: &LiveAnswer) -> Shape {
    let json = answer.json();
    let error = json.get("error");
    let error_type = answer.error_type();
    let root_cause_types = error
        .and_then(|e| e.get("root_cause"))
        .and_then(Value::as_array)
        .map(|causes| {
            causes
                .iter()
                .filter_map(|c| c["type"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    let reason = error
        .and_then(|e| e.get("reason"))
        .and_then(Value::as_str)
        .map(mask_uuids);
    let top_keys = json
        .as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default();
    let mut snapshots = BTreeMap::new();
    if let Some(list) = json.get("snapshots").and_then(Value::as_array) {
        for s in list {
            let name = s["snapshot"].as_str().unwrap_or("?").to_owned();
            let keys = s
                .as_object()
                .map(|o| o.keys().cloned().collect())
                .unwrap_or_default();
            snapshots.insert(name, (keys, s["state"].as_str().map(str::to_owned)));
        }
    }
    let mut paths = BTreeSet::new();
    if error.is_none() && json.get("snapshots").is_none() {
        key_paths(&json, String::new(), &mut paths);
    }
    Shape {
        status: answer.status,
        content_type: answer.header("content-type").map(str::to_owned),
        product_header: answer.header("x-elastic-product").is_some(),
        error_type,
        root_cause_types,
        reason,
        top_keys,
        snapshots,
        paths,
    }
}

fn key_paths(value: &Value, at: String, out: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                let path = if at.is_empty() {
                    key.clone()
                } else {
                    format!("{at}.{key}")
                };
                out.insert(path.clone());
                key_paths(inner, path, out);
            }
        }
        Value::Array(items) => {
            for item in items {
                key_paths(item, format!("{at}[]"), out);
            }
        }
        _ => {}
    }
}

/// `/` + 22 URL-safe base64 characters (a snapshot uuid) becomes `/<uuid>`.
fn mask_uuids(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let is_uuid_char = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b'-';
    while i < bytes.len() {
        if bytes[i] == b'/' {
            let run = bytes[i + 1..]
                .iter()
                .take_while(|b| is_uuid_char(**b))
                .count();
            if run == 22 {
                out.push_str("/<uuid>");
                i += 23;
                continue;
            }
        }
        out.push(bytes[i] as char);
        i += 1;
    }
    out
}

/// The aspects of two shapes that differ, by name.
fn differences(real: &Shape, emulated: &Shape) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    let mut check = |aspect: &'static str, a: String, b: String| {
        if a != b {
            out.push((aspect, format!("real {a} / emulated {b}")));
        }
    };
    check(
        "status",
        real.status.to_string(),
        emulated.status.to_string(),
    );
    check(
        "content type",
        format!("{:?}", real.content_type),
        format!("{:?}", emulated.content_type),
    );
    check(
        "product header",
        real.product_header.to_string(),
        emulated.product_header.to_string(),
    );
    check(
        "error type",
        format!("{:?} {:?}", real.error_type, real.root_cause_types),
        format!("{:?} {:?}", emulated.error_type, emulated.root_cause_types),
    );
    check(
        "reason",
        format!("{:?}", real.reason),
        format!("{:?}", emulated.reason),
    );
    check(
        "top-level keys",
        format!("{:?}", real.top_keys),
        format!("{:?}", emulated.top_keys),
    );
    check(
        "snapshot names",
        format!("{:?}", real.snapshots.keys().collect::<Vec<_>>()),
        format!("{:?}", emulated.snapshots.keys().collect::<Vec<_>>()),
    );
    for (name, (keys, state)) in &real.snapshots {
        if let Some((emulated_keys, emulated_state)) = emulated.snapshots.get(name) {
            check(
                "snapshot keys",
                format!("{name}: {keys:?}"),
                format!("{name}: {emulated_keys:?}"),
            );
            check(
                "snapshot state",
                format!("{name}: {state:?}"),
                format!("{name}: {emulated_state:?}"),
            );
        }
    }
    let only_real: Vec<_> = real.paths.difference(&emulated.paths).collect();
    let only_emulated: Vec<_> = emulated.paths.difference(&real.paths).collect();
    if !only_real.is_empty() || !only_emulated.is_empty() {
        out.push((
            "key paths",
            format!("only real {only_real:?} / only emulated {only_emulated:?}"),
        ));
    }
    out
}

/// The names one run uses on both sides.
struct Names {
    repo: String,
    missing: String,
    prefix: String,
    index: String,
}

impl Names {
    fn new() -> Names {
        let unique = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis();
        let tag = format!("{}_{unique}", std::process::id());
        Names {
            repo: format!("diff_repo_{tag}"),
            missing: format!("diff_missing_{tag}"),
            prefix: format!("diff_{tag}"),
            index: format!("diff-index-{tag}"),
        }
    }

    /// The indices the replay snapshots: `{index}`, one more that
    /// `{index}*` matches, and one that part 2's exclusion removes.
    fn indices(&self) -> Vec<String> {
        ["", "-a", "-excluded-b"]
            .iter()
            .map(|suffix| format!("{}{suffix}", self.index))
            .collect()
    }

    fn fill(&self, text: &str, location: &str, next: &str) -> String {
        text.replace("{repo}", &self.repo)
            .replace("{missing}", &self.missing)
            .replace("{prefix}", &self.prefix)
            .replace("{index}", &self.index)
            .replace("{location}", location)
            .replace("{next}", next)
    }
}

/// One side of the comparison.
struct Side<'a> {
    engine: &'a LiveCluster,
    /// Set when this side is an emulator (steered directly for
    /// [`Step::RemoveBlob`]).
    emulator: Option<&'a EmulatedCluster>,
    /// `next` of the last paged answer, for `{next}`.
    next: String,
}

impl Side<'_> {
    fn send(&mut self, names: &Names, method: &str, path: &str, body: Option<&str>) -> LiveAnswer {
        let location = format!(
            "{}/{}",
            self.engine.repo_location.trim_end_matches('/'),
            names.repo
        );
        let path = names.fill(path, &location, &self.next);
        let body = body.map(|b| names.fill(b, &location, &self.next));
        let answer = self
            .engine
            .call(method, &path, body.as_deref())
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        if let Some(next) = answer.json()["next"].as_str() {
            self.next = next.to_owned();
        }
        answer
    }

    fn remove_blob(&mut self, names: &Names, name: &str) {
        let name = names.fill(name, "", "");
        if let Some(emulator) = self.emulator {
            assert!(emulator.remove_snapshot_blob(&names.repo, &name), "{name}");
            return;
        }
        let answer = self.engine.must(
            "GET",
            &format!("_snapshot/{}/{name}", names.repo),
            None,
            &[200],
        );
        let uuid = answer.json()["snapshots"][0]["uuid"]
            .as_str()
            .expect("a uuid")
            .to_owned();
        let blob = format!(
            "{}/{}/snap-{uuid}.dat",
            self.engine.repo_location.trim_end_matches('/'),
            names.repo
        );
        std::fs::remove_file(&blob)
            .unwrap_or_else(|e| panic!("removing {blob} (is the engine on this machine?): {e}"));
    }

    fn settle(&mut self, names: &Names) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let answer = self.send(names, "GET", "_snapshot/{repo}/{prefix}_*", None);
            let running = answer.json()["snapshots"]
                .as_array()
                .is_some_and(|l| l.iter().any(|s| s["state"] == "IN_PROGRESS"));
            if !running {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "snapshots still running: {answer:?}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// Runs the replay on `real` and `emulated`; the divergences not accepted,
/// as printable lines. `real_is_emulated` is the emulator standing in for the
/// real engine (the harness's own check), told its indices instead of
/// creating them.
fn replay(
    names: &Names,
    real: &LiveCluster,
    real_is_emulated: Option<&EmulatedCluster>,
    emulated: &LiveCluster,
    emulated_cluster: &EmulatedCluster,
    flavor: Flavor,
) -> Vec<String> {
    let mut real_side = Side {
        engine: real,
        emulator: real_is_emulated,
        next: String::new(),
    };
    let mut emulated_side = Side {
        engine: emulated,
        emulator: Some(emulated_cluster),
        next: String::new(),
    };
    // Index set-up is not part of the comparison.
    if let Some(stand_in) = real_is_emulated {
        stand_in.add_indices(names.indices());
    }
    for index in names
        .indices()
        .iter()
        .filter(|_| real_is_emulated.is_none())
    {
        real.must(
            "PUT",
            index,
            Some(r#"{"settings":{"number_of_shards":1,"number_of_replicas":0}}"#),
            &[200],
        );
    }
    let mut failures = Vec::new();
    for step in steps() {
        let (name, method, path, body) = match step {
            Step::Settle => {
                real_side.settle(names);
                emulated_side.settle(names);
                continue;
            }
            Step::RemoveBlob(name) => {
                real_side.remove_blob(names, name);
                emulated_side.remove_blob(names, name);
                continue;
            }
            Step::Send { only, .. } if only.is_some_and(|applies| !applies(flavor)) => continue,
            Step::Send {
                name,
                method,
                path,
                body,
                ..
            } => (name, method, path, body),
        };
        let real_answer = real_side.send(names, method, path, body);
        let emulated_answer = emulated_side.send(names, method, path, body);
        let (real_shape, emulated_shape) = (shape(&real_answer), shape(&emulated_answer));
        println!(
            "{flavor} | {name}: {} {}",
            real_answer.status,
            real_answer.body.chars().take(300).collect::<String>()
        );
        for (aspect, detail) in differences(&real_shape, &emulated_shape) {
            let accepted = ACCEPTED.iter().find(|(applies, step, what, _)| {
                applies(flavor) && *step == name && *what == aspect
            });
            match accepted {
                Some((_, _, _, why)) => println!("  accepted: {aspect}: {detail} ({why})"),
                None => failures.push(format!("{flavor} | {name} | {aspect}: {detail}")),
            }
        }
    }
    for index in names
        .indices()
        .iter()
        .filter(|_| real_is_emulated.is_none())
    {
        let _ = real.call("DELETE", index, None);
    }
    failures
}

/// Starts the emulator of `flavor` on its own runtime, with the same
/// indices and `path.repo` as the real engine.
fn emulator(flavor: Flavor, repo_location: &str) -> (tokio::runtime::Runtime, EmulatedCluster) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let cluster = runtime.block_on(EmulatedCluster::start(flavor)).unwrap();
    cluster.set_path_repo([repo_location.to_owned()]);
    (runtime, cluster)
}

fn differential(product: LiveProduct) {
    let Some(real) = live::cluster(product) else {
        return;
    };
    let root = real.must("GET", "/", None, &[200]).json();
    let flavor = closest_flavor(&root);
    println!(
        "real engine {} {} compared with the emulator of {flavor}",
        product.name(),
        root["version"]["number"]
    );
    let (runtime, cluster) = emulator(flavor, &real.repo_location);
    let names = Names::new();
    // The emulator has no index API: it is told which indices exist.
    cluster.add_indices(names.indices());
    let emulated = LiveCluster {
        url: cluster.url(),
        repo_location: real.repo_location.clone(),
    };
    let failures = replay(&names, &real, None, &emulated, &cluster, flavor);
    drop(cluster);
    drop(runtime);
    assert!(
        failures.is_empty(),
        "the emulator of {flavor} diverges from the real engine:\n{}",
        failures.join("\n")
    );
}

#[test]
fn live_emulator_matches_real_elasticsearch() {
    differential(LiveProduct::Elasticsearch);
}

#[test]
fn live_emulator_matches_real_opensearch() {
    differential(LiveProduct::OpenSearch);
}

/// The harness itself, without an engine: two emulators of one flavor
/// agree on every step, and two versions that differ on the wire are told
/// apart (so the comparison is not blind).
#[test]
fn the_replay_agrees_with_itself_and_tells_versions_apart() {
    let location = "/tmp/backup-actuator-snapshots";
    for flavor in [
        Flavor::Elasticsearch7_10,
        Flavor::OpenSearch2,
        Flavor::OpenSearch3,
    ] {
        let (_rt_a, a) = emulator(flavor, location);
        let (_rt_b, b) = emulator(flavor, location);
        let names = Names::new();
        b.add_indices(names.indices());
        let real = LiveCluster {
            url: a.url(),
            repo_location: location.into(),
        };
        let emulated = LiveCluster {
            url: b.url(),
            repo_location: location.into(),
        };
        let failures = replay(&names, &real, Some(&a), &emulated, &b, flavor);
        assert!(failures.is_empty(), "{flavor}: {failures:#?}");
    }

    let (_rt_a, a) = emulator(Flavor::Elasticsearch8_15, location);
    let (_rt_b, b) = emulator(Flavor::Elasticsearch7_10, location);
    let names = Names::new();
    b.add_indices(names.indices());
    let real = LiveCluster {
        url: a.url(),
        repo_location: location.into(),
    };
    let emulated = LiveCluster {
        url: b.url(),
        repo_location: location.into(),
    };
    let failures = replay(
        &names,
        &real,
        Some(&a),
        &emulated,
        &b,
        Flavor::Elasticsearch7_10,
    );
    for expected in [
        "find matching nothing | status",
        "root | product header",
        "create a duplicate name | error type",
    ] {
        assert!(
            failures.iter().any(|f| f.contains(expected)),
            "{expected} not found in {failures:#?}"
        );
    }
}
