//! Routing and the snapshot API handlers. Everything here runs under the state lock and
//! never awaits.

use std::collections::BTreeSet;

use base64::Engine as _;
use bytes::Bytes;
use http::{HeaderMap, Method};

use crate::glob;
use crate::json::{filter_path, obj, J};
use crate::model::{RuleOutcome, ShardFailure, SnapshotState};
use crate::state::{render_snapshot, Core, Credential, RenderOpts, Repo, Snap, State};
use crate::url;
use crate::Flavor;

/// A request as the handlers see it.
pub(crate) struct Req<'a> {
    pub method: &'a Method,
    pub raw_path: &'a str,
    pub raw_query: Option<&'a str>,
    pub query: &'a [(String, String)],
    pub headers: &'a HeaderMap,
    pub body: &'a [u8],
}

/// A fully rendered answer.
#[derive(Debug, Clone)]
pub(crate) struct Rendered {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
}

/// An Elasticsearch exception as printed by the error envelope (§1.1).
#[derive(Debug, Clone)]
pub(crate) struct EsErr {
    pub status: u16,
    pub ty: String,
    pub reason: String,
    pub extra: Vec<(String, J)>,
    pub cause: Option<Box<EsErr>>,
    pub headers: Vec<(String, String)>,
    /// A Java exception that is not the engine's own (`NoSuchFileException`):
    /// printed in `caused_by`, but never chosen as the `root_cause`, which
    /// is the innermost *engine* exception.
    pub foreign: bool,
}

impl EsErr {
    pub fn new(status: u16, ty: &str, reason: impl Into<String>) -> EsErr {
        EsErr {
            status,
            ty: ty.to_string(),
            reason: reason.into(),
            extra: Vec::new(),
            cause: None,
            headers: Vec::new(),
            foreign: false,
        }
    }

    fn caused_by(mut self, cause: EsErr) -> EsErr {
        self.cause = Some(Box::new(cause));
        self
    }

    fn fields(&self, with_cause: bool) -> J {
        let mut o = obj()
            .f("type", self.ty.as_str())
            .f("reason", self.reason.as_str());
        for (k, v) in &self.extra {
            o.push(k, v.clone());
        }
        if with_cause {
            if let Some(c) = &self.cause {
                o.push("caused_by", c.fields(true));
            }
        }
        o
    }

    /// `{"error":{"root_cause":[…],"type":…,"reason":…,"caused_by"?:…},"status":N}`
    pub fn envelope(&self) -> J {
        let mut root = self;
        while let Some(c) = root.cause.as_ref().filter(|c| !c.foreign) {
            root = c;
        }
        let mut error = obj().f("root_cause", J::Arr(vec![root.fields(false)]));
        if let J::Obj(fields) = self.fields(true) {
            for (k, v) in fields {
                error.push(&k, v);
            }
        }
        obj()
            .f("error", error)
            .f("status", J::Int(i64::from(self.status)))
    }
}

type R<T> = Result<T, EsErr>;

fn illegal_arg(reason: impl Into<String>) -> EsErr {
    EsErr::new(400, "illegal_argument_exception", reason)
}

fn validation(errors: &[String]) -> EsErr {
    let mut reason = "Validation Failed: ".to_string();
    for (i, e) in errors.iter().enumerate() {
        reason.push_str(&format!("{}: {};", i + 1, e));
    }
    EsErr::new(400, "action_request_validation_exception", reason)
}

fn repo_missing(name: &str) -> EsErr {
    EsErr::new(
        404,
        "repository_missing_exception",
        format!("[{name}] missing"),
    )
}

/// What a verbose read of a snapshot whose `snap-{uuid}.dat` is gone
/// answers: 404 `snapshot_missing_exception` `[repo:name/uuid] is missing`,
/// caused by `no_such_file_exception` naming the blob's path.
fn missing_blob(repo: &Repo, snap: &Snap) -> EsErr {
    let location = repo
        .settings
        .iter()
        .find(|(k, _)| k == "location")
        .map_or("", |(_, v)| v.as_str());
    EsErr::new(
        404,
        "snapshot_missing_exception",
        format!("[{}:{}/{}] is missing", repo.name, snap.name, snap.uuid),
    )
    .caused_by(EsErr {
        foreign: true,
        ..EsErr::new(
            404,
            "no_such_file_exception",
            format!("{}/snap-{}.dat", location.trim_end_matches('/'), snap.uuid),
        )
    })
}

fn snapshot_missing(repo: &str, name: &str) -> EsErr {
    EsErr::new(
        404,
        "snapshot_missing_exception",
        format!("[{repo}:{name}] is missing"),
    )
}

fn parse_body_map(body: &[u8]) -> R<Option<serde_json::Map<String, serde_json::Value>>> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(serde_json::Value::Object(m)) => Ok(Some(m)),
        Ok(_) => Err(
            EsErr::new(400, "parse_exception", "Failed to parse content to map").caused_by(
                EsErr::new(400, "parse_exception", "request body must be a JSON object"),
            ),
        ),
        Err(e) => Err(
            EsErr::new(400, "parse_exception", "Failed to parse content to map")
                .caused_by(EsErr::new(400, "json_parse_exception", e.to_string())),
        ),
    }
}

// ---------------------------------------------------------------------------------------------
// Query parameters

/// Parameters every REST handler knows (consumed by the channel, §1.2).
const GENERIC_PARAMS: &[&str] = &["error_trace", "filter_path", "format", "human", "pretty"];

struct Params<'a> {
    pairs: &'a [(String, String)],
    flavor: Flavor,
    consumed: BTreeSet<&'static str>,
    warnings: Vec<String>,
}

impl<'a> Params<'a> {
    fn new(pairs: &'a [(String, String)], flavor: Flavor) -> Self {
        Params {
            pairs,
            flavor,
            consumed: GENERIC_PARAMS.iter().copied().collect(),
            warnings: Vec::new(),
        }
    }

    fn has(&self, name: &str) -> bool {
        self.pairs.iter().any(|(k, _)| k == name)
    }

