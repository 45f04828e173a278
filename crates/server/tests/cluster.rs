//! The built binary on the cluster backends (`--backend elasticsearch |
//! opensearch`), against the testkit emulator running in this process:
//! the tour, every way of authenticating to the cluster, and the errors
//! of SPEC §5 for a cluster that refuses or cannot be reached.

mod common;

use backup_actuator_testkit::{Flavor, RefusingPort};
use base64::prelude::{Engine as _, BASE64_STANDARD};
use common::{run, run_with_env, temp_file, Cluster, Server};
use serde_json::Value;

const PASSWORD: &str = "s3cr3t-PASSWORD-xyz";
const API_KEY: &str = "czNjcjN0LUFQSS1LRVkteHl6";
const BEARER: &str = "s3cr3t-BEARER-xyz";

fn backend(flavor: Flavor) -> &'static str {
    if flavor.is_opensearch() {
        "opensearch"
    } else {
        "elasticsearch"
    }
}

/// The server on `cluster`, with repository `backups` and `extra` flags.
fn serve(cluster: &Cluster, extra: &[&str], env: &[(&str, &str)]) -> Server {
    let url = cluster.url();
    let mut args = vec![
        "--backend",
        backend(cluster.flavor()),
        "--url",
        &url,
        "--repository",
        "backups",
        "--app-version",
        "8.6.0",
    ];
    args.extend_from_slice(extra);
    Server::start_with_env(&args, env)
}

