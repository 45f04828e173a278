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

use backup_actuator_testkit::{Fault, Flavor, RefusingPort};
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::prelude::{
    Engine as _, BASE64_STANDARD, BASE64_STANDARD_NO_PAD, BASE64_URL_SAFE, BASE64_URL_SAFE_NO_PAD,
};
use common::{run_with_env, temp_file, Answer, Cluster, Server};
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

// ---------------------------------------------------------------------------
// Issue 20: a cluster that echoes the request back, in sixteen ways, for
// every credential source of the server and of `restore`, on every route,
// `/health`, `/prometheus`, the trace log; and the client's own secrets.
// The forms looked for are written here, not taken from the redactor.

#[path = "common/echo.rs"]
mod echo;

use echo::{Echo, Kind, Target};
use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};

/// A password with characters every encoding treats differently.
const URL_USERINFO_PASSWORD: &str = "url')(p@ss/w0rd-secret";
const ENV_PASS: &str = "env\"pass\\word-secret";
const FILE_PASS: &str = "file pass+secret/42";
const SERVER_TOKEN: &str = "server-token-S3cret-99";

/// Every form in which `secret` (and, for basic auth, `user:secret`) may
/// come back: as given, percent-encoded (both hex cases, `+` for space),
/// JSON-escaped (also `\/`), base64 in both alphabets with and without
/// padding, percent-encoded base64, and every 8-character piece of the
/// base64 of the secret at each of the three byte offsets it can have.
fn secret_forms(secret: &str, user: Option<&str>) -> Vec<String> {
    let mut plain = vec![secret.to_owned()];
    if let Some(user) = user {
        plain.push(format!("{user}:{secret}"));
    }
    let mut forms = Vec::new();
    for text in &plain {
        let encoded = utf8_percent_encode(text, NON_ALPHANUMERIC).to_string();
        let lower = lower_hex(&encoded);
        forms.extend([
            text.clone(),
            encoded.clone(),
            encoded.replace("%20", "+"),
            lower,
        ]);
        let json = serde_json::to_string(text).unwrap();
        let inner = json[1..json.len() - 1].to_owned();
        forms.push(inner.replace('/', "\\/"));
        forms.push(inner);
        for engine in [
            &BASE64_STANDARD,
            &BASE64_STANDARD_NO_PAD,
            &BASE64_URL_SAFE,
            &BASE64_URL_SAFE_NO_PAD,
        ] {
            let whole = engine.encode(text);
            forms.push(utf8_percent_encode(&whole, NON_ALPHANUMERIC).to_string());
            forms.push(whole);
            for offset in 0..3usize {
                let mut bytes = vec![b'.'; offset];
                bytes.extend_from_slice(text.as_bytes());
                let shifted = engine.encode(&bytes);
                // Characters made only of the secret's bits.
                let from = (offset * 8).div_ceil(6);
                let to = (offset + text.len()) * 8 / 6;
                let stable: Vec<char> = shifted[from..to].chars().collect();
                for window in stable.windows(8) {
                    forms.push(window.iter().collect());
                }
            }
        }
    }
    forms.sort();
    forms.dedup();
    forms
}

fn lower_hex(encoded: &str) -> String {
    let mut out = String::new();
    let mut chars = encoded.chars();
    while let Some(c) = chars.next() {
        out.push(c);
        if c == '%' {
            out.extend(chars.by_ref().take(2).map(|h| h.to_ascii_lowercase()));
        }
    }
    out
}

/// The first form of a secret found in `text`, if any.
fn leaked<'a>(forms: &'a [String], text: &str) -> Option<&'a String> {
    forms.iter().find(|form| text.contains(form.as_str()))
}

/// One of the ten ways the server and `restore` take a cluster credential.
struct CredentialSource {
    name: &'static str,
    secret: &'static str,
    user: Option<&'static str>,
    /// Cluster arguments, given the echo fake's URL and a scratch file.
    args: fn(&str, &str) -> Vec<String>,
    env: &'static [(&'static str, &'static str)],
    /// The content of the scratch file, if the source reads one.
    file: Option<&'static str>,
}

fn url_with_userinfo(url: &str) -> String {
    url.replace(
        "http://",
        &format!(
            "http://{USER}:{}@",
            utf8_percent_encode(URL_USERINFO_PASSWORD, NON_ALPHANUMERIC)
        ),
    )
}

