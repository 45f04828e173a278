//! `docs/openapi.yaml` against the real server (SPEC §11): every status of
//! the SPEC §5 table and every backup state, in both dialects, is answered
//! by the built binary and validated against the schema the description
//! gives for that operation, status and content type.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use backup_actuator_testkit::{EmulatedSnapshotState, Fault, Flavor, RefusingPort, SeededSnapshot};
use common::*;
use serde_json::{json, Value};

const ID_PATH: &str = "/backups/{backupId}";

/// The OpenAPI description as JSON.
fn openapi() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/openapi.yaml");
    let text = std::fs::read_to_string(path).expect("docs/openapi.yaml");
    serde_norway::from_str(&text).expect("docs/openapi.yaml is YAML")
}

/// Follows a local `$ref` (`#/components/…`) once, if `value` is one.
fn deref<'a>(doc: &'a Value, value: &'a Value) -> &'a Value {
    match value.get("$ref").and_then(Value::as_str) {
        Some(pointer) => doc
            .pointer(pointer.trim_start_matches('#'))
            .unwrap_or_else(|| panic!("dangling $ref {pointer}")),
        None => value,
    }
}

/// Checks one real answer against the description: the status is listed
/// for the operation, the content type is one it lists, the body matches
/// that schema (JSON Schema 2020-12, `$ref`s into `components`), and every
/// required header is sent and matches its schema.
#[track_caller]
fn conforms(doc: &Value, path: &str, method: &str, answer: &Answer) {
    let operation = doc["paths"][path][method].clone();
    assert!(operation.is_object(), "{method} {path} is not described");
    let responses = &operation["responses"];
    let response = responses
        .get(answer.status.to_string())
        .map(|r| deref(doc, r))
        .unwrap_or_else(|| {
            panic!(
                "{method} {path}: status {} is not described; body {}",
                answer.status, answer.body
            )
        });
    let context = format!("{method} {path} {}", answer.status);
    // Headers the description requires.
    if let Some(headers) = response.get("headers").and_then(Value::as_object) {
        for (name, header) in headers {
            let header = deref(doc, header);
            let sent = answer.header(name);
            if header["required"] == true {
                let sent = sent.unwrap_or_else(|| panic!("{context}: no {name} header"));
                validate(
                    doc,
                    &header["schema"],
                    &json!(sent),
                    &format!("{context} header {name}"),
                );
            }
        }
    }
    match response.get("content").and_then(Value::as_object) {
        None => assert!(answer.body.is_empty(), "{context}: body {}", answer.body),
        Some(content) => {
            let sent = answer
                .header("content-type")
                .unwrap_or_else(|| panic!("{context}: no content-type"));
            let media = content
                .get(sent)
                .unwrap_or_else(|| panic!("{context}: content-type {sent} is not described"));
            let body: Value = if sent.starts_with("application/json") {
                serde_json::from_str(&answer.body)
                    .unwrap_or_else(|e| panic!("{context}: not JSON ({e}): {}", answer.body))
            } else {
                Value::String(answer.body.clone())
            };
            validate(doc, &media["schema"], &body, &context);
        }
    }
}

/// Validates `instance` against `schema`, whose `$ref`s point into the
/// description's `components`.
#[track_caller]
fn validate(doc: &Value, schema: &Value, instance: &Value, context: &str) {
    let mut root = match schema {
        Value::Object(map) => map.clone(),
        other => panic!("{context}: schema is not an object: {other}"),
    };
    root.insert("components".into(), doc["components"].clone());
    let validator = jsonschema::draft202012::new(&Value::Object(root))
        .unwrap_or_else(|e| panic!("{context}: the schema does not compile: {e}"));
    let errors: Vec<String> = validator
        .iter_errors(instance)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{context}: {instance} does not conform: {errors:#?}"
    );
}

fn get(server: &Server, path: &str) -> Answer {
    server.send("GET", &format!("/actuator{path}"), &[], "")
}

