//! SPEC §5 "never credentials", as a matrix: every way a credential can be
//! given (URL userinfo, username + password, password file, API key,
//! bearer token) × every kind of cluster answer that can carry it back (an
//! error envelope, a plain-text body, an unreadable 2xx body, echoed
//! request headers), on GET, the create PUT and `GET /`. Checked in the
//! HTTP answers and in the server's trace-level log.
//!
//! The oracle does not list the encodings the server redacts (that would
//! repeat `Settings::secrets()`): it looks for any 10-character piece of
//! the secret, raw, JSON-escaped or percent-encoded, and decodes every
//! base64-looking word (standard or URL-safe, padded or not, at any
//! alignment) to look for one inside.

mod common;

use backup_actuator_testkit::{Fault, Flavor};
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::prelude::{
    Engine as _, BASE64_STANDARD, BASE64_STANDARD_NO_PAD, BASE64_URL_SAFE, BASE64_URL_SAFE_NO_PAD,
};
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
    /// `user:password`, for Basic credentials.
    user_password: Option<String>,
}

impl Source {
    /// The pieces of this secret whose presence means it leaked: every
    /// 10-character window of it as written, JSON-escaped and
    /// percent-encoded (a cut or an escape on the way still leaks it).
    fn pieces(&self) -> Vec<String> {
        let json = serde_json::to_string(self.secret).unwrap();
        let percent: String = self
            .secret
            .bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect();
        let mut pieces = Vec::new();
        for form in [self.secret, &json[1..json.len() - 1], &percent] {
            let chars: Vec<char> = form.chars().collect();
            for window in chars.windows(10) {
                pieces.push(window.iter().collect());
            }
        }
        pieces
    }

    /// The answers a cluster (or a proxy before it) could give that carry
    /// the secret back: (kind, status, content type, body).
    fn answers(&self) -> Vec<(&'static str, u16, &'static str, String)> {
        let mut echo = format!(
            "{} / {} / Authorization: {}",
            self.secret, self.secret, self.authorization
        );
        // The Basic credentials in the other base64 spellings a proxy may
        // echo: URL-safe, and either without padding.
        if let Some(user_password) = &self.user_password {
            for engine in [
                &BASE64_URL_SAFE,
                &BASE64_STANDARD_NO_PAD,
                &BASE64_URL_SAFE_NO_PAD,
            ] {
                echo.push_str(&format!(" / {}", engine.encode(user_password)));
            }
        }
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
    if let Some(leak) = find_leak(source, text) {
        panic!("{}: {what} contains {leak}:\n{text}", source.name);
    }
}

/// The first piece of the secret found in `text`, as written or inside a
/// base64 word, described.
fn find_leak(source: &Source, text: &str) -> Option<String> {
    let pieces = source.pieces();
    let piece_in = |text: &str| {
        pieces
            .iter()
            .find(|piece| text.contains(piece.as_str()))
            .cloned()
    };
    if let Some(piece) = piece_in(text) {
        return Some(format!("{piece:?}"));
    }
    base64_words(text).into_iter().find_map(|(word, decoded)| {
        piece_in(&decoded).map(|piece| format!("{word:?}, base64 of {piece:?}"))
    })
}

/// Every word of `text` in a base64 alphabet (8 characters or more) that
/// decodes, with what it decodes to: standard and URL-safe, padded or not,
/// from each of the first four characters (a word may carry a few others
/// before the encoded part).
fn base64_words(text: &str) -> Vec<(String, String)> {
    let lenient = GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true);
    let engines = [
        GeneralPurpose::new(&alphabet::STANDARD, lenient),
        GeneralPurpose::new(&alphabet::URL_SAFE, lenient),
    ];
    let in_alphabet = |c: char| c.is_ascii_alphanumeric() || "+/-_".contains(c);
    let mut decoded = Vec::new();
    for word in text
        .split(|c: char| !in_alphabet(c))
        .filter(|w| w.len() >= 8)
    {
        for skip in 0..4 {
            let mut rest = &word[skip..];
            if rest.len() % 4 == 1 {
                rest = &rest[..rest.len() - 1];
            }
            for engine in &engines {
                if let Ok(bytes) = engine.decode(rest) {
                    decoded.push((
                        word.to_owned(),
                        String::from_utf8_lossy(&bytes).into_owned(),
                    ));
                }
            }
        }
    }
    decoded
}

#[test]
fn the_oracle_finds_a_secret_in_every_base64_spelling_and_in_pieces() {
    let source = Source {
        name: "oracle",
        secret: URL_PASSWORD,
        authorization: basic(URL_PASSWORD),
        user_password: Some(format!("{USER}:{URL_PASSWORD}")),
    };
    let user_password = format!("{USER}:{URL_PASSWORD}");
    let mut spellings: Vec<String> = [
        &BASE64_STANDARD,
        &BASE64_URL_SAFE,
        &BASE64_STANDARD_NO_PAD,
        &BASE64_URL_SAFE_NO_PAD,
    ]
    .iter()
    .map(|engine| format!("reason: x-{}, more", engine.encode(&user_password)))
    .collect();
    spellings.push(format!("cut: {}", &URL_PASSWORD[3..15]));
    spellings.push("percent: hunter2%27%29%28-url".to_owned());
    for text in spellings {
        assert!(find_leak(&source, &text).is_some(), "not caught: {text}");
    }
    assert_eq!(
        find_leak(&source, "[redacted] and optimize, ordinary words"),
        None
    );
}

#[test]
fn spec_5_no_credential_from_any_source_reaches_an_answer_or_a_trace_log_line() {
    let sources = [
        Source {
            name: "URL userinfo",
            secret: URL_PASSWORD,
            authorization: basic(URL_PASSWORD),
            user_password: Some(format!("{USER}:{URL_PASSWORD}")),
        },
        Source {
            name: "username + password",
            secret: ENV_PASSWORD,
            authorization: basic(ENV_PASSWORD),
            user_password: Some(format!("{USER}:{ENV_PASSWORD}")),
        },
        Source {
            name: "password file",
            secret: FILE_PASSWORD,
            authorization: basic(FILE_PASSWORD),
            user_password: Some(format!("{USER}:{FILE_PASSWORD}")),
        },
        Source {
            name: "API key",
            secret: API_KEY,
            authorization: format!("ApiKey {API_KEY}"),
            user_password: None,
        },
        Source {
            name: "bearer token",
            secret: BEARER,
            authorization: format!("Bearer {BEARER}"),
            user_password: None,
        },
    ];
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
        // The redaction marker in every answer shows that each echo did
        // arrive, and was redacted rather than dropped.
        for (case, answer) in &answers {
            assert!(
                answer.body.contains("[redacted]"),
                "{}: the answer to {case} shows no redaction, so its echo did not arrive: {answer:?}",
                source.name
            );
        }
        assert_no_form(source, "the trace log", &log);
    }
}
