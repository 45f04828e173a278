//! SPEC §5 "never credentials", as a matrix: every way a credential can be
//! given (URL userinfo, username + password, password file, API key,
//! bearer token) × every kind of cluster answer that can carry it back (an
//! error envelope, a plain-text body, an unreadable 2xx body, echoed
//! request headers), on GET, the create PUT and `GET /`. Checked in the
//! HTTP answers and in the server's trace-level log.

mod common;

use backup_actuator_testkit::{Fault, Flavor};
use base64::prelude::{Engine as _, BASE64_STANDARD};
use common::{temp_file, Answer, Cluster, Server};
use http::Method;

const USER: &str = "optimize";
/// `'`, `(` and `)` stay unencoded in a URL's userinfo.
const URL_PASSWORD: &str = "hunter2')(-url-secret";
/// `"` and `\` are escaped when a JSON answer echoes it.
const ENV_PASSWORD: &str = "env\"pass\\word-secret";
const FILE_PASSWORD: &str = "file-pass-secret-42";
const API_KEY: &str = "apikey-secret-XYZ123";
const BEARER: &str = "bearer-secret-token-77";

/// One way of giving the server credentials.
struct Source {
    name: &'static str,
    /// The raw secret.
    secret: &'static str,
    /// The `Authorization` header value the server sends.
    authorization: String,
}

impl Source {
    /// Every form in which this secret may travel back.
    fn forms(&self) -> Vec<String> {
        let mut forms = vec![self.secret.to_owned(), self.authorization.clone()];
        let json = serde_json::to_string(self.secret).unwrap();
        forms.push(json[1..json.len() - 1].to_owned());
        if let Some((_, encoded)) = self.authorization.split_once(' ') {
            forms.push(encoded.to_owned());
        }
        forms.push(self.secret.replace('\'', "%27").replace('(', "%28"));
        // A fragment, in case a value is cut on the way.
        forms.push(self.secret[..self.secret.len() - 2].to_owned());
        forms
    }

    /// The answers a cluster (or a proxy before it) could give that carry
    /// the secret back: (kind, status, content type, body).
    fn answers(&self) -> Vec<(&'static str, u16, &'static str, String)> {
        let echo = format!(
            "{} / {} / Authorization: {}",
            self.secret, self.secret, self.authorization
        );
        let envelope = serde_json::json!({
            "error": {
                "root_cause": [{"type": "security_exception", "reason": echo}],
                "type": "security_exception",
                "reason": echo,
            },
            "status": 401,
        });
        let headers = format!(
            "GET /_snapshot/backups HTTP/1.1\r\nHost: cluster\r\nAuthorization: {}\r\nUser-Agent: backup-actuator\r\n\r\n",
            self.authorization
        );
        let headers_json = serde_json::json!({
            "headers": {"authorization": self.authorization, "password": self.secret}
        });
        vec![
            (
                "error envelope",
                401,
                "application/json",
                envelope.to_string(),
            ),
            ("plain-text body", 401, "text/plain", echo.clone()),
            (
                "unreadable 2xx body",
                200,
                "application/json",
                format!("{{\"snapshots\": \"{echo}"),
            ),
            (
                "unreadable 2xx JSON",
                200,
                "application/json",
                headers_json.to_string(),
            ),
            ("echoed headers", 400, "text/plain", headers),
        ]
    }
}

fn basic(password: &str) -> String {
    format!(
        "Basic {}",
        BASE64_STANDARD.encode(format!("{USER}:{password}"))
    )
}

/// Starts the server for `source` against `cluster`, at trace level.
fn start(source: &Source, cluster: &Cluster) -> Server {
    let url = cluster.url();
    let trace = ("RUST_LOG", "trace");
    // A short request timeout keeps the watch after an unreadable create
    // short (10 s), which shutdown waits for.
    let common = [
        "--backend",
        "elasticsearch",
        "--repository",
        "backups",
        "--request-timeout",
        "2s",
    ];
    match source.name {
        "URL userinfo" => {
            let with_userinfo = url.replace("http://", &format!("http://{USER}:{URL_PASSWORD}@"));
            let mut args = common.to_vec();
            args.extend(["--url", &with_userinfo]);
            Server::start_with_env(&args, &[trace])
        }
        "username + password" => {
            let mut args = common.to_vec();
            args.extend(["--url", &url, "--username", USER]);
            Server::start_with_env(&args, &[trace, ("BACKUP_ACTUATOR_PASSWORD", ENV_PASSWORD)])
        }
        "password file" => {
            let file = temp_file("redaction-password", &format!("{FILE_PASSWORD}\n"));
            let file = file.to_str().unwrap().to_owned();
            let mut args = common.to_vec();
            args.extend(["--url", &url, "--username", USER, "--password-file", &file]);
            Server::start_with_env(&args, &[trace])
        }
        "API key" => {
            let mut args = common.to_vec();
            args.extend(["--url", &url]);
            Server::start_with_env(&args, &[trace, ("BACKUP_ACTUATOR_API_KEY", API_KEY)])
        }
        "bearer token" => {
            let mut args = common.to_vec();
            args.extend(["--url", &url]);
            Server::start_with_env(&args, &[trace, ("BACKUP_ACTUATOR_BEARER_TOKEN", BEARER)])
        }
        other => unreachable!("{other}"),
    }
}