/// Polls GET one until the backup leaves IN_PROGRESS (30 s at most: a
/// bound for a loaded machine, not a wait).
fn settled(server: &Server, id: u64) -> Answer {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let answer = get(server, &format!("/backups/{id}"));
        if answer.status != 200 || answer.json()["state"] != "IN_PROGRESS" {
            return answer;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "backup {id} stayed IN_PROGRESS for 30 s"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn spec_11_every_state_in_both_dialects_matches_the_description() {
    let doc = openapi();
    for (compat, complete) in [("documented", "COMPLETE"), ("optimize-server", "COMPLETED")] {
        let server = Server::start(&[
            "--repository",
            "backups",
            "--compat",
            compat,
            "--memory-complete-after",
            "50ms",
            "--memory-outcome",
            "camunda_optimize_2_*_part_2_of_2=failed",
            "--memory-outcome",
            "camunda_optimize_3_*_part_2_of_2=partial",
            "--memory-outcome",
            "camunda_optimize_4_*_part_1_of_2=incompatible",
            "--memory-outcome",
            "camunda_optimize_5_*=hang",
        ]);
        let mut seen = Vec::new();
        for id in 1..=5 {
            let body = format!(r#"{{"backupId": {id}}}"#);
            let accepted = server.send("POST", "/actuator/backups", &[], &body);
            conforms(&doc, "/backups", "post", &accepted);
            assert_eq!(accepted.status, 202, "{compat}");
        }
        let running = get(&server, "/backups/5");
        conforms(&doc, ID_PATH, "get", &running);
        seen.push(running.json()["state"].as_str().unwrap().to_owned());
        for id in 1..=4 {
            let answer = settled(&server, id);
            conforms(&doc, ID_PATH, "get", &answer);
            seen.push(answer.json()["state"].as_str().unwrap().to_owned());
        }
        for path in ["/backups", "/backup"] {
            let list = get(&server, path);
            conforms(&doc, path, "get", &list);
            assert_eq!(list.json().as_array().unwrap().len(), 5);
        }
        seen.sort();
        let mut expected = vec![complete, "FAILED", "FAILED", "INCOMPATIBLE", "IN_PROGRESS"];
        expected.sort();
        assert_eq!(seen, expected, "{compat}");
        server.stop();
    }
}

/// SPEC §1's list parameters: a `verbose=false` list (null start times)
/// and a filtered one match the description, and so does the 400 of a bad
/// `pattern` or `verbose`, on both list routes.
#[test]
fn spec_11_list_parameters_and_their_errors_match_the_description() {
    let doc = openapi();
    let server = Server::start(&[
        "--repository",
        "backups",
        "--memory-complete-after",
        "50ms",
        "--memory-outcome",
        "camunda_optimize_12_*_part_2_of_2=partial",
    ]);
    for id in [11, 12, 2] {
        let body = format!(r#"{{"backupId": {id}}}"#);
        assert_eq!(
            server.send("POST", "/actuator/backups", &[], &body).status,
            202
        );
        settled(&server, id);
    }
    for path in ["/backups", "/backup"] {
        for query in ["?verbose=false", "?pattern=1*", "?pattern=1*&verbose=false"] {
            let list = get(&server, &format!("{path}{query}"));
            conforms(&doc, path, "get", &list);
            assert_eq!(list.status, 200, "{path}{query}: {}", list.body);
        }
        for query in ["?pattern=1,*", "?verbose=no"] {
            let refused = get(&server, &format!("{path}{query}"));
            conforms(&doc, path, "get", &refused);
            assert_eq!(refused.status, 400, "{path}{query}: {}", refused.body);
        }
    }
    server.stop();
}

#[test]
fn spec_11_an_incomplete_backup_matches_the_description() {
    let doc = openapi();
    let cluster = Cluster::start(Flavor::Elasticsearch8_15);
    cluster.insert_snapshot(
        "backups",
        SeededSnapshot::new(
            "camunda_optimize_8_8.6.0_part_1_of_2",
            EmulatedSnapshotState::Success,
            1_700_000_000_000,
        ),
    );
    let url = cluster.url();
    let server = Server::start(&[
        "--backend",
        "elasticsearch",
        "--url",
        &url,
        "--repository",
        "backups",
    ]);
    let answer = get(&server, "/backups/8");
    conforms(&doc, ID_PATH, "get", &answer);
    assert_eq!(answer.json()["state"], "INCOMPLETE");
    server.stop();
}

#[test]
fn spec_11_every_error_status_of_spec_5_matches_the_description() {
    let doc = openapi();
    let server = Server::start(&["--repository", "backups", "--body-read-timeout", "300ms"]);
    // 400: a bad path id, a bad body.
    conforms(
        &doc,
        ID_PATH,
        "get",
        &assert_status(get(&server, "/backups/abc"), 400),
    );
    conforms(
        &doc,
        ID_PATH,
        "delete",
        &assert_status(server.send("DELETE", "/actuator/backups/-1", &[], ""), 400),
    );
    conforms(
        &doc,
        "/backups",
        "post",
        &assert_status(server.send("POST", "/actuator/backups", &[], "{}"), 400),
    );
    // 404, 409, 204.
    conforms(
        &doc,
        ID_PATH,
        "get",
        &assert_status(get(&server, "/backups/77"), 404),
    );
    server.send("POST", "/actuator/backups", &[], r#"{"backupId": 9}"#);
    conforms(
        &doc,
        "/backups",
        "post",
        &assert_status(
            server.send("POST", "/actuator/backups", &[], r#"{"backupId": "9"}"#),
            409,
        ),
    );
    conforms(
        &doc,
        ID_PATH,
        "delete",
        &assert_status(server.send("DELETE", "/actuator/backups/9", &[], ""), 204),
    );
    // 405 with Allow (described once, as a component response).
    let not_allowed = assert_status(server.send("PUT", "/actuator/backups/9", &[], ""), 405);
    let described = deref(&doc, &doc["components"]["responses"]["MethodNotAllowed"]).clone();
    assert_eq!(not_allowed.header("allow"), Some("GET, DELETE"));
    validate(
        &doc,
        &described["content"]["application/json"]["schema"],
        &not_allowed.json(),
        "405",
    );
    // 413: a body over 64 KiB.
    let big = format!(r#"{{"backupId": 1, "pad": "{}"}}"#, "x".repeat(70_000));
    conforms(
        &doc,
        "/backups",
        "post",
        &assert_status(server.send("POST", "/actuator/backups", &[], &big), 413),
    );
    // 408: a body that never arrives.
    let mut stream = TcpStream::connect(&server.addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream
        .write_all(b"POST /actuator/backups HTTP/1.1\r\nHost: x\r\nContent-Length: 20\r\n\r\n{\"backupId\"")
        .unwrap();
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw);
    conforms(
        &doc,
        "/backups",
        "post",
        &assert_status(parse_answer(&raw), 408),
    );
    // Health UP, and prometheus without --metrics is an unknown path.
    conforms(
        &doc,
        "/health",
        "get",
        &assert_status(get(&server, "/health"), 200),
    );
    conforms(
        &doc,
        "/prometheus",
        "get",
        &assert_status(get(&server, "/prometheus"), 404),
    );
    server.stop();

    // 400 without a repository; health DOWN.
    let server = Server::start(&[]);
    conforms(
        &doc,
        "/backups",
        "get",
        &assert_status(get(&server, "/backups"), 400),
    );
    conforms(
        &doc,
        "/health",
        "get",
        &assert_status(get(&server, "/health"), 503),
    );
    server.stop();
}

#[test]
fn spec_11_cluster_errors_and_the_token_gate_match_the_description() {
    let doc = openapi();
    // 400 (documented) and 500 (optimize-server) for a missing repository;
    // 500 for a cluster error answer.
    let cluster = Cluster::start(Flavor::OpenSearch2);
    let url = cluster.url();
    for (compat, status) in [("documented", 400), ("optimize-server", 500)] {
        let server = Server::start(&[
            "--backend",
            "opensearch",
            "--url",
            &url,
            "--repository",
            "nope",
            "--compat",
            compat,
        ]);
        conforms(
            &doc,
            "/backups",
            "get",
            &assert_status(get(&server, "/backups"), status),
        );
        conforms(
            &doc,
            "/backup",
            "get",
            &assert_status(get(&server, "/backup"), status),
        );
        conforms(
            &doc,
            "/health",
            "get",
            &assert_status(get(&server, "/health"), 503),
        );
        server.stop();
    }
    cluster.inject_fault(
        Fault::respond(
            500,
            "application/json",
            r#"{"error":{"type":"exception","reason":"boom"},"status":500}"#,
        )
        .path_prefix("/_snapshot"),
    );
    let server = Server::start(&[
        "--backend",
        "opensearch",
        "--url",
        &url,
        "--repository",
        "backups",
    ]);
    conforms(
        &doc,
        ID_PATH,
        "get",
        &assert_status(get(&server, "/backups/1"), 500),
    );
    conforms(
        &doc,
        ID_PATH,
        "delete",
        &assert_status(server.send("DELETE", "/actuator/backups/1", &[], ""), 500),
    );
    conforms(
        &doc,
        "/backups",
        "post",
        &assert_status(
            server.send("POST", "/actuator/backups", &[], r#"{"backupId": 1}"#),
            500,
        ),
    );
    server.stop();

    // 502 and health DOWN: nothing listens.
    let refusing = RefusingPort::reserve().unwrap();
    let down = refusing.url();
    let server = Server::start(&[
        "--backend",
        "elasticsearch",
        "--url",
        &down,
        "--repository",
        "backups",
        "--request-timeout",
        "2s",
    ]);
    conforms(
        &doc,
        "/backups",
        "get",
        &assert_status(get(&server, "/backups"), 502),
    );
    conforms(
        &doc,
        ID_PATH,
        "get",
        &assert_status(get(&server, "/backups/1"), 502),
    );
    conforms(
        &doc,
        "/backups",
        "post",
        &assert_status(
            server.send("POST", "/actuator/backups", &[], r#"{"backupId": 1}"#),
            502,
        ),
    );
    conforms(
        &doc,
        "/health",
        "get",
        &assert_status(get(&server, "/health"), 503),
    );
    server.stop();

    // 401 from the token gate on every route, with WWW-Authenticate; the
    // right token passes, to metrics too.
    let token = temp_file("openapi-token", "t0ken-for-openapi\n");
    let server = Server::start(&[
        "--repository",
        "backups",
        "--metrics",
        "--auth-token-file",
        token.to_str().unwrap(),
    ]);
    for (path, method) in [
        ("/backups", "get"),
        ("/backups", "post"),
        ("/backup", "get"),
        (ID_PATH, "get"),
        (ID_PATH, "delete"),
        ("/health", "get"),
        ("/prometheus", "get"),
    ] {
        let real = path.replace("{backupId}", "1");
        let answer = server.send(&method.to_uppercase(), &format!("/actuator{real}"), &[], "");
        conforms(&doc, path, method, &assert_status(answer, 401));
    }
    let bearer = [("Authorization", "Bearer t0ken-for-openapi")];
    let metrics = server.send("GET", "/actuator/prometheus", &bearer, "");
    conforms(&doc, "/prometheus", "get", &assert_status(metrics, 200));
    let openmetrics = server.send(
        "GET",
        "/actuator/prometheus",
        &[
            bearer[0],
            ("Accept", "application/openmetrics-text; version=1.0.0"),
        ],
        "",
    );
    conforms(&doc, "/prometheus", "get", &assert_status(openmetrics, 200));
    server.stop();
}

#[test]
fn the_check_refuses_what_the_description_does_not_allow() {
    let doc = openapi();
    let backup = |state: &str| {
        json!({"backupId": 1, "failureReason": null, "state": state, "details": [
            {"snapshotName": "camunda_optimize_1_8.6.0_part_1_of_2", "state": "SUCCESS",
             "startTime": "2024-11-14T12:00:00.123+0000", "failures": []}]})
    };
    let schema = &doc["components"]["schemas"]["BackupInfo"];
    validate(&doc, schema, &backup("COMPLETED"), "COMPLETED");
    for bad in [
        backup("DONE"),
        json!({"backupId": 1, "state": "COMPLETE", "details": []}),
        json!({"backupId": -1, "failureReason": null, "state": "COMPLETE", "details": []}),
    ] {
        let refused = std::panic::catch_unwind(|| validate(&doc, schema, &bad, "bad"));
        assert!(refused.is_err(), "{bad} passed");
    }
    let mut z = backup("COMPLETE");
    z["details"][0]["startTime"] = json!("2024-11-14T12:00:00.123Z");
    assert!(std::panic::catch_unwind(|| validate(&doc, schema, &z, "Z")).is_err());
}

#[track_caller]
fn assert_status(answer: Answer, status: u16) -> Answer {
    assert_eq!(answer.status, status, "{}\n{}", answer.head, answer.body);
    answer
}