    fn raw(&self, name: &str) -> Option<&'a str> {
        url::last_value(self.pairs, name)
    }

    fn str(&mut self, name: &'static str) -> Option<&'a str> {
        self.consumed.insert(name);
        self.raw(name)
    }

    fn bool(&mut self, name: &'static str, default: bool) -> R<bool> {
        match self.str(name) {
            None => Ok(default),
            Some("") | Some("true") => Ok(true),
            Some("false") => Ok(false),
            Some(other) => Err(illegal_arg(format!(
                "Failed to parse value [{other}] as only [true] or [false] are allowed."
            ))),
        }
    }

    fn int(&mut self, name: &'static str, default: i64) -> R<i64> {
        match self.str(name) {
            None => Ok(default),
            Some(v) => v.parse::<i32>().map(i64::from).map_err(|_| {
                illegal_arg(format!(
                    "Failed to parse int parameter [{name}] with value [{v}]"
                ))
                .caused_by(EsErr::new(
                    400,
                    "number_format_exception",
                    format!("For input string: \"{v}\""),
                ))
            }),
        }
    }

    fn time(&mut self, name: &'static str) -> R<()> {
        match self.str(name) {
            None => Ok(()),
            Some(v) if is_time_value(v) => Ok(()),
            Some(v) => Err(EsErr::new(
                400,
                "parse_exception",
                format!("failed to parse setting [{name}] with value [{v}] as a time value: unit is missing or unrecognized"),
            )),
        }
    }

    /// `master_timeout`, and on OpenSearch ≥ 2.0 `cluster_manager_timeout` with the
    /// deprecation warning for `master_timeout` (§0, §10.16).
    fn master_timeout(&mut self) -> R<()> {
        if self.flavor.os_at_least(2, 0) {
            if self.has("master_timeout") {
                let (hash, _) = self.flavor.build();
                self.warnings.push(format!(
                    "299 OpenSearch-{}-{} \"Parameter [master_timeout] is deprecated and will be removed in 3.0. To support inclusive language, please use [cluster_manager_timeout] instead.\"",
                    self.flavor.version(),
                    hash
                ));
                if self.has("cluster_manager_timeout") {
                    return Err(EsErr::new(
                        400,
                        "parse_exception",
                        "Please only use one of the request parameters [master_timeout, cluster_manager_timeout].",
                    ));
                }
                self.time("master_timeout")?;
            }
            self.consumed.insert("master_timeout");
            self.time("cluster_manager_timeout")
        } else {
            self.time("master_timeout")
        }
    }

    /// `BaseRestHandler`: unknown parameters fail the request with 400 (§4.1).
    fn finish(&self, decoded_path: &str) -> R<()> {
        let invalid: BTreeSet<&str> = self
            .pairs
            .iter()
            .map(|(k, _)| k.as_str())
            .filter(|k| !self.consumed.contains(k))
            .collect();
        if invalid.is_empty() {
            return Ok(());
        }
        let mut msg = format!(
            "request [{}] contains unrecognized parameter{}: ",
            decoded_path,
            if invalid.len() > 1 { "s" } else { "" }
        );
        for (i, name) in invalid.iter().enumerate() {
            if i > 0 {
                msg.push_str(", ");
            }
            msg.push_str(&format!("[{name}]"));
            let mut scored: Vec<(f32, &str)> = self
                .consumed
                .iter()
                .map(|c| (similarity(name, c), *c))
                .filter(|(s, _)| *s > 0.5)
                .collect();
            scored.sort_by(|a, b| {
                b.0.partial_cmp(&a.0)
                    .unwrap_or(std::cmp::Ordering::Equal)
                    .then(a.1.cmp(b.1))
            });
            match scored.len() {
                0 => {}
                1 => msg.push_str(&format!(" -> did you mean [{}]?", scored[0].1)),
                _ => msg.push_str(&format!(
                    " -> did you mean any of [{}]?",
                    scored.iter().map(|s| s.1).collect::<Vec<_>>().join(", ")
                )),
            }
        }
        Err(illegal_arg(msg))
    }
}

/// Lucene's `LevenshteinDistance.getDistance`: `1 - edits / max(len)`.
fn similarity(a: &str, b: &str) -> f32 {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    if a.is_empty() || b.is_empty() {
        return if a == b { 1.0 } else { 0.0 };
    }
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            cur[j + 1] = (prev[j + 1] + 1).min(cur[j] + 1).min(prev[j] + cost);
        }
        prev = cur;
    }
    1.0 - prev[b.len()] as f32 / a.len().max(b.len()) as f32
}

fn is_time_value(v: &str) -> bool {
    if v == "-1" || v == "0" {
        return true;
    }
    let lower = v.to_ascii_lowercase();
    for unit in ["nanos", "micros", "ms", "s", "m", "h", "d"] {
        if let Some(num) = lower.strip_suffix(unit) {
            if !num.is_empty() && num.trim().parse::<f64>().is_ok() {
                return true;
            }
        }
    }
    false
}

// ---------------------------------------------------------------------------------------------
// Entry point

enum Body {
    Json(J),
    Text(&'static str, String),
    Empty,
}

struct Reply {
    status: u16,
    body: Body,
    headers: Vec<(String, String)>,
    default_pretty: bool,
}

impl Reply {
    fn ok(j: J) -> Reply {
        Reply {
            status: 200,
            body: Body::Json(j),
            headers: Vec::new(),
            default_pretty: false,
        }
    }
}

fn acknowledged() -> Reply {
    Reply::ok(obj().f("acknowledged", true))
}

/// Handles one request against the emulated cluster.
pub(crate) fn handle(core: &Core, req: &Req<'_>) -> Rendered {
    let flavor = core.flavor;
    let mut warnings = Vec::new();
    let reply = dispatch(core, req, &mut warnings).unwrap_or_else(|e| {
        let headers = e.headers.clone();
        Reply {
            status: e.status,
            body: Body::Json(e.envelope()),
            headers,
            default_pretty: false,
        }
    });
    render(flavor, req, reply, warnings)
}

fn query_value<'a>(req: &Req<'a>, name: &str) -> Option<&'a str> {
    url::last_value(req.query, name)
}

