//! From a handler's [`Reply`] to the bytes sent: product header, deprecation warnings,
//! `Content-Type` (with REST-compatibility media types, §1.3 and §7), `pretty` and
//! `filter_path`.

use bytes::Bytes;
use http::HeaderMap;

use super::error::EsErr;
use super::request::Req;
use crate::json::{filter_path, obj, J};
use crate::Flavor;

/// A fully rendered answer.
#[derive(Debug, Clone)]
pub(crate) struct Rendered {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
}

pub(super) enum Body {
    Json(J),
    Text(&'static str, String),
    Empty,
}

pub(super) struct Reply {
    pub(super) status: u16,
    pub(super) body: Body,
    pub(super) headers: Vec<(String, String)>,
    pub(super) default_pretty: bool,
}

impl Reply {
    pub(super) fn ok(j: J) -> Reply {
        Reply {
            status: 200,
            body: Body::Json(j),
            headers: Vec::new(),
            default_pretty: false,
        }
    }

    /// The error envelope of `e`, with its status and headers.
    pub(super) fn error(e: EsErr) -> Reply {
        Reply {
            status: e.status,
            body: Body::Json(e.envelope()),
            headers: e.headers,
            default_pretty: false,
        }
    }
}

pub(super) fn acknowledged() -> Reply {
    Reply::ok(obj().f("acknowledged", true))
}

pub(super) fn render(
    flavor: Flavor,
    req: &Req<'_>,
    reply: Reply,
    warnings: Vec<String>,
) -> Rendered {
    let mut headers = Vec::new();
    if flavor.sends_product_header() {
        headers.push(("X-elastic-product".to_string(), "Elasticsearch".to_string()));
    }
    for w in warnings {
        headers.push(("Warning".to_string(), w));
    }
    headers.extend(reply.headers);
    let pretty = match req.query_value("pretty") {
        Some("false") => false,
        Some(_) => true,
        None => reply.default_pretty,
    };
    let body = match reply.body {
        Body::Json(j) => {
            // Error answers are built unfiltered on every release (checked
            // on OpenSearch 2.19 and Elasticsearch 7.10), so `filter_path`
            // never hides why a request failed.
            let j = match req.query_value("filter_path") {
                Some(spec) if !spec.is_empty() && reply.status < 400 => filter_path(&j, spec),
                _ => j,
            };
            headers.push((
                "Content-Type".to_string(),
                json_content_type(flavor, req.headers),
            ));
            Bytes::from(if pretty {
                j.to_pretty()
            } else {
                j.to_compact()
            })
        }
        Body::Text(ct, text) => {
            headers.push(("Content-Type".to_string(), ct.to_string()));
            Bytes::from(text)
        }
        Body::Empty => {
            headers.push((
                "Content-Type".to_string(),
                json_content_type(flavor, req.headers),
            ));
            Bytes::new()
        }
    };
    Rendered {
        status: reply.status,
        headers,
        body,
    }
}

/// ES 8/9 echo the REST-compatibility media type when asked for it (§1.3).
fn json_content_type(flavor: Flavor, headers: &HeaderMap) -> String {
    if flavor.es_at_least(8, 0) {
        if let Some(accept) = headers
            .get(http::header::ACCEPT)
            .and_then(|v| v.to_str().ok())
        {
            if let Some(v) = compat_version(accept) {
                return format!("application/vnd.elasticsearch+json;compatible-with={v}");
            }
        }
    }
    flavor.json_content_type().to_string()
}

/// §7: a body sent with the REST-compatibility media type is refused with 406 by
/// OpenSearch and by Elasticsearch before 7.16, and by later releases when it names a
/// version other than this one or the one before.
pub(super) fn refuse_compat_media_type(flavor: Flavor, req: &Req<'_>) -> Option<Reply> {
    if req.body.is_empty() {
        return None;
    }
    let ct = req
        .headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())?;
    let v = compat_version(ct)?;
    let major = flavor
        .version()
        .split('.')
        .next()
        .and_then(|m| m.parse::<u32>().ok())
        .unwrap_or(0);
    let supported = flavor.es_at_least(7, 16) && (v == major || v + 1 == major);
    (!supported).then(|| {
        string_error(
            406,
            format!("Content-Type header [{ct}] is not supported"),
            true,
        )
    })
}

fn compat_version(media_type: &str) -> Option<u32> {
    let lower = media_type.to_ascii_lowercase();
    if !lower.contains("application/vnd.elasticsearch+json") {
        return None;
    }
    let idx = lower.find("compatible-with=")?;
    lower[idx + "compatible-with=".len()..]
        .trim()
        .split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
}

pub(super) fn string_error(status: u16, msg: String, with_status: bool) -> Reply {
    let mut j = obj().f("error", msg);
    if with_status {
        j.push("status", J::Int(i64::from(status)));
    }
    Reply {
        status,
        body: Body::Json(j),
        headers: Vec::new(),
        default_pretty: false,
    }
}
