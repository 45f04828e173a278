//! A small blocking HTTP/1.1 client for the set-up calls live tests make on
//! a real engine (repositories, indices, documents, `_restore`, raw snapshot
//! requests), which the stores under test do not make themselves.
//!
//! One request per connection (`Connection: close`), plain HTTP only:
//! `scripts/real-cluster` starts engines without TLS. Userinfo in the URL is
//! sent as basic auth.

use std::io::{self, Read as _, Write as _};
use std::net::TcpStream;
use std::time::Duration;

use base64::prelude::{Engine as _, BASE64_STANDARD};

use crate::live::LiveCluster;
use crate::live_answer::LiveAnswer;

struct Target {
    host_port: String,
    base_path: String,
    authorization: Option<String>,
}

fn target(url: &str) -> io::Result<Target> {
    let invalid = |why: &str| io::Error::new(io::ErrorKind::InvalidInput, why.to_owned());
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| invalid("the live admin client speaks plain http:// only"))?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], rest[i..].trim_end_matches('/')),
        None => (rest, ""),
    };
    let (userinfo, host_port) = match authority.rsplit_once('@') {
        Some((user, host)) => (Some(user), host),
        None => (None, authority),
    };
    if host_port.is_empty() {
        return Err(invalid("no host in the engine URL"));
    }
    Ok(Target {
        host_port: host_port.to_owned(),
        base_path: path.to_owned(),
        authorization: userinfo.map(|u| format!("Basic {}", BASE64_STANDARD.encode(u))),
    })
}

impl LiveCluster {
    /// Sends one request to the engine and reads the whole answer. `path`
    /// is relative to the engine URL (`_snapshot/repo`, `/`, `idx/_doc?refresh=true`);
    /// a body is sent as `application/json` (`application/x-ndjson` for
    /// `_bulk`).
    ///
    /// ```no_run
    /// use backup_actuator_testkit::live::{self, LiveProduct};
    ///
    /// if let Some(engine) = live::cluster(LiveProduct::OpenSearch) {
    ///     let answer = engine.call("GET", "/", None).unwrap();
    ///     assert_eq!(answer.status, 200);
    /// }
    /// ```
    pub fn call(&self, method: &str, path: &str, body: Option<&str>) -> io::Result<LiveAnswer> {
        let target = target(&self.url)?;
        let path = format!("{}/{}", target.base_path, path.trim_start_matches('/'));
        let mut stream = TcpStream::connect(&target.host_port)?;
        // Generous: a restore or a wait_for_completion create can take a while.
        stream.set_read_timeout(Some(Duration::from_secs(300)))?;
        let mut request = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nAccept: application/json\r\n",
            target.host_port
        );
        if let Some(auth) = &target.authorization {
            request.push_str(&format!("Authorization: {auth}\r\n"));
        }
        let body = body.unwrap_or_default();
        if !body.is_empty() || matches!(method, "PUT" | "POST") {
            let content_type = if path.contains("_bulk") {
                "application/x-ndjson"
            } else {
                "application/json"
            };
            request.push_str(&format!("Content-Type: {content_type}\r\n"));
        }
        request.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
        request.push_str(body);
        stream.write_all(request.as_bytes())?;
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw)?;
        parse(&raw)
    }

    /// [`call`](LiveCluster::call) for set-up steps that must work: panics
    /// with the answer unless the status is one of `ok`.
    ///
    /// ```no_run
    /// use backup_actuator_testkit::live::{self, LiveProduct};
    ///
    /// if let Some(engine) = live::cluster(LiveProduct::Elasticsearch) {
    ///     // 400 when the index exists already.
    ///     engine.must("PUT", "my-index", None, &[200, 400]);
    /// }
    /// ```
    pub fn must(&self, method: &str, path: &str, body: Option<&str>, ok: &[u16]) -> LiveAnswer {
        let answer = self
            .call(method, path, body)
            .unwrap_or_else(|e| panic!("{method} {path}: the engine did not answer: {e}"));
        assert!(
            ok.contains(&answer.status),
            "{method} {path}: HTTP {} {}",
            answer.status,
            answer.body
        );
        answer
    }

    /// Registers an `fs` repository `name` at `{repo_location}/{name}` and
    /// returns that directory.
    ///
    /// ```no_run
    /// use backup_actuator_testkit::live::{self, LiveProduct};
    ///
    /// if let Some(engine) = live::cluster(LiveProduct::OpenSearch) {
    ///     let dir = engine.register_fs_repository("my_repo", &[]);
    ///     assert!(dir.ends_with("my_repo"));
    /// }
    /// ```
    pub fn register_fs_repository(&self, name: &str, settings: &[(&str, &str)]) -> String {
        let location = format!("{}/{name}", self.repo_location.trim_end_matches('/'));
        let mut all = serde_json::Map::new();
        all.insert("location".into(), location.clone().into());
        for (key, value) in settings {
            all.insert((*key).into(), (*value).into());
        }
        let body = serde_json::json!({"type": "fs", "settings": all}).to_string();
        self.must("PUT", &format!("_snapshot/{name}"), Some(&body), &[200]);
        location
    }
}

fn parse(raw: &[u8]) -> io::Result<LiveAnswer> {
    let broken = |why: &str| io::Error::new(io::ErrorKind::InvalidData, why.to_owned());
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| broken("no complete answer head"))?;
    let head = String::from_utf8_lossy(&raw[..end]);
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| broken("no status line"))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let rest = &raw[end + 4..];
    let chunked = headers.iter().any(|(k, v)| {
        k.eq_ignore_ascii_case("transfer-encoding") && v.eq_ignore_ascii_case("chunked")
    });
    let body = if chunked {
        dechunk(rest)
    } else {
        rest.to_vec()
    };
    Ok(LiveAnswer {
        status,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}

fn dechunk(mut rest: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    while let Some(nl) = rest.windows(2).position(|w| w == b"\r\n") {
        let size_text = String::from_utf8_lossy(&rest[..nl]);
        let size_text = size_text.split(';').next().unwrap_or("").trim();
        let Ok(size) = usize::from_str_radix(size_text, 16) else {
            break;
        };
        rest = &rest[nl + 2..];
        if size == 0 || size > rest.len() {
            body.extend_from_slice(&rest[..size.min(rest.len())]);
            break;
        }
        body.extend_from_slice(&rest[..size]);
        rest = rest.get(size + 2..).unwrap_or_default();
    }
    body
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_with_credentials_and_a_path() {
        let t = target("http://elastic:changeme@localhost:9200/es/").unwrap();
        assert_eq!(t.host_port, "localhost:9200");
        assert_eq!(t.base_path, "/es");
        assert_eq!(
            t.authorization.as_deref(),
            Some("Basic ZWxhc3RpYzpjaGFuZ2VtZQ==")
        );
        assert!(target("https://localhost:9200").is_err());
    }

    #[test]
    fn chunked_answers_are_joined() {
        let raw = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n";
        let answer = parse(raw).unwrap();
        assert_eq!((answer.status, answer.body.as_str()), (200, "abcde"));
    }
}
