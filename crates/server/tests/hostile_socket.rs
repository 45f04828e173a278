//! Hostile HTTP at the socket level against the built binary: raw bytes
//! that no HTTP client library would send. Every answer must be a
//! well-formed HTTP/1.1 response (or, for a head that never completes, a
//! close without one), every error answer must carry a SPEC §5 JSON body
//! (framing errors included: hyper's own empty answers are replaced), and
//! the server must answer a normal request afterwards.

mod common;

use common::Server;

/// (name, raw bytes, whether the head is complete).
fn cases() -> Vec<(String, Vec<u8>, bool)> {
    let mut cases: Vec<(String, Vec<u8>, bool)> = Vec::new();
    let mut add = |name: &str, bytes: Vec<u8>, complete: bool| {
        cases.push((name.to_owned(), bytes, complete));
    };
    let get = |line: &str, headers: &str| {
        format!("{line}\r\nHost: x\r\nConnection: close\r\n{headers}\r\n").into_bytes()
    };
    // Request lines.
    add(
        "lowercase method",
        get("get /actuator/backups HTTP/1.1", ""),
        true,
    );
    add(
        "unknown method",
        get("BREW /actuator/backups HTTP/1.1", ""),
        true,
    );
    add(
        "method with a NUL",
        get("GE\0T /actuator/backups HTTP/1.1", ""),
        true,
    );
    add("no path", get("GET  HTTP/1.1", ""), true);
    add("HTTP/0.9", b"GET /actuator/backups\r\n\r\n".to_vec(), true);
    add(
        "HTTP/1.0",
        b"GET /actuator/backups HTTP/1.0\r\n\r\n".to_vec(),
        true,
    );
    add(
        "HTTP/2.0 on h1",
        get("GET /actuator/backups HTTP/2.0", ""),
        true,
    );
    add("HTTP/9.9", get("GET /actuator/backups HTTP/9.9", ""), true);
    add(
        "absolute form",
        get("GET http://x/actuator/backups HTTP/1.1", ""),
        true,
    );
    add("asterisk form", get("OPTIONS * HTTP/1.1", ""), true);
    add("authority form", get("CONNECT x:443 HTTP/1.1", ""), true);
    add(
        "space in path",
        get("GET /actuator/back ups HTTP/1.1", ""),
        true,
    );
    add(
        "raw UTF-8 in path",
        get("GET /actuator/backups/\u{e9} HTTP/1.1", ""),
        true,
    );
    add(
        "raw byte 0xff in path",
        {
            let mut b =
                b"GET /actuator/backups/\xff HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                    .to_vec();
            b.shrink_to_fit();
            b
        },
        true,
    );
    add(
        "percent-encoded NUL",
        get("GET /actuator/backups/%00 HTTP/1.1", ""),
        true,
    );
    add(
        "bad percent-encoding",
        get("GET /actuator/backups/%zz HTTP/1.1", ""),
        true,
    );
    add(
        "dot segments",
        get("GET /actuator/../actuator/backups/./1 HTTP/1.1", ""),
        true,
    );
    add(
        "very long path",
        get(
            &format!("GET /actuator/backups/{} HTTP/1.1", "9".repeat(70_000)),
            "",
        ),
        true,
    );
    add(
        "bare LF line ends",
        b"GET /actuator/backups HTTP/1.1\nHost: x\nConnection: close\n\n".to_vec(),
        true,
    );
    add(
        "bare CR",
        b"GET /actuator/backups HTTP/1.1\rHost: x\r\r".to_vec(),
        true,
    );
    // Headers.
    add(
        "header without colon",
        get("GET /actuator/backups HTTP/1.1", "Broken\r\n"),
        true,
    );
    add(
        "space before colon",
        get("GET /actuator/backups HTTP/1.1", "X-A : 1\r\n"),
        true,
    );
    add(
        "obsolete line folding",
        get("GET /actuator/backups HTTP/1.1", "X-A: 1\r\n 2\r\n"),
        true,
    );
    add(
        "NUL in header value",
        get("GET /actuator/backups HTTP/1.1", "X-A: a\0b\r\n"),
        true,
    );
    add(
        "10,000 headers",
        get(
            "GET /actuator/backups HTTP/1.1",
            &"X-A: 1\r\n".repeat(10_000),
        ),
        true,
    );
    add(
        "one 100 KiB header",
        get(
            "GET /actuator/backups HTTP/1.1",
            &format!("X-A: {}\r\n", "a".repeat(100 * 1024)),
        ),
        true,
    );
    add(
        "no Host",
        b"GET /actuator/backups HTTP/1.1\r\nConnection: close\r\n\r\n".to_vec(),
        true,
    );
    add(
        "two Hosts",
        get("GET /actuator/backups HTTP/1.1", "Host: y\r\n"),
        true,
    );
    // Bodies and framing.
    let post = |headers: &str, body: &str| {
        format!("POST /actuator/backups HTTP/1.1\r\nHost: x\r\nConnection: close\r\n{headers}\r\n{body}").into_bytes()
    };
    add(
        "negative Content-Length",
        post("Content-Length: -1\r\n", "{}"),
        true,
    );
    add(
        "huge Content-Length",
        post("Content-Length: 99999999999999999999\r\n", "{}"),
        true,
    );
    add(
        "two different Content-Lengths",
        post("Content-Length: 2\r\nContent-Length: 3\r\n", "{}"),
        true,
    );
    add(
        "Content-Length with a plus",
        post("Content-Length: +2\r\n", "{}"),
        true,
    );
    add(
        "Content-Length and chunked",
        post(
            "Content-Length: 2\r\nTransfer-Encoding: chunked\r\n",
            "2\r\n{}\r\n0\r\n\r\n",
        ),
        true,
    );
    add(
        "unknown transfer coding",
        post("Transfer-Encoding: gzip\r\n", "{}"),
        true,
    );
    add(
        "bad chunk size",
        post("Transfer-Encoding: chunked\r\n", "zz\r\n{}\r\n0\r\n\r\n"),
        true,
    );
    add(
        "chunk size overflow",
        post(
            "Transfer-Encoding: chunked\r\n",
            "ffffffffffffffffff\r\n{}\r\n0\r\n\r\n",
        ),
        true,
    );
    add(
        "chunked, valid",
        post(
            "Transfer-Encoding: chunked\r\n",
            "d\r\n{\"backupId\":1\r\n1\r\n}\r\n0\r\n\r\n",
        ),
        true,
    );
    add(
        "body shorter than announced",
        post("Content-Length: 50\r\n", "{\"backupId\":2}"),
        true,
    );
    add(
        "Expect: 100-continue",
        post(
            "Expect: 100-continue\r\nContent-Length: 14\r\n",
            "{\"backupId\":3}",
        ),
        true,
    );
    add(
        "body of NULs",
        post("Content-Length: 16\r\n", "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"),
        true,
    );
    // Upgrades, other protocols, garbage.
    add(
        "h2c upgrade",
        get(
            "GET /actuator/backups HTTP/1.1",
            "Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n",
        ),
        true,
    );
    add("websocket upgrade", get("GET /actuator/backups HTTP/1.1", "Upgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"), true);
    // The server speaks HTTP/2 too: the preface switches to it, and what
    // follows is HTTP/2 (frames, or a close once no SETTINGS arrive).
    add(
        "HTTP/2 preface",
        b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec(),
        false,
    );
    add(
        "TLS client hello",
        vec![0x16, 0x03, 0x01, 0x00, 0x05, 0x01, 0x00, 0x00, 0x01, 0x00],
        true,
    );
    add(
        "random bytes",
        (0..512u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect(),
        true,
    );
    // Empty lines before a request line are skipped (RFC 9112 §2.2): no request yet.
    add("only CRLFs", b"\r\n\r\n\r\n\r\n".to_vec(), false);
    add(
        "pipelined pair",
        [
            get("GET /actuator/backups HTTP/1.1", ""),
            get("GET /actuator/backups/1 HTTP/1.1", ""),
        ]
        .concat(),
        true,
    );
    // Heads that never complete: answered or closed after the head timeout.
    add("half a request line", b"GET /actuator/bac".to_vec(), false);
    add(
        "head without the blank line",
        b"GET /actuator/backups HTTP/1.1\r\nHost: x\r\n".to_vec(),
        false,
    );
    add("nothing at all", Vec::new(), false);
    // Issue 20's framing cases.
    add(
        "101 headers in a tiny head",
        get("GET /actuator/backups HTTP/1.1", &"A: 1\r\n".repeat(101)),
        true,
    );
    add(
        "Content-Length with letters",
        post("Content-Length: 1a\r\n", "{}"),
        true,
    );
    add(
        "two equal Content-Lengths",
        post("Content-Length: 2\r\nContent-Length: 2\r\n", "{}"),
        true,
    );
    add(
        "control byte in path",
        get("GET /actuator/backups/\x01 HTTP/1.1", ""),
        true,
    );
    cases
}

/// Whether `bytes` is one or more well-formed HTTP/1.x responses; the
/// number of those without a body.
fn well_formed(bytes: &[u8]) -> Result<usize, String> {
    let mut rest = bytes;
    let mut bare = 0;
    while !rest.is_empty() {
        let end = rest
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .ok_or("no end of head")?;
        let head = std::str::from_utf8(&rest[..end]).map_err(|e| e.to_string())?;
        let mut lines = head.split("\r\n");
        let status_line = lines.next().ok_or("no status line")?;
        let mut parts = status_line.splitn(3, ' ');
        let version = parts.next().unwrap_or_default();
        let status: u16 = parts
            .next()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| format!("bad status line {status_line:?}"))?;
        if !version.starts_with("HTTP/1.") || !(100..600).contains(&status) {
            return Err(format!("bad status line {status_line:?}"));
        }
        let mut length = None;
        let mut content_type = None;
        for line in lines {
            let (name, value) = line
                .split_once(':')
                .ok_or_else(|| format!("bad header {line:?}"))?;
            if name.eq_ignore_ascii_case("content-length") {
                length = Some(value.trim().parse::<usize>().map_err(|e| e.to_string())?);
            }
            if name.eq_ignore_ascii_case("content-type") {
                content_type = Some(value.trim().to_owned());
            }
        }
        let body_start = end + 4;
        let length = length.unwrap_or(0);
        let body = rest
            .get(body_start..body_start + length)
            .ok_or("body shorter than its Content-Length")?;
        if body.is_empty() {
            if status >= 400 {
                bare += 1;
            }
        } else {
            if content_type.as_deref() != Some("application/json") {
                return Err(format!("a body without JSON content type: {head}"));
            }
            let json: serde_json::Value =
                serde_json::from_slice(body).map_err(|e| format!("body is not JSON: {e}"))?;
            if status >= 400 && json.get("errorCode").is_none() {
                return Err(format!("error body without errorCode: {json}"));
            }
        }
        rest = &rest[body_start + length..];
    }
    Ok(bare)
}