fn render(flavor: Flavor, req: &Req<'_>, reply: Reply, warnings: Vec<String>) -> Rendered {
    let mut headers = Vec::new();
    if flavor.sends_product_header() {
        headers.push(("X-elastic-product".to_string(), "Elasticsearch".to_string()));
    }
    for w in warnings {
        headers.push(("Warning".to_string(), w));
    }
    headers.extend(reply.headers);
    let pretty = match query_value(req, "pretty") {
        Some("false") => false,
        Some(_) => true,
        None => reply.default_pretty,
    };
    let body = match reply.body {
        Body::Json(j) => {
            // Error answers are built unfiltered on every release (checked
            // on OpenSearch 2.19 and Elasticsearch 7.10), so `filter_path`
            // never hides why a request failed.
            let j = match query_value(req, "filter_path") {
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

fn string_error(status: u16, msg: String, with_status: bool) -> Reply {
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

fn uri_of(req: &Req<'_>) -> String {
    url::request_uri(req.raw_path, req.raw_query)
}

fn dispatch(core: &Core, req: &Req<'_>, warnings: &mut Vec<String>) -> R<Reply> {
    let flavor = core.flavor;
    let mut state = core.state.lock().unwrap_or_else(|p| p.into_inner());

    if let Some(reply) = check_auth(flavor, &state, req) {
        return Ok(reply);
    }

    // §7: the REST-compatibility media type is rejected by OpenSearch and ES < 7.16 with 406.
    if !req.body.is_empty() {
        if let Some(ct) = req
            .headers
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
        {
            if let Some(v) = compat_version(ct) {
                let major = flavor
                    .version()
                    .split('.')
                    .next()
                    .and_then(|m| m.parse::<u32>().ok())
                    .unwrap_or(0);
                let supported = flavor.es_at_least(7, 16) && (v == major || v + 1 == major);
                if !supported {
                    return Ok(string_error(
                        406,
                        format!("Content-Type header [{ct}] is not supported"),
                        true,
                    ));
                }
            }
        }
    }

    let segments = url::path_segments(req.raw_path);
    let decoded_path = url::percent_decode(req.raw_path, false);
    let seg: Vec<&str> = segments.iter().map(String::as_str).collect();
    let m = req.method.clone();
    let mut p = Params::new(req.query, flavor);

    let result = match (seg.as_slice(), &m) {
        ([], &Method::GET) | ([], &Method::HEAD) => {
            p.finish(&decoded_path)?;
            Ok(root(core, req.method == Method::HEAD))
        }
        (["_snapshot"], &Method::GET) => {
            get_repositories(flavor, &state, "_all", &mut p, &decoded_path)
        }
        (["_snapshot", "_status"], &Method::GET) => {
            status(core, &mut state, None, None, &mut p, &decoded_path)
        }
        (["_snapshot", repo], &Method::GET) => {
            get_repositories(flavor, &state, repo, &mut p, &decoded_path)
        }
        (["_snapshot", repo], &Method::PUT) | (["_snapshot", repo], &Method::POST) => {
            put_repository(flavor, &mut state, repo, req.body, &mut p, &decoded_path)
        }
        (["_snapshot", repo], &Method::DELETE) => {
            delete_repository(&mut state, repo, &mut p, &decoded_path)
        }
        (["_snapshot", repo, "_status"], &Method::GET) => {
            status(core, &mut state, Some(repo), None, &mut p, &decoded_path)
        }
        (["_snapshot", repo, "_verify"], &Method::POST) => {
            p.master_timeout()?;
            p.time("timeout")?;
            p.finish(&decoded_path)?;
            let r = state.repo_mut(repo).ok_or_else(|| repo_missing(repo))?;
            r.uuid_known = true;
            Ok(Reply::ok(obj().f(
                "nodes",
                obj().f(&core.node_id, obj().f("name", core.node_name.as_str())),
            )))
        }
        (["_snapshot", repo, "_cleanup"], &Method::POST) => {
            p.master_timeout()?;
            p.time("timeout")?;
            p.finish(&decoded_path)?;
            state.repo(repo).ok_or_else(|| repo_missing(repo))?;
            Ok(Reply::ok(obj().f(
                "results",
                obj().f("deleted_bytes", 0u32).f("deleted_blobs", 0u32),
            )))
        }
        (["_snapshot", repo, snaps], &Method::GET) => {
            get_snapshots(core, &mut state, repo, snaps, &mut p, &decoded_path)
        }
        (["_snapshot", repo, snap], &Method::PUT) | (["_snapshot", repo, snap], &Method::POST) => {
            create_snapshot(
                core,
                &mut state,
                repo,
                snap,
                req.body,
                &mut p,
                &decoded_path,
            )
        }
        (["_snapshot", repo, snaps], &Method::DELETE) => {
            delete_snapshots(core, &mut state, repo, snaps, &mut p, &decoded_path)
        }
        (["_snapshot", repo, snaps, "_status"], &Method::GET) => status(
            core,
            &mut state,
            Some(repo),
            Some(snaps),
            &mut p,
            &decoded_path,
        ),
        (_, _) if crate::indices::handles(&seg, &m) => crate::indices::handle(
            core, &mut state, &seg, &m, req.query, req.body,
        )
        .map(|(status, body)| Reply {
            status,
            body: body.map_or(Body::Empty, Body::Json),
            headers: Vec::new(),
            default_pretty: false,
        }),
        (_, &Method::OPTIONS) => {
            // RestController.handleOptionsRequest: 200, empty text body, Allow header.
            let allowed = allowed_methods(&seg);
            let mut headers = Vec::new();
            if !allowed.is_empty() {
                headers.push(("Allow".to_string(), allowed.join(",")));
            }
            Ok(Reply {
                status: 200,
                body: Body::Text("text/plain; charset=UTF-8", String::new()),
                headers,
                default_pretty: false,
            })
        }
        _ => {
            let allowed = allowed_methods(&seg);
            if allowed.is_empty() {
                // RestController.handleBadRequest: a bare string error, no status field.
                let msg = format!(
                    "no handler found for uri [{}] and method [{}]",
                    uri_of(req),
                    req.method
                );
                Ok(string_error(400, msg, false))
            } else {
                let msg = format!(
                    "Incorrect HTTP method for uri [{}] and method [{}], allowed: [{}]",
                    uri_of(req),
                    req.method,
                    allowed.join(", ")
                );
                let mut r = string_error(405, msg, true);
                r.headers.push(("Allow".to_string(), allowed.join(",")));
                Ok(r)
            }
        }
    };
    warnings.append(&mut p.warnings);
    result
}

/// Methods registered for a path shape (for 405 answers), in `RestRequest.Method` order.
fn allowed_methods(seg: &[&str]) -> Vec<&'static str> {
    let mut set: Vec<&'static str> = match seg {
        [] => vec!["GET", "HEAD"],
        ["_snapshot"] => vec!["GET"],
        ["_snapshot", "_status"] => vec!["GET", "POST", "PUT", "DELETE"],
        ["_snapshot", _] => vec!["GET", "POST", "PUT", "DELETE"],
        ["_snapshot", _, "_status"] => vec!["GET", "POST", "PUT", "DELETE"],
        ["_snapshot", _, "_verify"] | ["_snapshot", _, "_cleanup"] => {
            vec!["GET", "POST", "PUT", "DELETE"]
        }
        ["_snapshot", _, _] => vec!["GET", "POST", "PUT", "DELETE"],
        ["_snapshot", _, _, "_status"] => vec!["GET"],
        _ => vec![],
    };
    set.dedup();
    set
}

// ---------------------------------------------------------------------------------------------
// Auth (§9)

fn check_auth(flavor: Flavor, state: &State, req: &Req<'_>) -> Option<Reply> {
    if state.credentials.is_empty() {
        return None;
    }
    let header = req
        .headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let mut user: Option<String> = None;
    if let Some(h) = header {
        let (scheme, value) = h.split_once(' ').unwrap_or((h, ""));
        let value = value.trim();
        let ok = match scheme.to_ascii_lowercase().as_str() {
            "basic" => {
                let decoded = base64::engine::general_purpose::STANDARD
                    .decode(value)
                    .ok()
                    .and_then(|b| String::from_utf8(b).ok())
                    .unwrap_or_default();
                let (u, pw) = decoded.split_once(':').unwrap_or((decoded.as_str(), ""));
                user = Some(u.to_string());
                state
                    .credentials
                    .iter()
                    .any(|c| matches!(c, Credential::Basic { user, password } if user == u && password == pw))
            }
            "apikey" if !flavor.is_opensearch() => state
                .credentials
                .iter()
                .any(|c| matches!(c, Credential::ApiKey(k) if k == value)),
            "bearer" => state
                .credentials
                .iter()
                .any(|c| matches!(c, Credential::Bearer(t) if t == value)),
            _ => false,
        };
        if ok {
            return None;
        }
    }
    if flavor.is_opensearch() {
        // The security plugin answers plain text (§9).
        return Some(Reply {
            status: 401,
            body: Body::Text("text/plain; charset=UTF-8", "Unauthorized".to_string()),
            headers: vec![(
                "WWW-Authenticate".to_string(),
                "Basic realm=\"OpenSearch Security\"".to_string(),
            )],
            default_pretty: false,
        });
    }
    let uri = uri_of(req);
    let reason = match (header, user) {
        (None, _) => format!("missing authentication credentials for REST request [{uri}]"),
        (Some(_), Some(u)) => format!("unable to authenticate user [{u}] for REST request [{uri}]"),
        (Some(_), None) => {
            "unable to authenticate with provided credentials and anonymous access is not allowed for this request"
                .to_string()
        }
    };
    let challenges = [
        "Basic realm=\"security\" charset=\"UTF-8\"",
        "Bearer realm=\"security\"",
        "ApiKey",
    ];
    let mut err = EsErr::new(401, "security_exception", reason);
    err.extra.push((
        "header".to_string(),
        obj().f("WWW-Authenticate", J::strs(challenges)),
    ));
    Some(Reply {
        status: 401,
        body: Body::Json(err.envelope()),
        headers: challenges
            .iter()
            .map(|c| ("WWW-Authenticate".to_string(), c.to_string()))
            .collect(),
        default_pretty: false,
    })
}

// ---------------------------------------------------------------------------------------------
// GET / (§7)

fn root(core: &Core, head: bool) -> Reply {
    let f = core.flavor;
    let (hash, date) = f.build();
    let (wire, index) = f.min_compat();
    let version = if f.is_opensearch() {
        obj()
            .f("distribution", "opensearch")
            .f("number", f.version())
            .f("build_type", "tar")
            .f("build_hash", hash)
            .f("build_date", date)
            .f("build_snapshot", false)
            .f("lucene_version", f.lucene_version())
            .f("minimum_wire_compatibility_version", wire)
            .f("minimum_index_compatibility_version", index)
    } else {
        obj()
            .f("number", f.version())
            .f("build_flavor", "default")
            .f("build_type", "docker")
            .f("build_hash", hash)
            .f("build_date", date)
            .f("build_snapshot", false)
            .f("lucene_version", f.lucene_version())
            .f("minimum_wire_compatibility_version", wire)
            .f("minimum_index_compatibility_version", index)
    };
    let tagline = if f.is_opensearch() {
        "The OpenSearch Project: https://opensearch.org/"
    } else {
        "You Know, for Search"
    };
    let body = obj()
        .f("name", core.node_name.as_str())
        .f("cluster_name", "testkit-cluster")
        .f("cluster_uuid", core.cluster_uuid.as_str())
        .f("version", version)
        .f("tagline", tagline);
    if head {
        return Reply {
            status: 200,
            body: Body::Empty,
            headers: Vec::new(),
            default_pretty: false,
        };
    }
    // RestMainAction pretty-prints unless `pretty` is given.
    Reply {
        status: 200,
        body: Body::Json(body),
        headers: Vec::new(),
        default_pretty: true,
    }
}

// ---------------------------------------------------------------------------------------------
// Repositories (§2)

/// The repositories a comma list of names and `*` patterns selects (`_all`,
/// `*` or nothing: all), in the order given; any exact name that does not
/// exist is `repository_missing_exception` (§2.1).
fn resolve_repositories<'s>(flavor: Flavor, state: &'s State, expr: &'s str) -> R<Vec<&'s str>> {
    let parts: Vec<&str> = expr.split(',').filter(|s| !s.is_empty()).collect();
    if parts.is_empty() || parts == ["_all"] || parts == ["*"] {
        return Ok(state.repos.iter().map(|r| r.name.as_str()).collect());
    }
    let mut selected: Vec<&str> = Vec::new();
    let mut missing: Vec<&str> = Vec::new();
    for part in parts {
        if glob::is_pattern(part) {
            selected.extend(
                state
                    .repos
                    .iter()
                    .filter(|r| glob::matches(part, &r.name))
                    .map(|r| r.name.as_str()),
            );
        } else if state.repo(part).is_some() {
            selected.push(part);
        } else {
            missing.push(part);
        }
    }
    if !missing.is_empty() {
        // ES 8.7+ lists every missing name (PR #92914); before, the first one.
        let name = if flavor.es_at_least(8, 7) {
            missing.join(", ")
        } else {
            missing[0].to_string()
        };
        return Err(repo_missing(&name));
    }
    Ok(selected)
}

fn get_repositories(
    flavor: Flavor,
    state: &State,
    expr: &str,
    p: &mut Params<'_>,
    path: &str,
) -> R<Reply> {
    p.bool("local", false)?;
    p.master_timeout()?;
    p.finish(path)?;
    let selected = resolve_repositories(flavor, state, expr)?;
    let mut out = obj();
    for repo in &state.repos {
        if !selected.contains(&repo.name.as_str()) {
            continue;
        }
        let mut r = obj().f("type", repo.repo_type.as_str());
        if flavor.es_at_least(7, 12) && repo.uuid_known {
            r.push("uuid", repo.uuid.as_str());
        }
        let mut settings = obj();
        for (k, v) in &repo.settings {
            settings.push(k, v.as_str());
        }
        r.push("settings", settings);
        out.push(&repo.name, r);
    }
    Ok(Reply::ok(out))
}

fn flatten_settings(prefix: &str, v: &serde_json::Value, out: &mut Vec<(String, String)>) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, v) in m {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten_settings(&key, v, out);
            }
        }
        serde_json::Value::String(s) => out.push((prefix.to_string(), s.clone())),
        serde_json::Value::Null => {}
        serde_json::Value::Array(a) => {
            let items: Vec<String> = a
                .iter()
                .map(|i| {
                    i.as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| i.to_string())
                })
                .collect();
            out.push((prefix.to_string(), items.join(",")));
        }
        other => out.push((prefix.to_string(), other.to_string())),
    }
}

