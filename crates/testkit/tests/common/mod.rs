//! A tiny raw HTTP/1.1 client (one request per connection) and JSON helpers for the tests.
#![allow(dead_code)]

use std::fmt;

use backup_actuator_testkit::{EmulatedCluster, Flavor};
use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A parsed response.
#[derive(Debug, Clone)]
pub(crate) struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// The body arrived completely (Content-Length reached / final chunk seen).
    pub complete: bool,
}

impl Resp {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    pub(crate) fn header_all(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }
    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }
    pub(crate) fn ordered(&self) -> Ordered {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }
}

/// Sends one request and reads the whole answer. `Err` when the server closed the
/// connection without sending a status line.
pub(crate) async fn send(
    cluster: &EmulatedCluster,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> std::io::Result<Resp> {
    let mut stream = TcpStream::connect(cluster.addr()).await?;
    let mut req = format!(
        "{method} {target} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n",
        cluster.addr()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    if let Some(b) = body {
        if !headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("content-type"))
        {
            req.push_str("Content-Type: application/json\r\n");
        }
        req.push_str(&format!("Content-Length: {}\r\n\r\n{b}", b.len()));
    } else {
        req.push_str("\r\n");
    }
    stream.write_all(req.as_bytes()).await?;
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw).await; // a reset counts as EOF
    parse(&raw, method == "HEAD")
}

fn parse(raw: &[u8], head: bool) -> std::io::Result<Resp> {
    let err = |m: &str| std::io::Error::new(std::io::ErrorKind::UnexpectedEof, m.to_string());
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| err("no response head"))?;
    let head_text = String::from_utf8_lossy(&raw[..end]).into_owned();
    let mut lines = head_text.split("\r\n");
    let status_line = lines.next().ok_or_else(|| err("no status line"))?;
    let status: u16 = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| err("bad status"))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let rest = &raw[end + 4..];
    let get = |n: &str| {
        headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(n))
            .map(|(_, v)| v.clone())
    };
    let (body, complete) = if head {
        (Vec::new(), true)
    } else if let Some(len) = get("content-length") {
        let len: usize = len.parse().unwrap_or(0);
        (rest[..rest.len().min(len)].to_vec(), rest.len() >= len)
    } else if get("transfer-encoding").is_some_and(|t| t.eq_ignore_ascii_case("chunked")) {
        let mut body = Vec::new();
        let mut pos = 0;
        let mut complete = false;
        while let Some(nl) = rest[pos..].windows(2).position(|w| w == b"\r\n") {
            let size =
                usize::from_str_radix(String::from_utf8_lossy(&rest[pos..pos + nl]).trim(), 16)
                    .unwrap_or(0);
            pos += nl + 2;
            if size == 0 {
                complete = true;
                break;
            }
            if pos + size > rest.len() {
                body.extend_from_slice(&rest[pos..]);
                break;
            }
            body.extend_from_slice(&rest[pos..pos + size]);
            pos += size + 2;
        }
        (body, complete)
    } else {
        (rest.to_vec(), true)
    };
    Ok(Resp {
        status,
        headers,
        body,
        complete,
    })
}

pub(crate) async fn get(c: &EmulatedCluster, target: &str) -> Resp {
    send(c, "GET", target, &[], None).await.expect("response")
}
pub(crate) async fn put(c: &EmulatedCluster, target: &str, body: Option<&str>) -> Resp {
    send(c, "PUT", target, &[], body).await.expect("response")
}
pub(crate) async fn post(c: &EmulatedCluster, target: &str, body: Option<&str>) -> Resp {
    send(c, "POST", target, &[], body).await.expect("response")
}
pub(crate) async fn delete(c: &EmulatedCluster, target: &str) -> Resp {
    send(c, "DELETE", target, &[], None)
        .await
        .expect("response")
}

pub(crate) async fn start(flavor: Flavor) -> EmulatedCluster {
    EmulatedCluster::start(flavor)
        .await
        .expect("emulator starts")
}

/// A cluster with repository `repo` registered.
pub(crate) async fn with_repo(flavor: Flavor) -> EmulatedCluster {
    let c = start(flavor).await;
    c.add_repository("repo");
    c
}

/// Asserts the error envelope of §1.1 and returns the body.
#[track_caller]
pub(crate) fn assert_error(r: &Resp, status: u16, ty: &str, reason: &str) -> serde_json::Value {
    let j = r.json();
    assert_eq!(r.status, status, "status, body: {}", r.text());
    assert_eq!(j["status"], status, "status field: {}", r.text());
    assert_eq!(j["error"]["type"], ty, "type: {}", r.text());
    assert_eq!(j["error"]["reason"], reason, "reason: {}", r.text());
    assert!(
        j["error"]["root_cause"].is_array(),
        "root_cause: {}",
        r.text()
    );
    j
}

/// JSON keeping object key order.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Ordered {
    Scalar(serde_json::Value),
    Arr(Vec<Ordered>),
    Obj(Vec<(String, Ordered)>),
}

impl Ordered {
    pub(crate) fn keys(&self) -> Vec<&str> {
        match self {
            Ordered::Obj(f) => f.iter().map(|(k, _)| k.as_str()).collect(),
            _ => Vec::new(),
        }
    }
    pub(crate) fn get(&self, key: &str) -> &Ordered {
        match self {
            Ordered::Obj(f) => f
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v)
                .unwrap_or_else(|| panic!("no key {key}")),
            _ => panic!("not an object"),
        }
    }
    pub(crate) fn at(&self, i: usize) -> &Ordered {
        match self {
            Ordered::Arr(a) => &a[i],
            _ => panic!("not an array"),
        }
    }
}

impl<'de> Deserialize<'de> for Ordered {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Ordered;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("JSON")
            }
            fn visit_bool<E>(self, v: bool) -> Result<Ordered, E> {
                Ok(Ordered::Scalar(v.into()))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Ordered, E> {
                Ok(Ordered::Scalar(v.into()))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Ordered, E> {
                Ok(Ordered::Scalar(v.into()))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Ordered, E> {
                Ok(Ordered::Scalar(v.into()))
            }
            fn visit_str<E>(self, v: &str) -> Result<Ordered, E> {
                Ok(Ordered::Scalar(v.into()))
            }
            fn visit_unit<E>(self) -> Result<Ordered, E> {
                Ok(Ordered::Scalar(serde_json::Value::Null))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Ordered, A::Error> {
                let mut v = Vec::new();
                while let Some(x) = a.next_element()? {
                    v.push(x);
                }
                Ok(Ordered::Arr(v))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Ordered, A::Error> {
                let mut v = Vec::new();
                while let Some((k, x)) = a.next_entry::<String, Ordered>()? {
                    v.push((k, x));
                }
                Ok(Ordered::Obj(v))
            }
        }
        d.deserialize_any(V)
    }
}

/// True for the flavors at or above ES `major.minor` (false for OpenSearch).
pub(crate) fn es_at_least(f: Flavor, major: u32, minor: u32) -> bool {
    if f.is_opensearch() {
        return false;
    }
    let mut it = f.version().split('.').map(|p| p.parse::<u32>().unwrap());
    (it.next().unwrap(), it.next().unwrap()) >= (major, minor)
}
