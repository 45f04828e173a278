//! An ordered JSON tree and its two renderings (compact, and Jackson-style `?pretty`).
//!
//! Real servers serialise fields in a fixed order (§4.4); `serde_json::Map` sorts its keys
//! unless the crate-wide `preserve_order` feature is on, so the emulator builds its own tree.

use std::fmt::Write as _;

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum J {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Arr(Vec<J>),
    Obj(Vec<(String, J)>),
}

/// Builder helper: `obj().f("a", 1).f("b", "x")`.
pub(crate) fn obj() -> J {
    J::Obj(Vec::new())
}

impl J {
    pub(crate) fn f(mut self, key: &str, value: impl Into<J>) -> J {
        if let J::Obj(fields) = &mut self {
            fields.push((key.to_string(), value.into()));
        }
        self
    }

    pub(crate) fn push(&mut self, key: &str, value: impl Into<J>) {
        if let J::Obj(fields) = self {
            fields.push((key.to_string(), value.into()));
        }
    }

    pub(crate) fn strs<I, S>(items: I) -> J
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        J::Arr(items.into_iter().map(|s| J::Str(s.into())).collect())
    }

    pub(crate) fn from_value(v: &serde_json::Value) -> J {
        match v {
            serde_json::Value::Null => J::Null,
            serde_json::Value::Bool(b) => J::Bool(*b),
            serde_json::Value::Number(n) => match n.as_i64() {
                Some(i) => J::Int(i),
                None => J::Float(n.as_f64().unwrap_or(0.0)),
            },
            serde_json::Value::String(s) => J::Str(s.clone()),
            serde_json::Value::Array(a) => J::Arr(a.iter().map(J::from_value).collect()),
            serde_json::Value::Object(o) => J::Obj(
                o.iter()
                    .map(|(k, v)| (k.clone(), J::from_value(v)))
                    .collect(),
            ),
        }
    }

    pub(crate) fn to_compact(&self) -> String {
        let mut out = String::new();
        write_compact(self, &mut out);
        out
    }

    /// Jackson `DefaultPrettyPrinter` as configured by Elasticsearch: two-space indent,
    /// `"key" : value`, `{ }` / `[ ]` when empty, arrays one element per line, final newline.
    pub(crate) fn to_pretty(&self) -> String {
        let mut out = String::new();
        write_pretty(self, &mut out, 0);
        out.push('\n');
        out
    }
}

impl From<bool> for J {
    fn from(b: bool) -> J {
        J::Bool(b)
    }
}
impl From<i64> for J {
    fn from(i: i64) -> J {
        J::Int(i)
    }
}
impl From<u32> for J {
    fn from(i: u32) -> J {
        J::Int(i64::from(i))
    }
}
impl From<usize> for J {
    fn from(i: usize) -> J {
        J::Int(i64::try_from(i).unwrap_or(i64::MAX))
    }
}
impl From<&str> for J {
    fn from(s: &str) -> J {
        J::Str(s.to_string())
    }
}
impl From<String> for J {
    fn from(s: String) -> J {
        J::Str(s)
    }
}
impl From<&String> for J {
    fn from(s: &String) -> J {
        J::Str(s.clone())
    }
}

fn write_str(s: &str, out: &mut String) {
    out.push_str(&serde_json::to_string(s).unwrap_or_else(|_| "\"\"".to_string()));
}

fn write_scalar(v: &J, out: &mut String) {
    match v {
        J::Null => out.push_str("null"),
        J::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        J::Int(i) => {
            let _ = write!(out, "{i}");
        }
        J::Float(f) => out.push_str(&serde_json::to_string(f).unwrap_or_else(|_| "0".to_string())),
        J::Str(s) => write_str(s, out),
        J::Arr(_) | J::Obj(_) => {}
    }
}

fn write_compact(v: &J, out: &mut String) {
    match v {
        J::Arr(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_compact(item, out);
            }
            out.push(']');
        }
        J::Obj(fields) => {
            out.push('{');
            for (i, (k, item)) in fields.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_str(k, out);
                out.push(':');
                write_compact(item, out);
            }
            out.push('}');
        }
        other => write_scalar(other, out),
    }
}