const REPO_TYPES: &[&str] = &["fs", "url", "source", "s3", "azure", "gcs", "hdfs"];

fn put_repository(
    flavor: Flavor,
    state: &mut State,
    name: &str,
    body: &[u8],
    p: &mut Params<'_>,
    path: &str,
) -> R<Reply> {
    let verify = p.bool("verify", true)?;
    p.master_timeout()?;
    p.time("timeout")?;
    let map = parse_body_map(body)?
        .ok_or_else(|| EsErr::new(400, "parse_exception", "request body is required"))?;
    p.finish(path)?;
    let repo_type = match map.get("type") {
        Some(serde_json::Value::String(t)) => t.clone(),
        Some(_) | None => return Err(validation(&["type is missing".to_string()])),
    };
    let mut settings = Vec::new();
    if let Some(s) = map.get("settings") {
        flatten_settings("", s, &mut settings);
    }
    // RepositoriesService.validate
    if name.contains('#') {
        return Err(EsErr::new(
            500,
            "repository_exception",
            format!("[{name}] must not contain '#'"),
        ));
    }
    if name.chars().any(|c| {
        matches!(
            c,
            '\\' | '/' | '*' | '?' | '"' | '<' | '>' | '|' | ' ' | ','
        )
    }) {
        return Err(EsErr::new(
            500,
            "repository_exception",
            format!(
                "[{name}] must not contain the following characters {}",
                flavor.invalid_filename_chars()
            ),
        ));
    }
    if !REPO_TYPES.contains(&repo_type.as_str()) {
        return Err(EsErr::new(
            500,
            "repository_exception",
            format!("[{name}] repository type [{repo_type}] does not exist"),
        ));
    }
    if repo_type == "fs" {
        let location = settings
            .iter()
            .find(|(k, _)| k == "location")
            .map(|(_, v)| v.clone())
            .unwrap_or_default();
        let inner = if location.is_empty() {
            Some(format!("[{name}] missing location"))
        } else {
            match &state.path_repo {
                None => None,
                Some(roots) if roots.is_empty() => Some(format!(
                    "[{name}] location [{location}] doesn't match any of the locations specified by path.repo because this setting is empty"
                )),
                Some(roots) => {
                    let ok = !location.starts_with('/')
                        || roots.iter().any(|r| location == *r || location.starts_with(&format!("{}/", r.trim_end_matches('/'))));
                    (!ok).then(|| {
                        format!("[{name}] location [{location}] doesn't match any of the locations specified by path.repo")
                    })
                }
            }
        };
        if let Some(inner) = inner {
            return Err(EsErr::new(
                500,
                "repository_exception",
                format!("[{name}] failed to create repository"),
            )
            .caused_by(EsErr::new(500, "repository_exception", inner)));
        }
    }
    state.put_repo(name, &repo_type, settings, verify);
    Ok(acknowledged())
}

fn delete_repository(state: &mut State, expr: &str, p: &mut Params<'_>, path: &str) -> R<Reply> {
    p.master_timeout()?;
    p.time("timeout")?;
    p.finish(path)?;
    let parts: Vec<&str> = expr.split(',').collect();
    for part in &parts {
        if !glob::is_pattern(part) && part != &"_all" && state.repo(part).is_none() {
            return Err(repo_missing(part));
        }
    }
    state.repos.retain(|r| {
        !parts.iter().any(|part| {
            *part == "_all"
                || (glob::is_pattern(part) && glob::matches(part, &r.name))
                || *part == r.name
        })
    });
    Ok(acknowledged())
}

// ---------------------------------------------------------------------------------------------
// Create (§3)

/// The rules of §3.2, in order.
fn validate_snapshot_name(flavor: Flavor, repo: &str, name: &str) -> R<()> {
    let rule = if name.is_empty() {
        Some("cannot be empty".to_string())
    } else if name.contains(' ') {
        Some("must not contain whitespace".to_string())
    } else if name.contains(',') {
        Some("must not contain ','".to_string())
    } else if name.contains('#') {
        Some("must not contain '#'".to_string())
    } else if name.starts_with('_') {
        Some("must not start with '_'".to_string())
    } else if name.to_lowercase() != name {
        Some("must be lowercase".to_string())
    } else if name
        .chars()
        .any(|c| matches!(c, '\\' | '/' | '*' | '?' | '"' | '<' | '>' | '|'))
    {
        Some(format!(
            "must not contain the following characters {}",
            flavor.invalid_filename_chars()
        ))
    } else {
        None
    };
    match rule {
        None => Ok(()),
        Some(rule) => Err(EsErr::new(
            400,
            "invalid_snapshot_name_exception",
            format!("[{repo}:{name}] Invalid snapshot name [{name}], {rule}"),
        )),
    }
}

