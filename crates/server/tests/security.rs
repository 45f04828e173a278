//! The built binary's defences, over real TCP: the bearer-token gate
//! (`--auth-token-file`), slow and oversized requests, the warning for an
//! unauthenticated public listener, and that no secret ever shows in a
//! log line, a response or `--help`.

mod common;

use std::io::Write;
use std::net::TcpStream;
use std::time::{Duration, Instant};

use backup_actuator_testkit::{Flavor, RefusingPort};
use base64::prelude::{Engine as _, BASE64_STANDARD};
use common::{
    parse_answer, read_until_closed, run, run_with_env, temp_file, Answer, Cluster, Server,
};

const AUTH_TOKEN: &str = "s3cr3t-AUTHTOKEN-xyz";
const PASSWORD: &str = "s3cr3t-PASSWORD-xyz";
const API_KEY: &str = "s3cr3t-APIKEY-xyz";
const BEARER: &str = "s3cr3t-BEARER-xyz";
const URL_PASSWORD: &str = "s3cr3t-URLPASS-xyz";
const CHALLENGE: &str = r#"Bearer realm="backup-actuator""#;

fn token_file(name: &str) -> String {
    temp_file(name, &format!("{AUTH_TOKEN}\n"))
        .to_str()
        .unwrap()
        .to_owned()
}

fn bearer(token: &str) -> (&'static str, String) {
    ("Authorization", format!("Bearer {token}"))
}

/// A request with an `Authorization: Bearer` of `token` (none if `None`).
fn send(server: &Server, method: &str, path: &str, token: Option<&str>, body: &str) -> Answer {
    match token.map(bearer) {
        Some((name, value)) => server.send(method, path, &[(name, &value)], body),
        None => server.send(method, path, &[], body),
    }
}

#[test]
fn with_an_auth_token_every_path_needs_the_bearer_token() {
    let server = Server::start(&[
        "--repository",
        "backups",
        "--auth-token-file",
        &token_file("gate-token"),
    ]);
    for path in [
        "/actuator/backups",
        "/actuator/backups/1",
        "/elsewhere",
        "/",
    ] {
        for token in [None, Some("wrong"), Some("s3cr3t-AUTHTOKEN-xy")] {
            let answer = send(&server, "GET", path, token, "");
            assert_eq!(answer.status, 401, "{path} {token:?}: {answer:?}");
            assert_eq!(answer.header("www-authenticate"), Some(CHALLENGE));
            assert_eq!(answer.header("content-type"), Some("application/json"));
            assert_eq!(answer.json()["errorCode"], "notAuthorizedError");
        }
    }
    // A POST is refused before its body is looked at.
    let answer = send(
        &server,
        "POST",
        "/actuator/backups",
        None,
        r#"{"backupId":1}"#,
    );
    assert_eq!(answer.status, 401);

    let right = Some(AUTH_TOKEN);
    let answer = send(
        &server,
        "POST",
        "/actuator/backups",
        right,
        r#"{"backupId":1}"#,
    );
    assert_eq!(answer.status, 202, "{answer:?}");
    assert_eq!(
        send(&server, "GET", "/actuator/backups/1", right, "").status,
        200
    );
    assert_eq!(send(&server, "GET", "/elsewhere", right, "").status, 404);
    assert_eq!(
        send(&server, "DELETE", "/actuator/backups/1", right, "").status,
        204
    );
    assert_eq!(server.terminate(), 0);
}

#[test]
fn the_auth_token_file_comes_from_the_environment_too() {
    let file = token_file("env-token");
    let server = Server::start_with_env(
        &["--repository", "backups"],
        &[("BACKUP_ACTUATOR_AUTH_TOKEN_FILE", &file)],
    );
    assert_eq!(
        send(&server, "GET", "/actuator/backups", None, "").status,
        401
    );
    assert_eq!(
        send(&server, "GET", "/actuator/backups", Some(AUTH_TOKEN), "").status,
        200
    );
}