/// Trigger, read, list, delete: every route reaches the cluster and back.
fn tour(flavor: Flavor) {
    let cluster = Cluster::start(flavor);
    let server = serve(&cluster, &["--request-timeout", "5s"], &[]);
    assert!(server
        .stderr
        .lock()
        .unwrap()
        .iter()
        .any(|line| line.contains(&format!(
            "backend {} at {}",
            flavor.product(),
            cluster.url()
        ))));

    let (status, body) = server.request("POST", "/actuator/backups", r#"{"backupId":7}"#);
    assert_eq!(status, 202, "{body}");
    assert_eq!(
        cluster.snapshot_names("backups"),
        [
            "camunda_optimize_7_8.6.0_part_1_of_2",
            "camunda_optimize_7_8.6.0_part_2_of_2"
        ]
    );

    // The emulator completes snapshots at once.
    let backup = server.json("/actuator/backups/7");
    assert_eq!(backup["backupId"], 7);
    assert_eq!(backup["state"], "COMPLETE", "{backup}");
    assert_eq!(backup["details"].as_array().unwrap().len(), 2);

    let list = server.json("/actuator/backups");
    assert_eq!(list, Value::Array(vec![backup]));

    let (status, body) = server.request("POST", "/actuator/backups", r#"{"backupId":7}"#);
    assert_eq!(status, 409, "{body}");

    assert_eq!(server.request("DELETE", "/actuator/backups/7", "").0, 204);
    assert!(cluster.snapshot_names("backups").is_empty());
    assert_eq!(server.request("GET", "/actuator/backups/7", "").0, 404);
    assert_eq!(server.json("/actuator/backups"), Value::Array(vec![]));
    assert_eq!(server.terminate(), 0);
}

#[test]
fn elasticsearch_8_15_runs_the_tour() {
    tour(Flavor::Elasticsearch8_15);
}

#[test]
fn opensearch_2_runs_the_tour() {
    tour(Flavor::OpenSearch2);
}

#[test]
fn a_missing_repository_in_the_cluster_is_400() {
    let cluster = Cluster::start(Flavor::Elasticsearch8_15);
    let url = cluster.url();
    let server = Server::start(&[
        "--backend",
        "elasticsearch",
        "--url",
        &url,
        "--repository",
        "elsewhere",
    ]);
    let (status, body) = server.request("GET", "/actuator/backups", "");
    assert_eq!(status, 400, "{body}");
    assert!(
        body.contains("No repository with name [elsewhere] could be found."),
        "{body}"
    );
}

/// The `Authorization` headers the cluster received.
fn authorizations(cluster: &Cluster) -> Vec<String> {
    cluster
        .requests()
        .iter()
        .map(|r| {
            r.headers
                .get("authorization")
                .map_or(String::new(), |v| v.to_str().unwrap().to_owned())
        })
        .collect()
}

fn basic(user: &str, password: &str) -> String {
    format!(
        "Basic {}",
        BASE64_STANDARD.encode(format!("{user}:{password}"))
    )
}

#[test]
fn basic_auth_with_the_password_from_the_environment() {
    let cluster = Cluster::start(Flavor::Elasticsearch8_15);
    cluster.require_basic_auth("elastic", PASSWORD);
    let server = serve(
        &cluster,
        &["--username", "elastic"],
        &[("BACKUP_ACTUATOR_PASSWORD", PASSWORD)],
    );
    assert_eq!(server.json("/actuator/backups"), Value::Array(vec![]));
    let sent = authorizations(&cluster);
    assert!(!sent.is_empty());
    assert!(
        sent.iter().all(|a| *a == basic("elastic", PASSWORD)),
        "{sent:?}"
    );
}

#[test]
fn basic_auth_with_a_password_file() {
    let cluster = Cluster::start(Flavor::OpenSearch2);
    cluster.require_basic_auth("admin", PASSWORD);
    let file = temp_file("password-file", &format!("{PASSWORD}\n"));
    let server = serve(
        &cluster,
        &[
            "--username",
            "admin",
            "--password-file",
            file.to_str().unwrap(),
        ],
        &[],
    );
    let (status, body) = server.request("POST", "/actuator/backups", r#"{"backupId":1}"#);
    assert_eq!(status, 202, "{body}");
    assert!(authorizations(&cluster)
        .iter()
        .all(|a| *a == basic("admin", PASSWORD)));
}

#[test]
fn api_key_from_the_environment_and_from_a_file() {
    let cluster = Cluster::start(Flavor::Elasticsearch8_15);
    cluster.require_api_key(API_KEY);
    let server = serve(&cluster, &[], &[("BACKUP_ACTUATOR_API_KEY", API_KEY)]);
    assert_eq!(server.json("/actuator/backups"), Value::Array(vec![]));
    drop(server);

    let file = temp_file("api-key-file", &format!("{API_KEY}\n"));
    let server = serve(&cluster, &["--api-key-file", file.to_str().unwrap()], &[]);
    assert_eq!(server.json("/actuator/backups"), Value::Array(vec![]));
    assert!(authorizations(&cluster)
        .iter()
        .all(|a| *a == format!("ApiKey {API_KEY}")));
}

#[test]
fn bearer_token_from_the_environment_and_from_a_file() {
    let cluster = Cluster::start(Flavor::OpenSearch2);
    cluster.require_bearer_token(BEARER);
    let server = serve(&cluster, &[], &[("BACKUP_ACTUATOR_BEARER_TOKEN", BEARER)]);
    assert_eq!(server.json("/actuator/backups"), Value::Array(vec![]));
    drop(server);

    let file = temp_file("bearer-file", &format!("{BEARER}\n"));
    let server = serve(
        &cluster,
        &["--bearer-token-file", file.to_str().unwrap()],
        &[],
    );
    assert_eq!(server.json("/actuator/backups"), Value::Array(vec![]));
    assert!(authorizations(&cluster)
        .iter()
        .all(|a| *a == format!("Bearer {BEARER}")));
}

/// The cluster's 401 is an error answer, not a connection problem (SPEC §5).
#[test]
fn credentials_the_cluster_refuses_are_500_server_error() {
    for flavor in [Flavor::Elasticsearch8_15, Flavor::OpenSearch2] {
        let cluster = Cluster::start(flavor);
        cluster.require_basic_auth("elastic", PASSWORD);
        let server = serve(
            &cluster,
            &["--username", "elastic"],
            &[("BACKUP_ACTUATOR_PASSWORD", "wrong-password")],
        );
        for (method, path, body) in [
            ("GET", "/actuator/backups", ""),
            ("GET", "/actuator/backups/1", ""),
            ("POST", "/actuator/backups", r#"{"backupId":1}"#),
            ("DELETE", "/actuator/backups/1", ""),
        ] {
            let (status, body) = server.request(method, path, body);
            assert_eq!(status, 500, "{flavor} {method} {path}: {body}");
            let body: Value = serde_json::from_str(&body).unwrap();
            assert_eq!(body["errorCode"], "serverError");
            let detail = body["detailedMessage"].as_str().unwrap();
            assert!(detail.contains("HTTP 401"), "{detail}");
            assert!(!detail.contains("wrong-password"), "{detail}");
        }
    }
}

#[test]
fn an_unreachable_cluster_is_502_connection_error() {
    for (backend, code) in [
        ("elasticsearch", "elasticsearchConnectionError"),
        ("opensearch", "openSearchConnectionError"),
    ] {
        let refusing = RefusingPort::reserve().unwrap();
        let url = refusing.url();
        let server = Server::start(&[
            "--backend",
            backend,
            "--url",
            &url,
            "--repository",
            "backups",
            "--request-timeout",
            "2s",
        ]);
        for (method, path, body) in [
            ("GET", "/actuator/backups", ""),
            ("POST", "/actuator/backups", r#"{"backupId":1}"#),
            ("DELETE", "/actuator/backups/1", ""),
        ] {
            let (status, body) = server.request(method, path, body);
            assert_eq!(status, 502, "{backend} {method} {path}: {body}");
            let body: Value = serde_json::from_str(&body).unwrap();
            assert_eq!(body["errorCode"], code);
        }
    }
}

/// Configuration mistakes stop the program before it binds, with a message.
fn fails_to_start(args: &[&str], env: &[(&str, &str)], expected: &str) {
    let mut argv = vec!["serve", "--listen", "127.0.0.1:0"];
    argv.extend_from_slice(args);
    let ((code, stderr), _) = run_with_env(&argv, env);
    assert_ne!(code, 0, "{stderr}");
    assert!(stderr.contains(expected), "{expected:?} not in {stderr}");
    assert!(!stderr.contains("listening on"), "{stderr}");
}

#[test]
fn a_cluster_backend_without_url_exits_before_binding() {
    for backend in ["elasticsearch", "opensearch"] {
        let (code, stderr) = run(&["serve", "--listen", "127.0.0.1:0", "--backend", backend]);
        assert_ne!(code, 0);
        assert!(
            stderr.contains(&format!("--backend {backend} needs --url")),
            "{stderr}"
        );
        assert!(!stderr.contains("listening on"), "{stderr}");
    }
}

#[test]
fn an_api_key_on_opensearch_exits_before_binding() {
    fails_to_start(
        &[
            "--backend",
            "opensearch",
            "--url",
            "http://127.0.0.1:9",
            "--api-key",
            "k",
        ],
        &[],
        "--api-key is an Elasticsearch API key",
    );
}

#[test]
fn two_authentication_schemes_exit_before_binding() {
    fails_to_start(
        &["--backend", "elasticsearch", "--url", "http://127.0.0.1:9", "--username", "elastic"],
        &[
            ("BACKUP_ACTUATOR_PASSWORD", PASSWORD),
            ("BACKUP_ACTUATOR_BEARER_TOKEN", BEARER),
        ],
        "conflicting cluster authentication: basic auth (--username) and a bearer token (--bearer-token)",
    );
}

#[test]
fn an_unreadable_password_file_is_named() {
    fails_to_start(
        &[
            "--backend",
            "elasticsearch",
            "--url",
            "http://127.0.0.1:9",
            "--username",
            "elastic",
            "--password-file",
            "/nonexistent/password",
        ],
        &[],
        "cannot read the password file /nonexistent/password",
    );
}

#[test]
fn an_invalid_client_certificate_exits_before_binding() {
    let pem = temp_file("not-a-client-cert.pem", "not a certificate\n");
    fails_to_start(
        &[
            "--backend",
            "opensearch",
            "--url",
            "https://127.0.0.1:9",
            "--client-cert",
            pem.to_str().unwrap(),
        ],
        &[],
        "cannot configure the opensearch backend: invalid client certificate",
    );
}

#[cfg(not(feature = "aws-auth"))]
#[test]
fn aws_region_needs_the_aws_auth_feature() {
    fails_to_start(
        &[
            "--backend",
            "opensearch",
            "--url",
            "https://127.0.0.1:9",
            "--aws-region",
            "eu-west-1",
        ],
        &[],
        "built without the aws-auth feature",
    );
}

#[cfg(feature = "aws-auth")]
mod aws {
    use super::*;

    const ACCESS_KEY: &str = "AKIDEXAMPLE";
    const SECRET_KEY: &str = "s3cr3t-AWS-SECRET-xyz";

    /// The emulator does not check signatures; what matters here is that
    /// the flag reaches the store and every request is signed for the region.
    #[test]
    fn aws_region_signs_every_request_with_sigv4() {
        let cluster = Cluster::start(Flavor::OpenSearch2);
        let server = serve(
            &cluster,
            &["--aws-region", "eu-west-1"],
            &[
                ("AWS_ACCESS_KEY_ID", ACCESS_KEY),
                ("AWS_SECRET_ACCESS_KEY", SECRET_KEY),
            ],
        );
        let (status, body) = server.request("POST", "/actuator/backups", r#"{"backupId":1}"#);
        assert_eq!(status, 202, "{body}");
        let sent = authorizations(&cluster);
        assert!(!sent.is_empty());
        for authorization in &sent {
            assert!(
                authorization.starts_with(&format!("AWS4-HMAC-SHA256 Credential={ACCESS_KEY}/"))
                    && authorization.contains("/eu-west-1/es/aws4_request"),
                "{authorization}"
            );
            assert!(!authorization.contains(SECRET_KEY));
        }
        let stderr = server.stop();
        assert!(!stderr.contains(SECRET_KEY), "{stderr}");
    }

    #[test]
    fn aws_region_without_credentials_exits_before_binding() {
        fails_to_start(
            &[
                "--backend",
                "opensearch",
                "--url",
                "https://127.0.0.1:9",
                "--aws-region",
                "eu-west-1",
            ],
            &[("AWS_ACCESS_KEY_ID", ""), ("AWS_SECRET_ACCESS_KEY", "")],
            "AWS SigV4 needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
        );
    }
}
