//! The URL pieces the server, the router and recorded requests all read: percent-decoding,
//! the query string, path segments and the URI quoted in error messages.
//!
//! A leaf on purpose: it imports nothing from this crate, so any module may use it without
//! closing an import loop (the server, the router and the public request record each
//! needed these helpers, and taking them from one another made a loop).

/// Percent-decodes `s` (lossy UTF-8); with `plus_as_space`, `+` becomes a space (query strings).
pub(crate) fn percent_decode(s: &str, plus_as_space: bool) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(b) => {
                        out.push(b);
                        i += 3;
                    }
                    None => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b'+' if plus_as_space => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The `k=v` pairs of a raw query string, decoded, in order (`k` alone is `k=""`).
pub(crate) fn parse_query(q: Option<&str>) -> Vec<(String, String)> {
    let Some(q) = q else { return Vec::new() };
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(k, true), percent_decode(v, true))
        })
        .collect()
}

/// The last value of parameter `name`: a repeated parameter counts once, with its last value.
pub(crate) fn last_value<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .rev()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// The non-empty segments of a raw path, each percent-decoded (`+` stays a plus).
pub(crate) fn path_segments(raw_path: &str) -> Vec<String> {
    raw_path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| percent_decode(s, false))
        .collect()
}

/// The URI as the engines quote it in errors: the raw path, then `?` and the raw query if any.
pub(crate) fn request_uri(raw_path: &str, raw_query: Option<&str>) -> String {
    match raw_query {
        Some(q) => format!("{raw_path}?{q}"),
        None => raw_path.to_string(),
    }
}