fn credential_sources() -> Vec<CredentialSource> {
    fn v(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }
    vec![
        CredentialSource {
            name: "user:password in --url",
            secret: URL_USERINFO_PASSWORD,
            user: Some(USER),
            args: |url, _| v(&["--url", &url_with_userinfo(url)]),
            env: &[],
            file: None,
        },
        CredentialSource {
            name: "user:password in BACKUP_ACTUATOR_URL",
            secret: URL_USERINFO_PASSWORD,
            user: Some(USER),
            // The URL is put in the environment by the runner (below).
            args: |_, _| Vec::new(),
            env: &[],
            file: None,
        },
        CredentialSource {
            name: "--username, password from the environment",
            secret: ENV_PASS,
            user: Some(USER),
            args: |url, _| v(&["--url", url, "--username", USER]),
            env: &[("BACKUP_ACTUATOR_PASSWORD", ENV_PASS)],
            file: None,
        },
        CredentialSource {
            name: "--username, --password-file",
            secret: FILE_PASS,
            user: Some(USER),
            args: |url, file| v(&["--url", url, "--username", USER, "--password-file", file]),
            env: &[],
            file: Some(FILE_PASS),
        },
        CredentialSource {
            name: "--api-key",
            secret: "apikey-cli-S3cretKey1",
            user: None,
            args: |url, _| v(&["--url", url, "--api-key", "apikey-cli-S3cretKey1"]),
            env: &[],
            file: None,
        },
        CredentialSource {
            name: "BACKUP_ACTUATOR_API_KEY",
            secret: "apikey-env-S3cretKey2",
            user: None,
            args: |url, _| v(&["--url", url]),
            env: &[("BACKUP_ACTUATOR_API_KEY", "apikey-env-S3cretKey2")],
            file: None,
        },
        CredentialSource {
            name: "--api-key-file",
            secret: "apikey-file-S3cretKey3",
            user: None,
            args: |url, file| v(&["--url", url, "--api-key-file", file]),
            env: &[],
            file: Some("apikey-file-S3cretKey3"),
        },
        CredentialSource {
            name: "--bearer-token",
            secret: "bearer.cli.S3cret.tok4",
            user: None,
            args: |url, _| v(&["--url", url, "--bearer-token", "bearer.cli.S3cret.tok4"]),
            env: &[],
            file: None,
        },
        CredentialSource {
            name: "BACKUP_ACTUATOR_BEARER_TOKEN",
            secret: "bearer.env.S3cret.tok5",
            user: None,
            args: |url, _| v(&["--url", url]),
            env: &[("BACKUP_ACTUATOR_BEARER_TOKEN", "bearer.env.S3cret.tok5")],
            file: None,
        },
        CredentialSource {
            name: "--bearer-token-file",
            secret: "bearer.file.S3cret.tok6",
            user: None,
            args: |url, file| v(&["--url", url, "--bearer-token-file", file]),
            env: &[],
            file: Some("bearer.file.S3cret.tok6"),
        },
    ]
}

impl CredentialSource {
    /// The cluster arguments and environment for this source.
    fn setup(&self, echo: &Echo, index: usize) -> (Vec<String>, Vec<(String, String)>) {
        let file = temp_file(
            &format!("echo-credential-{index}"),
            &format!("{}\n", self.file.unwrap_or("unused")),
        );
        let mut args = vec![
            "--backend".to_owned(),
            "elasticsearch".to_owned(),
            "--repository".to_owned(),
            "backups".to_owned(),
        ];
        args.extend((self.args)(&echo.url(), file.to_str().unwrap()));
        let mut env: Vec<(String, String)> = self
            .env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        env.push(("RUST_LOG".into(), "trace".into()));
        if self.name == "user:password in BACKUP_ACTUATOR_URL" {
            env.push(("BACKUP_ACTUATOR_URL".into(), url_with_userinfo(&echo.url())));
        }
        (args, env)
    }

    fn forms(&self) -> Vec<String> {
        let mut forms = secret_forms(self.secret, self.user);
        forms.extend(secret_forms(SERVER_TOKEN, None));
        forms
    }
}

/// The routes each target is reached by, with the server's token.
const ROUTES: [(Target, &str, &str, &str); 7] = [
    (Target::Lookup, "GET", "/actuator/backups", ""),
    (Target::Lookup, "GET", "/actuator/backups/5", ""),
    (
        Target::Lookup,
        "POST",
        "/actuator/backups",
        r#"{"backupId": 6}"#,
    ),
    (Target::Lookup, "DELETE", "/actuator/backups/5", ""),
    (
        Target::Create,
        "POST",
        "/actuator/backups",
        r#"{"backupId": 7}"#,
    ),
    (Target::Delete, "DELETE", "/actuator/backups/5", ""),
    (Target::Repository, "GET", "/actuator/health", ""),
];