fn bool_field(
    map: &serde_json::Map<String, serde_json::Value>,
    name: &str,
    default: bool,
) -> R<bool> {
    match map.get(name) {
        None | Some(serde_json::Value::Null) => Ok(default),
        Some(serde_json::Value::Bool(b)) => Ok(*b),
        Some(other) => {
            let s = other
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| other.to_string());
            match s.as_str() {
                "true" => Ok(true),
                "false" => Ok(false),
                _ => Err(
                    illegal_arg(format!("Could not convert [{name}] to boolean")).caused_by(
                        illegal_arg(format!(
                            "Failed to parse value [{s}] as only [true] or [false] are allowed."
                        )),
                    ),
                ),
            }
        }
    }
}

fn string_list(v: &serde_json::Value) -> Option<Vec<String>> {
    match v {
        serde_json::Value::String(s) => Some(
            s.split(',')
                .map(|x| x.trim().to_string())
                .filter(|x| !x.is_empty())
                .collect(),
        ),
        serde_json::Value::Array(a) => a.iter().map(|i| i.as_str().map(str::to_string)).collect(),
        _ => None,
    }
}

/// Resolves `indices` against the known indices: exact names always resolve (and become
/// known), wildcards expand over known non-hidden indices, `-x` excludes.
fn resolve_indices(
    state: &mut State,
    requested: &[String],
    ignore_unavailable: bool,
) -> R<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    if requested.is_empty() || requested == ["_all"] || requested == ["*"] {
        return Ok(state
            .known_indices
            .iter()
            .filter(|i| !i.starts_with('.'))
            .cloned()
            .collect());
    }
    for (i, item) in requested.iter().enumerate() {
        if let Some(ex) = item.strip_prefix('-').filter(|_| i > 0) {
            out.retain(|n| !glob::matches(ex, n));
        } else if glob::is_pattern(item) {
            for n in &state.known_indices {
                if glob::matches(item, n)
                    && (!n.starts_with('.') || item.starts_with('.'))
                    && !out.contains(n)
                {
                    out.push(n.clone());
                }
            }
        } else if state.indices_declared && !state.known_indices.contains(item) {
            if !ignore_unavailable {
                let mut e = EsErr::new(
                    404,
                    "index_not_found_exception",
                    format!("no such index [{item}]"),
                );
                e.extra = vec![
                    ("resource.type".to_string(), J::from("index_or_alias")),
                    ("resource.id".to_string(), J::from(item.as_str())),
                    ("index_uuid".to_string(), J::from("_na_")),
                    ("index".to_string(), J::from(item.as_str())),
                ];
                return Err(e);
            }
        } else if !out.contains(item) {
            state.known_indices.insert(item.clone());
            out.push(item.clone());
        }
    }
    Ok(out)
}

fn create_snapshot(
    core: &Core,
    state: &mut State,
    repo: &str,
    raw_name: &str,
    body: &[u8],
    p: &mut Params<'_>,
    path: &str,
) -> R<Reply> {
    let flavor = core.flavor;
    let wait = p.bool("wait_for_completion", false)?;
    p.master_timeout()?;
    let map = parse_body_map(body)?.unwrap_or_default();
    // CreateSnapshotRequest.source: unknown body fields are ignored; feature_states exists from 7.12.
    let indices = match map.get("indices") {
        None | Some(serde_json::Value::Null) => Vec::new(),
        Some(v) => string_list(v).ok_or_else(|| {
            illegal_arg("malformed indices section, should be an array of strings")
        })?,
    };
    let feature_states = if flavor.es_at_least(7, 12) {
        match map.get("feature_states") {
            None | Some(serde_json::Value::Null) => None,
            Some(v @ serde_json::Value::Array(_)) => Some(string_list(v).ok_or_else(|| {
                illegal_arg("malformed feature_states section, should be an array of strings")
            })?),
            Some(_) => {
                return Err(illegal_arg(
                    "malformed feature_states section, should be an array of strings",
                ))
            }
        }
    } else {
        None
    };
    // `partial` only matters with unassigned primaries, which the emulator never has.
    bool_field(&map, "partial", false)?;
    let include_global_state = bool_field(&map, "include_global_state", true)?;
    let ignore_unavailable = bool_field(&map, "ignore_unavailable", false)?;
    let metadata = match map.get("metadata") {
        None | Some(serde_json::Value::Null) => None,
        Some(m @ serde_json::Value::Object(_)) => Some(m.clone()),
        Some(_) => return Err(illegal_arg("malformed metadata, should be an object")),
    };
    p.finish(path)?;

    // CreateSnapshotRequest.validate
    if let Some(m) = &metadata {
        let size = serde_json::to_vec(m).map(|v| v.len()).unwrap_or(0);
        if size > 1024 {
            return Err(validation(&[format!(
                "metadata must be smaller than 1024 bytes, but was [{size}]"
            )]));
        }
    }

    let now = core.clock.now_millis();
    let name = crate::datemath::resolve(raw_name, now).map_err(|e| {
        EsErr::new(
            400,
            "parse_exception",
            format!("invalid date math expression [{raw_name}]: {e}"),
        )
    })?;
    validate_snapshot_name(flavor, repo, &name)?;
    let duplicate_type = if flavor.es_at_least(8, 2) {
        "snapshot_name_already_in_use_exception"
    } else {
        "invalid_snapshot_name_exception"
    };
    {
        let r = state.repo_mut(repo).ok_or_else(|| repo_missing(repo))?;
        r.uuid_known = true;
        if let Some(existing) = r.snapshots.get(&name) {
            let why = if existing.is_running(now) {
                "snapshot with the same name is already in-progress"
            } else {
                "snapshot with the same name already exists"
            };
            return Err(EsErr::new(
                400,
                duplicate_type,
                format!("[{repo}:{name}] Invalid snapshot name [{name}], {why}"),
            ));
        }
    }

    // Rules: the first matching rule with uses left.
    let mut outcome = None;
    for rule in state.rules.iter_mut() {
        if rule.times == Some(0) || !glob::matches(&rule.pattern, &name) {
            continue;
        }
        if let Some(t) = rule.times.as_mut() {
            *t -= 1;
        }
        outcome = Some(rule.outcome.clone());
        break;
    }
    if let Some(RuleOutcome::Refuse {
        status,
        error_type,
        reason,
    }) = &outcome
    {
        let reason = reason
            .replace("{repository}", repo)
            .replace("{snapshot}", &name);
        return Err(EsErr::new(*status, error_type, reason));
    }

    let resolved = resolve_indices(state, &indices, ignore_unavailable)?;
    let features: Vec<(String, Vec<String>)> = if !flavor.es_at_least(7, 12) {
        Vec::new()
    } else {
        match &feature_states {
            Some(list) if !list.is_empty() => list
                .iter()
                .filter(|f| f.as_str() != "none")
                .map(|f| (f.clone(), Vec::new()))
                .collect(),
            _ if include_global_state && flavor.es_at_least(7, 14) => {
                vec![("geoip".to_string(), vec![".geoip_databases".to_string()])]
            }
            _ => Vec::new(),
        }
    };
    let total = resolved.len() as u32;
    let (final_state, reason, failures) = match outcome {
        Some(RuleOutcome::Fail { reason }) => {
            let failures = resolved
                .iter()
                .map(|i| {
                    ShardFailure::new(i.clone(), 0, reason.clone())
                        .with_node_id(core.node_id.clone())
                })
                .collect();
            (SnapshotState::Failed, Some(reason), failures)
        }
        Some(RuleOutcome::Partial { mut failures }) => {
            if failures.is_empty() {
                let idx = resolved
                    .first()
                    .cloned()
                    .unwrap_or_else(|| "index".to_string());
                failures.push(ShardFailure::new(idx, 0, "primary shard is not allocated"));
            }
            (SnapshotState::Partial, None, failures)
        }
        Some(RuleOutcome::Incompatible) => {
            (SnapshotState::Incompatible, Some(String::new()), Vec::new())
        }
        _ => (SnapshotState::Success, None, Vec::new()),
    };
    let total = total.max(failures.len() as u32);
    let failed = if final_state == SnapshotState::Failed {
        total
    } else {
        failures.len() as u32
    };
    let delay = i64::try_from(state.completion_delay.as_millis()).unwrap_or(i64::MAX);
    let uuid = state.next_uuid();
    let snap = Snap {
        name: name.clone(),
        uuid,
        indices: resolved,
        data_streams: Vec::new(),
        feature_states: features,
        include_global_state,
        metadata,
        start: now,
        end: now.saturating_add(delay),
        pending: true,
        completes_at: Some(now.saturating_add(delay)),
        final_state,
        reason,
        failures,
        total_shards: total,
        successful_shards: total.saturating_sub(failed),
        unreadable: false,
        blob_missing: false,
    };
    let completes_at = snap.end;
    let r = state.repo_mut(repo).ok_or_else(|| repo_missing(repo))?;
    r.snapshots.insert(name.clone(), snap);
    if !wait {
        return Ok(Reply::ok(obj().f("accepted", true)));
    }
    // The waiting request returns once the snapshot is done: time passes meanwhile (§3.1).
    core.clock.advance_to(completes_at);
    let now = core.clock.now_millis();
    let s = &r.snapshots[&name];
    Ok(Reply::ok(obj().f(
        "snapshot",
        render_snapshot(flavor, repo, s, now, RenderOpts::default()),
    )))
}

