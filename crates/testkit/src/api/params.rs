//! What a request carries besides its path: query parameters (consumed one by one; unknown
//! ones fail the request, §4.1) and the JSON body map.

use std::collections::BTreeSet;

use super::error::{illegal_arg, EsErr, R};
use crate::url;
use crate::Flavor;

pub(super) fn parse_body_map(body: &[u8]) -> R<Option<serde_json::Map<String, serde_json::Value>>> {
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

/// Parameters every REST handler knows (consumed by the channel, §1.2).
const GENERIC_PARAMS: &[&str] = &["error_trace", "filter_path", "format", "human", "pretty"];

pub(super) struct Params<'a> {
    pairs: &'a [(String, String)],
    flavor: Flavor,
    consumed: BTreeSet<&'static str>,
    pub(super) warnings: Vec<String>,
}

impl<'a> Params<'a> {
    pub(super) fn new(pairs: &'a [(String, String)], flavor: Flavor) -> Self {
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

    pub(super) fn str(&mut self, name: &'static str) -> Option<&'a str> {
        self.consumed.insert(name);
        self.raw(name)
    }

    pub(super) fn bool(&mut self, name: &'static str, default: bool) -> R<bool> {
        match self.str(name) {
            None => Ok(default),
            Some("") | Some("true") => Ok(true),
            Some("false") => Ok(false),
            Some(other) => Err(illegal_arg(format!(
                "Failed to parse value [{other}] as only [true] or [false] are allowed."
            ))),
        }
    }

    pub(super) fn int(&mut self, name: &'static str, default: i64) -> R<i64> {
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

    pub(super) fn time(&mut self, name: &'static str) -> R<()> {
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
    pub(super) fn master_timeout(&mut self) -> R<()> {
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

    /// `master_timeout` (as [`Params::master_timeout`]), then `timeout`: what every
    /// acknowledged repository request reads.
    pub(super) fn ack_timeouts(&mut self) -> R<()> {
        self.master_timeout()?;
        self.time("timeout")
    }

    /// `BaseRestHandler`: unknown parameters fail the request with 400 (§4.1).
    pub(super) fn finish(&self, decoded_path: &str) -> R<()> {
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