fn indent(out: &mut String, level: usize) {
    out.push('\n');
    for _ in 0..level {
        out.push_str("  ");
    }
}

fn write_pretty(v: &J, out: &mut String, level: usize) {
    match v {
        J::Arr(items) if items.is_empty() => out.push_str("[ ]"),
        J::Obj(fields) if fields.is_empty() => out.push_str("{ }"),
        J::Arr(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                indent(out, level + 1);
                write_pretty(item, out, level + 1);
            }
            indent(out, level);
            out.push(']');
        }
        J::Obj(fields) => {
            out.push('{');
            for (i, (k, item)) in fields.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                indent(out, level + 1);
                write_str(k, out);
                out.push_str(" : ");
                write_pretty(item, out, level + 1);
            }
            indent(out, level);
            out.push('}');
        }
        other => write_scalar(other, out),
    }
}

/// `?filter_path=a.b,c.*,**.d,-e.f`, as every Elasticsearch and OpenSearch
/// release applies it to a successful answer (error answers are never
/// filtered): exclusions (`-path`) first, then the inclusions on what is
/// left. A path ending inside an object or array keeps it whole, even when
/// empty; an object or array that a path only passes through is dropped
/// when nothing in it is kept. Nothing kept is `{}`. Arrays are transparent,
/// `*` matches within one name, `**` any number of levels.
pub(crate) fn filter_path(v: &J, spec: &str) -> J {
    let mut include: Vec<Vec<&str>> = Vec::new();
    let mut exclude: Vec<Vec<&str>> = Vec::new();
    for p in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        match p.strip_prefix('-') {
            Some(excluded) if !excluded.is_empty() => exclude.push(excluded.split('.').collect()),
            Some(_) => {}
            None => include.push(p.split('.').collect()),
        }
    }
    // No copy of the whole answer unless an exclusion needs one: a large
    // listing filtered down is the common case.
    let excluded;
    let kept = if exclude.is_empty() {
        v
    } else {
        let refs: Vec<&[&str]> = exclude.iter().map(|p| p.as_slice()).collect();
        excluded = exclude_node(v, &refs).unwrap_or_else(obj);
        &excluded
    };
    if include.is_empty() {
        return kept.clone();
    }
    let refs: Vec<&[&str]> = include.iter().map(|p| p.as_slice()).collect();
    filter_node(kept, &refs).unwrap_or_else(obj)
}