// ---------------------------------------------------------------------------------------------
// Get (§4)

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum SortKey {
    StartTime,
    Duration,
    Name,
    IndexCount,
    Repository,
    ShardCount,
    FailedShardCount,
}

impl SortKey {
    fn parse(flavor: Flavor, s: &str) -> Option<SortKey> {
        let k = match s {
            "start_time" => SortKey::StartTime,
            "duration" => SortKey::Duration,
            "name" => SortKey::Name,
            "index_count" => SortKey::IndexCount,
            "repository" => SortKey::Repository,
            "shard_count" => SortKey::ShardCount,
            "failed_shard_count" => SortKey::FailedShardCount,
            _ => return None,
        };
        let needs_716 = matches!(
            k,
            SortKey::Repository | SortKey::ShardCount | SortKey::FailedShardCount
        );
        (!needs_716 || flavor.es_at_least(7, 16)).then_some(k)
    }
}

#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum SortVal {
    Num(i64),
    Str(String),
}

impl SortVal {
    fn as_cursor(&self) -> String {
        match self {
            SortVal::Num(n) => n.to_string(),
            SortVal::Str(s) => s.clone(),
        }
    }
}

struct Entry<'a> {
    repo: &'a str,
    snap: &'a Snap,
}

fn sort_value(key: SortKey, e: &Entry<'_>, now: i64) -> SortVal {
    let s = e.snap;
    let running = s.is_running(now);
    match key {
        SortKey::StartTime => SortVal::Num(s.start),
        SortKey::Duration => SortVal::Num(s.end_time(now) - s.start),
        SortKey::Name => SortVal::Str(s.name.clone()),
        SortKey::IndexCount => SortVal::Num(s.indices.len() as i64),
        SortKey::Repository => SortVal::Str(e.repo.to_string()),
        SortKey::ShardCount => SortVal::Num(i64::from(s.total_shards)),
        SortKey::FailedShardCount => SortVal::Num(if running {
            0
        } else {
            i64::from(s.total_shards - s.successful_shards.min(s.total_shards))
        }),
    }
}

fn parse_sort_val(key: SortKey, raw: &str) -> Option<SortVal> {
    match key {
        SortKey::Name | SortKey::Repository => Some(SortVal::Str(raw.to_string())),
        _ => raw.parse::<i64>().ok().map(SortVal::Num),
    }
}

/// Name selection up to ES 8.13 and on every OpenSearch (`TransportGetSnapshotsAction`, §4.5).
fn select_legacy<'a>(
    flavor: Flavor,
    repo: &str,
    snaps: &'a std::collections::HashMap<String, Snap>,
    names: &[&str],
    ignore_unavailable: bool,
    now: i64,
) -> R<Vec<&'a Snap>> {
    let is_all = names.is_empty() || (names.len() == 1 && names[0].eq_ignore_ascii_case("_all"));
    if is_all {
        return Ok(snaps.values().collect());
    }
    let current_only = names.len() == 1 && names[0].eq_ignore_ascii_case("_current");
    let mut chosen: BTreeSet<&str> = BTreeSet::new();
    let mut includes: Vec<&str> = Vec::new();
    let mut excludes: Vec<&str> = Vec::new();
    let mut seen_wildcard = false;
    for n in names {
        if flavor.es_at_least(7, 16) && seen_wildcard && n.len() > 1 && n.starts_with('-') {
            excludes.push(&n[1..]);
        } else if n.eq_ignore_ascii_case("_current") {
            chosen.extend(
                snaps
                    .values()
                    .filter(|s| s.is_running(now))
                    .map(|s| s.name.as_str()),
            );
        } else if glob::is_pattern(n) {
            seen_wildcard = true;
            includes.push(n);
        } else if snaps.contains_key(*n) {
            chosen.insert(n);
        } else if !ignore_unavailable {
            return Err(snapshot_missing(repo, n));
        }
    }
    for s in snaps.values() {
        if includes.iter().any(|p| glob::matches(p, &s.name))
            && !excludes.iter().any(|p| glob::matches(p, &s.name))
        {
            chosen.insert(&s.name);
        }
    }
    if chosen.is_empty() && !ignore_unavailable && !current_only {
        return Err(snapshot_missing(repo, names[0]));
    }
    if chosen.is_empty()
        && ignore_unavailable
        && !current_only
        && flavor.is_opensearch()
        && !flavor.os_at_least(2, 7)
    {
        // OpenSearch < 2.7 bug (issue #6820): an empty selection returns the running snapshots.
        return Ok(snaps.values().filter(|s| s.is_running(now)).collect());
    }
    Ok(chosen.iter().filter_map(|n| snaps.get(*n)).collect())
}

/// Name selection from ES 8.14 (`SnapshotNamePredicate`, §4.5): unmatched patterns are not an error.
fn select_predicate<'a>(
    repo: &str,
    snaps: &'a std::collections::HashMap<String, Snap>,
    names: &[&str],
    ignore_unavailable: bool,
    now: i64,
) -> R<Vec<&'a Snap>> {
    let is_all = names.is_empty() || (names.len() == 1 && (names[0] == "_all" || names[0] == "*"));
    if is_all {
        return Ok(snaps.values().collect());
    }
    let mut required: Vec<&str> = Vec::new();
    let mut includes: Vec<&str> = Vec::new();
    let mut excludes: Vec<&str> = Vec::new();
    let mut current = false;
    let mut seen_wildcard = false;
    for n in names {
        if seen_wildcard && n.len() > 1 && n.starts_with('-') {
            excludes.push(&n[1..]);
        } else if n.eq_ignore_ascii_case("_current") {
            current = true;
        } else if glob::is_pattern(n) {
            seen_wildcard = true;
            includes.push(n);
        } else {
            required.push(n);
        }
    }
    if !ignore_unavailable {
        if let Some(missing) = required.iter().find(|n| !snaps.contains_key(**n)) {
            return Err(snapshot_missing(repo, missing));
        }
    }
    Ok(snaps
        .values()
        .filter(|s| {
            required.contains(&s.name.as_str())
                || (current && s.is_running(now))
                || (includes.iter().any(|p| glob::matches(p, &s.name))
                    && !excludes.iter().any(|p| glob::matches(p, &s.name)))
        })
        .collect())
}