#[test]
fn issue_20_no_credential_from_any_source_leaves_the_server_whatever_the_cluster_echoes() {
    let echo = Echo::start();
    let token_file = temp_file("echo-server-token", &format!("{SERVER_TOKEN}\n"));
    let bearer = format!("Bearer {SERVER_TOKEN}");
    let sources = credential_sources();
    let mut answers_checked = 0;
    for (index, source) in sources.iter().enumerate() {
        let forms = source.forms();
        let (mut args, env) = source.setup(&echo, index);
        args.extend([
            "--metrics".to_owned(),
            "--auth-token-file".to_owned(),
            token_file.to_str().unwrap().to_owned(),
        ]);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        // `GET /` echoes first: the server's first cluster call.
        echo.set(Kind::ALL[index % Kind::ALL.len()], Target::Root);
        let server = Server::start_with_env(&args, &env);
        let mut answers = vec![(
            "GET / echoed".to_owned(),
            server.send(
                "GET",
                "/actuator/backups",
                &[("Authorization", &bearer)],
                "",
            ),
        )];
        for kind in Kind::ALL {
            for (target, method, path, body) in ROUTES {
                echo.set(kind, target);
                let answer = server.send(method, path, &[("Authorization", &bearer)], body);
                answers.push((format!("{kind:?} on {target:?}: {method} {path}"), answer));
            }
        }
        echo.set(Kind::PlainText, Target::Nothing);
        let metrics = server.send(
            "GET",
            "/actuator/prometheus",
            &[("Authorization", &bearer)],
            "",
        );
        assert_eq!(metrics.status, 200, "{metrics:?}");
        answers.push(("GET /prometheus".to_owned(), metrics));
        let log = server.stop();
        assert!(log.contains("TRACE"), "{}: not at trace level", source.name);
        for (case, answer) in &answers {
            for text in [&answer.head, &answer.body] {
                if let Some(form) = leaked(&forms, text) {
                    panic!("{}: {case}: {form:?} in\n{text}", source.name);
                }
            }
            if answer.status >= 400 {
                assert!(
                    !answer.body.is_empty(),
                    "{}: {case}: an empty error body",
                    source.name
                );
            }
            answers_checked += 1;
        }
        let redacted = answers
            .iter()
            .filter(|(_, a)| a.body.contains("[redacted]"))
            .count();
        assert!(
            redacted >= 16,
            "{}: only {redacted} answers carried an echo",
            source.name
        );
        if let Some(form) = leaked(&forms, &log) {
            let line = log.lines().find(|l| l.contains(form.as_str())).unwrap();
            panic!("{}: the trace log has {form:?}:\n{line}", source.name);
        }
    }
    assert_eq!(echo.followed(), 0, "a redirect was followed");
    assert_eq!(answers_checked, 10 * (1 + 16 * ROUTES.len() + 1));
}

#[test]
fn issue_20_restore_prints_no_credential_from_any_source_whatever_the_cluster_echoes() {
    let echo = Echo::start();
    for (index, source) in credential_sources().iter().enumerate() {
        let forms = source.forms();
        let (args, env) = source.setup(&echo, 100 + index);
        for kind in Kind::ALL {
            for target in [Target::Root, Target::Lookup, Target::Everything] {
                echo.set(kind, target);
                let mut argv = vec!["restore", "5", "--yes"];
                argv.extend(args.iter().map(String::as_str));
                let env: Vec<(&str, &str)> =
                    env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
                let ((code, stderr), stdout) = run_with_env(&argv, &env);
                for (what, text) in [("stderr", &stderr), ("stdout", &stdout)] {
                    if let Some(form) = leaked(&forms, text) {
                        panic!(
                            "{}: restore, {kind:?} on {target:?}: {form:?} on {what}:\n{text}",
                            source.name
                        );
                    }
                }
                assert_ne!(code, 0, "{}: {kind:?} on {target:?}", source.name);
            }
        }
    }
    assert_eq!(echo.followed(), 0, "a redirect was followed");
}