fn assert_no_form(source: &Source, what: &str, text: &str) {
    for form in source.forms() {
        assert!(
            !text.contains(&form),
            "{}: {what} contains {form:?}:\n{text}",
            source.name
        );
    }
}

#[test]
fn spec_5_no_credential_from_any_source_reaches_an_answer_or_a_trace_log_line() {
    let sources = [
        Source {
            name: "URL userinfo",
            secret: URL_PASSWORD,
            authorization: basic(URL_PASSWORD),
        },
        Source {
            name: "username + password",
            secret: ENV_PASSWORD,
            authorization: basic(ENV_PASSWORD),
        },
        Source {
            name: "password file",
            secret: FILE_PASSWORD,
            authorization: basic(FILE_PASSWORD),
        },
        Source {
            name: "API key",
            secret: API_KEY,
            authorization: format!("ApiKey {API_KEY}"),
        },
        Source {
            name: "bearer token",
            secret: BEARER,
            authorization: format!("Bearer {BEARER}"),
        },
    ];
    let mut cases = 0;
    for source in &sources {
        let cluster = Cluster::start(Flavor::Elasticsearch7_17);
        // `GET /` answers unreadably first: the server's first request.
        let (_, _, _, unreadable_root) = source.answers().remove(2);
        cluster.inject_fault(
            Fault::respond(200, "application/json", unreadable_root)
                .method(Method::GET)
                .path_prefix("/")
                .times(1),
        );
        let server = start(source, &cluster);
        let mut answers: Vec<(String, Answer)> = Vec::new();
        let first = server.send("GET", "/actuator/backups", &[], "");
        assert_eq!(first.status, 500, "{}: {first:?}", source.name);
        answers.push(("GET / unreadable".into(), first));

        for (kind, status, content_type, body) in source.answers() {
            for (method, route, path_prefix, request_body) in [
                (Method::GET, "/actuator/backups", "/_snapshot/", ""),
                (Method::GET, "/actuator/backups/5", "/_snapshot/", ""),
                (
                    Method::PUT,
                    "/actuator/backups",
                    "/_snapshot/",
                    r#"{"backupId": 5}"#,
                ),
            ] {
                cluster.clear_faults();
                cluster.inject_fault(
                    Fault::respond(status, content_type, body.clone())
                        .method(method.clone())
                        .path_prefix(path_prefix),
                );
                let verb = if method == Method::PUT { "POST" } else { "GET" };
                let answer = server.send(verb, route, &[], request_body);
                assert!(
                    answer.status >= 500,
                    "{} / {kind} / {verb} {route}: {answer:?}",
                    source.name
                );
                answers.push((format!("{kind} / {verb} {route}"), answer));
                cases += 1;
            }
        }
        cluster.clear_faults();
        let log = server.stop();
        // The log really is at trace level, and the answers were logged.
        assert!(log.contains("TRACE"), "{}: not at trace level", source.name);
        assert!(log.contains("backup request failed"), "{log}");
        for (case, answer) in &answers {
            assert_no_form(
                source,
                &format!("the answer to {case} (head)"),
                &answer.head,
            );
            assert_no_form(
                source,
                &format!("the answer to {case} (body)"),
                &answer.body,
            );
        }
        // The redaction marker shows that the echoes did arrive.
        assert!(
            answers.iter().any(|(_, a)| a.body.contains("[redacted]")),
            "{}: nothing was redacted, so nothing was echoed",
            source.name
        );
        assert_no_form(source, "the trace log", &log);
    }
    assert_eq!(cases, 5 * 5 * 3);
}