/// The status and `detailedMessage` of the one answer to `bytes`.
fn framing_answer(server: &Server, bytes: &[u8]) -> (u16, String, String) {
    let answer = common::parse_answer(&server.raw(bytes));
    let detail = answer.json()["detailedMessage"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert_eq!(
        answer.header("connection"),
        Some("close"),
        "{}",
        answer.head
    );
    assert_eq!(answer.json()["errorCode"], "badRequestError");
    (answer.status, detail, answer.head)
}

#[test]
fn spec_5_framing_errors_get_json_that_names_what_is_malformed() {
    let server = Server::start(&["--repository", "backups"]);
    let post = |headers: &str| {
        format!("POST /actuator/backups HTTP/1.1\r\nHost: x\r\n{headers}\r\n{{}}").into_bytes()
    };
    let cases: Vec<(&str, Vec<u8>, u16, &str)> = vec![
        (
            "negative Content-Length",
            post("Content-Length: -1\r\n"),
            400,
            "Content-Length",
        ),
        (
            "two different Content-Lengths",
            post("Content-Length: 2\r\nContent-Length: 3\r\n"),
            400,
            "conflicting Content-Length",
        ),
        (
            "0xff in the path",
            b"GET /actuator/backups/\xff HTTP/1.1\r\nHost: x\r\n\r\n".to_vec(),
            400,
            "Malformed request",
        ),
        (
            "header without colon",
            b"GET /actuator/backups HTTP/1.1\r\nHost: x\r\nBroken\r\n\r\n".to_vec(),
            400,
            "invalid header",
        ),
        (
            "101 headers in a tiny head",
            format!(
                "GET /actuator/backups HTTP/1.1\r\nHost: x\r\n{}\r\n",
                "A: 1\r\n".repeat(100)
            )
            .into_bytes(),
            431,
            "more than 100 headers",
        ),
        (
            "a 70,000-byte head",
            format!(
                "GET /actuator/backups HTTP/1.1\r\nHost: x\r\nX-A: {}\r\n\r\n",
                "a".repeat(70_000)
            )
            .into_bytes(),
            431,
            "65536 bytes",
        ),
    ];
    for (name, bytes, status, needle) in cases {
        let (got, detail, head) = framing_answer(&server, &bytes);
        assert_eq!(got, status, "{name}: {head}");
        assert!(detail.contains(needle), "{name}: {detail}");
        let (ok, body) = server.request("GET", "/actuator/backups", "");
        assert_eq!(ok, 200, "after {name}: {body}");
    }
    let log = server.stop();
    assert!(!log.contains("panicked"), "{log}");
}

#[test]
fn spec_5_every_hostile_socket_case_gets_a_well_formed_answer_and_the_server_stays_up() {
    let server = Server::start(&[
        "--repository",
        "backups",
        "--header-read-timeout",
        "500ms",
        "--body-read-timeout",
        "500ms",
    ]);
    let cases = cases();
    let mut bare = 0;
    for (name, bytes, complete) in &cases {
        let answer = server.raw(bytes);
        if answer.is_empty() {
            assert!(!complete, "{name}: the connection closed without an answer");
        } else if name == "HTTP/2 preface" {
            // An HTTP/2 frame: 9-byte header, then the payload it announces.
            assert!(answer.len() >= 9, "{name}: {answer:?}");
        } else {
            match well_formed(&answer) {
                Ok(n) => bare += n,
                Err(why) => panic!("{name}: {why}:\n{}", String::from_utf8_lossy(&answer)),
            }
        }
        let (status, body) = server.request("GET", "/actuator/backups", "");
        assert_eq!(status, 200, "after {name}: {body}");
    }
    eprintln!("{} hostile socket cases", cases.len());
    assert_eq!(bare, 0, "error answers without a body");
    let log = server.stop();
    assert!(!log.contains("panicked"), "{log}");
}

#[test]
fn spec_5_framing_errors_carry_report_definition_when_the_server_speaks_as_optimize() {
    let server = Server::start(&["--repository", "backups", "--compat", "optimize-server"]);
    let bytes = b"GET /actuator/backups HTTP/1.1\r\nHost: x\r\nBroken\r\n\r\n";
    let answer = common::parse_answer(&server.raw(bytes));
    assert_eq!(answer.status, 400, "{}", answer.head);
    let json = answer.json();
    assert_eq!(json["errorCode"], "badRequestError");
    assert!(
        json.as_object().unwrap().contains_key("reportDefinition")
            && json["reportDefinition"].is_null(),
        "{json}"
    );
    server.stop();
}