fn get_snapshots(
    core: &Core,
    state: &mut State,
    repo_expr: &str,
    names_expr: &str,
    p: &mut Params<'_>,
    path: &str,
) -> R<Reply> {
    let flavor = core.flavor;
    let now = core.clock.now_millis();
    // RestGetSnapshotsAction.prepareRequest, per version (§4.1).
    let ignore_unavailable = p.bool("ignore_unavailable", false)?;
    let verbose = p.bool("verbose", true)?;
    let mut size = -1i64;
    let mut offset = 0i64;
    let mut sort = SortKey::StartTime;
    let mut desc = false;
    let mut after: Option<(String, String, String)> = None;
    let mut from_sort_value: Option<&str> = None;
    let mut policies: Vec<&str> = Vec::new();
    let mut states: Option<Vec<SnapshotState>> = None;
    let paging = flavor.es_at_least(7, 14);
    if paging {
        if let Some(a) = p.str("after") {
            let decoded = base64::engine::general_purpose::URL_SAFE
                .decode(a)
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .unwrap_or_default();
            let parts: Vec<&str> = decoded.split(',').collect();
            if parts.len() != 3 {
                return Err(illegal_arg(format!("invalid ?after parameter [{a}]")));
            }
            after = Some((
                parts[0].to_string(),
                parts[1].to_string(),
                parts[2].to_string(),
            ));
        }
        if flavor.es_at_least(7, 16) {
            from_sort_value = p.str("from_sort_value");
        }
        if let Some(s) = p.str("sort") {
            sort = SortKey::parse(flavor, s)
                .ok_or_else(|| illegal_arg(format!("unknown sort key [{s}]")))?;
        }
        size = p.int("size", -1)?;
        if flavor.es_at_least(7, 15) {
            offset = p.int("offset", 0)?;
        }
        if let Some(o) = p.str("order") {
            desc = match o.to_ascii_lowercase().as_str() {
                "asc" => false,
                "desc" => true,
                _ => return Err(illegal_arg(format!("Unknown SortOrder [{o}]"))),
            };
        }
        if flavor.es_at_least(7, 16) {
            if let Some(f) = p.str("slm_policy_filter") {
                policies = f.split(',').filter(|s| !s.is_empty()).collect();
            }
        }
        if flavor.es_at_least(9, 1) {
            if let Some(st) = p.str("state") {
                let mut list = Vec::new();
                for item in st.split(',').filter(|s| !s.is_empty()) {
                    list.push(SnapshotState::parse(&item.to_ascii_uppercase()).ok_or_else(
                        || {
                            illegal_arg(format!(
                                "No enum constant org.elasticsearch.snapshots.SnapshotState.{item}"
                            ))
                        },
                    )?);
                }
                states = Some(list);
            }
        }
    }
    p.master_timeout()?;
    let mut opts = RenderOpts {
        verbose,
        human: p.bool("human", false)?,
        ..RenderOpts::default()
    };
    if flavor.es_at_least(7, 13) {
        opts.index_details = p.bool("index_details", false)?;
    }
    if flavor.es_at_least(7, 14) {
        opts.include_repository = p.bool("include_repository", true)?;
    }
    if flavor.es_at_least(8, 3) {
        opts.index_names = p.bool("index_names", true)?;
    }
    p.finish(path)?;

    // GetSnapshotsRequest.validate (7.14+).
    if paging {
        let mut errors = Vec::new();
        if size == 0 || size < -1 {
            errors.push("size must be -1 or greater than 0".to_string());
        }
        if offset < 0 {
            errors.push("offset must be greater than or equal to 0".to_string());
        }
        if !verbose {
            if sort != SortKey::StartTime {
                errors.push("can't use non-default sort with verbose=false".to_string());
            }
            if size > 0 {
                errors.push("can't use size limit with verbose=false".to_string());
            }
            if offset > 0 {
                errors.push("can't use offset with verbose=false".to_string());
            }
            if after.is_some() {
                errors.push("can't use after with verbose=false".to_string());
            }
            if desc {
                errors.push("can't use non-default sort order with verbose=false".to_string());
            }
            if !policies.is_empty() {
                errors.push("can't use slm policy filter with verbose=false".to_string());
            }
            if from_sort_value.is_some() {
                errors.push("can't use from_sort_value with verbose=false".to_string());
            }
        } else {
            if after.is_some() && offset > 0 {
                errors.push("can't use after and offset simultaneously".to_string());
            }
            if after.is_some() && from_sort_value.is_some() {
                errors.push("can't use after and from_sort_value simultaneously".to_string());
            }
        }
        if !errors.is_empty() {
            return Err(validation(&errors));
        }
    }

    // Repositories: one exact name on ES ≤ 7.13 and OpenSearch; lists and wildcards from 7.14.
    let repo_names: Vec<String> = if flavor.es_at_least(7, 14) {
        let mut names: Vec<String> = resolve_repositories(flavor, state, repo_expr)?
            .into_iter()
            .map(str::to_owned)
            .collect();
        names.dedup();
        names
    } else {
        if state.repo(repo_expr).is_none() {
            // §2.1: 7.10 and OpenSearch never look the repository up for `_current`.
            if names_expr == "_current" {
                return Ok(Reply::ok(obj().f("snapshots", J::Arr(Vec::new()))));
            }
            return Err(repo_missing(repo_expr));
        }
        vec![repo_expr.to_string()]
    };
    let multi_repo = flavor.es_at_least(7, 14)
        && (repo_expr.contains(',') || glob::is_pattern(repo_expr) || repo_expr == "_all");

    let names: Vec<&str> = names_expr.split(',').filter(|s| !s.is_empty()).collect();
    let mut entries: Vec<Entry<'_>> = Vec::new();
    let mut failures: Vec<(String, EsErr)> = Vec::new();
    for repo_name in &repo_names {
        if let Some(r) = state.repo_mut(repo_name) {
            r.uuid_known = true;
        }
    }
    for repo_name in &repo_names {
        let Some(repo) = state.repo(repo_name) else {
            continue;
        };
        let selected = if flavor.es_at_least(8, 14) {
            select_predicate(repo_name, &repo.snapshots, &names, ignore_unavailable, now)
        } else {
            select_legacy(
                flavor,
                repo_name,
                &repo.snapshots,
                &names,
                ignore_unavailable,
                now,
            )
        };
        // Verbose reads each snapshot's blob: an unreadable one fails the request (§4.5).
        let selected = selected.and_then(|list| {
            let mut kept = Vec::with_capacity(list.len());
            for s in list {
                // A blob removed from the repository: the read fails with
                // NoSuchFileException, which the engine reports as the
                // snapshot missing, name *and uuid* in the reason (seen on
                // OpenSearch 2.19/3.x and Elasticsearch 7.10).
                if verbose && s.blob_missing && !s.is_running(now) {
                    if ignore_unavailable {
                        continue;
                    }
                    return Err(missing_blob(repo, s));
                }
                if verbose && s.unreadable && !s.is_running(now) {
                    if ignore_unavailable {
                        continue;
                    }
                    return Err(EsErr::new(
                        500,
                        "snapshot_exception",
                        format!(
                            "[{repo_name}:{}/{}] Snapshot could not be read",
                            s.name, s.uuid
                        ),
                    ));
                }
                kept.push(s);
            }
            Ok(kept)
        });
        match selected {
            Ok(list) => entries.extend(list.into_iter().map(|snap| Entry {
                repo: &repo.name,
                snap,
            })),
            // ES 7.14–8.14: per-repository failures of multi-repo requests go to `failures` (§4.2).
            Err(e) if multi_repo && !flavor.es_at_least(8, 15) => {
                failures.push((repo_name.clone(), e))
            }
            Err(e) => return Err(e),
        }
    }

    // Filters (7.16+ slm_policy_filter, 9.1 state).
    if !policies.is_empty() {
        entries.retain(|e| {
            let policy = e.snap.policy_name();
            policies.iter().any(|p| match (*p, policy) {
                ("_none", None) => true,
                (pat, Some(pol)) => glob::matches(pat, pol),
                _ => false,
            })
        });
    }
    if let Some(states) = &states {
        entries.retain(|e| states.contains(&e.snap.state(now)));
    }

    // Sort: by key, then name, then repository (§4.2 default order).
    let sort_key = if verbose { sort } else { SortKey::Name };
    entries.sort_by(|a, b| {
        sort_value(sort_key, a, now)
            .cmp(&sort_value(sort_key, b, now))
            .then_with(|| a.snap.name.cmp(&b.snap.name))
            .then_with(|| a.repo.cmp(b.repo))
    });
    if desc {
        entries.reverse();
    }
    let total = entries.len();
    if let Some(from) = from_sort_value {
        if let Some(v) = parse_sort_val(sort, from) {
            entries.retain(|e| {
                let sv = sort_value(sort, e, now);
                if desc {
                    sv <= v
                } else {
                    sv >= v
                }
            });
        }
    }
    if let Some((value, after_repo, after_name)) = &after {
        let v = parse_sort_val(sort, value)
            .ok_or_else(|| illegal_arg(format!("invalid ?after parameter [{value}]")))?;
        entries.retain(|e| {
            let key = (sort_value(sort, e, now), e.snap.name.as_str(), e.repo);
            let cursor = (v.clone(), after_name.as_str(), after_repo.as_str());
            if desc {
                key < cursor
            } else {
                key > cursor
            }
        });
    }
    let offset = usize::try_from(offset).unwrap_or(0);
    let remaining_pool: Vec<Entry<'_>> = entries.into_iter().skip(offset).collect();
    let (page, remaining) = if size > 0 && remaining_pool.len() > size as usize {
        let n = size as usize;
        let rest = remaining_pool.len() - n;
        let mut v = remaining_pool;
        v.truncate(n);
        (v, rest)
    } else {
        (remaining_pool, 0)
    };
    let next = if remaining > 0 {
        page.last().map(|e| {
            let raw = format!(
                "{},{},{}",
                sort_value(sort, e, now).as_cursor(),
                e.repo,
                e.snap.name
            );
            base64::engine::general_purpose::URL_SAFE.encode(raw)
        })
    } else {
        None
    };

    let snapshots: Vec<J> = page
        .iter()
        .map(|e| render_snapshot(flavor, e.repo, e.snap, now, opts))
        .collect();
    let mut out = obj().f("snapshots", J::Arr(snapshots));
    if !failures.is_empty() {
        let mut f = obj();
        for (repo, e) in &failures {
            f.push(repo, e.fields(true));
        }
        out.push("failures", f);
    }
    if flavor.es_at_least(7, 14) {
        if let Some(n) = next {
            out.push("next", n);
        }
    }
    if flavor.es_at_least(7, 15) {
        out.push("total", total);
        out.push("remaining", remaining);
    }
    Ok(Reply::ok(out))
}