/// The paths that continue below field `k` of an object reached by `paths`.
fn descend<'p>(paths: &[&'p [&'p str]], k: &str) -> Vec<&'p [&'p str]> {
    let mut next: Vec<&[&str]> = Vec::new();
    for p in paths {
        if p[0] == "**" {
            next.push(p); // `**` may span this level…
            if p.len() == 1 {
                next.push(&p[1..]); // …a trailing `**` takes everything…
            } else if crate::glob::matches(p[1], k) {
                next.push(&p[2..]); // …or it ends here.
            }
        } else if crate::glob::matches(p[0], k) {
            next.push(&p[1..]);
        }
    }
    next
}

/// Removes what the exclusion paths reach; `None` when nothing is left of
/// a node that a path passed through.
fn exclude_node(v: &J, paths: &[&[&str]]) -> Option<J> {
    if paths.iter().any(|p| p.is_empty()) {
        return None;
    }
    match v {
        J::Obj(fields) => {
            let mut kept = Vec::new();
            for (k, item) in fields {
                let next = descend(paths, k);
                if next.is_empty() {
                    kept.push((k.clone(), item.clone()));
                } else if let Some(f) = exclude_node(item, &next) {
                    kept.push((k.clone(), f));
                }
            }
            (!kept.is_empty()).then_some(J::Obj(kept))
        }
        J::Arr(items) => {
            let kept: Vec<J> = items
                .iter()
                .filter_map(|i| exclude_node(i, paths))
                .collect();
            (!kept.is_empty()).then_some(J::Arr(kept))
        }
        other => Some(other.clone()),
    }
}

fn filter_node(v: &J, paths: &[&[&str]]) -> Option<J> {
    if paths.iter().any(|p| p.is_empty()) {
        return Some(v.clone());
    }
    match v {
        J::Obj(fields) => {
            let mut kept = Vec::new();
            for (k, item) in fields {
                let next = descend(paths, k);
                if next.is_empty() {
                    continue;
                }
                if let Some(f) = filter_node(item, &next) {
                    kept.push((k.clone(), f));
                }
            }
            if kept.is_empty() {
                None
            } else {
                Some(J::Obj(kept))
            }
        }
        J::Arr(items) => {
            let kept: Vec<J> = items.iter().filter_map(|i| filter_node(i, paths)).collect();
            if kept.is_empty() {
                None
            } else {
                Some(J::Arr(kept))
            }
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pretty_matches_jackson_style() {
        let v = obj()
            .f("a", 1i64)
            .f("b", J::strs(["x"]))
            .f("c", obj())
            .f("d", J::Arr(vec![]));
        assert_eq!(
            v.to_pretty(),
            "{\n  \"a\" : 1,\n  \"b\" : [\n    \"x\"\n  ],\n  \"c\" : { },\n  \"d\" : [ ]\n}\n"
        );
        assert_eq!(v.to_compact(), r#"{"a":1,"b":["x"],"c":{},"d":[]}"#);
    }

    #[test]
    fn filter_path_keeps_matching_paths() {
        let v = obj()
            .f(
                "snapshots",
                J::Arr(vec![obj().f("snapshot", "a").f("state", "SUCCESS")]),
            )
            .f("total", 1i64);
        assert_eq!(
            filter_path(&v, "snapshots.snapshot").to_compact(),
            r#"{"snapshots":[{"snapshot":"a"}]}"#
        );
        assert_eq!(
            filter_path(&v, "**.state").to_compact(),
            r#"{"snapshots":[{"state":"SUCCESS"}]}"#
        );
        assert_eq!(filter_path(&v, "nothing").to_compact(), "{}");
    }

    /// What OpenSearch 2.19 and Elasticsearch 7.10 answered to the same
    /// filters (checked by hand, and by `tests/live_filter_path.rs`).
    #[test]
    fn filter_path_exclusions_empties_and_wildcards_as_the_engines_do() {
        let v = obj()
            .f(
                "snapshots",
                J::Arr(vec![obj()
                    .f("snapshot", "a")
                    .f("indices", J::strs(["i"]))
                    .f("failures", J::Arr(vec![]))
                    .f("shards", obj().f("total", 2i64).f("failed", 0i64))]),
            )
            .f("total", 1i64);
        let f = |spec: &str| filter_path(&v, spec).to_compact();
        assert_eq!(f("snapshots.failures.index"), "{}");
        assert_eq!(
            f("snapshots.failures"),
            r#"{"snapshots":[{"failures":[]}]}"#
        );
        assert_eq!(
            f("-snapshots.indices,-total"),
            r#"{"snapshots":[{"snapshot":"a","failures":[],"shards":{"total":2,"failed":0}}]}"#
        );
        assert_eq!(f("-snapshots,-total"), "{}");
        assert_eq!(f("snapshots.snapshot,-snapshots.snapshot"), "{}");
        assert_eq!(
            f("-**.indices,snapshots.indices,snapshots.snapshot"),
            r#"{"snapshots":[{"snapshot":"a"}]}"#
        );
        assert_eq!(
            f("snapshots.sh*.tot*"),
            r#"{"snapshots":[{"shards":{"total":2}}]}"#
        );
        assert_eq!(f("*.snapshot"), r#"{"snapshots":[{"snapshot":"a"}]}"#);
        assert_eq!(
            f("snapshots.snapshot,,total"),
            r#"{"snapshots":[{"snapshot":"a"}],"total":1}"#
        );
        assert_eq!(f("**"), v.to_compact());
    }
}
