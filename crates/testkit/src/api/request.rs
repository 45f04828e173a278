//! [`Req`], the request as the handlers see it. A leaf of `api`: it imports only the URL
//! helpers, so every handler module can take it without depending on the router.

use http::{HeaderMap, Method};

use crate::url;

/// A request as the handlers see it.
pub(crate) struct Req<'a> {
    pub method: &'a Method,
    pub raw_path: &'a str,
    pub raw_query: Option<&'a str>,
    pub query: &'a [(String, String)],
    pub headers: &'a HeaderMap,
    pub body: &'a [u8],
}

impl<'a> Req<'a> {
    /// The last value of query parameter `name`.
    pub(crate) fn query_value(&self, name: &str) -> Option<&'a str> {
        url::last_value(self.query, name)
    }

    /// The URI as the engines quote it in errors (raw path and query).
    pub(crate) fn uri(&self) -> String {
        url::request_uri(self.raw_path, self.raw_query)
    }
}