// ---------------------------------------------------------------------------------------------
// Delete (§5)

fn delete_snapshots(
    core: &Core,
    state: &mut State,
    repo: &str,
    names_expr: &str,
    p: &mut Params<'_>,
    path: &str,
) -> R<Reply> {
    let flavor = core.flavor;
    p.master_timeout()?;
    if flavor.es_at_least(8, 15) {
        p.bool("wait_for_completion", true)?;
    }
    p.finish(path)?;
    let r = state.repo_mut(repo).ok_or_else(|| repo_missing(repo))?;
    r.uuid_known = true;
    let names: Vec<&str> = names_expr.split(',').filter(|s| !s.is_empty()).collect();
    // Resolution happens once, before anything is deleted.
    let mut doomed: BTreeSet<String> = BTreeSet::new();
    for n in &names {
        if glob::is_pattern(n) {
            doomed.extend(r.snapshots.keys().filter(|k| glob::matches(n, k)).cloned());
        } else if r.snapshots.contains_key(*n) {
            doomed.insert(n.to_string());
        } else {
            return Err(snapshot_missing(repo, n));
        }
    }
    // Running snapshots are aborted, then deleted: either way they are gone afterwards.
    for name in &doomed {
        r.snapshots.remove(name);
    }
    Ok(acknowledged())
}

// ---------------------------------------------------------------------------------------------
// Status (§6, brief)

fn status(
    core: &Core,
    state: &mut State,
    repo: Option<&str>,
    names_expr: Option<&str>,
    p: &mut Params<'_>,
    path: &str,
) -> R<Reply> {
    let now = core.clock.now_millis();
    let ignore_unavailable = p.bool("ignore_unavailable", false)?;
    p.master_timeout()?;
    p.finish(path)?;
    let mut list: Vec<(String, Snap)> = Vec::new();
    match (repo, names_expr) {
        (None, _) => {
            for r in &state.repos {
                list.extend(
                    r.snapshots
                        .values()
                        .filter(|s| s.is_running(now))
                        .map(|s| (r.name.clone(), s.clone())),
                );
            }
        }
        (Some(repo), None) => {
            let r = state.repo(repo).ok_or_else(|| repo_missing(repo))?;
            list.extend(
                r.snapshots
                    .values()
                    .filter(|s| s.is_running(now))
                    .map(|s| (r.name.clone(), s.clone())),
            );
        }
        (Some(repo), Some(names)) => {
            let r = state.repo(repo).ok_or_else(|| repo_missing(repo))?;
            for n in names.split(',').filter(|s| !s.is_empty()) {
                match r.snapshots.get(n) {
                    Some(s) => list.push((r.name.clone(), s.clone())),
                    None if ignore_unavailable => {}
                    None => return Err(snapshot_missing(repo, n)),
                }
            }
        }
    }
    list.sort_by(|a, b| (a.1.start, &a.1.name).cmp(&(b.1.start, &b.1.name)));
    let snapshots = list
        .iter()
        .map(|(repo, s)| {
            let running = s.is_running(now);
            // PARTIAL is reported as SUCCESS here (§6).
            let st = match s.state(now) {
                SnapshotState::InProgress => "STARTED",
                SnapshotState::Success | SnapshotState::Partial => "SUCCESS",
                SnapshotState::Failed | SnapshotState::Incompatible => "FAILED",
            };
            let total = s.total_shards;
            let done = if running { 0 } else { s.successful_shards };
            let failed = if running { 0 } else { total - done.min(total) };
            let started = if running { total } else { 0 };
            let stats = obj()
                .f(
                    "incremental",
                    obj().f("file_count", 0u32).f("size_in_bytes", 0u32),
                )
                .f(
                    "total",
                    obj().f("file_count", 0u32).f("size_in_bytes", 0u32),
                )
                .f("start_time_in_millis", J::Int(s.start))
                .f(
                    "time_in_millis",
                    J::Int(if running {
                        now - s.start
                    } else {
                        s.end - s.start
                    }),
                );
            let mut indices = obj();
            for idx in &s.indices {
                indices.push(
                    idx,
                    obj()
                        .f(
                            "shards_stats",
                            shard_stats(0, 0, 0, u32::from(!running), 0, 1),
                        )
                        .f("stats", stats.clone()),
                );
            }
            obj()
                .f("snapshot", s.name.as_str())
                .f("repository", repo.as_str())
                .f("uuid", s.uuid.as_str())
                .f("state", st)
                .f("include_global_state", s.include_global_state)
                .f(
                    "shards_stats",
                    shard_stats(0, started, 0, done, failed, total),
                )
                .f("stats", stats)
                .f("indices", indices)
        })
        .collect();
    Ok(Reply::ok(obj().f("snapshots", J::Arr(snapshots))))
}

fn shard_stats(
    initializing: u32,
    started: u32,
    finalizing: u32,
    done: u32,
    failed: u32,
    total: u32,
) -> J {
    obj()
        .f("initializing", initializing)
        .f("started", started)
        .f("finalizing", finalizing)
        .f("done", done)
        .f("failed", failed)
        .f("total", total)
}