#[test]
fn an_empty_or_missing_auth_token_file_stops_the_start() {
    let empty = temp_file("empty-token", "\n");
    let empty = empty.to_str().unwrap();
    let (code, stderr) = run(&[
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--auth-token-file",
        empty,
    ]);
    assert_ne!(code, 0);
    assert!(
        stderr.contains(&format!("the auth token file {empty} is empty")),
        "{stderr}"
    );
    assert!(!stderr.contains("listening on"), "{stderr}");

    let (code, stderr) = run(&[
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--auth-token-file",
        "/nonexistent/token",
    ]);
    assert_ne!(code, 0);
    assert!(
        stderr.contains("cannot read the auth token file /nonexistent/token"),
        "{stderr}"
    );
}

#[test]
fn a_client_that_stalls_mid_request_line_is_disconnected_after_the_header_read_timeout() {
    let server = Server::start(&["--header-read-timeout", "300ms"]);
    for sent in [&b"GET /actuator/bac"[..], b""] {
        let mut stream = TcpStream::connect(&server.addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        stream.write_all(sent).unwrap();
        let started = Instant::now();
        // Panics if the server still holds the connection after 5 s.
        let answer = read_until_closed(&mut stream);
        let waited = started.elapsed();
        // Closed without an answer, no sooner than the timeout.
        assert!(answer.is_empty(), "{:?}", String::from_utf8_lossy(&answer));
        assert!(
            waited >= Duration::from_millis(250),
            "closed after {waited:?}"
        );
        assert!(waited < Duration::from_secs(3), "closed after {waited:?}");
    }
    // A prompt client is unaffected.
    assert_eq!(server.request("GET", "/actuator/backups", "").0, 400);
}

#[test]
fn the_header_read_timeout_also_closes_an_idle_kept_alive_connection() {
    let server = Server::start(&["--header-read-timeout", "300ms"]);
    let mut stream = TcpStream::connect(&server.addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    // A complete request on a kept-alive connection is answered...
    stream
        .write_all(b"GET /actuator/backups HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let started = Instant::now();
    // ...then the client goes quiet, and the connection is closed.
    let answer = read_until_closed(&mut stream);
    let waited = started.elapsed();
    let answer = parse_answer(&answer);
    assert_eq!(answer.status, 400, "{answer:?}");
    assert!(
        waited >= Duration::from_millis(250),
        "closed after {waited:?}"
    );
    assert!(waited < Duration::from_secs(3), "closed after {waited:?}");
}

#[test]
fn oversized_headers_are_431_and_the_connection_closed() {
    let server = Server::start(&["--repository", "backups"]);
    for kib in [65, 100] {
        let filler = "a".repeat(kib * 1024);
        let request =
            format!("GET /actuator/backups HTTP/1.1\r\nHost: x\r\nX-Filler: {filler}\r\n\r\n");
        // `raw` returns only once the server has closed the connection.
        let answer = parse_answer(&server.raw(request.as_bytes()));
        assert_eq!(answer.status, 431, "{kib} KiB: {answer:?}");
    }

    // Headers well under the limit are fine.
    let filler = "a".repeat(32 * 1024);
    let answer = server.send("GET", "/actuator/backups", &[("X-Filler", &filler)], "");
    assert_eq!(answer.status, 200, "{answer:?}");
}

#[test]
fn a_100_kib_post_body_is_413() {
    let server = Server::start(&["--repository", "backups"]);
    let body = format!(r#"{{"backupId":1,"padding":"{}"}}"#, "x".repeat(100 * 1024));
    let answer = server.send("POST", "/actuator/backups", &[], &body);
    assert_eq!(answer.status, 413, "{answer:?}");
    let json = answer.json();
    assert_eq!(json["errorCode"], "badRequestError");
    assert_eq!(
        json["detailedMessage"],
        "Request body is larger than 65536 bytes"
    );
    // Nothing was triggered.
    assert_eq!(server.json("/actuator/backups"), serde_json::json!([]));
}

#[test]
fn listening_on_all_interfaces_without_a_token_warns() {
    let server = Server::start_on("0.0.0.0:0", &["--repository", "backups"], &[]);
    let stderr = server.stop();
    assert!(
        stderr.contains("the backup API is reachable from the network without authentication"),
        "{stderr}"
    );

    let file = token_file("public-token");
    let server = Server::start_on(
        "[::]:0",
        &["--repository", "backups", "--auth-token-file", &file],
        &[],
    );
    let stderr = server.stop();
    assert!(!stderr.contains("without authentication"), "{stderr}");

    let server = Server::start(&["--repository", "backups"]);
    let stderr = server.stop();
    assert!(!stderr.contains("without authentication"), "{stderr}");
}

/// Every secret and every encoding of one that could travel.
fn secrets() -> Vec<String> {
    let mut all: Vec<String> = [AUTH_TOKEN, PASSWORD, API_KEY, BEARER, URL_PASSWORD]
        .iter()
        .map(|s| s.to_string())
        .collect();
    for (user, password) in [("elastic", PASSWORD), ("elastic", URL_PASSWORD)] {
        all.push(BASE64_STANDARD.encode(format!("{user}:{password}")));
    }
    // Fragments, in case a value is cut or escaped on the way.
    all.push("s3cr3t".into());
    all
}

fn assert_no_secret(what: &str, text: &str) {
    for secret in secrets() {
        assert!(
            !text.contains(&secret),
            "{what} contains {secret:?}:\n{text}"
        );
    }
}

/// Requests that succeed and that fail, each answer kept whole.
fn exercise(server: &Server, answers: &mut Vec<Answer>, expect_ok: bool) {
    let ok = Some(AUTH_TOKEN);
    let calls = [
        ("POST", "/actuator/backups", r#"{"backupId":5}"#, 202),
        ("GET", "/actuator/backups/5", "", 200),
        ("GET", "/actuator/backups", "", 200),
        ("DELETE", "/actuator/backups/5", "", 204),
    ];
    for (method, path, body, success) in calls {
        let answer = send(server, method, path, ok, body);
        if expect_ok {
            assert_eq!(answer.status, success, "{method} {path}: {answer:?}");
        }
        answers.push(answer);
    }
    for token in [None, Some("s3cr3t-AUTHTOKEN-xy"), Some("wrong")] {
        let answer = send(server, "GET", "/actuator/backups", token, "");
        assert_eq!(answer.status, 401, "{answer:?}");
        answers.push(answer);
    }
}

#[test]
fn no_secret_reaches_a_log_line_a_response_or_help() {
    let token = token_file("secrets-token");
    let trace = [("RUST_LOG", "trace")];
    let mut answers = Vec::new();
    let mut logs = Vec::new();

    // Basic auth with the password from the environment, on Elasticsearch.
    let es = Cluster::start(Flavor::Elasticsearch8_15);
    es.require_basic_auth("elastic", PASSWORD);
    let url = es.url();
    let args = [
        "--backend",
        "elasticsearch",
        "--url",
        &url,
        "--repository",
        "backups",
        "--username",
        "elastic",
        "--auth-token-file",
        &token,
    ];
    let server = Server::start_with_env(&args, &[trace[0], ("BACKUP_ACTUATOR_PASSWORD", PASSWORD)]);
    exercise(&server, &mut answers, true);
    // The cluster now refuses these credentials: 500.
    es.clear_auth();
    es.require_basic_auth("elastic", "another-password");
    let answer = send(&server, "GET", "/actuator/backups", Some(AUTH_TOKEN), "");
    assert_eq!(answer.status, 500, "{answer:?}");
    answers.push(answer);
    exercise(&server, &mut answers, false);
    logs.push(server.stop());

    // An API key from the environment.
    es.clear_auth();
    es.require_api_key(API_KEY);
    let server = Server::start_with_env(
        &[
            "--backend",
            "elasticsearch",
            "--url",
            &url,
            "--repository",
            "backups",
            "--auth-token-file",
            &token,
        ],
        &[trace[0], ("BACKUP_ACTUATOR_API_KEY", API_KEY)],
    );
    exercise(&server, &mut answers, true);
    es.clear_auth();
    es.require_api_key("another-key");
    let answer = send(&server, "GET", "/actuator/backups/5", Some(AUTH_TOKEN), "");
    assert_eq!(answer.status, 500, "{answer:?}");
    answers.push(answer);
    logs.push(server.stop());

    // Credentials in the URL's userinfo.
    es.clear_auth();
    es.require_basic_auth("elastic", URL_PASSWORD);
    let with_userinfo = url.replace("http://", &format!("http://elastic:{URL_PASSWORD}@"));
    let server = Server::start_with_env(
        &[
            "--backend",
            "elasticsearch",
            "--url",
            &with_userinfo,
            "--repository",
            "backups",
            "--auth-token-file",
            &token,
        ],
        &trace,
    );
    exercise(&server, &mut answers, true);
    logs.push(server.stop());

    // A bearer token on OpenSearch.
    let os = Cluster::start(Flavor::OpenSearch2);
    os.require_bearer_token(BEARER);
    let os_url = os.url();
    let server = Server::start_with_env(
        &[
            "--backend",
            "opensearch",
            "--url",
            &os_url,
            "--repository",
            "backups",
            "--auth-token-file",
            &token,
        ],
        &[trace[0], ("BACKUP_ACTUATOR_BEARER_TOKEN", BEARER)],
    );
    exercise(&server, &mut answers, true);
    os.clear_auth();
    os.require_bearer_token("another-token");
    let answer = send(
        &server,
        "DELETE",
        "/actuator/backups/5",
        Some(AUTH_TOKEN),
        "",
    );
    assert_eq!(answer.status, 500, "{answer:?}");
    answers.push(answer);
    logs.push(server.stop());

    // Unreachable clusters, with the credentials in the URL: 502. (The
    // URL's pair beside --username and a password stops the program:
    // a credential given twice, below.)
    for backend in ["elasticsearch", "opensearch"] {
        let refusing = RefusingPort::reserve().unwrap();
        let dead = refusing
            .url()
            .replace("http://", &format!("http://elastic:{URL_PASSWORD}@"));
        let server = Server::start_with_env(
            &[
                "--backend",
                backend,
                "--url",
                &dead,
                "--repository",
                "backups",
                "--auth-token-file",
                &token,
                "--request-timeout",
                "2s",
            ],
            &trace,
        );
        let answer = send(&server, "GET", "/actuator/backups", Some(AUTH_TOKEN), "");
        assert_eq!(answer.status, 502, "{answer:?}");
        assert!(answer.json()["errorCode"]
            .as_str()
            .unwrap()
            .ends_with("ConnectionError"));
        answers.push(answer);
        exercise(&server, &mut answers, false);
        logs.push(server.stop());
    }

    // Start-up failures print no secret either. A user and password in
    // the URL beside --username and a password: given twice.
    let refusing = RefusingPort::reserve().unwrap();
    let dead = refusing
        .url()
        .replace("http://", &format!("http://elastic:{URL_PASSWORD}@"));
    let ((code, stderr), _) = run_with_env(
        &[
            "serve",
            "--backend",
            "elasticsearch",
            "--url",
            &dead,
            "--username",
            "elastic",
        ],
        &[("BACKUP_ACTUATOR_PASSWORD", PASSWORD)],
    );
    assert_ne!(code, 0);
    assert!(stderr.contains("given twice"), "{stderr}");
    logs.push(stderr);
    let ((code, stderr), _) = run_with_env(
        &[
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--backend",
            "elasticsearch",
            "--url",
            &with_userinfo,
            "--api-key",
            API_KEY,
        ],
        &trace,
    );
    assert_ne!(code, 0);
    assert!(
        stderr.contains("conflicting cluster authentication"),
        "{stderr}"
    );
    logs.push(stderr);

    assert!(answers.len() > 40, "{}", answers.len());
    for answer in &answers {
        assert_no_secret("a response head", &answer.head);
        assert_no_secret("a response body", &answer.body);
    }
    for log in &logs {
        // The logs really are at trace level: request spans and the
        // cluster client's own lines are there.
        assert_no_secret("the server's stderr", log);
    }
    let all_logs = logs.join("\n");
    assert!(all_logs.contains("TRACE"), "not at trace level");
    assert!(all_logs.contains("backup_request"), "no request spans");

    // --help shows which variables are read, never their values.
    let ((code, _), help) = run_with_env(
        &["serve", "--help"],
        &[
            ("BACKUP_ACTUATOR_PASSWORD", PASSWORD),
            ("BACKUP_ACTUATOR_API_KEY", API_KEY),
            ("BACKUP_ACTUATOR_BEARER_TOKEN", BEARER),
            ("BACKUP_ACTUATOR_URL", &with_userinfo),
        ],
    );
    assert_eq!(code, 0);
    assert!(help.contains("BACKUP_ACTUATOR_API_KEY"), "{help}");
    assert!(help.contains("BACKUP_ACTUATOR_PASSWORD"), "{help}");
    assert_no_secret("--help", &help);
}

#[test]
fn a_post_body_that_stalls_is_408_after_the_body_read_timeout() {
    let server = Server::start(&["--repository", "backups", "--body-read-timeout", "300ms"]);
    let mut stream = TcpStream::connect(&server.addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    // Promises 100 bytes, sends 4, then goes quiet.
    stream
        .write_all(
            b"POST /actuator/backups HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"ba",
        )
        .unwrap();
    let started = Instant::now();
    let answer = parse_answer(&read_until_closed(&mut stream));
    let waited = started.elapsed();
    assert_eq!(answer.status, 408, "{answer:?}");
    assert_eq!(answer.header("connection"), Some("close"));
    assert_eq!(
        answer.json()["detailedMessage"],
        "Request body was not received within 300 ms"
    );
    assert!(
        waited >= Duration::from_millis(250),
        "answered after {waited:?}"
    );
    assert!(waited < Duration::from_secs(3), "answered after {waited:?}");
    assert_eq!(server.json("/actuator/backups"), serde_json::json!([]));
}

#[test]
fn at_max_connections_a_new_client_waits_until_one_closes() {
    let server = Server::start(&["--repository", "backups", "--max-connections", "2"]);
    // Two clients hold both slots without sending anything.
    let idle: Vec<TcpStream> = (0..2)
        .map(|_| TcpStream::connect(&server.addr).unwrap())
        .collect();
    std::thread::sleep(Duration::from_millis(200));
    let mut third = TcpStream::connect(&server.addr).unwrap();
    third
        .set_read_timeout(Some(Duration::from_millis(500)))
        .unwrap();
    third
        .write_all(b"GET /actuator/backups HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut buf = [0u8; 1];
    let early = std::io::Read::read(&mut third, &mut buf);
    assert!(early.is_err(), "answered while both slots were taken");
    drop(idle);
    third
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let answer = parse_answer(&read_until_closed(&mut third));
    assert_eq!(answer.status, 200, "{answer:?}");
}

/// Issue 20's flood, scaled down: more idle sockets from one address
/// (300) than the server serves at once (`--max-connections 200`; the
/// probe used 1,100 against the default 1024), then a normal client from
/// another address. Without a per-client cap it waits in the listen queue
/// until the flood's first sockets reach the header-read timeout (here
/// 10 s); with the cap (default 64) the flood holds at most 64 slots and
/// the client is answered at once: well within half the timeout.
#[test]
fn an_idle_flood_from_one_address_does_not_hold_up_another_client() {
    let header_read_timeout = Duration::from_secs(10);
    let server = Server::start(&[
        "--repository",
        "backups",
        "--header-read-timeout",
        "10s",
        "--max-connections",
        "200",
    ]);
    let server_addr: std::net::SocketAddr = server.addr.parse().unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let flood_started = Instant::now();
    // One at a time, so that the server accepts each before the next.
    let flood = runtime.block_on(async {
        let mut flood = Vec::new();
        for _ in 0..300 {
            let socket = tokio::net::TcpSocket::new_v4().unwrap();
            socket.bind("127.0.0.2:0".parse().unwrap()).unwrap();
            // A refused or reset connection is part of the flood too.
            if let Ok(stream) = socket.connect(server_addr).await {
                flood.push(stream);
            }
        }
        flood
    });
    assert!(flood.len() > 200, "only {} flood sockets", flood.len());
    std::thread::sleep(Duration::from_millis(200));
    let flood_took = flood_started.elapsed();
    let started = Instant::now();
    let (status, body) = server.request("GET", "/actuator/backups", "");
    let waited = started.elapsed();
    assert_eq!(status, 200, "{body}");
    eprintln!(
        "a normal client was answered after {waited:?} behind 300 idle sockets (opened in {flood_took:?})"
    );
    assert!(
        flood_took < header_read_timeout / 2,
        "the flood took {flood_took:?} to open: too slow to show anything"
    );
    assert!(
        waited < header_read_timeout / 2,
        "answered after {waited:?}: held up by the flood"
    );
    drop(flood);
    let log = server.stop();
    assert!(!log.contains("panicked"), "{log}");
}