#[test]
fn issue_20_a_cluster_redirect_is_an_error_naming_the_status_and_host_only_on_every_route() {
    let echo = Echo::start();
    let url = echo.url();
    let server = Server::start(&[
        "--backend",
        "elasticsearch",
        "--repository",
        "backups",
        "--url",
        &url,
        "--api-key",
        "S3cretKey-redirect",
    ]);
    for (kind, status) in [
        (Kind::RedirectQuery, 307),
        (Kind::RedirectUserinfo, 302),
        (Kind::RedirectPath, 301),
    ] {
        for (target, method, path, body) in ROUTES {
            echo.set(kind, target);
            let answer = server.send(method, path, &[], body);
            let detail = if path.ends_with("/health") {
                assert_eq!(answer.status, 503, "{answer:?}");
                answer.json()["detail"].as_str().unwrap().to_owned()
            } else if answer.status == 409 {
                // The claim of an earlier unknown outcome still stands.
                continue;
            } else {
                assert_eq!(answer.status, 500, "{kind:?} {method} {path}: {answer:?}");
                answer.json()["detailedMessage"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            };
            assert!(
                detail.contains(&format!("answered HTTP {status}"))
                    && detail.contains("a redirect to 127.0.0.1, which is not followed"),
                "{kind:?} {method} {path}: {detail}"
            );
            assert!(!detail.contains("followed?"), "{detail}");
            assert!(!detail.contains("/followed"), "{detail}");
        }
    }
    drop(server);
    assert_eq!(echo.followed(), 0, "a redirect was followed");
}

/// A way of giving the client its credentials: name, arguments, environment.
type ClientSource<'a> = (&'a str, Vec<&'a str>, Vec<(&'a str, &'a str)>);

/// The client's own secrets: the password of its `--url`, its token.
const CLIENT_PASSWORD: &str = "cli')(p@ss/w0rd";
const CLIENT_TOKEN: &str = "client-token-S3cret-1234";

#[test]
fn issue_20_the_client_prints_no_credential_it_was_given_whatever_the_server_echoes() {
    let echo = Echo::start();
    let token_file = temp_file("echo-client-token", &format!("{CLIENT_TOKEN}\n"));
    let token_file = token_file.to_str().unwrap();
    let userinfo_url = echo.url().replace(
        "http://",
        &format!(
            "http://{USER}:{}@",
            utf8_percent_encode(CLIENT_PASSWORD, NON_ALPHANUMERIC)
        ),
    );
    let mut forms = secret_forms(CLIENT_PASSWORD, Some(USER));
    forms.extend(secret_forms(CLIENT_TOKEN, None));
    let commands: [&[&str]; 5] = [
        &["list"],
        &["status", "5"],
        &["create", "5"],
        &["delete", "5"],
        &["wait", "5", "--timeout", "1s"],
    ];
    let sources: [ClientSource<'_>; 3] = [
        (
            "user:password in --url",
            vec!["--url", &userinfo_url],
            vec![],
        ),
        (
            "user:password in BACKUP_ACTUATOR_SERVER_URL",
            vec![],
            vec![("BACKUP_ACTUATOR_SERVER_URL", userinfo_url.as_str())],
        ),
        (
            "--token-file",
            vec!["--url", &userinfo_url, "--token-file", token_file],
            vec![],
        ),
    ];
    let mut printed_redacted = 0;
    for (name, args, env) in &sources {
        for kind in Kind::ALL {
            echo.set(kind, Target::Everything);
            for command in commands {
                let mut argv = vec!["backup"];
                argv.extend(command.iter().copied());
                argv.extend(args.iter().copied());
                let ((code, stderr), stdout) = run_with_env(&argv, env);
                for (what, text) in [("stderr", &stderr), ("stdout", &stdout)] {
                    if let Some(form) = leaked(&forms, text) {
                        panic!("{name}: backup {command:?}, {kind:?}: {form:?} on {what}:\n{text}");
                    }
                    if text.contains("[redacted]") {
                        printed_redacted += 1;
                    }
                }
                assert_ne!(code, 2, "{name}: {command:?} {kind:?}: {stderr}");
            }
        }
    }
    assert!(printed_redacted > 16, "{printed_redacted}");
    assert_eq!(echo.followed(), 0, "the client followed a redirect");
}

#[test]
fn issue_20_the_client_never_prints_the_url_password_when_the_url_is_unusable() {
    let refusing = RefusingPort::reserve().unwrap();
    let refused = refusing.url().replace("http://", "http://u:S3cretPw@");
    let ((code, stderr), stdout) = run_with_env(&["backup", "list", "--url", &refused], &[]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("cannot reach the backup API"), "{stderr}");
    for (url, expected) in [
        ("http://u:S3cretPw@[bad", 2),
        ("not a url", 2),
        ("ftp://u:S3cretPw@host/", 2),
    ] {
        let ((code, stderr), _) = run_with_env(&["backup", "list", "--url", url], &[]);
        assert_eq!(code, expected, "{url}: {stderr}");
        assert!(stderr.contains("invalid --url"), "{url}: {stderr}");
        assert!(!stderr.contains("S3cretPw"), "{url}: {stderr}");
    }
    assert!(!stderr.contains("S3cretPw") && !stdout.contains("S3cretPw"));
}
